"""The JSON API: tokens, scoping, problem+json, every endpoint with every role's token."""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from permit import demo, registers
from permit.models import ApiToken, AuditEntry, FindingPhoto, Inspection, Permit, User

from .api_client import Api, is_problem, reading
from .factories import START_WORK_ITEMS
from .helpers import row_counts


@pytest.fixture
def app(make_app, world, clock):
    return make_app(CLOCK=clock)  # CSRF on, as in production: the API needs none


@pytest.fixture
def admin(world):
    user = world.person("管理员", ["admin"], username="admin", trained=False)
    world.session.commit()
    return user


def window(clock) -> dict[str, str]:
    return {
        "window_start": (clock.now() + timedelta(minutes=10)).isoformat(),
        "window_end": (clock.now() + timedelta(hours=6)).isoformat(),
    }


# -- tokens -------------------------------------------------------------------------------


def test_a_token_has_256_random_bits_and_only_its_hash_is_stored(app, world):
    answer = Api(app).post("/tokens", {"username": "attendant", "password": "demo"})
    assert answer.status_code == 201 and answer.headers["Cache-Control"] == "no-store"
    body = answer.get_json()
    secret = body["token"]
    assert secret.startswith("ptw_")
    raw = base64.urlsafe_b64decode(secret[4:] + "=" * (-len(secret[4:]) % 4))
    assert len(raw) * 8 >= 256
    assert body["kind"] == "user" and body["user"]["name"] == world.attendant.name
    world.session.expire_all()
    row = world.session.get(ApiToken, body["id"])
    assert row.digest == hashlib.sha256(secret.encode()).hexdigest()
    stored = " ".join(str(getattr(row, c.name)) for c in ApiToken.__table__.columns)
    assert secret not in stored and secret[4:] not in stored
    issued = world.session.scalars(
        select(AuditEntry).where(AuditEntry.subject_type == "api_tokens")
    ).all()
    assert [e.event for e in issued] == ["issue"] and secret not in str(issued[0].data)


def test_a_wrong_password_is_a_401_problem_with_a_bearer_challenge(app):
    answer = Api(app, lang="en").post("/tokens", {"username": "attendant", "password": "nope"})
    body = is_problem(answer, 401)
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert body["reasons"][0]["message"] == "Wrong username or password"


def test_signing_in_for_tokens_is_throttled_like_the_web_form(app, clock):
    api = Api(app)
    for _ in range(5):
        api.post("/tokens", {"username": "attendant", "password": "guess"})
    locked = api.post("/tokens", {"username": "attendant", "password": "demo"})
    body = is_problem(locked, 429)
    assert int(locked.headers["Retry-After"]) > 0 and body["reasons"][0]["rule"] == "throttled"
    clock.advance(minutes=16)
    assert api.post("/tokens", {"username": "attendant", "password": "demo"}).status_code == 201


@pytest.mark.parametrize(
    "body", [None, [], {"username": "attendant"}, {"username": 1, "password": 2}]
)
def test_a_sign_in_without_both_fields_is_a_422(app, body):
    is_problem(Api(app).post("/tokens", body), 422)


def test_without_a_valid_bearer_token_every_call_is_a_401(app, world):
    permit = world.permit()
    for token in (None, "ptw_not-a-token", "not even the prefix"):
        api = Api(app, token)
        for answer in (
            api.get("/permits"),
            api.get(f"/permits/{permit.number}"),
            api.fire(permit.number, "submit"),
        ):
            is_problem(answer, 401)
            assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    basic = Api(app).get("/permits", headers={"Authorization": "Basic YXR0ZW5kYW50OmRlbW8="})
    is_problem(basic, 401)


