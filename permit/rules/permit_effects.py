"""Effects of the confined-space permit's events: they record the facts, in the same
transaction as the state change; the engine writes the audit entry after them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect

from .. import gas
from ..approval import tier_for
from ..models import EntryLog, GasTest, Permit, PermitCheck, Reading, Signature
from . import Context, effect, outcome
from .permit_guards import _person, passing_fresh_test


def _attach(ctx: Context, collection: str, row: Any) -> None:
    """Add a row to one of the permit's collections without loading the collection: an
    already-loaded list is kept current, an unloaded one is left for whoever reads it."""
    if collection in inspect(ctx.permit).unloaded:
        ctx.session.add(row)
    else:
        getattr(ctx.permit, collection).append(row)


def _sign(ctx: Context, kind: str, **extra: Any) -> Signature:
    signature = Signature(
        permit_id=ctx.permit.id,
        user_id=ctx.actor.id,
        kind=kind,
        role=ctx.acting_as or "",
        signed_at=ctx.now,
        **extra,
    )
    _attach(ctx, "signatures", signature)
    ctx.audit["signature"] = {"kind": kind, "role": signature.role, "tier": signature.tier}
    return signature


def _confirm(ctx: Context, items: list[str]) -> None:
    for item in items:
        _attach(
            ctx,
            "checks",
            PermitCheck(
                permit_id=ctx.permit.id,
                event=ctx.event.name,
                item=item,
                confirmed_by_id=ctx.actor.id,
                confirmed_at=ctx.now,
            ),
        )
    ctx.audit["confirmed"] = items


@effect
def assess_tier(ctx: Context) -> None:
    tier = tier_for(ctx.permit, ctx.workflow)
    ctx.permit.risk_tier = tier["name"]
    ctx.audit["risk_tier"] = tier["name"]


@effect
def sign_approval(ctx: Context) -> None:
    _sign(ctx, "approve", tier=ctx.permit.risk_tier)


@effect
def sign_rejection(ctx: Context) -> None:
    _sign(ctx, "reject", tier=ctx.permit.risk_tier, reason=str(ctx.data["reason"]))
    ctx.audit["reason"] = str(ctx.data["reason"])


@effect
def sign_close(ctx: Context) -> None:
    _sign(ctx, "close", tier=ctx.permit.risk_tier)


@effect
def release_isolation(ctx: Context) -> None:
    ctx.permit.isolation_released_at = ctx.now
    ctx.audit["isolation"] = str(ctx.data["isolation"])
    if ctx.data.get("photo"):
        ctx.audit["photo"] = str(ctx.data["photo"])


@effect
def record_briefing(ctx: Context) -> None:
    permit: Permit = ctx.permit
    for person in permit.people:
        if person.role == "entrant":
            person.briefed_at = ctx.now
    ctx.audit["acknowledged"] = [u.id for u in permit.entrants]
    _confirm(ctx, [str(m) for m in permit.control_measures])


@effect
def start_ventilation(ctx: Context) -> None:
    ctx.permit.ventilation_started_at = ctx.now


@effect
def record_gas_test(ctx: Context) -> None:
    permit: Permit = ctx.permit
    judged = [gas.judge(r, ctx.workflow) for r in ctx.data["readings"]]
    test = GasTest(
        permit_id=permit.id,
        tester_id=ctx.actor.id if ctx.actor else None,
        detector_id=int(ctx.data["detector"]),
        tested_at=ctx.now,
        client_time=ctx.client_time,
        passed=all(j.passed for j in judged),
        during=permit.state,
    )
    for j in judged:
        test.readings.append(
            Reading(
                permit_id=permit.id,
                gas=j.gas,
                point=j.point,
                value=j.value,
                unit=j.unit,
                value_in_limit_unit=j.value_in_limit_unit,
                limit_unit=j.limit_unit,
                passed=j.passed,
                taken_at=ctx.now,
            )
        )
    _attach(ctx, "gas_tests", test)
    ctx.outcomes["gas_test_passed"] = test.passed
    ctx.audit["passed"] = test.passed
    ctx.audit["detector"] = test.detector_id
    ctx.audit["readings"] = [
        {
            "gas": j.gas,
            "point": j.point,
            "value": j.value,
            "unit": j.unit,
            "judged": round(j.value_in_limit_unit, 4),
            "limit_unit": j.limit_unit,
            "passed": j.passed,
        }
        for j in judged
    ]


@outcome
def gas_test_passed(ctx: Context) -> bool:
    return bool(ctx.outcomes.get("gas_test_passed"))


@effect
def record_checklist(ctx: Context) -> None:
    checklist = ctx.workflow.section("checklists")[ctx.event.checklist]
    _confirm(ctx, [item["key"] for item in checklist["items"]])


@effect
def check_in(ctx: Context) -> None:
    person = _person(ctx)
    test = passing_fresh_test(ctx.permit, ctx)
    _attach(
        ctx,
        "entries",
        EntryLog(
            permit_id=ctx.permit.id,
            user_id=person.id,
            direction="in",
            at=ctx.now,
            recorded_by_id=ctx.actor.id,
            gas_test_id=test.id if test else None,
        ),
    )
    ctx.audit.update(person=person.id, headcount=len(ctx.inside() | {person.id}))


@effect
def check_out(ctx: Context) -> None:
    person = _person(ctx)
    _attach(
        ctx,
        "entries",
        EntryLog(
            permit_id=ctx.permit.id,
            user_id=person.id,
            direction="out",
            at=ctx.now,
            recorded_by_id=ctx.actor.id,
        ),
    )
    ctx.audit.update(person=person.id, headcount=len(ctx.inside() - {person.id}))


@effect
def record_reason(ctx: Context) -> None:
    if ctx.data.get("reason"):
        ctx.audit["reason"] = str(ctx.data["reason"])
    ctx.audit["headcount"] = len(ctx.inside())


@effect
def finish(ctx: Context) -> None:
    record_checklist(ctx)
    ctx.permit.isolation_restored_at = ctx.now
    _sign(ctx, "finish")
