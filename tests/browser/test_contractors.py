"""Contractors and the enterprise's own rules on a phone: the contractor's administrator adds
a worker, the permit form asks for the on-site supervisor only once a contractor is chosen,
and the admin's approval-tier editor fits a 390 px screen."""

from __future__ import annotations

from permit import contractors

from .conftest import sign_in
from .playwright_expect import expect


def company(site):
    world = site.world
    acme = contractors.add_company(
        world.session, world.enterprise, name="安达管道工程有限公司", clock=world.clock
    )
    contractors.add_account(
        world.session,
        acme,
        name="陈承包",
        username="acme",
        password="acme-pass-1",
        clock=world.clock,
    )
    world.session.commit()
    return acme


def fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width}px"


def test_the_contractor_admin_adds_a_worker_on_a_phone(serve, phone, browser, shot):
    site = serve()
    company(site)
    page = phone(site)
    sign_in(page.context, site, "acme", "acme-pass-1")
    page.goto(f"{site.url}/")
    expect(page.locator("h1")).to_have_text("安达管道工程有限公司")
    page.fill("#name", "杨师傅")
    page.fill("#phone", "139 0000 0000")
    page.get_by_label("应急救援人员").check()
    shot(page, "contractor-workers-phone")
    page.get_by_role("button", name="新增", exact=True).click()
    expect(page.locator(".flash.ok")).to_contain_text("已新增 杨师傅")
    row = page.locator(".list li", has_text="杨师傅")
    expect(row).to_contain_text("作业人员、应急救援人员")
    expect(row).to_contain_text("无有效")  # the enterprise has not trained them yet
    fits(page)


def test_the_supervisor_is_asked_for_once_a_contractor_is_chosen(serve, phone):
    site = serve()
    acme = company(site)
    page = phone(site, "requester")
    page.goto(f"{site.url}/permits/new?space={site.world.pit.id}")
    supervisor = page.locator("#supervisor")
    expect(supervisor).to_be_hidden()
    page.select_option("#contractor", str(acme.id))
    expect(supervisor).to_be_visible()
    page.select_option("#supervisor", str(site.world.deputy.id))
    page.select_option("#task_type", "cleaning")
    page.select_option("#attendant", str(site.world.attendant.id))
    page.locator(f'input[name="entrants"][value="{site.world.entrant.id}"]').check()
    page.get_by_role("button", name="创建作业票").click()
    expect(page.locator("main")).to_contain_text("本企业现场监督人员: 李副总")
    fits(page)


def test_the_admin_edits_the_approval_tiers_on_a_phone(serve, phone, shot):
    site = serve()
    world = site.world
    world.person("管理员", ["admin"], trained=False, username="admin")
    world.session.commit()
    page = phone(site, "admin")
    page.goto(f"{site.url}/rules/system#tiers")
    major = page.locator(".card", has_text="重大风险作业")
    expect(major.get_by_label("审批人")).to_be_disabled()
    general = page.locator(".card", has_text="一般作业")
    general.get_by_label("审批人").uncheck()
    page.fill("#note", "一般作业改由负责人审批")
    shot(page, "approval-tiers-phone")
    page.get_by_role("button", name="保存分级审批").click()
    expect(page.locator(".flash.ok")).to_contain_text("分级审批已保存")
    expect(page.locator(".card", has_text="一般作业")).to_contain_text(
        "审批角色: 主要负责人、分管负责人"
    )
    fits(page)
