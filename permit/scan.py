"""The public scan page's data: what anyone at the entrance may know, and nothing more.

`public_status` returns plain data holding only sign-level fields, so the page that shows it
cannot reach a person's phone number, a permit's purpose or another space, whatever its
template does. Failed scans are counted per client, in the database (every app process sees
them), to refuse anyone walking through tokens.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import packs
from .clock import local_date, local_text, local_zone
from .models import Enterprise, GasTest, Permit, ScanMiss, Space
from .workflow import get as get_workflow

# Entry is possible only while a permit is working; a suspended permit or an emergency must
# say "nobody enters" at the entrance just as loudly (art. 13).
LIVE_STATES = ("working", "suspended", "emergency")


def throttled(
    session: Session, remote: str, now: datetime, *, limit: int, window: timedelta
) -> bool:
    """Has this client missed `limit` times within `window`?"""
    misses = session.scalar(
        select(func.count())
        .select_from(ScanMiss)
        .where(ScanMiss.remote == remote[:64], ScanMiss.at >= now - window)
    )
    return misses >= limit


def record_miss(session: Session, remote: str, now: datetime) -> None:
    session.add(ScanMiss(remote=remote[:64], at=now))
    session.flush()


def public_status(session: Session, space: Space, now: datetime) -> dict[str, Any]:
    """The space's sign-level facts and its live permits, as plain data in both languages."""
    wf = packs.workflow_for(session, space.enterprise_id, "confined_space", local_date(now))
    known = wf.section("hazards")
    phone = space.emergency_phone or session.scalar(
        select(Enterprise.emergency_phone).where(Enterprise.id == space.enterprise_id)
    )
    permits = session.scalars(
        select(Permit)
        .where(Permit.space_id == space.id, Permit.state.in_(LIVE_STATES))
        .order_by(Permit.id)
    ).all()
    return {
        "code": space.code,
        "name": space.name,
        "hazards": [
            {"zh": known.get(h, {}).get("zh", h), "en": known.get(h, {}).get("en", h)}
            for h in space.hazards
        ],
        "emergency_phone": (phone or "").strip(),
        "permits": [_permit(session, p, now) for p in permits],
    }


def _permit(session: Session, permit: Permit, now: datetime) -> dict[str, Any]:
    wf = get_workflow(permit.workflow, permit.workflow_version)
    test = session.execute(
        select(GasTest.tested_at, GasTest.passed)
        .where(GasTest.permit_id == permit.id)
        .order_by(GasTest.tested_at.desc(), GasTest.id.desc())
        .limit(1)
    ).first()
    last_test = None
    if test is not None:
        validity = wf.figure("gas_tests", "validity").seconds()
        same_day = local_date(test.tested_at) == local_date(now)
        last_test = {
            "at": (
                test.tested_at.astimezone(local_zone()).strftime("%H:%M")
                if same_day
                else local_text(test.tested_at)
            ),
            "passed": test.passed,
            "stale": (now - test.tested_at).total_seconds() > validity,
        }
    return {
        "number": permit.number,
        "state": permit.state,
        "state_label": {lang: wf.state_label(permit.state, lang) for lang in ("zh", "en")},
        "working": permit.state == "working",
        "attendant": permit.attendant.name if permit.attendant else "",
        "last_test": last_test,
        "headcount": permit.headcount,
    }
