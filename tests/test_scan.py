"""The public scan page (/s/<token>): no sign-in, one loud status, nothing private, the same
404 for every token that opens nothing, and a throttle on anyone walking through tokens."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from permit import registers, signs
from permit.clock import local_zone

from .helpers import row_counts


@pytest.fixture
def app(make_app, world, clock):
    return make_app(WTF_CSRF_ENABLED=False, CLOCK=clock)


def scan(app, token: str, *, remote: str = "198.51.100.7", client=None):
    client = client or app.test_client()
    return client.get(f"/s/{token}", environ_base={"REMOTE_ADDR": remote})


def status_of(page: str) -> list[str]:
    return re.findall(r'data-status="([^"]+)"', page)


def text_of(page: str) -> str:
    """The page as read: markup gone (a status is split in two unbreakable halves)."""
    return re.sub(r"<[^>]+>", "", page)


def signed_in(app, username: str):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": "demo"}).status_code == 302
    return client


# -- what it shows ----------------------------------------------------------------------------


def test_the_page_needs_no_sign_in_starts_no_session_and_is_never_cached(app, world):
    response = scan(app, world.pit.qr_token)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_with_no_permit_at_work_the_page_says_no_entry_in_red(app, world):
    world.permit()  # a draft is no permission to enter
    page = scan(app, world.pit.qr_token).get_data(as_text=True)
    assert status_of(page) == ["none"]
    assert "无有效作业许可 — 禁止进入" in text_of(page) and 'class="status stop"' in page
    assert "1号污水处理池" in page and "WS-01" in page
    assert "硫化氢中毒" in page and "缺氧窒息" in page


def test_while_work_is_in_progress_the_page_is_green_with_permit_attendant_test_and_headcount(
    app, world
):
    permit = world.working()
    world.fire(permit, "check_in", person=world.entrant.id)
    test = permit.latest_gas_test
    page = scan(app, world.pit.qr_token).get_data(as_text=True)
    assert status_of(page) == ["working"]
    assert "作业中" in page and 'class="status go"' in page
    assert permit.number in page and "孙监护" in page
    assert test.tested_at.astimezone(local_zone()).strftime("%H:%M") in page and "✓ 合格" in page
    assert re.search(r"data-headcount>1<", page)


def test_a_stale_gas_test_is_flagged_on_the_green_page(app, world):
    world.working()
    world.clock.advance(minutes=45)
    page = scan(app, world.pit.qr_token).get_data(as_text=True)
    assert status_of(page) == ["working"] and "已超时，请重新检测" in page


@pytest.mark.parametrize(
    ("event", "data", "status", "words"),
    [
        ("evacuate", {}, "suspended", "作业暂停 — 禁止进入"),
        ("report_accident", {}, "emergency", "应急处置 — 禁止进入"),
    ],
)
def test_a_suspended_or_emergency_permit_turns_the_page_red(app, world, event, data, status, words):
    permit = world.working()
    world.fire(permit, event, **data)
    page = scan(app, world.pit.qr_token).get_data(as_text=True)
    assert status_of(page) == [status] and words in text_of(page)
    assert 'class="status stop"' in page
    assert permit.number in page


def test_after_the_permit_is_closed_the_page_says_no_entry_again(app, world):
    permit = world.working()
    world.fire(permit, "finish")
    world.fire(permit, "close")
    assert permit.state == "closed"
    page = scan(app, world.pit.qr_token).get_data(as_text=True)
    assert status_of(page) == ["none"] and permit.number not in page


def test_two_permits_at_work_in_one_space_are_both_shown(app, world):
    first = world.working()
    second = world.working(entrants=[world.entrant2], rescuers=[])
    page = scan(app, world.pit.qr_token).get_data(as_text=True)
    assert status_of(page) == ["working", "working"]
    assert first.number in page and second.number in page


def test_the_page_is_in_english_on_request(app, world):
    world.working()
    client = app.test_client()
    client.get("/lang/en")
    page = scan(app, world.pit.qr_token, client=client).get_data(as_text=True)
    assert "Work in progress" in text_of(page) and "Hydrogen sulphide poisoning" in page


def test_anyone_sees_nothing_private(app, world):
    for person, phone in ((world.attendant, "13912345678"), (world.entrant, "13700001111")):
        person.phone = phone
    world.pit.control_measures = ["作业前强制通风30分钟"]
    world.session.commit()
    permit = world.working(purpose="清理池底淤泥（内部计划 X-17）")
    world.fire(permit, "check_in", person=world.entrant.id)
    page = scan(app, world.pit.qr_token).get_data(as_text=True)
    private = [
        "13912345678",  # people's phone numbers
        "13700001111",
        "attendant",  # usernames
        "principal",
        "requester",
        "贮糖罐",  # another space
        "TK-01",
        "内部计划 X-17",  # the permit's purpose
        "周作业",  # who is inside: a count, not names
        "吴作业",
        "钱工",  # the requester
        "王主任",  # the approver
        "示例食品有限公司",  # the enterprise
        "D-01",  # equipment
        "mg/m",  # readings
        "作业前强制通风30分钟",  # the ledger's controls (the printed sign carries them)
    ]
    leaked = [p for p in private if p in page]
    assert not leaked, leaked
    assert "孙监护" in page  # the attendant, by name only
    assert "/spaces/" not in page and "/permits/" not in page


def test_the_emergency_phone_of_the_sign_is_one_tap_away(app, world):
    page = scan(app, world.pit.qr_token).get_data(as_text=True)
    assert 'href="tel:0571-12345678"' in page


# -- signed in ---------------------------------------------------------------------------------


def test_staff_of_the_enterprise_get_links_to_the_ledger_entry_and_the_live_permit(app, world):
    permit = world.working()
    page = scan(app, world.pit.qr_token, client=signed_in(app, "entrant")).get_data(as_text=True)
    assert 'href="/spaces/WS-01"' in page
    assert f'href="/permits/{permit.number}"' in page


def test_people_of_another_enterprise_get_no_links(app, world, clock):
    world.working()
    other = registers.create_enterprise(
        world.session, code="QY2", name="别家", industry="light", clock=clock
    )
    world.person("别家主任", ["principal"], username="boss2", enterprise=other)
    world.session.commit()
    page = scan(app, world.pit.qr_token, client=signed_in(app, "boss2")).get_data(as_text=True)
    assert "/spaces/" not in page and "/permits/" not in page
    assert status_of(page) == ["working"]


def test_a_contractor_gets_a_link_to_its_own_permit_only(app, world, clock):
    company = registers.add_contractor(world.session, world.enterprise, name="承包商", clock=clock)
    world.person("承包负责人", ["contractor"], username="firm", contractor=company)
    world.session.commit()
    ours = world.working()
    ours.contractor_id = company.id
    world.session.commit()
    theirs = world.working(entrants=[world.entrant2], rescuers=[])
    page = scan(app, world.pit.qr_token, client=signed_in(app, "firm")).get_data(as_text=True)
    assert f'href="/permits/{ours.number}"' in page
    assert f'href="/permits/{theirs.number}"' not in page and "/spaces/" not in page


# -- tokens that open nothing, and the throttle ------------------------------------------------


def test_unknown_replaced_and_retired_tokens_get_the_same_404_byte_for_byte(app, world):
    replaced = world.pit.qr_token
    signs.reissue(world.session, world.pit, actor=world.principal, clock=world.clock)
    retired = world.tank.qr_token
    registers.retire_space(world.session, world.tank, clock=world.clock)
    world.session.commit()
    answers = [
        scan(app, token)
        for token in (replaced, "Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4", retired, "short", "a" * 200)
    ]
    assert {r.status_code for r in answers} == {404}
    bodies = {r.data for r in answers}
    assert len(bodies) == 1
    body = bodies.pop().decode()
    assert "此标志已更换" in body and "WS-01" not in body and "1号污水处理池" not in body
    assert all(r.headers["Cache-Control"] == "no-store" for r in answers)
    assert all("Set-Cookie" not in r.headers for r in answers)
    assert scan(app, world.pit.qr_token).status_code == 200  # the new sign works


def test_a_client_walking_through_tokens_is_refused_every_scan_for_a_while(make_app, world, clock):
    app = make_app(CLOCK=clock, SCAN_MISS_LIMIT=5, SCAN_MISS_WINDOW_SECONDS=600)
    walker, neighbour = "203.0.113.9", "203.0.113.10"
    for i in range(5):
        assert scan(app, f"guess{i:011d}xxxxxxxx", remote=walker).status_code == 404
    # Refused even for a real token: a 200 among the 429s would tell the walker a hit.
    refused = scan(app, world.pit.qr_token, remote=walker)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "600"
    assert "WS-01" not in refused.get_data(as_text=True)
    assert scan(app, world.pit.qr_token, remote=neighbour).status_code == 200
    clock.advance(minutes=11)
    assert scan(app, world.pit.qr_token, remote=walker).status_code == 200


def test_scanning_a_valid_sign_writes_nothing(app, world):
    world.working()
    before = row_counts(world.session)
    for _ in range(30):
        assert scan(app, world.pit.qr_token).status_code == 200
    assert row_counts(world.session) == before


def test_a_miss_is_recorded_against_the_client(app, world):
    before = row_counts(world.session)
    scan(app, "no-such-token-0000000000", remote="192.0.2.44")
    after = row_counts(world.session)
    assert after["scan_misses"] == before["scan_misses"] + 1
    assert {k: v for k, v in after.items() if k != "scan_misses"} == {
        k: v for k, v in before.items() if k != "scan_misses"
    }


def test_a_connection_the_database_dropped_costs_the_scanner_nothing(app, world, engine):
    """The scan page's pool skips the ping before each checkout: when the server drops its
    connections (a restart, a failover), the next scan still answers, on a fresh one."""
    if engine.dialect.name != "postgresql":
        pytest.skip("only a database server drops connections")
    world.working()
    assert status_of(scan(app, world.pit.qr_token).get_data(as_text=True)) == ["working"]
    with engine.connect() as conn:
        dropped = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND state = 'idle'"
            )
        ).scalar()
    assert dropped >= 1  # the scan page's pooled connection among them
    response = scan(app, world.pit.qr_token)
    assert response.status_code == 200
    assert status_of(response.get_data(as_text=True)) == ["working"]


def test_the_prepared_read_answers_exactly_as_sqlalchemy_would(app, world, engine, clock):
    """The scan's statement runs on the driver's cursor with the types' own processors: the
    rows must be what SQLAlchemy itself returns, dates, flags and lists included."""
    from datetime import timedelta

    from permit import scan as scanning

    permit = world.working()
    world.fire(permit, "check_in", person=world.entrant.id)
    params = {
        "remote": "198.51.100.7",
        "since": clock.now() - timedelta(minutes=10),
        "token": world.pit.qr_token,
        "day": clock.now().date(),
    }
    with engine.connect() as conn:
        fast = scanning._prepared(conn).all(conn, params)
        slow = conn.execute(scanning._SCAN, params).all()
    assert [tuple(r) for r in fast] == [tuple(r) for r in slow]
    assert fast[0].number == permit.number and fast[0].headcount == 1
    assert fast[0].tested_at.tzinfo is not None and fast[0].passed is True
