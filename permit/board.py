"""The compliance board: each obligation the enterprise's rule pack lists in [[board]] (art.
4–14), with a status computed from the records (met, due soon, not met), the evidence behind
it with a link to the register that shows it, and for an unmet one the penalty it exposes the
enterprise to. Every status comes from a few aggregate queries (COUNT / SUM / MAX … GROUP
BY), never from loading the registers row by row, and the same number of them whatever the
enterprise's size. All-time counts (approvals by tier and role, entries, the workforce and
its newest training) are read from running tallies the database keeps with each write
(permit.tallies); where a rule looks at a window (what falls due within the horizon) only
that window is read. What still grows with the enterprise is one pass over its active spaces
and equipment in service."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Text, and_, case, cast, false, func, or_, select
from sqlalchemy.orm import Session

from . import management, tallies
from .approval import enterprise_table, tier_approvers, tier_named
from .clock import local_date
from .compliance import DueItem, due_items, earliest_counting, pack_for, penalty
from .drills import drill_status
from .emergency import last_drill_on
from .errors import _localise
from .models import (
    Contractor,
    DisposalPlan,
    Enterprise,
    Equipment,
    EquipmentCheck,
    Permit,
    Reading,
    SafetyAgreement,
    Space,
    TrainingSession,
)
from .models.enterprise import role_label
from .models.equipment import IN_SERVICE
from .packs import Pack
from .workflow import Workflow
from .workflow import get as get_workflow

MET, DUE_SOON, NOT_MET = "met", "due_soon", "not_met"
UPCOMING_SHOWN = 50  # the board lists the soonest; the registers list them all


@dataclass(frozen=True)
class Evidence:
    """One fact behind a status, in both languages, and the register page that shows it."""

    template: Mapping[str, str]
    params: Mapping[str, Any] = field(default_factory=dict)
    endpoint: str = ""
    args: tuple[tuple[str, Any], ...] = ()
    bad: bool = False  # this fact is why the obligation is not met, or falls due

    def message(self, lang: str = "zh") -> str:
        template = self.template.get(lang) or self.template["zh"]
        return template.format(**_localise(self.params, lang))


@dataclass(frozen=True)
class Line:
    key: str
    article: str
    label: Mapping[str, str]
    status: str
    evidence: list[Evidence]
    penalty: Mapping[str, str] | None  # shown when the obligation is not met


@dataclass(frozen=True)
class Board:
    pack: Pack
    today: date
    horizon_days: int
    lines: list[Line]
    upcoming: list[DueItem]  # falling due within the horizon, soonest first (not overdue)

    def count(self, status: str) -> int:
        return sum(1 for line in self.lines if line.status == status)


def _say(
    zh: str, en: str, endpoint: str = "", *args: tuple[str, Any], bad: bool = False, **params: Any
) -> Evidence:
    return Evidence({"zh": zh, "en": en}, params, endpoint, tuple(args), bad)


def _sum(condition) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@dataclass
class _Context:
    session: Session
    enterprise: Enterprise
    pack: Pack
    workflow: Workflow
    now: datetime
    today: date
    soon: date
    spaces: Mapping[str, int] = field(default_factory=dict)
    last_drill: date | None = None
    coverage: dict[tuple[str, ...], tuple[int, dict[str, tuple[int, int]]]] = field(
        default_factory=dict
    )


# -- training and competence (art. 4, 7) ---------------------------------------------------


def _coverage(ctx: _Context, kinds: list[str]) -> tuple[int, dict[str, tuple[int, int]]]:
    """How many active people hold a permit role that needs these kinds, and per kind how many
    of them hold a record that counts today, and past the horizon. Every group of kinds the
    board shows (one per training guard) is counted by the first call, in one statement."""
    group = tuple(kinds)
    if group not in ctx.coverage:
        guards = {spec.get("guard", "people_trained") for spec in _training(ctx).values()}
        groups = {tuple(_kinds(ctx.workflow, guard)) for guard in sorted(guards)} | {group}
        ctx.coverage.update(_coverage_of(ctx, sorted(groups)))
    return ctx.coverage[group]


def _training(ctx: _Context) -> Mapping[str, Any]:
    return ctx.workflow.section("training")


def _coverage_of(
    ctx: _Context, groups: list[tuple[str, ...]]
) -> dict[tuple[str, ...], tuple[int, dict[str, tuple[int, int]]]]:
    """Per group, how many active people hold a role it is asked of, and per kind how many of
    them hold a passed record that counts today and past the horizon: read from the running
    tallies (permit.tallies), whose cost follows the sets of roles and the days of a validity,
    not the people. The cut-offs come from the pack's periods (earliest_counting)."""
    spec = _training(ctx)
    roles = {g: sorted({r for k in g for r in spec[k].get("required_of", [])}) for g in groups}
    cuts = {
        k: (
            earliest_counting(k, ctx.workflow, ctx.today),
            earliest_counting(k, ctx.workflow, ctx.soon),
        )
        for g in groups
        for k in g
    }
    return tallies.coverage(ctx.session, ctx.enterprise.id, ctx.today, roles, cuts)


