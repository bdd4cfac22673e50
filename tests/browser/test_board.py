"""The compliance board in a browser: an admin records a training session with three
attendees, one of whom fails, and sees the board's training line change; the board on a
390 px phone and on a desktop."""

from __future__ import annotations

import re
from datetime import timedelta

from .playwright_expect import expect


def test_an_admin_records_training_and_sees_the_board_change(serve, phone, shot):
    site = serve()
    world = site.world
    world.person("管理员", ["admin"], username="admin", trained=False)
    newcomers = [world.person(n, ["entrant"], trained=False) for n in ("新甲", "新乙", "新丙")]
    world.detector.due_on = world.today + timedelta(days=12)  # something falls due this month
    world.session.commit()

    page = phone(site, "admin")
    page.get_by_role("link", name="合规看板").click()
    line = page.locator('[data-key="training"]')
    expect(line).to_have_attribute("data-status", "not_met")
    expect(line).to_contain_text("7名可参与作业人员中有3名无有效的有限空间作业专题安全培训")
    expect(line).to_contain_text("尚无培训记录")
    expect(line.locator(".penalty")).to_contain_text("003 第十八条（三）")
    expect(page.locator(".due-list")).to_contain_text("D-01 泵吸式四合一检测仪")

    page.goto(f"{site.url}/training/new")
    page.fill("#topic", "有限空间作业专题安全培训")
    page.fill("#trainer", "安全科")
    for person, result in zip(newcomers, ("合格", "合格", "不合格"), strict=True):
        page.locator("fieldset.attendee", has_text=person.name).get_by_label(
            result, exact=True
        ).check()
    page.get_by_role("button", name="保存培训记录").click()
    expect(page.locator(".flash.ok")).to_contain_text("2 人合格，1 人不合格")

    page.get_by_role("link", name="合规看板").click()
    line = page.locator('[data-key="training"]')
    expect(line).to_contain_text("7名可参与作业人员中有1名无有效的有限空间作业专题安全培训")
    expect(line).to_contain_text(f"最近一次培训为{world.today}")
    expect(line).not_to_contain_text("尚无培训记录")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the board scrolls sideways: {width}px"
    # the evidence leads to the register that shows it: the people's cards
    line.get_by_role("link", name=re.compile("7名可参与作业人员")).click()
    expect(page).to_have_url(re.compile(r"/people$"))
    expect(page.locator(".list li", has_text="新丙")).to_contain_text("作业人员 ✗")

    page.goto(f"{site.url}/board")
    shot(page, "board-phone")
    desktop = phone(site, "admin", desktop=True)
    desktop.goto(f"{site.url}/lang/en?next=/board")
    expect(desktop.locator("h1")).to_have_text("Compliance board")
    expect(desktop.locator('[data-key="signs"]')).to_contain_text(
        "1 of 2 spaces have no warning sign placed"
    )
    shot(desktop, "board-desktop")
