"""回头看 (000 三): the team's verdict on each problem the enterprise was asked to rectify, and
the problems still not fixed, which are flagged for enforcement (依法严格处罚) with the penalty
clause each falls under in the enterprise's own rule pack."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from . import inspections, penalties
from .clock import Clock
from .errors import InvalidInput, NotFound, plain
from .models import Finding, Inspection, User

JUDGING = ("follow_up",)


def verdicts() -> list[Mapping[str, Any]]:
    return inspections.workflow().section("verdicts")["items"]


def enforcing() -> set[str]:
    """The verdicts that flag a problem for enforcement (not fixed)."""
    return {v["key"] for v in verdicts() if v.get("enforce")}


def judged_fixed() -> ColumnElement[bool]:
    """A finding the follow-up judged rectified, as a condition for aggregate queries."""
    return Finding.followup.in_(sorted({v["key"] for v in verdicts()} - enforcing()))


def judged_not_fixed() -> ColumnElement[bool]:
    """A finding the follow-up flagged for enforcement (依法严格处罚), as a condition."""
    return Finding.followup.in_(sorted(enforcing()))


def on_team_or_lead(inspection: Inspection, user: User) -> bool:
    return user.id == inspection.lead_id or inspections.on_team(inspection, user)


def record_verdict(
    session: Session,
    inspection: Inspection,
    number: Any,
    verdict: str,
    note: str,
    *,
    actor: User,
    clock: Clock,
) -> Finding:
    """The lead regulator or an expert of the team judges one problem's rectification. The
    same verdict sent again (a retry) writes nothing; a changed one is recorded anew."""
    if not on_team_or_lead(inspection, actor):
        raise NotFound([])
    problem = next(
        (p for p in inspections.problems(session, inspection) if str(p.checkpoint) == str(number)),
        None,
    )
    if problem is None:
        raise NotFound([])
    if inspection.state not in JUDGING:
        raise InvalidInput(
            [
                plain(
                    "not_following_up",
                    "只能在回头看阶段记录整改结论",
                    "The rectification is judged during the follow-up",
                )
            ]
        )
    if verdict not in {v["key"] for v in verdicts()}:
        raise InvalidInput(
            [plain("bad_verdict", "请选择已整改或未整改", "Choose fixed or not fixed")]
        )
    text = str(note or "").strip()
    if len(text) > inspections.MAX_TEXT:
        raise InvalidInput(
            [
                plain(
                    "too_long",
                    "内容超过{n}字",
                    "The text is longer than {n} characters",
                    n=inspections.MAX_TEXT,
                )
            ]
        )
    if verdict in enforcing() and not text:
        # what enforcement acts on: what the team saw still wrong
        raise InvalidInput(
            [
                plain(
                    "note_needed",
                    "未整改的问题请说明现场情况",
                    "Say what is still wrong with a problem not fixed",
                )
            ]
        )
    if (problem.followup, problem.followup_note) == (verdict, text):
        return problem
    problem.followup = verdict
    problem.followup_note = text
    problem.followed_up_at = clock.now()
    problem.followed_up_by_id = actor.id
    session.flush()
    inspections._audit(
        session,
        inspection,
        actor,
        "follow_up_verdict",
        clock,
        checkpoint=problem.checkpoint,
        verdict=verdict,
        note=text,
        enforce=verdict in enforcing(),
    )
    return problem


@dataclass(frozen=True)
class Flag:
    """A problem the follow-up found not fixed: for enforcement."""

    inspection_id: int
    number: str  # the visit's
    enterprise_id: int
    checkpoint: int
    description: str
    deadline: date | None
    note: str
    judged_at: datetime
    penalty: penalties.CheckpointPenalty


def _flags(session: Session, visit: Inspection, rows: list[Finding]) -> list[Flag]:
    enforce = enforcing()
    mapped = penalties.penalties_for(session, visit)
    return [
        Flag(
            inspection_id=visit.id,
            number=visit.number,
            enterprise_id=visit.enterprise_id,
            checkpoint=f.checkpoint,
            description=f.description,
            deadline=f.deadline,
            note=f.followup_note,
            judged_at=f.followed_up_at,
            penalty=mapped[f.checkpoint],
        )
        for f in rows
        if f.result == "problem" and f.followup in enforce
    ]


def flagged_for_enforcement(session: Session, inspection: Inspection) -> list[Flag]:
    """The visit's problems found not fixed at the follow-up, each with its penalty clause."""
    return _flags(session, inspection, inspections.findings_of(session, inspection))


__all__ = [
    "Flag",
    "enforcing",
    "flagged_for_enforcement",
    "judged_fixed",
    "judged_not_fixed",
    "record_verdict",
    "verdicts",
]
