"""What continuous monitoring shows about a permit now: its open alarms, the latest reading of
each detector, and the detectors that have fallen silent. Read from the database on each call,
so every app process answers alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Alarm, Equipment, Permit, Reading
from .workflow import Workflow

SHOWN = 5  # open alarms listed on the live page, newest first
RECENT = 40  # readings read per detector to find the latest of each gas and sampling point


def cleared_at(permit: Permit) -> datetime | None:
    """When the latest passing gas test was taken: alarms raised before it are resolved."""
    passed = [t.tested_at for t in permit.gas_tests if t.passed]
    return max(passed) if passed else None


def open_alarms(session: Session, permit: Permit, limit: int = SHOWN) -> list[Alarm]:
    """Alarms not yet followed by a passing gas test, newest first: until then nobody enters."""
    query = select(Alarm).where(Alarm.permit_id == permit.id)
    since = cleared_at(permit)
    if since is not None:
        query = query.where(Alarm.raised_at > since)
    return list(session.scalars(query.order_by(Alarm.id.desc()).limit(limit)))


@dataclass(frozen=True)
class DetectorLatest:
    detector: Equipment
    last_at: datetime
    readings: list[Reading]  # the latest of each gas and sampling point, by gas


def latest_by_detector(session: Session, permit: Permit) -> list[DetectorLatest]:
    """For each gas detector on the permit that has sent readings: when it last did, and the
    latest reading of each gas and sampling point (one indexed query per detector)."""
    found = []
    for detector in (e for e in permit.equipment if e.kind == "gas_detector"):
        recent = session.scalars(
            select(Reading)
            .where(Reading.permit_id == permit.id, Reading.detector_id == detector.id)
            .order_by(Reading.taken_at.desc(), Reading.id.desc())
            .limit(RECENT)
        ).all()
        if not recent:
            continue
        latest: dict[tuple[str, str], Reading] = {}
        for reading in recent:
            latest.setdefault((reading.gas, reading.point), reading)
        ordered = sorted(latest.values(), key=lambda r: (r.gas, r.point))
        found.append(DetectorLatest(detector, recent[0].taken_at, ordered))
    return found


def silence(workflow: Workflow) -> timedelta | None:
    spec = workflow.section("monitoring")
    if not spec:
        return None
    return timedelta(seconds=workflow.figure("monitoring", "silence").seconds())


def silent(
    permit: Permit, workflow: Workflow, latest: list[DetectorLatest], now: datetime
) -> list[DetectorLatest]:
    """During work, the detectors that were reporting and have sent nothing for longer than
    the pack's silence: continuous monitoring has stopped (art. 13)."""
    limit = silence(workflow)
    if limit is None or permit.state != "working":
        return []
    return [d for d in latest if now - d.last_at > limit]
