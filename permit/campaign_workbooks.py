"""The monthly brief and a campaign's summary report as Excel workbooks: the same figures as
the PDFs (permit.campaign_reports), one sheet per table, numbers as numbers."""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

HEAD = PatternFill("solid", fgColor="DDE6F0")
AREA_COLUMNS = (
    ("name", "辖区"),
    ("visits", "服务次数"),
    ("enterprises", "服务企业"),
    ("problems", "发现问题"),
    ("answered", "已答复"),
    ("fixed", "已整改"),
    ("not_fixed", "未整改"),
)


def _sheet(book: Workbook, title: str, header: Sequence[str], rows: list[Sequence[Any]]):
    sheet = book.create_sheet(title)
    sheet.append(list(header))
    for i, _ in enumerate(header, start=1):
        cell = sheet.cell(row=1, column=i)
        cell.font = Font(bold=True)
        cell.fill = HEAD
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(i)].width = 14 if i > 1 else 36
    for row in rows:
        sheet.append(list(row))
    sheet.freeze_panes = "A2"
    return sheet


def _overview(book: Workbook, title: str, subtitle: str, pairs: list[tuple[str, Any]]) -> None:
    sheet = book.active
    sheet.title = "概况"
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([subtitle])
    sheet.append([])
    for label, value in pairs:
        sheet.append([label, value])
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 60


def _tables(book: Workbook, r: dict[str, Any]) -> None:
    _sheet(
        book,
        "专家组",
        ("专家组", "服务次数", "服务企业", "发现问题"),
        [(t["name"], t["visits"], t["enterprises"], t["problems"]) for t in r["teams"]],
    )
    _sheet(
        book,
        "问题分布",
        ("序号", "项目", "问题数"),
        [(g["number"], g["name"], g["count"]) for g in r["by_group"]]
        + [("", "合计", r["problems"])],
    )
    _sheet(
        book,
        "问题最多的要点",
        ("要点", "会诊要点", "问题数"),
        [(t["number"], t["text"], t["count"]) for t in r["top"]],
    )
    if r["areas"]:
        _sheet(
            book,
            "分辖区",
            [label for _, label in AREA_COLUMNS],
            [[a[key] for key, _ in AREA_COLUMNS] for a in r["areas"]],
        )
    _sheet(
        book,
        "未整改移交执法",
        ("企业", "指导服务", "要点", "项目", "问题描述", "回头看日期"),
        [
            (f["enterprise"], f["visit"], f["checkpoint"], f["group"], f["description"], f["on"])
            for f in r["flags"]
        ],
    )


def _bytes(book: Workbook) -> bytes:
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def brief_workbook(r: dict[str, Any]) -> bytes:
    book = Workbook()
    pairs: list[tuple[str, Any]] = [
        ("辖区", r["path"]),
        ("月份", r["month"]),
        ("开展服务（次）", r["visits"]),
        ("服务企业（家）", r["enterprises"]),
        ("发现问题（项）", r["problems"]),
        ("企业已答复（项）", r["answered"]),
        ("回头看已整改（项）", r["fixed"]),
        ("未整改、移交执法（项）", r["not_fixed"]),
        ("统计截至", r["as_of"]),
    ]
    if r["empty"]:
        pairs.insert(2, ("说明", "本月未开展专家指导服务，无问题整改和回头看记录"))
    _overview(book, r["title"], f"{r['path']} · {r['period']}", pairs)
    _tables(book, r)
    _sheet(
        book,
        "专项行动进度",
        ("专项行动", "期间", "计划", "已开展", "待开展"),
        [(c["name"], c["period"], c["planned"], c["done"], c["to_do"]) for c in r["campaigns"]],
    )
    return _bytes(book)


def summary_workbook(r: dict[str, Any]) -> bytes:
    book = Workbook()
    pairs: list[tuple[str, Any]] = [
        ("专项行动", r["name"]),
        ("辖区", r["path"]),
        ("期间", r["period"]),
        ("计划服务（次）", r["planned"]),
        ("已开展（次）", r["visits"]),
        ("已结束（次）", r["closed"]),
        ("待开展（次）", r["to_do"]),
        ("服务企业（家）", r["enterprises"]),
        ("适用企业（家）", r["in_scope"]),
        ("已覆盖适用企业（家）", r["covered"]),
        ("覆盖率", r["coverage"]),
        ("发现问题（项）", r["problems"]),
        ("企业已答复（项）", r["answered"]),
        ("已整改（项）", r["fixed"]),
        ("整改率", r["rectification_rate"]),
        ("未整改、移交执法（项）", r["not_fixed"]),
        ("尚待回头看（项）", r["open"]),
        ("移交执法的企业", "、".join(r["flagged_enterprises"])),
        ("尚未服务的适用企业", "、".join(r["not_served"])),
        ("工作成效", r["effects"]),
        ("经验做法", r["lessons"]),
        ("存在不足", r["shortcomings"]),
        ("统计截至", r["as_of"]),
    ]
    _overview(book, r["title"], f"{r['path']} · {r['period']}", pairs)
    for row in book.active.iter_rows(min_row=4):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    _tables(book, r)
    return _bytes(book)
