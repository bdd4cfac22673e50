"""The last three groups of the pack: the work records (permits, briefings, gas tests), the
emergency plans and drills, and the contractors' agreements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from .. import (
    contractors,
    drills,
    emergency,
)
from ..catalogue import catalogue
from ..clock import local_text
from ..documents.permit_form import permit_pdf
from ..engine import workflow_of
from ..models import (
    Contractor,
    DisposalPlan,
    Drill,
    GasTest,
    Permit,
    PermitCheck,
    PermitPerson,
    Signature,
    Space,
    User,
)
from ..spreadsheet import Column
from ..workflow import Workflow
from .zipped import Ctx, attachments, workbook

# -- 4 作业记录 ------------------------------------------------------------------------------

PERMIT_COLUMNS = (
    Column("seq", "序号", "No.", 6),
    Column("number", "审批单编号", "Permit", 18, style="code"),
    Column("space_code", "有限空间编号", "Space", 12, style="code"),
    Column("space_name", "有限空间名称", "Space name", 22),
    Column("task", "作业类型", "Task", 12),
    Column("tier", "审批级别", "Tier", 14),
    Column("state", "状态", "State", 10),
    Column("start", "作业开始", "Start", 17),
    Column("end", "作业结束", "End", 17),
    Column("requester", "申请人", "Requester", 10),
    Column("approver", "审批人", "Approver", 10),
    Column("approved_at", "审批时间", "Approved", 17),
    Column("attendant", "监护人", "Attendant", 10),
    Column("contractor", "承包单位", "Contractor", 18),
    Column("briefed", "安全交底（已交底/作业人员）", "Briefed", 12),
    Column("confirmed", "逐项确认", "Confirmations", 9),
    Column("tests", "气体检测次数", "Gas tests", 9),
    Column("failed", "不合格次数", "Failed tests", 9),
    Column("form", "审批单全文（资料包内）", "Full form (in the pack)", 34),
)


def _permit_rows(ctx: Ctx) -> list[Mapping[str, Any]]:
    """The period's permits, newest first, each with its briefing, confirmations and gas tests
    counted in the same statement (a 5,000-space enterprise has ten thousand of them a year)."""
    s, e = ctx.session, ctx.enterprise
    requester, attendant, approver = aliased(User), aliased(User), aliased(User)
    entrants = select(func.count(PermitPerson.id)).where(
        PermitPerson.permit_id == Permit.id, PermitPerson.role == "entrant"
    )
    briefed = entrants.where(PermitPerson.briefed_at.is_not(None))
    confirmed = select(func.count(PermitCheck.id)).where(PermitCheck.permit_id == Permit.id)
    tests = select(func.count(GasTest.id)).where(GasTest.permit_id == Permit.id)
    failed = tests.where(GasTest.passed.is_(False))
    last = aliased(Signature)
    approval = (
        select(last.id)
        .where(last.permit_id == Permit.id, last.kind == "approve")
        .order_by(last.id.desc())
        .limit(1)
        .correlate(Permit)
        .scalar_subquery()
    )
    query = (
        select(
            Permit.number,
            Permit.workflow,
            Permit.workflow_version,
            Permit.task_type,
            Permit.risk_tier,
            Permit.state,
            Permit.window_start,
            Permit.window_end,
            Space.code,
            Space.name,
            requester.name,
            attendant.name,
            Contractor.name,
            approver.name,
            Signature.signed_at,
            entrants.scalar_subquery(),
            briefed.scalar_subquery(),
            confirmed.scalar_subquery(),
            tests.scalar_subquery(),
            failed.scalar_subquery(),
        )
        .join(Space, Space.id == Permit.space_id)
        .join(requester, requester.id == Permit.requester_id)
        .outerjoin(attendant, attendant.id == Permit.attendant_id)
        .outerjoin(Contractor, Contractor.id == Permit.contractor_id)
        .outerjoin(Signature, Signature.id == approval)
        .outerjoin(approver, approver.id == Signature.user_id)
        .where(
            Permit.enterprise_id == e.id,
            Permit.state != "draft",  # a draft is a request nobody has acted on, not a record
            Permit.window_start >= ctx.since_at,
            Permit.window_start <= ctx.now,
        )
        .order_by(Permit.window_start.desc(), Permit.id.desc())
    )
    labels: dict[tuple[str, str], Workflow] = {}
    rows = []
    for i, r in enumerate(s.execute(query), start=1):
        wf = labels.get((r[1], r[2]))
        if wf is None:
            wf = labels[(r[1], r[2])] = workflow_of(_Versioned(r[1], r[2]))
        rows.append(
            {
                "seq": i,
                "number": r[0],
                "task": wf.section("task_types").get(r[3] or "", {}).get("zh", r[3] or ""),
                "tier": wf.tier_label(r[4], "zh") if r[4] else "",
                "state": wf.state_label(r[5], "zh") if r[5] in wf.states else r[5],
                "start": local_text(r[6]),
                "end": local_text(r[7]),
                "space_code": r[8],
                "space_name": r[9],
                "requester": r[10],
                "attendant": r[11],
                "contractor": r[12],
                "approver": r[13],
                "approved_at": local_text(r[14]) if r[14] else "",
                "briefed": f"{r[16]}/{r[15]}",
                "confirmed": r[17],
                "tests": r[18],
                "failed": r[19],
                "form": "",
            }
        )
    return rows


@dataclass(frozen=True)
class _Versioned:
    workflow: str
    workflow_version: str


def work_records(ctx: Ctx) -> None:
    s, e = ctx.session, ctx.enterprise
    rows = _permit_rows(ctx)
    ctx.permits_in_period = len(rows)
    if not rows:
        ctx.note(
            f"{ctx.period}没有作业审批记录",
            f"No permit from {ctx.since} to {ctx.today}",
        )
        return
    n = int(ctx.spec["printed_permits"])
    why = ctx.spec["printed_permits_why"]
    recent = {r["number"] for r in rows[:n]}
    permits = {
        p.number: p
        for p in s.scalars(
            select(Permit).where(Permit.enterprise_id == e.id, Permit.number.in_(recent))
        )
    }
    for r in rows[:n]:
        permit = permits[r["number"]]
        ctx.add(
            f"作业审批单/作业审批单-{permit.number}.pdf",
            permit_pdf(s, permit, base_url=ctx.base_url, now=ctx.now, cache=ctx.cache),
            f"作业审批单全文 {permit.number}（{permit.space.code} {permit.space.name}）："
            "审批签字、安全交底、逐项确认、气体检测、进出记录",
            f"The full permit form {permit.number} ({permit.space.code}): signatures, briefing, "
            "confirmations, gas tests, entries",
        )
        r["form"] = ctx.group.entries[-1].path.removeprefix(ctx.group.prefix)
        ctx.printed.append(permit.number)
    ctx.add(
        "作业审批登记表.xlsx",
        workbook(
            f"{e.name} 有限空间作业审批登记表（{ctx.period}）",
            "作业审批登记表",
            PERMIT_COLUMNS,
            rows,
            [
                f"期内（{ctx.period}）全部作业审批单，按作业开始时间由近及远；草稿不列入。",
                why["zh"].format(n=n),
                f"回溯期：{ctx.spec['review_why']['zh']}",
            ],
        ),
        f"作业审批登记表：期内全部{len(rows)}份作业审批单，每份的审批人、安全交底、逐项确认和"
        f"气体检测次数；其中最近{len(ctx.printed)}份附审批单全文",
        f"The permit register: all {len(rows)} permits of the period with approver, briefing, "
        f"confirmations and gas tests; the full form of the {len(ctx.printed)} most recent",
    )
    if len(rows) > n:
        ctx.note(why["zh"].format(n=n), why["en"].format(n=n))


# -- 5 应急预案和演练记录 --------------------------------------------------------------------

DRILL_COLUMNS = (
    Column("seq", "序号", "No.", 6),
    Column("held_on", "演练日期", "Date", 12, style="date"),
    Column("scenario", "演练场景", "Scenario", 36),
    Column("plan", "依据方案", "Plan", 28),
    Column("participants", "参演人员", "Participants", 30),
    Column("evaluation", "演练评估", "Evaluation", 48),
    Column("photos", "照片（资料包内）", "Photos (in the pack)", 30),
)


def emergency_group(ctx: Ctx) -> None:
    s, e = ctx.session, ctx.enterprise
    plans = emergency.active_plans(s, e.id)
    held = list(
        s.scalars(
            select(Drill)
            .where(Drill.enterprise_id == e.id, Drill.held_on >= ctx.since)
            .order_by(Drill.held_on.desc(), Drill.id.desc())
        )
    )
    last = emergency.last_drill_on(s, e.id)
    status = drills.drill_status(ctx.pack, last, ctx.today, e.drill_period_months)
    words = {"met": "按期", "overdue": "逾期", "not_set": "企业未设定演练周期"}
    spaces = {
        sp.id: sp
        for sp in s.scalars(
            select(Space).where(Space.id.in_([p.space_id for p in plans if p.space_id]))
        )
    }
    classes = {key: c.zh for (_, key), c in catalogue().classes.items()}
    if not plans and not held:
        ctx.note(
            f"没有现场处置方案，{ctx.period}没有应急演练记录",
            f"No disposal plan, and no drill from {ctx.since} to {ctx.today}",
        )
    if plans or held:
        sections: list[dict[str, Any]] = [
            {
                "heading": "演练情况",
                "notes": [
                    f"最近一次演练：{last or '无记录'}；"
                    f"{words[status.status]}"
                    + (f"（下次应于{status.due_on}前）" if status.due_on else "")
                    + f"。依据：{status.cite}"
                ],
            }
        ]
        if not plans:
            ctx.note("没有现场处置方案", "No on-site disposal plan")
            sections.append({"heading": "现场处置方案", "notes": ["未制定现场处置方案。"]})
        for plan in plans:
            scope = (
                f"{spaces[plan.space_id].code} {spaces[plan.space_id].name}"
                if plan.space_id in spaces
                else classes.get(plan.catalogue_class or "", plan.catalogue_class or "")
            )
            sections.append(
                {
                    "heading": f"{plan.title}（适用：{scope}；自{plan.effective_on}起施行）",
                    "steps": plan.steps,
                }
            )
        ctx.add(
            "现场处置方案.pdf",
            ctx.pdf("有限空间作业事故现场处置方案", sections),
            f"现行现场处置方案{len(plans)}份（适用范围、施行日期、处置步骤）和演练是否按期",
            f"The {len(plans)} disposal plans in force (scope, date, steps) and whether drills "
            "are on time",
        )
        for plan in plans:
            if plan.attachment_id:
                for a in attachments(s, e.id, [plan.attachment_id]):
                    ctx.attach(a, "预案原件", f"“{plan.title}”原件", f"“{plan.title}” as uploaded")
    if not held:
        if plans:
            ctx.note(f"{ctx.period}没有应急演练记录", f"No drill from {ctx.since} to {ctx.today}")
        return
    names = {
        u.id: u.name
        for u in s.scalars(
            select(User).where(User.id.in_({p for d in held for p in d.participants}))
        )
    }
    titles = {
        p.id: p.title
        for p in s.scalars(select(DisposalPlan).where(DisposalPlan.enterprise_id == e.id))
    }
    photos: dict[int, list[str]] = {}
    for d in held:
        for a in attachments(s, e.id, d.photos):
            ctx.attach(a, "演练照片", f"{d.held_on}演练照片", f"Photo of the drill on {d.held_on}")
            photos.setdefault(d.id, []).append(
                ctx.group.entries[-1].path.removeprefix(ctx.group.prefix)
            )
    ctx.add(
        "应急演练记录.xlsx",
        workbook(
            f"{e.name} 有限空间作业事故应急演练记录（{ctx.period}）",
            "应急演练记录",
            DRILL_COLUMNS,
            (
                {
                    "seq": i,
                    "held_on": d.held_on,
                    "scenario": d.scenario,
                    "plan": titles.get(d.plan_id or 0, ""),
                    "participants": "、".join(names.get(p, "") for p in d.participants),
                    "evaluation": d.evaluation,
                    "photos": "；".join(photos.get(d.id, [])),
                }
                for i, d in enumerate(held, start=1)
            ),
            [f"期内（{ctx.period}）的全部应急演练，最近的在前。"],
        ),
        f"应急演练记录：期内{len(held)}次，场景、参演人员和演练评估",
        f"Drill records: {len(held)} in the period, scenario, participants and evaluation",
    )


# -- 6 承包单位协议 --------------------------------------------------------------------------


def contracts(ctx: Ctx) -> None:
    s, e = ctx.session, ctx.enterprise
    companies = contractors.companies(s, e.id)
    if not companies:
        ctx.note(
            "本企业没有承包单位记录：未将有限空间作业发包，无需安全生产管理协议",
            "No contractor on record: no confined-space work is contracted out, so no safety "
            "agreement is needed",
        )
        return
    tasks = ctx.wf.section("task_types")
    words = {"valid": "有效", "expired": "已过期", "not_yet": "未生效", "revoked": "已撤销"}
    sections = []
    for company in companies:
        state = "合作中" if company.active else f"已停止合作（{company.retire_reason}）"
        rows = [
            [
                f"{a.valid_from} 至 {a.valid_to}",
                "、".join(tasks.get(t, {}).get("zh", t) for t in a.scope),
                a.document_ref,
                a.responsibilities,
                words[contractors.standing(a, ctx.today)]
                + (f"：{a.revoke_reason}" if a.revoked_at else ""),
                a.attachment.filename if a.attachment else "",
            ]
            for a in company.agreements
        ]
        sections.append(
            {
                "heading": f"{company.name}（{state}）",
                "notes": [] if rows else ["未签订安全生产管理协议。"],
                "columns": ["有效期", "适用作业", "协议编号", "各方职责", "状态", "协议文件"],
                "widths": ["16%", "14%", "12%", "32%", "10%", "16%"],
                "rows": rows,
            }
        )
        if company.active and not any(
            contractors.standing(a, ctx.today) == "valid" for a in company.agreements
        ):
            ctx.note(
                f"{company.name}没有有效的安全生产管理协议",
                f"{company.name} has no valid safety agreement",
            )
    ctx.add(
        "承包单位和安全生产管理协议.pdf",
        ctx.pdf("承包单位安全生产管理协议登记表", sections, orientation="landscape"),
        f"承包单位{len(companies)}家及其安全生产管理协议（有效期、适用作业、各方职责、状态）",
        f"{len(companies)} contractors and their safety agreements "
        "(dates, scope, duties, standing)",
    )
    for company in companies:
        for a in company.agreements:
            ctx.attach(
                a.attachment,
                "协议原件",
                f"{company.name}安全生产管理协议原件（{a.valid_from}至{a.valid_to}）",
                f"The agreement with {company.name} as uploaded",
            )
