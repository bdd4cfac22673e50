"""The compliance board page at three enterprise sizes, beside a one-query baseline page, as JSON.

For enterprises of 50, 500 and 5,000 spaces (people, equipment and permits in proportion:
20,000 permits at the largest, with their signatures, gas tests, readings and entries), the
real app's GET /board as an admin, through Flask's test client, p50/p95 over the timed
requests; and, in the same run, app and database, a baseline page of the same app that runs
ONE aggregate query over the same tables and renders a few numbers. Data is generated with
bulk inserts, not through the engine: realistic in shape (dates spread over two years, a few
percent of everything overdue, missing or failed), cheap to make.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

os.environ["PERMIT_FAST_HASHES"] = "1"

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "bench":
    sys.path.pop(0)  # this file is named board.py: never let it shadow permit.board
sys.path.insert(0, str(ROOT))

import sqlalchemy  # noqa: E402
from flask import render_template_string  # noqa: E402
from sqlalchemy import event, func, insert, select, text  # noqa: E402

from permit import db, registers  # noqa: E402
from permit.catalogue import catalogue  # noqa: E402
from permit.clock import FixedClock, local_date  # noqa: E402
from permit.models import (  # noqa: E402
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
from permit.packs import packs  # noqa: E402
from permit.qualification import competence_kinds  # noqa: E402

SIZES = (50, 500, 5000)
PERMITS_PER_SPACE = 4  # 20,000 permits at 5,000 spaces
P95_GOAL_MS = 200.0  # at 500 spaces
GROWTH_GOAL = 2.0  # p95 at 5,000 spaces / p95 at 50
PASSWORD = "bench-password"

BOARD_DOES = (
    "GET /board as the enterprise's admin through Flask's test client (session cookie, CSRF "
    "off): the rule pack in force, every obligation of its [[board]] computed from the "
    "registers with aggregate queries, the penalties, the soonest items falling due "
    "(permit.compliance.due_items), the Jinja template rendered in Chinese."
)
BASELINE_DOES = (
    "GET /bench-baseline on the same app: the same login and request handling, then ONE "
    "SELECT of scalar COUNT subqueries over the same enterprise's spaces, people, equipment, "
    "permits and readings, rendered as five numbers by a one-line template."
)
BASELINE_TEMPLATE = "{% for k, v in counts.items() %}<p>{{ k }}: {{ v }}</p>{% endfor %}"


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


def make_app(url: str, clock: FixedClock):
    from web import create_app, get_session

    app = create_app(
        {
            "DATABASE_URL": url,
            "TESTING": True,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "CLOCK": clock,
        }
    )

    def baseline():
        from web.auth import me

        counts = baseline_counts(get_session(), me().enterprise_id)
        return render_template_string(BASELINE_TEMPLATE, counts=counts)

    from flask_login import login_required

    app.add_url_rule("/bench-baseline", "bench_baseline", login_required(baseline))
    return app


def percentiles(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def statements(engine, client, path: str) -> int:
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def run_backend(url: str, requests: int, sizes: tuple[int, ...]) -> dict[str, Any]:
    engine = db.make_engine(url)
    try:
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        db.migrate(engine)
        clock = FixedClock()
        sessions = db.session_factory(engine)
        result: dict[str, Any] = {
            "dialect": engine.dialect.name,
            "server_version": ".".join(map(str, engine.dialect.server_version_info or ())),
            "requests": requests,
            "sizes": {},
        }
        scenes = {}
        for n in sizes:
            started = time.perf_counter()
            scenes[n] = generate(sessions, clock, n, seed=n)
            scenes[n]["generate_s"] = round(time.perf_counter() - started, 2)
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        app = make_app(url, clock)
        app_engine = app.extensions["db_engine"]
        for n in sizes:
            client = app.test_client()
            response = client.post(
                "/login", data={"username": scenes[n]["username"], "password": PASSWORD}
            )
            assert response.status_code == 302, response.status_code
            arms = {"board": "/board", "baseline": "/bench-baseline"}
            for path in arms.values():  # warm-up, untimed
                assert client.get(path).status_code == 200
            times: dict[str, list[float]] = {name: [] for name in arms}
            for i in range(requests):
                order = list(arms) if i % 2 == 0 else list(reversed(arms))
                for name in order:
                    start = time.perf_counter()
                    response = client.get(arms[name])
                    times[name].append(time.perf_counter() - start)
                    assert response.status_code == 200
            board, base = percentiles(times["board"]), percentiles(times["baseline"])
            result["sizes"][str(n)] = {
                "rows": scenes[n]["rows"],
                "generate_s": scenes[n]["generate_s"],
                "board": {**board, "statements": statements(app_engine, client, "/board")},
                "baseline": {
                    **base,
                    "statements": statements(app_engine, client, "/bench-baseline"),
                },
                "p95_ratio_to_baseline": round(board["p95_ms"] / base["p95_ms"], 2),
            }
        app_engine.dispose()
        by = result["sizes"]
        smallest, largest = str(min(sizes)), str(max(sizes))
        growth = by[largest]["board"]["p95_ms"] / by[smallest]["board"]["p95_ms"]
        base_growth = by[largest]["baseline"]["p95_ms"] / by[smallest]["baseline"]["p95_ms"]
        result["board_p95_growth"] = round(growth, 2)
        result["baseline_p95_growth"] = round(base_growth, 2)
        # Machine noise moves both arms alike: the board's growth beside the baseline's.
        result["board_growth_over_baseline_growth"] = round(growth / base_growth, 2)
        result["growth_within_goal"] = growth <= GROWTH_GOAL
        if "500" in by:
            result["p95_at_500_within_goal"] = by["500"]["board"]["p95_ms"] <= P95_GOAL_MS
        result["within_goal"] = result["growth_within_goal"] and result.get(
            "p95_at_500_within_goal", True
        )
        return result
    finally:
        engine.dispose()


def git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=40, help="timed requests per arm and size")
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, SIZES)),
        help="enterprise sizes in spaces, comma-separated",
    )
    args = parser.parse_args(argv)
    sizes = tuple(int(s) for s in args.sizes.split(","))
    started = time.perf_counter()
    report: dict[str, Any] = {
        "benchmark": "board: the compliance board page by enterprise size, in-process",
        "git_commit": git("rev-parse", "--short", "HEAD") or None,
        "git_dirty": (
            None
            if (status := git("status", "--porcelain", "--untracked-files=no")) is None
            else bool(status)
        ),
        "python": platform.python_version(),
        "sqlalchemy": sqlalchemy.__version__,
        "board_does": BOARD_DOES,
        "baseline_does": BASELINE_DOES,
        "data": (
            f"per size N spaces: max(12, N) people (1 in 5 attendants), max(8, N/2) items "
            f"of equipment, {PERMITS_PER_SPACE}·N permits (95 % closed) with their "
            "approval, one passing gas test of four readings and their entries"
        ),
        "figures": "p50/p95 over the timed requests; board and baseline alternate, same run",
        "goals": {
            "p95_ms_at_500_spaces": f"<= {P95_GOAL_MS:g}",
            "board_p95_growth_50_to_5000": f"<= {GROWTH_GOAL:g}",
        },
        "backends": {},
    }
    with tempfile.TemporaryDirectory(prefix="permit-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        report["backends"]["sqlite"] = run_backend(url, args.requests, sizes)
    pg_url = os.environ.get("BENCH_POSTGRES_URL")
    if pg_url:
        report["backends"]["postgresql"] = run_backend(pg_url, args.requests, sizes)
    else:
        report["backends"]["postgresql"] = {"skipped": "BENCH_POSTGRES_URL is not set"}
    measured = [b for b in report["backends"].values() if "within_goal" in b]
    report["within_goal"] = all(b["within_goal"] for b in measured)
    report["seconds"] = round(time.perf_counter() - started, 1)
    json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
