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
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from . import audit, db, engine, gas
from .access import PermitRef
from .clock import Clock, local_date, local_text
from .errors import Blocked, InvalidInput, NotFound, Reason, plain
from .models import Alarm, Equipment, Permit, PermitEquipment, Reading, ReadingBatch, User
from .tokens import Detector
from .workflow import Workflow

Subject = Permit | PermitRef  # the permit, or what a gateway's lookup read of it

MAX_BATCH = 1000
MAX_REASONS = 50  # a batch of a thousand bad items answers with the first fifty
READINGS = Reading.__table__
ALARMS = Alarm.__table__
BATCHES = ReadingBatch.__table__
EQUIPMENT = Equipment.__table__
OUT_OF_RANGE = "out_of_range"
# A batch's row and its readings: compiled once per kind of database, run on the driver's
# cursor (SQLAlchemy's per-row work costs more than SQLite spends storing a reading).
_BATCH_COLUMNS = (
    "permit_id",
    "token_id",
    "user_id",
    "received_at",
    "count",
    "first_taken_at",
    "last_taken_at",
    "digest",
)
_INSERT_BATCH = db.Prepared(
    lambda dialect: db.PreparedWrite(
        insert(BATCHES).returning(BATCHES.c.id), dialect, _BATCH_COLUMNS
    )
)
# the columns gas…passed in the order of gas.Judged, so that a row is (permit, None, *judged…)
_READING_COLUMNS = (
    "permit_id",
    "gas_test_id",
    *gas.Judged._fields,
    "taken_at",
    "detector_id",
    "batch_id",
)
_INSERT_READINGS = db.Prepared(
    lambda dialect: db.PreparedWrite(insert(READINGS), dialect, _READING_COLUMNS)
)


@dataclass(frozen=True)
class Source:
    """Who sends the batch: a person (user), or a detector's gateway (device token)."""

    token_id: int | None
    user: User | None = None
    detector: Detector | None = None


@dataclass(frozen=True)
class Ingested:
    batch_id: int
    count: int
    alarms: int
    state: str
    version: int
    moved: bool  # whether an alarm moved the permit (working → suspended)


class _Item(NamedTuple):
    detector_id: int
    serial: str
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


@dataclass(frozen=True)
class _Detector:
    """What the checks read of a detector, read once per batch (not once per reading)."""

    id: int
    serial: str
    gases: frozenset[str]
    unusable: dict[str, str] | None


def _usable(detectors: Mapping[str, Detector], day) -> dict[str, _Detector]:
    found = {}
    for serial, e in detectors.items():
        unusable = None
        if e.status != "in_service" or e.due_on is None or e.due_on < day:
            unusable = {
                "zh": f"自{e.due_on}起超过检定/校准有效期或不在用",
                "en": f"past its calibration date since {e.due_on} or out of service",
            }
        found[serial] = _Detector(e.id, e.serial, frozenset(e.gases), unusable)
    return found


NOT_ASSIGNED = {
    "zh": "未分配给本作业票的气体检测仪",
    "en": "not a gas detector assigned to this permit",
}


