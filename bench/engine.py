"""Full permit lifecycles per second through the engine, beside a bare-ORM baseline, as JSON."""
from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import JSON, Engine, ForeignKey, MetaData, String, event, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

# Before permit is imported: the e-signature's Argon2id cost is deliberate, not engine overhead.
os.environ["PERMIT_FAST_HASHES"] = "1"

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path.pop(0)  # this file is named engine.py: never let it shadow a module
sys.path.insert(0, str(ROOT))

from bench.harness import fresh_schema, revision, run_and_print  # noqa: E402
from permit import db  # noqa: E402
from permit.approval import tier_for  # noqa: E402
from permit.audit import jsonable  # noqa: E402
from permit.clock import FixedClock  # noqa: E402
from permit.engine import apply, workflow_of  # noqa: E402
from permit.models import Equipment, Permit, Space, User  # noqa: E402
from permit.models.base import UTCDateTime  # noqa: E402
from tests.factories import World  # noqa: E402

GOAL = 2.0  # the issue: the engine costs at most twice the bare baseline

# One lifecycle after `create`: (event, whose turn, whom it names, state after).
STEPS = [
    ("submit", "requester", None, "pending_approval"),
    ("approve", "signer", None, "approved"),
    ("release_isolation", "attendant", None, "isolation_released"),
    ("brief", "attendant", None, "briefed"),
    ("start_ventilation", "attendant", None, "ventilating"),
    ("record_gas_test", "attendant", None, "tested"),
    ("start_work", "attendant", None, "working"),
    ("check_in", "attendant", "entrant", "working"),
    ("check_in", "attendant", "entrant2", "working"),
    ("check_out", "attendant", "entrant", "working"),
    ("check_out", "attendant", "entrant2", "working"),
    ("finish", "attendant", None, "closing"),
    ("close", "signer", None, "closed"),
]
PEOPLE = ["principal", "deputy", "approver", "requester", "attendant", "entrant", "entrant2",
          "rescuer"]
EQUIPMENT = ["detector", "fan", "scba", "harness"]

BASELINE_TEXT = (
    "Same database, same engine and session settings, same number of transactions (one per "
    "step, committed), no engine, guards, rules or audit chain. Tables of its own (bench_*, "
    "shaped like the real ones). Each event: session.get the actor row and the permit row "
    "(version_id_col as on Permit), update the permit (state, updated_at, last_event and the "
    "column that event sets), insert the rows that event records (signature; confirmations "
    "one per item; gas test + one row per reading; entry-log row), update the two entrant rows "
    "at brief, plus ONE insert standing for the audit row (JSON data, no hash chain, no head "
    "row). Create: get the actor, one SELECT of the named people, UPDATE ... RETURNING the "
    "enterprise counter, insert the permit, its 3 people and 4 equipment rows and one audit row."
)
ENGINE_TEXT = (
    "registers.create_permit, then each event through permit.engine.apply with the data a form "
    "would post, one session and one commit per step (a request): the actor and the permit "
    "are loaded fresh with session.get in a new session. FixedClock advancing one minute "
    "between steps. The state after each step is checked."
)


# -- the baseline's own tables -----------------------------------------------------------

class BenchBase(DeclarativeBase):
    metadata = MetaData()
    type_annotation_map = {datetime: UTCDateTime, dict: JSON, list: JSON}


class BenchEnterprise(BenchBase):
    __tablename__ = "bench_enterprises"
    id: Mapped[int] = mapped_column(primary_key=True)
    permit_counter: Mapped[int] = mapped_column(default=0)


class BenchUser(BenchBase):
    __tablename__ = "bench_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("bench_enterprises.id"))
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(200))


class BenchPermit(BenchBase):
    __tablename__ = "bench_permits"
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("bench_enterprises.id"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(30), index=True)
    version: Mapped[int] = mapped_column(nullable=False)
    requester_id: Mapped[int] = mapped_column(ForeignKey("bench_users.id"))
    attendant_id: Mapped[int | None] = mapped_column(ForeignKey("bench_users.id"))
    hazards: Mapped[list] = mapped_column(default=list)
    control_measures: Mapped[list] = mapped_column(default=list)
    risk_tier: Mapped[str | None] = mapped_column(String(20))
    window_start: Mapped[datetime | None]
    window_end: Mapped[datetime | None]
    ventilation_started_at: Mapped[datetime | None]
    isolation_released_at: Mapped[datetime | None]
    isolation_restored_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_event: Mapped[str | None] = mapped_column(String(40))

    __mapper_args__ = {"version_id_col": version}


class BenchPerson(BenchBase):
    __tablename__ = "bench_people"
    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("bench_permits.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("bench_users.id"))
    role: Mapped[str] = mapped_column(String(20))
    briefed_at: Mapped[datetime | None]


class BenchEquipment(BenchBase):
    __tablename__ = "bench_equipment"
    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("bench_permits.id"), index=True)
    equipment_id: Mapped[int]


class BenchCheck(BenchBase):
    __tablename__ = "bench_checks"
    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("bench_permits.id"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    item: Mapped[str] = mapped_column(String(200))
    confirmed_by_id: Mapped[int] = mapped_column(ForeignKey("bench_users.id"))
    confirmed_at: Mapped[datetime]


class BenchSignature(BenchBase):
    __tablename__ = "bench_signatures"
    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("bench_permits.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("bench_users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    tier: Mapped[str | None] = mapped_column(String(20))
    signed_at: Mapped[datetime]


class BenchGasTest(BenchBase):
    __tablename__ = "bench_gas_tests"
    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("bench_permits.id"), index=True)
    tester_id: Mapped[int] = mapped_column(ForeignKey("bench_users.id"))
    detector_id: Mapped[int]
    tested_at: Mapped[datetime]
    passed: Mapped[bool]


class BenchReading(BenchBase):
    __tablename__ = "bench_readings"
    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("bench_permits.id"), index=True)
    gas_test_id: Mapped[int] = mapped_column(ForeignKey("bench_gas_tests.id"), index=True)
    gas: Mapped[str] = mapped_column(String(20))
    point: Mapped[str] = mapped_column(String(20))
    value: Mapped[float]
    unit: Mapped[str] = mapped_column(String(20))
    taken_at: Mapped[datetime]


class BenchEntry(BenchBase):
    __tablename__ = "bench_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("bench_permits.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("bench_users.id"))
    direction: Mapped[str] = mapped_column(String(3))
    at: Mapped[datetime]


class BenchAudit(BenchBase):
    __tablename__ = "bench_audit"
    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int]
    actor_id: Mapped[int | None]
    event: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict] = mapped_column(default=dict)
    at: Mapped[datetime]


# -- the scene: one enterprise, built once --------------------------------------------

@dataclass
class Scene:
    """Ids of what a lifecycle draws on, the data each event posts, and who fires it."""

    people: dict[str, int]
    equipment: dict[str, int]
    space: int
    signer: str
    data: dict[str, dict[str, Any]]
    hazards: list[str]
    control_measures: list[str]
    bench_people: dict[str, int]
    bench_enterprise: int


def build_scene(sessions, clock: FixedClock) -> Scene:
    with sessions() as session:
        world = World(session, clock)
        world.build()
        session.commit()
        sample = world.permit()  # a draft, only to derive the data each form would post
        wf = workflow_of(sample)
        signer = "principal" if tier_for(sample, wf)["name"] == "major" else "approver"
        data = {name: world.data_for(sample, name) for name, *_ in STEPS}
        scene = Scene(
            people={p: getattr(world, p).id for p in PEOPLE},
            equipment={e: getattr(world, e).id for e in EQUIPMENT},
            space=world.pit.id, signer=signer, data=data, hazards=list(sample.hazards),
            control_measures=list(sample.control_measures), bench_people={}, bench_enterprise=0,
        )
        ent = BenchEnterprise(permit_counter=0)
        session.add(ent)
        session.flush()
        for p in PEOPLE:
            user = getattr(world, p)
            row = BenchUser(enterprise_id=ent.id, name=user.name, password_hash=user.password_hash)
            session.add(row)
            session.flush()
            scene.bench_people[p] = row.id
        scene.bench_enterprise = ent.id
        session.commit()
    return scene


def actor_key(whose: str, scene: Scene) -> str:
    return scene.signer if whose == "signer" else whose


# -- the engine: one request per step ---------------------------------------------------

def engine_create(sessions, scene: Scene, clock: FixedClock) -> int:
    with sessions() as session:
        users = {u.id: u for u in session.scalars(
            select(User).where(User.id.in_(scene.people.values())))}
        items = {e.id: e for e in session.scalars(
            select(Equipment).where(Equipment.id.in_(scene.equipment.values())))}
        world = World(session, clock)
        for name, uid in scene.people.items():
            setattr(world, name, users[uid])
        for name, eid in scene.equipment.items():
            setattr(world, name, items[eid])
        world.pit = session.get(Space, scene.space)
        return world.permit().id  # World.permit commits: the request's one commit


def engine_event(sessions, scene: Scene, clock: FixedClock, permit_id: int, step) -> None:
    name, whose, person, expected = step
    data = dict(scene.data[name])
    if person:
        data["person"] = scene.people[person]
    with sessions() as session:
        actor = session.get(User, scene.people[actor_key(whose, scene)])
        permit = session.get(Permit, permit_id)
        result = apply(session, permit, name, actor, data, clock=clock)
        session.commit()
    if result.state != expected:
        raise RuntimeError(f"{name}: expected {expected}, got {result.state}")


def _quiet(step: str) -> None:
    pass


def engine_lifecycle(sessions, scene: Scene, clock: FixedClock, on_step=_quiet) -> None:
    on_step("create")
    permit_id = engine_create(sessions, scene, clock)
    for step in STEPS:
        clock.advance(minutes=1)
        on_step(step[0])
        engine_event(sessions, scene, clock, permit_id, step)
    clock.advance(minutes=1)


# -- the baseline: the same transactions, bare ORM ---------------------------------------

def baseline_create(sessions, scene: Scene, clock: FixedClock) -> int:
    now = clock.now()
    ids = scene.bench_people
    with sessions() as session:
        session.get(BenchUser, ids["requester"])
        named = [ids[p] for p in ("attendant", "entrant", "entrant2", "rescuer")]
        session.scalars(select(BenchUser).where(BenchUser.id.in_(named))).all()
        counter = session.execute(
            update(BenchEnterprise).where(BenchEnterprise.id == scene.bench_enterprise)
            .values(permit_counter=BenchEnterprise.permit_counter + 1)
            .returning(BenchEnterprise.permit_counter)
        ).scalar_one()
        permit = BenchPermit(
            enterprise_id=scene.bench_enterprise, number=f"QY1-{now.year}-{counter:04d}",
            state="draft", requester_id=ids["requester"], attendant_id=ids["attendant"],
            hazards=list(scene.hazards), control_measures=list(scene.control_measures),
            window_start=now - timedelta(minutes=5), window_end=now + timedelta(hours=8),
            created_at=now, updated_at=now,
        )
        session.add(permit)
        session.flush()
        session.add_all([BenchPerson(permit_id=permit.id, user_id=ids[p], role=role)
                         for p, role in (("entrant", "entrant"), ("entrant2", "entrant"),
                                         ("rescuer", "rescuer"))])
        session.add_all([BenchEquipment(permit_id=permit.id, equipment_id=e)
                         for e in scene.equipment.values()])
        session.add(BenchAudit(permit_id=permit.id, actor_id=ids["requester"], event="create",
                               data={"number": permit.number}, at=now))
        session.commit()
        return permit.id


def _baseline_facts(session: Session, permit: BenchPermit, name: str, data: dict[str, Any],
                    actor_id: int, now: datetime) -> None:
    """The rows the engine's effect for this event records, written by hand."""
    pid = permit.id

    def checks(items):
        session.add_all([BenchCheck(permit_id=pid, event=name, item=str(i),
                                    confirmed_by_id=actor_id, confirmed_at=now) for i in items])

    def sign(kind):
        session.add(BenchSignature(permit_id=pid, user_id=actor_id, kind=kind,
                                   tier=permit.risk_tier, signed_at=now))

    if name == "submit":
        permit.risk_tier = "major"
    elif name == "approve":
        sign("approve")
    elif name == "release_isolation":
        permit.isolation_released_at = now
    elif name == "brief":
        for person in session.scalars(select(BenchPerson).where(
                BenchPerson.permit_id == pid, BenchPerson.role == "entrant")):
            person.briefed_at = now
        checks(data["confirmed"])
    elif name == "start_ventilation":
        permit.ventilation_started_at = now
    elif name == "record_gas_test":
        test = BenchGasTest(permit_id=pid, tester_id=actor_id, detector_id=data["detector"],
                            tested_at=now, passed=True)
        session.add(test)
        session.flush()
        session.add_all([BenchReading(permit_id=pid, gas_test_id=test.id, gas=r["gas"],
                                      point=r["point"], value=r["value"], unit=r["unit"],
                                      taken_at=now) for r in data["readings"]])
    elif name == "start_work":
        checks(data["confirmed"])
    elif name in ("check_in", "check_out"):
        session.add(BenchEntry(permit_id=pid, user_id=data["person"],
                               direction="in" if name == "check_in" else "out", at=now))
    elif name == "finish":
        checks(data["confirmed"])
        permit.isolation_restored_at = now
        sign("finish")
    elif name == "close":
        sign("close")


def baseline_event(sessions, scene: Scene, clock: FixedClock, permit_id: int, step) -> None:
    name, whose, person, expected = step
    data = dict(scene.data[name])
    data.pop("password", None)
    if person:
        data["person"] = scene.bench_people[person]
    now = clock.now()
    with sessions() as session:
        actor = session.get(BenchUser, scene.bench_people[actor_key(whose, scene)])
        permit = session.get(BenchPermit, permit_id)
        source = permit.state
        _baseline_facts(session, permit, name, data, actor.id, now)
        permit.state, permit.updated_at, permit.last_event = expected, now, name
        session.add(BenchAudit(permit_id=permit_id, actor_id=actor.id, event=name,
                               data=jsonable({"from": source, "to": expected, **data}), at=now))
        session.commit()


def baseline_lifecycle(sessions, scene: Scene, clock: FixedClock, on_step=_quiet) -> None:
    on_step("create")
    permit_id = baseline_create(sessions, scene, clock)
    for step in STEPS:
        clock.advance(minutes=1)
        on_step(step[0])
        baseline_event(sessions, scene, clock, permit_id, step)
    clock.advance(minutes=1)


# -- measuring -----------------------------------------------------------------------------

class StatementCounter:
    """Statements sent to the database, by step and by kind (SELECT, INSERT, ...)."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()
        self.current = "?"

    def __call__(self, step: str) -> None:
        self.current = step

    def before_cursor_execute(self, conn, cursor, statement, parameters, context, executemany):
        self.counts[(self.current, statement.lstrip().split(None, 1)[0].upper())] += 1


@contextmanager
def counting(engine: Engine) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    event.listen(engine, "before_cursor_execute", counter.before_cursor_execute)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter.before_cursor_execute)


def statement_summary(counts: Counter) -> dict[str, Any]:
    by_kind: Counter = Counter()
    by_step: dict[str, Counter] = {}
    for (step, kind), n in counts.items():
        by_kind[kind] += n
        by_step.setdefault(step, Counter())[kind] += n
    return {
        "per_lifecycle": sum(by_kind.values()),
        "by_kind": dict(sorted(by_kind.items())),
        "by_step": {step: sum(c.values()) for step, c in by_step.items()},
    }


def figures(seconds: list[float]) -> dict[str, Any]:
    median = statistics.median(seconds)
    ordered = sorted(seconds)
    return {
        "lifecycles_per_s": round(1 / median, 2),
        "transactions_per_s": round((len(STEPS) + 1) / median, 1),
        "median_ms": round(median * 1000, 2),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))] * 1000, 2),
        "min_ms": round(ordered[0] * 1000, 2),
    }


def run_backend(url: str, lifecycles: int, warmup: int, profile: int) -> dict[str, Any]:
    engine = db.make_engine(url)
    try:
        fresh_schema(engine)
        BenchBase.metadata.create_all(engine)
        sessions = db.session_factory(engine)
        clock = FixedClock()
        scene = build_scene(sessions, clock)
        arms = {
            "engine": lambda on_step=_quiet: engine_lifecycle(sessions, scene, clock, on_step),
            "baseline": lambda on_step=_quiet: baseline_lifecycle(sessions, scene, clock, on_step),
        }
        for _ in range(warmup):
            for run in arms.values():
                run()
        times: dict[str, list[float]] = {name: [] for name in arms}
        for i in range(lifecycles):
            order = list(arms) if i % 2 == 0 else list(reversed(arms))  # no order bias
            for name in order:
                start = time.perf_counter()
                arms[name]()
                times[name].append(time.perf_counter() - start)
        statements = {}
        for name, run in arms.items():  # one extra, untimed lifecycle each, counted
            with counting(engine) as counter:
                run(counter)
            statements[name] = statement_summary(counter.counts)
        if profile:
            profile_engine(arms["engine"], profile)
        engine_s, baseline_s = (statistics.median(times[n]) for n in ("engine", "baseline"))
        ratio = engine_s / baseline_s
        return {
            "dialect": engine.dialect.name,
            "server_version": ".".join(map(str, engine.dialect.server_version_info or ())),
            "lifecycles": lifecycles,
            "warmup_lifecycles": warmup,
            "engine": {**figures(times["engine"]), "statements": statements["engine"]},
            "baseline": {**figures(times["baseline"]), "statements": statements["baseline"]},
            "ratio": round(ratio, 2),
            "within_goal": ratio <= GOAL,
        }
    finally:
        engine.dispose()


def profile_engine(run: Callable[[], None], lifecycles: int) -> None:
    """cProfile a few engine lifecycles; the table goes to stderr, never into the JSON."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(lifecycles):
        run()
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stderr).strip_dirs()
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lifecycles", type=int, default=40, help="timed lifecycles per arm")
    parser.add_argument("--warmup", type=int, default=3, help="untimed lifecycles per arm first")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="also cProfile N engine lifecycles, table on stderr")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    report: dict[str, Any] = {
        "benchmark": "engine: full permit lifecycles, in-process",
        **revision(),
        "python": platform.python_version(),
        "sqlalchemy": sqlalchemy.__version__,
        "password_kdf": "argon2id fast test parameters",
        "lifecycle": ["create"] + [s[0] for s in STEPS],
        "transactions_per_lifecycle": len(STEPS) + 1,
        "engine_does": ENGINE_TEXT,
        "baseline_does": BASELINE_TEXT,
        "figures": "median over the timed lifecycles; engine and baseline alternate, same run",
        "ratio": "median engine lifecycle time / median baseline lifecycle time",
        "goal": f"ratio <= {GOAL:g}",
        "backends": {},
    }
    return run_and_print(
        report, lambda url: run_backend(url, args.lifecycles, args.warmup, args.profile), started
    )


if __name__ == "__main__":
    sys.exit(main())
