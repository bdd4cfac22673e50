"""What an enterprise's own records show for each checkpoint of the expert's consultation form
(工贸重点企业现场会诊表, 000), so that each checkpoint opens pre-filled: a suggested status, the
evidence lines (counts and concrete examples, in zh and en, each linking to the register page
that shows it), the article of the enterprise's rule pack it relates to and the penalty it may
expose. The expert still decides the finding.

Public API (for the visit's form and the board's evidence page):

    evidence(session, enterprise_id, today, now=None) -> dict[int, CheckpointEvidence]
    CheckpointEvidence.status   "satisfied" | "violated" | "no_records"
    CheckpointEvidence.lines    [board.Evidence]: .message(lang), .endpoint, .args, .bad

Which rules answer which checkpoint is data (workflows/inspection-000/evidence.toml); the
article and penalty per checkpoint are data of each pack ([[evidence]] in its pack.toml). The
rules (permit/evidence_rules.py) count with aggregate queries, never row by row."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from typing import Any

from sqlalchemy.orm import Session

from .board import Evidence
from .clock import local_midnight, local_zone
from .compliance import pack_for, penalty
from .models import Enterprise
from .qualification import add_months
from .workflow import WORKFLOWS_DIR, WorkflowError, figure

SATISFIED, VIOLATED, NO_RECORDS = "satisfied", "violated", "no_records"
STATUSES = (SATISFIED, VIOLATED, NO_RECORDS)
SPEC_PATH = WORKFLOWS_DIR / "inspection-000" / "evidence.toml"

__all__ = [
    "NO_RECORDS",
    "SATISFIED",
    "STATUSES",
    "VIOLATED",
    "CheckpointEvidence",
    "Evidence",
    "checkpoints",
    "evidence",
]


@dataclass(frozen=True)
class CheckpointEvidence:
    """One checkpoint of the form as the records show it."""

    number: int
    label: Mapping[str, str]  # the checkpoint in short, zh and en
    status: str  # suggested: SATISFIED, VIOLATED or NO_RECORDS (nothing kept in this system)
    lines: list[Evidence]
    article: str  # of the enterprise's pack, e.g. "003 第八条"
    penalty: Mapping[str, str] | None  # the liability item a violation may expose, if any
    cite: str  # the form's own "how to check" for this checkpoint (000)

    def messages(self, lang: str = "zh") -> list[str]:
        return [line.message(lang) for line in self.lines]


@cache
def spec() -> Mapping[str, Any]:
    """The checkpoints and their rules, read and checked once."""
    from .evidence_rules import RULES

    name = f"{SPEC_PATH.parent.name}/{SPEC_PATH.name}"
    try:
        raw = tomllib.loads(SPEC_PATH.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise WorkflowError(f"{name}: {exc}") from exc
    head = raw.get("evidence") or {}
    for key in ("cite", "review_cite"):
        if not str(head.get(key, "")).strip():
            raise WorkflowError(f"{name}: [evidence] lacks '{key}'")
    review = figure(head.get("review") or {})
    if review.unit != "month" or review.value <= 0:
        raise WorkflowError(f"{name}: [evidence] review is a number of months")
    if not isinstance(head.get("examples"), int) or head["examples"] < 1:
        raise WorkflowError(f"{name}: [evidence] examples is a whole number")
    points = raw.get("checkpoints") or []
    if [p.get("number") for p in points] != list(range(1, len(points) + 1)):
        raise WorkflowError(f"{name}: checkpoints are numbered 1, 2, 3 … in order")
    for point in points:
        for key in ("zh", "en", "cite"):
            if not str(point.get(key, "")).strip():
                raise WorkflowError(f"{name}: checkpoint {point['number']} lacks '{key}'")
        unknown = [r for r in point.get("rules") or [None] if r not in RULES]
        if unknown:
            raise WorkflowError(f"{name}: checkpoint {point['number']}: unknown rule {unknown}")
    return raw


def checkpoints() -> list[Mapping[str, Any]]:
    return list(spec()["checkpoints"])


def _pack_entries(pack) -> dict[int, Mapping[str, Any]]:
    entries = {e["checkpoint"]: e for e in pack.section("evidence")}
    numbers = [p["number"] for p in checkpoints()]
    if sorted(entries) != numbers:
        raise WorkflowError(
            f"pack {pack.id}: [[evidence]] must give an article for checkpoints 1–{len(numbers)}"
        )
    return entries


def evidence(
    session: Session, enterprise_id: int, today: date, now: datetime | None = None
) -> dict[int, CheckpointEvidence]:
    """Every checkpoint of the form, pre-filled from the enterprise's records as of `today`, by
    the rule pack in force for it that day. `now` (default: the end of `today`) bounds work
    still in progress, whose monitoring is judged up to that moment."""
    from .evidence_rules import RULES, Ctx

    head = spec()["evidence"]
    pack = pack_for(session, enterprise_id, today)
    zone = local_zone()
    months = int(figure(head["review"]).value)
    since = add_months(today, -months)
    if now is None:
        now = datetime.combine(today, time.max, tzinfo=zone).astimezone(UTC)
    ctx = Ctx(
        session=session,
        enterprise=session.get(Enterprise, enterprise_id),
        pack=pack,
        workflow=pack.workflows["confined_space"],
        now=now,
        today=today,
        soon=today,
        since=since,
        since_at=local_midnight(since),
        months=months,
        examples=head["examples"],
    )
    entries = _pack_entries(pack)
    found: dict[int, CheckpointEvidence] = {}
    for point in checkpoints():
        lines: list[Evidence] = []
        violated, records = False, False
        for rule in point["rules"]:
            result = ctx.memo.get(rule)
            if result is None:
                result = ctx.memo[rule] = RULES[rule](ctx)
            lines.extend(result.lines)
            violated = violated or result.violated
            records = records or result.records
        status = VIOLATED if violated else SATISFIED if records else NO_RECORDS
        entry = entries[point["number"]]
        found[point["number"]] = CheckpointEvidence(
            number=point["number"],
            label={"zh": point["zh"], "en": point["en"]},
            status=status,
            lines=lines,
            article=entry["article"],
            penalty=penalty(pack, entry.get("penalty")),
            cite=point["cite"],
        )
    return found
