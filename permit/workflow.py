"""Workflow definitions as data: load a TOML file, validate it, build its one shared machine."""

from __future__ import annotations

import tomllib
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from transitions import Machine

from .models.enterprise import Role

WORKFLOWS_DIR = Path(__file__).resolve().parent.parent / "workflows"
UNITS = {"%vol", "%LEL", "mg/m3", "ppm", "min", "h", "day", "month", "L/mol"}
TIME_UNITS = {"min": 60, "h": 3600, "day": 86400}


class WorkflowError(ValueError):
    """A workflow file is not valid; the message names the file and line."""


@dataclass(frozen=True)
class Transition:
    source: str
    dest: str
    when: str | None = None


@dataclass(frozen=True)
class EventDef:
    name: str
    labels: Mapping[str, str]
    transitions: tuple[Transition, ...]
    guards: tuple[str, ...]
    requires: tuple[str, ...] = ()
    effect: str | None = None
    checklist: str | None = None
    style: str = "primary"

    @property
    def sources(self) -> frozenset[str]:
        return frozenset(t.source for t in self.transitions)


@dataclass(frozen=True)
class RuleText:
    """A guard's or outcome's citation and its message in each language."""

    name: str
    cite: str
    template: Mapping[str, str]
    input: bool = False
    actor: bool = False
    explain: bool = False


@dataclass(frozen=True)
class Figure:
    value: float
    unit: str
    strict: bool = False

    def seconds(self) -> float:
        return self.value * TIME_UNITS[self.unit]


@dataclass
class Workflow:
    name: str
    version: str
    path: Path
    pack: str
    initial: str
    final: frozenset[str]
    states: Mapping[str, Mapping[str, str]]
    events: Mapping[str, EventDef]
    guards: Mapping[str, RuleText]
    outcomes: Mapping[str, RuleText]
    raw: Mapping[str, Any]
    machine: Machine = field(repr=False, default=None)  # type: ignore[assignment]
    # What rules derive from the data once and read on every call (e.g. gas limits as figures).
    derived: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.version)

    def section(self, name: str) -> Any:
        return self.raw.get(name, {})

    def figure(self, section: str, key: str) -> Figure:
        return figure(self.raw[section][key])

    def state_label(self, state: str, lang: str = "zh") -> str:
        return self.states[state].get(lang, state)

    def tier_label(self, tier: str | None, lang: str = "zh") -> str:
        for spec in self.raw.get("tiers", []):
            if spec["name"] == tier:
                return spec.get(lang, tier)
        return tier or "—"

    def event_label(self, event: str, lang: str = "zh") -> str:
        return self.events[event].labels.get(lang, event)


def figure(raw: Mapping[str, Any]) -> Figure:
    return Figure(float(raw["value"]), raw["unit"], bool(raw.get("strict", False)))