def test_a_session_cookie_does_not_authenticate_the_api(app, world, clock):
    permit = world.working()
    client = app.test_client()
    login = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
    signed = client.post(
        "/login", data={"username": "attendant", "password": "demo", "csrf_token": csrf}
    )
    assert signed.status_code == 302
    assert client.get(f"/permits/{permit.number}").status_code == 200  # the web: signed in
    before = row_counts(world.session)
    answer = client.post(
        f"/api/v1/permits/{permit.number}/readings",
        json={"readings": [reading(clock, value=15.0)]},
        headers={"X-CSRFToken": csrf},
    )
    is_problem(answer, 401)
    is_problem(client.post(f"/api/v1/permits/{permit.number}/events/evacuate", json={}), 401)
    is_problem(client.get("/api/v1/permits"), 401)
    world.session.expire_all()
    assert row_counts(world.session) == before and permit.state == "working"


def test_revoked_and_expired_tokens_stop_working(app, world, clock):
    api = Api.signed_in(app, "attendant")
    mine = api.get("/tokens").get_json()["tokens"]
    assert len(mine) == 1 and mine[0]["revoked_at"] is None
    revoked = api.post(f"/tokens/{mine[0]['id']}/revoke")
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"]
    is_problem(api.get("/permits"), 401)
    world.session.expire_all()
    assert world.session.get(ApiToken, mine[0]["id"]) is not None  # revoked, not deleted

    later = Api.signed_in(app, "attendant")
    assert later.get("/permits").status_code == 200
    clock.advance(hours=12, seconds=1)  # a person's token lasts a shift
    is_problem(later.get("/permits"), 401)


def test_an_admin_revokes_the_tokens_of_the_enterprise_and_nobody_else_can(app, world, admin):
    attendant = Api.signed_in(app, "attendant")
    entrant = Api.signed_in(app, "entrant")
    token_id = attendant.get("/tokens").get_json()["tokens"][0]["id"]
    assert [t["id"] for t in entrant.get("/tokens").get_json()["tokens"]] != [token_id]
    is_problem(entrant.post(f"/tokens/{token_id}/revoke"), 404)
    assert attendant.get("/permits").status_code == 200
    boss = Api.signed_in(app, "admin")
    assert token_id in [t["id"] for t in boss.get("/tokens").get_json()["tokens"]]
    assert boss.post(f"/tokens/{token_id}/revoke").status_code == 200
    is_problem(attendant.get("/permits"), 401)
    is_problem(boss.post("/tokens/999999/revoke"), 404)


# -- device tokens ---------------------------------------------------------------------------


def test_only_an_admin_issues_device_tokens_for_a_detector_of_the_enterprise(app, world, admin):
    boss = Api.signed_in(app, "admin")
    issued = boss.post("/devices", {"serial": "D-01", "label": "井口网关"})
    assert issued.status_code == 201
    body = issued.get_json()
    assert body["kind"] == "device" and body["detector"] == "D-01" and body["token"]
    body = is_problem(boss.post("/devices", {"serial": "F-01"}), 422)  # a fan is no detector
    assert body["reasons"][0]["rule"] == "no_detector"
    is_problem(boss.post("/devices", {"serial": "NOPE"}), 422)
    for username in ("attendant", "principal"):
        is_problem(Api.signed_in(app, username).post("/devices", {"serial": "D-01"}), 404)


def test_a_device_token_sends_readings_for_its_detectors_permits_and_sees_nothing_else(
    app, world, admin, clock
):
    other = registers.add_equipment(
        world.session, world.enterprise, kind="gas_detector", serial="D-09", name="备用检测仪",
        gases=["o2", "lel", "h2s", "co"], pump_suction=True,
        due_on=world.today + timedelta(days=90), clock=clock,
    )
    ours = world.working()
    elsewhere = world.drive(
        world.permit(equipment=[other, world.fan, world.scba, world.harness]), "ventilating"
    )
    world.fire(elsewhere, "record_gas_test", detector=other.id)
    world.fire(elsewhere, "start_work")
    token = Api.signed_in(app, "admin").post("/devices", {"serial": "D-01"}).get_json()["token"]
    device = Api(app, token)
    sent = device.readings(ours.number, [{k: v for k, v in reading(clock).items()
                                          if k != "detector"}])
    assert sent.status_code == 201 and sent.get_json()["stored"] == 1
    is_problem(device.readings(elsewhere.number, [reading(clock)]), 404)
    body = is_problem(device.readings(ours.number, [reading(clock, detector="D-09")]), 422)
    assert body["reasons"][0]["rule"] == "detector_usable"
    for answer in (
        device.get("/permits"),
        device.get(f"/permits/{ours.number}"),
        device.get("/spaces"),
        device.get("/tokens"),
        device.fire(ours.number, "evacuate"),
        device.post("/permits", {"space": "WS-01"}),
    ):
        is_problem(answer, 404)
    assert world.session.scalar(select(Permit.state).where(Permit.id == ours.id)) == "working"


