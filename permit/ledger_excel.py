"""The ledger as an Excel workbook, in the layout enterprises keep their 台账 in: one row a
space, Chinese column headers, list cells separated by 、 or ；. Import checks every row before
it changes anything, and names each bad cell by row and column in the reader's language."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy.orm import Session

from . import access, ledger
from .catalogue import catalogue, is_key_supervision
from .clock import Clock
from .errors import InvalidInput, Reason, plain
from .models import Space, User
from .workflow import Workflow

SHEET = "有限空间台账"
OPTIONS_SHEET = "填写说明"
MAX_ROWS = 5000
HEADER_SEARCH_ROWS = 10  # a title or two may stand above the header row


@dataclass(frozen=True)
class Column:
    field: str
    zh: str
    en: str
    width: int
    imported: bool = True  # False: written for the reader, derived again on import

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


COLUMNS = [
    Column("seq", "序号", "No.", 6, imported=False),
    Column("code", "编号", "Code", 12),
    Column("name", "名称", "Name", 28),
    Column("location", "位置", "Location", 22),
    Column("industry", "行业", "Industry", 14),
    Column("catalogue_class", "类别", "Class", 22),
    Column("key_supervision", "重点监管", "Key supervision", 10, imported=False),
    Column("hazards", "危险有害因素", "Hazards", 28),
    Column("isolation_measures", "隔离措施", "Isolation measures", 28),
    Column("control_measures", "控制措施", "Control measures", 40),
    Column("deep", "深/浅", "Deep or shallow", 8),
    Column("sign_placed_on", "警示标志设置日期", "Warning sign placed on", 16),
    Column("notice_board_placed_on", "风险告知牌设置日期", "Risk notice board placed on", 18),
    Column("status", "状态", "Status", 8),
]
BY_FIELD = {c.field: c for c in COLUMNS}
REQUIRED = ("code", "name", "industry")
STATUS_WORDS = {
    "在用": "active",
    "active": "active",
    "停用": "retired",
    "已停用": "retired",
    "retired": "retired",
}


@dataclass(frozen=True)
class CellError:
    row: int
    field: str
    reason: Reason

    def column(self, lang: str) -> str:
        return BY_FIELD[self.field].label(lang)

    def text(self, lang: str = "zh") -> str:
        if lang == "en":
            return f"Row {self.row}, column '{self.column('en')}': {self.reason.message('en')}"
        return f"第 {self.row} 行「{self.column('zh')}」: {self.reason.message('zh')}"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[CellError] = field(default_factory=list)
    applied: bool = False  # False: refused because of bad rows, nothing was changed

    @property
    def bad_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors})


# -- export ----------------------------------------------------------------------------------


def _cell_values(space: Space, wf: Workflow, seq: int) -> dict[str, Any]:
    cat = catalogue()
    hazards = wf.section("hazards")
    cls = cat.classes.get((space.industry, space.catalogue_class or ""))
    return {
        "seq": seq,
        "code": space.code,
        "name": space.name,
        "location": space.location,
        "industry": cat.industries.get(space.industry, {}).get("zh", space.industry),
        "catalogue_class": cls.zh if cls else (space.catalogue_class or ""),
        "key_supervision": "是" if is_key_supervision(space, wf) else "否",
        "hazards": "、".join(hazards.get(h, {}).get("zh", h) for h in space.hazards),
        "isolation_measures": "；".join(space.isolation_measures),
        "control_measures": "；".join(space.control_measures),
        "deep": "深" if space.deep else "浅",
        "sign_placed_on": space.sign_placed_on,
        "notice_board_placed_on": space.notice_board_placed_on,
        "status": "在用" if space.active else "停用",
    }


def write(spaces: Iterable[Space], wf: Workflow, *, title: str) -> bytes:
    """The workbook: the ledger sheet, and a sheet of the values each column accepts."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    last = get_column_letter(len(COLUMNS))
    sheet.append([title])
    sheet.merge_cells(f"A1:{last}1")
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append([c.zh for c in COLUMNS])
    thin = Side(style="thin", color="999999")
    for i, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=2, column=i)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
        cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(i)].width = column.width
    # Named styles: a cell takes one by name, far cheaper than building its own per cell.
    top = Alignment(vertical="top", wrap_text=True)
    book.add_named_style(NamedStyle("ledger_text", alignment=top))
    book.add_named_style(NamedStyle("ledger_date", alignment=top, number_format="yyyy-mm-dd"))
    # Text, so that a code like 001 keeps its zeros.
    book.add_named_style(NamedStyle("ledger_code", alignment=top, number_format="@"))
    styles = [
        "ledger_code"
        if c.field == "code"
        else "ledger_date"
        if c.field.endswith("_on")
        else "ledger_text"
        for c in COLUMNS
    ]
    count = 0
    for count, space in enumerate(spaces, start=1):
        values = _cell_values(space, wf, count)
        row = [WriteOnlyCell(sheet, values[c.field]) for c in COLUMNS]
        for cell, style in zip(row, styles, strict=True):
            cell.style = style
        sheet.append(row)
    sheet.freeze_panes = "C3"
    _choices(book, sheet, wf, rows=max(count, 1) + 200)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _choices(book: Workbook, sheet, wf: Workflow, rows: int) -> None:
    """What each column accepts, on a sheet of its own, with drop-downs where a list fits."""
    cat = catalogue()
    options = book.create_sheet(OPTIONS_SHEET)
    options.append(["行业", "类别（有限空间重点监管目录）", "危险有害因素", "深/浅", "状态"])
    industries = [v["zh"] for v in cat.industries.values()]
    classes = [f"{cat.industries[c.industry]['zh']}：{c.zh}" for c in cat.classes.values()]
    hazards = [h["zh"] for h in wf.section("hazards").values()]
    columns = [industries, classes, hazards, ["深", "浅"], ["在用", "停用"]]
    for i in range(max(len(c) for c in columns)):
        options.append([c[i] if i < len(c) else None for c in columns])
    for letter, width in zip("ABCDE", (30, 50, 16, 8, 8), strict=True):
        options.column_dimensions[letter].width = width
    notes = [
        "危险有害因素用“、”分隔；隔离措施、控制措施每项用“；”分隔。",
        "日期格式 2026-05-01，不得晚于当天；重点监管由类别和危险有害因素推定，导入时不读取。",
        "编号已在台账中的行更新该有限空间，新编号新建；表中没有的有限空间不受影响。",
    ]
    for note in notes:
        options.append([])
        options.append([note])
    for name, letter, count in (
        ("industry", "A", len(industries)),
        ("deep", "D", 2),
        ("status", "E", 2),
    ):
        column = get_column_letter(next(i for i, c in enumerate(COLUMNS, 1) if c.field == name))
        check = DataValidation(
            type="list",
            formula1=f"'{OPTIONS_SHEET}'!${letter}$2:${letter}${count + 1}",
            allow_blank=True,
        )
        check.add(f"{column}3:{column}{rows + 2}")
        sheet.add_data_validation(check)


