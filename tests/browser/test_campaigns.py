"""A regulator on a 390 px phone opens a campaign from the desk, writes its summary, and reads
the monthly brief; nothing scrolls sideways."""

from __future__ import annotations

from .playwright_expect import expect
from .test_inspections import visit_under_way


def fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width}px"


def test_a_regulator_opens_a_campaign_writes_its_summary_and_reads_the_brief_on_a_phone(
    serve, phone, shot
):
    site = serve()
    visit_under_way(site)
    page = phone(site, "regulator")
    page.goto(f"{site.url}/inspections")
    page.get_by_role("link", name="全部专项行动与工作简报").click()
    page.fill("#campaign-name", "滨江区冬季专项行动")
    page.fill("#ends_on", "2027-01-31")
    page.get_by_role("button", name="创建专项行动").click()
    expect(page.locator("h1")).to_have_text("滨江区冬季专项行动")
    expect(page.locator(".flash")).to_contain_text("已创建专项行动")
    fits(page)
    shot(page, "campaign-phone")
    page.fill("#effects", "企业主要负责人参加动员会，整改积极。")
    page.get_by_role("button", name="保存总结").click()
    expect(page.locator(".flash")).to_contain_text("总结已保存")
    expect(page.locator("#effects")).to_have_value("企业主要负责人参加动员会，整改积极。")

    page.goto(f"{site.url}/campaigns")
    page.get_by_role("button", name="查看工作简报").click()
    expect(page.locator("h1")).to_contain_text("工作简报")
    expect(page.locator("#brief-figures")).to_contain_text("已开展服务")
    expect(page.get_by_role("link", name="PDF")).to_be_visible()
    fits(page)
    shot(page, "brief-phone")
    page.goto(f"{site.url}/inspections")
    expect(page.locator("#desk-campaigns")).to_contain_text("滨江区冬季专项行动")
