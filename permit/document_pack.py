"""The documents an enterprise prepares for the experts' visit (000 现场会诊企业应备资料清单),
as one zip generated from its records: a folder for each of the list's six groups, holding PDFs and
workbooks built from the registers and the files uploaded with them, and an index at the root
naming every file and what it holds. A group with no records says so in a note of its own."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from io import BytesIO
from pathlib import PurePath
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, selectinload, undefer

from . import (
    contractors,
    documents,
    drills,
    emergency,
    equipment,
    inspections,
    ledger_excel,
    management,
    training,
    training_excel,
)
from .catalogue import catalogue
from .clock import local_date, local_text, local_zone
from .compliance import pack_for
from .documents import PdfCache
from .documents.permit_form import permit_pdf
from .models import (
    Attachment,
    Contractor,
    DisposalPlan,
    Drill,
    Enterprise,
    Equipment,
    GasTest,
    Permit,
    PermitCheck,
    PermitPerson,
    Signature,
    Space,
    TrainingSession,
    User,
)
from .packs import Pack
from .qualification import add_months
from .spreadsheet import Column
from .workflow import Workflow, figure

INDEX = "0 资料清单.xlsx"
NOTE = "说明（无记录）.pdf"


@dataclass(frozen=True)
class Entry:
    """One file of the pack: where it sits in the zip and what it holds."""

    path: str
    holds: dict[str, str]


@dataclass
class Group:
    key: str
    number: int
    folder: str
    label: dict[str, str]
    entries: list[Entry] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)  # what the records lack

    @property
    def prefix(self) -> str:
        return f"{self.number} {self.folder}/"


@dataclass
class Contents:
    """What a built pack holds, for the index, the tests and the benchmark."""

    groups: list[Group]
    since: date
    printed: list[str]  # the permits whose full form is in the pack
    permits_in_period: int

    @property
    def files(self) -> list[str]:
        return [INDEX, *(e.path for g in self.groups for e in g.entries)]


@dataclass
class _Ctx:
    session: Session
    enterprise: Enterprise
    pack: Pack
    wf: Workflow
    spec: Mapping[str, Any]
    now: datetime
    today: date
    since: date
    base_url: str
    cache: PdfCache | None
    out: zipfile.ZipFile
    group: Group | None = None
    names: set[str] = field(default_factory=set)
    printed: list[str] = field(default_factory=list)
    permits_in_period: int = 0

    @property
    def since_at(self) -> datetime:
        return datetime.combine(self.since, time.min, tzinfo=local_zone()).astimezone(UTC)

    @property
    def period(self) -> str:
        return f"{self.since.isoformat()} 至 {self.today.isoformat()}"

    def add(self, name: str, data: bytes, zh: str, en: str) -> None:
        """A file into the current group's folder; a name already taken gets a number."""
        assert self.group is not None
        path = self.group.prefix + name
        stem, suffix = PurePath(name).stem, PurePath(name).suffix
        n = 1
        while path in self.names:
            n += 1
            path = f"{self.group.prefix}{stem}（{n}）{suffix}"
        self.names.add(path)
        # Stored, not deflated: PDFs, workbooks and photos are compressed already.
        self.out.writestr(zipfile.ZipInfo(path, _stamp(self.now)), data)
        self.group.entries.append(Entry(path, {"zh": zh, "en": en}))

    def note(self, zh: str, en: str) -> None:
        assert self.group is not None
        self.group.notes.append({"zh": zh, "en": en})

    def pdf(self, title: str, sections: list[dict[str, Any]], **extra: Any) -> bytes:
        return documents.render(
            "pack.html",
            cache=self.cache,
            d={
                "title": title,
                "enterprise": self.enterprise.name,
                "as_of": local_text(self.now),
                "basis": f"{self.spec['cite']} · 依据：{self.pack.label('zh')}",
                "orientation": extra.get("orientation", "portrait"),
                "sections": [_section(s) for s in sections],
            },
        )

    def attach(self, attachment: Attachment | None, folder: str, zh: str, en: str) -> None:
        """The uploaded file itself, under its own name, in a subfolder of the group."""
        if attachment is None:
            return
        name = PurePath(attachment.filename).name.strip(". ") or f"file-{attachment.id}"
        self.add(f"{folder}/{name}", attachment.data, zh, en)


