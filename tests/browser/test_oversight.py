"""The regulator's board in a browser: a district's regulator reads the figures on a 390 px
phone, drills down to a street and back, downloads the enforcement plan; the same board on a
desktop."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from permit import jurisdictions

from ..test_oversight import OversightWorld
from .playwright_expect import expect


def regulators_world(site) -> OversightWorld:
    """OversightWorld's tree and enterprises around the served enterprise (QY1, on the street,
    in BJ1's place), with its visits: one at the follow-up with problems, two planned."""
    w = site.world
    s, c = w.session, w.clock
    ow = OversightWorld(s, c)
    ow.places()
    ow.ent, ow.principal = w.enterprise, w.principal
    jurisdictions.place(s, ow.ent, ow.street, clock=c)
    ow.expert = ow.overseer("刘专家", "expert", ow.district, "expert")
    ow.expert2 = ow.overseer("陈专家", "expert", ow.district, "expert2")
    ow.regulator = ow.overseer("黄执法", "regulator", ow.district, "regulator")
    ow.other_expert = ow.overseer("萧专家", "expert", ow.other_district, "expert-xs")
    ow.other_regulator = ow.overseer("萧执法", "regulator", ow.other_district, "regulator-xs")
    ow.other_ent = ow.enterprise("XS1", ow.other_district)
    ow.bj2 = ow.enterprise("BJ2", ow.district, industry="machinery")
    ow.bj3 = ow.enterprise("BJ3", ow.district, industry="市政")
    ow.bj5 = ow.enterprise("BJ5", ow.street, industry="textile")
    ow.space(ow.ent, "QY1-02", "fermentation_tank", ["co2"])
    ow.space(ow.bj2, "BJ2-01", "oil_tank", ["flammable"])
    ow.space(ow.bj3, "BJ3-01", None, ["h2s"])
    ow.space(ow.bj5, "BJ5-01", None, ["co"])
    ow.visits()
    s.commit()
    return ow


def test_a_regulator_reads_the_board_on_a_phone_drills_down_and_downloads_the_plan(
    serve, phone, shot
):
    site = serve()
    regulators_world(site)
    page = phone(site, "regulator")
    page.get_by_role("link", name="监管看板").click()
    expect(page.locator("h1")).to_have_text("监管看板")
    expect(page.locator('[data-figure="in_scope"]')).to_have_text("3")
    expect(page.locator('[data-figure="open_problems"]')).to_have_text("2")
    expect(page.locator('[data-figure="flagged"]')).to_have_text("1")
    expect(page.locator('[data-figure="targets"]')).to_have_text("2")
    plan = page.locator('[data-testid="plan"]')
    expect(plan.locator("li.target")).to_have_count(2)
    expect(plan.locator('[data-code="QY1"]')).to_contain_text("监护人员配备和履职情况")
    expect(plan.locator('[data-code="QY1"]')).to_contain_text("警示标志落实情况")
    expect(page.locator('[data-testid="out-of-scope"]')).to_contain_text("BJ3")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the board scrolls sideways: {width}px"
    for link in page.locator("a.tile, .children a").all():
        box = link.bounding_box()
        assert box and box["height"] >= 44, "a target too small for a thumb"
    shot(page, "oversight-phone")

    with page.expect_download() as download:
        page.get_by_role("link", name="下载执法工作计划（Excel）").click()
    assert download.value.suggested_filename == "enforcement-plan-HZ-BJ.xlsx"
    with open(download.value.path(), "rb") as fh:
        sheet = load_workbook(io.BytesIO(fh.read())).active
    codes = sorted(r[1] for r in sheet.iter_rows(min_row=3, values_only=True))
    assert codes == ["BJ5", "QY1"]

    page.locator('[data-testid="children"] a[data-code="HZ-BJ-CH"]').click()
    expect(page).to_have_url(re.compile(r"/oversight/HZ-BJ-CH$"))
    expect(page.locator('[data-figure="in_scope"]')).to_have_text("2")
    expect(page.locator('[data-testid="enterprises"]')).not_to_contain_text("BJ2")
    page.locator(".crumbs").get_by_role("link", name="滨江区").click()
    expect(page).to_have_url(re.compile(r"/oversight/HZ-BJ$"))
    page.locator('[data-testid="plan"] a', has_text="BJ5").click()
    expect(page).to_have_url(re.compile(r"/inspections/enterprises/BJ5$"))

    response = page.goto(f"{site.url}/oversight/HZ-XS")
    assert response.status == 404


def test_the_board_on_a_desktop(serve, phone, shot):
    site = serve()
    regulators_world(site)
    page = phone(site, "regulator", desktop=True)
    page.goto(f"{site.url}/oversight")
    expect(page.locator('[data-testid="categories"]')).to_contain_text("轻工行业 · 槽罐")
    expect(page.locator(".campaign")).to_have_count(3)
    # The phone's shot shows the figures; this one the visits, the problems and the plan.
    page.evaluate("document.getElementById('visits').scrollIntoView()")
    shot(page, "oversight-desktop")