def test_a_device_token_of_another_enterprise_finds_no_permit_here(app, world, clock):
    other = registers.create_enterprise(
        world.session, code="QY9", name="别家", industry="light", clock=clock
    )
    theirs = registers.add_equipment(
        world.session, other, kind="gas_detector", serial="D-01", name="同号检测仪",
        gases=["o2", "h2s"], due_on=world.today + timedelta(days=90), clock=clock,
    )
    world.person("别家管理员", ["admin"], username="other-admin", enterprise=other)
    permit = world.working()
    token = Api.signed_in(app, "other-admin").post("/devices", {"serial": "D-01"})
    assert token.get_json()["detector"] == theirs.serial
    device = Api(app, token.get_json()["token"])
    is_problem(device.readings(permit.number, [reading(clock)]), 404)


# -- problems -----------------------------------------------------------------------------


def test_refusals_are_problems_with_reasons_and_articles_in_the_callers_language(app, world):
    permit = world.drive(world.permit(), "pending_approval")  # major: principal or deputy
    zh = Api.signed_in(app, "approver")
    body = is_problem(zh.fire(permit.number, "approve", {"password": "demo"}), 409)
    assert body["type"].endswith(":blocked") and body["title"] == "规则不允许此操作"
    assert body["reasons"][0]["rule"] == "by_tier_approver"
    assert body["reasons"][0]["cite"] == "003 第十一条" and "主要负责人" in body["detail"]
    zh.lang = "en"
    body = is_problem(zh.fire(permit.number, "approve", {"password": "demo"}), 409)
    assert body["title"] == "Refused by the rules" and "must be approved by" in body["detail"]
    assert zh.get("/nowhere").mimetype == "application/problem+json"
    is_problem(zh.client.delete(f"/api/v1/permits/{permit.number}", headers=zh.headers()), 405)


def test_malformed_bodies_are_422_problems_and_change_nothing(app, world):
    permit = world.working()
    api = Api.signed_in(app, "attendant")
    before = row_counts(world.session)
    not_json = api.client.post(
        f"/api/v1/permits/{permit.number}/events/check_in",
        data="person=1",
        headers={**api.headers(), "Content-Type": "application/x-www-form-urlencoded"},
    )
    is_problem(not_json, 422)
    is_problem(api.fire(permit.number, "check_in", {"person": {"id": 1}}), 422)
    is_problem(api.fire(permit.number, "check_in", {"person": world.entrant.id, "version": "x"}),
               422)
    is_problem(api.fire(permit.number, "brief", {"confirmed": "all"}), 422)
    body = is_problem(api.fire(permit.number, "teleport"), 422)
    assert body["reasons"][0]["rule"] == "unknown_event"
    world.session.expire_all()
    assert row_counts(world.session) == before


# -- permits -------------------------------------------------------------------------------


