"""The web app through the Flask test client: sign-in, language, the requester, the desk,
the attendant's steps, the contractor, live status, and refusals that change nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from permit import registers
from permit.models import Permit

from .helpers import row_counts


@pytest.fixture
def app(make_app, world, clock):
    return make_app(WTF_CSRF_ENABLED=False, CLOCK=clock)


def signed_in(app, username: str, lang: str | None = None):
    client = app.test_client()
    if lang:
        client.get(f"/lang/{lang}")
    response = client.post("/login", data={"username": username, "password": "demo"})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def flashes(page: str) -> list[str]:
    return re.findall(r'class="flash \w+" role="alert">([^<]*)<', page)


def fire(client, permit, event: str, data: dict | None = None, version: int | None = None):
    payload = {"version": permit.version if version is None else version, **(data or {})}
    response = client.post(f"/permits/{permit.number}/events/{event}", data=payload)
    assert response.status_code == 303, response.status_code
    return client.get(response.headers["Location"]).get_data(as_text=True)


def readings_form(world, permit, **override) -> dict:
    form = {"detector": world.detector.id}
    for r in world.readings(permit, **override):
        form[f"reading:{r['gas']}:{r['point']}"] = r["value"]
        form[f"unit:{r['gas']}:{r['point']}"] = r["unit"]
    return form


# -- sign-in ------------------------------------------------------------------------------


def test_signing_in_lands_each_role_on_its_own_screen(app):
    assert signed_in(app, "attendant").get("/").headers["Location"] == "/today"
    assert signed_in(app, "principal").get("/").headers["Location"] == "/desk"


def test_a_wrong_password_is_refused_in_the_users_language(app):
    client = app.test_client()
    page = client.post("/login", data={"username": "attendant", "password": "nope"})
    assert page.status_code == 401 and "用户名或密码错误" in page.get_data(as_text=True)
    client.get("/lang/en")
    page = client.post("/login", data={"username": "attendant", "password": "nope"})
    assert "Wrong username or password" in page.get_data(as_text=True)


def test_sign_in_is_throttled_after_repeated_failures(app, clock):
    client = app.test_client()
    for _ in range(5):
        client.post("/login", data={"username": "attendant", "password": "guess"})
    locked = client.post("/login", data={"username": "attendant", "password": "demo"})
    assert locked.status_code == 401 and "次数过多" in locked.get_data(as_text=True)
    clock.advance(minutes=16)
    assert (
        client.post("/login", data={"username": "attendant", "password": "demo"}).status_code == 302
    )


def test_passwords_are_stored_as_argon2_hashes(world):
    assert world.attendant.password_hash.startswith("$argon2id$")
    assert "demo" not in world.attendant.password_hash


def test_forms_without_a_csrf_token_are_refused_and_change_nothing(make_app, world, clock):
    app = make_app(CLOCK=clock)  # CSRF on, as in production
    permit = world.permit()
    client = app.test_client()
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
    client.post("/login", data={"username": "requester", "password": "demo", "csrf_token": token})
    before = row_counts(world.session)
    response = client.post(
        f"/permits/{permit.number}/events/submit", data={"version": permit.version}
    )
    assert response.status_code == 400
    world.session.expire_all()
    assert row_counts(world.session) == before and permit.state == "draft"


def test_the_language_switch_changes_the_interface(app):
    client = signed_in(app, "requester")
    assert "作业票" in client.get("/permits").get_data(as_text=True)
    client.get("/lang/en")
    page = client.get("/permits").get_data(as_text=True)
    assert "Permits" in page and 'lang="en"' in page
    assert client.get("/lang/zh?next=//evil.example").headers["Location"] == "/"


# -- the requester --------------------------------------------------------------------------


def test_the_new_permit_form_prefills_from_the_ledger_and_disables_the_unfit(app, world):
    untrained = world.person("新员工", ["entrant"], trained=False)
    overdue = registers.add_equipment(
        world.session,
        world.enterprise,
        kind="gas_detector",
        serial="D-OLD",
        name="旧检测仪",
        gases=["o2", "h2s"],
        due_on=world.today - timedelta(days=3),
        clock=world.clock,
    )
    world.session.commit()
    page = (
        signed_in(app, "requester").get(f"/permits/new?space={world.pit.id}").get_data(as_text=True)
    )
    assert "作业前强制通风30分钟" in page  # the ledger's control measures
    assert re.search(r'value="h2s" checked', page)
    row = re.search(
        rf'value="{untrained.id}" disabled[^<]*>\s*<span>新员工<span class="why">([^<]*)', page
    )
    assert row and "无有效" in row.group(1)
    assert re.search(rf'value="{overdue.id}" disabled', page)
    assert f"自{world.today - timedelta(days=3)}起超过检定/校准有效期" in page


def test_a_requester_creates_a_permit_and_sees_what_still_blocks_it(app, world):
    client = signed_in(app, "requester")
    response = client.post(
        "/permits/new",
        data={
            "space": world.pit.id,
            "create": "1",
            "task_type": "cleaning",
            "purpose": "清淤",
            "window_start": "2026-11-23T16:10",
            "window_end": "2026-11-23T22:00",
            "hazards": ["h2s", "o2_deficiency"],
            "control_measures": "强制通风\n持续检测",
            "attendant": world.attendant.id,
            "entrants": [world.entrant.id],
            "equipment": [world.detector.id],
        },
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "第十条" in page and "机械通风设备" in page  # no fan yet: submit is blocked
    permit = world.session.query(Permit).one()
    assert permit.requester_id == world.requester.id and permit.control_measures == [
        "强制通风",
        "持续检测",
    ]


def test_a_bad_new_permit_form_is_refused_with_reasons_and_creates_nothing(app, world):
    before = row_counts(world.session)
    response = signed_in(app, "requester").post(
        "/permits/new",
        data={"space": world.pit.id, "create": "1", "task_type": "fishing", "window_start": "soon"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "请选择作业类型" in page and "请填写作业开始和结束时间" in page
    assert row_counts(world.session) == before


# -- the approver's desk ----------------------------------------------------------------------


def test_the_desk_shows_major_permits_only_to_the_principal_and_deputy(app, world):
    major = world.drive(world.permit(task_type="cleaning"), "pending_approval")
    general = world.drive(world.permit(task_type="inspection"), "pending_approval")
    principal = signed_in(app, "principal").get("/desk").get_data(as_text=True)
    approver = signed_in(app, "approver").get("/desk").get_data(as_text=True)
    assert major.number in principal and general.number in principal
    assert major.number not in approver and general.number in approver


def test_approval_is_an_e_signature_that_needs_the_password(app, world):
    permit = world.drive(world.permit(), "pending_approval")
    client = signed_in(app, "principal")
    page = fire(client, permit, "approve", {"password": "wrong"})
    assert any("第十一条" in f and "密码" in f for f in flashes(page))
    world.session.refresh(permit)
    assert permit.state == "pending_approval"
    fire(client, permit, "approve", {"password": "demo"})
    world.session.refresh(permit)
    assert permit.state == "approved"
    signature = permit.signatures[-1]
    assert (signature.user_id, signature.role, signature.tier) == (
        world.principal.id,
        "principal",
        "major",
    )


def test_a_rejection_needs_a_reason(app, world):
    permit = world.drive(world.permit(task_type="inspection"), "pending_approval")
    client = signed_in(app, "approver")
    page = fire(client, permit, "reject", {"reason": ""})
    assert any("原因" in f for f in flashes(page))
    fire(client, permit, "reject", {"reason": "风险辨识不全"})
    world.session.refresh(permit)
    assert permit.state == "draft" and permit.signatures[-1].reason == "风险辨识不全"


# -- the attendant ------------------------------------------------------------------------------


def test_the_attendant_runs_a_permit_from_release_to_close(app, world, clock):
    permit = world.drive(world.permit(), "approved")
    client = signed_in(app, "attendant")
    assert permit.number in client.get("/today").get_data(as_text=True)
    fire(client, permit, "release_isolation", {"isolation_removed": ["入口上锁", "隔离栏"]})
    world.session.refresh(permit)
    page = fire(
        client,
        permit,
        "brief",
        {"acknowledged": [u.id for u in permit.entrants], "confirmed": permit.control_measures},
    )
    world.session.refresh(permit)
    clock.advance(minutes=1)
    fire(client, permit, "start_ventilation")
    world.session.refresh(permit)
    clock.advance(minutes=1)
    page = fire(client, permit, "record_gas_test", readings_form(world, permit, h2s=15.0))
    assert any("不合格" in f for f in flashes(page))
    world.session.refresh(permit)
    assert permit.state == "ventilating"
    page = fire(client, permit, "record_gas_test", readings_form(world, permit))
    world.session.refresh(permit)
    assert permit.state == "tested"
    page = fire(
        client,
        permit,
        "start_work",
        {"confirmed": ["ppe", "rescue_equipment", "communication", "ventilation_running"]},
    )
    world.session.refresh(permit)
    assert permit.state == "working" and "evacuate-bar" in page
    fire(client, permit, "check_in", {"person": world.entrant.id})
    world.session.refresh(permit)
    live = client.get(f"/permits/{permit.number}/live.json")
    assert live.headers["Cache-Control"] == "no-store"
    assert live.json["headcount"] == 1 and live.json["state"] == "working"
    page = fire(client, permit, "evacuate")
    world.session.refresh(permit)
    assert permit.state == "suspended" and "重新检测合格前任何人不得进入" in page
    assert client.get(f"/permits/{permit.number}/live.json").json["alarm"] is True
    fire(client, permit, "check_out", {"person": world.entrant.id})
    world.session.refresh(permit)
    fire(
        client,
        permit,
        "finish",
        {"confirmed": ["people_out", "tools_out", "entrance_closed", "isolation_restored"]},
    )
    world.session.refresh(permit)
    page = fire(signed_in(app, "principal"), permit, "close")
    world.session.refresh(permit)
    assert permit.state == "closed"


def test_the_page_offers_only_the_steps_the_engine_would_accept(app, world):
    permit = world.drive(world.permit(), "approved")
    attendant = signed_in(app, "attendant").get(f"/permits/{permit.number}").get_data(as_text=True)
    entrant = signed_in(app, "entrant").get(f"/permits/{permit.number}").get_data(as_text=True)
    assert 'class="event event-release_isolation"' in attendant
    assert "event-release_isolation" not in entrant and "evacuate-bar" not in entrant


def test_a_stale_form_is_a_conflict_and_changes_nothing(app, world):
    permit = world.drive(world.permit(), "approved")
    client = signed_in(app, "attendant")
    stale = permit.version - 1
    page = fire(client, permit, "release_isolation", {"isolation": "锁"}, version=stale)
    assert any("已被他人更新" in f for f in flashes(page))
    world.session.refresh(permit)
    assert permit.state == "approved"


def test_absurd_readings_are_refused_with_reasons_and_store_nothing(app, world):
    permit = world.drive(world.permit(), "ventilating")
    before = row_counts(world.session)
    form = readings_form(world, permit)
    form["reading:o2:upper"] = "abc"
    page = fire(signed_in(app, "attendant"), permit, "record_gas_test", form)
    assert any("不是数字" in f for f in flashes(page))
    world.session.expire_all()
    assert row_counts(world.session) == before


def test_an_unknown_event_is_a_message_not_an_error_page(app, world):
    permit = world.permit()
    page = fire(signed_in(app, "requester"), permit, "teleport")
    assert any("未知操作" in f for f in flashes(page))


# -- the contractor ------------------------------------------------------------------------------


def test_a_contractor_sees_its_permits_and_its_workers_training(app, world):
    acme = registers.add_contractor(
        world.session, world.enterprise, name="安达工程", clock=world.clock
    )
    registers.add_agreement(
        world.session,
        acme,
        valid_from=world.today - timedelta(days=1),
        valid_to=world.today + timedelta(days=90),
        scope=["cleaning"],
        clock=world.clock,
    )
    boss = world.person("安达经理", ["contractor"], username="acme", contractor=acme)
    fresh = world.person("安达新工", ["entrant"], trained=False, contractor=acme)
    theirs = world.permit(contractor=acme)
    ours = world.permit()
    world.session.commit()
    client = signed_in(app, "acme")
    page = client.get("/contractor").get_data(as_text=True)
    assert theirs.number in page and ours.number not in page
    assert "安达新工" in page and "无有效" in page and boss.name
    assert client.get(f"/permits/{ours.number}").status_code == 404
    assert client.get(f"/permits/{theirs.number}").status_code == 200
    assert fresh.contractor_id == acme.id
