"""`permit tick`: permits past their window expire through the engine (never with anyone
inside, never work in progress), detectors that fall silent during work are flagged once, and
each person is reminded once of each thing, however often and however many ticks run."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from permit import readings, tick
from permit.models import AuditEntry, DetectorSilence, Permit, Reminder

from .api_client import reading

SKEW = timedelta(seconds=120)


def reminders_of(session, user) -> list[Reminder]:
    session.expire_all()
    return list(
        session.scalars(select(Reminder).where(Reminder.user_id == user.id).order_by(Reminder.id))
    )


def audit_count(session, event: str) -> int:
    return session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.event == event)
    )


def send_reading(world, permit, **extra) -> None:
    readings.ingest(world.session, permit, [reading(world.clock, **extra)],
                    source=readings.Source(None, world.attendant), clock=world.clock, skew=SKEW)
    world.session.commit()


# -- expiry -----------------------------------------------------------------------------------


def test_a_permit_expires_once_its_window_is_over_and_not_before(world, sessions):
    now = world.clock.now()
    ending = world.drive(world.permit(window_end=now + timedelta(hours=1)), "approved")
    later = world.drive(world.permit(window_end=now + timedelta(hours=3)), "approved")
    world.clock.set(ending.window_end - timedelta(seconds=1))
    assert tick.tick(sessions, world.clock).expired == []

    world.clock.set(ending.window_end)
    done = tick.tick(sessions, world.clock)

    assert done.expired == [ending.number]
    world.session.expire_all()
    assert (ending.state, later.state) == ("expired", "approved")
    entry = world.session.scalars(
        select(AuditEntry).where(AuditEntry.event == "expire", AuditEntry.subject_id == ending.id)
    ).one()
    assert (entry.actor_id, entry.actor_role, entry.data["from"]) == (None, "system", "approved")
    assert [r.key for r in reminders_of(world.session, world.requester)] == [
        f"permit:expired:{ending.id}"
    ]


def test_someone_who_has_left_is_not_reminded(world, sessions):
    permit = world.drive(world.permit(), "approved")
    world.requester.active = False
    world.session.commit()
    world.clock.advance(hours=9)
    assert tick.tick(sessions, world.clock).expired == [permit.number]
    assert reminders_of(world.session, world.requester) == []
    assert len(reminders_of(world.session, world.attendant)) == 1


def test_a_second_tick_changes_nothing_the_first_has_done(world, sessions):
    permit = world.drive(world.permit(), "pending_approval")
    world.clock.advance(hours=9)
    first = tick.tick(sessions, world.clock)
    again = tick.tick(sessions, world.clock)
    assert (first.expired, again.expired) == ([permit.number], [])
    assert (first.reminders >= 0, again.reminders) == (True, 0)
    assert audit_count(world.session, "expire") == 1
    assert len(reminders_of(world.session, world.attendant)) == 1


def test_work_in_progress_past_its_window_is_never_closed_and_its_people_are_told(
    world, sessions
):
    permit = world.working()
    world.fire(permit, "check_in", person=world.entrant.id)
    world.clock.advance(hours=9)

    done = tick.tick(sessions, world.clock)
    tick.tick(sessions, world.clock)

    world.session.expire_all()
    assert (permit.state, permit.headcount) == ("working", 1)
    assert (done.expired, done.overdue) == ([], [permit.number])
    for person in (world.attendant, world.requester, world.principal):  # the approver signed
        (told,) = reminders_of(world.session, person)
        assert told.kind == "permit_overdue" and told.overdue
        assert "1" in told.text["zh"] and permit.number in told.text["en"]
        assert (told.endpoint, told.args) == ("permits.show", {"number": permit.number})
    assert reminders_of(world.session, world.entrant) == []


def test_a_suspended_permit_expires_only_once_everyone_is_out(world, sessions):
    permit = world.working()
    world.fire(permit, "check_in", person=world.entrant.id)
    world.fire(permit, "suspend")
    world.clock.advance(hours=9)
    assert tick.tick(sessions, world.clock).overdue == [permit.number]
    world.session.expire_all()
    assert permit.state == "suspended"

    world.fire(permit, "check_out", person=world.entrant.id)
    assert tick.tick(sessions, world.clock).expired == [permit.number]
    world.session.expire_all()
    assert (permit.state, permit.headcount) == ("expired", 0)


def test_the_texts_in_force_expire_a_permit_too(session, clock, sessions):
    from .factories import World

    world = World(session, clock, pack="order13-2024")
    world.build()
    session.commit()
    permit = world.drive(world.permit(), "approved")
    clock.advance(hours=9)
    assert tick.tick(sessions, clock).expired == [permit.number]
    session.expire_all()
    assert permit.state == "expired"


# -- silent detectors -------------------------------------------------------------------------


def test_a_detector_silent_for_longer_than_the_pack_allows_is_flagged_once(world, sessions):
    permit = world.working()
    send_reading(world, permit)
    world.clock.advance(minutes=5)  # the draft pack's silence: 5 min
    assert tick.tick(sessions, world.clock).silent == []

    world.clock.advance(seconds=1)
    flagged = tick.tick(sessions, world.clock)
    world.clock.advance(minutes=10)
    again = tick.tick(sessions, world.clock)

    assert (flagged.silent, again.silent) == ([f"{permit.number}/D-01"], [])
    assert world.session.scalar(select(func.count()).select_from(DetectorSilence)) == 1
    assert audit_count(world.session, "detector_silent") == 1
    (told,) = reminders_of(world.session, world.attendant)
    assert told.kind == "detector_silent" and "D-01" in told.text["zh"]
    assert told.article.startswith("003 第十三条")


def test_a_detector_that_reports_again_and_falls_silent_again_is_flagged_again(world, sessions):
    permit = world.working()
    send_reading(world, permit)
    world.clock.advance(minutes=6)
    tick.tick(sessions, world.clock)
    send_reading(world, permit)
    world.clock.advance(minutes=3)
    assert tick.tick(sessions, world.clock).silent == []
    world.clock.advance(minutes=3)
    assert tick.tick(sessions, world.clock).silent == [f"{permit.number}/D-01"]
    assert world.session.scalar(select(func.count()).select_from(DetectorSilence)) == 2


def test_silence_is_flagged_only_during_work(world, sessions):
    permit = world.working()
    send_reading(world, permit)
    world.fire(permit, "suspend")
    world.clock.advance(minutes=30)
    assert tick.tick(sessions, world.clock).silent == []


# -- two ticks at once ------------------------------------------------------------------------


def test_two_ticks_at_once_make_each_change_once(world, sessions, engine):
    world.requester.email = "requester@example.com"
    expiring = [world.drive(world.permit(), "approved") for _ in range(8)]
    watched = [world.working() for _ in range(3)]
    for permit in watched:
        send_reading(world, permit)
    world.session.commit()
    world.clock.advance(hours=9)

    barrier = threading.Barrier(2)
    results: list[tick.TickSummary] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(tick.tick(sessions, world.clock))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    expired = sorted(n for r in results for n in r.expired)
    assert expired == sorted(p.number for p in expiring)  # each once, by one tick or the other
    silent = sorted(s for r in results for s in r.silent)
    assert len(silent) == len(set(silent)) == len(watched)
    s = world.session
    s.expire_all()
    assert audit_count(s, "expire") == len(expiring)
    assert audit_count(s, "detector_silent") == len(watched)
    assert s.scalar(select(func.count()).select_from(DetectorSilence)) == len(watched)
    assert {p.state for p in s.scalars(select(Permit).where(Permit.id.in_(
        [p.id for p in expiring])))} == {"expired"}
    keys = [r.key for r in reminders_of(s, world.requester)]
    assert len(keys) == len(set(keys)) == len(expiring) + 2 * len(watched)
    made = sum(r.reminders for r in results)
    assert made == s.scalar(select(func.count()).select_from(Reminder))


# -- due dates ------------------------------------------------------------------------------


def due_reminders(session, user) -> list[Reminder]:
    return [r for r in reminders_of(session, user) if r.kind.startswith("due_")]


def test_what_falls_due_within_the_horizon_is_reminded_once_to_the_keepers(world, sessions):
    from permit import registers

    soon = registers.add_equipment(
        world.session, world.enterprise, kind="gas_detector", serial="D-09", name="备用检测仪",
        gases=["o2"], due_on=world.today + timedelta(days=30), clock=world.clock,
    )
    later = registers.add_equipment(
        world.session, world.enterprise, kind="fan", serial="F-09", name="备用风机",
        due_on=world.today + timedelta(days=31), clock=world.clock,
    )
    world.session.commit()

    tick.tick(sessions, world.clock)
    tick.tick(sessions, world.clock)

    (told,) = due_reminders(world.session, world.principal)
    assert told.key == f"due:equipment:{soon.id}:calibration:{soon.due_on.isoformat()}"
    assert "D-09" in told.text["zh"] and "falls due on" in told.text["en"] and not told.overdue
    assert (told.endpoint, told.args) == ("equipment.show", {"serial": "D-09"})
    assert [r.key for r in due_reminders(world.session, world.deputy)] == [told.key]
    assert audit_count(world.session, "remind") == 1  # the second tick made none
    assert due_reminders(world.session, world.attendant) == []  # not a keeper of registers

    world.clock.advance(days=1)  # F-09 now falls due within the horizon; D-09 is told already
    tick.tick(sessions, world.clock)
    keys = [r.key for r in due_reminders(world.session, world.principal)]
    assert keys == [told.key, f"due:equipment:{later.id}:calibration:{later.due_on.isoformat()}"]


def test_a_renewed_due_date_is_a_new_reminder_and_an_overdue_one_says_so(world, sessions):
    from permit import registers

    item = registers.add_equipment(
        world.session, world.enterprise, kind="fan", serial="F-08", name="旧风机",
        due_on=world.today - timedelta(days=1), clock=world.clock,
    )
    world.session.commit()
    tick.tick(sessions, world.clock)
    (late,) = due_reminders(world.session, world.principal)
    assert late.overdue and "已逾期" in late.text["zh"] and "overdue" in late.text["en"]

    world.session.get(type(item), item.id).due_on = world.today + timedelta(days=3)
    world.session.commit()
    tick.tick(sessions, world.clock)
    assert len(due_reminders(world.session, world.principal)) == 2


def test_the_demo_keepers_start_with_the_overdue_items_on_their_bell(session, clock, sessions):
    from permit import demo
    from permit.models import User

    demo.load(session, clock)
    session.commit()
    principal = session.scalars(select(User).where(User.username == "principal")).one()
    attendant = session.scalars(select(User).where(User.username == "attendant")).one()
    kinds = sorted(r.kind for r in reminders_of(session, principal))
    assert kinds == ["due_drill", "due_equipment", "due_training"]
    assert all(r.overdue for r in reminders_of(session, principal))
    assert reminders_of(session, attendant) == []
    tick.tick(sessions, clock)  # the first real tick adds none of these again
    assert sorted(r.kind for r in reminders_of(session, principal)) == kinds