def test_a_permit_runs_from_request_to_close_through_the_api(app, world, clock):
    requester = Api.signed_in(app, "requester")
    created = requester.post(
        "/permits",
        {
            "space": "WS-01",
            "task_type": "cleaning",
            "purpose": "清淤",
            "attendant": world.attendant.id,
            "entrants": [world.entrant.id, world.entrant2.id],
            "rescuers": [world.rescuer.id],
            "equipment": ["D-01", "F-01", "R-01", "H-01"],
            **window(clock),
        },
    )
    assert created.status_code == 201, created.get_json()
    permit = created.get_json()
    number = permit["number"]
    assert permit["state"] == "draft" and permit["hazards"] == ["h2s", "o2_deficiency"]
    assert [e["event"] for e in permit["events"] if e["ready"]] == ["submit", "cancel"]
    clock.advance(minutes=15)
    principal = Api.signed_in(app, "principal")
    attendant = Api.signed_in(app, "attendant")

    def fire(api, event, body=None, state=None):
        clock.advance(minutes=1)
        answer = api.fire(number, event, body)
        assert answer.status_code == 200, answer.get_json()
        if state:
            assert answer.get_json()["state"] == state
        return answer.get_json()

    fire(requester, "submit", state="pending_approval")
    fire(principal, "approve", {"password": "demo"}, "approved")
    fire(attendant, "release_isolation", {"isolation": "入口锁已打开"}, "isolation_released")
    briefing = {"acknowledged": [world.entrant.id, world.entrant2.id],
                "confirmed": ["作业前强制通风30分钟", "持续检测硫化氢浓度"]}
    fire(attendant, "brief", briefing, "briefed")
    fire(attendant, "start_ventilation", state="ventilating")
    readings = [{"gas": g, "point": p, "value": v, "unit": u}
                for g, v, u in (("o2", 20.9, "%vol"), ("h2s", 0.5, "mg/m3"))
                for p in ("upper", "middle", "lower")]
    tested = fire(attendant, "record_gas_test", {"detector": "D-01", "readings": readings})
    assert tested["state"] == "tested" and tested["outcomes"] == {"gas_test_passed": True}
    fire(attendant, "start_work", {"confirmed": START_WORK_ITEMS}, "working")
    fire(attendant, "check_in", {"person": world.entrant.id}, "working")
    detail = attendant.get(f"/permits/{number}").get_json()
    assert detail["headcount"] == 1 and detail["inside"] == [
        {"id": world.entrant.id, "name": world.entrant.name}
    ]
    fire(attendant, "check_out", {"person": world.entrant.id}, "working")
    fire(attendant, "finish", {"confirmed": ["people_out", "tools_out", "entrance_closed",
                                             "isolation_restored"]}, "closing")
    closed = fire(principal, "close", state="closed")
    assert closed["state_label"] == {"zh": "已关闭", "en": "Closed"}


def test_a_stale_version_is_a_409_conflict_and_changes_nothing(app, world):
    permit = world.working()
    api = Api.signed_in(app, "attendant")
    before = row_counts(world.session)
    body = is_problem(
        api.fire(permit.number, "check_in",
                 {"person": world.entrant.id, "version": permit.version - 1}), 409
    )
    assert body["type"].endswith(":conflict") and body["reasons"][0]["rule"] == "conflict"
    world.session.expire_all()
    assert row_counts(world.session) == before
    fresh = api.fire(permit.number, "check_in",
                     {"person": world.entrant.id, "version": permit.version})
    assert fresh.status_code == 200 and fresh.get_json()["version"] == permit.version + 1


def test_of_two_concurrent_events_on_one_permit_one_wins_and_one_is_a_409(app, world):
    permit = world.working()
    version = permit.version
    attendant = Api.signed_in(app, "attendant")
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def send(event: str, body: dict) -> None:
        api = Api(app, attendant.token)
        barrier.wait()
        answer = api.fire(permit.number, event, {**body, "version": version})
        statuses.append(answer.status_code)

    threads = [
        threading.Thread(target=send, args=("check_in", {"person": world.entrant.id})),
        threading.Thread(target=send, args=("suspend", {"reason": "天气"})),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 409]
    world.session.expire_all()
    fresh = world.session.get(Permit, permit.id)
    assert fresh.version == version + 1
    assert not (fresh.state == "suspended" and fresh.headcount == 1)