def check(
    permit: Subject,
    wf: Workflow,
    items: Any,
    detectors: Mapping[str, Detector],
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
    usable = _usable(detectors, local_date(now))
    # A sender that speaks for one detector only may leave its serial out.
    only = next(iter(usable)) if len(usable) == 1 else ""
    window = (permit.created_at, now + skew)
    reasons: list[Reason] = []
    good: list[_Item] = []
    for n, raw in enumerate(items, start=1):
        item = _plain(wf, raw, usable, only, window)
        if item is not None:
            if not reasons:
                good.append(item)
            continue
        found, detector, taken_at, judged = _reasons(wf, n, raw, usable, only, window, skew)
        if found:
            reasons += found
        elif not reasons:
            good.append(_Item(detector.id, detector.serial, taken_at, judged))
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


def _plain(
    wf: Workflow,
    raw: Any,
    usable: Mapping[str, _Detector],
    only: str,
    window: tuple[datetime, datetime],
) -> _Item | None:
    """An item as a reading in the common case, in a few lookups: a usable detector
    that measures the gas, a reading gas.judge_plain() judges, a time within the window.
    None for anything else, which _reasons() then explains (or judges): where this answers,
    _reasons() finds nothing wrong and judges the same (a test checks it)."""
    if not isinstance(raw, dict):
        return None
    detector = usable.get(str(raw.get("detector") or only))
    if detector is None or detector.unusable is not None:
        return None
    judged = gas.judge_plain(raw, wf)
    if judged is None or judged.gas not in detector.gases:
        return None
    taken_at = _taken_at(raw.get("taken_at"))
    if taken_at is None or not window[0] <= taken_at <= window[1]:
        return None
    return _Item(detector.id, detector.serial, taken_at, judged)


def _reasons(
    wf: Workflow,
    n: int,
    raw: Any,
    usable: Mapping[str, _Detector],
    only: str,
    window: tuple[datetime, datetime],
    skew: timedelta,
) -> tuple[list[Reason], _Detector | None, datetime | None, gas.Judged | None]:
    """Why the n-th item is not a reading this permit can take (empty when it is), with its
    detector, time and judgement."""
    if not isinstance(raw, dict):
        reason = _plain_item("reading_shape", n, "不是一条读数", "not a reading object")
        return [reason], None, None, None
    reasons = []
    serial = str(raw.get("detector") or only)
    detector = usable.get(serial)
    judged = gas.judge_plain(raw, wf)
    problems = [] if judged is not None else gas.problems(raw, wf)
    if judged is None and not problems:
        judged = gas.judge(raw, wf)  # a plausible reading the common case does not cover
    if detector is None or detector.unusable is not None:
        problem = NOT_ASSIGNED if detector is None else detector.unusable
        reasons.append(_item_reason(wf, "detector_usable", n, serial=serial, problem=problem))
    elif not problems and raw.get("gas") not in detector.gases:
        measured = {"zh": f"不能检测 {raw.get('gas')}", "en": f"does not measure {raw.get('gas')}"}
        reasons.append(_item_reason(wf, "detector_usable", n, serial=serial, problem=measured))
    reasons += [_item_reason(wf, "readings_plausible", n, problem=p["problem"]) for p in problems]
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
    elif taken_at > window[1]:
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
    elif taken_at < window[0]:
        reasons.append(
            _plain_item(
                "reading_before_permit",
                n,
                "检测时间 {at} 早于作业票的开具时间",
                "time {at} is before the permit was made",
                at=raw.get("taken_at"),
            )
        )
    return reasons, detector, taken_at, judged


def _detectors(session: Session, permit: Subject, source: Source) -> dict[str, Detector]:
    """The detectors this source may speak for on this permit, by serial."""
    if source.detector is not None and getattr(permit, "detector_id", None) == source.detector.id:
        return {source.detector.serial: source.detector}  # found through this detector
    assigned = select(PermitEquipment.equipment_id).where(PermitEquipment.permit_id == permit.id)
    if source.detector is not None:
        on_permit = session.connection().execute(
            assigned.where(PermitEquipment.equipment_id == source.detector.id)
        ).first()
        if on_permit is None:
            raise NotFound([])  # a gateway sees only the permits its detector is on
        return {source.detector.serial: source.detector}
    rows = session.connection().execute(
        select(EQUIPMENT.c.id, EQUIPMENT.c.serial, EQUIPMENT.c.status, EQUIPMENT.c.due_on,
               EQUIPMENT.c.gases)
        .where(EQUIPMENT.c.id.in_(assigned.scalar_subquery()),
               EQUIPMENT.c.kind == "gas_detector")
        .order_by(EQUIPMENT.c.serial)
    )
    return {r.serial: Detector(r.id, r.serial, r.status, r.due_on, tuple(r.gases)) for r in rows}


def _who(permit: Subject, wf: Workflow, source: Source) -> str:
    """The attendant watches the readings on site (art. 13); a detector speaks for itself."""
    if source.detector is not None:
        return "device"
    if source.user is None or source.user.id != permit.attendant_id:
        text = wf.guards["by_attendant"]
        raise Blocked([Reason("by_attendant", text.cite, text.template)])
    return "attendant"


def _digest(items: Sequence[_Item]) -> str:
    """SHA-256 of the batch as stored, one line a reading: detector, time, gas, point,
    value (repr: exact), unit."""
    lines = "".join(
        f"{i.serial}\t{i.taken_at.isoformat()}\t{i.judged.gas}\t{i.judged.point}\t"
        f"{i.judged.value!r}\t{i.judged.unit}\n"
        for i in items
    )
    return hashlib.sha256(lines.encode()).hexdigest()


def ingest(
    session: Session,
    permit: Subject,
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
    detectors = _detectors(session, permit, source)
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
    digest = _digest(good)
    conn = session.connection()
    (batch_id,) = _INSERT_BATCH(conn).one(
        conn,
        (
            permit.id,
            source.token_id,
            source.user.id if source.user else None,
            now,
            len(good),
            min(times),
            max(times),
            digest,
        ),
    )
    pid = permit.id
    _INSERT_READINGS(conn).many(
        conn, [(pid, None, *i.judged, i.taken_at, i.detector_id, batch_id) for i in good]
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
            "detectors": sorted({i.serial for i in good}),
            "from": min(times),
            "to": max(times),
            "digest": digest,
            "token": source.token_id,
        },
        at=now,
    )
    alarms = _first_per_gas(failed)
    moved = _raise(session, permit, wf, spec, alarms, batch_id, clock, now) if alarms else None
    state, version = moved or (permit.state, permit.version)
    return Ingested(batch_id, len(good), len(alarms), state, version, moved is not None)


def _first_per_gas(failed: list[_Item]) -> list[tuple[_Item, int]]:
    """One alarm per detector, gas and sampling point in a batch: its earliest reading outside
    the limits, and how many of the batch's readings of it were."""
    groups: dict[tuple[int, str, str], list[_Item]] = {}
    for item in failed:
        groups.setdefault((item.detector_id, item.judged.gas, item.judged.point), []).append(item)
    return [
        (min(group, key=lambda i: i.taken_at), len(group))
        for group in sorted(groups.values(), key=lambda g: min(i.taken_at for i in g))
    ]


def reading_facts(item: _Item, wf: Workflow) -> dict[str, Any]:
    j = item.judged
    return {
        "detector": item.serial,
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
    permit: Subject,
    wf: Workflow,
    spec: Mapping[str, Any],
    alarms: list[tuple[_Item, int]],
    batch_id: int,
    clock: Clock,
    now: datetime,
) -> tuple[str, int] | None:
    """Record the alarms; fire the alarm event when the permit's state has a transition for
    it (working → suspended), as the system, with the first reading outside the limits.
    Returns the permit's new state and version when it moved."""
    state = permit.state
    event = spec["alarm_event"]
    after: tuple[str, int] | None = None
    if state in wf.events[event].sources:
        first = alarms[0][0]
        subject = permit if isinstance(permit, Permit) else session.get(Permit, permit.id)
        # the state judged above must still be the permit's: else Conflict, and again
        engine.apply(session, subject, event, None, {"reading": reading_facts(first, wf)},
                     clock=clock, expected_version=permit.version)
        after = (subject.state, subject.version)
    session.connection().execute(
        insert(ALARMS),
        [
            {
                "permit_id": permit.id,
                "kind": OUT_OF_RANGE,
                "raised_at": now,
                "batch_id": batch_id,
                "detector_id": item.detector_id,
                "gas": item.judged.gas,
                "point": item.judged.point,
                "value": item.judged.value,
                "unit": item.judged.unit,
                "value_in_limit_unit": item.judged.value_in_limit_unit,
                "limit_unit": item.judged.limit_unit,
                "taken_at": item.taken_at,
                "readings_over": over,
                "permit_state": state,
                "moved_to": after[0] if after else None,
            }
            for item, over in alarms
        ],
    )
    return after