def _stamp(now: datetime) -> tuple[int, int, int, int, int, int]:
    local = now.astimezone(local_zone())
    return (max(local.year, 1980), local.month, local.day, local.hour, local.minute, local.second)


def _section(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "heading": raw["heading"],
        "notes": list(raw.get("notes", [])),
        "steps": list(raw.get("steps", [])),
        "columns": list(raw.get("columns", [])),
        "rows": [["—" if c is None or c == "" else c for c in row] for row in raw.get("rows", [])],
        "widths": list(raw.get("widths", [])),
    }


def _workbook(
    title: str,
    sheet_name: str,
    columns: tuple[Column, ...],
    rows: Iterable[Mapping[str, Any]],
    notes: list[str],
) -> bytes:
    """A register's sheet under Chinese headers, as the project's other workbooks lay it out,
    streamed (write-only): the permit register of a busy year is ten thousand rows, and a
    styled cell costs twice a plain one, so only dates carry a format of their own."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name)
    for i, c in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = c.width
    sheet.freeze_panes = "B3"
    heading = WriteOnlyCell(sheet, title)
    heading.font = Font(bold=True, size=14)
    sheet.append([heading])
    header = []
    for c in columns:
        cell = WriteOnlyCell(sheet, c.zh)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
        header.append(cell)
    sheet.append(header)
    dates = [i for i, c in enumerate(columns) if c.style == "date"]
    for row in rows:
        values: list[Any] = [row.get(c.field) for c in columns]
        for i in dates:
            if values[i] is not None:
                cell = WriteOnlyCell(sheet, values[i])
                cell.number_format = "yyyy-mm-dd"
                values[i] = cell
        sheet.append(values)
    about = book.create_sheet("说明")
    about.column_dimensions["A"].width = 100
    for note in notes:
        about.append([note])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def spec() -> Mapping[str, Any]:
    """The list (000) as the visit's workflow file holds it, with the pack's own figures."""
    return inspections.workflow().section("documents")


def review_since(today: date) -> date:
    return add_months(today, -int(figure(spec()["review"]).value))


# -- 1 管理制度和台账 ------------------------------------------------------------------------


def _system_and_ledger(ctx: _Ctx) -> None:
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
                    "或".join(_role(r) for r in t.approvers)
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


def _role(role: str) -> str:
    from .models.enterprise import role_label

    return role_label(role)


# -- 2 培训计划和记录 ------------------------------------------------------------------------


def _training(ctx: _Ctx) -> None:
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
                    _kind(ctx.wf, item.kind),
                    item.topic,
                    "、".join(_role(r) for r in item.audience),
                    words[word] + (f"（{match.held_on}）" if match else ""),
                ]
            )
    for held in sorted(sessions, key=lambda h: (h.held_on, h.id)):
        held_rows.append(
            [
                held.held_on.isoformat(),
                _kind(ctx.wf, held.kind),
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
    for attachment in _attachments(s, e.id, ids):
        ctx.attach(
            attachment, "培训材料", "培训材料原件（培训记录上传）", "Training material as uploaded"
        )


def _kind(wf: Workflow, kind: str) -> str:
    return wf.section("training").get(kind, {}).get("zh", kind)


def _attachments(session: Session, enterprise_id: int, ids: Iterable[int]) -> list[Attachment]:
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    found = {
        a.id: a
        for a in session.scalars(
            select(Attachment)
            .where(Attachment.enterprise_id == enterprise_id, Attachment.id.in_(wanted))
            .options(undefer(Attachment.data))
        )
    }
    return [found[i] for i in wanted if i in found]


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


def _equipment(ctx: _Ctx) -> None:
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
        _workbook(
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
        _workbook(
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


def _permit_rows(ctx: _Ctx) -> list[Mapping[str, Any]]:
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
            from .engine import workflow_of

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


def _work_records(ctx: _Ctx) -> None:
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
        _workbook(
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


def _emergency(ctx: _Ctx) -> None:
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
                for a in _attachments(s, e.id, [plan.attachment_id]):
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
        for a in _attachments(s, e.id, d.photos):
            ctx.attach(a, "演练照片", f"{d.held_on}演练照片", f"Photo of the drill on {d.held_on}")
            photos.setdefault(d.id, []).append(
                ctx.group.entries[-1].path.removeprefix(ctx.group.prefix)
            )
    ctx.add(
        "应急演练记录.xlsx",
        _workbook(
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


def _contracts(ctx: _Ctx) -> None:
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


BUILDERS: dict[str, Callable[[_Ctx], None]] = {
    "system_and_ledger": _system_and_ledger,
    "training": _training,
    "equipment": _equipment,
    "work_records": _work_records,
    "emergency": _emergency,
    "contracts": _contracts,
}


# -- the pack ----------------------------------------------------------------------------


def build(
    session: Session,
    enterprise_id: int,
    out: IO[bytes],
    *,
    now: datetime,
    base_url: str,
    cache: PdfCache | None = None,
) -> Contents:
    """Write the enterprise's pack as a zip to `out` (a file: a temporary one for a download,
    so that a large pack never sits in memory whole) and say what it holds."""
    today = local_date(now)
    pack = pack_for(session, enterprise_id, today)
    head = spec()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        ctx = _Ctx(
            session=session,
            enterprise=session.get(Enterprise, enterprise_id),
            pack=pack,
            wf=pack.workflows["confined_space"],
            spec=head,
            now=now,
            today=today,
            since=review_since(today),
            base_url=base_url,
            cache=cache,
            out=archive,
        )
        groups = []
        for number, item in enumerate(head["items"], start=1):
            ctx.group = Group(
                key=item["key"],
                number=number,
                folder=item["folder"],
                label={"zh": item["zh"], "en": item["en"]},
            )
            BUILDERS[item["key"]](ctx)
            if not ctx.group.entries:
                # Never an empty folder: the note says what the records lack.
                ctx.add(
                    NOTE,
                    ctx.pdf(
                        f"{item['zh']}：无记录",
                        [
                            {
                                "heading": "说明",
                                "notes": [n["zh"] for n in ctx.group.notes],
                            }
                        ],
                    ),
                    "说明：" + "；".join(n["zh"] for n in ctx.group.notes),
                    "Note: " + "; ".join(n["en"] for n in ctx.group.notes),
                )
            groups.append(ctx.group)
        contents = Contents(groups, ctx.since, ctx.printed, ctx.permits_in_period)
        archive.writestr(zipfile.ZipInfo(INDEX, _stamp(now)), _index(ctx, contents))
    return contents


def _index(ctx: _Ctx, contents: Contents) -> bytes:
    """The root's list of every file with what it holds, and each group's notes."""
    book = Workbook()
    sheet = book.active
    sheet.title = "资料清单"
    n = int(ctx.spec["printed_permits"])
    head = [
        [f"{ctx.enterprise.name} 现场会诊应备资料清单"],
        [
            f"生成时间：{local_text(ctx.now)}；依据：{ctx.spec['cite']}；适用规则：{ctx.pack.label('zh')}"
        ],
        [f"作业记录、培训记录和演练记录的回溯期：{ctx.period}。{ctx.spec['review_why']['zh']}"],
        [ctx.spec["printed_permits_why"]["zh"].format(n=n)],
        [],
        ["序号", "资料类别", "文件", "内容", "Contents"],
    ]
    for line in head:
        sheet.append(line)
    sheet["A1"].font = Font(bold=True, size=14)
    for cell in sheet[6]:
        cell.font = Font(bold=True)
    seq = 0
    for group in contents.groups:
        label = f"{group.number}. {group.label['zh']}"
        for entry in group.entries:
            seq += 1
            sheet.append([seq, label, entry.path, entry.holds["zh"], entry.holds["en"]])
        for note in group.notes:
            sheet.append(["", label, "（说明）", note["zh"], note["en"]])
    for letter, width in zip("ABCDE", (6, 36, 52, 70, 60), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=7):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    sheet.freeze_panes = "A7"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def filename(enterprise: Enterprise, now: datetime) -> str:
    return f"现场会诊资料-{enterprise.code}-{local_date(now).isoformat()}.zip"
