"""The reminders bell on a phone: the attendant of a permit past its window sees the count
and the reminder, opens the permit from it and the bell goes quiet; an entrant sees none."""

from __future__ import annotations

from permit import tick

from .playwright_expect import expect


def test_each_person_sees_their_own_reminders_and_nobody_elses(serve, phone, shot):
    site = serve()
    world = site.world
    permit = world.working()
    world.fire(permit, "check_in", person=world.entrant.id)
    site.clock.advance(hours=9)
    tick.tick(site.sessions, site.clock)

    page = phone(site, "attendant")
    bell = page.locator("a.bell")
    expect(bell.locator(".bell-count")).to_have_text("1")
    bell.click()
    item = page.locator("li.reminder.unread")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(f"作业票{permit.number}已超过作业时间段")
    expect(item).to_contain_text("有限空间内还有1人")
    shot(page, "reminders-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width}px"
    item.get_by_role("button", name="查看").click()
    expect(page).to_have_url(f"{site.url}/permits/{permit.number}")
    expect(page.locator("a.bell .bell-count")).to_have_text("0")

    other = phone(site, "entrant")
    expect(other.locator("a.bell .bell-count")).to_have_text("0")
    other.goto(f"{site.url}/reminders")
    expect(other.locator("main")).to_contain_text("暂无提醒")
    expect(other.locator("main")).not_to_contain_text(permit.number)
