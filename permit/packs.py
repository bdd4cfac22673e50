"""Rule packs: a versioned set of data files in workflows/<pack>/ naming their sources, and
which pack an enterprise is judged by on a given day. A change of law is a change of data."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from . import audit, gas
from .catalogue import catalogue
from .clock import Clock, local_date
from .errors import InvalidInput, plain
from .models import RulePackChoice, User
from .models.enterprise import role_label
from .workflow import WORKFLOWS_DIR, Workflow, WorkflowError, _check_figure, _Lines, _require_cite
from .workflow import registry as workflow_registry


@dataclass(frozen=True)
class Pack:
    id: str
    path: Path
    raw: Mapping[str, Any]
    workflows: dict[str, Workflow] = field(default_factory=dict)

    def label(self, lang: str = "zh") -> str:
        return self.raw["pack"].get(lang, self.id)

    @property
    def in_force_from(self) -> date | None:
        value = self.raw["pack"].get("in_force_from")
        return value if isinstance(value, date) else None

    def section(self, name: str) -> Any:
        return self.raw.get(name, {})


def load(folder: Path) -> Pack:
    """Read and validate a pack's own description (pack.toml); its workflows load alongside."""
    path = folder / "pack.toml"
    text = path.read_text(encoding="utf-8")
    lines = _Lines(path, text)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WorkflowError(f"{folder.name}/pack.toml: {exc}") from exc
    head = raw.get("pack") or {}
    if head.get("id") != folder.name:
        raise lines.error(f"[pack] id must be the folder's name '{folder.name}'", "[pack]")
    for key in ("zh", "en"):
        if not head.get(key):
            raise lines.error(f"[pack] has no title in {key}", "[pack]")
    if not raw.get("sources"):
        raise lines.error("a pack names its source documents in [[sources]]", "[pack]")
    for source in raw["sources"]:
        for key in ("code", "title", "number", "effective"):
            if not source.get(key):
                raise lines.error(f"a source lacks '{key}'", "[[sources]]")
    _require_cite(lines, raw.get("scope"), "scope", "[scope]")
    drills = raw.get("drills")
    _require_cite(lines, drills, "drills", "[drills]")
    if drills.get("set_by") == "rule":
        _check_figure(lines, drills.get("period"), "drills.period", "[drills]", "period")
    elif drills.get("set_by") != "enterprise":
        raise lines.error("drills.set_by is 'rule' (with a period) or 'enterprise'", "[drills]")
    sign = raw.get("sign")
    _require_cite(lines, sign, "sign", "[sign]")
    for key in ("warning", "prohibition", "reminder"):
        if not isinstance(sign.get(key), dict) or not {"zh", "en"} <= sign[key].keys():
            raise lines.error(f"sign.{key} needs its wording in zh and en", "[sign]", key)
    if not str(sign.get("reminder_cite", "")).strip():
        raise lines.error("sign.reminder has no citation ('reminder_cite')", "[sign]", "reminder")
    for penalty in raw.get("penalties", []):
        _check_penalty(lines, penalty)
    _check_management_system(lines, raw.get("management_system"))
    _check_contractors(lines, raw.get("contractors"))
    _check_board(lines, raw)
    _check_evidence(lines, raw)
    _check_enforcement_plan(lines, raw.get("enforcement_plan"))
    return Pack(id=folder.name, path=path, raw=raw)


FINE_PARTIES = ("enterprise", "persons")
FINE_STAGES = ("ordered", "overdue")  # on the order to rectify; 逾期未改正