# -- import ----------------------------------------------------------------------------------


def _header_index(cells: Sequence[Any]) -> dict[str, int]:
    names: dict[str, str] = {}
    for c in COLUMNS:
        names[c.zh] = c.field
        names[c.en.lower()] = c.field
    index: dict[str, int] = {}
    for i, value in enumerate(cells):
        key = ledger.text(value)
        found = names.get(key) or names.get(key.lower())
        if found and found not in index:
            index[found] = i
    return index


def _file_error(zh: str, en: str, **params: Any) -> InvalidInput:
    return InvalidInput([plain("ledger_file", zh, en, **params)])


def _unreadable() -> InvalidInput:
    return _file_error(
        "无法读取：请上传 Excel 工作簿（.xlsx）",
        "Cannot read the file: upload an Excel workbook (.xlsx)",
    )


def read(data: bytes) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each non-empty row of the ledger sheet as (row number, field → cell value).

    Raises InvalidInput for a file that is not a workbook or has no header row. The sheet is
    parsed as it is read (defusedxml refuses entity tricks), so a failure while reading is as
    much the file's as a failure to open it."""
    try:
        book = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise _unreadable() from None
    try:
        yield from _rows(book)
    except InvalidInput:
        raise
    except Exception:
        raise _unreadable() from None
    finally:
        book.close()


def _rows(book) -> Iterator[tuple[int, dict[str, Any]]]:
    sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header: dict[str, int] = {}
    header_row = 0
    for header_row, cells in enumerate(rows, start=1):
        header = _header_index(cells)
        if "code" in header or header_row >= HEADER_SEARCH_ROWS:
            break
    missing = [BY_FIELD[f].zh for f in REQUIRED if f not in header]
    if missing:
        raise _file_error(
            "缺少列「{names}」（表头须在前 {n} 行内）",
            "Column(s) '{columns}' missing (the header row must be within the first {n} rows)",
            names="」「".join(missing),
            columns="', '".join(BY_FIELD[f].en for f in REQUIRED if f not in header),
            n=HEADER_SEARCH_ROWS,
        )
    seen = 0
    for number, cells in enumerate(rows, start=header_row + 1):
        if number > header_row + 2 * MAX_ROWS:  # a sheet of empty rows is no ledger either
            raise _file_error(
                "超过 {n} 行：请分批导入", "More than {n} rows: import in parts", n=MAX_ROWS
            )
        values = {
            f: cells[i] if i < len(cells) else None
            for f, i in header.items()
            if BY_FIELD[f].imported
        }
        if all(ledger.text(v) == "" for v in values.values()):
            continue
        seen += 1
        if seen > MAX_ROWS:
            raise _file_error(
                "超过 {n} 行：请分批导入", "More than {n} rows: import in parts", n=MAX_ROWS
            )
        yield number, values


