"""The equipment register on a phone: the attendant checks a breathing set item by item, one
item fails, and the set leaves service where everyone can see it."""

from __future__ import annotations

from .playwright_expect import expect


def test_a_failed_check_takes_the_set_out_of_service(serve, phone, shot):
    site = serve()
    page = phone(site, "attendant")
    page.goto(f"{site.url}/equipment")
    page.get_by_role("link", name="R-01").click()
    expect(page.locator("h1")).to_contain_text("正压式空气呼吸器")
    for fieldset in page.locator("fieldset.check-item").all():
        fieldset.get_by_label("正常", exact=True).check()
    page.locator("fieldset.check-item", has_text="余压报警哨").get_by_label("异常").check()
    page.fill("#note", "报警哨不响")
    shot(page, "equipment-check-phone")
    page.get_by_role("button", name="记录检查结果").click()
    expect(page.locator(".flash.error")).to_contain_text("已停用")
    expect(page.locator(".why")).to_contain_text("余压报警哨正常")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width}px"
    page.goto(f"{site.url}/equipment?standing=out_of_service")
    expect(page.locator(".list")).to_contain_text("R-01")
    expect(page.locator(".list")).not_to_contain_text("F-01")