def _kind_label(workflow: Workflow, kind: str) -> dict[str, str]:
    spec = workflow.section("training")[kind]
    en = spec.get("short_en", spec["en"])
    return {"zh": spec.get("short_zh", spec["zh"]), "en": en[:1].lower() + en[1:]}


def _kinds(workflow: Workflow, guard: str) -> list[str]:
    return [
        kind
        for kind, spec in workflow.section("training").items()
        if spec.get("guard", "people_trained") == guard
    ]


def _people_lines(
    ctx: _Context, kinds: list[str], who: dict[str, str], none: Evidence
) -> tuple[list[Evidence], bool, bool]:
    total, per_kind = _coverage(ctx, kinds)
    if total == 0:
        return [none], True, False
    evidence, not_met, soon = [], False, False
    for kind in kinds:
        valid, beyond = per_kind[kind]
        lacking, expiring = total - valid, valid - beyond
        label = _kind_label(ctx.workflow, kind)
        if lacking:
            not_met = True
            evidence.append(
                _say(
                    "{total}名{who}中有{n}名无有效的{what}",
                    "{n} of {total} {who} have no valid {what}",
                    "training.people",
                    bad=True,
                    n=lacking,
                    total=total,
                    who=who,
                    what=label,
                )
            )
        if expiring:
            soon = True
            evidence.append(
                _say(
                    "{n}名{who}的{what}将在{days}天内到期",
                    "{n} {who}: {what} expires within {days} days",
                    "training.people",
                    bad=True,
                    n=expiring,
                    who=who,
                    what=label,
                    days=(ctx.soon - ctx.today).days,
                )
            )
    if not evidence:
        evidence.append(
            _say(
                "{total}名{who}均有有效记录",
                "{who} with valid records: {total} of {total}",
                "training.people",
                total=total,
                who=who,
            )
        )
    return evidence, not_met, soon


def attendants(ctx: _Context) -> tuple[list[Evidence], bool, bool]:
    who = {"zh": role_label("attendant"), "en": "attendants"}
    none = _say("尚未指定监护人员", "no attendant is named", "training.people", bad=True)
    return _people_lines(ctx, _kinds(ctx.workflow, "attendant_competent"), who, none)


def training(ctx: _Context) -> tuple[list[Evidence], bool, bool]:
    kinds = _kinds(ctx.workflow, "people_trained")
    who = {"zh": "可参与作业人员", "en": "people who may take part in work"}
    none = _say(
        "没有可参与作业的人员（监护、作业、救援）",
        "nobody may take part in work (attendant, entrant, rescuer)",
        "training.people",
        bad=True,
    )
    evidence, not_met, soon = _people_lines(ctx, kinds, who, none)
    if not kinds:
        return evidence, not_met, soon
    # 每年至少组织一次: the newest session of the annual kind still counts today.
    last = ctx.session.scalar(
        select(func.max(TrainingSession.held_on)).where(
            TrainingSession.enterprise_id == ctx.enterprise.id,
            TrainingSession.kind.in_(kinds),
            TrainingSession.held_on <= ctx.today,
        )
    )
    kind = kinds[0]
    if last is None:
        not_met = True
        evidence.append(
            _say("尚无培训记录", "no training session on record", "training.index", bad=True)
        )
    elif last < earliest_counting(kind, ctx.workflow, ctx.today):
        not_met = True
        evidence.append(
            _say(
                "最近一次培训为{last}，已超过一年",
                "the last session was on {last}, over a year ago",
                "training.index",
                bad=True,
                last=last.isoformat(),
            )
        )
    else:
        due_soon = last < earliest_counting(kind, ctx.workflow, ctx.soon)
        soon = soon or due_soon
        evidence.append(
            _say(
                "最近一次培训为{last}",
                "the last session was on {last}",
                "training.index",
                bad=due_soon,
                last=last.isoformat(),
            )
        )
    return evidence, not_met, soon


