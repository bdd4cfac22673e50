"""The ledger as an Excel workbook, in the layout enterprises keep their 台账 in: one row a
space, Chinese column headers, list cells separated by 、 or ；. Import checks every row before
it changes anything, and names each bad cell by row and column in the reader's language."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from . import access, ledger, spreadsheet
from .catalogue import catalogue, is_key_supervision
from .clock import Clock
from .errors import plain
from .models import Space, User
from .spreadsheet import CellError, Choices, Column
from .workflow import Workflow

SHEET = "有限空间台账"
OPTIONS_SHEET = "填写说明"
MAX_ROWS = spreadsheet.MAX_ROWS

COLUMNS = (
    Column("seq", "序号", "No.", 6, imported=False),
    Column("code", "编号", "Code", 12, style="code"),  # text, so that 001 keeps its zeros
    Column("name", "名称", "Name", 28),
    Column("location", "位置", "Location", 22),
    Column("industry", "行业", "Industry", 14),
    Column("catalogue_class", "类别", "Class", 22),
    Column("key_supervision", "重点监管", "Key supervision", 10, imported=False),
    Column("hazards", "危险有害因素", "Hazards", 28),
    Column("isolation_measures", "隔离措施", "Isolation measures", 28),
    Column("control_measures", "控制措施", "Control measures", 40),
    Column("deep", "深/浅", "Deep or shallow", 8),
    Column("sign_placed_on", "警示标志设置日期", "Warning sign placed on", 16, style="date"),
    Column(
        "notice_board_placed_on", "风险告知牌设置日期", "Risk notice board placed on", 18,
        style="date",
    ),
    Column("emergency_phone", "应急电话", "Emergency phone", 16, style="code"),
    Column("status", "状态", "Status", 8),
)  # fmt: skip
LAYOUT = spreadsheet.Layout(SHEET, COLUMNS, required=("code", "name", "industry"))
STATUS_WORDS = {
    "在用": "active",
    "active": "active",
    "停用": "retired",
    "已停用": "retired",
    "retired": "retired",
}


@dataclass
class ImportResult(spreadsheet.Checked):
    created: int = 0
    updated: int = 0
    unchanged: int = 0


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
        "emergency_phone": space.emergency_phone,
        "status": "在用" if space.active else "停用",
    }


def write(spaces: Iterable[Space], wf: Workflow, *, title: str) -> bytes:
    """The workbook: the ledger sheet, and a sheet of the values each column accepts."""
    cat = catalogue()
    return spreadsheet.write(
        LAYOUT,
        (_cell_values(space, wf, seq) for seq, space in enumerate(spaces, start=1)),
        title=title,
        options_sheet=OPTIONS_SHEET,
        choices=[
            Choices("行业", [v["zh"] for v in cat.industries.values()], 30, field="industry"),
            Choices(
                "类别（有限空间重点监管目录）",
                [f"{cat.industries[c.industry]['zh']}：{c.zh}" for c in cat.classes.values()],
                50,
            ),
            Choices("危险有害因素", [h["zh"] for h in wf.section("hazards").values()], 16),
            Choices("深/浅", ["深", "浅"], 8, field="deep"),
            Choices("状态", ["在用", "停用"], 8, field="status"),
        ],
        notes=[
            "危险有害因素用“、”分隔；隔离措施、控制措施每项用“；”分隔。",
            "日期格式 2026-05-01，不得晚于当天；重点监管由类别和危险有害因素推定，导入时不读取。",
            "应急电话印在警示标志上；不填则使用企业的应急电话。",
            "编号已在台账中的行更新该有限空间，新编号新建；表中没有的有限空间不受影响。",
        ],
        freeze="C3",
    )


# -- import ----------------------------------------------------------------------------------


def read(data: bytes) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each non-empty row of the ledger sheet as (row number, field → cell value)."""
    return spreadsheet.read(data, LAYOUT, max_rows=MAX_ROWS)


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
            LAYOUT.error(
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
    found = [LAYOUT.error(number, e.field, e.reason) for e in bad]
    status = _status(values.get("status"), number, found)
    retire = False
    if space is not None and not space.active and data is not None:
        if ledger.changes(space, data) or status == "active":
            found.append(
                LAYOUT.error(
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
            LAYOUT.error(
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
        found += [LAYOUT.error(number, "status", r) for r in ledger.retire_refusals(session, space)]
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
                LAYOUT.error(
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