def test_the_permit_lists_the_callers_events_with_what_blocks_them(app, world):
    permit = world.drive(world.permit(), "pending_approval")  # major-risk work
    approver = Api.signed_in(app, "approver").get(f"/permits/{permit.number}").get_json()
    approve = next(e for e in approver["events"] if e["event"] == "approve")
    assert not approve["ready"] and approve["reasons"][0]["rule"] == "by_tier_approver"
    assert approve["reasons"][0]["cite"] == "003 第十一条"
    principal = Api.signed_in(app, "principal").get(f"/permits/{permit.number}").get_json()
    approve = next(e for e in principal["events"] if e["event"] == "approve")
    assert approve["ready"] and approve["requires"] == ["password"]
    entrant = Api.signed_in(app, "entrant").get(f"/permits/{permit.number}").get_json()
    assert [e["event"] for e in entrant["events"]] == ["approve", "reject"]  # why, not his


def test_permits_are_filtered_by_state_space_and_mine(app, world):
    draft = world.permit(space=world.tank, attendant=world.approver)
    working = world.working()
    api = Api.signed_in(app, "attendant")

    def numbers(query: str) -> list[str]:
        answer = api.get(f"/permits{query}")
        assert answer.status_code == 200
        return [p["number"] for p in answer.get_json()["permits"]]

    assert numbers("") == [working.number, draft.number]
    assert numbers("?state=working") == [working.number]
    assert numbers("?space=TK-01") == [draft.number]
    assert numbers("?mine=true") == [working.number]
    assert numbers("?mine=false&limit=1") == [working.number]
    for bad in ("?state=flying", "?mine=perhaps", "?limit=0", "?limit=many"):
        is_problem(api.get(f"/permits{bad}"), 422)


def test_requesting_a_permit_checks_it_as_the_form_does(app, world, clock):
    requester, entrant = Api.signed_in(app, "requester"), Api.signed_in(app, "entrant")
    before = row_counts(world.session)
    body = is_problem(requester.post("/permits", {"space": "NOPE"}), 422)
    assert {r["rule"] for r in body["reasons"]} >= {"space", "window", "task_type"}
    pit = {"space": "WS-01", "task_type": "cleaning", **window(clock)}
    is_problem(requester.post("/permits", {**pit, "equipment": ["X-99"]}), 422)
    is_problem(requester.post("/permits", {**pit, "entrants": ["周作业"]}), 422)
    is_problem(requester.post("/permits", {**pit, "window_end": "tomorrow"}), 422)
    is_problem(requester.post("/permits", {**pit, "window_end": "2026-11-23T18:00:00"}), 422)
    is_problem(entrant.post("/permits", pit), 404)
    world.session.expire_all()
    assert row_counts(world.session) == before
    assert requester.post("/permits", pit).status_code == 201


def test_spaces_and_people_are_the_enterprises_own(app, world, clock):
    permit = world.working()
    api = Api.signed_in(app, "attendant")
    spaces = api.get("/spaces").get_json()["spaces"]
    assert [s["code"] for s in spaces] == ["TK-01", "WS-01"]
    pit = api.get("/spaces/WS-01").get_json()
    assert pit["hazards"][0] == {"key": "h2s", "label": {"zh": "硫化氢中毒",
                                                          "en": "Hydrogen sulphide poisoning"}}
    assert [p["number"] for p in pit["open_permits"]] == [permit.number]
    is_problem(api.get("/spaces/NOPE"), 404)
    people = api.get("/people").get_json()["people"]
    assert {"id": world.entrant.id, "name": world.entrant.name, "roles": ["entrant"],
            "contractor": False} in people


def test_another_enterprises_people_get_404s_and_empty_lists(app, world, clock):
    permit = world.working()
    other = registers.create_enterprise(
        world.session, code="QY2", name="别家", industry="light", clock=clock
    )
    world.person("别家负责人", ["principal", "admin"], username="other", enterprise=other)
    world.session.commit()
    api = Api.signed_in(app, "other")
    is_problem(api.get(f"/permits/{permit.number}"), 404)
    is_problem(api.fire(permit.number, "evacuate"), 404)
    is_problem(api.readings(permit.number, [reading(clock, value=15.0)]), 404)
    is_problem(api.get("/spaces/WS-01"), 404)
    assert api.get("/permits").get_json() == {"permits": []}
    assert api.get("/spaces").get_json() == {"spaces": []}
    assert world.session.scalar(select(Permit.state).where(Permit.id == permit.id)) == "working"


