"""The permit screens on a phone, in Chromium: what the attendant's thumb and the approvers see.

Each test serves the app on a fresh SQLite database (see conftest.py) whose clock is the
world's FixedClock, so "31 minutes later" is one call and never a sleep.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

from permit import engine, registers
from permit.models import Permit, User

from .conftest import Site, login
from .playwright_expect import expect

if TYPE_CHECKING:  # annotations only: the package may be missing, see playwright_expect
    from playwright.sync_api import Locator, Page

PASSING = {"o2": "20.9", "lel": "0", "h2s": "0.5", "co": "1", "co2": "800"}


# -- helpers: one permit page, one action at a time ------------------------------------------


def state_of(page: Page):
    return page.locator("#live [data-state]")


def expect_state(page: Page, state: str) -> None:
    expect(state_of(page)).to_have_attribute("data-state", state)


def step_form(page: Page, event: str):
    return page.locator(f"form.event-{event}")


def blocked_card(page: Page, label: str):
    return page.locator("div.card.blocked", has=page.locator("h2", has_text=label))


def press(site: Site, page: Page, button: Locator) -> None:
    """Press a button that posts an event, a minute after the last step, and wait for the
    page the server answers with (the same address: a redirect back to the permit)."""
    site.later()
    with page.expect_navigation():
        button.click()


def fire(site: Site, page: Page, event: str, *, tick_all: bool = False, then: str | None = None):
    """Press an event's button (ticking every box of its form first); check the state it
    leads to when `then` is given."""
    form = step_form(page, event)
    expect(form).to_have_count(1)
    if tick_all:
        boxes = form.locator("input[type=checkbox]")
        for i in range(boxes.count()):
            boxes.nth(i).check()
    press(site, page, form.locator("button[type=submit]"))
    if then:
        expect_state(page, then)


def ventilate(site: Site, page: Page, event: str = "start_ventilation") -> None:
    """Start (or resume) ventilation, then let it run a while before anyone tests: a test
    counts only when taken after ventilation started (先通风、再检测)."""
    fire(site, page, event, then="ventilating")
    site.later()
    page.reload()


def fill_gas_test(page: Page, **bad: str) -> None:
    """Type a reading for every gas and sampling point; `h2s_upper="15"` overrides one."""
    form = step_form(page, "record_gas_test")
    inputs = form.locator(".gas-row input[type=number]")
    expect(inputs.first).to_be_visible()
    for i in range(inputs.count()):
        field = inputs.nth(i)
        _, gas, point = field.get_attribute("name").split(":", 2)
        field.fill(bad.get(f"{gas}_{point}", PASSING[gas]))


def gas_test(site: Site, page: Page, then: str, **bad: str) -> None:
    fill_gas_test(page, **bad)
    fire(site, page, "record_gas_test", then=then)


def headcount(page: Page):
    return page.locator('#live [data-live="headcount"]')


def entrant_row(page: Page, name: str):
    return page.locator(".people-row", has_text=name)


# -- 1. the whole permit ---------------------------------------------------------------------


def test_a_permit_goes_from_request_to_close_on_a_phone_with_every_rule_shown(serve, phone, shot):
    site = serve()
    w = site.world

    # The requester signs in and fills in the request for the H2S pit.
    requester = phone(site)
    requester.goto(f"{site.url}/login")
    expect(requester.locator("#username")).to_be_visible()
    shot(requester, "login")
    login(requester, site, "requester")
    requester.goto(f"{site.url}/permits/new?space={w.pit.id}")
    expect(requester.locator("#space")).to_have_value(str(w.pit.id))
    expect(requester.locator('input[name=hazards][value="h2s"]')).to_be_checked()  # from ledger
    requester.select_option("#task_type", "cleaning")
    requester.fill("#purpose", "清理池底淤泥")
    requester.fill("#window_start", site.local(-timedelta(minutes=5)))
    requester.fill("#window_end", site.local(timedelta(hours=8)))
    requester.select_option("#attendant", str(w.attendant.id))
    for person in (w.entrant, w.entrant2):
        requester.check(f'input[name=entrants][value="{person.id}"]')
    requester.check(f'input[name=rescuers][value="{w.rescuer.id}"]')
    for item in w.equipment():
        requester.check(f'input[name=equipment][value="{item.id}"]')
    requester.click("button[name=create]")
    expect(requester).to_have_url(re.compile(r"/permits/QY1-\d{4}-\d{4}$"))
    number = requester.locator("h1").inner_text()
    permit_url = site.permit_url(number)
    expect_state(requester, "draft")
    expect(requester.locator(".flash.info")).to_contain_text(number)

    # Nothing blocks it: every person is trained, the equipment is in date.
    expect(requester.locator("div.card.blocked.step")).to_have_count(0)
    expect(step_form(requester, "submit").locator("button")).to_be_enabled()
    fire(site, requester, "submit", then="pending_approval")
    expect(requester.locator("main")).to_contain_text("重大风险作业")  # H2S + cleaning
    requester.close()  # idle permit pages poll and reload: keep only the ones in use

    # A general approver cannot sign major-risk work (art. 11): no button, not on the desk,
    # the page says why, and a forged request is refused citing the article.
    approver = phone(site, "approver")
    expect(approver).to_have_url(re.compile(r"/desk$"))
    expect(approver.locator("main")).to_contain_text("没有等待您审批的作业票")
    approver.goto(permit_url)
    expect_state(approver, "pending_approval")
    expect(step_form(approver, "approve")).to_have_count(0)
    expect(step_form(approver, "reject")).to_have_count(0)
    why = approver.locator("div.card.blocked.step")  # and the page says why
    expect(why).to_contain_text("第十一条")
    expect(why).to_contain_text("主要负责人")
    token = approver.locator('meta[name="csrf-token"]').get_attribute("content")
    version = str(approver.locator("#live").get_attribute("data-version"))
    forged = approver.request.post(
        f"{permit_url}/events/approve",
        form={"csrf_token": token, "version": version, "password": "demo"},
        headers={"Referer": permit_url},
    )
    assert forged.ok, forged.status  # the refusal redirects back to the permit page
    refusal = re.search(r'<div class="flash error"[^>]*>(.*?)</div>', forged.text())
    assert refusal, "the refused approval shows no error"
    assert "第十一条" in refusal.group(1) and "主要负责人" in refusal.group(1), refusal.group(1)
    approver.reload()
    expect_state(approver, "pending_approval")
    approver.close()

    # The principal finds it on the desk and signs with the password.
    principal = phone(site, "principal")
    expect(principal).to_have_url(re.compile(r"/desk$"))
    expect(principal.locator("ul.list")).to_contain_text(number)
    shot(principal, "desk")
    principal.click(f"ul.list a:has-text('{number}')")
    principal.fill("form.event-approve input[name=password]", "demo")
    fire(site, principal, "approve", then="approved")
    principal.goto(f"{site.url}/desk")

    # The attendant runs the work from the phone.
    attendant = phone(site, "attendant")
    expect(attendant).to_have_url(re.compile(r"/today$"))
    expect(attendant.locator("ul.list")).to_contain_text(number)
    shot(attendant, "today")
    attendant.click(f"ul.list a:has-text('{number}')")
    expect_state(attendant, "approved")
    fire(site, attendant, "release_isolation", tick_all=True, then="isolation_released")
    fire(site, attendant, "brief", tick_all=True, then="briefed")
    ventilate(site, attendant)
    expect(step_form(attendant, "start_work")).to_have_count(0)

    # A failing test: the row turns red as it is typed, the server says FAILED, no work.
    fill_gas_test(attendant, h2s_upper="15")
    bad_rows = attendant.locator(".gas-row.bad")
    expect(bad_rows).to_have_count(1)
    expect(bad_rows).to_contain_text("硫化氢")
    expect(attendant.locator(".gas-row.ok")).to_have_count(5)
    bad_rows.evaluate("row => row.scrollIntoView({block: 'center'})")
    shot(attendant, "gas-test")
    fire(site, attendant, "record_gas_test", then="ventilating")
    expect(attendant.locator(".flash.alarm")).to_contain_text("气体检测不合格")
    expect(attendant.locator('#live [data-live="last-test-result"]')).to_have_text("✗")
    expect(step_form(attendant, "start_work")).to_have_count(0)

    # A passing test opens the way to work...
    gas_test(site, attendant, then="tested")
    expect(step_form(attendant, "start_work").locator("button")).to_be_enabled()

    # ...for 30 minutes only.
    site.later(31)
    attendant.reload()
    expect_state(attendant, "tested")
    expect(step_form(attendant, "start_work")).to_have_count(0)
    stale = blocked_card(attendant, "开始作业")
    expect(stale).to_contain_text("第十二条")
    expect(stale).to_contain_text("30分钟")
    stale.evaluate("card => card.scrollIntoView({block: 'center'})")
    shot(attendant, "blocked-start")

    gas_test(site, attendant, then="tested")
    expect(blocked_card(attendant, "开始作业")).to_have_count(0)
    fire(site, attendant, "start_work", tick_all=True, then="working")

    # An entrant goes in: the headcount follows; EVACUATE is always in reach.
    expect(headcount(attendant)).to_have_text("0")
    press(site, attendant, entrant_row(attendant, w.entrant.name).locator("button"))
    expect(headcount(attendant)).to_have_text("1")
    expect(entrant_row(attendant, w.entrant.name)).to_contain_text("在内")
    evacuate = attendant.locator(".evacuate-bar form.event-evacuate button")
    expect(evacuate).to_be_visible()
    expect(evacuate).to_be_in_viewport()
    attendant.evaluate("window.scrollTo(0, 0)")
    shot(attendant, "working")

    # The office sees the same permit on a desktop.
    desk = phone(site, "principal", desktop=True)
    desk.goto(permit_url)
    expect_state(desk, "working")
    expect(headcount(desk)).to_have_text("1")
    shot(desk, "desktop-permit")
    desk.close()

    # EVACUATE: suspended at once, the alarm banner up, the entrant still to be counted out.
    press(site, attendant, evacuate)
    expect_state(attendant, "suspended")
    expect(attendant.locator(".alarm-banner")).to_be_visible()
    expect(attendant.locator(".alarm-banner")).to_contain_text("暂停")
    expect(attendant.locator(".flash.alarm")).to_be_visible()
    expect(attendant.locator(".evacuate-bar")).to_have_count(0)
    expect(headcount(attendant)).to_have_text("1")
    shot(attendant, "suspended")

    # Resuming needs everyone out; then ventilate, test and confirm again.
    expect(blocked_card(attendant, "恢复作业")).to_contain_text("第十三条")
    press(site, attendant, entrant_row(attendant, w.entrant.name).locator("button"))
    expect(headcount(attendant)).to_have_text("0")
    ventilate(site, attendant, "resume")
    gas_test(site, attendant, then="tested")
    fire(site, attendant, "start_work", tick_all=True, then="working")
    fire(site, attendant, "finish", tick_all=True, then="closing")
    expect(attendant.locator(".evacuate-bar")).to_have_count(0)
    attendant.goto(f"{site.url}/today")
    expect(attendant.locator("ul.list")).to_contain_text(number)

    # The principal closes the permit; it leaves the attendant's list for today.
    principal.goto(permit_url)
    expect_state(principal, "closing")
    fire(site, principal, "close", then="closed")
    expect(principal.locator("div.card.step")).to_have_count(0)
    attendant.reload()
    expect(attendant.locator("main")).not_to_contain_text(number)


# -- 2. contractors see their own company only -----------------------------------------------


def test_a_contractor_cannot_open_another_companys_permit(serve, phone):
    site = serve()
    w, s = site.world, site.world.session
    companies = {}
    for key, name in (("a", "甲清洁工程公司"), ("b", "乙环保服务公司")):
        company = registers.add_contractor(s, w.enterprise, name=name, clock=w.clock)
        s.flush()
        registers.add_agreement(
            s,
            company,
            valid_from=w.today - timedelta(days=10),
            valid_to=w.today + timedelta(days=300),
            scope=["cleaning"],
            clock=w.clock,
            document_ref=f"AQ-{key.upper()}",
        )
        w.person(f"{key}经理", ["contractor"], username=f"contractor_{key}", contractor=company)
        companies[key] = company
    s.commit()
    number = w.permit(contractor=companies["a"]).number
    url = site.permit_url(number)

    other = phone(site, "contractor_b")
    expect(other).to_have_url(re.compile(r"/contractor$"))
    expect(other.locator("h1")).to_have_text("乙环保服务公司")
    expect(other.locator("main")).not_to_contain_text(number)
    response = other.goto(url)
    assert response.status == 404
    expect(other.locator("h1")).to_have_text("未找到")
    expect(other.locator("main")).not_to_contain_text(number)
    live = other.request.get(f"{url}/live.json")
    assert live.status == 404

    own = phone(site, "contractor_a")
    expect(own).to_have_url(re.compile(r"/contractor$"))
    expect(own.locator("ul.list", has_text=number)).to_be_visible()
    own.click(f"ul.list a:has-text('{number}')")
    expect(own.locator("h1")).to_have_text(number)
    expect(own.locator("main")).to_contain_text("甲清洁工程公司")


# -- 3. the live page ------------------------------------------------------------------------


def test_the_permit_page_follows_a_check_in_made_elsewhere_without_a_reload(serve, phone):
    site = serve(LIVE_POLL_SECONDS=1)
    w = site.world
    permit = w.working()
    page = phone(site, "attendant")
    page.goto(site.permit_url(permit.number))
    expect_state(page, "working")
    expect(headcount(page)).to_have_text("0")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    # Someone else checks the entrant in, through the domain, in another session.
    with site.sessions() as other:
        fresh = other.get(Permit, permit.id)
        site.later()
        engine.apply(
            other,
            fresh,
            "check_in",
            other.get(User, w.attendant.id),
            {"person": w.entrant.id},
            clock=site.clock,
        )
        other.commit()

    expect(headcount(page)).to_have_text("1", timeout=5_000)
    expect(entrant_row(page, w.entrant.name)).to_contain_text("在内", timeout=5_000)
    assert page.evaluate("window.__sameDocument === undefined")  # it reloaded by itself


# -- 4. languages ----------------------------------------------------------------------------


def test_switching_to_english_shows_english_labels_and_back(serve, phone):
    site = serve()
    permit = site.world.drive(site.world.permit(), "briefed")
    page = phone(site, "attendant")
    page.goto(site.permit_url(permit.number))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(state_of(page)).to_have_text("已安全交底")
    expect(step_form(page, "start_ventilation").locator("button")).to_have_text("开始通风")

    page.get_by_role("link", name="English").click()
    expect(page).to_have_url(re.compile(re.escape(f"/permits/{permit.number}")))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(state_of(page)).to_have_text("Briefed")
    expect(step_form(page, "start_ventilation").locator("button")).to_have_text("Start ventilation")
    expect(page.locator("header.top")).to_contain_text("Today")
    expect(page.locator("header.top")).to_contain_text("Sign out")
    expect(page.locator("main")).to_contain_text("Hazards and controls")
    expect(page.locator("main")).not_to_contain_text("风险管控")

    page.get_by_role("link", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(state_of(page)).to_have_text("已安全交底")
    expect(step_form(page, "start_ventilation").locator("button")).to_have_text("开始通风")
    expect(page.locator("header.top")).to_contain_text("今日")


# -- 5. the permit page fits a phone ----------------------------------------------------------


def test_the_permit_page_fits_a_phone_screen_in_both_languages(serve, phone):
    site = serve()
    permit = site.world.working()
    page = phone(site, "attendant")
    widths = {}
    for code in ("zh", "en"):
        page.goto(f"{site.url}/lang/{code}?next=/permits/{permit.number}")
        expect_state(page, "working")
        widths[code] = page.evaluate("document.documentElement.scrollWidth")
    assert widths == {"zh": 390, "en": 390}, f"page widths on a 390 px phone: {widths}"