class _Lines:
    """Finds the line a problem sits on, for messages a person can act on."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def find(self, *needles: str) -> int:
        start = 0
        found = 0
        for needle in needles:
            for i in range(start, len(self.lines)):
                if needle in self.lines[i]:
                    found = start = i
                    break
        return found + 1

    def error(self, message: str, *needles: str) -> WorkflowError:
        return WorkflowError(f"{self.path.name}:{self.find(*needles)}: {message}")


def load(path: Path | str) -> Workflow:
    """Parse and validate one workflow file and build its machine. Raises WorkflowError."""
    from . import rules  # the registry of named guards, effects and outcomes

    path = Path(path)
    text = path.read_text(encoding="utf-8")
    lines = _Lines(path, text)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WorkflowError(f"{path.name}: {exc}") from exc

    head = raw.get("workflow")
    if not isinstance(head, dict):
        raise lines.error("missing [workflow] table", "")
    for key in ("name", "version", "initial", "final"):
        if key not in head:
            raise lines.error(f"[workflow] lacks '{key}'", "[workflow]")

    states = raw.get("states", {})
    if head["initial"] not in states:
        raise lines.error(f"initial state '{head['initial']}' is not declared", "initial")
    for state in head["final"]:
        if state not in states:
            raise lines.error(f"final state '{state}' is not declared", "final")

    guards = {}
    for name, spec in raw.get("guards", {}).items():
        _require_cite(lines, spec, f"guard '{name}'", f"[guards.{name}]")
        if name not in rules.GUARDS:
            raise lines.error(f"unknown guard '{name}': no rule of that name", f"[guards.{name}]")
        guards[name] = RuleText(
            name,
            spec["cite"],
            _texts(lines, spec, f"[guards.{name}]"),
            input=bool(spec.get("input", False)),
            actor=bool(spec.get("actor", False)),
            explain=bool(spec.get("explain", False)),
        )
    outcomes = {}
    for name, spec in raw.get("outcomes", {}).items():
        _require_cite(lines, spec, f"outcome '{name}'", f"[outcomes.{name}]")
        if name not in rules.OUTCOMES:
            raise lines.error(f"unknown outcome '{name}'", f"[outcomes.{name}]")
        outcomes[name] = RuleText(name, spec["cite"], _texts(lines, spec, f"[outcomes.{name}]"))

    events: dict[str, EventDef] = {}
    for spec in raw.get("events", []):
        name = spec.get("name")
        if not name:
            raise lines.error("an event has no name", "[[events]]")
        where = f'name = "{name}"'
        if name in events:
            raise lines.error(f"event '{name}' is declared twice", where, where)
        transitions = []
        for t in spec.get("transitions", []):
            for end in ("from", "to"):
                if t.get(end) not in states:
                    raise lines.error(
                        f"event '{name}': unknown state '{t.get(end)}'", where, f'"{t.get(end)}"'
                    )
            when = t.get("when")
            if when is not None and when not in outcomes:
                raise lines.error(f"event '{name}': unknown outcome '{when}'", where, when)
            transitions.append(Transition(t["from"], t["to"], when))
        if not transitions:
            raise lines.error(f"event '{name}' has no transitions", where)
        for required in spec.get("requires", []):
            if required not in raw.get("fields", {}):
                raise lines.error(
                    f"event '{name}': required field '{required}' has no label in [fields]",
                    where,
                    "requires",
                )
        for guard in spec.get("guards", []):
            if guard not in guards:
                raise lines.error(
                    f"event '{name}': unknown guard '{guard}' (not declared in [guards] or "
                    "no rule of that name)",
                    where,
                    f'"{guard}"',
                )
        effect = spec.get("effect")
        if effect is not None and effect not in rules.EFFECTS:
            raise lines.error(f"event '{name}': unknown effect '{effect}'", where, "effect")
        checklist = spec.get("checklist")
        if spec.get("style", "primary") not in ("primary", "secondary", "urgent"):
            raise lines.error(f"event '{name}': unknown style '{spec['style']}'", where, "style")
        if checklist is not None and checklist not in raw.get("checklists", {}):
            raise lines.error(
                f"event '{name}': unknown checklist '{checklist}'", where, "checklist"
            )
        events[name] = EventDef(
            name=name,
            labels=_texts(lines, spec, where),
            transitions=tuple(transitions),
            guards=tuple(spec.get("guards", [])),
            requires=tuple(spec.get("requires", [])),
            effect=effect,
            checklist=checklist,
            style=spec.get("style", "primary"),
        )

    _check_reachable(lines, head["initial"], states, events)
    _check_sections(lines, raw)

    pack = head.get("pack", "")
    if pack and path.parent.name != pack and path.parent.parent == WORKFLOWS_DIR:
        raise lines.error(
            f"[workflow] pack '{pack}' but the file lies in '{path.parent.name}/'", "pack"
        )
    workflow = Workflow(
        name=head["name"],
        version=head["version"],
        path=path,
        pack=pack,
        initial=head["initial"],
        final=frozenset(head["final"]),
        states=states,
        events=events,
        guards=guards,
        outcomes=outcomes,
        raw=raw,
    )
    workflow.machine = _build_machine(workflow)
    return workflow


def _texts(lines: _Lines, spec: Mapping[str, Any], where: str) -> dict[str, str]:
    missing = [lang for lang in ("zh", "en") if not spec.get(lang)]
    if missing:
        raise lines.error(f"{where}: no text in {', '.join(missing)}", where)
    return {"zh": spec["zh"], "en": spec["en"]}


def _require_cite(lines: _Lines, spec: Any, what: str, where: str) -> None:
    if not isinstance(spec, dict) or not str(spec.get("cite", "")).strip():
        raise lines.error(f"{what} has no citation ('cite')", where)


def _check_reachable(lines: _Lines, initial: str, states: Mapping, events: Mapping) -> None:
    edges: dict[str, set[str]] = {}
    for event in events.values():
        for t in event.transitions:
            edges.setdefault(t.source, set()).add(t.dest)
    seen = {initial}
    queue = deque([initial])
    while queue:
        for nxt in edges.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    for state in states:
        if state not in seen:
            raise lines.error(
                f"state '{state}' is unreachable from '{initial}'", f"[states.{state}]"
            )


def _check_figure(lines: _Lines, raw: Any, what: str, *where: str) -> None:
    if not isinstance(raw, dict) or "value" not in raw:
        raise lines.error(f"{what}: a figure needs a value and a unit", *where)
    if raw.get("unit") not in UNITS:
        raise lines.error(
            f"{what}: figure {raw.get('value')} has no known unit "
            f"(got {raw.get('unit')!r}; known: {', '.join(sorted(UNITS))})",
            *where,
        )


def _check_sections(lines: _Lines, raw: Mapping[str, Any]) -> None:
    """Every figure has a unit and every rule a citation, in the data sections too."""
    gases = raw.get("gases", {})
    for name, gas in gases.items():
        where = f"[gases.{name}]"
        _require_cite(lines, gas, f"gas '{name}'", where)
        for bound in ("min", "max"):
            if bound in gas:
                _check_figure(lines, gas[bound], f"gas '{name}' {bound}", where, bound)
                if gas[bound]["unit"] not in gas.get("units", []):
                    raise lines.error(f"gas '{name}': limit unit not among its units", where, bound)
        for unit in gas.get("units", []):
            if unit not in UNITS:
                raise lines.error(f"gas '{name}': unknown unit {unit!r}", where, "units")
    if "conversion" in raw:
        _require_cite(lines, raw["conversion"], "conversion", "[conversion]")
        _check_figure(
            lines,
            raw["conversion"].get("molar_volume"),
            "molar volume",
            "[conversion]",
            "molar_volume",
        )
    tests = raw.get("gas_tests")
    if tests is not None:
        for key in ("validity", "interruption", "monitoring_interval"):
            _check_figure(lines, tests.get(key), f"gas_tests.{key}", "[gas_tests]", key)
            if not tests.get(f"{key}_cite"):
                raise lines.error(
                    f"gas_tests.{key} has no citation ('{key}_cite')", "[gas_tests]", key
                )
        for gas in tests.get("always", []):
            if gas not in gases:
                raise lines.error(f"gas_tests.always: unknown gas '{gas}'", "[gas_tests]")
    monitoring = raw.get("monitoring")
    if monitoring is not None:
        _check_monitoring(lines, raw, monitoring)
    for name, hazard in raw.get("hazards", {}).items():
        where = f"[hazards.{name}]"
        _require_cite(lines, hazard, f"hazard '{name}'", where)
        if "gas" in hazard and hazard["gas"] not in gases:
            raise lines.error(f"hazard '{name}': unknown gas '{hazard['gas']}'", where, "gas")
    roles = {r.value for r in Role}
    for tier in raw.get("tiers", []):
        where = f'name = "{tier.get("name")}"'
        _require_cite(lines, tier, f"tier '{tier.get('name')}'", where)
        for role in [*tier.get("approvers", []), *tier.get("floor", [])]:
            if role not in roles:
                raise lines.error(f"tier '{tier.get('name')}': unknown role '{role}'", where)
        if "floor" in tier:
            if not str(tier.get("floor_cite", "")).strip():
                raise lines.error(f"tier '{tier.get('name')}': floor has no floor_cite", where)
            if not set(tier.get("approvers", [])) <= set(tier["floor"]):
                raise lines.error(
                    f"tier '{tier.get('name')}': its own approvers go below its floor", where
                )
    for name, training in raw.get("training", {}).items():
        where = f"[training.{name}]"
        _require_cite(lines, training, f"training '{name}'", where)
        _check_figure(lines, training.get("valid_for"), f"training '{name}' valid_for", where)
        if training.get("guard") == "attendant_competent" and not (
            training.get("short_zh") and training.get("short_en")
        ):
            raise lines.error(f"competence '{name}' needs short_zh and short_en", where)
    kinds = raw.get("equipment_kinds", {})
    for name, kind in kinds.items():
        where = f"[equipment_kinds.{name}]"
        if not kind.get("zh") or not kind.get("en"):
            raise lines.error(f"equipment kind '{name}' needs zh and en names", where)
        if "interval" in kind:
            _check_figure(lines, kind["interval"], f"equipment kind '{name}' interval", where)
            if not kind.get("interval_cite"):
                raise lines.error(f"equipment kind '{name}': interval has no interval_cite", where)
        for item in kind.get("checks", []):
            if not {"key", "zh", "en"} <= item.keys():
                raise lines.error(f"equipment kind '{name}': a check lacks key/zh/en", where)
        if kind.get("checks") and not raw.get("equipment_register", {}).get("checks_cite"):
            raise lines.error("equipment checks need [equipment_register] checks_cite", where)
    for need in raw.get("required_equipment", []):
        _require_cite(lines, need, "required_equipment entry", "[[required_equipment]]")
        for kind in need.get("kinds", []):
            if kind not in kinds:
                raise lines.error(f"required_equipment: unknown kind '{kind}'", f'"{kind}"')
    _check_visit_data(lines, raw)
    for name, checklist in raw.get("checklists", {}).items():
        where = f"[checklists.{name}]"
        _require_cite(lines, checklist, f"checklist '{name}'", where)
        for item in checklist.get("items", []):
            if not {"key", "zh", "en"} <= item.keys():
                raise lines.error(f"checklist '{name}': an item lacks key/zh/en", where)


# The lists an expert visit draws on (procedure 000): each cited, each item in both languages.
VISIT_LISTS = ("documents", "attendees", "methods", "findings", "verdicts")


def _check_document_pack(lines: _Lines, spec: Mapping[str, Any]) -> None:
    """The document pack's folders, its review period and how many forms it prints: each
    figure with the reason it is what it is, in both languages."""
    where = "[documents]"
    for item in spec["items"]:
        if not str(item.get("folder", "")).strip():
            raise lines.error(f"[documents]: item '{item.get('key')}' has no folder", where)
    if "review" in spec:
        _check_figure(lines, spec["review"], "documents.review", where)
        if spec["review"]["unit"] != "month" or spec["review"]["value"] <= 0:
            raise lines.error("documents.review is a number of months", where)
    if "printed_permits" in spec and (
        not isinstance(spec["printed_permits"], int) or spec["printed_permits"] < 0
    ):
        raise lines.error("documents.printed_permits must be a whole number", where)
    for key in ("review", "printed_permits"):
        why = spec.get(f"{key}_why")
        if key in spec and not (isinstance(why, dict) and why.get("zh") and why.get("en")):
            raise lines.error(f"documents.{key} needs {key}_why in zh and en", where)


def _check_visit_data(lines: _Lines, raw: Mapping[str, Any]) -> None:
    for name in VISIT_LISTS:
        if name not in raw:
            continue
        spec = raw[name]
        where = f"[{name}]"
        _require_cite(lines, spec, name, where)
        items = spec.get("items") if name != "attendees" else spec.get("roles")
        if not items:
            raise lines.error(f"[{name}] lists nothing", where)
        for item in items:
            if not {"key", "zh", "en"} <= item.keys():
                raise lines.error(f"[{name}]: an item lacks key/zh/en", where)
    if "documents" in raw:
        _check_document_pack(lines, raw["documents"])
    if "team" in raw:
        _require_cite(lines, raw["team"], "team", "[team]")
        if not isinstance(raw["team"].get("min_experts"), int):
            raise lines.error("team.min_experts must be a whole number", "[team]")
    if "consultation" in raw:
        spec = raw["consultation"]
        _require_cite(lines, spec, "consultation", "[consultation]")
        where = "[consultation]"
        _check_figure(lines, spec.get("min_duration"), "consultation.min_duration", where)
        if spec["min_duration"]["unit"] not in TIME_UNITS:
            raise lines.error("consultation.min_duration must be a time", "[consultation]")
    groups = raw.get("checkpoint_groups", [])
    if not groups:
        return
    methods = {m["key"] for m in raw.get("methods", {}).get("items", [])}
    numbers = []
    for group in groups:
        where = f'number = "{group.get("number")}"'
        for key in ("number", "zh", "en", "guidance"):
            if not group.get(key):
                raise lines.error(f"a checkpoint group lacks '{key}'", where)
        for method in group.get("methods", []):
            if method not in methods:
                raise lines.error(f"checkpoint group {group['number']}: unknown method", where)
        for point in group.get("checkpoints", []):
            if not {"number", "zh", "en"} <= point.keys():
                raise lines.error("a checkpoint lacks number/zh/en", where)
            numbers.append(point["number"])
    if numbers != list(range(1, len(numbers) + 1)):
        raise lines.error("checkpoints are numbered 1, 2, 3 … in order", "[[checkpoint_groups]]")


def _check_monitoring(lines: _Lines, raw: Mapping[str, Any], monitoring: Any) -> None:
    """Continuous monitoring: the alarm's event exists, every figure has a unit and a citation."""
    where = "[monitoring]"
    if not isinstance(monitoring, dict):
        raise lines.error("[monitoring] must be a table", where)
    events = {e.get("name") for e in raw.get("events", [])}
    if monitoring.get("alarm_event") not in events:
        event = monitoring.get("alarm_event")
        raise lines.error(f"monitoring.alarm_event: no event '{event}'", where, "alarm_event")
    _check_figure(lines, monitoring.get("silence"), "monitoring.silence", where, "silence")
    if monitoring["silence"]["unit"] not in TIME_UNITS:
        raise lines.error("monitoring.silence must be a time", where, "silence")
    for key in ("alarm_cite", "silence_cite", "readings_in_cite"):
        if not str(monitoring.get(key, "")).strip():
            raise lines.error(f"monitoring has no citation ('{key}')", where)
    for state in monitoring.get("readings_in", []):
        if state not in raw.get("states", {}):
            raise lines.error(f"monitoring.readings_in: unknown state '{state}'", where)


