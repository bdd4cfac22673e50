"""The pack as a zip: one folder a group in the list's order, the files each group's builder
adds, a note where a group has nothing to show, and the index of every file at the root."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO
from pathlib import PurePath
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from .. import (
    documents,
    inspections,
)
from ..clock import local_date, local_midnight, local_text, local_zone
from ..compliance import pack_for
from ..documents import PdfCache
from ..models import (
    Attachment,
    Enterprise,
)
from ..packs import Pack
from ..qualification import add_months
from ..spreadsheet import Column
from ..workflow import Workflow, figure

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
class Ctx:
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
        return local_midnight(self.since)

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


def workbook(
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


def kind_label(wf: Workflow, kind: str) -> str:
    return wf.section("training").get(kind, {}).get("zh", kind)


def attachments(session: Session, enterprise_id: int, ids: Iterable[int]) -> list[Attachment]:
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
        ctx = Ctx(
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
            builders()[item["key"]](ctx)
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


def _index(ctx: Ctx, contents: Contents) -> bytes:
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


def builders() -> dict[str, Callable[[Ctx], None]]:
    """Each group of the list (by its key in visit.toml) and the function that fills it."""
    from .registers import equipment_group, system_and_ledger, training_group
    from .work import contracts, emergency_group, work_records

    return {
        "system_and_ledger": system_and_ledger,
        "training": training_group,
        "equipment": equipment_group,
        "work_records": work_records,
        "emergency": emergency_group,
        "contracts": contracts,
    }
