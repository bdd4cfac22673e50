"""Idempotency keys: a retry over a bad mobile link records exactly once and gets the first
answer; the same key with another request is refused; concurrent retries record once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from permit.models import AuditEntry, IdempotencyKey, Permit, Reading

from .api_client import Api, is_problem, reading
from .helpers import row_counts


@pytest.fixture
def app(make_app, world, clock):
    return make_app(CLOCK=clock)


def count(world, model) -> int:
    world.session.expire_all()
    return world.session.scalar(select(func.count()).select_from(model))


def monitored(world) -> int:
    """Readings sent during work (not those of gas tests)."""
    world.session.expire_all()
    return world.session.scalar(
        select(func.count()).select_from(Reading).where(Reading.batch_id.is_not(None))
    )


def test_a_retried_batch_of_readings_is_stored_once_and_answered_alike(app, world, clock):
    permit = world.working()
    api = Api.signed_in(app, "attendant")
    batch = [reading(clock, value=0.4), reading(clock, gas="o2", value=20.9, unit="%vol")]
    first = api.readings(permit.number, batch, headers={"Idempotency-Key": "batch-1"})
    assert first.status_code == 201
    before = row_counts(world.session)
    again = api.readings(permit.number, batch, headers={"Idempotency-Key": "batch-1"})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    world.session.expire_all()
    assert row_counts(world.session) == before
    assert monitored(world) == 2


def test_a_retried_event_is_recorded_once_and_answered_alike(app, world):
    permit = world.working()
    api = Api.signed_in(app, "attendant")
    key = {"Idempotency-Key": "check-in-1"}
    first = api.fire(permit.number, "check_in", {"person": world.entrant.id}, headers=key)
    assert first.status_code == 200
    again = api.fire(permit.number, "check_in", {"person": world.entrant.id}, headers=key)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    world.session.expire_all()
    assert world.session.get(Permit, permit.id).headcount == 1
    checked_in = world.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.event == "check_in")
    )
    assert checked_in == 1
    without_key = api.fire(permit.number, "check_in", {"person": world.entrant.id})
    assert without_key.status_code == 409  # a second, unkeyed try is a new request


def test_an_alarm_retried_is_raised_once(app, world, clock):
    permit = world.working()
    api = Api.signed_in(app, "attendant")
    batch = [reading(clock, value=15.0)]
    for _ in range(3):
        answer = api.readings(permit.number, batch, headers={"Idempotency-Key": "spike"})
        assert answer.get_json()["suspended"] is True and answer.get_json()["state"] == "suspended"
    alarms = world.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.event == "alarm")
    )
    assert alarms == 1


def test_a_retried_request_for_a_permit_creates_one_permit(app, world, clock):
    api = Api.signed_in(app, "requester")
    body = {"space": "TK-01", "task_type": "inspection",
            "window_start": (clock.now() + timedelta(hours=1)).isoformat(),
            "window_end": (clock.now() + timedelta(hours=3)).isoformat()}
    first = api.post("/permits", body, headers={"Idempotency-Key": "new-tank-permit"})
    again = api.post("/permits", body, headers={"Idempotency-Key": "new-tank-permit"})
    assert first.status_code == again.status_code == 201
    assert first.get_json()["number"] == again.get_json()["number"]
    assert count(world, Permit) == 1


def test_the_same_key_with_another_request_is_refused_and_stores_nothing(app, world, clock):
    permit = world.working()
    api = Api.signed_in(app, "attendant")
    api.readings(permit.number, [reading(clock, value=0.4)], headers={"Idempotency-Key": "k"})
    before = row_counts(world.session)
    body = is_problem(
        api.readings(permit.number, [reading(clock, value=0.5)], headers={"Idempotency-Key": "k"}),
        422,
    )
    assert body["reasons"][0]["rule"] == "idempotency_key_reused"
    is_problem(api.fire(permit.number, "suspend", {"reason": "x"},
                        headers={"Idempotency-Key": "k"}), 422)
    world.session.expire_all()
    assert row_counts(world.session) == before


def test_keys_belong_to_one_person(app, world, clock):
    permit = world.drive(world.permit(), "pending_approval")
    principal = Api.signed_in(app, "principal")
    requester = Api.signed_in(app, "requester")
    first = requester.get("/permits")  # unkeyed reads are never stored
    assert first.status_code == 200
    answer = principal.fire(permit.number, "approve", {"password": "demo"},
                            headers={"Idempotency-Key": "shared"})
    assert answer.status_code == 200
    other = requester.fire(permit.number, "cancel", {"reason": "计划变更"},
                           headers={"Idempotency-Key": "shared"})
    assert other.status_code == 200 and other.get_json()["state"] == "cancelled"
    owners = world.session.scalars(select(IdempotencyKey.owner).order_by(IdempotencyKey.id))
    assert list(owners) == [f"user:{world.principal.id}", f"user:{world.requester.id}"]


def test_a_new_sign_in_keeps_the_persons_keys(app, world, clock):
    permit = world.working()
    batch = [reading(clock, value=0.4)]
    first = Api.signed_in(app, "attendant").readings(
        permit.number, batch, headers={"Idempotency-Key": "after-new-login"}
    )
    again = Api.signed_in(app, "attendant").readings(
        permit.number, batch, headers={"Idempotency-Key": "after-new-login"}
    )
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json() == first.get_json() and monitored(world) == 1


def test_a_refusal_is_not_kept_so_a_retry_is_judged_afresh(app, world):
    permit = world.working()
    api = Api.signed_in(app, "attendant")
    key = {"Idempotency-Key": "stale-then-fresh"}
    stale = api.fire(permit.number, "check_in",
                     {"person": world.entrant.id, "version": permit.version - 1}, headers=key)
    is_problem(stale, 409)
    assert count(world, IdempotencyKey) == 0
    fresh = api.fire(permit.number, "check_in",
                     {"person": world.entrant.id, "version": permit.version - 1}, headers=key)
    is_problem(fresh, 409)


@pytest.mark.parametrize("key", ["", "has space", "x" * 201, "中文"])
def test_a_malformed_key_is_refused(app, world, clock, key):
    permit = world.working()
    api = Api.signed_in(app, "attendant")
    before = row_counts(world.session)
    answer = api.readings(permit.number, [reading(clock)], headers={"Idempotency-Key": key})
    is_problem(answer, 422)
    world.session.expire_all()
    assert row_counts(world.session) == before


def test_concurrent_retries_with_one_key_record_once_and_agree(app, world, clock):
    permit = world.working()
    token = Api.signed_in(app, "attendant").token
    batch = [reading(clock, value=0.4), reading(clock, value=15.0)]
    barrier = threading.Barrier(3)
    answers: list = []

    def send() -> None:
        api = Api(app, token)
        barrier.wait()
        answer = api.readings(permit.number, batch, headers={"Idempotency-Key": "race"})
        answers.append((answer.status_code, answer.get_json()))

    threads = [threading.Thread(target=send) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [status for status, _ in answers] == [201, 201, 201]
    assert answers[0][1] == answers[1][1] == answers[2][1]
    assert monitored(world) == 2
    alarms = world.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.event == "alarm")
    )
    assert alarms == 1
