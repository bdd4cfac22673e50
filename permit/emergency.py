"""Emergency readiness (art. 14; 令13 第十条): on-site disposal plans per space or per catalogue
class, drills with their evaluation, and what a permit's page must flag before work starts.
The period, the citation and the wording come from the rule pack's [drills]."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from . import registers
from .clock import Clock, local_date
from .drills import drill_status
from .errors import InvalidInput, Reason, plain
from .models import Attachment, DisposalPlan, Drill, Enterprise, Space, User
from .packs import Pack


def _reason(pack: Pack, key: str, **params: object) -> Reason:
    spec = pack.section("drills")
    return Reason(rule=f"emergency_{key}", cite=spec["cite"], template=spec[key], params=params)


def active_plans(session: Session, enterprise_id: int) -> list[DisposalPlan]:
    return list(
        session.scalars(
            select(DisposalPlan)
            .where(
                DisposalPlan.enterprise_id == enterprise_id, DisposalPlan.superseded_at.is_(None)
            )
            .order_by(DisposalPlan.catalogue_class.is_(None), DisposalPlan.title)
        )
    )


def plan_for(session: Session, space: Space) -> DisposalPlan | None:
    """The space's own plan, else its class's; only plans not superseded."""
    scopes = [DisposalPlan.space_id == space.id]
    if space.catalogue_class:
        scopes.append(DisposalPlan.catalogue_class == space.catalogue_class)
    candidates = session.scalars(
        select(DisposalPlan).where(
            DisposalPlan.enterprise_id == space.enterprise_id,
            DisposalPlan.superseded_at.is_(None),
            or_(*scopes),
        )
    ).all()
    own = [p for p in candidates if p.space_id == space.id]
    return (own or candidates or [None])[0]


def add_plan(
    session: Session,
    enterprise: Enterprise,
    *,
    title: str,
    steps: Sequence[str],
    effective_on: date | None,
    clock: Clock,
    space: Space | None = None,
    catalogue_class: str | None = None,
    attachment: Attachment | None = None,
    actor: User | None = None,
) -> DisposalPlan:
    """A plan for one space or one class; it supersedes the plan it replaces."""
    problems = []
    if (space is None) == (not catalogue_class):
        problems.append(
            plain(
                "plan_scope",
                "请选择适用的有限空间或类别（二选一）",
                "choose the space or the class it covers (one of them)",
            )
        )
    if not title.strip():
        problems.append(plain("plan_title", "请填写方案名称", "enter the plan's title"))
    cleaned = [s.strip() for s in steps if s.strip()]
    if not cleaned:
        problems.append(plain("plan_steps", "请填写处置步骤", "enter the steps to take"))
    if effective_on is None:
        problems.append(plain("plan_date", "请填写生效日期", "enter the date it takes effect"))
    if problems:
        raise InvalidInput(problems)
    scope = (
        DisposalPlan.space_id == space.id
        if space is not None
        else DisposalPlan.catalogue_class == catalogue_class
    )
    for old in session.scalars(
        select(DisposalPlan).where(
            DisposalPlan.enterprise_id == enterprise.id,
            DisposalPlan.superseded_at.is_(None),
            scope,
        )
    ):
        old.superseded_at = clock.now()
    plan = DisposalPlan(
        enterprise_id=enterprise.id,
        title=title.strip()[:200],
        space_id=space.id if space else None,
        catalogue_class=None if space else catalogue_class,
        steps=cleaned,
        attachment_id=attachment.id if attachment else None,
        effective_on=effective_on,
        created_by_id=actor.id if actor else None,
        created_at=clock.now(),
    )
    session.add(plan)
    registers._audit(
        session,
        plan,
        enterprise.id,
        actor,
        "create",
        clock.now(),
        title=plan.title,
        space=plan.space_id,
        catalogue_class=plan.catalogue_class,
        steps=cleaned,
    )
    return plan


def record_drill(
    session: Session,
    enterprise: Enterprise,
    *,
    pack: Pack,
    held_on: date | None,
    scenario: str,
    participants: Sequence[User],
    evaluation: str,
    clock: Clock,
    plan: DisposalPlan | None = None,
    photos: Iterable[Attachment] = (),
    actor: User | None = None,
) -> Drill:
    problems = []
    if held_on is None:
        problems.append(plain("drill_date", "请填写演练日期", "enter the date it was held"))
    elif held_on > local_date(clock.now()):
        problems.append(
            plain("drill_in_future", "演练日期不能晚于今天", "the date cannot be in the future")
        )
    if not scenario.strip():
        problems.append(plain("drill_scenario", "请填写演练场景", "enter the scenario"))
    if not participants:
        problems.append(plain("drill_people", "请选择参演人员", "choose who took part"))
    if any(p.enterprise_id != enterprise.id for p in participants):
        problems.append(plain("drill_scope", "参演人员须为本企业人员", "participants must be ours"))
    if pack.section("drills").get("evaluation") and not evaluation.strip():
        problems.append(
            Reason(
                rule="drill_evaluation",
                cite=pack.section("drills")["cite"],
                template={"zh": "请填写演练评估", "en": "enter the drill's evaluation"},
            )
        )
    if problems:
        raise InvalidInput(problems)
    drill = Drill(
        enterprise_id=enterprise.id,
        held_on=held_on,
        scenario=scenario.strip()[:300],
        plan_id=plan.id if plan else None,
        participants=[p.id for p in participants],
        evaluation=evaluation.strip()[:2000],
        photos=[p.id for p in photos],
        recorded_by_id=actor.id if actor else None,
        recorded_at=clock.now(),
    )
    session.add(drill)
    registers._audit(
        session,
        drill,
        enterprise.id,
        actor,
        "record",
        clock.now(),
        held_on=held_on,
        scenario=drill.scenario,
        participants=drill.participants,
        plan=drill.plan_id,
    )
    return drill


def last_drill_on(session: Session, enterprise_id: int) -> date | None:
    return session.scalar(
        select(func.max(Drill.held_on)).where(Drill.enterprise_id == enterprise_id)
    )


def drill_warnings(
    session: Session, enterprise: Enterprise, pack: Pack, today: date
) -> list[Reason]:
    last = last_drill_on(session, enterprise.id)
    status = drill_status(pack, last, today, enterprise.drill_period_months)
    if status.status == "not_set":
        return [_reason(pack, "period_not_set")]
    if status.status == "overdue":
        if last is None:
            return [_reason(pack, "never_drilled")]
        return [
            _reason(pack, "drill_overdue", last=last.isoformat(), due=status.due_on.isoformat())
        ]
    return []


def readiness(
    session: Session, space: Space, enterprise: Enterprise, pack: Pack, today: date
) -> list[Reason]:
    """What to flag when a permit for this space is asked for: no plan, drills overdue."""
    warnings = []
    if plan_for(session, space) is None:
        warnings.append(_reason(pack, "plan_missing", space=f"{space.code} {space.name}"))
    return warnings + drill_warnings(session, enterprise, pack, today)
