"""The consultation form's evidence in a browser: the principal opens it from the board on a
390 px phone, reads a violated checkpoint with its examples and follows an example to the
ledger entry it names; the page on a desktop in English."""

from __future__ import annotations

import re

from permit import registers

from .playwright_expect import expect


def test_the_principal_follows_an_example_from_the_evidence_to_the_ledger(serve, phone, shot):
    site = serve()
    world = site.world
    registers.add_space(
        world.session,
        world.enterprise,
        code="CK-09",
        name="检查井",
        clock=world.clock,
        hazards=[],
        sign_placed_on=world.today,
    )
    world.session.commit()

    page = phone(site, "principal")
    page.get_by_role("link", name="合规看板").click()
    page.get_by_role("link", name="现场会诊表证据").click()
    expect(page.locator("h1")).to_have_text("现场会诊表证据")
    ledger = page.locator('[data-number="5"]')
    expect(ledger).to_have_attribute("data-status", "violated")
    expect(ledger).to_contain_text("3个有限空间中有1个未列明危险因素：CK-09")
    expect(ledger.locator(".penalty")).to_contain_text("003 第十八条（二）")
    expect(page.locator('[data-number="12"]')).to_have_attribute("data-status", "no_records")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the evidence page scrolls sideways: {width}px"
    shot(page, "evidence-phone")
    ledger.get_by_role("link", name=re.compile("CK-09")).click()
    expect(page).to_have_url(re.compile(r"/spaces/CK-09$"))

    desktop = phone(site, "principal", desktop=True)
    desktop.goto(f"{site.url}/lang/en?next=/board/evidence")
    expect(desktop.locator("h1")).to_have_text("Evidence for the consultation form")
    expect(desktop.locator('[data-number="6"]')).to_contain_text(
        "1 of 3 spaces have no warning sign placed: TK-01"
    )
    shot(desktop, "evidence-desktop")
