"""The guards of the confined-space permit (DESIGN §3). Each yields the parameters of its
message once per violation; the workflow file holds the message and the article it cites."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from .. import gas
from ..approval import approvers_for, current_tier, roles_text, signing_role
from ..clock import local_date, local_text
from ..contractors import agreement_covering, supervisor_problems
from ..equipment import unusable_reason
from ..models import Permit, User
from ..passwords import verify_password
from ..qualification import is_qualified, required_kinds
from . import Context, guard

Params = Iterator[dict[str, Any]]

FIELD_NAMES = {
    "task_type": {"zh": "作业类型", "en": "task type"},
    "window": {"zh": "作业时间段", "en": "work window"},
    "hazards": {"zh": "危险有害因素", "en": "hazards"},
    "control_measures": {"zh": "风险管控措施", "en": "control measures"},
}


def _join(items: list[dict[str, str]]) -> dict[str, str]:
    return {"zh": "、".join(i["zh"] for i in items), "en": ", ".join(i["en"] for i in items)}


def _person(ctx: Context) -> User | None:
    """The person the event's data names, if they are on this permit at all."""
    wanted = ctx.data.get("person")
    permit: Permit = ctx.permit
    for user in [permit.attendant, *permit.entrants, *permit.rescuers]:
        if user is not None and str(user.id) == str(wanted):
            return user
    return None


def _work_day(permit: Permit, ctx: Context):
    """Qualifications must hold to the end of the window, not just today."""
    return local_date(permit.window_end) if permit.window_end else local_date(ctx.now)


# -- who acts ---------------------------------------------------------------------------


@guard
def by_requester(ctx: Context) -> Params:
    if ctx.actor is None or ctx.actor.id != ctx.permit.requester_id:
        yield {}
    else:
        ctx.acting_as = "requester"


@guard
def by_attendant(ctx: Context) -> Params:
    if ctx.actor is None or ctx.actor.id != ctx.permit.attendant_id:
        yield {}
    else:
        ctx.acting_as = "attendant"


@guard
def by_tier_approver(ctx: Context) -> Params:
    role = signing_role(ctx.actor, ctx.permit, ctx.workflow, local_date(ctx.now))
    if role is None:
        tier = current_tier(ctx.permit, ctx.workflow)
        roles, written = approvers_for(ctx.permit, ctx.workflow)
        yield {
            "tier_name": {"zh": tier["zh"], "en": tier["en"]},
            "roles": roles_text(roles, written),
        }
    else:
        ctx.acting_as = role


@guard
def by_permit_party(ctx: Context) -> Params:
    permit: Permit = ctx.permit
    actor = ctx.actor
    if actor is not None and actor.id == permit.attendant_id:
        ctx.acting_as = "attendant"
    elif actor is not None and actor.id == permit.requester_id:
        ctx.acting_as = "requester"
    elif (role := signing_role(actor, permit, ctx.workflow, local_date(ctx.now))) is not None:
        ctx.acting_as = role
    else:
        yield {}


@guard
def by_monitoring(ctx: Context) -> Params:
    """Alarms come from readings, fired with no actor by permit.readings: nobody presses it."""
    if ctx.actor is not None:
        yield {}


@guard
def by_clock(ctx: Context) -> Params:
    """Expiry is the clock's (permit.tick fires it with no actor): nobody presses it."""
    if ctx.actor is not None:
        yield {}


@guard
def approver_not_requester(ctx: Context) -> Params:
    if ctx.actor is not None and ctx.actor.id == ctx.permit.requester_id:
        yield {}


@guard
def signature_confirmed(ctx: Context) -> Params:
    if ctx.actor is None or not verify_password(ctx.actor.password_hash, ctx.data.get("password")):
        yield {}


# -- what the permit holds (submit) ------------------------------------------------------


@guard
def space_active(ctx: Context) -> Params:
    space = ctx.permit.space
    if space.enterprise_id != ctx.permit.enterprise_id or not space.active:
        yield {"space": space.code}


