"""The evidence rules of the consultation form (permit/evidence.py): each reads one aspect of
the enterprise's records with aggregate queries (COUNT / SUM / EXISTS … GROUP BY, and a few
examples by LIMIT) and says what it shows, whether it shows a violation, and whether the
system keeps any record of it at all. The compliance board's queries are reused where they
already answer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    Date,
    Interval,
    String,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)

from . import board, management
from .board import Evidence, _Context, _kinds, _people_lines, _say, _sum
from .clock import local_zone
from .compliance import earliest_counting
from .drills import drill_status
from .emergency import last_drill_on
from .models import (
    Contractor,
    DisposalPlan,
    Drill,
    EntryLog,
    Equipment,
    EquipmentCheck,
    Permit,
    PermitCheck,
    PermitPerson,
    Reading,
    SafetyAgreement,
    Signature,
    Space,
    TrainingRecord,
    TrainingSession,
    User,
)
from .models.base import UTCDateTime
from .models.enterprise import UserRole, role_label
from .models.equipment import IN_SERVICE
from .workflow import figure


@dataclass
class Ctx(_Context):
    since: date = date.min  # the review period's first day
    since_at: datetime = datetime.min  # ... as an instant
    months: int = 12
    examples: int = 3
    memo: dict[str, Found] = field(default_factory=dict)
    worked: Mapping[str, int] | None = None

    @property
    def postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"


@dataclass(frozen=True)
class Found:
    lines: list[Evidence]
    violated: bool
    records: bool  # the system keeps records of this at all


def _list(values: list[str], total: int) -> dict[str, str]:
    more = total > len(values)
    return {
        "zh": "、".join(values) + ("等" if more else ""),
        "en": ", ".join(values) + (", …" if more else ""),
    }


# -- shared pieces ---------------------------------------------------------------------------


def _reviewed(ctx: Ctx) -> Any:
    """Permits submitted for work whose window opened in the review period."""
    return and_(
        Permit.enterprise_id == ctx.enterprise.id,
        Permit.state != ctx.workflow.initial,
        Permit.window_start >= ctx.since_at,
        Permit.window_start <= ctx.now,
    )


def _worked() -> Any:
    """Someone went in under the permit."""
    return (
        select(EntryLog.id)
        .where(EntryLog.permit_id == Permit.id, EntryLog.direction == "in")
        .exists()
    )


def _permit_numbers(ctx: Ctx, *where: Any) -> list[str]:
    """The latest few reviewed permits that meet the conditions (the count is known)."""
    return list(
        ctx.session.scalars(
            select(Permit.number)
            .where(_reviewed(ctx), *where)
            .order_by(Permit.window_start.desc(), Permit.id.desc())
            .limit(ctx.examples)
        )
    )


def _active_spaces(ctx: Ctx) -> Any:
    return and_(Space.enterprise_id == ctx.enterprise.id, Space.retired_at.is_(None))


def _space_codes(ctx: Ctx, condition: Any) -> list[str]:
    return list(
        ctx.session.scalars(
            select(Space.code)
            .where(_active_spaces(ctx), condition)
            .order_by(Space.code)
            .limit(ctx.examples)
        )
    )


def _spaces(ctx: Ctx) -> Mapping[str, int]:
    if not ctx.spaces:
        ctx.spaces = board._spaces(ctx)
    return ctx.spaces


def _holders(ctx: Ctx, roles: list[str]) -> Any:
    return and_(
        User.enterprise_id == ctx.enterprise.id,
        User.active.is_(True),
        select(UserRole.id).where(UserRole.user_id == User.id, UserRole.role.in_(roles)).exists(),
    )


def _counts_today(ctx: Ctx, kind: str) -> Any:
    return (
        select(TrainingRecord.id)
        .where(
            TrainingRecord.user_id == User.id,
            TrainingRecord.kind == kind,
            TrainingRecord.passed.is_(True),
            TrainingRecord.taken_on <= ctx.today,
            TrainingRecord.taken_on >= earliest_counting(kind, ctx.workflow, ctx.today),
        )
        .exists()
    )


def _lacking(ctx: Ctx, roles: list[str], kinds: list[str]) -> tuple[int, int, list[tuple]]:
    """People holding one of `roles` (total), how many lack a record of one of `kinds` that
    counts today, and the first few of them."""
    if not roles:
        return 0, 0, []
    lacking = or_(*(~_counts_today(ctx, k) for k in kinds)) if kinds else literal(False)
    total, missing = ctx.session.execute(
        select(func.count(), _sum(lacking)).where(_holders(ctx, roles))
    ).one()
    examples = []
    if missing:
        examples = ctx.session.execute(
            select(User.id, User.name)
            .where(_holders(ctx, roles), lacking)
            .order_by(User.name, User.id)
            .limit(ctx.examples)
        ).all()
    return int(total), int(missing or 0), examples


def _people(ctx: Ctx, who: dict[str, str], roles: list[str], kinds: list[str]) -> Evidence | None:
    total, missing, examples = _lacking(ctx, roles, kinds)
    if not missing:
        return None
    return _say(
        "{total}名{who}中有{n}名无有效记录：{names}",
        "{n} of {total} {who} hold no valid record: {names}",
        "training.card",
        ("person_id", examples[0][0]),
        bad=True,
        n=missing,
        total=total,
        who=who,
        names=_list([name for _, name in examples], missing),
    )


def _kinds_of(ctx: Ctx, role: str) -> list[str]:
    return [
        kind
        for kind, spec in ctx.workflow.section("training").items()
        if role in spec.get("required_of", [])
    ]


def _local_day(ctx: Ctx, moment: Any) -> Any:
    """The local calendar day of a stored instant, in SQL."""
    zone = local_zone()
    if ctx.postgres:
        return cast(func.timezone(str(zone), moment), Date)
    # SQLite keeps no zones: the zone's offset today (exact for zones without summer time).
    offset = zone.utcoffset(datetime.combine(ctx.today, time(12)))
    return func.date(moment, f"{int(offset.total_seconds() // 60):+d} minutes")


def _record_counts_on(ctx: Ctx, kind: str, day: Any) -> Any:
    """A passed record of this kind counts on `day` (qualification.valid_until, in SQL)."""
    period = figure(ctx.workflow.section("training")[kind]["valid_for"])
    taken = TrainingRecord.taken_on
    if period.unit == "month":
        months = int(period.value)
        if ctx.postgres:  # date + interval 'n months' keeps to the month's last day
            ends = cast(taken + literal_column(f"interval '{months} months'", Interval), Date)
        else:  # SQLite overflows into the next month: cap at the target month's last day
            ends = func.min(
                func.date(taken, f"+{months} months"),
                func.date(taken, "start of month", f"+{months + 1} months", "-1 day"),
            )
    else:
        seconds = int(period.seconds())
        if ctx.postgres:
            ends = cast(taken + literal_column(f"interval '{seconds} seconds'", Interval), Date)
        else:
            ends = func.date(taken, f"+{seconds} seconds")
    return and_(
        TrainingRecord.kind == kind,
        TrainingRecord.passed.is_(True),
        taken <= day,
        ends > day,
    )


# -- 1–2, 16: the key people --------------------------------------------------------------


def principal(ctx: Ctx) -> Found:
    rows = ctx.session.execute(
        select(User.id, User.name)
        .where(_holders(ctx, ["principal"]), User.contractor_id.is_(None))
        .order_by(User.id)
    ).all()
    if not rows:
        return Found(
            [
                _say(
                    "未登记主要负责人",
                    "no principal is on record",
                    "training.people",
                    bad=True,
                )
            ],
            True,
            False,
        )
    signed = ctx.session.scalar(
        select(func.count())
        .select_from(Signature)
        .join(Permit, Permit.id == Signature.permit_id)
        .where(
            _reviewed(ctx),
            Signature.kind == "approve",
            Signature.user_id.in_([uid for uid, _ in rows]),
        )
    )
    return Found(
        [
            _say(
                "主要负责人：{names}",
                "principal: {names}",
                "training.card",
                ("person_id", rows[0][0]),
                names=_list([name for _, name in rows], len(rows)),
            ),
            _say(
                "近{months}个月主要负责人签批作业审批单{n}份",
                "{n} permits approved by the principal in the last {months} months",
                "permits.index",
                n=signed,
                months=ctx.months,
            ),
            _say(
                "对中毒和窒息风险防范措施的熟悉程度，系统中没有记录：须沟通交流了解",
                "how well the principal knows the safety measures is not recorded here: ask",
            ),
        ],
        False,
        True,
    )


def attendants(ctx: Ctx) -> Found:
    lines, not_met, _soon = board.attendants(ctx)
    kinds = _kinds(ctx.workflow, "attendant_competent")
    who = {"zh": role_label("attendant"), "en": "attendants"}
    example = _people(ctx, who, ["attendant"], kinds)
    if example is not None:
        lines = [*lines, example]
    named = not (lines and lines[0].template.get("en") == "no attendant is named")
    return Found(lines, not_met, named)


def rescuers(ctx: Ctx) -> Found:
    kinds = _kinds_of(ctx, "rescuer")
    total, missing, examples = _lacking(ctx, ["rescuer"], kinds)
    who = {"zh": role_label("rescuer"), "en": "rescuers"}
    if not total:
        return Found(
            [_say("未登记应急救援人员", "no rescuer is on record", "training.people", bad=True)],
            False,
            False,
        )
    line = _people(ctx, who, ["rescuer"], kinds)
    if line is None:
        line = _say(
            "{total}名{who}均有有效培训记录",
            "all {total} {who} hold valid training",
            "training.people",
            total=total,
            who=who,
        )
    return Found([line], bool(missing), True)


# -- 3–4: the safety-management system ----------------------------------------------------


def management_system(ctx: Ctx) -> Found:
    lines, not_met, _soon = board.management_system(ctx)
    has = management.current_document(ctx.session, ctx.enterprise.id) is not None
    return Found(lines, not_met, has)


def management_fit(ctx: Ctx) -> Found:
    document = management.current_document(ctx.session, ctx.enterprise.id)
    spec = ctx.pack.section("management_system")
    if document is None:
        return Found([Evidence(spec["no_document"], {}, "rules.system", (), True)], True, False)
    versions = ctx.session.scalar(
        select(func.count())
        .select_from(type(document))
        .where(type(document).enterprise_id == ctx.enterprise.id)
    )
    lines = [
        _say(
            "现行版本{version}《{title}》，{effective}起施行；共{versions}个版本；{file}",
            "version {version} “{title}”, in force from {effective}; {versions} versions in all; "
            "{file}",
            "rules.system",
            version=document.version_label,
            title=document.title,
            effective=document.effective_on.isoformat(),
            versions=versions,
            file={"zh": "原文已上传", "en": "its text is on file"}
            if document.attachment_id
            else {"zh": "原文未上传", "en": "its text is not on file"},
        )
    ]
    violated = False
    in_force = ctx.pack.in_force_from
    if in_force is not None and document.effective_on < in_force:
        violated = True
        lines.append(
            _say(
                "制度自{effective}起施行，早于{pack}施行日{in_force}，未见据此修订",
                "the system dates from {effective}, before {pack} came into force on {in_force}: "
                "no revision since",
                "rules.system",
                bad=True,
                effective=document.effective_on.isoformat(),
                in_force=in_force.isoformat(),
                pack={"zh": ctx.pack.label("zh"), "en": ctx.pack.label("en")},
            )
        )
    lines.append(
        _say(
            "是否符合企业实际、具备科学性、针对性和可操作性，须查阅原文判断",
            "whether it fits the enterprise and is workable is for the expert to judge from its "
            "text",
        )
    )
    return Found(lines, violated, True)


# -- 5–6, 9, 19: the ledger ---------------------------------------------------------------


def ledger(ctx: Ctx) -> Found:
    counts = _spaces(ctx)
    if not counts["total"]:
        return Found(
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
    lines = [
        _say(
            "台账共{total}个有限空间，其中{toxic}个可能产生有毒物质",
            "{total} spaces in the ledger, {toxic} of them where toxic substances may arise",
            "spaces.index",
            total=counts["total"],
            toxic=counts["toxic"],
        )
    ]
    if counts["no_hazards"]:
        codes = _space_codes(ctx, board.space_conditions(ctx)["no_hazards"])
        lines.append(
            _say(
                "{total}个有限空间中有{n}个未列明危险因素：{codes}",
                "{n} of {total} spaces have no hazards listed: {codes}",
                "spaces.show",
                ("code", codes[0]),
                bad=True,
                n=counts["no_hazards"],
                total=counts["total"],
                codes=_list(codes, counts["no_hazards"]),
            )
        )
    return Found(lines, bool(counts["no_hazards"]), True)


def signs(ctx: Ctx) -> Found:
    counts = _spaces(ctx)
    if not counts["total"]:
        return Found(
            [_say("台账中没有有限空间", "the ledger lists no confined space", "spaces.index")],
            False,
            False,
        )
    boards = ctx.session.scalar(
        select(func.count()).where(_active_spaces(ctx), Space.notice_board_placed_on.is_not(None))
    )
    lines = []
    if counts["no_sign"]:
        codes = _space_codes(ctx, Space.sign_placed_on.is_(None))
        lines.append(
            _say(
                "{total}个有限空间中有{n}个未设置警示标志：{codes}",
                "{n} of {total} spaces have no warning sign placed: {codes}",
                "spaces.index",
                ("sign", "missing"),
                bad=True,
                n=counts["no_sign"],
                total=counts["total"],
                codes=_list(codes, counts["no_sign"]),
            )
        )
    else:
        lines.append(
            _say(
                "{total}个有限空间均已设置警示标志",
                "all {total} spaces have their warning sign",
                "spaces.index",
                total=counts["total"],
            )
        )
    lines.append(
        _say(
            "{n}个有限空间登记了安全风险告知牌",
            "{n} spaces have a risk notice board on record",
            "spaces.index",
            n=boards,
        )
    )
    return Found(lines, bool(counts["no_sign"]), True)


def isolation(ctx: Ctx) -> Found:
    counts = _spaces(ctx)
    if not counts["toxic"]:
        return Found(
            [
                _say(
                    "台账中没有可能产生有毒物质的有限空间",
                    "no space in the ledger where toxic substances may arise",
                    "spaces.index",
                )
            ],
            False,
            bool(counts["total"]),
        )
    if counts["toxic_open"]:
        codes = _space_codes(ctx, board.space_conditions(ctx)["toxic_open"])
        return Found(
            [
                _say(
                    "{toxic}个可能产生有毒物质的有限空间中有{n}个未列明物理隔离措施：{codes}",
                    "{n} of {toxic} spaces where toxic substances may arise have no physical "
                    "isolation listed: {codes}",
                    "spaces.show",
                    ("code", codes[0]),
                    bad=True,
                    n=counts["toxic_open"],
                    toxic=counts["toxic"],
                    codes=_list(codes, counts["toxic_open"]),
                )
            ],
            True,
            True,
        )
    lines, _, _ = board.isolation(ctx)
    return Found(lines, False, True)


def disposal_plans(ctx: Ctx) -> Found:
    counts = _spaces(ctx)
    plans = ctx.session.scalar(
        select(func.count()).where(
            DisposalPlan.enterprise_id == ctx.enterprise.id, DisposalPlan.superseded_at.is_(None)
        )
    )
    lines = [
        _say(
            "现行现场处置方案{n}份",
            "{n} on-site disposal plans in force",
            "emergency.index",
            n=plans,
        )
    ]
    if counts["no_plan"]:
        codes = _space_codes(ctx, board.space_conditions(ctx)["no_plan"])
        lines.append(
            _say(
                "{total}个有限空间中有{n}个没有现场处置方案（针对该空间或其类别）：{codes}",
                "{n} of {total} spaces have no on-site disposal plan (for the space or its "
                "class): {codes}",
                "emergency.index",
                bad=True,
                n=counts["no_plan"],
                total=counts["total"],
                codes=_list(codes, counts["no_plan"]),
            )
        )
    return Found(lines, bool(counts["no_plan"]), bool(plans or counts["total"]))


# -- 7–8: training ------------------------------------------------------------------------


def annual_training(ctx: Ctx) -> Found:
    kinds = _kinds(ctx.workflow, "people_trained")
    mine = and_(
        TrainingSession.enterprise_id == ctx.enterprise.id,
        TrainingSession.kind.in_(kinds),
        TrainingSession.held_on <= ctx.today,
    )
    last = ctx.session.execute(
        select(TrainingSession.id, TrainingSession.held_on, TrainingSession.topic)
        .where(mine)
        .order_by(TrainingSession.held_on.desc(), TrainingSession.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return Found(
            [
                _say(
                    "尚无专题安全培训记录",
                    "no topic training on record",
                    "training.index",
                    bad=True,
                )
            ],
            True,
            False,
        )
    session_id, held_on, topic = last
    in_period = ctx.session.scalar(
        select(func.count()).where(mine, TrainingSession.held_on >= ctx.since)
    )
    roles = sorted({r for k in kinds for r in ctx.workflow.section("training")[k]["required_of"]})
    needed = _holders(ctx, roles)
    attended, passed, covered = ctx.session.execute(
        select(
            func.count(),
            _sum(TrainingRecord.passed.is_(True)),
            _sum(
                and_(
                    TrainingRecord.passed.is_(True),
                    TrainingRecord.user_id.in_(select(User.id).where(needed)),
                )
            ),
        ).where(TrainingRecord.session_id == session_id)
    ).one()
    total = ctx.session.scalar(select(func.count()).where(needed))
    stale = held_on < earliest_counting(kinds[0], ctx.workflow, ctx.today)
    lines = [
        _say(
            "最近一次专题培训：{held}《{topic}》，{attended}人参加，{passed}人考核合格；"
            "近{months}个月共{sessions}次",
            "last topic training: {held} “{topic}”, {attended} attended, {passed} passed the "
            "assessment; {sessions} in the last {months} months",
            "training.index",
            bad=stale,
            held=held_on.isoformat(),
            topic=topic,
            attended=attended,
            passed=int(passed or 0),
            months=ctx.months,
            sessions=in_period,
        ),
        _say(
            "覆盖面：{total}名须参加培训的人员中{n}名参加并考核合格",
            "coverage: {n} of the {total} people who need it attended and passed",
            "training.people",
            bad=int(covered or 0) < total,
            n=int(covered or 0),
            total=total,
        ),
    ]
    if stale:
        lines.insert(
            0,
            _say(
                "最近一次专题培训为{held}，已超过一年",
                "the last topic training was on {held}, over a year ago",
                "training.index",
                bad=True,
                held=held_on.isoformat(),
            ),
        )
    return Found(lines, stale, True)


def people_trained(ctx: Ctx) -> Found:
    kinds = _kinds(ctx.workflow, "people_trained")
    who = {"zh": "可参与作业人员", "en": "people who may take part in work"}
    none = _say(
        "没有可参与作业的人员（监护、作业、救援）",
        "nobody may take part in work (attendant, entrant, rescuer)",
        "training.people",
        bad=True,
    )
    lines, not_met, _ = _people_lines(ctx, kinds, who, none)
    roles = sorted({r for k in kinds for r in ctx.workflow.section("training")[k]["required_of"]})
    example = _people(ctx, who, roles, kinds)
    if example is not None:
        lines = [*lines, example]
    return Found(lines, not_met, lines[0] is not none)


def untrained_on_permits(ctx: Ctx) -> Found:
    """People named on permits of the review period whose training, of a kind their permit
    role needs, did not count on the day the work began."""
    reviewed = _reviewed(ctx)
    named = union_all(
        select(
            Permit.id.label("permit_id"),
            Permit.attendant_id.label("user_id"),
            literal("attendant", String).label("role"),
        ).where(reviewed, Permit.attendant_id.is_not(None)),
        select(PermitPerson.permit_id, PermitPerson.user_id, PermitPerson.role)
        .join(Permit, Permit.id == PermitPerson.permit_id)
        .where(reviewed),
    ).subquery()
    day = _local_day(ctx, Permit.window_start)
    checks = []
    for kind, spec in ctx.workflow.section("training").items():
        roles = spec.get("required_of", [])
        if not roles:
            continue
        held = (
            select(TrainingRecord.id)
            .where(TrainingRecord.user_id == named.c.user_id, _record_counts_on(ctx, kind, day))
            .exists()
        )
        checks.append(and_(named.c.role.in_(roles), ~held))
    if not checks:
        return Found([], False, False)
    found = (
        select(named.c.user_id, Permit.number, Permit.window_start)
        .join(Permit, Permit.id == named.c.permit_id)
        .where(or_(*checks))
        .subquery()
    )
    # One pass: per person, their latest such permit; over all, how many people and times.
    per_person = (
        select(
            found.c.user_id,
            func.max(found.c.window_start).label("latest"),
            func.max(found.c.number).label("number"),
            func.count().over().label("people"),
            func.sum(func.count()).over().label("times"),
        )
        .group_by(found.c.user_id)
        .subquery()
    )
    rows = ctx.session.execute(
        select(User.id, User.name, per_person.c.number, per_person.c.people, per_person.c.times)
        .join(User, User.id == per_person.c.user_id)
        .order_by(per_person.c.latest.desc(), User.id)
        .limit(ctx.examples)
    ).all()
    if not rows:
        total = ctx.session.scalar(select(func.count()).where(reviewed))
        return Found(
            [
                _say(
                    "近{months}个月{total}份作业审批单上的人员在作业当日均培训合格",
                    "everyone named on the {total} permits of the last {months} months held "
                    "valid training on the day",
                    "permits.index",
                    total=total,
                    months=ctx.months,
                )
            ],
            False,
            bool(total),
        )
    people, times = int(rows[0].people), int(rows[0].times)
    return Found(
        [
            _say(
                "近{months}个月有{n}人参与作业时无有效培训（共{times}人次）：{who}",
                "{n} people took part in work without valid training in the last {months} "
                "months ({times} times in all): {who}",
                "permits.show",
                ("number", rows[0][2]),
                bad=True,
                n=people,
                times=times,
                months=ctx.months,
                who=_list([f"{row.name}（{row.number}）" for row in rows], people),
            )
        ],
        True,
        True,
    )


# -- 10–13: permits ------------------------------------------------------------------------


def approval_tier(ctx: Ctx) -> Found:
    groups = ctx.session.execute(
        select(
            Permit.workflow, Permit.workflow_version, Signature.tier, Signature.role, func.count()
        )
        .join(Permit, Permit.id == Signature.permit_id)
        .where(_reviewed(ctx), Signature.kind == "approve")
        .group_by(Permit.workflow, Permit.workflow_version, Signature.tier, Signature.role)
    ).all()
    total = sum(count for *_, count in groups)
    if not total:
        return Found(
            [
                _say(
                    "近{months}个月没有审批记录",
                    "no approval in the last {months} months",
                    "permits.index",
                    months=ctx.months,
                )
            ],
            False,
            False,
        )
    tables: dict[tuple[str, str], Any] = {}
    below = [
        (name, version, tier, role, count)
        for name, version, tier, role, count in groups
        if board.signed_below(ctx.session, ctx.enterprise.id, name, version, tier, role, tables)
    ]
    if not below:
        return Found(
            [
                _say(
                    "近{months}个月{total}份审批均由相应级别的审批人签批",
                    "all {total} approvals of the last {months} months were signed at their tier",
                    "permits.index",
                    total=total,
                    months=ctx.months,
                )
            ],
            False,
            True,
        )
    n = sum(count for *_, count in below)
    numbers = _permit_numbers(
        ctx,
        select(Signature.id)
        .where(
            Signature.permit_id == Permit.id,
            Signature.kind == "approve",
            or_(
                *(
                    and_(
                        Permit.workflow == name,
                        Permit.workflow_version == version,
                        Signature.tier == tier,
                        Signature.role == role,
                    )
                    for name, version, tier, role, _ in below
                )
            ),
        )
        .exists(),
    )
    return Found(
        [
            _say(
                "近{months}个月{total}份审批中有{n}份由不具备该级别审批权限的人员签批：{numbers}",
                "{n} of {total} approvals in the last {months} months were signed below their "
                "tier: {numbers}",
                "permits.show",
                ("number", numbers[0]),
                bad=True,
                n=n,
                total=total,
                months=ctx.months,
                numbers=_list(numbers, n),
            )
        ],
        True,
        True,
    )


def _empty(column: Any) -> Any:
    return func.coalesce(func.json_array_length(column), 0) == 0


def permit_contents(ctx: Ctx) -> Found:
    hazards = list(ctx.workflow.section("hazards"))
    on_space, on_permit = cast(Space.hazards, Text), cast(Permit.hazards, Text)
    missed = or_(*(and_(on_space.like(f'%"{k}"%'), ~on_permit.like(f'%"{k}"%')) for k in hazards))
    no_entrant = ~(
        select(PermitPerson.id)
        .where(PermitPerson.permit_id == Permit.id, PermitPerson.role == "entrant")
        .exists()
    )
    problems = {
        "no_hazards": (_empty(Permit.hazards), "未辨识危险因素", "no hazards identified"),
        "missed": (missed, "漏列台账所列的危险因素", "a hazard the ledger lists is missing"),
        "no_controls": (_empty(Permit.control_measures), "未制定管控措施", "no control measures"),
        "no_attendant": (Permit.attendant_id.is_(None), "未明确监护人", "no attendant named"),
        "no_entrant": (no_entrant, "未明确作业人员", "no entrant named"),
    }
    row = ctx.session.execute(
        select(func.count(), *(_sum(c).label(k) for k, (c, _, _) in problems.items()))
        .select_from(Permit)
        .join(Space, Space.id == Permit.space_id)
        .where(_reviewed(ctx))
    ).one()
    total = row[0]
    if not total:
        return Found(
            [
                _say(
                    "近{months}个月没有提交的作业审批单",
                    "no permit submitted in the last {months} months",
                    "permits.index",
                    months=ctx.months,
                )
            ],
            False,
            False,
        )
    lines = []
    for key, (condition, zh, en) in problems.items():
        n = int(row._mapping[key] or 0)
        if not n:
            continue
        numbers = list(
            ctx.session.scalars(
                select(Permit.number)
                .join(Space, Space.id == Permit.space_id)
                .where(_reviewed(ctx), condition)
                .order_by(Permit.window_start.desc(), Permit.id.desc())
                .limit(ctx.examples)
            )
        )
        lines.append(
            _say(
                "{total}份作业审批单中有{n}份{what}：{numbers}",
                "{n} of {total} permits: {what}: {numbers}",
                "permits.show",
                ("number", numbers[0]),
                bad=True,
                n=n,
                total=total,
                what={"zh": zh, "en": en},
                numbers=_list(numbers, n),
            )
        )
    if not lines:
        lines.append(
            _say(
                "近{months}个月{total}份作业审批单均明确了人员、危险因素和管控措施",
                "all {total} permits of the last {months} months name their people, hazards "
                "and controls",
                "permits.index",
                total=total,
                months=ctx.months,
            )
        )
    return Found(lines, any(line.bad for line in lines), True)


def _unconfirmed() -> Any:
    """No control measure confirmed item by item at the briefing (art. 12)."""
    return ~(
        select(PermitCheck.id)
        .where(PermitCheck.permit_id == Permit.id, PermitCheck.event == "brief")
        .exists()
    )


def _unbriefed() -> Any:
    return (
        select(PermitPerson.id)
        .where(
            PermitPerson.permit_id == Permit.id,
            PermitPerson.role == "entrant",
            PermitPerson.briefed_at.is_(None),
        )
        .exists()
    )


def _unventilated() -> Any:
    return Permit.ventilation_started_at.is_(None)


def _worked_counts(ctx: Ctx) -> Mapping[str, int]:
    """The permits worked under in the period and, of them, how many lack each record the
    briefing and ventilation rules read: one pass, shared by those rules."""
    if ctx.worked is None:
        row = ctx.session.execute(
            select(
                func.count().label("total"),
                _sum(_unconfirmed()).label("unconfirmed"),
                _sum(_unbriefed()).label("unbriefed"),
                _sum(_unventilated()).label("unventilated"),
            ).where(_reviewed(ctx), _worked())
        ).one()
        ctx.worked = {k: int(v or 0) for k, v in row._mapping.items()}
    return ctx.worked


def _no_work(ctx: Ctx) -> Found:
    return Found(
        [
            _say(
                "近{months}个月没有进入有限空间作业的记录",
                "no entry into a confined space in the last {months} months",
                "permits.index",
                months=ctx.months,
            )
        ],
        False,
        False,
    )


def _permit_line(ctx: Ctx, key: str, condition: Any, zh: str, en: str) -> Evidence | None:
    counts = _worked_counts(ctx)
    n, total = counts[key], counts["total"]
    if not n:
        return None
    numbers = _permit_numbers(ctx, _worked(), condition)
    return _say(
        "{total}份进入作业的审批单中有{n}份" + zh + "：{numbers}",
        "{n} of {total} permits worked under " + en + ": {numbers}",
        "permits.show",
        ("number", numbers[0]),
        bad=True,
        n=n,
        total=total,
        numbers=_list(numbers, n),
    )


def briefings(ctx: Ctx) -> Found:
    total = _worked_counts(ctx)["total"]
    if not total:
        return _no_work(ctx)
    lines = [
        line
        for line in (
            _permit_line(
                ctx,
                "unconfirmed",
                _unconfirmed(),
                "没有逐项确认管控措施的记录",
                "had no item-by-item confirmation",
            ),
            _permit_line(
                ctx,
                "unbriefed",
                _unbriefed(),
                "有作业人员未确认安全交底",
                "had an entrant not briefed",
            ),
        )
        if line is not None
    ]
    if not lines:
        lines.append(
            _say(
                "{total}份进入作业的审批单均有安全交底和逐项确认记录",
                "all {total} permits worked under record the briefing and the item-by-item "
                "confirmation",
                "permits.index",
                total=total,
            )
        )
    return Found(lines, any(line.bad for line in lines), True)


def tested_before_entry(ctx: Ctx) -> Found:
    total, untested = ctx.session.execute(
        select(func.count(), _sum(EntryLog.gas_test_id.is_(None)))
        .join(Permit, Permit.id == EntryLog.permit_id)
        .where(_reviewed(ctx), EntryLog.direction == "in")
    ).one()
    if not total:
        return Found([], False, False)
    if untested:
        numbers = _permit_numbers(
            ctx,
            select(EntryLog.id)
            .where(
                EntryLog.permit_id == Permit.id,
                EntryLog.direction == "in",
                EntryLog.gas_test_id.is_(None),
            )
            .exists(),
        )
        line = _say(
            "{total}次进入中有{n}次没有通风后的有效合格气体检测：{numbers}",
            "{n} of {total} entries were made without a fresh passing gas test after "
            "ventilation: {numbers}",
            "permits.show",
            ("number", numbers[0]),
            bad=True,
            n=untested,
            total=total,
            numbers=_list(numbers, len(numbers)),
        )
    else:
        line = _say(
            "{total}次进入均有通风后的合格气体检测记录",
            "all {total} entries were made on a passing gas test after ventilation",
            "permits.index",
            total=total,
        )
    return Found([line], bool(untested), True)


def _seconds_between(ctx: Ctx, later: Any, earlier: Any) -> Any:
    if ctx.postgres:
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def monitoring_gaps(ctx: Ctx) -> Found:
    """Silences in the gas record while people were in: between the first entry and the last
    exit (or now, for work still going on), no reading for longer than the pack's interval."""
    interval = ctx.workflow.figure("gas_tests", "monitoring_interval").seconds()
    ends = case(
        (Permit.state == "working", literal(ctx.now, UTCDateTime())),
        else_=func.max(EntryLog.at),
    )
    work = (
        select(
            EntryLog.permit_id.label("permit_id"),
            func.min(case((EntryLog.direction == "in", EntryLog.at))).label("first_in"),
            ends.label("last_at"),
        )
        .join(Permit, Permit.id == EntryLog.permit_id)
        .where(_reviewed(ctx))
        .group_by(EntryLog.permit_id, Permit.state)
        .having(func.min(case((EntryLog.direction == "in", EntryLog.at))).is_not(None))
        .cte("work")
    )
    points = union_all(
        select(Reading.permit_id.label("permit_id"), Reading.taken_at.label("at"))
        .join(work, work.c.permit_id == Reading.permit_id)
        .where(Reading.taken_at > work.c.first_in, Reading.taken_at < work.c.last_at),
        select(work.c.permit_id, work.c.first_in),
        select(work.c.permit_id, work.c.last_at),
    ).subquery()
    lagged = select(
        points.c.permit_id,
        points.c.at,
        func.lag(points.c.at)
        .over(partition_by=points.c.permit_id, order_by=points.c.at)
        .label("before"),
    ).subquery()
    gap = _seconds_between(ctx, lagged.c.at, lagged.c.before)
    silent = (
        select(lagged.c.permit_id, func.max(gap).label("longest"))
        .where(lagged.c.before.is_not(None), gap > interval)
        .group_by(lagged.c.permit_id)
        .subquery()
    )
    # Every permit worked under, the silent ones first: the totals ride on the first rows.
    rows = ctx.session.execute(
        select(
            Permit.number,
            silent.c.longest,
            func.count().over().label("total"),
            func.count(silent.c.permit_id).over().label("n"),
        )
        .select_from(work)
        .join(Permit, Permit.id == work.c.permit_id)
        .outerjoin(silent, silent.c.permit_id == work.c.permit_id)
        .order_by(silent.c.longest.is_(None), silent.c.longest.desc(), Permit.number)
        .limit(ctx.examples)
    ).all()
    if not rows:
        return _no_work(ctx)
    total, n = int(rows[0].total), int(rows[0].n)
    rows = [row for row in rows if row.longest is not None]
    minutes = f"{interval / 60:g}"
    if not n:
        return Found(
            [
                _say(
                    "{total}份进入作业的审批单，作业期间检测记录的间隔均未超过{minutes}分钟",
                    "{total} permits worked under: no gap in the gas record longer than "
                    "{minutes} min while people were in",
                    "permits.index",
                    total=total,
                    minutes=minutes,
                )
            ],
            False,
            True,
        )
    return Found(
        [
            _say(
                "{total}份进入作业的审批单中有{n}份在作业期间超过{minutes}分钟没有检测记录：{numbers}",
                "{n} of {total} permits worked under went over {minutes} min without a gas "
                "reading while people were in: {numbers}",
                "permits.show",
                ("number", rows[0].number),
                bad=True,
                n=n,
                total=total,
                minutes=minutes,
                numbers=_list(
                    [f"{row.number}（{float(row.longest) / 60:.0f} min）" for row in rows], n
                ),
            )
        ],
        True,
        True,
    )