# -- the enterprise's own rules and contractors (art. 5, 6) --------------------------------


def management_system(ctx: _Context) -> tuple[list[Evidence], bool, bool]:
    found = management.findings(ctx.session, ctx.enterprise.id, ctx.pack)
    if found:
        return (
            [Evidence(r.template, r.params, "rules.system", (), True) for r in found],
            True,
            False,
        )
    document = management.current_document(ctx.session, ctx.enterprise.id)
    return (
        [
            _say(
                "现行版本{version}（{title}）涵盖全部要求",
                "version {version} ({title}) covers every topic",
                "rules.system",
                version=document.version_label,
                title=document.title,
            )
        ],
        False,
        False,
    )


def contractors(ctx: _Context) -> tuple[list[Evidence], bool, bool]:
    live = and_(
        SafetyAgreement.revoked_at.is_(None),
        SafetyAgreement.valid_from <= ctx.today,
        SafetyAgreement.valid_to >= ctx.today,
    )
    reach = and_(SafetyAgreement.revoked_at.is_(None), SafetyAgreement.valid_to >= ctx.today)
    per_company = (
        select(
            Contractor.id,
            func.max(case((live, SafetyAgreement.valid_to))).label("current"),
            func.max(case((reach, SafetyAgreement.valid_to))).label("reach"),
        )
        .outerjoin(SafetyAgreement, SafetyAgreement.contractor_id == Contractor.id)
        .where(Contractor.enterprise_id == ctx.enterprise.id, Contractor.retired_at.is_(None))
        .group_by(Contractor.id)
        .subquery()
    )
    total, without, expiring = ctx.session.execute(
        select(
            func.count(),
            _sum(per_company.c.current.is_(None)),
            _sum(and_(per_company.c.current.is_not(None), per_company.c.reach < ctx.soon)),
        ).select_from(per_company)
    ).one()
    if not total:
        return (
            [
                _say(
                    "未发包有限空间作业（无在册承包单位）",
                    "no work is contracted out (no contractor on record)",
                    "contractors.companies",
                )
            ],
            False,
            False,
        )
    evidence = []
    if without:
        evidence.append(
            _say(
                "{total}家承包单位中有{n}家无有效的安全生产管理协议",
                "{n} of {total} contractors have no valid safety agreement",
                "contractors.companies",
                bad=True,
                n=without,
                total=total,
            )
        )
    if expiring:
        evidence.append(
            _say(
                "{n}家承包单位的协议将在{days}天内到期",
                "{n} contractors' agreements expire within {days} days",
                "contractors.companies",
                bad=True,
                n=expiring,
                days=(ctx.soon - ctx.today).days,
            )
        )
    if not evidence:
        evidence.append(
            _say(
                "{total}家承包单位均有有效协议",
                "all {total} contractors hold a valid agreement",
                "contractors.companies",
                total=total,
            )
        )
    return evidence, bool(without), bool(expiring)


# -- the ledger (art. 8, 9, 14) -------------------------------------------------------------


def space_conditions(ctx: _Context) -> dict[str, Any]:
    """The ledger's shortcomings as conditions on a space, for counting and for examples."""
    poisoning = [k for k, h in ctx.workflow.section("hazards").items() if h.get("poisoning")]
    # Hazards are a JSON list of keys: a key appears in its text as "key", on either backend.
    listed = cast(Space.hazards, Text)
    toxic = or_(*(listed.like(f'%"{k}"%') for k in poisoning)) if poisoning else false()
    no_isolation = func.coalesce(func.json_array_length(Space.isolation_measures), 0) == 0
    # The plans in force are few (one per space or class): fetched once, matched by value.
    plans = ctx.session.execute(
        select(DisposalPlan.space_id, DisposalPlan.catalogue_class).where(
            DisposalPlan.enterprise_id == ctx.enterprise.id, DisposalPlan.superseded_at.is_(None)
        )
    ).all()
    planned = or_(
        Space.id.in_([sid for sid, _ in plans if sid is not None]),
        Space.catalogue_class.in_([cls for _, cls in plans if cls]),
    )
    return {
        "no_hazards": func.coalesce(func.json_array_length(Space.hazards), 0) == 0,
        "no_sign": Space.sign_placed_on.is_(None),
        "toxic": toxic,
        "toxic_open": and_(toxic, no_isolation),
        "no_plan": ~planned,
    }


