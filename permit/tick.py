"""Time-driven work, run by `permit tick` from cron or a timer: expire permits past their
window, flag detectors that fell silent during work, and remind people of what is due.

Safe to run twice at once, on several hosts, against one PostgreSQL database: an expiry is an
engine event under the permit's optimistic lock (of two ticks one wins, the other gets a
conflict and leaves it), and every flag, reminder and mail is inserted under a unique key
(ON CONFLICT DO NOTHING), so each change is made once. Each permit is judged in a transaction
of its own, so one conflict never undoes another permit's change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from . import audit, engine
from .alarms import latest_by_detector, silence, silent
from .clock import Clock, local_date, local_text
from .compliance import DueItem, due_items
from .errors import Conflict
from .models import DetectorSilence, Enterprise, Permit, Signature
from .once import insert_new
from .reminders import Notice, remind
from .workflow import Workflow, registry

SILENCES = DetectorSilence.__table__
EXPIRE = "expire"


@dataclass
class TickSummary:
    expired: list[str] = field(default_factory=list)  # permit numbers
    overdue: list[str] = field(default_factory=list)  # past their window, still open
    silent: list[str] = field(default_factory=list)  # "permit/detector serial"
    reminders: int = 0
    conflicts: int = 0  # changes another tick made first

    def lines(self) -> list[str]:
        return [
            f"expired: {len(self.expired)} {' '.join(self.expired)}".rstrip(),
            f"overdue: {len(self.overdue)} {' '.join(self.overdue)}".rstrip(),
            f"silent detectors: {len(self.silent)} {' '.join(self.silent)}".rstrip(),
            f"reminders: {self.reminders}",
        ]


def tick(sessions: sessionmaker[Session], clock: Clock, *, horizon_days: int = 30) -> TickSummary:
    """Do everything that is due at clock.now(); what it changed."""
    summary = TickSummary()
    _expire(sessions, clock, summary)
    _silences(sessions, clock, summary)
    _due_items(sessions, clock, summary, horizon_days)
    return summary


def _busy(exc: OperationalError) -> bool:
    """SQLite refuses a write whose transaction read before another writer committed: the
    other tick made the change, or the next one will."""
    return "locked" in str(exc).lower() or "busy" in str(exc).lower()


def _final_states() -> set[str]:
    return {s for wf in registry().values() for s in wf.final}


# -- permits past their window ------------------------------------------------------------


def _expire(sessions: sessionmaker[Session], clock: Clock, summary: TickSummary) -> None:
    now = clock.now()
    with sessions() as session:
        ids = list(
            session.scalars(
                select(Permit.id)
                .where(Permit.window_end <= now, Permit.state.not_in(_final_states()))
                .order_by(Permit.id)
            )
        )
    for permit_id in ids:
        with sessions() as session:
            permit = session.get(Permit, permit_id)
            if permit is None or permit.window_end is None or permit.window_end > now:
                continue
            wf = engine.workflow_of(permit)
            if permit.state in wf.final:
                continue  # another tick (or a person) ended it since the list was read
            event = wf.events.get(EXPIRE)
            if event is not None and permit.state in event.sources and not engine.blocked_by(
                session, permit, EXPIRE, None, clock=clock
            ):
                try:
                    engine.apply(session, permit, EXPIRE, None, {}, clock=clock,
                                 expected_version=permit.version)
                    told = _remind_permit(session, permit, wf, "expired", now)
                    session.commit()
                    summary.reminders += len(told)
                    summary.expired.append(permit.number)
                except Conflict:
                    session.rollback()  # another tick expired it, or a person moved it
                    summary.conflicts += 1
                continue
            # Started work, or people still inside: never closed by the clock (see the
            # `expire` event in the workflow file); the people responsible are told instead.
            try:
                told = _remind_permit(session, permit, wf, "overdue", now)
                session.commit()
            except OperationalError as exc:
                if not _busy(exc):
                    raise
                session.rollback()
                summary.conflicts += 1
                told = []
            summary.reminders += len(told)
            summary.overdue.append(permit.number)


def _responsible(session: Session, permit: Permit) -> set[int]:
    """The attendant, the requester and whoever approved: those who must act on it."""
    people = {permit.requester_id}
    if permit.attendant_id is not None:
        people.add(permit.attendant_id)
    people |= set(
        session.scalars(
            select(Signature.user_id).where(
                Signature.permit_id == permit.id, Signature.kind == "approve"
            )
        )
    )
    return people


def _remind_permit(
    session: Session, permit: Permit, wf: Workflow, kind: str, now: datetime
) -> list[int]:
    end = local_text(permit.window_end)
    state = {"zh": wf.state_label(permit.state, "zh"), "en": wf.state_label(permit.state, "en")}
    if kind == "expired":
        text = {
            "zh": f"作业票{permit.number}的作业时间段已于{end}结束，已自动过期；如需作业须重新申请",
            "en": f"Permit {permit.number}'s work window ended at {end}: it has expired; "
            "request a new permit for the work",
        }
    else:
        inside = permit.headcount
        text = {
            "zh": f"作业票{permit.number}已超过作业时间段（至{end}）仍处于“{state['zh']}”"
            + (f"，有限空间内还有{inside}人" if inside else "")
            + "：撤出人员，结束并关闭作业",
            "en": f"Permit {permit.number} is past its work window (until {end}) and still "
            f"{state['en'].lower()}"
            + (f", with {inside} inside" if inside else "")
            + ": bring everyone out, finish and close the work",
        }
    notice = Notice(
        key=f"permit:{kind}:{permit.id}",
        kind=f"permit_{kind}",
        text=text,
        article=wf.guards["window_over"].cite if "window_over" in wf.guards else "",
        due_on=local_date(permit.window_end) if permit.window_end else None,
        overdue=kind == "overdue",
        endpoint="permits.show",
        args={"number": permit.number},
    )
    return remind(session, permit.enterprise_id, _responsible(session, permit), notice, now)


# -- detectors that fell silent during work -------------------------------------------------


def _silences(sessions: sessionmaker[Session], clock: Clock, summary: TickSummary) -> None:
    now = clock.now()
    with sessions() as session:
        ids = list(
            session.scalars(select(Permit.id).where(Permit.state == "working").order_by(Permit.id))
        )
    for permit_id in ids:
        with sessions() as session:
            permit = session.get(Permit, permit_id)
            if permit is None or permit.state != "working":
                continue
            wf = engine.workflow_of(permit)
            if silence(wf) is None:
                continue
            found = TickSummary()
            try:
                for quiet in silent(permit, wf, latest_by_detector(session, permit), now):
                    if _flag(session, permit, wf, quiet.detector, quiet.last_at, now, found):
                        found.silent.append(f"{permit.number}/{quiet.detector.serial}")
                session.commit()
            except OperationalError as exc:
                if not _busy(exc):
                    raise
                session.rollback()
                summary.conflicts += 1
                continue
            summary.silent += found.silent
            summary.reminders += found.reminders


def _flag(session, permit: Permit, wf: Workflow, detector, last_at: datetime, now: datetime,
          summary: TickSummary) -> bool:
    """Record one silence once (keyed by the last reading before it), with its audit entry and
    a reminder to the attendant and the requester."""
    flag_id = insert_new(
        session,
        SILENCES,
        {
            "permit_id": permit.id,
            "detector_id": detector.id,
            "last_reading_at": last_at,
            "flagged_at": now,
        },
        ("permit_id", "detector_id", "last_reading_at"),
    )
    if flag_id is None:
        return False
    spec = wf.section("monitoring")
    minutes = spec["silence"]["value"]
    audit.append(
        session,
        enterprise_id=permit.enterprise_id,
        actor_id=None,
        actor_role="system",
        subject_type="detector_silences",
        subject_id=flag_id,
        event="detector_silent",
        data={"permit": permit.number, "detector": detector.serial, "last_reading": last_at,
              "silence_min": minutes},
        at=now,
    )
    since = local_text(last_at)
    notice = Notice(
        key=f"silent:{flag_id}",
        kind="detector_silent",
        text={
            "zh": f"作业票{permit.number}：气体检测仪{detector.serial}自{since}起无读数"
            f"（超过{minutes}分钟），连续检测已中断",
            "en": f"Permit {permit.number}: gas detector {detector.serial} has sent nothing since "
            f"{since} (more than {minutes} min): continuous monitoring has stopped",
        },
        article=spec.get("silence_cite", ""),
        overdue=True,
        endpoint="permits.show",
        args={"number": permit.number},
    )
    people = {permit.requester_id} | ({permit.attendant_id} if permit.attendant_id else set())
    summary.reminders += len(remind(session, permit.enterprise_id, people, notice, now))
    return True


# -- due dates (the compliance board's items) -----------------------------------------------


def _due_items(
    sessions: sessionmaker[Session], clock: Clock, summary: TickSummary, horizon_days: int
) -> None:
    now = clock.now()
    with sessions() as session:
        ids = list(session.scalars(select(Enterprise.id).order_by(Enterprise.id)))
    for enterprise_id in ids:
        with sessions() as session:
            try:
                made = remind_due(session, enterprise_id, now, horizon_days)
                session.commit()
            except OperationalError as exc:
                if not _busy(exc):
                    raise
                session.rollback()
                summary.conflicts += 1
                continue
            summary.reminders += made


# What a due item says, by its kind: (zh, en), each with its due and overdue wording.
DUE_TEXT = {
    "equipment": ("{subject}的检定/校准/检验", "{subject}: calibration or inspection"),
    "training": ("{subject}的培训或技能考核", "{subject}: training or competence"),
    "agreement": ("承包单位{subject}的安全生产管理协议", "Contractor {subject}'s safety agreement"),
    "drill": ("{subject}", "The emergency drill"),
}


def due_text(item: DueItem) -> dict[str, str]:
    zh, en = DUE_TEXT.get(item.kind, ("{subject}", "{subject}"))
    day = item.due.isoformat()
    if item.overdue:
        return {"zh": zh.format(subject=item.subject) + f"已于{day}到期，已逾期",
                "en": en.format(subject=item.subject) + f" was due on {day}: overdue"}
    return {"zh": zh.format(subject=item.subject) + f"将于{day}到期",
            "en": en.format(subject=item.subject) + f" falls due on {day}"}


def remind_due(session: Session, enterprise_id: int, now: datetime, horizon_days: int) -> int:
    """Remind the people each due item names, once per item and due date (a renewed
    certificate has a new date, and so a new reminder); how many reminders were made."""
    made: list[tuple[int, str]] = []
    items = due_items(session, enterprise_id, local_date(now), horizon_days)
    for item in sorted(items, key=lambda i: (i.key, i.due)):
        notice = Notice(
            key=f"due:{item.key}:{item.due.isoformat()}",
            kind=f"due_{item.kind}",
            text=due_text(item),
            article=item.article,
            due_on=item.due,
            overdue=item.overdue,
            endpoint=item.endpoint,
            args=dict(item.args),
        )
        for reminder_id in remind(session, enterprise_id, item.user_ids, notice, now):
            made.append((reminder_id, notice.key))
    if made:  # last in the transaction: the chain's head is locked only once the rows are in
        audit.append(
            session,
            enterprise_id=enterprise_id,
            actor_id=None,
            actor_role="system",
            subject_type="reminders",
            subject_id=None,
            event="remind",
            data={"reminders": [i for i, _ in made], "keys": sorted({k for _, k in made})},
            at=now,
        )
    return len(made)
