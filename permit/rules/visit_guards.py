"""The guards and effects of an expert visit (workflow `visit`, procedure 000). Each guard
yields the parameters of its message once per violation; the workflow file holds the
message and the step of the procedure it cites."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..clock import local_date
from ..models import Finding, Inspection, InspectionAttendee, Role
from . import Context, effect, guard

Params = Iterator[dict[str, Any]]


def _visit(ctx: Context) -> Inspection:
    return ctx.subject


def _findings(ctx: Context) -> list[Finding]:
    from ..inspections import findings_of

    return findings_of(ctx.session, _visit(ctx))


def _label(item: dict[str, str]) -> dict[str, str]:
    return {"zh": item["zh"], "en": item["en"]}


# -- who acts ---------------------------------------------------------------------------


def _is_team_expert(ctx: Context) -> bool:
    actor = ctx.actor
    return (
        actor is not None
        and actor.has_role(Role.expert)
        and any(e.id == actor.id for e in _visit(ctx).experts)
    )


@guard
def by_team_expert(ctx: Context) -> Params:
    if not _is_team_expert(ctx):
        yield {}
    else:
        ctx.acting_as = "expert"


@guard
def by_visit_lead(ctx: Context) -> Params:
    if ctx.actor is None or ctx.actor.id != _visit(ctx).lead_id:
        yield {}
    else:
        ctx.acting_as = "regulator"


@guard
def by_visit_team(ctx: Context) -> Params:
    if ctx.actor is not None and ctx.actor.id == _visit(ctx).lead_id:
        ctx.acting_as = "regulator"
    elif _is_team_expert(ctx):
        ctx.acting_as = "expert"
    else:
        yield {}


@guard
def by_enterprise_principal(ctx: Context) -> Params:
    actor = ctx.actor
    if (
        actor is None
        or actor.enterprise_id != _visit(ctx).enterprise_id
        or actor.contractor_id is not None
        or not actor.has_role(Role.principal)
    ):
        yield {}
    else:
        ctx.acting_as = "principal"


# -- before the visit -------------------------------------------------------------------


@guard
def team_of_two(ctx: Context) -> Params:
    wanted = ctx.workflow.section("team")["min_experts"]
    count = len(_visit(ctx).experts)
    if count < wanted:
        yield {"count": count, "min": wanted}


@guard
def team_equipment_confirmed(ctx: Context) -> Params:
    if _visit(ctx).equipment_confirmed_at is None:
        yield {}


@guard
def documents_listed(ctx: Context) -> Params:
    listed = ctx.data.get("documents") or []
    for item in ctx.workflow.section("documents")["items"]:
        if item["key"] not in listed:
            yield {"document": _label(item)}


def attendees(ctx: Context) -> dict[str, list[str]]:
    """The names typed per role, one per line; blank lines dropped."""
    raw = ctx.data.get("attendees") or {}
    found = {}
    for role in ctx.workflow.section("attendees")["roles"]:
        value = raw.get(role["key"], []) if isinstance(raw, dict) else []
        names = value.splitlines() if isinstance(value, str) else list(value)
        found[role["key"]] = [str(n).strip()[:120] for n in names if str(n).strip()]
    return found


@guard
def attendees_by_role(ctx: Context) -> Params:
    named = attendees(ctx)
    for role in ctx.workflow.section("attendees")["roles"]:
        if not named[role["key"]]:
            yield {"role": _label(role)}


# -- the consultation and after -----------------------------------------------------------


@guard
def every_checkpoint_judged(ctx: Context) -> Params:
    judged = {f.checkpoint for f in _findings(ctx) if f.result}
    for group in ctx.workflow.section("checkpoint_groups"):
        for point in group["checkpoints"]:
            if point["number"] not in judged:
                yield {"number": point["number"]}


MISSING = {
    "description": {"zh": "问题描述", "en": "a description"},
    "suggestion": {"zh": "整改建议", "en": "a rectification suggestion"},
}
# What the enterprise accepts: by when, and who sees to it.
UNASSIGNED = {
    "deadline": {"zh": "整改期限", "en": "a rectification deadline"},
    "responsible": {"zh": "整改责任人", "en": "a person responsible"},
}


def _lacking(ctx: Context, fields: dict[str, dict[str, str]]) -> Params:
    for row in _findings(ctx):
        if row.result != "problem":
            continue
        for field, what in fields.items():
            if not getattr(row, field):
                yield {"number": row.checkpoint, "what": what}


@guard
def problems_described(ctx: Context) -> Params:
    yield from _lacking(ctx, MISSING)


@guard
def rectification_assigned(ctx: Context) -> Params:
    yield from _lacking(ctx, UNASSIGNED)


@guard
def rectification_due_or_answered(ctx: Context) -> Params:
    problems = [f for f in _findings(ctx) if f.result == "problem"]
    unanswered = [f for f in problems if not f.answer]
    if not unanswered:
        return
    last = max((f.deadline for f in problems if f.deadline), default=None)
    if last is None or local_date(ctx.now) <= last:
        yield {"deadline": last.isoformat() if last else "—", "open": len(unanswered)}


@guard
def every_problem_followed_up(ctx: Context) -> Params:
    for row in _findings(ctx):
        if row.result == "problem" and not row.followup:
            yield {"number": row.checkpoint}


# -- effects: the facts each step records -------------------------------------------------


@effect
def record_team_equipment(ctx: Context) -> None:
    _visit(ctx).equipment_confirmed_at = ctx.now
    ctx.audit["equipment"] = list(ctx.data.get("confirmed") or [])


@effect
def record_notice(ctx: Context) -> None:
    keys = [i["key"] for i in ctx.workflow.section("documents")["items"]]
    _visit(ctx).notified_at = ctx.now
    _visit(ctx).documents = keys
    ctx.audit["documents"] = keys


@effect
def record_attendees(ctx: Context) -> None:
    visit = _visit(ctx)
    named = attendees(ctx)
    for role, names in named.items():
        for name in names:
            ctx.session.add(
                InspectionAttendee(
                    inspection_id=visit.id, role=role, name=name, recorded_at=ctx.now
                )
            )
    visit.kickoff_at = ctx.now
    ctx.audit["attendees"] = named


@effect
def record_consultation_start(ctx: Context) -> None:
    _visit(ctx).consultation_started_at = ctx.now


@effect
def record_consultation_end(ctx: Context) -> None:
    visit = _visit(ctx)
    visit.consultation_ended_at = ctx.now
    lasted = (ctx.now - visit.consultation_started_at).total_seconds()
    minimum = ctx.workflow.figure("consultation", "min_duration").seconds()
    ctx.audit["minutes"] = int(lasted // 60)
    if lasted < minimum:
        # 原则上不少于半天: recorded as a warning on the visit, not a refusal.
        ctx.audit["below_min_duration"] = True


@effect
def record_acceptance(ctx: Context) -> None:
    visit = _visit(ctx)
    visit.accepted_at = ctx.now
    visit.accepted_by_id = ctx.actor.id
    ctx.audit["problems"] = [f.checkpoint for f in _findings(ctx) if f.result == "problem"]


@effect
def record_conclusion(ctx: Context) -> None:
    _visit(ctx).conclusion = str(ctx.data.get("conclusion", "")).strip()