def _spaces(ctx: _Context) -> Mapping[str, int]:
    """One pass over the enterprise's active spaces: every count the ledger lines need."""
    conditions = space_conditions(ctx)
    row = ctx.session.execute(
        select(
            func.count().label("total"),
            *(_sum(condition).label(name) for name, condition in conditions.items()),
        ).where(Space.enterprise_id == ctx.enterprise.id, Space.retired_at.is_(None))
    ).one()
    return {k: int(v or 0) for k, v in row._mapping.items()}


def ledger(ctx: _Context) -> tuple[list[Evidence], bool, bool]:
    counts = ctx.spaces
    if not counts["total"]:
        return (
            [
                _say(
                    "台账中没有有限空间",
                    "the ledger lists no confined space",
                    "spaces.index",
                    bad=True,
                )
            ],
            True,
            False,
        )
    if counts["no_hazards"]:
        return (
            [
                _say(
                    "{total}个有限空间中有{n}个未列明危险因素",
                    "{n} of {total} spaces have no hazards listed",
                    "spaces.index",
                    bad=True,
                    n=counts["no_hazards"],
                    total=counts["total"],
                )
            ],
            True,
            False,
        )
    return (
        [
            _say(
                "台账共{total}个有限空间，均已列明危险因素",
                "{total} spaces in the ledger, each with its hazards",
                "spaces.index",
                total=counts["total"],
            )
        ],
        False,
        False,
    )


def signs(ctx: _Context) -> tuple[list[Evidence], bool, bool]:
    counts = ctx.spaces
    if counts["no_sign"]:
        return (
            [
                _say(
                    "{total}个有限空间中有{n}个未设置警示标志",
                    "{n} of {total} spaces have no warning sign placed",
                    "spaces.index",
                    ("sign", "missing"),
                    bad=True,
                    n=counts["no_sign"],
                    total=counts["total"],
                )
            ],
            True,
            False,
        )
    return (
        [
            _say(
                "{total}个有限空间均已设置警示标志",
                "all {total} spaces have their warning sign",
                "spaces.index",
                total=counts["total"],
            )
        ],
        False,
        False,
    )


def isolation(ctx: _Context) -> tuple[list[Evidence], bool, bool]:
    counts = ctx.spaces
    if counts["toxic_open"]:
        return (
            [
                _say(
                    "{toxic}个可能产生有毒物质的有限空间中有{n}个未列明物理隔离措施",
                    "{n} of {toxic} spaces where toxic substances may arise have no physical "
                    "isolation listed",
                    "spaces.index",
                    bad=True,
                    n=counts["toxic_open"],
                    toxic=counts["toxic"],
                )
            ],
            True,
            False,
        )
    return (
        [
            _say(
                "{toxic}个可能产生有毒物质的有限空间均有物理隔离措施",
                "all {toxic} spaces where toxic substances may arise have physical isolation",
                "spaces.index",
                toxic=counts["toxic"],
            )
        ],
        False,
        False,
    )


def _months_ago(then: date, today: date) -> int:
    months = (today.year - then.year) * 12 + today.month - then.month
    return months - (today.day < then.day)


