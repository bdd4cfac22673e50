"""Reading the running tallies the database keeps (migration 0016), and recounting them from
the records they count.

The compliance board reads its all-time counts here: a handful of tally rows per enterprise,
however many approvals, entries, people and training records it has. `recounted` counts the
same from the records themselves, for the tests and for anyone who wants to check a database
(`permit check-tallies`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from .models import (
    ApprovalTally,
    EntryLog,
    EntryTally,
    Permit,
    Signature,
    TrainingRecord,
    TrainingTally,
    User,
    UserRole,
    WorkforceTally,
)

Approvals = list[tuple[str, str, str, str, int]]  # workflow, version, tier ("" untiered), role, n


def approvals(session: Session, enterprise_id: int) -> Approvals:
    """Approvals signed, by workflow version, tier and the signer's role."""
    t = ApprovalTally
    rows = session.execute(
        select(t.workflow, t.workflow_version, t.tier, t.role, t.signed).where(
            t.enterprise_id == enterprise_id, t.signed > 0
        )
    ).all()
    return [tuple(row) for row in rows]


def entries(session: Session, enterprise_id: int) -> tuple[int, int]:
    """Check-ins, and those made without a fresh passing gas test."""
    row = session.execute(
        select(EntryTally.entries, EntryTally.untested).where(
            EntryTally.enterprise_id == enterprise_id
        )
    ).one_or_none()
    return (row[0], row[1]) if row else (0, 0)


def _holds(roles: str, wanted: Sequence[str]) -> bool:
    return bool(set(roles.split(",")) & set(wanted)) if roles else False


def coverage(
    session: Session,
    enterprise_id: int,
    today: date,
    groups: Mapping[tuple[str, ...], Sequence[str]],
    cuts: Mapping[str, tuple[date, date]],
) -> dict[tuple[str, ...], tuple[int, dict[str, tuple[int, int]]]]:
    """Per group of training kinds (and the roles that group is asked of): how many active
    people hold one of those roles, and per kind how many of them hold a passed record taken
    by `today` and on or after each of the two cut-off dates `cuts[kind]` (valid today, and
    still valid at the horizon). Two statements over the tallies, summed by set of roles, and
    one over an index range that is empty unless a record is dated after today: the tally
    knows only a person's newest record, so such people are judged from their records."""
    people = session.execute(
        select(WorkforceTally.roles, WorkforceTally.people).where(
            WorkforceTally.enterprise_id == enterprise_id, WorkforceTally.people > 0
        )
    ).all()
    t = TrainingTally
    kinds = sorted({k for g in groups for k in g})
    found: dict[tuple[str, ...], tuple[int, dict[str, tuple[int, int]]]] = {
        g: (
            sum(n for roles, n in people if _holds(roles, wanted)),
            {k: (0, 0) for k in g},
        )
        for g, wanted in groups.items()
    }
    if not kinds:
        return found
    first, second = (case({k: cuts[k][i] for k in kinds}, value=t.kind) for i in (0, 1))
    rows = session.execute(
        select(
            t.roles,
            t.kind,
            func.sum(case((t.newest_on >= first, t.people), else_=0)),
            func.sum(case((t.newest_on >= second, t.people), else_=0)),
        )
        .where(
            t.enterprise_id == enterprise_id,
            t.kind.in_(kinds),
            t.newest_on >= min(c for pair in cuts.values() for c in pair),
            t.newest_on <= today,
            t.people > 0,
        )
        .group_by(t.roles, t.kind)
    ).all()
    rows = [tuple(row) for row in rows] + _dated_ahead(session, enterprise_id, today, kinds, cuts)
    for g, wanted in groups.items():
        for roles, kind, now, later in rows:
            if kind in g and _holds(roles, wanted):
                valid, beyond = found[g][1][kind]
                found[g][1][kind] = (valid + int(now or 0), beyond + int(later or 0))
    return found