def _check_penalty(lines: _Lines, penalty: Mapping[str, Any]) -> None:
    """A liability article: its items in both languages, its wording, and its fines as
    figures (who, at which stage, from … up to, in yuan), so no amount lives in code."""
    name = f"penalty {penalty.get('article')}"
    where = f'article = "{penalty.get("article")}"'
    _require_cite(lines, penalty, name, where)
    for key in ("items", "enterprise", "persons", "fines"):
        if not penalty.get(key):
            raise lines.error(f"{name} lacks '{key}'", where)
    for item in penalty["items"]:
        if not all(str(item.get(k, "")).strip() for k in ("key", "zh", "en")):
            raise lines.error(f"{name}: an item lacks key/zh/en", where, "items")
    for fine in penalty["fines"]:
        if fine.get("party") not in FINE_PARTIES or fine.get("when") not in FINE_STAGES:
            raise lines.error(
                f"{name}: a fine names its party ({'/'.join(FINE_PARTIES)}) and when it "
                f"applies ({'/'.join(FINE_STAGES)})",
                where,
                "fines",
            )
        low, high = fine.get("min", 0), fine.get("max")
        if not isinstance(high, int) or not isinstance(low, int) or not 0 <= low < high:
            raise lines.error(f"{name}: a fine needs 0 <= min < max, in whole yuan", where, "fines")
    if not any(f["party"] == "enterprise" for f in penalty["fines"]):
        raise lines.error(f"{name}: no fine for the enterprise", where, "fines")


def _check_management_system(lines: _Lines, spec: Any) -> None:
    """The topics an enterprise's safety-management system must cover, each in both
    languages; the messages that say what is missing."""
    where = "[management_system]"
    _require_cite(lines, spec, "management_system", where)
    topics = spec.get("topics") or []
    if not topics:
        raise lines.error("management_system lists no topics", where)
    seen = set()
    for topic in topics:
        if not {"key", "zh", "en"} <= topic.keys():
            raise lines.error("management_system: a topic lacks key/zh/en", where, "topics")
        if topic["key"] in seen:
            raise lines.error(f"management_system: topic '{topic['key']}' twice", where)
        if topic.get("only_if", "contracting") != "contracting":
            raise lines.error(
                f"management_system: topic '{topic['key']}': only_if can only be 'contracting'",
                where,
                topic["key"],
            )
        seen.add(topic["key"])
    for key in ("no_document", "missing"):
        if not isinstance(spec.get(key), dict) or not {"zh", "en"} <= spec[key].keys():
            raise lines.error(f"management_system.{key} needs zh and en", where, key)


def _check_contractors(lines: _Lines, spec: Any) -> None:
    where = "[contractors]"
    _require_cite(lines, spec, "contractors", where)
    roles = spec.get("worker_roles")
    if not roles or not set(roles) <= {"attendant", "entrant", "rescuer"}:
        raise lines.error(
            "contractors.worker_roles: permit roles among attendant, entrant, rescuer",
            where,
            "worker_roles",
        )
    if not str(spec.get("worker_roles_cite", "")).strip():
        raise lines.error("contractors.worker_roles has no citation", where, "worker_roles")


def _check_board(lines: _Lines, raw: Mapping[str, Any]) -> None:
    """The compliance board's obligations: each with its article, its label in both languages,
    and a penalty key (if any) that names an item of the pack's [[penalties]]."""
    items = {i["key"] for p in raw.get("penalties", []) for i in p["items"]}
    seen = set()
    for line in raw.get("board", []):
        where = f'key = "{line.get("key")}"'
        for key in ("key", "article", "zh", "en"):
            if not str(line.get(key, "")).strip():
                raise lines.error(f"a [[board]] obligation lacks '{key}'", where)
        if line["key"] in seen:
            raise lines.error(f"[[board]] obligation '{line['key']}' twice", where)
        seen.add(line["key"])
        if "penalty" in line and line["penalty"] not in items:
            raise lines.error(
                f"[[board]] '{line['key']}': penalty '{line['penalty']}' is no item of "
                "[[penalties]]",
                where,
            )


