"""The board's running tallies (migration 0016) stay equal to a recount of the records they
count, whatever writes those: the engine, training sessions, people joining and leaving, one
multi-row INSERT, two transactions at once on PostgreSQL, and a database migrated with its
history already in it. What a tally counts can never be rewritten underneath it."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from permit import db, packs, registers, tallies, training
from permit.cli import cli
from permit.models import (
    EntryLog,
    Permit,
    Signature,
    TrainingRecord,
    TrainingTally,
    User,
    UserRole,
    WorkforceTally,
)

from .factories import World


def _history(world: World) -> None:
    """Permits approved and worked with entries, a training session with one failing, people
    joining with several roles, one leaving and one coming back."""
    permit = world.working()
    world.fire(permit, "check_in", person=world.entrant.id)
    world.fire(permit, "check_out", person=world.entrant.id)
    world.drive(world.permit(space=world.tank, task_type="inspection"), "approved")
    newcomer = world.person("新来的", ["entrant", "rescuer"], trained=False)
    leaver = world.person("要走的", ["attendant"], competent=True)
    wf = packs.packs()[world.pack].workflows["confined_space"]
    training.record_session(
        world.session,
        world.enterprise,
        workflow=wf,
        kind="annual",
        topic="年度专题培训",
        held_on=world.today - timedelta(days=3),
        trainer="安全科",
        hours=4,
        attendees=[(newcomer, True), (leaver, True), (world.rescuer, False)],
        clock=world.clock,
    )
    world.session.flush()
    leaver.active = False
    world.session.flush()
    world.entrant2.active = False
    world.session.flush()
    world.entrant2.active = True
    world.session.commit()


def _site(session, clock, *, history: bool = True) -> World:
    world = World(session, clock)
    world.build()
    session.commit()
    if history:
        _history(world)
    return world


def test_the_tallies_follow_the_engine_and_the_registers(world):
    _history(world)
    assert tallies.differences(world.session) == {}
    session, ent = world.session, world.enterprise.id
    entries = session.execute(
        select(func.count(), func.count(EntryLog.gas_test_id))
        .join(Permit, Permit.id == EntryLog.permit_id)
        .where(Permit.enterprise_id == ent, EntryLog.direction == "in")
    ).one()
    assert entries[0] >= 1
    assert tallies.entries(session, ent) == (entries[0], entries[0] - entries[1])
    signed = session.scalar(
        select(func.count())
        .select_from(Signature)
        .join(Permit, Permit.id == Signature.permit_id)
        .where(Permit.enterprise_id == ent, Signature.kind == "approve")
    )
    assert signed >= 2 and sum(row[-1] for row in tallies.approvals(session, ent)) == signed
    active = session.scalar(
        select(func.count()).where(User.enterprise_id == ent, User.active.is_(True))
    )
    kept = session.scalar(
        select(func.sum(WorkforceTally.people)).where(WorkforceTally.enterprise_id == ent)
    )
    assert kept == active


def test_nothing_is_counted_for_another_enterprise(world):
    _history(world)
    other = registers.create_enterprise(
        world.session, code="QY2", name="别家公司", industry="light", clock=world.clock
    )
    world.session.commit()
    assert tallies.entries(world.session, other.id) == (0, 0)
    assert tallies.approvals(world.session, other.id) == []


def _refused(session, statement) -> None:
    with pytest.raises(DBAPIError, match="never change"):
        session.execute(statement)
    session.rollback()


def test_what_a_tally_counts_cannot_be_rewritten_and_a_refusal_changes_nothing(world):
    _history(world)
    session = world.session
    before = tallies.kept(session)
    approval = session.scalars(select(Signature).where(Signature.kind == "approve")).first()
    entry = session.scalars(select(EntryLog).where(EntryLog.direction == "in")).first()
    record = session.scalars(select(TrainingRecord).where(TrainingRecord.passed)).first()
    role = session.scalars(select(UserRole)).first()
    for statement in (
        update(Signature).where(Signature.id == approval.id).values(role="entrant"),
        update(Signature).where(Signature.id == approval.id).values(kind="withdrawn"),
        update(EntryLog).where(EntryLog.id == entry.id).values(gas_test_id=None),
        update(TrainingRecord).where(TrainingRecord.id == record.id).values(passed=False),
        update(TrainingRecord)
        .where(TrainingRecord.id == record.id)
        .values(taken_on=record.taken_on - timedelta(days=400)),
        update(UserRole).where(UserRole.id == role.id).values(role="deputy"),
        update(Permit).where(Permit.id == approval.permit_id).values(workflow_version="x"),
    ):
        _refused(session, statement)
    assert tallies.kept(session) == before
    # What is not counted may still change: a signature that is not an approval, a note.
    finish = Signature(
        permit_id=approval.permit_id,
        user_id=world.attendant.id,
        kind="finish",
        role="attendant",
        signed_at=world.clock.now(),
    )
    session.add(finish)
    session.flush()
    session.execute(update(Signature).where(Signature.id == finish.id).values(kind="withdrawn"))
    session.commit()
    assert tallies.kept(session) == before


def test_the_rows_of_one_insert_statement_are_counted_one_by_one(world):
    """PostgreSQL runs AFTER row triggers once the whole statement is in: the tallies of a
    person's roles and newest record must still see each row as it comes."""
    session = world.session
    person = world.person("多角色", [], trained=False)
    session.flush()
    session.execute(
        insert(UserRole).values(
            [{"user_id": person.id, "role": r} for r in ("principal", "attendant", "entrant")]
        )
    )
    days = (40, 10, 90, 10, 5)  # newest in the middle, a repeat, a failed one after it
    session.execute(
        insert(TrainingRecord).values(
            [
                {
                    "user_id": person.id,
                    "kind": "annual",
                    "topic": "补训",
                    "taken_on": world.today - timedelta(days=d),
                    "passed": d != 5,
                    "recorded_at": world.clock.now(),
                }
                for d in days
            ]
        )
    )
    session.commit()
    assert tallies.differences(session) == {}
    assert session.execute(
        select(TrainingTally.roles, TrainingTally.newest_on, TrainingTally.people).where(
            TrainingTally.enterprise_id == world.enterprise.id,
            TrainingTally.kind == "annual",
            TrainingTally.roles == "attendant,entrant,principal",
            TrainingTally.people != 0,
        )
    ).all() == [("attendant,entrant,principal", world.today - timedelta(days=10), 1)]