def emergency(ctx: _Context) -> tuple[list[Evidence], bool, bool]:
    counts = ctx.spaces
    evidence, not_met, soon = [], False, False
    if counts["no_plan"]:
        not_met = True
        evidence.append(
            _say(
                "{total}个有限空间中有{n}个没有现场处置方案（针对该空间或其类别）",
                "{n} of {total} spaces have no on-site disposal plan (for the space or its class)",
                "emergency.index",
                bad=True,
                n=counts["no_plan"],
                total=counts["total"],
            )
        )
    last = ctx.last_drill = last_drill_on(ctx.session, ctx.enterprise.id)
    status = drill_status(ctx.pack, last, ctx.today, ctx.enterprise.drill_period_months)
    spec = ctx.pack.section("drills")
    if status.status == "not_set":
        not_met = True
        evidence.append(Evidence(spec["period_not_set"], {}, "emergency.index", (), True))
    elif last is None:
        not_met = True
        evidence.append(Evidence(spec["never_drilled"], {}, "emergency.index", (), True))
    else:
        overdue = status.status == "overdue"
        due_soon = not overdue and status.due_on < ctx.soon
        not_met, soon = not_met or overdue, soon or due_soon
        evidence.append(
            _say(
                "上次演练为{last}（{months}个月前），{due}前须再次演练",
                "last drill on {last} ({months} months ago); the next is due by {due}",
                "emergency.index",
                bad=overdue or due_soon,
                last=last.isoformat(),
                months=_months_ago(last, ctx.today),
                due=status.due_on.isoformat(),
            )
        )
    if not counts["no_plan"]:
        evidence.insert(
            0,
            _say(
                "每个有限空间都有现场处置方案",
                "every space has an on-site disposal plan",
                "emergency.index",
            ),
        )
    return evidence, not_met, soon


# -- equipment (art. 10) --------------------------------------------------------------------


def equipment(ctx: _Context) -> tuple[list[Evidence], bool, bool]:
    e = ctx.enterprise.id
    checked = select(EquipmentCheck.id).where(EquipmentCheck.equipment_id == Equipment.id).exists()
    in_service = and_(Equipment.enterprise_id == e, Equipment.status == IN_SERVICE)
    # One pass, by kind: the counts are summed here, the usable kinds kept by name.
    by_kind = ctx.session.execute(
        select(
            Equipment.kind,
            func.count(),
            _sum(Equipment.due_on.is_(None)),
            _sum(Equipment.due_on < ctx.today),
            _sum(and_(Equipment.due_on >= ctx.today, Equipment.due_on < ctx.soon)),
            _sum(~checked),
            _sum(Equipment.due_on >= ctx.today),
        )
        .where(in_service)
        .group_by(Equipment.kind)
    ).all()
    total, no_record, overdue, expiring, unchecked = (
        sum(int(row[i]) for row in by_kind) for i in range(1, 6)
    )
    usable = {row[0]: int(row[6]) for row in by_kind}
    kinds = ctx.workflow.section("equipment_kinds")
    evidence, not_met = [], False
    for need in ctx.workflow.section("required_equipment"):
        if not any(usable.get(k) for k in need["kinds"]):
            not_met = True
            names = [kinds.get(k, {"zh": k, "en": k}) for k in need["kinds"]]
            evidence.append(
                _say(
                    "没有可用的{what}",
                    "no usable {what}",
                    "equipment.index",
                    bad=True,
                    what={
                        "zh": "或".join(n["zh"] for n in names),
                        "en": " or ".join(n["en"][:1].lower() + n["en"][1:] for n in names),
                    },
                )
            )
    if overdue:
        not_met = True
        examples = ctx.session.execute(
            select(Equipment.serial, Equipment.name, Equipment.due_on)
            .where(in_service, Equipment.due_on < ctx.today)
            .order_by(Equipment.due_on, Equipment.serial)
            .limit(3)
        ).all()
        for serial, name, due in examples:
            evidence.append(
                _say(
                    "{serial} {name}：自{due}起超过检定/校准有效期",
                    "{serial} {name}: calibration overdue since {due}",
                    "equipment.show",
                    ("serial", serial),
                    bad=True,
                    serial=serial,
                    name=name,
                    due=due.isoformat(),
                )
            )
        if overdue > len(examples):
            evidence.append(
                _say(
                    "共{n}件装备超过检定/校准有效期",
                    "{n} items in all are overdue for calibration",
                    "equipment.index",
                    ("standing", "overdue"),
                    bad=True,
                    n=overdue,
                )
            )
    if no_record:
        not_met = True
        evidence.append(
            _say(
                "{n}件在用装备无检定/校准记录",
                "{n} items in service have no calibration or inspection record",
                "equipment.index",
                ("standing", "no_record"),
                bad=True,
                n=no_record,
            )
        )
    if unchecked:
        not_met = True
        evidence.append(
            _say(
                "{total}件在用装备中有{n}件没有监护人员的定期检查记录",
                "{n} of {total} items in service have never been checked by an attendant",
                "equipment.index",
                bad=True,
                n=unchecked,
                total=total,
            )
        )
    if expiring:
        evidence.append(
            _say(
                "{n}件装备将在{days}天内到检定/校准日期",
                "{n} items fall due for calibration within {days} days",
                "equipment.index",
                ("standing", "due_soon"),
                bad=True,
                n=expiring,
                days=(ctx.soon - ctx.today).days,
            )
        )
    if not evidence:
        evidence.append(
            _say(
                "{total}件在用装备均在检定/校准有效期内并有检查记录",
                "all {total} items in service are in date and checked",
                "equipment.index",
                total=total,
            )
        )
    return evidence, not_met, bool(expiring)