def _check_evidence(lines: _Lines, raw: Mapping[str, Any]) -> None:
    """The consultation form's checkpoints: each numbered once, in order, with the article it
    relates to and a penalty key (if any) that names an item of the pack's [[penalties]]."""
    items = {i["key"] for p in raw.get("penalties", []) for i in p["items"]}
    numbers = []
    for entry in raw.get("evidence", []):
        where = f"checkpoint = {entry.get('checkpoint')}"
        if not isinstance(entry.get("checkpoint"), int):
            raise lines.error("an [[evidence]] entry lacks its checkpoint number", "[[evidence]]")
        if not str(entry.get("article", "")).strip():
            number = entry["checkpoint"]
            raise lines.error(f"[[evidence]] checkpoint {number} has no article", where)
        if "penalty" in entry and entry["penalty"] not in items:
            raise lines.error(
                f"[[evidence]] checkpoint {entry['checkpoint']}: penalty '{entry['penalty']}' is "
                "no item of [[penalties]]",
                where,
            )
        numbers.append(entry["checkpoint"])
    if numbers != list(range(1, len(numbers) + 1)):
        raise lines.error("[[evidence]] checkpoints are numbered 1, 2, … in order", "[[evidence]]")


def _check_enforcement_plan(lines: _Lines, spec: Any) -> None:
    """The regulators' annual enforcement plan: which hazards make an enterprise a key
    inspection target, and the items its inspection stresses, each with its citation."""
    where = "[enforcement_plan]"
    _require_cite(lines, spec, "enforcement_plan", where)
    hazards = spec.get("hazards")
    if not hazards or not all(isinstance(h, str) for h in hazards):
        raise lines.error("enforcement_plan.hazards lists no hazard", where, "hazards")
    for name in ("stress", "stress_listed"):
        items = spec.get(name, [])
        if name == "stress" and not items:
            raise lines.error("enforcement_plan.stress lists no item", where, name)
        if items and not str(spec.get(f"{name}_cite", "")).strip():
            raise lines.error(f"enforcement_plan.{name} has no citation", where, name)
        for item in items:
            if not {"key", "zh", "en", "checkpoints"} <= item.keys():
                raise lines.error(
                    f"enforcement_plan.{name}: an item lacks key/zh/en/checkpoints", where, name
                )
            if not all(isinstance(n, int) for n in item["checkpoints"]):
                raise lines.error(
                    f"enforcement_plan.{name} '{item['key']}': checkpoints are numbers", where, name
                )


@cache
def packs() -> dict[str, Pack]:
    """Every pack shipped in workflows/, with its workflows, loaded and validated once."""
    found = {
        folder.name: load(folder)
        for folder in sorted(WORKFLOWS_DIR.iterdir())
        if (folder / "pack.toml").exists()
    }
    for wf in workflow_registry().values():
        if wf.pack not in found:
            if (WORKFLOWS_DIR / wf.pack / "procedure.toml").exists():
                continue  # a procedure's workflow (the expert visit): judged by no pack
            raise WorkflowError(
                f"{wf.path.name}: names pack '{wf.pack}' with no pack.toml or procedure.toml"
            )
        found[wf.pack].workflows[wf.name] = wf
    for pack in found.values():
        _check_plan_hazards(pack)
    return found


def _check_plan_hazards(pack: Pack) -> None:
    """The enforcement plan names hazards a ledger space can list under the same pack."""
    work = pack.workflows.get("confined_space")
    known = work.section("hazards") if work else {}
    unknown = [h for h in pack.section("enforcement_plan").get("hazards", []) if h not in known]
    if unknown:
        raise WorkflowError(
            f"{pack.id}/pack.toml: enforcement_plan.hazards names {unknown}, no hazard of its "
            "confined_space workflow"
        )


def default_pack(on: date) -> str:
    """With no choice recorded, an enterprise is judged by the newest pack in force that day."""
    in_force = [
        (p.in_force_from, p.id)
        for p in packs().values()
        if p.in_force_from is not None and p.in_force_from <= on
    ]
    return max(in_force)[1] if in_force else min(packs())


def pack_in_force(session: Session, enterprise_id: int, on: date) -> str:
    choice = session.scalars(
        select(RulePackChoice)
        .where(RulePackChoice.enterprise_id == enterprise_id, RulePackChoice.applies_from <= on)
        .order_by(RulePackChoice.applies_from.desc(), RulePackChoice.id.desc())
        .limit(1)
    ).first()
    return choice.pack if choice else default_pack(on)


