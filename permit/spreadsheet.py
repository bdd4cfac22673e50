"""Registers kept as Excel workbooks (the 台账 and the training records): a sheet's layout under
Chinese headers, reading it row by row, each bad cell named by row and column in the reader's
language, and writing it back with a sheet of the values each column accepts."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from io import BytesIO
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .errors import InvalidInput, Reason, plain

MAX_ROWS = 5000
HEADER_SEARCH_ROWS = 10  # a title or two may stand above the header row
DATE_TEXT = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")
STYLES = ("text", "date", "code")  # code: text that keeps its zeros (001)


# -- reading values as people type them -------------------------------------------------------


def text(value: Any) -> str:
    """A cell or form value as text: a spreadsheet gives numbers and dates too."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return " ".join(str(value).split())  # one line, single spaces: a name, not a paragraph


def parse_date(value: Any) -> date | None:
    """A date from a date cell or from text like 2026-05-01, 2026/5/1 or 2026年5月1日; None
    for an empty cell; ValueError for anything else."""
    if isinstance(value, str):
        value = value.strip()
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    found = DATE_TEXT.match(str(value))
    if not found:
        raise ValueError(value)
    return date(*(int(part) for part in found.groups()))


def past_date(value: Any, today: date, rule: str) -> tuple[date | None, Reason | None]:
    """A date on or before today, or why the value is not one."""
    try:
        day = parse_date(value)
    except ValueError:
        return None, plain(
            rule,
            "'{v}' 不是日期（如 2026-05-01）",
            "'{v}' is not a date (e.g. 2026-05-01)",
            v=text(value),
        )
    if day is not None and day > today:
        return day, plain(rule, "日期 {d} 在今天之后", "{d} is in the future", d=day.isoformat())
    return day, None


def label_index(entries: Mapping[str, Mapping[str, str]], *names: str) -> dict[str, str]:
    """key and its labels (Chinese and English by default, any case) → key."""
    index = {}
    for key, labels in entries.items():
        index[key.lower()] = key
        for name in names or ("zh", "en"):
            if labels.get(name):
                index[str(labels[name]).strip().lower()] = key
    return index


# -- the layout of a sheet ---------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    field: str
    zh: str
    en: str
    width: int
    imported: bool = True  # False: written for the reader, not read back
    style: str = "text"
    aliases: tuple[str, ...] = ()  # other headers people give the column (授课人 for 培训人)

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class Layout:
    """One register's sheet. The first required column is how the header row is found."""

    sheet: str
    columns: tuple[Column, ...]
    required: tuple[str, ...]

    @cached_property
    def by_field(self) -> dict[str, Column]:
        return {c.field: c for c in self.columns}

    def position(self, field: str) -> int:
        """The column's number in the sheet, from 1."""
        return next(i for i, c in enumerate(self.columns, 1) if c.field == field)

    def error(self, row: int, field: str, reason: Reason) -> CellError:
        return CellError(row, self.by_field[field], reason)


@dataclass(frozen=True)
class CellError:
    row: int
    header: Column
    reason: Reason

    @property
    def field(self) -> str:
        return self.header.field

    def column(self, lang: str) -> str:
        return self.header.label(lang)

    def text(self, lang: str = "zh") -> str:
        if lang == "en":
            return f"Row {self.row}, column '{self.column('en')}': {self.reason.message('en')}"
        return f"第 {self.row} 行「{self.column('zh')}」: {self.reason.message('zh')}"


@dataclass
class Checked:
    """What an import found: every bad cell, and whether anything was changed."""

    errors: list[CellError] = field(default_factory=list)
    applied: bool = False  # False: refused because of bad rows, nothing was changed

    @property
    def bad_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors})


# -- reading a workbook -----------------------------------------------------------------------


def file_error(zh: str, en: str, **params: Any) -> InvalidInput:
    return InvalidInput([plain("spreadsheet_file", zh, en, **params)])


def _unreadable() -> InvalidInput:
    return file_error(
        "无法读取：请上传 Excel 工作簿（.xlsx）",
        "Cannot read the file: upload an Excel workbook (.xlsx)",
    )


def read(data: bytes, layout: Layout, *, max_rows: int = MAX_ROWS) -> Iterator[tuple[int, dict]]:
    """Each non-empty row of the layout's sheet as (row number, field → cell value).

    Raises InvalidInput for a file that is not a workbook or has no header row. The sheet is
    parsed as it is read (defusedxml refuses entity tricks), so a failure while reading is as
    much the file's as a failure to open it."""
    try:
        book = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise _unreadable() from None
    try:
        yield from _rows(book, layout, max_rows)
    except InvalidInput:
        raise
    except Exception:
        raise _unreadable() from None
    finally:
        book.close()