def test_migrating_a_database_with_history_fills_its_tallies(engine, clock):
    sessions = db.session_factory(engine)
    with sessions() as session:
        _site(session, clock)
        config = db._alembic_config(engine)
        command.downgrade(config, "0015")
        command.upgrade(config, "head")
    with sessions() as session:
        assert tallies.differences(session) == {}
        assert tallies.kept(session)["training"]  # filled, not empty on both sides


def test_two_transactions_recording_training_at_once_count_each_record_once(engine, clock):
    """The second waits for the first (a per-enterprise lock) and then sees its record: each
    person's newest record is counted once, not once per transaction."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    sessions = db.session_factory(engine)
    with sessions() as session:
        world = _site(session, clock, history=False)
        people = [world.entrant.id, world.entrant2.id, world.rescuer.id]
    first_in, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def record(order: list[int], days_ago: int, hold: bool) -> None:
        try:
            with sessions() as s:
                for user_id in order:
                    s.add(
                        TrainingRecord(
                            user_id=user_id,
                            kind="annual",
                            topic="复训",
                            taken_on=clock.now().date() - timedelta(days=days_ago),
                            passed=True,
                            recorded_at=clock.now(),
                        )
                    )
                    s.flush()
                if hold:
                    first_in.set()
                    release.wait(10)
                s.commit()
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)
            first_in.set()

    a = threading.Thread(target=record, args=(people, 2, True))
    a.start()
    assert first_in.wait(10)
    b = threading.Thread(target=record, args=(list(reversed(people)), 1, False))
    b.start()
    time.sleep(0.3)
    assert b.is_alive(), "the second transaction should wait for the first"
    release.set()
    a.join(10)
    b.join(10)
    assert not errors, errors
    with sessions() as session:
        assert tallies.differences(session) == {}


def test_check_tallies_says_when_a_tally_is_off(engine, monkeypatch, clock):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    sessions = db.session_factory(engine)
    with sessions() as session:
        _site(session, clock)
    runner = CliRunner()
    ok = runner.invoke(cli, ["check-tallies"])
    assert ok.exit_code == 0, ok.output
    assert "tallies agree" in ok.output
    with engine.begin() as conn:
        conn.execute(text("UPDATE entry_tallies SET untested = untested + 1"))
    off = runner.invoke(cli, ["check-tallies"])
    assert off.exit_code == 1
    assert "entries: kept" in off.output and "the records give" in off.output
