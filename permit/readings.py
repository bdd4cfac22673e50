"""Readings sent during work by a detector's gateway or a phone (art. 13: 持续检测).

A batch is checked whole: one bad item (unknown unit, outside the physical range, dated in
the future beyond the allowed clock skew, a detector not on the permit…) refuses the batch
with a reason per item and stores nothing. A good batch is stored in bulk, each reading
placed by its own time (a detector that buffered readings while offline sends them late),
and judged by the limits of the permit's rule pack. A reading outside the limits raises an
alarm and, in the same transaction, fires the pack's alarm event (working → suspended).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from . import audit, engine, gas
from .clock import Clock, local_date, local_text
from .errors import Blocked, InvalidInput, NotFound, Reason, plain
from .models import Alarm, Equipment, Permit, Reading, ReadingBatch, User
from .workflow import Workflow

MAX_BATCH = 1000
MAX_REASONS = 50  # a batch of a thousand bad items answers with the first fifty
READINGS = Reading.__table__
ALARMS = Alarm.__table__
BATCHES = ReadingBatch.__table__
OUT_OF_RANGE = "out_of_range"


@dataclass(frozen=True)
class Source:
    """Who sends the batch: a person (user), or a detector's gateway (device token)."""

    token_id: int | None
    user: User | None = None
    detector: Equipment | None = None


@dataclass(frozen=True)
class Ingested:
    batch_id: int
    count: int
    alarms: int
    state: str
    version: int
    moved: bool  # whether an alarm moved the permit (working → suspended)


@dataclass(frozen=True)
class _Item:
    detector: Equipment
    taken_at: datetime
    judged: gas.Judged


def monitoring(wf: Workflow) -> Mapping[str, Any]:
    spec = wf.section("monitoring")
    if not spec:
        raise Blocked(
            [
                plain(
                    "no_monitoring",
                    "此类作业不接收连续检测数据",
                    "This kind of permit takes no monitoring readings",
                )
            ]
        )
    return spec


def _item_reason(wf: Workflow, guard: str, n: int, **params: Any) -> Reason:
    """A workflow guard's message and article, about the n-th item of the batch."""
    text = wf.guards[guard]
    return Reason(
        rule=guard,
        cite=text.cite,
        template={
            "zh": "第{n}条：" + text.template["zh"],
            "en": "Item {n}: " + text.template["en"],
        },
        params={**params, "n": n, "index": n - 1},
    )


def _plain_item(rule: str, n: int, zh: str, en: str, **params: Any) -> Reason:
    reason = plain(rule, "第{n}条：" + zh, "Item {n}: " + en, **params)
    return Reason(reason.rule, reason.cite, reason.template, {**params, "n": n, "index": n - 1})