@guard
def window_valid(ctx: Context) -> Params:
    start, end = ctx.permit.window_start, ctx.permit.window_end
    if start is None or end is None or end <= start or end <= ctx.now:
        yield {}


@guard
def window_not_over(ctx: Context) -> Params:
    if ctx.permit.window_end is None or ctx.permit.window_end <= ctx.now:
        yield {}


@guard
def window_over(ctx: Context) -> Params:
    end = ctx.permit.window_end
    if end is None or end > ctx.now:
        yield {"end": local_text(end)}


@guard
def within_window(ctx: Context) -> Params:
    start, end = ctx.permit.window_start, ctx.permit.window_end
    if start is None or end is None or not start <= ctx.now <= end:
        yield {"start": local_text(start), "end": local_text(end)}


@guard
def permit_fields_complete(ctx: Context) -> Params:
    permit: Permit = ctx.permit
    missing = []
    if not permit.task_type or permit.task_type not in ctx.workflow.section("task_types"):
        missing.append(FIELD_NAMES["task_type"])
    if permit.window_start is None or permit.window_end is None:
        missing.append(FIELD_NAMES["window"])
    if not permit.hazards:
        missing.append(FIELD_NAMES["hazards"])
    if not [m for m in permit.control_measures if str(m).strip()]:
        missing.append(FIELD_NAMES["control_measures"])
    if missing:
        yield {"missing": _join(missing)}


@guard
def attendant_named(ctx: Context) -> Params:
    if ctx.permit.attendant_id is None:
        yield {}


@guard
def entrants_named(ctx: Context) -> Params:
    if not ctx.permit.entrants:
        yield {}


@guard
def attendant_not_entrant(ctx: Context) -> Params:
    permit: Permit = ctx.permit
    if permit.attendant is not None and permit.attendant in permit.entrants:
        yield {"person": permit.attendant.name}


def _untrained(ctx: Context, guard_name: str) -> Params:
    permit: Permit = ctx.permit
    day = _work_day(permit, ctx)
    named = [("attendant", permit.attendant)] if permit.attendant else []
    named += [("entrant", u) for u in permit.entrants] + [("rescuer", u) for u in permit.rescuers]
    for permit_role, user in named:
        for kind in required_kinds(permit_role, guard_name, ctx.workflow):
            if not is_qualified(user, kind, day, ctx.workflow):
                months = ctx.workflow.section("training")[kind]["valid_for"]["value"]
                yield {"person": user.name, "months": months}
                break


@guard
def people_trained(ctx: Context) -> Params:
    yield from _untrained(ctx, "people_trained")


@guard
def attendant_competent(ctx: Context) -> Params:
    permit: Permit = ctx.permit
    if permit.attendant is None:
        return
    day = _work_day(permit, ctx)
    training = ctx.workflow.section("training")
    missing = [
        training[kind]
        for kind in required_kinds("attendant", "attendant_competent", ctx.workflow)
        if not is_qualified(permit.attendant, kind, day, ctx.workflow)
    ]
    if missing:
        yield {
            "person": permit.attendant.name,
            "missing": {
                "zh": "、".join(m["short_zh"] for m in missing),
                "en": ", ".join(m["short_en"] for m in missing),
            },
        }


@guard
def equipment_suited(ctx: Context) -> Params:
    permit: Permit = ctx.permit
    kinds_spec = ctx.workflow.section("equipment_kinds")
    needed_gases = set(gas.gases_to_test(permit.hazards, ctx.workflow))
    missing = []
    for need in ctx.workflow.section("required_equipment"):
        candidates = [e for e in permit.equipment if e.kind in need["kinds"]]
        if need.get("covers_tested_gases"):
            candidates = [e for e in candidates if needed_gases <= set(e.gases)]
        if not candidates:
            names = [kinds_spec[k] for k in need["kinds"]]
            label = {
                "zh": "或".join(n["zh"] for n in names),
                "en": " or ".join(n["en"] for n in names),
            }
            if need.get("covers_tested_gases"):
                gases = ctx.workflow.section("gases")
                label = {
                    "zh": label["zh"]
                    + "（须能检测"
                    + "、".join(gases[g]["zh"] for g in sorted(needed_gases))
                    + "）",
                    "en": label["en"] + " (measuring " + ", ".join(sorted(needed_gases)) + ")",
                }
            missing.append(label)
    if missing:
        yield {"missing": _join(missing)}


