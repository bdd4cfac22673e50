"""A permit's live status: state, headcount, the latest test and alarms, as plain data for
the live page, the public scan page and the API. Computed from the database on each call:
nothing is kept in a process, so every app process answers alike."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .clock import local_text
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
    return status
