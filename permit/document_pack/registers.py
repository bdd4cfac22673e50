"""The first three groups of the pack: the management system and the ledger, training, and
equipment with its certificates."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import (
    equipment,
    ledger_excel,
    management,
    training,
    training_excel,
)
from ..clock import local_text
from ..models import (
    Equipment,
    Space,
    TrainingSession,
)
from ..models.enterprise import role_label
from ..spreadsheet import Column
from .zipped import Ctx, attachments, kind_label, workbook

# -- 1 管理制度和台账 ------------------------------------------------------------------------


def system_and_ledger(ctx: Ctx) -> None:
    s, e = ctx.session, ctx.enterprise
    spaces = list(s.scalars(select(Space).where(Space.enterprise_id == e.id).order_by(Space.code)))
    if spaces:
        ctx.add(
            "有限空间台账.xlsx",
            ledger_excel.write(
                spaces, ctx.wf, title=f"{e.name} 有限空间安全管理台账（{ctx.today}）"
            ),
            f"有限空间台账：{len(spaces)}个有限空间（含已停用），危险有害因素、隔离和控制措施、"
            "警示标志和告知牌设置日期",
            f"The ledger: {len(spaces)} spaces (retired ones included), hazards, isolation and "
            "control measures, dates the signs and notice boards were placed",
        )
    else:
        ctx.note("台账中没有有限空间", "The ledger holds no confined space")
    current = management.current_document(s, e.id)
    versions = management.history(s, e.id)
    tiers = management.tier_table(s, e.id, ctx.wf)
    contracting = management.contracts_out(s, e.id)
    sections = []
    if current is not None:
        sections.append(
            {
                "heading": "一、现行制度",
                "columns": ["制度名称", "版本", "施行日期", "制度文件"],
                "widths": ["40%", "15%", "15%", "30%"],
                "rows": [
                    [
                        current.title,
                        current.version_label,
                        current.effective_on.isoformat(),
                        current.attachment.filename if current.attachment else "",
                    ]
                ],
            }
        )
        sections.append(
            {
                "heading": "二、规则要求的制度内容",
                "columns": ["内容", "依据", "是否涵盖"],
                "widths": ["45%", "40%", "15%"],
                "rows": [
                    [t.label["zh"], t.cite, "已涵盖" if t.covered else "缺少"]
                    for t in management.coverage(current, ctx.pack, contracting)
                ],
            }
        )
        sections.append(
            {
                "heading": "三、版本记录",
                "columns": ["版本", "名称", "施行日期", "登记时间", "状态"],
                "rows": [
                    [
                        d.version_label,
                        d.title,
                        d.effective_on.isoformat(),
                        local_text(d.created_at),
                        "现行"
                        if d.superseded_at is None
                        else f"{local_text(d.superseded_at)}被替代",
                    ]
                    for d in versions
                ],
            }
        )
    else:
        ctx.note(
            "未登记有限空间作业安全管理制度（规则 > 管理制度）",
            "No confined-space safety-management system is on record (Rules > System)",
        )
        sections.append({"heading": "一、现行制度", "notes": ["未登记有限空间作业安全管理制度。"]})
    sections.append(
        {
            "heading": f"{'四' if current else '二'}、作业审批分级",
            "columns": ["审批级别", "审批人", "依据"],
            "widths": ["25%", "40%", "35%"],
            "rows": [
                [
                    t.label["zh"],
                    "或".join(role_label(r) for r in t.approvers)
                    + ("（可书面委托）" if t.written else ""),
                    t.cite,
                ]
                for t in tiers
            ],
        }
    )
    ctx.add(
        "安全管理制度和审批分级表.pdf",
        ctx.pdf("有限空间作业安全管理制度登记表", sections),
        "安全管理制度的现行版本、规则要求的制度内容是否涵盖、版本记录，以及作业审批分级表",
        "The management system's current version, the topics the rules require and whether it "
        "covers them, its versions, and the approval-tier table",
    )
    if current is not None and current.attachment is not None:
        ctx.attach(
            current.attachment,
            "制度原件",
            f"安全管理制度原件（{current.title} {current.version_label}），登记时上传",
            f"The management system itself ({current.title} {current.version_label}) as uploaded",
        )


# -- 2 培训计划和记录 ------------------------------------------------------------------------


def training_group(ctx: Ctx) -> None:
    s, e = ctx.session, ctx.enterprise
    records = [r for r in training_excel.records(s, e.id) if r.taken_on >= ctx.since]
    years = sorted({ctx.since.year, ctx.today.year})
    plan_rows, held_rows = [], []
    sessions: list[TrainingSession] = []
    for year in years:
        plan = training.plan_for(s, e.id, year)
        held = training.held_sessions(s, e.id, year)
        sessions += [h for h in held if h.held_on >= ctx.since]
        words = {"done": "已完成", "due": "未到期", "late": "逾期未完成"}
        for item, match, word in training.plan_progress(plan, held, ctx.today):
            plan_rows.append(
                [
                    f"{item.year}-{item.month:02d}",
                    kind_label(ctx.wf, item.kind),
                    item.topic,
                    "、".join(role_label(r) for r in item.audience),
                    words[word] + (f"（{match.held_on}）" if match else ""),
                ]
            )
    for held in sorted(sessions, key=lambda h: (h.held_on, h.id)):
        held_rows.append(
            [
                held.held_on.isoformat(),
                kind_label(ctx.wf, held.kind),
                held.topic,
                held.trainer,
                f"{held.hours:g}",
                str(sum(1 for r in held.records if r.passed)) + "/" + str(len(held.records)),
            ]
        )
    if not plan_rows and not held_rows and not records:
        ctx.note(
            f"{ctx.period}没有培训计划或培训记录",
            f"No training plan or record from {ctx.since} to {ctx.today}",
        )
        return
    if not plan_rows:
        ctx.note(
            f"{'、'.join(map(str, years))}年未制定培训计划",
            f"No training plan for {', '.join(map(str, years))}",
        )
    ctx.add(
        "培训计划和培训记录.pdf",
        ctx.pdf(
            "有限空间作业安全培训计划和记录",
            [
                {
                    "heading": f"一、培训计划（{'、'.join(map(str, years))}年）及完成情况",
                    "notes": [] if plan_rows else ["未制定培训计划。"],
                    "columns": ["计划月份", "培训类别", "主题", "参训对象", "完成情况"],
                    "widths": ["12%", "20%", "30%", "18%", "20%"],
                    "rows": plan_rows,
                },
                {
                    "heading": f"二、已举办的培训（{ctx.period}）",
                    "notes": [] if held_rows else ["期内未举办培训。"],
                    "columns": ["日期", "培训类别", "主题", "培训人", "学时", "合格/参训"],
                    "widths": ["12%", "20%", "30%", "14%", "8%", "16%"],
                    "rows": held_rows,
                },
            ],
        ),
        "培训计划及完成情况，期内举办的每次培训（类别、主题、培训人、学时、合格人数）",
        "The training plan and how far it is done; every session held in the period "
        "(kind, topic, trainer, hours, how many passed)",
    )
    if records:
        ctx.add(
            "培训记录.xlsx",
            training_excel.write(
                s, e, records, ctx.wf, title=f"{e.name} 有限空间作业安全培训记录（{ctx.period}）"
            ),
            f"培训签到和考核记录：{len(records)}条，每名参训人员每次培训一行（含承包单位人员）",
            f"Sign-in and assessment records: {len(records)}, one row per person per session "
            "(contractors' workers included)",
        )
    ids = [a for held in sessions for a in held.materials]
    for attachment in attachments(s, e.id, ids):
        ctx.attach(
            attachment, "培训材料", "培训材料原件（培训记录上传）", "Training material as uploaded"
        )


# -- 3 装备台账和检定检验记录 ----------------------------------------------------------------

EQUIPMENT_COLUMNS = (
    Column("seq", "序号", "No.", 6),
    Column("serial", "编号", "Serial", 14, style="code"),
    Column("kind", "类别", "Kind", 18),
    Column("name", "名称", "Name", 28),
    Column("gases", "检测气体", "Gases", 20),
    Column("pump", "泵吸式", "Pump suction", 8),
    Column("status", "状态", "Status", 8),
    Column("due_on", "下次检定/校准/检验", "Next due", 14, style="date"),
    Column("standing", "有效性", "Standing", 16),
    Column("last", "最近检定/检验", "Last certificate", 36),
    Column("checked", "最近检查", "Last check", 22),
)
CERTIFICATE_COLUMNS = (
    Column("seq", "序号", "No.", 6),
    Column("serial", "装备编号", "Serial", 14, style="code"),
    Column("name", "装备名称", "Name", 24),
    Column("kind", "类型", "Kind", 8),
    Column("performed_on", "日期", "Date", 12, style="date"),
    Column("valid_until", "有效期至", "Valid until", 12, style="date"),
    Column("agency", "检定/检验机构", "Agency", 24),
    Column("certificate_no", "证书编号", "Certificate", 18, style="code"),
    Column("file", "证书文件（资料包内）", "File (in the pack)", 36),
)
DUE_SOON_DAYS = 30  # as the register page warns: a display setting, not a rule
STANDING = {
    "ok": "有效",
    "due_soon": "即将到期",
    "overdue": "超过有效期",
    "no_record": "无检定/校准记录",
    "out_of_service": "停用",
    "retired": "报废",
}


def equipment_group(ctx: Ctx) -> None:
    s, e = ctx.session, ctx.enterprise
    items = list(
        s.scalars(
            select(Equipment)
            .where(Equipment.enterprise_id == e.id)
            .options(selectinload(Equipment.certificates), selectinload(Equipment.checks))
            .order_by(Equipment.kind, Equipment.serial)
        )
    )
    if not items:
        ctx.note("装备台账中没有装备", "The equipment register holds no item")
        return
    kinds = ctx.wf.section("equipment_kinds")
    gases = ctx.wf.section("gases")

    def row(seq: int, item: Equipment) -> dict[str, Any]:
        last = item.certificates[0] if item.certificates else None
        check = item.checks[0] if item.checks else None
        return {
            "seq": seq,
            "serial": item.serial,
            "kind": kinds.get(item.kind, {}).get("zh", item.kind),
            "name": item.name,
            "gases": "、".join(gases.get(g, {}).get("zh", g) for g in item.gases),
            "pump": "是" if item.pump_suction else "",
            "status": equipment.STATUS_LABELS.get(item.status, {}).get("zh", item.status),
            "due_on": item.due_on,
            "standing": STANDING.get(
                equipment.standing(item, ctx.today, DUE_SOON_DAYS), item.status
            ),
            "last": (
                f"{equipment.CERTIFICATE_KINDS[last.kind]['zh']} {last.performed_on} "
                f"{last.agency} {last.certificate_no}".strip()
                if last
                else ""
            ),
            "checked": (
                f"{local_text(check.checked_at)} {'合格' if check.passed else '不合格'}"
                if check
                else ""
            ),
        }

    ctx.add(
        "装备台账.xlsx",
        workbook(
            f"{e.name} 有限空间作业安全防护及应急救援装备台账（{ctx.today}）",
            "装备台账",
            EQUIPMENT_COLUMNS,
            (row(i, item) for i, item in enumerate(items, start=1)),
            ["有效性按资料生成当日判断；检定/检验记录见同一文件夹的检定检验记录.xlsx。"],
        ),
        f"装备台账：{len(items)}件（气体检测仪、通风、呼吸防护、安全带等），状态、下次检定日期和有效性",
        f"The equipment register: {len(items)} items, status, next due date and standing",
    )
    certificates = [(item, c) for item in items for c in item.certificates]
    overdue = [i for i in items if equipment.standing(i, ctx.today, 0) in ("overdue", "no_record")]
    if overdue:
        ctx.note(
            f"{len(overdue)}件在用装备超过检定/校准有效期或无记录："
            + "、".join(i.serial for i in overdue[:10]),
            f"In service but overdue or without a record: {len(overdue)}",
        )
    if not certificates:
        ctx.note(
            "没有登记检定/检验/校准记录", "No verification, inspection or calibration on record"
        )
        return
    files: dict[int, str] = {}
    for item, c in certificates:
        if c.attachment is not None:
            before = len(ctx.group.entries)
            ctx.attach(
                c.attachment,
                "检定检验证书",
                f"{item.serial} {item.name} 的{equipment.CERTIFICATE_KINDS[c.kind]['zh']}"
                f"证书原件（{c.performed_on}）",
                f"Certificate of {item.serial} ({c.performed_on}) as uploaded",
            )
            files[c.id] = ctx.group.entries[before].path.removeprefix(ctx.group.prefix)
    ctx.add(
        "检定检验记录.xlsx",
        workbook(
            f"{e.name} 装备检定/检验/校准记录（{ctx.today}）",
            "检定检验记录",
            CERTIFICATE_COLUMNS,
            (
                {
                    "seq": i,
                    "serial": item.serial,
                    "name": item.name,
                    "kind": equipment.CERTIFICATE_KINDS[c.kind]["zh"],
                    "performed_on": c.performed_on,
                    "valid_until": c.valid_until,
                    "agency": c.agency,
                    "certificate_no": c.certificate_no,
                    "file": files.get(c.id, ""),
                }
                for i, (item, c) in enumerate(certificates, start=1)
            ),
            ["每次检定、检验、校准一行，最新的在前；有证书文件的附在“检定检验证书”文件夹中。"],
        ),
        f"检定/检验/校准记录：{len(certificates)}条，机构、证书编号和有效期",
        f"Verification, inspection and calibration records: {len(certificates)}",
    )
