"""Training (art. 7) and attendant competence (art. 4 para. 2): sessions held with each
attendee's assessment, the annual plan, and each person's qualification card. What a record
is worth (how long, for which permit roles) comes from the rule pack's [training]."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import registers
from .clock import Clock, local_date
from .errors import InvalidInput, Reason, plain
from .models import (
    Attachment,
    Enterprise,
    TrainingPlanItem,
    TrainingRecord,
    TrainingSession,
    User,
)
from .qualification import is_qualified, latest_valid_until
from .workflow import Workflow

PERMIT_ROLES = ("attendant", "entrant", "rescuer")


def _kind_label(workflow: Workflow, kind: str) -> dict[str, str]:
    spec = workflow.section("training").get(kind, {})
    return {"zh": spec.get("zh", kind), "en": spec.get("en", kind)}


def session_problems(
    workflow: Workflow,
    *,
    kind: str,
    topic: str,
    held_on: date | None,
    trainer: str,
    hours: float | None,
    attendees: Sequence[tuple[User, bool]],
    today: date,
    enterprise_id: int,
) -> list[Reason]:
    """Everything wrong with a session as entered, all at once, in both languages."""
    problems = []
    if kind not in workflow.section("training"):
        problems.append(plain("training_kind", "请选择培训类别", "choose the kind of training"))
    if not topic.strip():
        problems.append(plain("topic", "请填写培训主题", "enter the topic"))
    if held_on is None:
        problems.append(plain("held_on", "请填写培训日期", "enter the date it was held"))
    elif held_on > today:
        problems.append(
            plain("held_in_future", "培训日期不能晚于今天", "the date held cannot be in the future")
        )
    if not trainer.strip():
        problems.append(plain("trainer", "请填写授课人", "enter the trainer"))
    if hours is None or not 0 < hours <= 24:
        problems.append(
            plain("hours", "学时须大于0且不超过24", "hours must be more than 0 and at most 24")
        )
    if not attendees:
        problems.append(
            plain("attendees", "请至少选择一名参训人员", "choose at least one attendee")
        )
    seen: set[int] = set()
    for user, _passed in attendees:
        if user.enterprise_id != enterprise_id:
            problems.append(
                plain(
                    "attendee_scope",
                    "{name}不是本企业人员",
                    "{name} is not one of ours",
                    name=user.name,
                )
            )
        if user.id in seen:
            problems.append(
                plain("attendee_twice", "{name}重复选择", "{name} is listed twice", name=user.name)
            )
        seen.add(user.id)
    return problems


def record_session(
    session: Session,
    enterprise: Enterprise,
    *,
    workflow: Workflow,
    kind: str,
    topic: str,
    held_on: date | None,
    trainer: str,
    hours: float | None,
    attendees: Sequence[tuple[User, bool]],
    clock: Clock,
    materials: Iterable[Attachment] = (),
    actor: User | None = None,
    source: str = "form",
) -> TrainingSession:
    """A session and one assessed record per attendee, or nothing with every reason why.
    The source (form, excel) goes into the audit entry: the log says how a record came in."""
    problems = session_problems(
        workflow,
        kind=kind,
        topic=topic,
        held_on=held_on,
        trainer=trainer,
        hours=hours,
        attendees=attendees,
        today=local_date(clock.now()),
        enterprise_id=enterprise.id,
    )
    if problems:
        raise InvalidInput(problems)
    held = TrainingSession(
        enterprise_id=enterprise.id,
        kind=kind,
        topic=topic.strip()[:200],
        held_on=held_on,
        trainer=trainer.strip()[:120],
        hours=float(hours),
        materials=[m.id for m in materials],
        recorded_by_id=actor.id if actor else None,
        recorded_at=clock.now(),
    )
    session.add(held)
    session.flush()
    _attend(session, held, attendees, clock)
    registers._audit(
        session,
        held,
        enterprise.id,
        actor,
        "record",
        clock.now(),
        kind=kind,
        topic=held.topic,
        held_on=held_on,
        trainer=held.trainer,
        hours=held.hours,
        passed=sorted(u.id for u, ok in attendees if ok),
        failed=sorted(u.id for u, ok in attendees if not ok),
        materials=held.materials,
        source=source,
    )
    return held


def _attend(
    session: Session, held: TrainingSession, attendees: Sequence[tuple[User, bool]], clock: Clock
) -> None:
    for user, passed in attendees:
        session.add(
            TrainingRecord(
                user_id=user.id,
                session_id=held.id,
                kind=held.kind,
                topic=held.topic,
                taken_on=held.held_on,
                passed=passed,
                recorded_at=clock.now(),
            )
        )
        session.expire(user, ["trainings"])
    session.expire(held, ["records"])


def add_attendees(
    session: Session,
    held: TrainingSession,
    *,
    workflow: Workflow,
    attendees: Sequence[tuple[User, bool]],
    clock: Clock,
    actor: User | None = None,
    source: str = "form",
) -> None:
    """Assessed attendees added to a session already recorded (a sign-in sheet found later),
    checked as the whole session would be: nobody twice, nobody from outside."""
    problems = session_problems(
        workflow,
        kind=held.kind,
        topic=held.topic,
        held_on=held.held_on,
        trainer=held.trainer,
        hours=held.hours,
        attendees=[*((r.user, r.passed) for r in held.records), *attendees],
        today=local_date(clock.now()),
        enterprise_id=held.enterprise_id,
    )
    if problems:
        raise InvalidInput(problems)
    _attend(session, held, attendees, clock)
    registers._audit(
        session,
        held,
        held.enterprise_id,
        actor,
        "attend",
        clock.now(),
        passed=sorted(u.id for u, ok in attendees if ok),
        failed=sorted(u.id for u, ok in attendees if not ok),
        source=source,
    )


@dataclass(frozen=True)
class CardLine:
    """One kind of training on a person's card."""

    kind: str
    label: dict[str, str]
    required_of: tuple[str, ...]
    valid_until: date | None  # the last day the newest passed record counts
    valid: bool


