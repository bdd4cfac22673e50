"""A printed warning sign, scanned by a phone: the sign PDF is fetched from the running app,
rasterised, its QR code decoded by a real decoder, and the decoded URL opened in Chromium at
390 × 844 — before, during and after a permit, and once the sign has been replaced."""

from __future__ import annotations

import re

from permit.models import Space

from .. import documents
from .conftest import sign_in
from .playwright_expect import expect


def printed_sign_url(phone, site, size: str) -> str:
    """What a phone reads off the printed sign: the staff member prints it from the app."""
    page = phone(site, "principal", desktop=True)
    pdf = page.context.request.get(f"{site.url}/spaces/WS-01/sign.pdf?size={size}")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    codes = documents.qr_codes(documents.rasterise(pdf.body(), dpi=60))
    assert len(codes) == 1, codes
    return codes[0]


def status(page):
    return page.locator("[data-status]")


def test_a_printed_sign_shows_a_phone_the_spaces_status_before_during_and_after_a_permit(
    serve, phone, shot
):
    site = serve()
    world = site.world
    url = printed_sign_url(phone, site, "A4")
    assert url == f"{site.url}/s/{world.pit.qr_token}"
    assert printed_sign_url(phone, site, "A3") == url

    visitor = phone(site)  # anyone at the entrance: not signed in
    visitor.goto(url)
    expect(visitor.locator("h1")).to_have_text("1号污水处理池")
    expect(visitor.locator(".code")).to_have_text("WS-01")
    expect(status(visitor)).to_have_attribute("data-status", "none")
    expect(status(visitor)).to_contain_text("无有效作业许可 — 禁止进入")
    expect(visitor.locator(".hazard")).to_have_text(["硫化氢中毒", "缺氧窒息"])
    assert visitor.evaluate("document.documentElement.scrollWidth") <= 390
    assert visitor.context.cookies() == []
    shot(visitor, "scan-phone")

    permit = world.working()
    world.fire(permit, "check_in", person=world.entrant.id)
    visitor.reload()
    expect(status(visitor)).to_have_attribute("data-status", "working")
    expect(status(visitor)).to_contain_text("作业中")
    expect(status(visitor)).to_contain_text(permit.number)
    expect(status(visitor)).to_contain_text("孙监护")
    expect(status(visitor)).to_contain_text("✓ 合格")
    expect(visitor.locator("[data-headcount]")).to_have_text("1")
    colour = status(visitor).evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(11, 122, 52)"  # green
    size = visitor.locator(".big").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 28  # readable at arm's length, in sunlight
    assert visitor.evaluate("document.documentElement.scrollWidth") <= 390
    shot(visitor, "scan-phone-working")
    text = visitor.locator("body").inner_text()
    assert "周作业" not in text and "/permits/" not in visitor.content()

    world.fire(permit, "check_out", person=world.entrant.id)
    world.fire(permit, "finish")
    world.fire(permit, "close")
    visitor.reload()
    expect(status(visitor)).to_have_attribute("data-status", "none")
    expect(status(visitor)).not_to_contain_text(permit.number)


def test_a_signed_in_colleague_who_scans_can_go_on_to_the_live_permit(serve, phone):
    site = serve()
    permit = site.world.working()
    staff = phone(site, "attendant")
    staff.goto(f"{site.url}/s/{site.world.pit.qr_token}")
    staff.get_by_role("link", name=re.compile(permit.number)).first.click()
    expect(staff).to_have_url(f"{site.url}/permits/{permit.number}")
    expect(staff.locator("#live [data-state]")).to_have_attribute("data-state", "working")


def test_once_a_sign_is_replaced_its_old_qr_code_says_so_and_nothing_else(serve, phone, browser):
    site = serve()
    old = f"{site.url}/s/{site.world.pit.qr_token}"
    context = browser.new_context()
    sign_in(context, site, "principal")
    page = context.request.get(f"{site.url}/permits")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text()).group(1)
    answer = context.request.post(
        f"{site.url}/spaces/WS-01/sign/reissue", form={"csrf_token": token}, max_redirects=0
    )
    assert answer.status == 303 and answer.headers["location"].endswith("/spaces/WS-01")
    context.close()

    visitor = phone(site)
    response = visitor.goto(old)
    assert response.status == 404
    expect(visitor.locator("h1").first).to_have_text("此标志已更换")
    assert "WS-01" not in visitor.content() and "污水" not in visitor.content()
    with site.sessions() as session:
        new = session.get(Space, site.world.pit.id).qr_token
    assert new != site.world.pit.qr_token
    assert visitor.goto(f"{site.url}/s/{new}").status == 200