def _taken_at(raw: Any) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def check(
    permit: Permit,
    wf: Workflow,
    items: Any,
    detectors: Mapping[str, Equipment],
    *,
    now: datetime,
    skew: timedelta,
) -> list[_Item]:
    """Every item judged, or InvalidInput with a reason per bad item (index = its position)."""
    if not isinstance(items, list) or not items:
        raise InvalidInput(
            [plain("no_readings", "没有检测数据", "No readings given: send a non-empty list")]
        )
    if len(items) > MAX_BATCH:
        raise InvalidInput(
            [
                plain(
                    "batch_too_large",
                    "一次最多发送 {max} 条读数",
                    "At most {max} readings per batch",
                    max=MAX_BATCH,
                )
            ]
        )
    reasons: list[Reason] = []
    good: list[_Item] = []
    latest_allowed = now + skew
    day = local_date(now)
    for n, raw in enumerate(items, start=1):
        if not isinstance(raw, dict):
            reasons.append(
                _plain_item("reading_shape", n, "不是一条读数", "not a reading object")
            )
            continue
        # A sender that speaks for one detector only may leave its serial out.
        only = next(iter(detectors)) if len(detectors) == 1 else ""
        serial = str(raw.get("detector") or only)
        detector = detectors.get(serial)
        problems = [{"problem": p["problem"]} for p in gas.problems(raw, wf)]
        if detector is None:
            reasons.append(
                _item_reason(
                    wf,
                    "detector_usable",
                    n,
                    serial=serial,
                    problem={
                        "zh": "未分配给本作业票的气体检测仪",
                        "en": "not a gas detector assigned to this permit",
                    },
                )
            )
        elif detector.status != "in_service" or detector.due_on is None or detector.due_on < day:
            reasons.append(
                _item_reason(
                    wf,
                    "detector_usable",
                    n,
                    serial=serial,
                    problem={
                        "zh": f"自{detector.due_on}起超过检定/校准有效期或不在用",
                        "en": f"past its calibration date since {detector.due_on} "
                        "or out of service",
                    },
                )
            )
        elif not problems and raw.get("gas") not in detector.gases:
            reasons.append(
                _item_reason(
                    wf,
                    "detector_usable",
                    n,
                    serial=serial,
                    problem={
                        "zh": f"不能检测 {raw.get('gas')}",
                        "en": f"does not measure {raw.get('gas')}",
                    },
                )
            )
        reasons += [_item_reason(wf, "readings_plausible", n, **p) for p in problems]
        taken_at = _taken_at(raw.get("taken_at"))
        if taken_at is None:
            reasons.append(
                _plain_item(
                    "reading_time",
                    n,
                    "检测时间 {value} 无效：须为带时区的 ISO 8601 时间",
                    "time {value} is not an ISO 8601 time with its zone",
                    value=repr(raw.get("taken_at")),
                )
            )
        elif taken_at > latest_allowed:
            reasons.append(
                _plain_item(
                    "reading_in_future",
                    n,
                    "检测时间 {at} 晚于服务器时间（允许误差 {seconds} 秒）",
                    "time {at} is in the future (allowed clock skew {seconds} s)",
                    at=raw.get("taken_at"),
                    seconds=int(skew.total_seconds()),
                )
            )
        elif taken_at < permit.created_at:
            reasons.append(
                _plain_item(
                    "reading_before_permit",
                    n,
                    "检测时间 {at} 早于作业票的开具时间",
                    "time {at} is before the permit was made",
                    at=raw.get("taken_at"),
                )
            )
        if not reasons and detector is not None and taken_at is not None:
            good.append(_Item(detector, taken_at, gas.judge(raw, wf)))
    if reasons:
        shown = reasons[:MAX_REASONS]
        if len(reasons) > MAX_REASONS:
            shown.append(
                plain(
                    "more_problems",
                    "另有 {count} 处问题未列出",
                    "{count} more problems not listed",
                    count=len(reasons) - MAX_REASONS,
                )
            )
        raise InvalidInput(shown)
    return good


def _detectors(permit: Permit, source: Source) -> dict[str, Equipment]:
    """The detectors this source may speak for on this permit, by serial."""
    assigned = {e.id: e for e in permit.equipment if e.kind == "gas_detector"}
    if source.detector is not None:
        if source.detector.id not in assigned:
            raise NotFound([])  # a gateway sees only the permits its detector is on
        return {source.detector.serial: assigned[source.detector.id]}
    return {e.serial: e for e in assigned.values()}


def _who(permit: Permit, wf: Workflow, source: Source) -> str:
    """The attendant watches the readings on site (art. 13); a detector speaks for itself."""
    if source.detector is not None:
        return "device"
    if source.user is None or source.user.id != permit.attendant_id:
        text = wf.guards["by_attendant"]
        raise Blocked([Reason("by_attendant", text.cite, text.template)])
    return "attendant"