def ventilation(ctx: Ctx) -> Found:
    total = _worked_counts(ctx)["total"]
    if not total:
        return Found([], False, False)
    line = _permit_line(
        ctx, "unventilated", _unventilated(), "没有机械通风记录", "had no ventilation record"
    )
    if line is None:
        line = _say(
            "{total}份进入作业的审批单均有机械通风记录",
            "all {total} permits worked under record mechanical ventilation",
            "permits.index",
            total=total,
        )
    return Found([line], line.bad, True)


# -- 14–15: equipment ----------------------------------------------------------------------


def _in_service(ctx: Ctx) -> Any:
    return and_(Equipment.enterprise_id == ctx.enterprise.id, Equipment.status == IN_SERVICE)


def equipment_provided(ctx: Ctx) -> Found:
    usable = dict(
        ctx.session.execute(
            select(Equipment.kind, func.count())
            .where(_in_service(ctx), Equipment.due_on >= ctx.today)
            .group_by(Equipment.kind)
        ).all()
    )
    kinds = ctx.workflow.section("equipment_kinds")
    lines, violated = [], False
    for need in ctx.workflow.section("required_equipment"):
        names = [kinds.get(k, {"zh": k, "en": k}) for k in need["kinds"]]
        what = {
            "zh": "或".join(n["zh"] for n in names),
            "en": " or ".join(n["en"][:1].lower() + n["en"][1:] for n in names),
        }
        n = sum(usable.get(k, 0) for k in need["kinds"])
        if not n:
            violated = True
        lines.append(
            _say(
                "{what}：可用{n}件",
                "{what}: {n} usable",
                "equipment.index",
                bad=not n,
                what=what,
                n=n,
            )
        )
    return Found(lines, violated, bool(usable) or violated)