def _dated_ahead(
    session: Session,
    enterprise_id: int,
    today: date,
    kinds: list[str],
    cuts: Mapping[str, tuple[date, date]],
) -> list[tuple[str, str, int, int]]:
    """The people whose newest record of a kind is dated after today (the forms refuse such a
    date, an import or a clock set back may not), as rows like the tally's: their roles, the
    kind, and whether their newest record by today is past each cut-off."""
    r = TrainingRecord
    ahead = (
        select(r.user_id, r.kind)
        .where(r.kind.in_(kinds), r.passed.is_(True), r.taken_on > today)
        .distinct()
        .subquery()
    )
    found = session.execute(
        select(
            User.id,
            r.kind,
            func.max(case((r.taken_on <= today, r.taken_on))),
        )
        .join(ahead, ahead.c.user_id == User.id)
        .join(r, and_(r.user_id == User.id, r.kind == ahead.c.kind, r.passed.is_(True)))
        .where(User.enterprise_id == enterprise_id, User.active.is_(True))
        .group_by(User.id, r.kind)
    ).all()
    if not found:
        return []
    held: dict[int, list[str]] = {}
    for user_id, role in session.execute(
        select(UserRole.user_id, UserRole.role).where(UserRole.user_id.in_({u for u, *_ in found}))
    ):
        held.setdefault(user_id, []).append(role)
    return [
        (
            ",".join(sorted(held.get(user_id, []))),
            kind,
            int(last is not None and last >= cuts[kind][0]),
            int(last is not None and last >= cuts[kind][1]),
        )
        for user_id, kind, last in found
    ]


# -- checking ---------------------------------------------------------------------------------


# Each tally by name, with the count whose zero rows the check passes over. Their columns are
# in the recount's order: the enterprise, what is counted by, the counts.
TALLIES = {
    "approvals": (ApprovalTally, ApprovalTally.signed),
    "entries": (EntryTally, EntryTally.entries),
    "workforce": (WorkforceTally, WorkforceTally.people),
    "training": (TrainingTally, TrainingTally.people),
}


def kept(session: Session) -> dict[str, set[tuple]]:
    """Every tally row the database keeps, but those at zero."""
    return {
        name: {
            tuple(r) for r in session.execute(select(*model.__table__.columns).where(count != 0))
        }
        for name, (model, count) in TALLIES.items()
    }


def recounted(session: Session) -> dict[str, set[tuple]]:
    """The same tallies counted afresh from the signatures, entries, people, roles and
    training records: equal to `kept` in a consistent database."""
    tier = func.coalesce(Signature.tier, "")
    approvals = session.execute(
        select(
            Permit.enterprise_id,
            Permit.workflow,
            Permit.workflow_version,
            tier,
            Signature.role,
            func.count(),
        )
        .join(Permit, Permit.id == Signature.permit_id)
        .where(Signature.kind == "approve")
        .group_by(
            Permit.enterprise_id, Permit.workflow, Permit.workflow_version, tier, Signature.role
        )
    ).all()
    entries = session.execute(
        select(
            Permit.enterprise_id,
            func.count(),
            func.sum(case((EntryLog.gas_test_id.is_(None), 1), else_=0)),
        )
        .join(Permit, Permit.id == EntryLog.permit_id)
        .where(EntryLog.direction == "in")
        .group_by(Permit.enterprise_id)
    ).all()
    # Sets of roles and newest records are put together here, not in SQL: this is the check.
    roles: dict[int, list[str]] = {}
    for user_id, role in session.execute(select(UserRole.user_id, UserRole.role)):
        roles.setdefault(user_id, []).append(role)
    people = {
        user_id: (enterprise_id, ",".join(sorted(roles.get(user_id, []))))
        for user_id, enterprise_id in session.execute(
            select(User.id, User.enterprise_id).where(
                User.active.is_(True), User.enterprise_id.is_not(None)
            )
        )
    }
    workforce: dict[tuple, int] = {}
    for key in people.values():
        workforce[key] = workforce.get(key, 0) + 1
    training: dict[tuple, int] = {}
    newest = session.execute(
        select(TrainingRecord.user_id, TrainingRecord.kind, func.max(TrainingRecord.taken_on))
        .where(TrainingRecord.passed.is_(True))
        .group_by(TrainingRecord.user_id, TrainingRecord.kind)
    )
    for user_id, kind, on in newest:
        if user_id in people:
            key = (*people[user_id], kind, on)
            training[key] = training.get(key, 0) + 1
    return {
        "approvals": {tuple(r) for r in approvals},
        "entries": {(e, n, int(u)) for e, n, u in entries},
        "workforce": {(*k, n) for k, n in workforce.items()},
        "training": {(*k, n) for k, n in training.items()},
    }


def differences(session: Session) -> dict[str, tuple[set[tuple], set[tuple]]]:
    """Per tally whose kept rows differ from the recount: (kept only, recounted only)."""
    have, want = kept(session), recounted(session)
    return {k: (have[k] - want[k], want[k] - have[k]) for k in have if have[k] != want[k]}