def _build_machine(workflow: Workflow) -> Machine:
    """ONE machine per workflow, shared by every subject: no per-object machine, no add_model."""
    machine = Machine(
        model=None,
        states=list(workflow.states),
        initial=workflow.initial,
        auto_transitions=False,
        send_event=True,
    )
    for event in workflow.events.values():
        for t in event.transitions:
            conditions = [_outcome_condition(t.when)] if t.when else None
            machine.add_transition(event.name, t.source, t.dest, conditions=conditions)
    return machine


def _outcome_condition(name: str):
    def condition(event_data) -> bool:
        return bool(event_data.kwargs["ctx"].outcomes.get(name))

    condition.__name__ = f"outcome_{name}"
    return condition


@cache
def registry() -> dict[tuple[str, str], Workflow]:
    """Every workflow file of every rule pack shipped in workflows/<pack>/, loaded once."""
    found: dict[tuple[str, str], Workflow] = {}
    for path in sorted(WORKFLOWS_DIR.glob("*/*.toml")):
        with path.open("rb") as fh:
            if "workflow" not in tomllib.load(fh):
                continue  # the pack's own description, or a data file such as the catalogue
        workflow = load(path)
        found[workflow.key] = workflow
    return found


_extra: dict[tuple[str, str], Workflow] = {}


def register(workflow: Workflow) -> Workflow:
    """Make a workflow loaded from elsewhere (a test, a plug-in) available by its key."""
    _extra[workflow.key] = workflow
    return workflow


def get(name: str, version: str | None = None) -> Workflow:
    """The workflow of that name: the given version, or the newest shipped one."""
    known = {**registry(), **_extra}
    if version is not None:
        try:
            return known[(name, version)]
        except KeyError:
            raise LookupError(f"no workflow {name} version {version}") from None
    candidates = sorted(v for (n, v) in known if n == name)
    if not candidates:
        raise LookupError(f"no workflow named {name}")
    return known[(name, candidates[-1])]