# -- permits (art. 11, 12, 13) --------------------------------------------------------------


def accepted_roles(
    session: Session,
    enterprise_id: int,
    name: str,
    version: str,
    tier_name: str,
    tables: dict[tuple[str, str], Any] | None = None,
) -> set[str] | None:
    """The roles an approval of this tier of that workflow version may be signed in (under the
    enterprise's own tier table, and the tier's floor where the pack sets one), or None when
    the workflow or tier is unknown and so not judged. `tables` keeps the enterprise's tier
    tables read so far, so a caller judging many groups reads each once."""
    try:
        wf = get_workflow(name, version)
    except LookupError:
        return None
    tier = tier_named(tier_name, wf)
    if tier is None:
        return None
    tables = {} if tables is None else tables
    if wf.key not in tables:
        tables[wf.key] = enterprise_table(session, enterprise_id, wf)
    allowed = set(tier_approvers(tier, tables[wf.key])[0])
    allowed |= set(tier.get("floor") or tier["approvers"])
    if tier.get("floor"):
        allowed &= set(tier["floor"])
    if tier.get("written_authorisation"):
        allowed.add("authorised")
    return allowed


def signed_below(
    session: Session,
    enterprise_id: int,
    name: str,
    version: str,
    tier_name: str,
    role: str,
    tables: dict[tuple[str, str], Any] | None = None,
) -> bool:
    """Whether an approval signed in this role is below what the tier of that workflow version
    accepts. An unknown workflow or tier is not judged."""
    accepted = accepted_roles(session, enterprise_id, name, version, tier_name, tables)
    return accepted is not None and role not in accepted


def _approvals(ctx: _Context) -> tuple[int, int]:
    """All approvals, and those signed in a role their tier does not accept: judged per
    workflow version, tier and role from the running tallies, each group once."""
    tables: dict[tuple[str, str], Any] = {}
    total = below = 0
    for name, version, tier, role, signed in tallies.approvals(ctx.session, ctx.enterprise.id):
        total += signed
        if tier and signed_below(ctx.session, ctx.enterprise.id, name, version, tier, role, tables):
            below += signed
    return total, below


def approval(ctx: _Context) -> tuple[list[Evidence], bool, bool]:
    """Approvals signed by someone whose role the permit's tier does not accept (the tier's
    floor where the pack sets one)."""
    total, below = _approvals(ctx)
    if not total:
        return [_say("尚无审批记录", "no approval on record yet", "permits.index")], False, False
    if below:
        return (
            [
                _say(
                    "{total}份审批中有{n}份由不具备该级别审批权限的人员签批",
                    "{n} of {total} approvals were signed below their tier",
                    "permits.index",
                    bad=True,
                    n=below,
                    total=total,
                )
            ],
            True,
            False,
        )
    return (
        [
            _say(
                "{total}份审批均由相应级别的审批人签批",
                "all {total} approvals were signed at their tier",
                "permits.index",
                total=total,
            )
        ],
        False,
        False,
    )


