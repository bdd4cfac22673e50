"""The public scan page's data: what anyone at the entrance may know, and nothing more.

`open_sign` returns plain data holding only sign-level fields, so the page that shows it
cannot reach a person's phone number, a permit's purpose or another space, whatever its
template does. It reads columns, not objects, in one statement built once (the client's
misses, the space and its live permits). Failed scans are counted per client, in the
database (every app process sees them), to refuse anyone walking through tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, func, literal, select
from sqlalchemy.orm import Session, aliased

from . import packs
from .clock import local_date, local_text, local_zone
from .db import PreparedRead
from .models import Enterprise, EntryLog, GasTest, Permit, RulePackChoice, ScanMiss, Space, User
from .signs import TOKEN_SHAPE
from .workflow import get as get_workflow

# Entry is possible only while a permit is working; a suspended permit or an emergency must
# say "nobody enters" at the entrance just as loudly (art. 13).
LIVE_STATES = ("working", "suspended", "emergency")


# Statements built once: composing a SELECT in Python costs more than SQLite running it,
# and this page is opened by every phone at every entrance.
_MISSES = (
    select(func.count())
    .select_from(ScanMiss)
    .where(ScanMiss.remote == bindparam("remote"), ScanMiss.at >= bindparam("since"))
)


def throttled(
    db: Connection | Session, remote: str, now: datetime, *, limit: int, window: timedelta
) -> bool:
    """Has this client missed `limit` times within `window`?"""
    misses = db.execute(_MISSES, {"remote": remote[:64], "since": now - window}).scalar()
    return misses >= limit


def record_miss(session: Session, remote: str, now: datetime) -> None:
    session.add(ScanMiss(remote=remote[:64], at=now))
    session.flush()


_PACK = (
    select(RulePackChoice.pack)
    .where(
        RulePackChoice.enterprise_id == Space.enterprise_id,
        RulePackChoice.applies_from <= bindparam("day"),
    )
    .order_by(RulePackChoice.applies_from.desc(), RulePackChoice.id.desc())
    .limit(1)
    .scalar_subquery()
)
_MISSES_NOW = (
    select(func.count().label("misses"))
    .select_from(ScanMiss)
    .where(ScanMiss.remote == bindparam("remote"), ScanMiss.at >= bindparam("since"))
    .subquery()
)
_TEST = aliased(GasTest)
_LATEST_TEST = (
    select(_TEST.id)
    .where(_TEST.permit_id == Permit.id)
    .order_by(_TEST.tested_at.desc(), _TEST.id.desc())
    .limit(1)
    .correlate(Permit)
    .scalar_subquery()
)
# Ins minus outs: the guards let nobody in twice or out without being in, so this is the
# number of people inside (Permit.inside counts person by person, to the same sum).
_HEADCOUNT = (
    select(func.coalesce(func.sum(case((EntryLog.direction == "in", 1), else_=-1)), 0))
    .where(EntryLog.permit_id == Permit.id)
    .scalar_subquery()
)
# The states as literal binds, not one expanding IN parameter, which SQLAlchemy rewrites on
# every execution.
_LIVE = Permit.state.in_([literal(state) for state in LIVE_STATES])
# One statement: the client's recent misses, the space, its pack and each live permit with
# its attendant, latest gas test and headcount. Always at least one row (the misses), even
# when the token opens nothing; one row a live permit when it does.
_SCAN = (
    select(
        _MISSES_NOW.c.misses,
        Space.id,
        Space.enterprise_id,
        Space.code,
        Space.name,
        Space.hazards,
        func.coalesce(Space.emergency_phone, Enterprise.emergency_phone).label("phone"),
        _PACK.label("pack"),
        Permit.number,
        Permit.state,
        Permit.workflow,
        Permit.workflow_version,
        User.name.label("attendant"),
        GasTest.tested_at,
        GasTest.passed,
        _HEADCOUNT.label("headcount"),
    )
    .select_from(_MISSES_NOW)
    .outerjoin(
        Space.__table__.join(Enterprise.__table__, Enterprise.id == Space.enterprise_id)
        .outerjoin(Permit.__table__, and_(Permit.space_id == Space.id, _LIVE))
        .outerjoin(User.__table__, User.id == Permit.attendant_id)
        .outerjoin(GasTest.__table__, GasTest.id == _LATEST_TEST),
        and_(Space.qr_token == bindparam("token"), Space.retired_at.is_(None)),
    )
    .order_by(Permit.id)
)


_PREPARED: dict[str, PreparedRead] = {}


def _prepared(conn: Connection) -> PreparedRead:
    """_SCAN compiled once per database kind, run on the driver's cursor: SQLAlchemy's own
    execution cost several times what the database spends on it."""
    name = conn.dialect.name
    if name not in _PREPARED:
        _PREPARED[name] = PreparedRead(_SCAN, conn.dialect)
    return _PREPARED[name]


@dataclass(frozen=True)
class Scan:
    """What a token opens: the public facts, and whose space it is (for signed-in staff)."""

    public: dict[str, Any]
    enterprise_id: int
    space_code: str


@dataclass(frozen=True)
class Opened:
    """A scan's answer: refused (too many misses), a space, or nothing (None, a miss)."""

    throttled: bool
    found: Scan | None


def open_sign(
    conn: Connection,
    token: str,
    *,
    remote: str,
    now: datetime,
    limit: int,
    window: timedelta,
) -> Opened:
    """What this client's scan of this token opens. A client with `limit` misses in `window`
    is refused whatever the token; otherwise the public facts of the active space whose
    current sign carries the token, or None for anything else (unknown, replaced, malformed,
    a retired space), all alike. Reads on a bare connection, no ORM session (a third of
    the page's cost), and records nothing: the caller records a miss."""
    if not TOKEN_SHAPE.fullmatch(token or ""):
        return Opened(throttled(conn, remote, now, limit=limit, window=window), None)
    day = local_date(now)
    rows = _prepared(conn).all(
        conn, {"remote": remote[:64], "since": now - window, "token": token, "day": day}
    )
    row = rows[0]
    if row.misses >= limit:
        return Opened(True, None)
    if row.id is None:
        return Opened(False, None)
    known = (
        packs.packs()[row.pack or packs.default_pack(day)]
        .workflows["confined_space"]
        .section("hazards")
    )
    return Opened(
        False,
        Scan(
            public={
                "code": row.code,
                "name": row.name,
                "hazards": [
                    {"zh": known.get(h, {}).get("zh", h), "en": known.get(h, {}).get("en", h)}
                    for h in row.hazards
                ],
                "emergency_phone": (row.phone or "").strip(),
                "permits": [_permit(p, now) for p in rows if p.number is not None],
            },
            enterprise_id=row.enterprise_id,
            space_code=row.code,
        ),
    )


def _permit(row, now: datetime) -> dict[str, Any]:
    wf = get_workflow(row.workflow, row.workflow_version)
    last_test = None
    if row.tested_at is not None:
        validity = wf.figure("gas_tests", "validity").seconds()
        same_day = local_date(row.tested_at) == local_date(now)
        last_test = {
            "at": (
                row.tested_at.astimezone(local_zone()).strftime("%H:%M")
                if same_day
                else local_text(row.tested_at)
            ),
            "passed": row.passed,
            "stale": (now - row.tested_at).total_seconds() > validity,
        }
    return {
        "number": row.number,
        "state": row.state,
        "state_label": {lang: wf.state_label(row.state, lang) for lang in ("zh", "en")},
        "working": row.state == "working",
        "attendant": row.attendant or "",
        "last_test": last_test,
        "headcount": int(row.headcount),
    }