def equipment_calibration(ctx: Ctx) -> Found:
    checked = select(EquipmentCheck.id).where(EquipmentCheck.equipment_id == Equipment.id).exists()
    problems = {
        "overdue": (
            Equipment.due_on < ctx.today,
            "超过检定/校准有效期",
            "past their calibration or inspection date",
            ("standing", "overdue"),
        ),
        "no_record": (
            Equipment.due_on.is_(None),
            "无检定/校准记录",
            "with no calibration or inspection record",
            ("standing", "no_record"),
        ),
        "unchecked": (
            ~checked,
            "没有监护人员的定期检查记录",
            "never checked by an attendant",
            None,
        ),
    }
    row = ctx.session.execute(
        select(func.count(), *(_sum(c).label(k) for k, (c, *_) in problems.items())).where(
            _in_service(ctx)
        )
    ).one()
    total = row[0]
    if not total:
        return Found(
            [_say("没有在用装备", "no equipment in service", "equipment.index", bad=True)],
            False,
            False,
        )
    lines = []
    for key, (condition, zh, en, arg) in problems.items():
        n = int(row._mapping[key] or 0)
        if not n:
            continue
        items = ctx.session.execute(
            select(Equipment.serial, Equipment.due_on)
            .where(_in_service(ctx), condition)
            .order_by(Equipment.due_on, Equipment.serial)
            .limit(ctx.examples)
        ).all()
        shown = [
            f"{serial}（{due.isoformat()}）" if key == "overdue" and due else serial
            for serial, due in items
        ]
        lines.append(
            _say(
                "{total}件在用装备中有{n}件" + zh + "：{items}",
                "{n} of {total} items in service " + en + ": {items}",
                "equipment.index" if arg else "equipment.show",
                arg or ("serial", items[0][0]),
                bad=True,
                n=n,
                total=total,
                items=_list(shown, n),
            )
        )
    if not lines:
        lines.append(
            _say(
                "{total}件在用装备均在检定/校准有效期内并有检查记录",
                "all {total} items in service are in date and checked",
                "equipment.index",
                total=total,
            )
        )
    return Found(lines, any(line.bad for line in lines), True)