def _header_index(cells: Sequence[Any], layout: Layout) -> dict[str, int]:
    names: dict[str, str] = {}
    for c in layout.columns:
        for name in (c.zh, c.en, *c.aliases):
            names[name.lower()] = c.field
    index: dict[str, int] = {}
    for i, value in enumerate(cells):
        found = names.get(text(value).lower())
        if found and found not in index:
            index[found] = i
    return index


def _too_long(max_rows: int) -> InvalidInput:
    return file_error("超过 {n} 行：请分批导入", "More than {n} rows: import in parts", n=max_rows)


def _rows(book, layout: Layout, max_rows: int) -> Iterator[tuple[int, dict]]:
    sheet = book[layout.sheet] if layout.sheet in book.sheetnames else book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header: dict[str, int] = {}
    header_row = 0
    for header_row, cells in enumerate(rows, start=1):
        header = _header_index(cells, layout)
        if layout.required[0] in header or header_row >= HEADER_SEARCH_ROWS:
            break
    missing = [layout.by_field[f] for f in layout.required if f not in header]
    if missing:
        raise file_error(
            "缺少列「{names}」（表头须在前 {n} 行内）",
            "Column(s) '{columns}' missing (the header row must be within the first {n} rows)",
            names="」「".join(c.zh for c in missing),
            columns="', '".join(c.en for c in missing),
            n=HEADER_SEARCH_ROWS,
        )
    read_fields = {f: i for f, i in header.items() if layout.by_field[f].imported}
    seen = 0
    for number, cells in enumerate(rows, start=header_row + 1):
        if number > header_row + 2 * max_rows:  # a sheet of empty rows is no register either
            raise _too_long(max_rows)
        values = {f: cells[i] if i < len(cells) else None for f, i in read_fields.items()}
        if all(text(v) == "" for v in values.values()):
            continue
        seen += 1
        if seen > max_rows:
            raise _too_long(max_rows)
        yield number, values


# -- writing a workbook -----------------------------------------------------------------------


@dataclass(frozen=True)
class Choices:
    """A list on the options sheet; with a field, that column gets a drop-down of it."""

    header: str
    values: Sequence[str]
    width: int
    field: str | None = None


def head(sheet, title: str, columns: Sequence[tuple[str, float]]) -> None:
    """A register sheet's first two rows: its title across every column, then the column
    headers, shaded and boxed, each column as wide as given."""
    last = get_column_letter(len(columns))
    sheet.append([title])
    sheet.merge_cells(f"A1:{last}1")
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append([header for header, _ in columns])
    thin = Side(style="thin", color="999999")
    for i, (_, width) in enumerate(columns, start=1):
        cell = sheet.cell(row=2, column=i)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
        cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(i)].width = width


def write(
    layout: Layout,
    rows: Iterable[Mapping[str, Any]],
    *,
    title: str,
    options_sheet: str,
    choices: Sequence[Choices],
    notes: Sequence[str],
    freeze: str,
) -> bytes:
    """The register's sheet (a title, the header, one row per mapping of field → value), and a
    sheet of what each column accepts, with drop-downs where a list fits."""
    book = Workbook()
    sheet = book.active
    sheet.title = layout.sheet
    head(sheet, title, [(c.zh, c.width) for c in layout.columns])
    # Named styles: a cell takes one by name, far cheaper than building its own per cell.
    top = Alignment(vertical="top", wrap_text=True)
    book.add_named_style(NamedStyle("register_text", alignment=top))
    book.add_named_style(NamedStyle("register_date", alignment=top, number_format="yyyy-mm-dd"))
    book.add_named_style(NamedStyle("register_code", alignment=top, number_format="@"))
    styles = [f"register_{c.style}" for c in layout.columns]
    count = 0
    for values in rows:
        count += 1
        row = [WriteOnlyCell(sheet, values.get(c.field)) for c in layout.columns]
        for cell, style in zip(row, styles, strict=True):
            cell.style = style
        sheet.append(row)
    sheet.freeze_panes = freeze
    _options(book, sheet, layout, options_sheet, choices, notes, rows=max(count, 1) + 200)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _options(
    book: Workbook,
    sheet,
    layout: Layout,
    title: str,
    choices: Sequence[Choices],
    notes: Sequence[str],
    rows: int,
) -> None:
    options = book.create_sheet(title)
    options.append([c.header for c in choices])
    for i in range(max((len(c.values) for c in choices), default=0)):
        options.append([c.values[i] if i < len(c.values) else None for c in choices])
    for note in notes:
        options.append([])
        options.append([note])
    for i, choice in enumerate(choices, start=1):
        letter = get_column_letter(i)
        options.column_dimensions[letter].width = choice.width
        if choice.field is None or not choice.values:
            continue
        column = get_column_letter(layout.position(choice.field))
        check = DataValidation(
            type="list",
            formula1=f"'{title}'!${letter}$2:${letter}${len(choice.values) + 1}",
            allow_blank=True,
        )
        check.add(f"{column}3:{column}{rows + 2}")
        sheet.add_data_validation(check)