@guard
def equipment_in_date(ctx: Context) -> Params:
    permit: Permit = ctx.permit
    day = _work_day(permit, ctx)
    for item in permit.equipment:
        problem = unusable_reason(item, day)
        if problem is not None:
            yield {"item": item.name, "serial": item.serial, "problem": problem}


@guard
def contractor_agreement_valid(ctx: Context) -> Params:
    """A valid agreement, not revoked, covers the permit's task type for its whole window."""
    permit: Permit = ctx.permit
    if permit.contractor is None:
        return
    start = local_date(permit.window_start) if permit.window_start else local_date(ctx.now)
    end = _work_day(permit, ctx)
    if agreement_covering(permit.contractor, permit.task_type, start, end) is not None:
        return
    task = ctx.workflow.section("task_types").get(permit.task_type or "", {})
    yield {
        "contractor": permit.contractor.name,
        "task": {"zh": task.get("zh", "—"), "en": task.get("en", "—")},
    }


@guard
def contractor_supervisor_named(ctx: Context) -> Params:
    """Contracted work names the enterprise's own on-site supervisor (art. 6)."""
    if ctx.permit.contractor is None:
        return
    for problem in supervisor_problems(ctx.permit):
        yield {"problem": problem}


# -- the attendant's steps ---------------------------------------------------------------


def _listed(ctx: Context, key: str) -> set[str]:
    value = ctx.data.get(key) or []
    if isinstance(value, str | int):
        value = [value]
    return {str(v) for v in value}


@guard
def entrants_acknowledged(ctx: Context) -> Params:
    acknowledged = _listed(ctx, "acknowledged")
    for user in ctx.permit.entrants:
        if str(user.id) not in acknowledged:
            yield {"person": user.name}


@guard
def controls_confirmed(ctx: Context) -> Params:
    confirmed = _listed(ctx, "confirmed")
    for measure in ctx.permit.control_measures:
        if str(measure) not in confirmed:
            yield {"item": measure}


@guard
def checklist_confirmed(ctx: Context) -> Params:
    confirmed = _listed(ctx, "confirmed")
    checklist = ctx.workflow.section("checklists")[ctx.event.checklist]
    for item in checklist["items"]:
        if item["key"] not in confirmed:
            yield {"item": {"zh": item["zh"], "en": item["en"]}}


@guard
def fan_assigned(ctx: Context) -> Params:
    if not any(e.kind == "fan" for e in ctx.permit.equipment):
        yield {}


@guard
def ventilation_started(ctx: Context) -> Params:
    started = ctx.permit.ventilation_started_at
    if started is None or ctx.now <= started:  # 先通风、再检测: the test comes after
        yield {}


def _readings(ctx: Context) -> list[dict[str, Any]]:
    readings = ctx.data.get("readings") or []
    return [r for r in readings if isinstance(r, dict)] if isinstance(readings, list) else []


@guard
def readings_plausible(ctx: Context) -> Params:
    raw = ctx.data.get("readings")
    if not isinstance(raw, list) or len(_readings(ctx)) != len(raw) or not raw:
        yield {"problem": {"zh": "没有检测数据", "en": "no readings given"}}
        return
    for reading in raw:
        yield from gas.problems(reading, ctx.workflow)


@guard
def readings_complete(ctx: Context) -> Params:
    permit: Permit = ctx.permit
    spec = ctx.workflow.section("gas_tests")
    gases = ctx.workflow.section("gases")
    points = spec.get("deep_points", []) if permit.space.deep else [""]
    have = {(r.get("gas"), r.get("point") or "") for r in _readings(ctx)}
    have_any = {r.get("gas") for r in _readings(ctx)}
    missing = []
    for wanted in gas.gases_to_test(permit.hazards, ctx.workflow):
        for point in points:
            ok = (wanted, point) in have if point else wanted in have_any
            if not ok:
                where = f"@{point}" if point else ""
                missing.append({"zh": gases[wanted]["zh"] + where, "en": wanted + where})
    if missing:
        yield {"missing": _join(missing)}