@dataclass
class _Row:
    number: int
    data: ledger.SpaceData
    space: Space | None
    retire: bool


def _status(value: Any, row: int, errors: list[CellError]) -> str | None:
    word = ledger.text(value)
    if not word:
        return None
    status = STATUS_WORDS.get(word.lower())
    if status is None:
        errors.append(
            CellError(
                row,
                "status",
                plain(
                    "ledger_status",
                    "'{v}' 应为“在用”或“停用”",
                    "'{v}' is neither 在用 nor 停用",
                    v=word,
                ),
            )
        )
    return status


def _check_row(
    session: Session,
    number: int,
    values: Mapping[str, Any],
    space: Space | None,
    *,
    wf: Workflow,
    today: date,
    errors: list[CellError],
) -> _Row | None:
    # A column the file leaves out keeps what the ledger has: a shorter sheet updates less.
    raw = {**(ledger.current(space) if space else {}), **values}
    data, bad = ledger.check(raw, wf=wf, today=today)
    found = [CellError(number, e.field, e.reason) for e in bad]
    status = _status(values.get("status"), number, found)
    retire = False
    if space is not None and not space.active and data is not None:
        if ledger.changes(space, data) or status == "active":
            found.append(
                CellError(
                    number,
                    "status",
                    plain(
                        "space_retired",
                        "{code} 已停用，不能再修改",
                        "{code} is retired and can no longer change",
                        code=space.code,
                    ),
                )
            )
    elif status == "retired" and space is None:
        found.append(
            CellError(
                number,
                "status",
                plain(
                    "new_retired",
                    "新的有限空间不能以“停用”建账",
                    "A new space cannot enter the ledger retired",
                ),
            )
        )
    elif status == "retired" and space is not None and space.active:
        retire = True
        found += [CellError(number, "status", r) for r in ledger.retire_refusals(session, space)]
    errors += found
    if found or data is None:
        return None
    return _Row(number, data, space, retire)


def import_ledger(
    session: Session,
    user: User,
    data: bytes,
    *,
    wf: Workflow,
    today: date,
    clock: Clock,
    only_good: bool = False,
) -> ImportResult:
    """Check every row, then (if none is bad, or when told to skip the bad ones) create the
    new codes and update the known ones. The caller commits."""
    # A code typed in another case is the same space ("ws-01" is WS-01).
    known = {s.code.lower(): s for s in session.scalars(access.visible_spaces(user))}
    result = ImportResult()
    good: list[_Row] = []
    first_row: dict[str, int] = {}
    for number, values in read(data):
        code = ledger.text(values.get("code")).lower()
        if code and code in first_row:
            result.errors.append(
                CellError(
                    number,
                    "code",
                    plain(
                        "ledger_duplicate",
                        "编号 '{v}' 与第 {row} 行重复",
                        "the code '{v}' repeats row {row}",
                        v=ledger.text(values.get("code")),
                        row=first_row[code],
                    ),
                )
            )
            continue
        first_row.setdefault(code, number)
        space = known.get(code)
        if space is not None:
            values = {**values, "code": space.code}
        row = _check_row(session, number, values, space, wf=wf, today=today, errors=result.errors)
        if row is not None:
            good.append(row)
    if result.errors and not only_good:
        return result
    for row in good:
        _apply(session, user, row, result, clock=clock)
    result.applied = True
    return result


def _apply(session: Session, user: User, row: _Row, result: ImportResult, *, clock: Clock) -> None:
    if row.space is None:
        ledger.create_space(session, user.enterprise_id, row.data, clock=clock, actor=user)
        result.created += 1
        return
    changed = bool(ledger.changes(row.space, row.data))
    if changed:
        ledger.update_space(session, row.space, row.data, clock=clock, actor=user)
    if row.retire:
        ledger.retire_space(session, row.space, "台账导入：状态改为停用", clock=clock, actor=user)
        changed = True
    if changed:
        result.updated += 1
    else:
        result.unchanged += 1
