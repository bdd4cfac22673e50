"""A generated enterprise for the benchmarks: N spaces and everything in proportion (people,
training, equipment and its checks, contractors, plans, drills, and 4·N permits with their
approvals, gas tests, readings and entries), bulk-inserted, not driven through the engine:
realistic in shape (dates spread over two years, a few percent of everything overdue, missing
or failed), cheap to make. Shared by bench/board.py and bench/inspection.py."""

from __future__ import annotations

import random
import statistics
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from permit import registers
from permit.catalogue import catalogue
from permit.clock import FixedClock, local_date
from permit.models import (
    Contractor,
    DisposalPlan,
    Drill,
    EntryLog,
    Equipment,
    EquipmentCheck,
    GasTest,
    Permit,
    PermitPerson,
    Reading,
    SafetyAgreement,
    Signature,
    Space,
    TrainingRecord,
    TrainingSession,
    User,
    UserRole,
)
from permit.packs import packs
from permit.qualification import competence_kinds

ROOT = Path(__file__).resolve().parent.parent
PERMITS_PER_SPACE = 4  # 20,000 permits at 5,000 spaces
PASSWORD = "bench-password"


def _rows(session, model, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(model), rows)


def generate(sessions, clock: FixedClock, spaces: int, seed: int) -> dict[str, Any]:
    """One enterprise of `spaces` spaces and everything in proportion; returns its admin's
    username and the row counts."""
    rng = random.Random(seed)
    now = clock.now()
    today = local_date(now)
    pack = packs()["order13-2024"]
    wf = pack.workflows["confined_space"]
    hazards = list(wf.section("hazards"))
    classes = list(catalogue().classes.values())
    people_n = max(12, spaces)
    equipment_n = max(8, spaces // 2)
    permits_n = spaces * PERMITS_PER_SPACE
    with sessions() as session:
        ent = registers.create_enterprise(
            session,
            code=f"B{spaces}",
            name=f"基准企业 {spaces}",
            industry="light",
            clock=clock,
            rule_pack=pack.id,
        )
        ent.drill_period_months = 6
        admin = registers.add_user(
            session,
            enterprise=ent,
            name="管理员",
            roles=["admin", "principal"],
            username=f"admin{spaces}",
            password=PASSWORD,
            clock=clock,
        )
        session.flush()
        e = ent.id

        # -- the ledger -------------------------------------------------------------------
        space_rows = []
        for i in range(spaces):
            cls = classes[i % len(classes)]
            listed = [] if rng.random() < 0.03 else rng.sample(hazards, 2)
            toxic = bool({"h2s", "co"} & set(listed))
            space_rows.append(
                dict(
                    enterprise_id=e,
                    code=f"S-{i:05d}",
                    name=f"{cls.zh} {i} 号",
                    location=f"{i % 17 + 1} 号车间",
                    industry=cls.industry,
                    catalogue_class=cls.key,
                    hazards=listed,
                    isolation_measures=[] if toxic and rng.random() < 0.02 else ["入口上锁"],
                    control_measures=["作业前强制通风", "持续检测"],
                    deep=bool(i % 2),
                    sign_placed_on=None if rng.random() < 0.05 else today - timedelta(days=i % 300),
                    qr_token=f"bench-{spaces}-{i}-{rng.getrandbits(64):x}",
                    created_at=now,
                )
            )
        _rows(session, Space, space_rows)
        space_ids = list(session.scalars(select(Space.id).where(Space.enterprise_id == e)))

        # -- people, roles and training ----------------------------------------------------
        user_rows = [
            dict(enterprise_id=e, name=f"员工{i}", active=True, created_at=now)
            for i in range(people_n)
        ]
        _rows(session, User, user_rows)
        user_ids = list(
            session.scalars(
                select(User.id)
                .where(User.enterprise_id == e, User.username.is_(None))
                .order_by(User.id)
            )
        )
        roles = {}
        for n, uid in enumerate(user_ids):
            roles[uid] = (
                "approver"
                if n < 3
                else "attendant"
                if n % 5 == 0
                else "rescuer"
                if n % 10 == 1
                else "entrant"
            )
        _rows(session, UserRole, [dict(user_id=u, role=r) for u, r in roles.items()])
        held = [today - timedelta(days=30 * m + 3) for m in range(12)]
        _rows(
            session,
            TrainingSession,
            [
                dict(
                    enterprise_id=e,
                    kind="annual",
                    topic="年度专题培训",
                    held_on=d,
                    trainer="安全科",
                    hours=4.0,
                    materials=[],
                    recorded_at=now,
                )
                for d in held
            ],
        )
        records = []
        for uid, role in roles.items():
            if role == "approver":
                continue
            kinds = ["annual"] + (competence_kinds(wf) if role == "attendant" else [])
            for kind in kinds:
                if rng.random() < 0.04:
                    continue  # never trained in it
                for back in (rng.randint(0, 395), rng.randint(400, 760)):
                    records.append(
                        dict(
                            user_id=uid,
                            kind=kind,
                            topic=kind,
                            passed=rng.random() > 0.03,
                            taken_on=today - timedelta(days=back),
                            recorded_at=now,
                        )
                    )
        _rows(session, TrainingRecord, records)

        # -- equipment --------------------------------------------------------------------
        kinds = list(wf.section("equipment_kinds"))
        _rows(
            session,
            Equipment,
            [
                dict(
                    enterprise_id=e,
                    kind=kinds[i % len(kinds)],
                    serial=f"E-{i:05d}",
                    name=f"装备 {i}",
                    gases=["o2", "lel", "h2s", "co"],
                    pump_suction=True,
                    due_on=None
                    if rng.random() < 0.01
                    else today + timedelta(days=rng.randint(-20, 365)),
                    status="in_service" if rng.random() < 0.97 else "out_of_service",
                    status_reason="",
                    created_at=now,
                )
                for i in range(equipment_n)
            ],
        )
        equipment_ids = list(
            session.scalars(select(Equipment.id).where(Equipment.enterprise_id == e))
        )
        _rows(
            session,
            EquipmentCheck,
            [
                dict(
                    equipment_id=i,
                    checked_at=now - timedelta(days=rng.randint(1, 60)),
                    results={},
                    passed=True,
                    note="",
                )
                for i in equipment_ids
                if rng.random() < 0.95
            ],
        )

        # -- contractors, plans, drills ----------------------------------------------------
        _rows(
            session,
            Contractor,
            [
                dict(enterprise_id=e, name=f"承包单位 {i}", created_at=now, retire_reason="")
                for i in range(max(1, spaces // 100))
            ],
        )
        companies = list(
            session.scalars(select(Contractor.id).where(Contractor.enterprise_id == e))
        )
        _rows(
            session,
            SafetyAgreement,
            [
                dict(
                    contractor_id=c,
                    valid_from=today - timedelta(days=200),
                    valid_to=today + timedelta(days=rng.randint(-10, 300)),
                    scope=["cleaning"],
                    document_ref="",
                    responsibilities="",
                    created_at=now,
                    revoke_reason="",
                )
                for c in companies
            ],
        )
        used = sorted({c.key for c in classes})
        _rows(
            session,
            DisposalPlan,
            [
                dict(
                    enterprise_id=e,
                    title=f"{k} 现场处置方案",
                    catalogue_class=k,
                    steps=["撤离"],
                    effective_on=today - timedelta(days=100),
                    created_at=now,
                )
                for k in used[:-1]  # one class has no plan yet
            ],
        )
        _rows(
            session,
            Drill,
            [
                dict(
                    enterprise_id=e,
                    held_on=today - timedelta(days=40 + 90 * k),
                    scenario="救援演练",
                    participants=[],
                    evaluation="熟练",
                    photos=[],
                    recorded_at=now,
                )
                for k in range(4)
            ],
        )

        # -- permits and what they recorded ------------------------------------------------
        attendants = [u for u, r in roles.items() if r == "attendant"]
        entrants = [u for u, r in roles.items() if r == "entrant"]
        approvers = [u for u, r in roles.items() if r == "approver"]
        permit_rows = []
        for i in range(permits_n):
            start = now - timedelta(minutes=rng.randint(60, 2 * 365 * 24 * 60))
            state = rng.choices(["closed", "cancelled", "draft", "working"], [95, 3, 1, 1])[0]
            if state == "working":
                start = now - timedelta(minutes=rng.randint(20, 200))
            major = rng.random() < 0.3
            permit_rows.append(
                dict(
                    enterprise_id=e,
                    number=f"B{spaces}-{i:06d}",
                    workflow="confined_space",
                    workflow_version=wf.version,
                    state=state,
                    version=1,
                    space_id=rng.choice(space_ids),
                    task_type="cleaning",
                    purpose="清理",
                    window_start=start,
                    window_end=start + timedelta(hours=8),
                    requester_id=approvers[0],
                    attendant_id=rng.choice(attendants),
                    hazards=["h2s"] if major else ["o2_deficiency"],
                    control_measures=["通风"],
                    risk_tier="major" if major else "general",
                    created_at=start,
                    updated_at=start,
                )
            )
        _rows(session, Permit, permit_rows)
        permits = session.execute(
            select(Permit.id, Permit.state, Permit.risk_tier, Permit.window_start).where(
                Permit.enterprise_id == e
            )
        ).all()
        people, signatures, tests = [], [], []
        entrant_of: dict[int, int] = {}
        for pid, state, tier, start in permits:
            entrant = rng.choice(entrants)
            people.append(dict(permit_id=pid, user_id=entrant, role="entrant"))
            entrant_of[pid] = entrant
            if state == "draft":
                continue
            signatures.append(
                dict(
                    permit_id=pid,
                    user_id=admin.id if tier == "major" else approvers[1],
                    kind="approve",
                    role="principal" if tier == "major" else "approver",
                    tier=tier,
                    reason="",
                    signed_at=start - timedelta(minutes=30),
                )
            )
            if state in ("closed", "working"):
                tests.append(
                    dict(
                        permit_id=pid,
                        tested_at=start + timedelta(minutes=10),
                        passed=True,
                        during="ventilating",
                    )
                )
        _rows(session, PermitPerson, people)
        _rows(session, Signature, signatures)
        _rows(session, GasTest, tests)
        tested = session.execute(
            select(GasTest.id, GasTest.permit_id, GasTest.tested_at, Permit.state)
            .join(Permit, Permit.id == GasTest.permit_id)
            .where(Permit.enterprise_id == e)
        ).all()
        readings, entries = [], []
        by_permit = {p[0]: p for p in permits}
        for gid, pid, at, state in tested:
            for gas, value, unit in (
                ("o2", 20.9, "%vol"),
                ("lel", 0.0, "%LEL"),
                ("h2s", 0.5, "mg/m3"),
                ("co", 1.0, "mg/m3"),
            ):
                readings.append(
                    dict(
                        permit_id=pid,
                        gas_test_id=gid,
                        gas=gas,
                        point="",
                        value=value,
                        unit=unit,
                        value_in_limit_unit=value,
                        limit_unit=unit,
                        passed=True,
                        taken_at=at,
                    )
                )
            entrant = entrant_of[pid]
            entries.append(
                dict(
                    permit_id=pid,
                    user_id=entrant,
                    direction="in",
                    at=at + timedelta(minutes=5),
                    gas_test_id=gid,
                )
            )
            if state == "closed":
                entries.append(
                    dict(
                        permit_id=pid,
                        user_id=entrant,
                        direction="out",
                        at=by_permit[pid][3] + timedelta(hours=4),
                    )
                )
        _rows(session, Reading, readings)
        _rows(session, EntryLog, entries)
        session.commit()
        counts = {
            "spaces": spaces,
            "people": people_n,
            "equipment": equipment_n,
            "permits": permits_n,
            "gas_tests": len(tests),
            "readings": len(readings),
            "entries": len(entries),
            "training_records": len(records),
        }
    return {"enterprise_id": e, "username": f"admin{spaces}", "rows": counts}


def baseline_counts(session, enterprise_id: int) -> dict[str, int]:
    mine = select(Permit.id).where(Permit.enterprise_id == enterprise_id)

    def count(model, *where):
        return select(func.count()).select_from(model).where(*where).scalar_subquery()

    row = session.execute(
        select(
            count(Space, Space.enterprise_id == enterprise_id).label("spaces"),
            count(User, User.enterprise_id == enterprise_id).label("people"),
            count(Equipment, Equipment.enterprise_id == enterprise_id).label("equipment"),
            count(Permit, Permit.enterprise_id == enterprise_id).label("permits"),
            count(Reading, Reading.permit_id.in_(mine)).label("readings"),
        )
    ).one()
    return dict(row._mapping)


def percentiles(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }

