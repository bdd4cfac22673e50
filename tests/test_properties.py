"""Random events by random people, against real permits in a real database.

A hypothesis state machine starts each example from a fresh database holding the enterprise
of tests/factories.World (under one of the rule packs), opens one to three permits and then
fires the workflow's events, and an unknown one, as anyone or no one, with valid or corrupted
data, while the clock moves on by up to 90 minutes a step. A separate rule walks a permit
along the happy path with valid data and the right person, so that permits do reach work,
closing and closure. Every event runs in its own session, as a web request would.

A refusal (any DomainError) must leave the database exactly as it was, and give the same
reasons as blocked_by. After every step the database itself, read afresh, must show:

1. every check-in happened while the permit was working, inside its window, with the latest
   gas test before it passing, taken after the latest ventilation start and at most the
   workflow's validity before; after an interruption longer than the workflow allows, that
   test was taken after the last person came out;
2. the attendant is never an entrant of a submitted permit, and never in its entry log;
3. nobody comes out who did not go in, nobody is inside once the work is closing, closed,
   cancelled or expired (only the clock expires a permit, once its window is over), and a
   closed permit was signed off by its attendant with its isolation restored;
4. every approval (and closure) was signed by an active person of the enterprise holding an
   approver role of the permit's risk tier, or authorised in writing where the tier allows;
   an approval never by the requester, and never once the window is over;
5. each state change has exactly one audit entry: a permit's entries chain "from"/"to" along
   the workflow's transitions from the initial state to its current state; the hash chain
   verifies, and the audit log holds standard JSON only;
6. no row ever disappears, and the append-only records (audit, entry log, gas tests and their
   readings, signatures, confirmations, reading batches, alarms) never change;
7. monitoring readings (a `reading` rule sends batches in and out of range, late or not, by
   the attendant, someone else or the detector itself): a reading outside the limits raises
   an alarm, which moves a working permit to suspended (and a tested one back to ventilating)
   in the same transaction, with one audit entry by the system; after any alarm or
   evacuation nobody is checked in before a new passing gas test;
and every recorded gas test measured what the permit needs, where it needs it, with a usable
detector, and its verdict follows the workflow's limits.
"""

from __future__ import annotations

import itertools
import json
import math
import shutil
from collections import Counter
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import event as hypothesis_event
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from permit import audit, db, readings, registers, tallies, tick
from permit.clock import FixedClock, local_date
from permit.engine import apply as apply_event
from permit.engine import blocked_by, workflow_of
from permit.errors import Blocked, DomainError
from permit.models import Base, Permit, User
from permit.workflow import Workflow, registry
from permit.workflow import get as get_workflow

from .factories import FINISH_ITEMS, PASSWORD, START_WORK_ITEMS, World

PACKS = sorted({wf.pack for wf in registry().values() if wf.name == "confined_space"})
EVENTS = sorted({e for wf in registry().values() if wf.name == "confined_space" for e in wf.events})
UNKNOWN_EVENT = "teleport"
PASSING_TO = {"tested", "working"}  # where record_gas_test goes when the test passed

TABLES = list(Base.metadata.sorted_tables)
TABLE_NAMES = ", ".join(t.name for t in TABLES)
TALLIES = {model.__tablename__ for model, _count in tallies.TALLIES.values()}
APPEND_ONLY = [
    "audit_entries",
    "entry_log",
    "gas_tests",
    "readings",
    "signatures",
    "permit_checks",
    "reading_batches",
    "alarms",
]
PEOPLE = [
    "principal",
    "deputy",
    "approver",
    "requester",
    "attendant",
    "entrant",
    "entrant2",
    "rescuer",
    "outsider",
    "former_deputy",
    None,
]
SEEDED = [
    *filter(None, PEOPLE),
    "enterprise",
    "detector",
    "o2_detector",
    "fan",
    "scba",
    "harness",
    "pit",
    "tank",
]

# Shrinking replays whole examples against the database and can take minutes, so it is
# off: a failure prints its full sequence of (at most 30) steps. Add Phase.shrink to the
# phases to have it minimised.
SETTINGS = settings(
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)


def _permit_specs(crews: list[str], windows: list[str]):
    return st.fixed_dictionaries(
        {
            "space": st.sampled_from(["pit", "tank"]),
            "task_type": st.sampled_from(["cleaning", "inspection", "maintenance"]),
            "crew": st.sampled_from(crews),
            "window": st.sampled_from(windows),
            "o2_only_detector": st.booleans(),
        }
    )


# The first permit of an example could be submitted; later ones may be flawed.
sound_permit_specs = _permit_specs(["both", "one"], ["today"])
permit_specs = _permit_specs(["both", "one", "attendant_too"], ["today", "short", "over"])

# Work moves on in small steps; anything else moves the clock by up to 90 minutes.
happy_minutes = st.one_of(st.integers(0, 3), st.integers(0, 20))


def workflow_for(row: Any) -> Workflow:
    return get_workflow(row.workflow, row.workflow_version)


def seconds(wf: Workflow, key: str) -> timedelta:
    return timedelta(seconds=wf.figure("gas_tests", key).seconds())


def tiers(wf: Workflow) -> dict[str, Any]:
    return {t["name"]: t for t in wf.section("tiers")}


def expected_tier(wf: Workflow, hazards: list[str], task_type: str | None) -> str:
    for tier in wf.section("tiers"):
        hazards_hit = not tier.get("when_hazards") or set(hazards) & set(tier["when_hazards"])
        task_hit = not tier.get("when_tasks") or task_type in tier["when_tasks"]
        if hazards_hit and task_hit:
            return tier["name"]
    return wf.section("tiers")[-1]["name"]


def gases_needed(wf: Workflow, hazards: list[str]) -> list[str]:
    wanted = list(wf.section("gas_tests")["always"])
    for hazard in hazards:
        gas = wf.section("hazards")[hazard].get("gas")
        if gas and gas not in wanted:
            wanted.append(gas)
    return wanted


# -- data, valid and corrupted ----------------------------------------------------------------


def _retouched(readings: list[dict[str, Any]], gas: str, **changes: Any) -> list[dict[str, Any]]:
    return [{**r, **changes} if r["gas"] == gas else dict(r) for r in readings]


def payloads(
    world: World, permit: Permit, event: str, extra_detector_id: int | None
) -> list[tuple[str, dict[str, Any]]]:
    """The valid data for the event, and ways of getting it wrong: (label, data)."""
    definition = workflow_of(permit).events.get(event)
    valid = world.data_for(permit, event)
    out: list[tuple[str, dict[str, Any]]] = [("valid", valid), ("empty", {})]
    for field in definition.requires if definition else ():
        out.append((f"without {field}", {k: v for k, v in valid.items() if k != field}))
        out.append((f"blank {field}", {**valid, field: ""}))
    if definition is not None and event != "record_gas_test":
        # A form posts its reading fields whatever the event (web/event_forms.event_data).
        stray = [{"gas": "o2", "point": "", "value": math.nan, "unit": "%vol"}]
        out.append(("a stray NaN reading", {**valid, "readings": stray}))
    if event == "approve":
        out.append(("wrong password", {"password": "not-the-password"}))
    elif event == "brief":
        entrants = [u.id for u in permit.entrants]
        measures = list(permit.control_measures)
        out += [
            ("an entrant did not acknowledge", {**valid, "acknowledged": entrants[:-1]}),
            ("the attendant acknowledged", {**valid, "acknowledged": [permit.attendant_id]}),
            ("a measure unconfirmed", {**valid, "confirmed": measures[:-1]}),
            ("ids as text", {**valid, "acknowledged": [str(i) for i in entrants]}),
        ]
    elif event in ("start_work", "finish"):
        items = list(valid["confirmed"])
        other = FINISH_ITEMS if event == "start_work" else START_WORK_ITEMS
        out += [
            ("an item unconfirmed", {"confirmed": items[1:]}),
            ("the other checklist", {"confirmed": list(other)}),
            ("one item as text", {"confirmed": items[0]}),
        ]
    elif event == "record_gas_test":
        good = valid["readings"]
        ppm = _retouched(good, "h2s", unit="ppm")
        bad_readings = [
            ("h2s 15 mg/m3", world.readings(permit, h2s=15.0)),
            ("h2s at the limit", world.readings(permit, h2s=10.0)),
            ("h2s 7 ppm (over)", [{**r, "value": 7.0} if r["gas"] == "h2s" else r for r in ppm]),
            ("h2s 6 ppm (under)", [{**r, "value": 6.0} if r["gas"] == "h2s" else r for r in ppm]),
            ("o2 17 %", world.readings(permit, o2=17.0)),
            ("o2 24 %", world.readings(permit, o2=24.0)),
            ("o2 at 19.5 %", world.readings(permit, o2=19.5)),
            ("lel at 10 %", world.readings(permit, lel=10)),
            ("h2s -1", world.readings(permit, h2s=-1.0)),
            ("o2 -1", world.readings(permit, o2=-1.0)),
            ("o2 NaN", world.readings(permit, o2=math.nan)),
            ("o2 infinite", world.readings(permit, o2=math.inf)),
            ("o2 101 %", world.readings(permit, o2=101.0)),
            ("o2 not a number", world.readings(permit, o2="abc")),
            ("o2 as text", world.readings(permit, o2="20.9")),
            ("o2 in ppm", _retouched(good, "o2", unit="ppm")),
            ("unknown point", _retouched(good, "o2", point="bottom")),
            ("a reading missing", good[:-1]),
            (
                "co2 the detector cannot measure",
                [*good, {"gas": "co2", "value": 800, "unit": "mg/m3", "point": ""}],
            ),
            ("no readings", []),
            ("readings not a list", "20.9"),
            ("a reading not a dict", [*good[:-1], 20.9]),
        ]
        out += [(label, {**valid, "readings": r}) for label, r in bad_readings]
        detectors = [
            ("the fan as detector", world.fan.id),
            ("no such detector", 999999),
            ("detector serial", "D-01"),
            ("detector id as text", str(world.detector.id)),
        ]
        if extra_detector_id is not None:
            detectors.append(("the o2-only detector", extra_detector_id))
        out += [(label, {**valid, "detector": d}) for label, d in detectors]
        out.append(("taken inside", {**valid, "confirmed": []}))
    elif event in ("check_in", "check_out"):
        for label, person in [
            ("entrant", world.entrant.id),
            ("entrant2", world.entrant2.id),
            ("attendant", world.attendant.id),
            ("rescuer", world.rescuer.id),
            ("requester", world.requester.id),
            ("nobody", 999999),
            ("junk", "abc"),
            ("id as text", str(world.entrant.id)),
            ("none", None),
        ]:
            out.append((f"person: {label}", {"person": person}))
    return out


def signers(world: World, permit: Permit) -> list[User]:
    """Who can sign for the permit's tier: its approver roles, and the delegate authorised
    in writing where the tier accepts one."""
    wf = workflow_of(permit)
    tier = tiers(wf)[permit.risk_tier or expected_tier(wf, permit.hazards, permit.task_type)]
    people = [getattr(world, role) for role in tier["approvers"]]
    if tier.get("written_authorisation"):
        people.append(world.approver)  # authorised by the principal, for the first day
    return people


def right_actors(world: World, permit: Permit, event: str) -> list[User]:
    """Who would fire this event on this permit."""
    if event == "submit":
        return [permit.requester]
    if event in ("approve", "reject", "close"):
        return signers(world, permit)
    if event in ("cancel", "report_accident"):
        return [permit.attendant, permit.requester]
    return [permit.attendant]


def happy_actions(world: World, permit: Permit, now) -> list[tuple[str, User, dict[str, Any]]]:
    """What the right person would do next, with valid data: (event, actor, data)."""
    state, attendant = permit.state, permit.attendant
    latest = permit.latest_gas_test
    vented = permit.ventilation_started_at
    fresh = (
        latest is not None
        and latest.passed
        and vented is not None
        and vented < latest.tested_at
        and now - latest.tested_at < seconds(workflow_of(permit), "validity")
    )
    inside = permit.inside

    def attendant_does(event: str, **data: Any):
        return (event, attendant, world.data_for(permit, event, **data))

    if state == "draft":
        return [("submit", permit.requester, {})]
    if state == "pending_approval":
        return [("approve", who, {"password": PASSWORD}) for who in signers(world, permit)]
    if state == "closing":
        return [("close", who, {}) for who in signers(world, permit)]
    simple = {
        "approved": "release_isolation",
        "isolation_released": "brief",
        "briefed": "start_ventilation",
        "ventilating": "record_gas_test",
    }
    if state in simple:
        return [attendant_does(simple[state])]
    if state == "tested":
        return [attendant_does("start_work" if fresh else "record_gas_test")]
    actions = [attendant_does("check_out", person=uid) for uid in sorted(inside)]
    if state == "working":
        outside = [u for u in permit.entrants if u.id not in inside]
        if outside and not fresh:
            actions.append(attendant_does("record_gas_test"))
        actions += [attendant_does("check_in", person=u.id) for u in outside if fresh]
        # now and then the work is interrupted, one way or another
        interruption = ["suspend", "evacuate", "report_accident"][len(permit.gas_tests) % 3]
        actions.append(attendant_does(interruption))
    if state == "suspended" and not inside:
        actions.append(attendant_does("resume"))
    # Work is finished once people have been in and out (or the window is over).
    done = bool(permit.entries) or permit.window_end is None or now > permit.window_end
    if state in ("suspended", "emergency") or (state == "working" and done):
        if not inside:
            actions.append(attendant_does("finish"))
    return actions


# -- the world each example starts from -----------------------------------------------------


def build_world(session: Session, clock: FixedClock, pack: str) -> World:
    """tests/factories.World, plus an approver of another enterprise, a deputy who has left,
    an oxygen-only detector, and the approver authorised in writing for the first day."""
    world = World(session, clock, pack=pack)
    world.build()
    elsewhere = registers.create_enterprise(
        session, code="QY2", name="别家", industry="light", clock=clock
    )
    world.outsider = world.person(
        "外单位主任", ["principal"], username="outsider", enterprise=elsewhere
    )
    world.former_deputy = world.person("离职副总", ["deputy"], username="former")
    world.former_deputy.active = False
    world.o2_detector = registers.add_equipment(
        session,
        world.enterprise,
        kind="gas_detector",
        serial="D-02",
        name="单一氧气检测仪",
        gases=["o2"],
        due_on=world.today + timedelta(days=180),
        clock=clock,
    )
    registers.authorise(
        session,
        world.principal,
        world.approver,
        valid_from=world.today,
        valid_to=world.today,
        document_ref="委托书〔2026〕1号",
        clock=clock,
    )
    session.commit()
    return world


def seeded_databases(engine, tmp_path):
    """Build the world once per pack; each example gets a database holding just that.

    SQLite: a copy of the pack's seeded file. PostgreSQL: the tables truncated and the
    pack's seeded rows put back. Returns (pack → (engine, dispose), pack → seeded ids)."""
    seeded: dict[str, dict[str, tuple[type, int]]] = {}

    def seed(on_engine, pack: str) -> None:
        with db.session_factory(on_engine)() as session:
            world = build_world(session, FixedClock(), pack)
            seeded[pack] = {
                name: (type(getattr(world, name)), getattr(world, name).id) for name in SEEDED
            }

    if engine.dialect.name == "sqlite":
        files = {}
        for pack in PACKS:
            files[pack] = tmp_path / f"seeded-{pack}.sqlite3"
            shutil.copy(engine.url.database, files[pack])  # migrated, empty, never opened
            seeding = db.make_engine(f"sqlite:///{files[pack]}")
            seed(seeding, pack)
            with seeding.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            seeding.dispose()
        numbers = itertools.count()

        def fresh(pack: str):
            path = tmp_path / f"example-{next(numbers)}.sqlite3"
            shutil.copy(files[pack], path)
            example = db.make_engine(f"sqlite:///{path}")
            return example, example.dispose

        return fresh, seeded

    def truncate(conn) -> None:
        conn.execute(text(f"TRUNCATE {TABLE_NAMES} RESTART IDENTITY CASCADE"))

    rows: dict[str, dict[Any, list[dict[str, Any]]]] = {}
    for pack in PACKS:
        with engine.begin() as conn:
            truncate(conn)
        seed(engine, pack)
        with engine.connect() as conn:
            rows[pack] = {t: [dict(r._mapping) for r in conn.execute(select(t))] for t in TABLES}

    def restore(pack: str):
        with engine.begin() as conn:
            truncate(conn)
            for table in TABLES:
                if table.name in TALLIES:
                    continue  # the database's triggers count the rows put back, as they go in
                if rows[pack][table]:
                    conn.execute(table.insert(), rows[pack][table])
                    if "id" in table.c:
                        conn.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                f"(SELECT max(id) FROM {table.name}))"
                            )
                        )
        return engine, lambda: None

    return restore, seeded


# -- the machine ----------------------------------------------------------------------------


class PermitMachine(RuleBasedStateMachine):
    """Configured by the test: `databases(pack)` gives (engine, dispose) of a database
    holding the seeded world, whose objects are `seeded[pack]` {attribute: (model, id)}."""

    databases: Any = None
    seeded: dict[str, dict[str, tuple[type, int]]] = {}
    stats: Counter = Counter()

    def __init__(self) -> None:
        super().__init__()
        self.world: World | None = None
        self.permit_ids: list[int] = []
        self.state_of: dict[int, str] = {}
        self.reached: set[str] = set()
        self.expect: tuple | None = None
        self.checked = False

    def teardown(self) -> None:
        if self.world is None:
            return
        self.world.session.close()
        self._dispose()
        self.stats["examples"] += 1
        self.stats[f"examples under {self.world.pack}"] += 1
        for state in sorted(self.reached):
            hypothesis_event(f"a permit reached {state}")
            self.stats[f"examples reaching {state}"] += 1

    # -- rules ------------------------------------------------------------------------

    @initialize(
        pack=st.sampled_from(PACKS),
        spec=sound_permit_specs,
        head_start=st.integers(0, 12),
        data=st.data(),
    )
    def open_the_site(self, pack, spec, head_start, data):
        """A fresh database under the pack, and a first permit, taken some way along."""
        self.engine, self._dispose = type(self).databases(pack)
        self.Session = db.session_factory(self.engine)
        self.clock = FixedClock()
        self.world = World(self.Session(), self.clock, pack=pack)
        for name, (model, key) in self.seeded[pack].items():
            setattr(self.world, name, self.world.session.get(model, key))
        self.people = {name: getattr(self.world, name).id for name in PEOPLE if name}
        self.seen = self.snapshot()
        self.create(spec)
        self.safety_invariants()
        self.walk(data, self.permit_ids[0], head_start)

    @precondition(lambda self: len(self.permit_ids) < 3)
    @rule(spec=permit_specs)
    def another_permit(self, spec):
        self.create(spec)

    @rule(data=st.data(), minutes=st.integers(0, 90))
    def random_event(self, data, minutes):
        """Any event, or an unknown one, by anyone or no one, with any data."""
        self.clock.advance(minutes=minutes)
        permit_id = data.draw(st.sampled_from(self.permit_ids), label="permit")
        event = data.draw(st.sampled_from([*EVENTS, UNKNOWN_EVENT]), label="event")
        who = data.draw(st.sampled_from(PEOPLE), label="actor")
        self.attempt(data, permit_id, event, self.people[who] if who else None)

    @rule(data=st.data(), minutes=st.integers(0, 90))
    def plausible_event(self, data, minutes):
        """An event the permit's state allows, mostly by the right person, with any data."""
        self.clock.advance(minutes=minutes)
        permit_id = data.draw(st.sampled_from(self.permit_ids), label="permit")
        with self.Session() as s:
            permit = s.get(Permit, permit_id)
            wf = workflow_of(permit)
            events = [e for e in sorted(wf.events) if permit.state in wf.events[e].sources]
            if not events:
                return
            event = data.draw(st.sampled_from(events), label="event")
            right = [u.id for u in right_actors(self.world, permit, event)]
        anyone = [self.people[p] if p else None for p in PEOPLE]
        actor_id = data.draw(
            st.one_of(st.sampled_from(right), st.sampled_from(anyone)), label="actor"
        )
        self.attempt(data, permit_id, event, actor_id)

    @rule(
        data=st.data(),
        minutes=st.integers(0, 20),
        level=st.sampled_from(["normal", "outside", "implausible"]),
        late=st.integers(0, 15),
        sender=st.sampled_from(["attendant", "detector", "entrant"]),
    )
    def reading(self, data, minutes, level, late, sender):
        """A batch of monitoring readings: in range, outside the limits or not a measurement,
        maybe sent late, by the attendant, the detector's gateway or someone else."""
        self.clock.advance(minutes=minutes)
        permit_id = data.draw(st.sampled_from(self.permit_ids), label="permit")
        with self.Session() as s:
            permit = s.get(Permit, permit_id)
            detector = data.draw(
                st.sampled_from([e for e in permit.equipment if e.kind == "gas_detector"]),
                label="detector",
            )
            gas = "h2s" if "h2s" in detector.gases else "o2"
            value = {
                ("h2s", "normal"): 0.5,
                ("h2s", "outside"): 15.0,
                ("h2s", "implausible"): -1.0,
                ("o2", "normal"): 20.9,
                ("o2", "outside"): 17.0,
                ("o2", "implausible"): 101.0,
            }[(gas, level)]
            unit = "mg/m3" if gas == "h2s" else "%vol"
            taken = max(self.clock.now() - timedelta(minutes=late), permit.created_at)
            batch = [
                {
                    "detector": detector.serial,
                    "taken_at": (taken - timedelta(seconds=k)).isoformat(),
                    "gas": gas,
                    "value": v,
                    "unit": unit,
                }
                for k, v in enumerate([0.5 if gas == "h2s" else 20.9, value])
            ]
            source = {
                "attendant": readings.Source(None, permit.attendant),
                "entrant": readings.Source(None, s.get(User, self.world.entrant.id)),
                "detector": readings.Source(None, None, detector),
            }[sender]
            state = permit.state
            try:
                result = readings.ingest(
                    s, permit, batch, source=source, clock=self.clock, skew=timedelta(0)
                )
            except DomainError:
                s.rollback()
                self.stats["refused readings"] += 1
                self.expect = ("refused", "readings")
                return
            s.commit()
        self.stats[f"readings {level} while {state}"] += 1
        assert level != "implausible" and sender != "entrant", "a bad batch was stored"
        assert result.alarms == (level == "outside"), result
        moves = {"working": "suspended", "tested": "ventilating"}
        assert result.moved == (level == "outside" and state in moves), (state, result)
        assert result.state == (moves[state] if result.moved else state), (state, result)
        self.expect = ("readings", permit_id, result.moved)

    @rule(hours=st.integers(0, 10))
    def time_passes(self, hours):
        """Hours pass and `permit tick` runs: it may expire permits past their window."""
        self.clock.advance(hours=hours)
        done = tick.tick(self.Session, self.clock)
        self.stats["ticks"] += 1
        self.stats["expired by a tick"] += len(done.expired)
        self.expect = ("tick", done)

    @rule(data=st.data(), steps=st.integers(1, 6))
    def happy_path(self, data, steps):
        """The next steps of one permit's work, by the right person with valid data."""
        final = ("closed", "cancelled", "expired")
        live = [pid for pid in self.permit_ids if self.state_of[pid] not in final]
        if live:
            self.walk(data, data.draw(st.sampled_from(live), label="permit"), steps)

    # -- steps ------------------------------------------------------------------------

    def create(self, spec) -> None:
        w, now = self.world, self.clock.now()
        crew = {
            "both": [w.entrant, w.entrant2],
            "one": [w.entrant],
            "attendant_too": [w.entrant, w.attendant],
        }[spec["crew"]]
        window = {
            "today": (now - timedelta(minutes=5), now + timedelta(hours=12)),
            "short": (now - timedelta(minutes=5), now + timedelta(hours=1)),
            "over": (now - timedelta(hours=3), now - timedelta(hours=1)),
        }[spec["window"]]
        equipment = w.equipment() + ([w.o2_detector] if spec["o2_only_detector"] else [])
        permit = w.permit(
            space=getattr(w, spec["space"]),
            task_type=spec["task_type"],
            entrants=crew,
            window_start=window[0],
            window_end=window[1],
            equipment=equipment,
        )
        self.permit_ids.append(permit.id)
        self.state_of[permit.id] = permit.state

    def walk(self, data, permit_id: int, steps: int) -> None:
        """Up to `steps` happy-path steps on one permit, the invariants checked after each."""
        for step in range(steps):
            if step:
                self.safety_invariants()
            self.clock.advance(minutes=data.draw(happy_minutes, label="minutes"))
            with self.Session() as s:
                permit = s.get(Permit, permit_id)
                now = self.clock.now()
                actions = [
                    (event, actor.id, payload)
                    for event, actor, payload in happy_actions(self.world, permit, now)
                ]
                if not actions:
                    return
                event, actor_id, payload = data.draw(st.sampled_from(actions), label="step")
                self.fire(s, permit, event, actor_id, payload)

    def attempt(self, data, permit_id: int, event: str, actor_id: int | None) -> None:
        with self.Session() as s:
            permit = s.get(Permit, permit_id)
            o2_detector = self.world.o2_detector.id
            extra = o2_detector if any(e.id == o2_detector for e in permit.equipment) else None
            _label, payload = data.draw(
                st.sampled_from(payloads(self.world, permit, event, extra)), label="data"
            )
            self.fire(s, permit, event, actor_id, payload)

    def fire(
        self, s: Session, permit: Permit, event: str, actor_id: int | None, payload: dict[str, Any]
    ) -> None:
        """One request in its own session: commit on success, roll back on a refusal.

        What the database must then show is checked by the invariants, read afresh."""
        actor = s.get(User, actor_id) if actor_id is not None else None
        why = blocked_by(s, permit, event, actor, clock=self.clock, data=payload)
        try:
            apply_event(s, permit, event, actor, payload, clock=self.clock)
        except DomainError as refusal:
            s.rollback()
            self.stats["refused"] += 1
            self.expect = ("refused", event)
            if isinstance(refusal, Blocked):
                assert [r.text("en") for r in refusal.reasons] == [r.text("en") for r in why], (
                    "blocked_by and apply disagree"
                )
            return
        except Exception:
            s.rollback()
            raise
        s.commit()
        assert why == [], f"{event} was applied although blocked_by said {why}"
        self.stats[f"applied {event}"] += 1
        self.expect = ("applied", event, permit.id)

    # -- reading the database afresh --------------------------------------------------

    def snapshot(self) -> dict[str, dict[tuple, Any]]:
        """Every row of every table, read afresh: {table: {primary key: row}}."""
        with self.engine.connect() as conn:
            return {
                t.name: {
                    tuple(getattr(row, c.name) for c in t.primary_key.columns): row
                    for row in conn.execute(select(t))
                }
                for t in TABLES
            }

    @invariant()
    def safety_invariants(self) -> None:
        if self.world is None:
            return  # the site is not open yet
        snap = self.snapshot()
        for key in set(snap["audit_entries"]) - set(self.seen["audit_entries"]):
            entry = snap["audit_entries"][key]
            try:  # the audit log is read by other tools: standard JSON only
                json.dumps(entry.data, allow_nan=False)
            except ValueError as exc:
                raise AssertionError(
                    f"audit entry {entry.seq} ({entry.event}) holds non-standard JSON: {entry.data}"
                ) from exc
        self.no_row_disappears(snap)
        expect, self.expect = self.expect, None
        if expect and expect[0] == "refused":
            assert snap == self.seen, f"the refused {expect[1]} changed the database"
        elif expect and expect[0] == "readings":
            _, permit_id, moved = expect
            new = [
                snap["audit_entries"][k]
                for k in set(snap["audit_entries"]) - set(self.seen["audit_entries"])
            ]
            kinds = sorted((e.subject_type, e.event) for e in new)
            wanted = [("reading_batches", "readings")] + ([("permits", "alarm")] if moved else [])
            assert kinds == sorted(wanted), kinds
            state = snap["permits"][(permit_id,)].state
            self.state_of[permit_id] = state
            self.reached.add(state)
        elif expect and expect[0] == "tick":
            done = expect[1]
            new = [
                snap["audit_entries"][k]
                for k in set(snap["audit_entries"]) - set(self.seen["audit_entries"])
            ]
            expired = sorted(
                snap["permits"][(e.subject_id,)].number for e in new if e.event == "expire"
            )
            assert expired == sorted(done.expired), (expired, done.expired)
            for permit in snap["permits"].values():
                self.state_of[permit.id] = permit.state
                self.reached.add(permit.state)
        elif expect:
            _, event, permit_id = expect
            new = set(snap["audit_entries"]) - set(self.seen["audit_entries"])
            assert len(new) == 1, f"{event} wrote {len(new)} audit entries"
            entry = snap["audit_entries"][new.pop()]
            assert (entry.subject_type, entry.subject_id, entry.event) == (
                "permits",
                permit_id,
                event,
            )
            state = snap["permits"][(permit_id,)].state
            self.state_of[permit_id] = state
            self.reached.add(state)
        if self.checked and snap == self.seen:
            return  # nothing changed since the invariants last held
        self.checked = True
        with Session(self.engine) as s:
            assert list(audit.verify(s)) == []
            assert tallies.differences(s) == {}  # the board's tallies, exact after every write
        for permit in sorted(snap["permits"].values(), key=lambda p: p.id):
            self.check_permit(snap, permit)
        self.seen = snap

    def no_row_disappears(self, snap) -> None:
        """6. rows are only ever added; append-only rows never change."""
        for table, before in self.seen.items():
            now = snap[table]
            gone = set(before) - set(now)
            assert not gone, f"{table}: rows {sorted(gone)} disappeared"
            if table in APPEND_ONLY:
                changed = [k for k in before if before[k] != now[k]]
                assert not changed, f"{table}: rows {changed} changed"

    def check_permit(self, snap, permit) -> None:
        pid, wf = permit.id, workflow_for(permit)

        def of_permit(table: str) -> list[Any]:
            return sorted(
                (r for r in snap[table].values() if r.permit_id == pid), key=lambda r: r.id
            )

        entrants = {p.user_id for p in of_permit("permit_people") if p.role == "entrant"}
        log, tests = of_permit("entry_log"), of_permit("gas_tests")
        history = sorted(
            (
                e
                for e in snap["audit_entries"].values()
                if e.subject_type == "permits" and e.subject_id == pid
            ),
            key=lambda e: (e.chain, e.seq),
        )

        # 5. one audit entry per state change, chaining the initial state to the current one.
        assert [e.event for e in history[:1]] == ["create"], pid
        moves = history[1:]
        transitions = {
            name: {(t.source, t.dest) for t in ev.transitions} for name, ev in wf.events.items()
        }
        state = wf.initial
        for e in moves:
            assert e.data["from"] == state, (pid, e.event, e.data["from"], state)
            assert (e.data["from"], e.data["to"]) in transitions[e.event], (pid, e.event, e.data)
            state = e.data["to"]
        assert state == permit.state, (pid, state, permit.state)
        assert permit.last_event == (moves[-1].event if moves else None), pid
        # The optimistic lock: a state change always bumps the version. (An event that
        # changes no column of the permit, such as a second check-in at the same instant,
        # leaves it as it was.)
        changes = sum(e.data["from"] != e.data["to"] for e in moves)
        assert 1 + changes <= permit.version <= 1 + len(moves), (pid, permit.version)

        # 1. check-ins, replayed against the audit trail (with the permit's reading batches, in
        # the chain's order: after an alarm or an evacuation, a new passing test first).
        validity, interruption = seconds(wf, "validity"), seconds(wf, "interruption")
        tests_left, log_left = list(tests), list(log)
        ventilated = latest = last_out = None
        alarmed = False
        inside: set[int] = set()
        batches = [
            e
            for e in snap["audit_entries"].values()
            if e.subject_type == "reading_batches" and e.data["permit"] == permit.number
        ]
        for e in sorted([*moves, *batches], key=lambda e: e.seq):
            if e.subject_type == "reading_batches":
                alarmed |= e.data["outside_limits"] > 0
                continue
            if e.event in ("alarm", "evacuate"):
                alarmed = True
            if e.event == "record_gas_test" and e.data["passed"]:
                alarmed = False
            if e.event in ("start_ventilation", "resume"):
                ventilated = e.at
            elif e.event == "record_gas_test":
                latest = tests_left.pop(0)
                assert latest.tested_at == e.at, (pid, latest)
                assert latest.passed == e.data["passed"], (pid, latest)
                assert latest.during == e.data["from"], (pid, latest)
                assert latest.passed == (e.data["to"] in PASSING_TO), (pid, latest, e.data)
                assert ventilated is not None and latest.tested_at >= ventilated, (pid, latest)
            elif e.event in ("check_in", "check_out"):
                row = log_left.pop(0)
                assert row.direction == ("in" if e.event == "check_in" else "out"), (pid, row)
                assert (row.at, row.user_id) == (e.at, e.data["person"]), (pid, row)
                if row.direction == "out":
                    # 3. nobody comes out who did not go in
                    assert row.user_id in inside, (pid, row)
                    inside.discard(row.user_id)
                    last_out = row.at
                    continue
                at = row.at
                assert not alarmed, (pid, row, "checked in after an alarm without a new test")
                assert row.user_id not in inside, (pid, row)
                assert e.data["from"] == "working", (pid, row, e.data)
                assert permit.window_start <= at <= permit.window_end, (pid, row)
                assert latest is not None and latest.passed, (pid, row, latest)
                assert ventilated is not None and ventilated < latest.tested_at, (pid, row)
                assert timedelta(0) <= at - latest.tested_at <= validity, (pid, row, latest)
                if not inside and last_out is not None and at - last_out > interruption:
                    assert latest.tested_at > last_out, (pid, row, latest, last_out)
                basis = snap["gas_tests"].get((row.gas_test_id,))
                assert basis is not None and basis.permit_id == pid, (pid, row)
                assert basis.passed and ventilated < basis.tested_at <= at, (pid, row, basis)
                assert at - basis.tested_at <= validity, (pid, row, basis)
                inside.add(row.user_id)
        assert tests_left == [] and log_left == [], pid
        if ventilated is not None:
            assert permit.ventilation_started_at == ventilated, pid

        # 2. the attendant never enters.
        if any(e.event == "submit" for e in moves):
            assert permit.attendant_id not in entrants, pid
        for row in log:
            assert row.user_id != permit.attendant_id, (pid, row)
            assert row.user_id in entrants, (pid, row)

        # 3. nobody is left inside once the work is over; a closed permit was signed off by
        # its attendant and has its isolation restored.
        if permit.state in ("closing", "closed", "cancelled", "expired"):
            assert inside == set(), (pid, permit.state, inside)
        # 3b. only the clock expires a permit, and only once its window is over.
        for e in moves:
            if e.event == "expire":
                assert e.actor_id is None and e.at >= permit.window_end, (pid, e.at)
        if permit.state == "closed":
            assert permit.isolation_restored_at is not None, pid
            assert any(
                sig.kind == "finish" and sig.user_id == permit.attendant_id
                for sig in of_permit("signatures")
            ), pid

        # 4. approvals by the tier's approvers, never the requester.
        if permit.risk_tier is not None:
            assert permit.risk_tier == expected_tier(wf, permit.hazards, permit.task_type), pid
        for sig in of_permit("signatures"):
            if sig.kind in ("approve", "close"):
                self.check_signer(snap, wf, permit, sig)

        self.check_gas_tests(snap, wf, permit, tests)
        self.check_alarms(snap, wf, permit, moves)

    @staticmethod
    def check_alarms(snap, wf: Workflow, permit, moves) -> None:
        """7. every monitoring reading outside the limits is behind an alarm of its batch, and
        an alarm that moved the permit did so by the system, in its batch's transaction."""
        pid = permit.id
        alarms = [a for a in snap["alarms"].values() if a.permit_id == pid]
        monitored = [r for r in snap["readings"].values() if r.permit_id == pid and r.batch_id]
        failing = {(r.batch_id, r.detector_id, r.gas, r.point) for r in monitored if not r.passed}
        assert failing == {(a.batch_id, a.detector_id, a.gas, a.point) for a in alarms}, pid
        system_alarms = [e for e in moves if e.event == "alarm"]
        assert all(e.actor_id is None and e.actor_role == "system" for e in system_alarms), pid
        moved = {a.batch_id for a in alarms if a.moved_to}
        batches = {b.id: b for b in snap["reading_batches"].values() if b.permit_id == pid}
        assert len(system_alarms) == len(moved), pid
        for entry in system_alarms:
            assert any(batches[b].received_at == entry.at for b in moved), (pid, entry)
        for alarm in alarms:
            assert (alarm.moved_to is not None) == (alarm.permit_state in ("working", "tested"))

    @staticmethod
    def check_signer(snap, wf: Workflow, permit, sig) -> None:
        signer = snap["users"][(sig.user_id,)]
        roles = {r.role for r in snap["user_roles"].values() if r.user_id == signer.id}
        tier = tiers(wf)[sig.tier]
        assert sig.tier == permit.risk_tier, sig
        assert signer.active and signer.enterprise_id == permit.enterprise_id, (sig, signer)
        if sig.role == "authorised":
            day = local_date(sig.signed_at)
            assert tier.get("written_authorisation"), sig
            assert any(
                a.delegate_id == signer.id
                and a.enterprise_id == permit.enterprise_id
                and a.valid_from <= day <= a.valid_to
                and (a.revoked_at is None or a.revoked_at > sig.signed_at)
                for a in snap["authorisations"].values()
            ), (sig, signer)
        else:
            assert sig.role in tier["approvers"] and sig.role in roles, (sig, roles)
        if sig.kind == "approve":
            assert signer.id != permit.requester_id, sig
            assert sig.signed_at < permit.window_end, (sig, permit.window_end)

    @staticmethod
    def check_gas_tests(snap, wf: Workflow, permit, tests) -> None:
        gases = wf.section("gases")
        space = snap["spaces"][(permit.space_id,)]
        points = wf.section("gas_tests")["deep_points"] if space.deep else [""]
        wanted = {(g, p) for g in gases_needed(wf, permit.hazards) for p in points}
        assigned = {
            r.equipment_id for r in snap["permit_equipment"].values() if r.permit_id == permit.id
        }
        pump = "detector_pump_suction" in wf.events["record_gas_test"].guards
        readings = sorted(snap["readings"].values(), key=lambda r: r.id)
        for test in tests:
            detector = snap["equipment"][(test.detector_id,)]
            assert detector.id in assigned and detector.kind == "gas_detector", test
            assert detector.due_on >= local_date(test.tested_at), (test, detector)
            assert detector.pump_suction or not pump, (test, detector)
            mine = [r for r in readings if r.gas_test_id == test.id]
            assert mine and {r.gas for r in mine} <= set(detector.gases), (test, mine)
            assert test.passed == all(r.passed for r in mine), test
            assert wanted <= {(r.gas, r.point) for r in mine}, (test, wanted)
            for r in mine:
                value, spec = r.value_in_limit_unit, gases[r.gas]
                assert math.isfinite(value), r
                low, high = spec.get("min"), spec.get("max")
                within = True
                if low:
                    within &= value > low["value"] if low.get("strict") else value >= low["value"]
                if high:
                    within &= (
                        value < high["value"] if high.get("strict") else (value <= high["value"])
                    )
                assert r.passed == within, r
                if r.unit == r.limit_unit:
                    assert value == r.value, r


def test_random_events_keep_the_safety_invariants(engine, tmp_path):
    databases, seeded = seeded_databases(engine, tmp_path)
    stats: Counter = Counter()
    machine = type(
        "ConfinedSpacePermits",
        (PermitMachine,),
        {"databases": staticmethod(databases), "seeded": seeded, "stats": stats},
    )
    run_state_machine_as_test(machine, settings=SETTINGS)
    print(f"\n[{engine.dialect.name}] " + ", ".join(f"{k}: {v}" for k, v in sorted(stats.items())))
