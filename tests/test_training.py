"""Training sessions (art. 7) with each attendee's assessment, the annual plan, and the
qualification card: validity is computed from the rule pack, on both sides of every date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from permit import registers, training
from permit.errors import InvalidInput
from permit.models import AuditEntry, TrainingRecord
from permit.qualification import is_qualified
from permit.workflow import get as get_workflow

from .helpers import refused, row_counts


@pytest.fixture
def wf():
    return get_workflow("confined_space", "draft-2023.1")


def hold(world, wf, attendees, **override):
    fields = dict(
        workflow=wf,
        kind="annual",
        topic="有限空间作业专题安全培训（2026年度）",
        held_on=world.today - timedelta(days=1),
        trainer="安全科 赵安全",
        hours=4,
        attendees=attendees,
        clock=world.clock,
        actor=world.principal,
    )
    fields.update(override)
    return training.record_session(world.session, world.enterprise, **fields)


def test_a_session_records_each_attendees_own_assessment(world, wf):
    a = world.person("甲", ["entrant"], trained=False)
    b = world.person("乙", ["entrant"], trained=False)
    c = world.person("丙", ["entrant"], trained=False)
    held = hold(world, wf, [(a, True), (b, True), (c, False)])
    world.session.commit()
    assert [(r.user_id, r.passed) for r in held.records] == [
        (a.id, True),
        (b.id, True),
        (c.id, False),
    ]
    on = world.today
    assert is_qualified(a, "annual", on, wf) and not is_qualified(c, "annual", on, wf)
    logged = world.session.scalars(
        select(AuditEntry).where(AuditEntry.subject_type == "training_sessions")
    ).one()
    assert logged.data["failed"] == [c.id]


def test_whoever_failed_cannot_go_on_a_permit_until_a_new_pass(world, wf):
    c = world.person("丙", ["entrant"], trained=False)
    hold(world, wf, [(c, False)])
    world.session.commit()
    permit = world.permit(entrants=[world.entrant, c])
    assert "people_trained" in refused(world, permit, "submit")
    hold(world, wf, [(c, True)], topic="补考")
    world.session.commit()
    world.fire(permit, "submit")
    assert permit.state == "pending_approval"


def test_everything_wrong_with_a_session_is_said_at_once_and_nothing_is_kept(world, wf):
    world.session.commit()
    before = row_counts(world.session)
    with pytest.raises(InvalidInput) as caught:
        hold(
            world,
            wf,
            [],
            kind="nonsense",
            topic=" ",
            held_on=world.today + timedelta(days=1),
            trainer="",
            hours=0,
        )
    rules = [r.rule for r in caught.value.reasons]
    assert rules == ["training_kind", "topic", "held_in_future", "trainer", "hours", "attendees"]
    assert all(r.message("zh") and r.message("en") for r in caught.value.reasons)
    world.session.rollback()
    assert row_counts(world.session) == before


def test_another_enterprises_person_cannot_attend(world, wf, clock):
    other = registers.create_enterprise(
        world.session, code="QY2", name="别家", industry="light", clock=clock
    )
    world.session.flush()
    stranger = world.person("外人", ["entrant"], trained=False, enterprise=other)
    with pytest.raises(InvalidInput) as caught:
        hold(world, wf, [(world.entrant, True), (stranger, True), (world.entrant, True)])
    assert [r.rule for r in caught.value.reasons] == ["attendee_scope", "attendee_twice"]


@pytest.mark.parametrize("offset, valid", [(-1, True), (0, True), (1, False)])
def test_a_record_counts_through_its_last_day_and_not_a_day_more(world, wf, offset, valid):
    # taken 2025-03-01, valid 12 months: the last day it counts is 2026-02-28
    person = world.person("期满", ["entrant"], trained=False)
    registers.record_training(
        world.session,
        person,
        kind="annual",
        passed=True,
        taken_on=date(2025, 3, 1),
        clock=world.clock,
    )
    last = date(2026, 2, 28)
    assert training.card(person, wf, last).lines[0].valid_until == last
    assert is_qualified(person, "annual", last + timedelta(days=offset), wf) is valid


def test_the_card_says_what_a_person_may_do_and_until_when(world, wf):
    card = training.card(world.attendant, wf, world.today)
    until = world.today - timedelta(days=30)
    last = until.replace(year=until.year + 1) - timedelta(days=1)
    assert card.may == {"attendant": last, "entrant": last, "rescuer": last}
    novice = world.person("新人", ["entrant"], trained=False)
    assert training.card(novice, wf, world.today).may == {
        "attendant": None,
        "entrant": None,
        "rescuer": None,
    }
    trained = training.card(world.entrant, wf, world.today)
    assert trained.may["entrant"] == last and trained.may["attendant"] is None


def test_the_plan_shows_what_was_delivered_and_what_is_late(world, wf):
    today = world.today
    year = today.year
    done = training.add_plan_item(
        world.session,
        world.enterprise,
        workflow=wf,
        year=year,
        month=today.month,
        kind="annual",
        topic="年度专题培训",
        audience=["entrant"],
        clock=world.clock,
    )
    due = training.add_plan_item(
        world.session,
        world.enterprise,
        workflow=wf,
        year=year,
        month=today.month,
        kind="competence_rescue",
        topic="救援装备实操",
        audience=["attendant"],
        clock=world.clock,
    )
    hold(world, wf, [(world.entrant, True)], held_on=today)
    world.session.commit()
    rows = training.plan_progress(
        training.plan_for(world.session, world.enterprise.id, year),
        training.held_sessions(world.session, world.enterprise.id, year),
        today,
    )
    assert [(item.id, word) for item, _, word in rows] == [(done.id, "done"), (due.id, "due")]
    next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    rows = training.plan_progress(
        training.plan_for(world.session, world.enterprise.id, year),
        training.held_sessions(world.session, world.enterprise.id, year),
        next_month,
    )
    assert [word for _, _, word in rows] == ["done", "late"]


def test_a_plan_line_must_make_sense(world, wf):
    with pytest.raises(InvalidInput) as caught:
        training.add_plan_item(
            world.session,
            world.enterprise,
            workflow=wf,
            year=world.today.year - 1,
            month=13,
            kind="annual",
            topic="",
            audience=[],
            clock=world.clock,
        )
    assert [r.rule for r in caught.value.reasons] == ["month", "year", "topic"]


def test_session_records_are_never_deleted(world, wf):
    hold(world, wf, [(world.entrant, True)])
    world.session.commit()
    record = world.session.scalars(select(TrainingRecord)).first()
    world.session.delete(record)
    with pytest.raises(Exception, match="never deleted|append-only|refuse"):
        world.session.commit()