def test_a_contractor_sees_only_its_companys_permits(app, world, clock):
    acme = registers.add_contractor(world.session, world.enterprise, name="安达", clock=clock)
    registers.add_agreement(
        world.session, acme, valid_from=world.today - timedelta(days=1),
        valid_to=world.today + timedelta(days=90), scope=["cleaning"], clock=clock,
    )
    world.person("安达经理", ["contractor"], username="acme", contractor=acme)
    theirs, ours = world.permit(contractor=acme), world.permit()
    api = Api.signed_in(app, "acme")
    assert [p["number"] for p in api.get("/permits").get_json()["permits"]] == [theirs.number]
    assert api.get(f"/permits/{theirs.number}").status_code == 200
    is_problem(api.get(f"/permits/{ours.number}"), 404)
    assert api.get("/spaces").get_json() == {"spaces": []}


# -- every endpoint, every role (the demo) ---------------------------------------------------

ROLES = ["principal", "deputy", "approver", "attendant", "entrant", "rescuer", "contractor",
         "admin", "expert", "regulator"]
STAFF = {"principal", "deputy", "approver", "attendant", "entrant", "rescuer", "admin"}
REQUESTERS = {"principal", "deputy", "approver", "attendant", "admin"}
CALLERS = [*ROLES, "device", "none"]


def expect(**by: int) -> dict[str, int]:
    """Status per caller: `staff`, `users` (every person), `others` (the rest) and by name."""
    table = {}
    for caller in CALLERS:
        if caller in by:
            table[caller] = by[caller]
        elif caller == "none":
            table[caller] = by.get("none", 401)
        elif caller in STAFF and "staff" in by:
            table[caller] = by["staff"]
        elif caller in ROLES and "users" in by:
            table[caller] = by["users"]
        else:
            table[caller] = by.get("others", 404)
    return table


def _jpeg() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), "orange").save(out, "JPEG")
    return out.getvalue()


DEMO_JPEG = _jpeg()


def _permit_body(numbers) -> dict:
    return {"space": "GP-01", "task_type": "inspection", "attendant": numbers["attendant_id"],
            "entrants": [numbers["entrant_id"]], "equipment": ["D-01", "F-01", "R-01", "H-01"],
            "window_start": numbers["start"], "window_end": numbers["end"]}


# endpoint → (method, path, body, expected status per caller). {own}: a draft permit of the
# demo's steelworks requested by the approver; {theirs}: its working permit, given to the
# demo contractor's company, whose gas detector D-01 the device token stands for.
API_MATRIX = {
    "api.openapi": ("GET", "/openapi.json", None, expect(users=200, device=200, none=200)),
    "api.create_token": ("POST", "/tokens", {}, expect(users=422, device=422, none=422)),
    "api.list_tokens": ("GET", "/tokens", None, expect(users=200)),
    "api.revoke_token": ("POST", "/tokens/{spare}/revoke", None,
                         expect(attendant=200, admin=200)),
    "api.create_device_token": ("POST", "/devices", {"serial": "D-03"}, expect(admin=201)),
    "api.list_spaces": ("GET", "/spaces", None, expect(users=200)),
    "api.show_space": ("GET", "/spaces/GP-01", None, expect(staff=200)),
    "api.list_people": ("GET", "/people", None, expect(users=200)),
    "api.list_permits": ("GET", "/permits", None, expect(users=200)),
    "api.create_permit": ("POST", "/permits", "permit_body",
                          expect(**{r: 201 for r in REQUESTERS})),
    "api.show_permit": ("GET", "/permits/{own}", None, expect(staff=200)),
    "api.fire_event": ("POST", "/permits/{own}/events/submit", {},
                       expect(staff=409, approver=200)),
    "api.post_readings": ("POST", "/permits/{theirs}/readings", "readings",
                          expect(staff=409, contractor=409, attendant=201, device=201)),
    # Expert visits: {visit} is the demo's, at the consultation, with the demo expert on its
    # team and the regulator its lead; its enterprise's staff see it too, read-only.
    "api.list_visits": ("GET", "/visits", None, expect(users=200)),
    "api.show_visit": ("GET", "/visits/{visit}", None,
                       expect(staff=200, expert=200, regulator=200)),
    "api.save_checkpoint": ("POST", "/visits/{visit}/checkpoints/1",
                            {"field": "result", "value": "meets"}, expect(expert=200)),
    "api.add_photo": ("POST", "/visits/{visit}/checkpoints/1/photos", "photo",
                      expect(expert=201)),
    "api.visit_photo": ("GET", "/visits/{visit}/photos/{photo}", None,
                        expect(staff=200, expert=200, regulator=200)),
    # Reaching a step is not taking it: the visit is past it, for everyone who sees it.
    "api.fire_visit_event": ("POST", "/visits/{visit}/events/start_consultation", {},
                             expect(staff=409, expert=409, regulator=409)),
    "api.show_enterprise": ("GET", "/enterprises/DEMO", None, expect(expert=200, regulator=200)),
}
# The contractor's own permit is as visible to it as to the staff.
CONTRACTED = {
    "api.show_permit (contracted)": ("GET", "/permits/{theirs}", None,
                                     expect(staff=200, contractor=200)),
}