# -- 17–18: contracted work ---------------------------------------------------------------


def _contracted(ctx: Ctx) -> Any:
    return and_(_reviewed(ctx), Permit.contractor_id.is_not(None))


def contractor_agreements(ctx: Ctx) -> Found:
    lines, without, _ = board.contractors(ctx)
    companies = ctx.session.scalar(
        select(func.count()).where(
            Contractor.enterprise_id == ctx.enterprise.id, Contractor.retired_at.is_(None)
        )
    )
    day = _local_day(ctx, Permit.window_start)
    covered = (
        select(SafetyAgreement.id)
        .where(
            SafetyAgreement.contractor_id == Permit.contractor_id,
            SafetyAgreement.valid_from <= day,
            SafetyAgreement.valid_to >= day,
            or_(
                SafetyAgreement.revoked_at.is_(None),
                SafetyAgreement.revoked_at > Permit.window_start,
            ),
        )
        .exists()
    )
    total, uncovered = ctx.session.execute(
        select(func.count(), _sum(~covered)).where(_contracted(ctx))
    ).one()
    if total:
        if uncovered:
            numbers = _permit_numbers(ctx, Permit.contractor_id.is_not(None), ~covered)
            lines = [
                *lines,
                _say(
                    "近{months}个月{total}份发包作业中有{n}份在作业时没有有效的安全生产管理协议：{numbers}",
                    "{n} of {total} contracted permits in the last {months} months had no valid "
                    "safety agreement on the day: {numbers}",
                    "permits.show",
                    ("number", numbers[0]),
                    bad=True,
                    n=uncovered,
                    total=total,
                    months=ctx.months,
                    numbers=_list(numbers, uncovered),
                ),
            ]
        else:
            lines = [
                *lines,
                _say(
                    "近{months}个月{total}份发包作业在作业时均有有效协议",
                    "all {total} contracted permits of the last {months} months were covered "
                    "by a valid agreement",
                    "permits.index",
                    total=total,
                    months=ctx.months,
                ),
            ]
    return Found(lines, bool(without or uncovered), bool(companies or total))