def _digest(items: Sequence[_Item]) -> str:
    rows = [
        [i.detector.serial, i.taken_at.isoformat(), i.judged.gas, i.judged.point,
         i.judged.value, i.judged.unit]
        for i in items
    ]
    canonical = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def ingest(
    session: Session,
    permit: Permit,
    items: Any,
    *,
    source: Source,
    clock: Clock,
    skew: timedelta,
) -> Ingested:
    """Check, store and judge one batch in the caller's transaction (the caller commits).

    Raises InvalidInput (nothing stored), Blocked (wrong person or state), NotFound (a
    gateway whose detector is not on the permit) or Conflict (the permit changed while an
    alarm was being raised: roll back and send the batch again).
    """
    wf = engine.workflow_of(permit)
    spec = monitoring(wf)
    role = _who(permit, wf, source)
    detectors = _detectors(permit, source)
    if permit.state not in spec["readings_in"]:
        raise Blocked(
            [
                Reason(
                    "readings_in",
                    spec["readings_in_cite"],
                    {
                        "zh": "作业票处于“{state}”状态，不接收检测数据",
                        "en": "The permit takes no readings while {state_en}",
                    },
                    {
                        "state": wf.state_label(permit.state, "zh"),
                        "state_en": wf.state_label(permit.state, "en").lower(),
                    },
                )
            ]
        )
    now = clock.now()
    good = check(permit, wf, items, detectors, now=now, skew=skew)
    times = [i.taken_at for i in good]
    batch_id = session.execute(
        insert(BATCHES).returning(BATCHES.c.id),
        {
            "permit_id": permit.id,
            "token_id": source.token_id,
            "user_id": source.user.id if source.user else None,
            "received_at": now,
            "count": len(good),
            "first_taken_at": min(times),
            "last_taken_at": max(times),
            "digest": _digest(good),
        },
    ).scalar_one()
    session.execute(
        insert(READINGS),
        [
            {
                "permit_id": permit.id,
                "gas_test_id": None,
                "gas": i.judged.gas,
                "point": i.judged.point,
                "value": i.judged.value,
                "unit": i.judged.unit,
                "value_in_limit_unit": i.judged.value_in_limit_unit,
                "limit_unit": i.judged.limit_unit,
                "passed": i.judged.passed,
                "taken_at": i.taken_at,
                "detector_id": i.detector.id,
                "batch_id": batch_id,
            }
            for i in good
        ],
    )
    failed = [i for i in good if not i.judged.passed]
    audit.append(
        session,
        enterprise_id=permit.enterprise_id,
        actor_id=source.user.id if source.user else None,
        actor_role=role,
        subject_type="reading_batches",
        subject_id=batch_id,
        event="readings",
        data={
            "permit": permit.number,
            "count": len(good),
            "outside_limits": len(failed),
            "detectors": sorted({i.detector.serial for i in good}),
            "from": min(times),
            "to": max(times),
            "digest": _digest(good),
            "token": source.token_id,
        },
        at=now,
    )
    moved = False
    alarms = _first_per_gas(failed)
    if alarms:
        moved = _raise(session, permit, wf, spec, alarms, batch_id, clock, now)
    return Ingested(batch_id, len(good), len(alarms), permit.state, permit.version, moved)


def _first_per_gas(failed: list[_Item]) -> list[tuple[_Item, int]]:
    """One alarm per detector, gas and sampling point in a batch: its earliest reading outside
    the limits, and how many of the batch's readings of it were."""
    groups: dict[tuple[int, str, str], list[_Item]] = {}
    for item in failed:
        groups.setdefault((item.detector.id, item.judged.gas, item.judged.point), []).append(item)
    return [
        (min(group, key=lambda i: i.taken_at), len(group))
        for group in sorted(groups.values(), key=lambda g: min(i.taken_at for i in g))
    ]


def reading_facts(item: _Item, wf: Workflow) -> dict[str, Any]:
    j = item.judged
    return {
        "detector": item.detector.serial,
        "gas": j.gas,
        "point": j.point,
        "value": j.value if math.isfinite(j.value) else str(j.value),
        "unit": j.unit,
        "limit": gas.limit_text(j.gas, wf),
        "taken_at": item.taken_at,
        "taken_at_local": local_text(item.taken_at),
    }


def _raise(
    session: Session,
    permit: Permit,
    wf: Workflow,
    spec: Mapping[str, Any],
    alarms: list[tuple[_Item, int]],
    batch_id: int,
    clock: Clock,
    now: datetime,
) -> bool:
    """Record the alarms; fire the alarm event when the permit's state has a transition for
    it (working → suspended), as the system, with the first reading outside the limits."""
    state = permit.state
    event = spec["alarm_event"]
    moved = state in wf.events[event].sources
    if moved:
        first = alarms[0][0]
        engine.apply(session, permit, event, None, {"reading": reading_facts(first, wf)},
                     clock=clock)
    session.execute(
        insert(ALARMS),
        [
            {
                "permit_id": permit.id,
                "kind": OUT_OF_RANGE,
                "raised_at": now,
                "batch_id": batch_id,
                "detector_id": item.detector.id,
                "gas": item.judged.gas,
                "point": item.judged.point,
                "value": item.judged.value,
                "unit": item.judged.unit,
                "value_in_limit_unit": item.judged.value_in_limit_unit,
                "limit_unit": item.judged.limit_unit,
                "taken_at": item.taken_at,
                "readings_over": over,
                "permit_state": state,
                "moved_to": permit.state if moved else None,
            }
            for item, over in alarms
        ],
    )
    return moved
