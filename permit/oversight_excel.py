"""The annual enforcement plan (年度执法工作计划, art. 16) as an Excel workbook: one row per key
inspection target, with the items its inspection stresses and the article that says so."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment

from .oversight import Board, Target, industry_label
from .spreadsheet import head

# (zh, en, width)
COLUMNS = (
    ("序号", "No.", 6),
    ("企业编码", "Code", 12),
    ("企业名称", "Enterprise", 28),
    ("所属辖区", "Jurisdiction", 14),
    ("行业", "Industry", 12),
    ("中毒风险有限空间（个）", "Spaces with a poisoning risk", 12),
    ("危险有害因素", "Hazards", 18),
    ("重点监管有限空间（个）", "Key-supervision spaces", 12),
    ("检查重点", "Inspection stresses", 36),
    ("会诊表对应项", "Consultation-form items", 14),
    ("依据", "Basis", 48),
    ("本年指导服务（次）", "Visits this year", 10),
    ("未整改问题", "Open problems", 10),
    ("逾期未整改", "Overdue", 10),
    ("移交执法", "Flagged for enforcement", 10),
)


def _row(n: int, target: Target, lang: str) -> list:
    line = target.enterprise
    sep = "；" if lang == "zh" else "; "
    cites = list(dict.fromkeys([target.cite, *(s.cite for s in target.stress)]))
    return [
        n,
        line.code,
        line.name,
        line.node.name,
        industry_label(line.industry)[lang],
        line.target_spaces,
        sep.join(h[lang] for h in target.hazards),
        line.key_spaces,
        "\n".join(s.label[lang] for s in target.stress),
        "\n".join(", ".join(str(c) for c in s.checkpoints) for s in target.stress),
        "\n".join(cites),
        sum(line.visits.values()),
        line.open_problems,
        line.overdue,
        line.flagged,
    ]


def plan_workbook(board: Board, lang: str = "zh") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "执法工作计划" if lang == "zh" else "Enforcement plan"
    title = (
        f"{board.node.name} {board.year}年度有限空间作业执法工作计划（重点检查对象）"
        if lang == "zh"
        else f"{board.node.name}: confined-space enforcement plan {board.year} (key targets)"
    )
    head(sheet, title, [(zh if lang == "zh" else en, width) for zh, en, width in COLUMNS])
    top = Alignment(vertical="top", wrap_text=True)
    for n, target in enumerate(board.plan, start=1):
        sheet.append(_row(n, target, lang))
        for cell in sheet[sheet.max_row]:
            cell.alignment = top
    sheet.freeze_panes = "C3"
    out = BytesIO()
    book.save(out)
    return out.getvalue()