def contractor_supervision(ctx: Ctx) -> Found:
    supervised = (
        select(PermitPerson.id)
        .where(PermitPerson.permit_id == Permit.id, PermitPerson.role == "supervisor")
        .exists()
    )
    approved = (
        select(Signature.id)
        .where(Signature.permit_id == Permit.id, Signature.kind == "approve")
        .exists()
    )
    total, unsupervised, unapproved = ctx.session.execute(
        select(func.count(), _sum(~supervised), _sum(and_(_worked(), ~approved))).where(
            _contracted(ctx)
        )
    ).one()
    if not total:
        return Found(
            [
                _say(
                    "近{months}个月没有发包的有限空间作业",
                    "no contracted confined-space work in the last {months} months",
                    "contractors.companies",
                    months=ctx.months,
                )
            ],
            False,
            False,
        )
    lines = []
    if unsupervised:
        numbers = _permit_numbers(ctx, Permit.contractor_id.is_not(None), ~supervised)
        lines.append(
            _say(
                "{total}份发包作业中有{n}份未明确本企业现场监督人员：{numbers}",
                "{n} of {total} contracted permits name no on-site supervisor of the "
                "enterprise: {numbers}",
                "permits.show",
                ("number", numbers[0]),
                bad=True,
                n=unsupervised,
                total=total,
                numbers=_list(numbers, unsupervised),
            )
        )
    if unapproved:
        numbers = _permit_numbers(ctx, Permit.contractor_id.is_not(None), _worked(), ~approved)
        lines.append(
            _say(
                "{total}份发包作业中有{n}份未经本企业审批即进入作业：{numbers}",
                "{n} of {total} contracted permits were worked under without the enterprise's "
                "approval: {numbers}",
                "permits.show",
                ("number", numbers[0]),
                bad=True,
                n=unapproved,
                total=total,
                numbers=_list(numbers, unapproved),
            )
        )
    if not lines:
        lines.append(
            _say(
                "近{months}个月{total}份发包作业均经本企业审批并明确现场监督人员",
                "all {total} contracted permits of the last {months} months were approved by "
                "the enterprise and name its on-site supervisor",
                "permits.index",
                total=total,
                months=ctx.months,
            )
        )
    return Found(lines, bool(unsupervised or unapproved), True)


