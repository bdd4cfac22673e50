"""The API's JSON documents of expert visits: a visit, its 20 checkpoints with the findings and
the evidence pre-fill, a photo, an enterprise of the jurisdiction. openapi.py describes these
shapes; a test keeps the two true."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import url_for
from sqlalchemy.orm import Session

from permit import evidence, inspections, jurisdictions
from permit.catalogue import catalogue
from permit.clock import Clock, local_date
from permit.engine import workflow_of
from permit.models import Enterprise, Finding, FindingPhoto, Inspection, User

from .documents import labels, person, steps
from .problems import lang, reason_document


def visit_summary(visit: Inspection, user: User) -> dict[str, Any]:
    wf = workflow_of(visit)
    return {
        "number": visit.number,
        "state": visit.state,
        "state_label": labels(wf.states[visit.state], visit.state),
        "version": visit.version,
        "planned_on": visit.planned_on.isoformat(),
        "enterprise": {"code": visit.enterprise.code, "name": visit.enterprise.name},
        "lead": person(visit.lead),
        "experts": [person(e) for e in visit.experts],
        "on_team": inspections.on_team(visit, user),
    }


def photo(visit: Inspection, item: FindingPhoto) -> dict[str, Any]:
    return {
        "id": item.id,
        "sha256": item.attachment.sha256,
        "url": url_for("api.visit_photo", number=visit.number, photo_id=item.id),
    }


def finding(visit: Inspection, row: Finding | None) -> dict[str, Any]:
    """What the team recorded for one checkpoint; all empty before its first save."""
    if row is None:
        return {"methods": [], "result": None, "description": "", "suggestion": "",
                "deadline": None, "photos": []}
    return {
        "methods": list(row.methods),
        "result": row.result,
        "description": row.description,
        "suggestion": row.suggestion,
        "deadline": row.deadline.isoformat() if row.deadline else None,
        "photos": [photo(visit, p) for p in row.photos if p.kind == "problem"],
    }


def saved(visit: Inspection, row: Finding) -> dict[str, Any]:
    return {"number": visit.number, "checkpoint": row.checkpoint, **finding(visit, row)}


def _evidence(item: evidence.CheckpointEvidence, language: str) -> dict[str, Any]:
    penalty = None
    if item.penalty is not None:
        penalty = {k: item.penalty[k] for k in ("article", "item", "text", "cite")}
    return {
        "status": item.status,
        "lines": [{"message": line.message(language), "bad": line.bad} for line in item.lines],
        "article": item.article,
        "penalty": penalty,
        "cite": item.cite,
    }


def visit_detail(
    session: Session, visit: Inspection, user: User, *, clock: Clock
) -> dict[str, Any]:
    """Everything the expert's phone needs on site: the visit's steps with what blocks each,
    and per checkpoint the finding so far beside what the enterprise's records show."""
    wf = workflow_of(visit)
    language = lang()
    now = clock.now()
    today = local_date(now)
    found = {f.checkpoint: f for f in inspections.findings_of(session, visit)}
    # The expert decides the finding; the enterprise's own records are what they decide on.
    shown = evidence.evidence(session, visit.enterprise_id, today, now)
    short = inspections.short_consultation(visit, now)
    doc = visit_summary(visit, user)
    doc.update(
        {
            "jurisdiction": jurisdiction_path(session, visit.jurisdiction_id),
            "documents": list(visit.documents),
            "equipment_confirmed_at": visit.equipment_confirmed_at,
            "notified_at": visit.notified_at,
            "kickoff_at": visit.kickoff_at,
            "consultation_started_at": visit.consultation_started_at,
            "consultation_ended_at": visit.consultation_ended_at,
            "accepted_at": visit.accepted_at,
            "conclusion": visit.conclusion,
            "editable": inspections.on_team(visit, user) and visit.state in inspections.EDITABLE,
            "warning": reason_document(short, language) if short else None,
            "evidence_as_of": today.isoformat(),
            "checkpoints": [
                {
                    "checkpoint": point.number,
                    "label": dict(point.text),
                    "group": labels(point.group, ""),
                    **finding(visit, found.get(point.number)),
                    "evidence": _evidence(shown[point.number], language)
                    if point.number in shown
                    else None,
                }
                for point in inspections.checkpoints(wf)
            ],
            "events": steps(session, visit, user, clock=clock),
        }
    )
    return doc


def jurisdiction_path(session: Session, node_id: int | None) -> list[dict[str, Any]]:
    return [
        {"code": n.code, "name": n.name, "level": n.level}
        for n in jurisdictions.path(session, node_id)
    ]


def enterprise(session: Session, item: Enterprise, on: date) -> dict[str, Any]:
    """An enterprise as the jurisdiction sees it; whether the rules cover it is derived."""
    scope = jurisdictions.scope_of(session, item, on)
    names = catalogue().industries.get(item.industry, {})
    return {
        "code": item.code,
        "name": item.name,
        "industry": {"key": item.industry, "label": labels(names, item.industry)},
        "scope": {"applies": scope.applies, **reason_document(scope.reason, lang())},
        "jurisdiction": jurisdiction_path(session, item.jurisdiction_id),
    }