def conditions(ctx: _Context) -> tuple[list[Evidence], bool, bool]:
    """Entries made without a fresh passing gas test taken after ventilation (先通风、再检测、
    后作业): each check-in records the test it relied on, and the database tallies them."""
    total, untested = tallies.entries(ctx.session, ctx.enterprise.id)
    if not total:
        return [_say("尚无人员进入的记录", "no entry on record yet", "permits.index")], False, False
    if untested:
        return (
            [
                _say(
                    "{total}次进入中有{n}次没有通风后的有效合格气体检测",
                    "{n} of {total} entries were made without a fresh passing gas test after "
                    "ventilation",
                    "permits.index",
                    bad=True,
                    n=untested,
                    total=total,
                )
            ],
            True,
            False,
        )
    return (
        [
            _say(
                "{total}次进入均在通风后气体检测合格的有效期内",
                "all {total} entries were made on a fresh passing gas test after ventilation",
                "permits.index",
                total=total,
            )
        ],
        False,
        False,
    )


def monitoring(ctx: _Context) -> tuple[list[Evidence], bool, bool]:
    """Work in progress whose newest reading is older than the pack's recording interval."""
    interval = ctx.workflow.figure("gas_tests", "monitoring_interval")
    since = ctx.now - timedelta(seconds=interval.seconds())
    working = and_(Permit.enterprise_id == ctx.enterprise.id, Permit.state == "working")
    latest = (
        select(Reading.permit_id, func.max(Reading.taken_at).label("at"))
        .where(Reading.permit_id.in_(select(Permit.id).where(working)))
        .group_by(Reading.permit_id)
        .subquery()
    )
    total, silent = ctx.session.execute(
        select(func.count(), _sum(or_(latest.c.at.is_(None), latest.c.at < since)))
        .select_from(Permit)
        .outerjoin(latest, latest.c.permit_id == Permit.id)
        .where(working)
    ).one()
    minutes = f"{interval.seconds() / 60:g}"
    if silent:
        return (
            [
                _say(
                    "{total}份进行中的作业中有{n}份超过{minutes}分钟没有检测记录",
                    "{n} of {total} permits at work have no reading in the last {minutes} min",
                    "permits.index",
                    bad=True,
                    n=silent,
                    total=total,
                    minutes=minutes,
                )
            ],
            True,
            False,
        )
    if not total:
        return (
            [_say("当前没有进行中的作业", "no work in progress now", "permits.index")],
            False,
            False,
        )
    return (
        [
            _say(
                "{total}份进行中的作业在{minutes}分钟内均有检测记录",
                "all {total} permits at work have a reading in the last {minutes} min",
                "permits.index",
                total=total,
                minutes=minutes,
            )
        ],
        False,
        False,
    )


COMPUTED: dict[str, Callable[[_Context], tuple[list[Evidence], bool, bool]]] = {
    "attendants": attendants,
    "management_system": management_system,
    "contractors": contractors,
    "training": training,
    "ledger": ledger,
    "signs": signs,
    "isolation": isolation,
    "equipment": equipment,
    "approval": approval,
    "conditions": conditions,
    "monitoring": monitoring,
    "emergency": emergency,
}


def board(session: Session, enterprise_id: int, now: datetime, horizon_days: int = 30) -> Board:
    """The enterprise's board by the pack in force for it today."""
    today = local_date(now)
    pack = pack_for(session, enterprise_id, today)
    ctx = _Context(
        session=session,
        enterprise=session.get(Enterprise, enterprise_id),
        pack=pack,
        workflow=pack.workflows["confined_space"],
        now=now,
        today=today,
        soon=today + timedelta(days=horizon_days),
    )
    ctx.spaces = _spaces(ctx)
    lines = []
    for spec in pack.section("board"):
        evidence, not_met, soon = COMPUTED[spec["key"]](ctx)
        status = NOT_MET if not_met else DUE_SOON if soon else MET
        lines.append(
            Line(
                key=spec["key"],
                article=spec["article"],
                label={"zh": spec["zh"], "en": spec["en"]},
                status=status,
                evidence=evidence,
                penalty=penalty(pack, spec.get("penalty")) if status == NOT_MET else None,
            )
        )
    upcoming = due_items(
        session,
        enterprise_id,
        today,
        horizon_days,
        include_overdue=False,
        limit=UPCOMING_SHOWN,
        pack=pack,
        last_drill=ctx.last_drill,
    )
    return Board(pack=pack, today=today, horizon_days=horizon_days, lines=lines, upcoming=upcoming)
