"""A permit's live status: state, headcount, the latest test and alarms, as plain data for
the live page, the public scan page and the API. Computed from the database on each call:
nothing is kept in a process, so every app process answers alike."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import object_session

from . import alarms as monitoring
from .clock import local_text
from .gas import limit_text
from .models import Permit
from .workflow import Workflow

ALARM_STATES = {"suspended", "emergency"}


def live_status(
    permit: Permit, workflow: Workflow, now: datetime, lang: str = "zh"
) -> dict[str, Any]:
    test = permit.latest_gas_test
    gases = workflow.section("gases")
    validity = workflow.figure("gas_tests", "validity").seconds()
    inside = permit.inside
    names = {p.user_id: p.user.name for p in permit.people}
    status: dict[str, Any] = {
        "number": permit.number,
        "state": permit.state,
        "state_label": workflow.state_label(permit.state, lang),
        "version": permit.version,
        "alarm": permit.state in ALARM_STATES,
        "headcount": len(inside),
        "inside": sorted(names.get(uid, str(uid)) for uid in inside),
        "last_test": None,
    }
    if test is not None:
        age = (now - test.tested_at).total_seconds()
        status["last_test"] = {
            "at": local_text(test.tested_at),
            "passed": test.passed,
            "age_minutes": int(age // 60),
            "stale": age > validity,
            "readings": [
                {
                    "gas": r.gas,
                    "name": gases.get(r.gas, {}).get(lang, r.gas),
                    "point": r.point,
                    "value": r.value,
                    "unit": r.unit,
                    "passed": r.passed,
                }
                for r in test.readings
            ],
        }
    status.update(_monitoring(permit, workflow, now, lang))
    return status


def _monitoring(permit: Permit, workflow: Workflow, now: datetime, lang: str) -> dict[str, Any]:
    """Open alarms, each detector's latest readings and the silent detectors (art. 13).

    `signal` changes whenever any of them does, so that the live page reloads for an alarm or
    a silence that leaves the permit's version as it was."""
    session = object_session(permit)
    if session is None or not workflow.section("monitoring"):
        return {"alarms": [], "monitoring": [], "silent_detectors": [], "signal": ""}
    gases = workflow.section("gases")
    cite = workflow.section("monitoring")["alarm_cite"]
    silence_cite = workflow.section("monitoring")["silence_cite"]
    serials = {e.id: e.serial for e in permit.equipment}
    open_alarms = monitoring.open_alarms(session, permit)
    latest = monitoring.latest_by_detector(session, permit)
    silent = monitoring.silent(permit, workflow, latest, now)
    alarms = [
        {
            "id": a.id,
            "gas": a.gas,
            "name": gases.get(a.gas, {}).get(lang, a.gas),
            "point": a.point,
            "value": a.value,
            "unit": a.unit,
            "limit": limit_text(a.gas, workflow) if a.gas in gases else "",
            "detector": serials.get(a.detector_id, ""),
            "taken_at": local_text(a.taken_at),
            "raised_at": local_text(a.raised_at),
            "readings_over": a.readings_over,
            "moved_to": a.moved_to,
            "cite": cite,
        }
        for a in open_alarms
    ]
    readings = [
        {
            "detector": d.detector.serial,
            "gas": r.gas,
            "name": gases.get(r.gas, {}).get(lang, r.gas),
            "point": r.point,
            "value": r.value,
            "unit": r.unit,
            "passed": r.passed,
            "taken_at": local_text(r.taken_at),
        }
        for d in latest
        for r in d.readings
    ]
    silent_detectors = [
        {
            "detector": d.detector.serial,
            "last_at": local_text(d.last_at),
            "minutes": int((now - d.last_at).total_seconds() // 60),
            "cite": silence_cite,
        }
        for d in silent
    ]
    signal = "|".join(
        [",".join(str(a["id"]) for a in alarms), ",".join(d["detector"] for d in silent_detectors)]
    )
    return {
        "alarms": alarms,
        "monitoring": readings,
        "silent_detectors": silent_detectors,
        "signal": signal,
    }
