"""What falls due and when (equipment, training, agreements, drills): computed from the records
with a handful of aggregate queries, periods and citations from the enterprise's rule pack.

`due_items` lists what is overdue or falls due within a horizon (the board's list, and the
reminders); the compliance board itself is built in permit/board.py from the same rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from .drills import drill_status
from .emergency import last_drill_on
from .models import Contractor, Enterprise, Equipment, SafetyAgreement, TrainingRecord, User
from .models.enterprise import UserRole
from .models.equipment import IN_SERVICE
from .packs import Pack, pack_in_force, packs
from .qualification import passed_until
from .workflow import Workflow

# Who keeps the registers and so is told what falls due (the register blueprints' keepers).
KEEPERS = ("admin", "principal", "deputy")


@dataclass(frozen=True)
class DueItem:
    key: str  # stable id: "equipment:12:calibration", "training:7:competence_rescue", ...
    kind: str  # "equipment" | "training" | "drill" | "agreement"
    subject: str  # what it is about, as people know it (D-02 泵吸式四合一检测仪, 张三 — 救援装备)
    due: date  # the last day it still counts
    overdue: bool  # due < today
    article: str  # the citation, from the rule pack
    user_ids: tuple[int, ...]  # who should be reminded
    endpoint: str  # the register page that shows it (a web endpoint name) ...
    args: tuple[tuple[str, Any], ...] = ()  # ... and its arguments


def pack_for(session: Session, enterprise_id: int, today: date) -> Pack:
    return packs()[pack_in_force(session, enterprise_id, today)]


def article(pack: Pack, key: str) -> str:
    """The article of a board obligation, as the pack cites it."""
    line = next((b for b in pack.section("board") if b["key"] == key), None)
    return line["article"] if line else ""


def earliest_counting(kind: str, workflow: Workflow, day: date) -> date:
    """The earliest date a passed record of this training kind may have been taken on and
    still count on `day`: records taken before it have expired by then. The rule itself is
    qualification.passed_until; this finds its boundary (validity only grows with the date)."""
    lo, hi = day - timedelta(days=4000), day + timedelta(days=1)
    while (hi - lo).days > 1:
        mid = lo + (hi - lo) // 2
        until = passed_until(kind, mid, workflow)
        if until is not None and until >= day:
            hi = mid
        else:
            lo = mid
    return hi


def required_roles(workflow: Workflow) -> dict[str, tuple[str, ...]]:
    """Each training kind of the pack, and the permit roles that need it."""
    return {
        kind: tuple(spec.get("required_of", []))
        for kind, spec in workflow.section("training").items()
    }


def keepers(session: Session, enterprise_id: int) -> tuple[int, ...]:
    """The enterprise's own people who keep the registers, active."""
    # From the few holders of a keeper's role (ix_user_roles_role_user), not from everyone in
    # the enterprise: the cost does not grow with the workforce.
    keeper_ids = select(UserRole.user_id).where(UserRole.role.in_(KEEPERS))
    return tuple(
        session.scalars(
            select(User.id)
            .where(
                User.id.in_(keeper_ids),
                User.enterprise_id == enterprise_id,
                User.contractor_id.is_(None),
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    )


def _equipment(
    session: Session, enterprise_id: int, today: date, until: date, overdue: bool, limit: int | None
) -> list[Equipment]:
    query = select(Equipment).where(
        Equipment.enterprise_id == enterprise_id,
        Equipment.status == IN_SERVICE,
        Equipment.due_on.is_not(None),
        Equipment.due_on <= until,
    )
    if not overdue:
        query = query.where(Equipment.due_on >= today)
    return list(session.scalars(query.order_by(Equipment.due_on, Equipment.id).limit(limit)))


def _training(
    session: Session,
    enterprise_id: int,
    workflow: Workflow,
    today: date,
    until: date,
    overdue: bool,
    limit: int | None,
) -> list[tuple[int, str, str, date]]:
    """(user id, name, kind, last passed record) of each person whose newest record of a kind
    their roles need stops counting by `until`: one GROUP BY over the records (or, without
    what is overdue already, over the falling-due window alone)."""
    roles = {k: r for k, r in required_roles(workflow).items() if r}
    if not roles:
        return []
    if not overdue:
        return _falling_due(session, enterprise_id, workflow, today, until, roles, limit)
    role = aliased(UserRole)
    needs = or_(
        *(
            and_(
                TrainingRecord.kind == kind,
                select(role.id).where(role.user_id == User.id, role.role.in_(held)).exists(),
            )
            for kind, held in roles.items()
        )
    )
    last = func.max(TrainingRecord.taken_on)
    # Per kind, the record that still counts on `until` was taken on or after this day.
    soon_cutoff = case(
        *((TrainingRecord.kind == k, earliest_counting(k, workflow, until)) for k in roles),
    )
    query = (
        select(User.id, User.name, TrainingRecord.kind, last)
        .join(TrainingRecord, TrainingRecord.user_id == User.id)
        .where(
            User.enterprise_id == enterprise_id,
            User.active.is_(True),
            TrainingRecord.passed.is_(True),
            TrainingRecord.taken_on <= today,
            needs,
        )
        .group_by(User.id, User.name, TrainingRecord.kind)
        .having(last < soon_cutoff)
    )
    return [tuple(row) for row in session.execute(query.order_by(last, User.id).limit(limit))]


def _falling_due(
    session: Session,
    enterprise_id: int,
    workflow: Workflow,
    today: date,
    until: date,
    roles: Mapping[str, tuple[str, ...]],
    limit: int | None,
) -> list[tuple[int, str, str, date]]:
    """The same rows for what is still valid today but stops counting by `until`, read from
    each kind's falling-due window only (taken on or after the day that still counts today,
    before the day that still counts on `until`), one row per newest record: the records a
    person kept over the years are never read, only the few that fall due."""
    record, newer, role = TrainingRecord, aliased(TrainingRecord), aliased(UserRole)
    opens = {k: earliest_counting(k, workflow, today) for k in roles}
    closes = {k: earliest_counting(k, workflow, until) for k in roles}
    in_window = or_(
        *(
            and_(
                record.kind == kind,
                record.taken_on >= opens[kind],
                record.taken_on < closes[kind],
                select(role.id).where(role.user_id == User.id, role.role.in_(held)).exists(),
            )
            for kind, held in roles.items()
        )
    )
    newest = ~(
        select(newer.id)
        .where(
            newer.user_id == record.user_id,
            newer.kind == record.kind,
            newer.passed.is_(True),
            newer.taken_on <= today,
            or_(
                newer.taken_on > record.taken_on,
                and_(newer.taken_on == record.taken_on, newer.id > record.id),
            ),
        )
        .exists()
    )
    query = (
        select(User.id, User.name, record.kind, record.taken_on)
        .join(User, User.id == record.user_id)
        .where(
            record.kind.in_(sorted(roles)),
            record.passed.is_(True),
            record.taken_on <= today,
            record.taken_on >= min(opens.values()),  # the windows' span, for the index
            record.taken_on < max(closes.values()),
            in_window,
            newest,
            User.enterprise_id == enterprise_id,
            User.active.is_(True),
        )
        .order_by(record.taken_on, User.id, record.kind)
        .limit(limit)
    )
    return [tuple(row) for row in session.execute(query)]


def _agreements(
    session: Session, enterprise_id: int, today: date, until: date, overdue: bool, limit: int | None
) -> list[tuple[SafetyAgreement, str]]:
    """Each active contractor's newest agreement where none of its agreements reaches past
    `until` (a renewal already signed means nothing falls due)."""
    later = aliased(SafetyAgreement)
    query = (
        select(SafetyAgreement, Contractor.name)
        .join(Contractor, Contractor.id == SafetyAgreement.contractor_id)
        .where(
            Contractor.enterprise_id == enterprise_id,
            Contractor.retired_at.is_(None),
            SafetyAgreement.revoked_at.is_(None),
            SafetyAgreement.valid_to <= until,
            ~select(later.id)
            .where(
                later.contractor_id == SafetyAgreement.contractor_id,
                later.revoked_at.is_(None),
                or_(
                    later.valid_to > SafetyAgreement.valid_to,
                    and_(later.valid_to == SafetyAgreement.valid_to, later.id > SafetyAgreement.id),
                ),
            )
            .exists(),
        )
    )
    if not overdue:
        query = query.where(SafetyAgreement.valid_to >= today)
    query = query.order_by(SafetyAgreement.valid_to, SafetyAgreement.id).limit(limit)
    rows = session.execute(query)
    return [(agreement, name) for agreement, name in rows]


def _short(workflow: Workflow, kind: str) -> str:
    spec = workflow.section("training").get(kind, {})
    return spec.get("short_zh") or spec.get("zh", kind)


def due_items(
    session: Session,
    enterprise_id: int,
    today: date,
    horizon_days: int = 30,
    *,
    include_overdue: bool = True,
    limit: int | None = None,
    pack: Pack | None = None,
    last_drill: date | None = None,
) -> list[DueItem]:
    """Everything overdue or falling due within the horizon, soonest first: equipment
    calibration / verification / inspection, each person's training and competence, contractor
    agreements, drills. Things with no date at all (never trained, never calibrated) have
    nothing to fall due: the board reports them. `limit` keeps the soonest of each kind; a
    caller that already knows the pack in force and the last drill passes them in."""
    pack = pack or pack_for(session, enterprise_id, today)
    workflow = pack.workflows["confined_space"]
    until = today + timedelta(days=horizon_days)
    told = keepers(session, enterprise_id)
    items: list[DueItem] = []

    equipment_article = article(pack, "equipment")
    for item in _equipment(session, enterprise_id, today, until, include_overdue, limit):
        items.append(
            DueItem(
                key=f"equipment:{item.id}:calibration",
                kind="equipment",
                subject=f"{item.serial} {item.name}",
                due=item.due_on,
                overdue=item.due_on < today,
                article=equipment_article,
                user_ids=told,
                endpoint="equipment.show",
                args=(("serial", item.serial),),
            )
        )

    for user_id, name, kind, last in _training(
        session, enterprise_id, workflow, today, until, include_overdue, limit
    ):
        due = passed_until(kind, last, workflow)
        board_key = "training" if kind not in _competence(workflow) else "attendants"
        items.append(
            DueItem(
                key=f"training:{user_id}:{kind}",
                kind="training",
                subject=f"{name} — {_short(workflow, kind)}",
                due=due,
                overdue=due < today,
                article=article(pack, board_key),
                user_ids=tuple(sorted({user_id, *told})),
                endpoint="training.card",
                args=(("person_id", user_id),),
            )
        )

    contractors_article = article(pack, "contractors")
    for agreement, company in _agreements(
        session, enterprise_id, today, until, include_overdue, limit
    ):
        items.append(
            DueItem(
                key=f"agreement:{agreement.id}",
                kind="agreement",
                subject=company,
                due=agreement.valid_to,
                overdue=agreement.valid_to < today,
                article=contractors_article,
                user_ids=told,
                endpoint="contractors.company",
                args=(("company_id", agreement.contractor_id),),
            )
        )

    drill = next_drill(session, enterprise_id, pack, today, last_drill)
    if drill is not None and drill <= until and (include_overdue or drill >= today):
        items.append(
            DueItem(
                key=f"drill:enterprise:{enterprise_id}",
                kind="drill",
                subject="应急演练",
                due=drill,
                overdue=drill < today,
                article=article(pack, "emergency"),
                user_ids=told,
                endpoint="emergency.index",
            )
        )
    items.sort(key=lambda i: (i.due, i.kind, i.key))
    return items[:limit] if limit is not None else items


def next_drill(
    session: Session, enterprise_id: int, pack: Pack, today: date, last: date | None = None
) -> date | None:
    """The last day the latest drill counts, by the pack's period or the enterprise's own;
    None when there is no drill or no period to count from."""
    enterprise = session.get(Enterprise, enterprise_id)
    last = last or last_drill_on(session, enterprise_id)
    return drill_status(pack, last, today, enterprise.drill_period_months).due_on


def _competence(workflow: Workflow) -> set[str]:
    return {
        kind
        for kind, spec in workflow.section("training").items()
        if spec.get("guard") == "attendant_competent"
    }


def penalty(pack: Pack, key: str | None) -> Mapping[str, str] | None:
    """The liability article and item that a failing obligation exposes the enterprise to."""
    if not key:
        return None
    for block in pack.section("penalties"):
        for number, item in enumerate(block["items"], 1):
            if item["key"] == key:
                return {
                    "article": block["article"],
                    "item": "一二三四五六七八九十"[number - 1] if number <= 10 else str(number),
                    "text": item["zh"],
                    "enterprise": block["enterprise"],
                    "persons": block["persons"],
                    "cite": block["cite"],
                }
    return None