def test_the_matrix_names_every_api_route(make_app):
    app = make_app()
    routes = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")}
    assert routes == set(API_MATRIX)


@pytest.fixture
def demo_api(make_app, sessions, clock):
    with sessions() as session:
        demo.load(session, clock)
        session.commit()
        own = session.scalars(
            select(Permit).where(Permit.contractor_id.is_(None), Permit.state == "draft")
        ).first()
        theirs = session.scalars(
            select(Permit).where(Permit.contractor_id.is_not(None), Permit.state == "working")
        ).first()
        attendant = session.scalar(select(User).where(User.username == "attendant"))
        entrant = session.scalar(select(User).where(User.username == "entrant"))
        visit = session.scalars(select(Inspection)).one()
        photo = session.scalars(select(FindingPhoto)).one()
        numbers = {
            "visit": visit.number,
            "photo": photo.id,
            "own": own.number,
            "theirs": theirs.number,
            "attendant_id": attendant.id,
            "entrant_id": entrant.id,
            "start": (clock.now() + timedelta(minutes=30)).isoformat(),
            "end": (clock.now() + timedelta(hours=4)).isoformat(),
        }
    return make_app(CLOCK=clock), numbers


def test_every_api_route_answers_every_roles_token_as_the_matrix_says(demo_api, clock):
    app, numbers = demo_api
    admin = Api.signed_in(app, "admin")
    device = admin.post("/devices", {"serial": "D-01"}).get_json()["token"]
    mismatches = []
    for caller in CALLERS:
        if caller == "device":
            api = Api(app, device)
        elif caller == "none":
            api = Api(app)
        else:
            api = Api.signed_in(app, caller)
        spare = Api.signed_in(app, "attendant").get("/tokens").get_json()["tokens"][-1]["id"]
        for endpoint, (method, path, body, wanted) in {**API_MATRIX, **CONTRACTED}.items():
            if body == "permit_body":
                body = _permit_body(numbers)
            elif body == "readings":
                body = {"readings": [reading(clock, gas="o2", value=20.9, unit="%vol")]}
            url = path.format(spare=spare, **numbers)
            if body == "photo":
                answer = api.client.post("/api/v1" + url, data=DEMO_JPEG,
                                         content_type="image/jpeg", headers=api.headers())
            else:
                answer = (api.get(url) if method == "GET" else api.post(url, body))
            if answer.status_code >= 400:
                is_problem(answer, answer.status_code)
            if answer.status_code != wanted[caller]:
                mismatches.append(
                    f"{caller} {endpoint}: got {answer.status_code}, expected {wanted[caller]}"
                    f" {answer.get_json()}"
                )
    assert not mismatches, "\n".join(mismatches)
