"""Training on a phone: the principal records a session with three new people, one of whom
fails, and the qualification cards change accordingly."""

from __future__ import annotations

from .playwright_expect import expect


def test_three_attendees_one_failing(serve, phone, shot):
    site = serve()
    newcomers = [site.world.person(n, ["entrant"], trained=False) for n in ("新甲", "新乙", "新丙")]
    site.world.session.commit()
    page = phone(site, "principal")
    page.goto(f"{site.url}/people")
    for person in newcomers:
        expect(page.locator(".list li", has_text=person.name)).to_contain_text("作业人员 ✗")

    page.goto(f"{site.url}/training/new")
    page.fill("#topic", "有限空间作业专题安全培训")
    page.fill("#trainer", "安全科")
    for person, result in zip(newcomers, ("合格", "合格", "不合格"), strict=True):
        page.locator("fieldset.attendee", has_text=person.name).get_by_label(
            result, exact=True
        ).check()
    shot(page, "training-session-phone")
    page.get_by_role("button", name="保存培训记录").click()
    expect(page.locator(".flash.ok")).to_contain_text("2 人合格，1 人不合格")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width}px"

    page.goto(f"{site.url}/people")
    expect(page.locator(".list li", has_text="新甲")).to_contain_text("作业人员 ✓")
    expect(page.locator(".list li", has_text="新乙")).to_contain_text("作业人员 ✓")
    expect(page.locator(".list li", has_text="新丙")).to_contain_text("作业人员 ✗")
    page.locator(".list li", has_text="新丙").click()
    expect(page.locator("table")).to_contain_text("不合格")
