"""Optimistic locking: of two simultaneous events on one permit exactly one wins."""

from __future__ import annotations

import threading

import pytest

from permit import engine
from permit.errors import Conflict
from permit.models import Permit


def test_a_stale_version_is_a_conflict(world):
    permit = world.drive(world.permit(), "approved")
    with pytest.raises(Conflict, match="changed meanwhile"):
        engine.apply(
            world.session,
            permit,
            "release_isolation",
            world.attendant,
            {"isolation": "锁已开"},
            clock=world.clock,
            expected_version=permit.version - 1,
        )


def test_of_two_simultaneous_events_exactly_one_wins(world, sessions):
    permit = world.working()
    world.session.commit()
    barrier = threading.Barrier(2)
    results: list[str] = []

    def attendant_action(event: str, data: dict) -> None:
        with sessions() as session:
            mine = session.get(Permit, permit.id)
            actor = session.get(type(world.attendant), world.attendant.id)
            _ = (mine.people, mine.entries, mine.gas_tests, mine.equipment_rows)
            barrier.wait()
            try:
                engine.apply(session, mine, event, actor, data, clock=world.clock)
                session.commit()
                results.append("won")
            except Conflict:
                session.rollback()
                results.append("conflict")

    threads = [
        threading.Thread(target=attendant_action, args=("check_in", {"person": world.entrant.id})),
        threading.Thread(target=attendant_action, args=("suspend", {"reason": "天气"})),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict", "won"]
    world.session.expire_all()
    fresh = world.session.get(Permit, permit.id)
    # whichever won, the permit never holds both: a check-in into a suspended permit
    assert not (fresh.state == "suspended" and fresh.headcount == 1)


def test_every_event_bumps_the_version_even_in_the_same_second(world):
    # found by the property tests: a second check-in at the same instant changed no column
    permit = world.working()
    engine.apply(world.session, permit, "check_in", world.attendant, {"person": world.entrant.id},
                 clock=world.clock)
    world.session.commit()
    before = permit.version
    engine.apply(world.session, permit, "check_in", world.attendant,
                 {"person": world.entrant2.id}, clock=world.clock)
    world.session.commit()
    assert permit.version == before + 1
