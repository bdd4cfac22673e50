"""A personal API token made on a phone: shown once, it opens the API as its person, the page
never shows it again, and revoking it from the same page closes the API to it."""

from __future__ import annotations

from .playwright_expect import expect


def test_a_person_makes_a_token_on_a_phone_uses_it_and_revokes_it(serve, phone, shot):
    site = serve()
    page = phone(site, "attendant")
    page.get_by_role("link", name="令牌").click()
    expect(page.locator("h1")).to_have_text("接口令牌")
    page.fill("#label", "巡检手机")
    page.fill("#password", "demo")
    page.get_by_role("button", name="生成令牌").click()
    secret = page.locator("#new-token").input_value()
    assert secret.startswith("ptw_")
    shot(page, "api-token-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width}px"

    api = page.context.request
    mine = api.get(f"{site.url}/api/v1/permits", headers={"Authorization": f"Bearer {secret}"})
    assert mine.status == 200

    page.goto(f"{site.url}/account/tokens")
    expect(page.locator("main")).to_contain_text("巡检手机")
    assert secret not in page.content()
    page.get_by_role("button", name="撤销").click()
    expect(page.locator("main")).to_contain_text("令牌已撤销")
    closed = api.get(f"{site.url}/api/v1/permits", headers={"Authorization": f"Bearer {secret}"})
    assert closed.status == 401
