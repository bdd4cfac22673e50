"""The ledger on a phone, in Chromium: an admin adds a space with the industry → class picker,
finds it among the key-supervision spaces, and edits a hazard."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from permit import registers

from .conftest import Site
from .playwright_expect import expect

if TYPE_CHECKING:  # annotations only: the package may be missing, see playwright_expect
    from playwright.sync_api import Page


def ledger_site(serve) -> Site:
    site = serve()
    world = site.world
    world.person("管理员", ["admin"], username="admin", trained=False)
    registers.add_space(  # outside the catalogue, no poisoning hazard: not key supervision
        world.session,
        world.enterprise,
        code="CT-01",
        name="地下电缆沟",
        clock=world.clock,
        hazards=["o2_deficiency"],
    )
    world.session.commit()
    return site


def listed(page: Page) -> list[str]:
    page.wait_for_load_state()  # a URL can change before the list is on the page
    return page.locator(".ledger-list li").evaluate_all("els => els.map(e => e.dataset.code)")


def test_an_admin_keeps_the_ledger_on_a_phone(serve, phone, shot):
    site = ledger_site(serve)
    page = phone(site, "admin")
    page.get_by_role("link", name="台账").click()
    expect(page).to_have_url(re.compile(r"/spaces$"))
    assert listed(page) == ["CT-01", "TK-01", "WS-01"]

    page.get_by_role("link", name="新增有限空间").click()
    page.fill("#code", "FT-07")
    page.fill("#name", "7号发酵罐")
    page.fill("#location", "发酵车间")
    # The class list follows the industry: a metallurgy class is not offered to a brewery.
    page.select_option("#industry", "metallurgy")
    expect(
        page.locator('#catalogue_class option[data-industry="metallurgy"][value="gas_pipeline"]')
    ).to_be_enabled()
    page.select_option("#industry", "light")
    expect(
        page.locator('#catalogue_class option[data-industry="metallurgy"][value="gas_pipeline"]')
    ).to_be_disabled()
    expect(page.locator("#key-preview")).to_be_hidden()
    page.select_option("#catalogue_class", label="发酵罐")
    expect(page.locator("#key-preview")).to_be_visible()  # a listed class: key supervision
    page.get_by_label("二氧化碳窒息").check()
    page.fill("#isolation_measures", "进料阀上锁挂牌\n人孔设隔离栏")
    page.fill("#control_measures", "排空二氧化碳\n强制通风")
    page.get_by_label("深：须在上、中、下部分别检测").check()
    page.fill("#sign_placed_on", site.world.today.isoformat())
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(re.compile(r"/spaces/FT-07$"))
    expect(page.locator(".flash.ok")).to_have_text("FT-07 已纳入台账。")
    expect(page.locator("#key-badge")).to_be_visible()

    page.get_by_role("link", name="台账").first.click()
    page.locator("#filters summary").click()
    page.select_option("#f-key", "1")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"key=1"))
    assert listed(page) == ["FT-07", "TK-01", "WS-01"]  # not the cable trench

    page.locator('.ledger-list li[data-code="FT-07"] a').click()
    page.get_by_role("link", name="修改").click()
    page.get_by_label("硫化氢中毒").check()
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".flash.ok")).to_have_text("FT-07 已保存：修改了 1 项。")
    expect(page.locator(".history del").first).to_have_text("二氧化碳窒息")
    expect(page.locator(".history li li").first).to_contain_text("硫化氢中毒、二氧化碳窒息")

    page.goto(f"{site.url}/spaces?key=1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sideways
    shot(page, "ledger-phone")


def test_a_bad_form_on_a_phone_keeps_what_was_typed_and_says_why(serve, phone):
    site = ledger_site(serve)
    page = phone(site, "admin")
    page.goto(f"{site.url}/spaces/new")
    page.fill("#code", "WS-01")
    page.fill("#name", "重复的池")
    page.select_option("#industry", "light")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#err-code")).to_have_text("编号 'WS-01' 已在台账中")
    expect(page.locator("#name")).to_have_value("重复的池")