@dataclass(frozen=True)
class Card:
    """What a person may do on a permit today, and until when (art. 4, 7)."""

    user: User
    lines: list[CardLine]
    may: dict[str, date | None]  # permit role → the last day they may take it; None: not now


def card(user: User, workflow: Workflow, on: date) -> Card:
    lines = []
    for kind, spec in workflow.section("training").items():
        until = latest_valid_until(user, kind, workflow)
        lines.append(
            CardLine(
                kind=kind,
                label=_kind_label(workflow, kind),
                required_of=tuple(spec.get("required_of", [])),
                valid_until=until,
                valid=is_qualified(user, kind, on, workflow),
            )
        )
    may: dict[str, date | None] = {}
    for role in PERMIT_ROLES:
        needed = [line for line in lines if role in line.required_of]
        if all(line.valid for line in needed):
            dates = [line.valid_until for line in needed if line.valid_until]
            may[role] = min(dates) if dates else None
        else:
            may[role] = None
    return Card(user=user, lines=lines, may=may)


def plan_for(session: Session, enterprise_id: int, year: int) -> list[TrainingPlanItem]:
    return list(
        session.scalars(
            select(TrainingPlanItem)
            .where(TrainingPlanItem.enterprise_id == enterprise_id, TrainingPlanItem.year == year)
            .order_by(TrainingPlanItem.month, TrainingPlanItem.id)
        )
    )


def add_plan_item(
    session: Session,
    enterprise: Enterprise,
    *,
    workflow: Workflow,
    year: int,
    month: int,
    kind: str,
    topic: str,
    audience: Sequence[str],
    clock: Clock,
    actor: User | None = None,
) -> TrainingPlanItem:
    problems = []
    if kind not in workflow.section("training"):
        problems.append(plain("training_kind", "请选择培训类别", "choose the kind of training"))
    if not 1 <= month <= 12:
        problems.append(plain("month", "月份应为1至12", "the month must be 1 to 12"))
    if year < local_date(clock.now()).year:
        problems.append(
            plain("year", "不能为过去的年份制定计划", "a plan is for this year or later")
        )
    if not topic.strip():
        problems.append(plain("topic", "请填写培训主题", "enter the topic"))
    if problems:
        raise InvalidInput(problems)
    item = TrainingPlanItem(
        enterprise_id=enterprise.id,
        year=year,
        month=month,
        kind=kind,
        topic=topic.strip()[:200],
        audience=[r for r in audience if r in PERMIT_ROLES],
        created_by_id=actor.id if actor else None,
        created_at=clock.now(),
    )
    session.add(item)
    registers._audit(
        session,
        item,
        enterprise.id,
        actor,
        "plan",
        clock.now(),
        year=year,
        month=month,
        kind=kind,
        topic=item.topic,
    )
    return item


def held_sessions(session: Session, enterprise_id: int, year: int) -> list[TrainingSession]:
    return list(
        session.scalars(
            select(TrainingSession)
            .where(
                TrainingSession.enterprise_id == enterprise_id,
                TrainingSession.held_on >= date(year, 1, 1),
                TrainingSession.held_on <= date(year, 12, 31),
            )
            .order_by(TrainingSession.held_on.desc(), TrainingSession.id.desc())
        )
    )


def plan_progress(
    plan: Sequence[TrainingPlanItem], held: Sequence[TrainingSession], today: date
) -> list[tuple[TrainingPlanItem, TrainingSession | None, str]]:
    """Each live plan line with the session that delivered it (same kind, held in or after
    its month), and a word: done, due (this month or later), late."""
    used: set[int] = set()
    rows = []
    for item in (i for i in plan if i.dropped_at is None):
        match = next(
            (
                s
                for s in sorted(held, key=lambda s: s.held_on)
                if s.id not in used
                and s.kind == item.kind
                and (s.held_on.year, s.held_on.month) >= (item.year, item.month)
            ),
            None,
        )
        if match is not None:
            used.add(match.id)
            word = "done"
        elif (today.year, today.month) <= (item.year, item.month):
            word = "due"
        else:
            word = "late"
        rows.append((item, match, word))
    return rows