def packs_in_force(session: Session, enterprise_ids: Select[Any], on: date) -> dict[int, str]:
    """The pack each of many enterprises is judged by on a day, in one query whatever their
    number; an enterprise that never chose one is judged by default_pack(on)."""
    chosen: dict[int, str] = {}
    for enterprise_id, pack in session.execute(
        select(RulePackChoice.enterprise_id, RulePackChoice.pack)
        .where(
            RulePackChoice.enterprise_id.in_(enterprise_ids),
            RulePackChoice.applies_from <= on,
        )
        .order_by(RulePackChoice.applies_from, RulePackChoice.id)
    ):
        chosen[enterprise_id] = pack  # in date order: the latest choice wins
    return chosen


def workflow_for(session: Session, enterprise_id: int, name: str, on: date) -> Workflow:
    pack = packs()[pack_in_force(session, enterprise_id, on)]
    try:
        return pack.workflows[name]
    except KeyError:
        raise LookupError(f"rule pack {pack.id} has no workflow '{name}'") from None


def choose(
    session: Session,
    enterprise_id: int,
    pack: str,
    applies_from: date,
    *,
    clock: Clock,
    actor: User | None = None,
) -> RulePackChoice:
    """Record that from this date the enterprise is judged by this pack. Permits already
    approved keep the pack they were approved under."""
    if pack not in packs():
        raise InvalidInput(
            [plain("unknown_pack", "没有规则包 {pack}", "No rule pack {pack}", pack=pack)]
        )
    if applies_from < local_date(clock.now()):
        raise InvalidInput(
            [
                plain(
                    "past_date",
                    "规则包只能从今天或以后开始适用",
                    "A rule pack can apply from today on, not in the past",
                )
            ]
        )
    choice = RulePackChoice(
        enterprise_id=enterprise_id,
        pack=pack,
        applies_from=applies_from,
        chosen_by_id=actor.id if actor else None,
        chosen_at=clock.now(),
    )
    session.add(choice)
    session.flush()
    audit.append(
        session,
        enterprise_id=enterprise_id,
        actor_id=actor.id if actor else None,
        actor_role="admin" if actor else "system",
        subject_type="rule_pack_choices",
        subject_id=choice.id,
        event="choose_pack",
        data={"pack": pack, "applies_from": applies_from},
        at=clock.now(),
    )
    return choice


def history(session: Session, enterprise_id: int) -> list[RulePackChoice]:
    return list(
        session.scalars(
            select(RulePackChoice)
            .where(RulePackChoice.enterprise_id == enterprise_id)
            .order_by(RulePackChoice.applies_from, RulePackChoice.id)
        )
    )


__all__ = [
    "Pack",
    "packs",
    "load",
    "pack_in_force",
    "workflow_for",
    "choose",
    "history",
    "default_pack",
]


@dataclass(frozen=True)
class Row:
    topic: str
    item: str
    a: str
    a_cite: str
    b: str
    b_cite: str

    @property
    def changed(self) -> bool:
        return (self.a, self.a_cite) != (self.b, self.b_cite)

    @property
    def rule_changed(self) -> bool:
        """The rule itself differs, not only the article it cites."""
        return self.a != self.b

    @property
    def mark(self) -> str:
        return "≠" if self.rule_changed else ("~" if self.changed else "=")


TOPICS = {
    "sources": {"zh": "依据", "en": "Sources"},
    "scope": {"zh": "适用范围", "en": "Scope"},
    "approval": {"zh": "作业审批", "en": "Approval"},
    "gas_limits": {"zh": "气体准入条件", "en": "Gas limits"},
    "gas_tests": {"zh": "气体检测", "en": "Gas testing"},
    "training": {"zh": "培训", "en": "Training"},
    "drills": {"zh": "应急演练", "en": "Drills"},
    "signs": {"zh": "安全警示标志", "en": "Warning signs"},
    "checklists": {"zh": "逐项确认", "en": "Checklists"},
    "management_system": {"zh": "安全管理制度", "en": "Safety-management system"},
    "contractors": {"zh": "发包管理", "en": "Contracting out"},
    "guards": {"zh": "规则依据", "en": "Rules and their articles"},
    "penalties": {"zh": "法律责任", "en": "Penalties"},
}