# -- 20: drills ----------------------------------------------------------------------------


def drills(ctx: Ctx) -> Found:
    spec = ctx.pack.section("drills")
    last = last_drill_on(ctx.session, ctx.enterprise.id)
    status = drill_status(ctx.pack, last, ctx.today, ctx.enterprise.drill_period_months)
    mine = and_(
        Drill.enterprise_id == ctx.enterprise.id,
        Drill.held_on >= ctx.since,
        Drill.held_on <= ctx.today,
    )
    held, unevaluated = ctx.session.execute(
        select(func.count(), _sum(func.length(func.trim(Drill.evaluation)) == 0)).where(mine)
    ).one()
    lines, violated = [], False
    if status.status == "not_set":
        violated = True
        lines.append(Evidence(spec["period_not_set"], {}, "emergency.index", (), True))
    if last is None:
        violated = True
        lines.append(Evidence(spec["never_drilled"], {}, "emergency.index", (), True))
        return Found(lines, violated, False)
    overdue = status.status == "overdue"
    violated = violated or overdue
    lines.append(
        _say(
            "上次演练为{last}（{months}个月前）；近{period}个月共演练{held}次",
            "last drill on {last} ({months} months ago); {held} in the last {period} months",
            "emergency.index",
            bad=overdue,
            last=last.isoformat(),
            months=board._months_ago(last, ctx.today),
            held=held,
            period=ctx.months,
        )
    )
    if overdue:
        lines.append(
            Evidence(
                spec["drill_overdue"],
                {"last": last.isoformat(), "due": status.due_on.isoformat()},
                "emergency.index",
                (),
                True,
            )
        )
    if spec.get("evaluation") and unevaluated:
        violated = True
        lines.append(
            _say(
                "{n}次演练没有评估记录",
                "{n} drills have no evaluation on record",
                "emergency.index",
                bad=True,
                n=unevaluated,
            )
        )
    return Found(lines, violated, True)


RULES: dict[str, Callable[[Ctx], Found]] = {
    "principal": principal,
    "attendants": attendants,
    "rescuers": rescuers,
    "management_system": management_system,
    "management_fit": management_fit,
    "ledger": ledger,
    "signs": signs,
    "isolation": isolation,
    "disposal_plans": disposal_plans,
    "annual_training": annual_training,
    "people_trained": people_trained,
    "untrained_on_permits": untrained_on_permits,
    "approval_tier": approval_tier,
    "permit_contents": permit_contents,
    "briefings": briefings,
    "tested_before_entry": tested_before_entry,
    "monitoring_gaps": monitoring_gaps,
    "ventilation": ventilation,
    "equipment_provided": equipment_provided,
    "equipment_calibration": equipment_calibration,
    "contractor_agreements": contractor_agreements,
    "contractor_supervision": contractor_supervision,
    "drills": drills,
}