@guard
def detector_usable(ctx: Context) -> Params:
    permit: Permit = ctx.permit
    wanted = ctx.data.get("detector")
    detector = next((e for e in permit.equipment if str(e.id) == str(wanted)), None)
    if detector is None or detector.kind != "gas_detector":
        yield {
            "serial": str(wanted),
            "problem": {
                "zh": "未分配给本作业票的气体检测仪",
                "en": "not a gas detector assigned to this permit",
            },
        }
        return
    problem = unusable_reason(detector, local_date(ctx.now))
    if problem is not None:
        yield {"serial": detector.serial, "problem": problem}
    measured = {r.get("gas") for r in _readings(ctx)}
    if not measured <= set(detector.gases):
        unknown = ", ".join(sorted(str(g) for g in measured - set(detector.gases)))
        yield {
            "serial": detector.serial,
            "problem": {"zh": f"不能检测 {unknown}", "en": f"does not measure {unknown}"},
        }


@guard
def detector_pump_suction(ctx: Context) -> Params:
    wanted = ctx.data.get("detector")
    detector = next((e for e in ctx.permit.equipment if str(e.id) == str(wanted)), None)
    if detector is not None and not detector.pump_suction:
        yield {"serial": detector.serial}


def passing_fresh_test(permit: Permit, ctx: Context):
    """The latest test, if it passed, was taken after ventilation started and is still valid."""
    latest = permit.latest_gas_test
    validity = timedelta(seconds=ctx.workflow.figure("gas_tests", "validity").seconds())
    if (
        latest is None
        or not latest.passed
        or permit.ventilation_started_at is None
        or latest.tested_at <= permit.ventilation_started_at  # 先通风、再检测: strictly after
        or ctx.now - latest.tested_at > validity
        or latest.tested_at > ctx.now
    ):
        return None
    return latest


@guard
def fresh_gas_test(ctx: Context) -> Params:
    if passing_fresh_test(ctx.permit, ctx) is None:
        yield {"minutes": ctx.workflow.section("gas_tests")["validity"]["value"]}


@guard
def retest_after_interruption(ctx: Context) -> Params:
    """Once everyone has been out longer than the limit, a new passing test is needed."""
    permit: Permit = ctx.permit
    last = permit.last_entry
    if last is None or ctx.inside():
        return
    last_out = last.at
    limit = ctx.workflow.figure("gas_tests", "interruption")
    if (ctx.now - last_out).total_seconds() <= limit.seconds():
        return
    latest = permit.latest_gas_test
    if latest is None or not latest.passed or latest.tested_at <= last_out:
        yield {"minutes": limit.value if not limit.value.is_integer() else int(limit.value)}


@guard
def person_is_entrant(ctx: Context) -> Params:
    person = _person(ctx)
    if person is None or person not in ctx.permit.entrants:
        yield {"person": person.name if person else str(ctx.data.get("person"))}


@guard
def person_not_inside(ctx: Context) -> Params:
    person = _person(ctx)
    if person is not None and person.id in ctx.inside():
        yield {"person": person.name}


@guard
def person_inside(ctx: Context) -> Params:
    person = _person(ctx)
    if person is None or person.id not in ctx.inside():
        yield {"person": person.name if person else str(ctx.data.get("person"))}


@guard
def nobody_inside(ctx: Context) -> Params:
    permit: Permit = ctx.permit
    inside = ctx.inside()
    if inside:
        names = [p.user.name for p in permit.people if p.user_id in inside]
        yield {"count": len(inside), "people": "、".join(dict.fromkeys(names))}


@guard
def isolation_restored(ctx: Context) -> Params:
    if ctx.permit.isolation_restored_at is None:
        yield {}


@guard
def attendant_signed_off(ctx: Context) -> Params:
    if not any(s.kind == "finish" for s in ctx.permit.signatures):
        yield {}