def _fig(raw: Mapping[str, Any] | None) -> str:
    return f"{raw['value']:g} {raw['unit']}" if raw else "—"


def _facts(pack: Pack, lang: str) -> dict[tuple[str, str], tuple[str, str]]:
    """Every rule of a pack as (topic, item) → (what it says, its citation)."""
    industries = catalogue().industries
    wf = pack.workflows["confined_space"]
    facts: dict[tuple[str, str], tuple[str, str]] = {}
    for source in pack.section("sources"):
        facts[("sources", source["code"])] = (
            f"{source['title']}（{source['number']}）",
            str(source["effective"]),
        )
    scope = pack.section("scope")
    names = [industries.get(i, {}).get(lang, i) for i in scope["industries"]]
    facts[("scope", "industries")] = ("、".join(names), scope["cite"])
    facts[("scope", "excluded")] = ("、".join(scope.get("excluded", [])) or "—", scope["cite"])
    for tier in wf.section("tiers"):
        when = [*tier.get("when_hazards", []), *tier.get("when_tasks", [])]
        who = "/".join(tier["approvers"]) + (
            " + 书面委托" if tier.get("written_authorisation") else ""
        )
        facts[("approval", tier["name"])] = (
            f"{tier.get(lang, tier['name'])}: {' + '.join(when) or '—'} → {who}",
            tier["cite"],
        )
    for name, spec in wf.section("gases").items():
        facts[("gas_limits", name)] = (gas.limit_text(name, wf, lang), spec["cite"])
    tests = wf.section("gas_tests")
    facts[("gas_tests", "always")] = ("、".join(tests["always"]), tests["always_cite"])
    for key in ("validity", "interruption", "monitoring_interval"):
        facts[("gas_tests", key)] = (_fig(tests.get(key)), tests.get(f"{key}_cite", ""))
    monitoring = wf.section("monitoring")
    if monitoring:
        facts[("gas_tests", "silence")] = (_fig(monitoring["silence"]), monitoring["silence_cite"])
        facts[("gas_tests", "alarm")] = (monitoring["alarm_event"], monitoring["alarm_cite"])
    for name, spec in wf.section("training").items():
        facts[("training", name)] = (_fig(spec["valid_for"]), spec["cite"])
    drills = pack.section("drills")
    period = (
        _fig(drills.get("period"))
        if drills["set_by"] == "rule"
        else ("由企业确定" if lang == "zh" else "set by the enterprise")
    )
    facts[("drills", "period")] = (period, drills["cite"])
    sign = pack.section("sign")
    facts[("signs", "wording")] = (
        f"{sign['warning'][lang]} / {sign['prohibition'][lang]}",
        sign["cite"],
    )
    system = pack.section("management_system")
    for topic in system["topics"]:
        cite = topic.get("cite", system["cite"])
        facts[("management_system", topic["key"])] = (topic[lang], cite)
    contracting = pack.section("contractors")
    facts[("contractors", "worker_roles")] = (
        "、".join(role_label(r, lang) for r in contracting["worker_roles"]),
        contracting["worker_roles_cite"],
    )
    for name, spec in wf.section("checklists").items():
        facts[("checklists", name)] = ("；".join(i[lang] for i in spec["items"]), spec["cite"])
    for name, text in wf.guards.items():
        facts[("guards", name)] = (text.template[lang], text.cite)
    for penalty in pack.section("penalties"):
        items = "；".join(i["zh"] for i in penalty["items"])
        facts[("penalties", penalty["article"])] = (
            f"{items} — {penalty['enterprise']}",
            penalty["cite"],
        )
    return facts


def compare(a: str, b: str, lang: str = "zh") -> list[Row]:
    """Each rule of two packs side by side, with both citations, topic by topic."""
    fa, fb = _facts(packs()[a], lang), _facts(packs()[b], lang)
    order = list(TOPICS)
    keys = sorted(set(fa) | set(fb), key=lambda k: (order.index(k[0]), k[1]))
    return [
        Row(TOPICS[t][lang], item, *fa.get((t, item), ("—", "")), *fb.get((t, item), ("—", "")))
        for t, item in keys
    ]
