"""The API's JSON documents: what a permit, a space, a token look like to a client. The
OpenAPI document (openapi.py) describes exactly these shapes; a test keeps the two true."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from permit import alarms, engine, gas
from permit.clock import Clock
from permit.engine import workflow_of
from permit.models import ApiToken, Permit, Space, User
from permit.readings import Ingested
from permit.workflow import Workflow

from .problems import lang, reason_document

LANGS = ("zh", "en")


def labels(spec: dict[str, Any], fallback: str) -> dict[str, str]:
    return {lang: str(spec.get(lang, fallback)) for lang in LANGS}


def person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.id, "name": user.name}


def space(item: Space, wf: Workflow | None = None) -> dict[str, Any]:
    hazards = wf.section("hazards") if wf is not None else {}
    return {
        "code": item.code,
        "name": item.name,
        "location": item.location,
        "hazards": [
            {"key": h, "label": labels(hazards.get(h, {}), h)} for h in item.hazards
        ],
        "control_measures": list(item.control_measures),
        "isolation_measures": list(item.isolation_measures),
        "deep": item.deep,
        "active": item.active,
    }


def permit_summary(permit: Permit) -> dict[str, Any]:
    wf = workflow_of(permit)
    return {
        "number": permit.number,
        "state": permit.state,
        "state_label": labels(wf.states[permit.state], permit.state),
        "version": permit.version,
        "space": {"code": permit.space.code, "name": permit.space.name},
        "task_type": permit.task_type,
        "purpose": permit.purpose,
        "window_start": permit.window_start,
        "window_end": permit.window_end,
        "risk_tier": permit.risk_tier,
        "rule_pack": wf.pack,
        "attendant": person(permit.attendant),
    }


def _reading(r: Any) -> dict[str, Any]:
    return {
        "gas": r.gas,
        "point": r.point,
        "value": r.value,
        "unit": r.unit,
        "passed": r.passed,
        "taken_at": r.taken_at,
    }


def permit_detail(session: Session, permit: Permit, user: User, *, clock: Clock) -> dict[str, Any]:
    """Everything a phone needs to run the permit: state, people, equipment, tests, headcount,
    monitoring, and the events this person may fire with what still blocks each."""
    wf = workflow_of(permit)
    now = clock.now()
    inside = permit.inside
    latest = alarms.latest_by_detector(session, permit)
    serials = {e.id: e.serial for e in permit.equipment}
    doc = permit_summary(permit)
    doc.update(
        {
            "hazards": list(permit.hazards),
            "control_measures": list(permit.control_measures),
            "requester": person(permit.requester),
            "entrants": [person(u) for u in permit.entrants],
            "rescuers": [person(u) for u in permit.rescuers],
            "contractor": permit.contractor.name if permit.contractor else None,
            "equipment": [
                {
                    "serial": e.serial,
                    "kind": e.kind,
                    "name": e.name,
                    "gases": list(e.gases),
                    "due_on": e.due_on.isoformat() if e.due_on else None,
                }
                for e in permit.equipment
            ],
            "gases_to_test": gas.gases_to_test(permit.hazards, wf),
            "gas_tests": [
                {
                    "tested_at": t.tested_at,
                    "passed": t.passed,
                    "detector": serials.get(t.detector_id),
                    "readings": [_reading(r) for r in t.readings],
                }
                for t in permit.gas_tests
            ],
            "headcount": len(inside),
            # once each, even for someone named twice on the permit (entrant and rescuer)
            "inside": list(
                {p.user_id: person(p.user) for p in permit.people if p.user_id in inside}.values()
            ),
            "alarms": [
                {
                    "id": a.id,
                    "kind": a.kind,
                    "raised_at": a.raised_at,
                    "taken_at": a.taken_at,
                    "detector": serials.get(a.detector_id),
                    "gas": a.gas,
                    "point": a.point,
                    "value": a.value,
                    "unit": a.unit,
                    "limit": gas.limit_text(a.gas, wf) if a.gas in wf.section("gases") else "",
                    "moved_to": a.moved_to,
                    "cite": wf.section("monitoring").get("alarm_cite", ""),
                }
                for a in alarms.open_alarms(session, permit)
            ],
            "monitoring": [
                {"detector": d.detector.serial, "last_at": d.last_at,
                 "readings": [_reading(r) for r in d.readings]}
                for d in latest
            ],
            "silent_detectors": [
                d.detector.serial for d in alarms.silent(permit, wf, latest, now)
            ],
            "events": steps(session, permit, user, clock=clock),
        }
    )
    return doc


def steps(session: Session, permit: Permit, user: User, *, clock: Clock) -> list[dict[str, Any]]:
    """The buttons this person would see, each with what still blocks it (empty: ready)."""
    language = lang()
    return [
        {
            "event": step.event.name,
            "label": dict(step.event.labels),
            "style": step.event.style,
            "requires": list(step.event.requires),
            "ready": step.ready,
            "reasons": [reason_document(r, language) for r in step.reasons],
        }
        for step in engine.steps_for(session, permit, user, clock=clock)
    ]


def applied(permit: Permit, result: engine.Applied) -> dict[str, Any]:
    wf = workflow_of(permit)
    return {
        "number": permit.number,
        "event": result.event,
        "from": result.source,
        "state": result.state,
        "state_label": labels(wf.states[result.state], result.state),
        "version": result.version,
        "outcomes": dict(result.outcomes),
    }


def ingested(permit: Permit, result: Ingested) -> dict[str, Any]:
    return {
        "number": permit.number,
        "batch": result.batch_id,
        "stored": result.count,
        "alarms": result.alarms,
        "suspended": result.moved,
        "state": result.state,
        "version": result.version,
    }


def token(row: ApiToken, secret: str | None = None) -> dict[str, Any]:
    doc = {
        "id": row.id,
        "kind": row.kind,
        "label": row.label,
        "created_at": row.created_at,
        "expires_at": row.expires_at,
        "revoked_at": row.revoked_at,
        "user": person(row.user) if row.kind == "user" else None,
        "detector": row.equipment.serial if row.equipment is not None else None,
    }
    if secret is not None:
        doc["token"] = secret
    return doc
