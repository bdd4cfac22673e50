"""The problem list handed to the enterprise (问题清单及整改建议, 000 二（三）): per problem the
checkpoint, what was found with its photos, the suggestion, by when and by whom, the penalty
clause it would fall under, the enterprise's answer with its photos and the follow-up verdict."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import followup, inspections, jurisdictions, penalties
from ..clock import local_text
from ..engine import workflow_of
from ..models import FindingPhoto, Inspection, User
from . import PdfCache, render


def _data_url(photo: FindingPhoto) -> str:
    copy = photo.resized
    return f"data:{copy.content_type};base64,{base64.b64encode(copy.data).decode()}"


def _who(session: Session, ids: set[int | None]) -> dict[int, str]:
    ids.discard(None)
    if not ids:
        return {}
    return {u.id: u.name for u in session.scalars(select(User).where(User.id.in_(ids)))}


def problem_list(session: Session, inspection: Inspection) -> dict[str, Any]:
    """What the list prints, as plain data (Chinese: it is handed over as an official record)."""
    wf = workflow_of(inspection)
    points = {c.number: c for c in inspections.checkpoints(wf)}
    rows = inspections.problems(session, inspection)
    mapped = penalties.penalties_for(session, inspection)
    pack = penalties.pack_of(session, inspection)
    verdicts = {v["key"]: v for v in wf.section("verdicts")["items"]}
    people = _who(
        session,
        {r.answered_by_id for r in rows}
        | {r.followed_up_by_id for r in rows}
        | {inspection.accepted_by_id},
    )
    # The list's text depends only on the records: "as of" their last change, never "now",
    # so an unchanged list is served from the cache.
    changes = [inspection.updated_at]
    for r in rows:
        changes += [r.updated_at, r.answered_at, r.followed_up_at]
    problems = []
    for r in rows:
        point = points[r.checkpoint]
        clause = mapped[r.checkpoint].clause
        verdict = verdicts.get(r.followup or "")
        problems.append(
            {
                "number": r.checkpoint,
                "group": f"{point.group['number']}、{point.group['zh']}",
                "checkpoint": point.text["zh"],
                "description": r.description or "—",
                "suggestion": r.suggestion or "—",
                "deadline": r.deadline.isoformat() if r.deadline else "—",
                "responsible": r.responsible or "—",
                "penalty": None
                if clause is None
                else {
                    "label": clause.label("zh"),
                    "text": clause.text["zh"],
                    "enterprise": clause.fines_text("enterprise"),
                    "persons": clause.fines_text("persons"),
                    "wording": clause.wording,
                },
                "no_penalty": mapped[r.checkpoint].summary("zh") if clause is None else "",
                "obligation": mapped[r.checkpoint].article,
                "photos": [_data_url(p) for p in r.photos if p.kind == "problem"],
                "answer": r.answer,
                "answered": f"{people.get(r.answered_by_id, '—')} {local_text(r.answered_at)}"
                if r.answered_at
                else "",
                "answer_photos": [_data_url(p) for p in r.photos if p.kind == "answer"],
                "verdict": verdict["zh"] if verdict else "",
                "enforce": bool(verdict and verdict.get("enforce")),
                "note": r.followup_note,
                "judged": f"{people.get(r.followed_up_by_id, '—')} {local_text(r.followed_up_at)}"
                if r.followed_up_at
                else "",
            }
        )
    verdict_spec = wf.section("verdicts")
    return {
        "title": "问题清单及整改建议",
        "enterprise": inspection.enterprise.name,
        "number": inspection.number,
        "state": wf.state_label(inspection.state, "zh"),
        "jurisdiction": " › ".join(
            n.name for n in jurisdictions.path(session, inspection.jurisdiction_id)
        ),
        "planned_on": inspection.planned_on.isoformat(),
        "consultation": (
            local_text(inspection.consultation_started_at),
            local_text(inspection.consultation_ended_at),
        ),
        "lead": inspection.lead.name,
        "experts": [e.name for e in inspection.experts],
        "accepted": f"{people.get(inspection.accepted_by_id, '—')} "
        f"{local_text(inspection.accepted_at)}"
        if inspection.accepted_at
        else "",
        "pack": pack.label("zh"),
        "problems": problems,
        "flagged": len(followup.flagged_for_enforcement(session, inspection)),
        "enforcement": verdict_spec["enforcement"]["zh"],
        "verdict_cite": verdict_spec["cite"],
        "conclusion": inspection.conclusion,
        "as_of": local_text(max(c for c in changes if c is not None)),
    }


def problem_list_pdf(
    session: Session, inspection: Inspection, *, cache: PdfCache | None = None
) -> bytes:
    return render("problem_list.html", cache=cache, f=problem_list(session, inspection))
