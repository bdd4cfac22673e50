"""The ledger as an Excel workbook: export → import changes nothing; one edited cell changes
exactly that; a file with bad rows imports nothing and names every bad cell in zh and en."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime, timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from permit import ledger, ledger_excel, registers
from permit.errors import InvalidInput
from permit.models import AuditEntry, Space
from permit.workflow import get as get_workflow

from .helpers import row_counts

WF = get_workflow("confined_space", "draft-2023.1")
HEADER = ["编号", "名称", "位置", "行业", "类别", "危险有害因素", "隔离措施", "控制措施", "深/浅",
          "警示标志设置日期", "风险告知牌设置日期", "状态"]  # fmt: skip


@pytest.fixture
def keeper(world):
    user = world.person("台账管理员", ["admin"], username="admin", trained=False)
    registers.add_space(  # measures with 、 inside, a date on the board: what round trips must keep
        world.session,
        world.enterprise,
        code="BT-01",
        name="粗苯储罐",
        clock=world.clock,
        industry="metallurgy",
        catalogue_class="benzene_tank",
        hazards=["flammable", "o2_deficiency"],
        control_measures=["排空、蒸汽吹扫", "防爆通风"],
        isolation_measures=[],
        notice_board_placed_on=world.today - timedelta(days=3),
    )
    world.session.commit()
    return user


def export(world, user, **filters) -> bytes:
    found = ledger.spaces(world.session, user, ledger.Filters.from_args(filters), WF)
    return ledger_excel.write(found, WF, title="示例食品有限公司 有限空间安全管理台账")


def run_import(world, user, data: bytes, only_good: bool = False):
    result = ledger_excel.import_ledger(
        world.session,
        user,
        data,
        wf=WF,
        today=world.today,
        clock=world.clock,
        only_good=only_good,
    )
    world.session.commit()
    return result


def sheet_of(data: bytes):
    book = load_workbook(io.BytesIO(data))
    return book, book[ledger_excel.SHEET]


def saved(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row_of(sheet, code: str) -> int:
    return next(r for r in range(3, sheet.max_row + 1) if sheet.cell(r, 2).value == code)


def column(name: str) -> int:
    return next(i for i, c in enumerate(ledger_excel.COLUMNS, 1) if c.zh == name)


def workbook(*rows, header=HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["某公司有限空间台账"])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    return saved(book)


def entries(world) -> int:
    return world.session.scalar(select(func.count()).select_from(AuditEntry))


# -- export ------------------------------------------------------------------------------


def test_the_export_is_one_row_a_space_under_chinese_headers(world, keeper):
    _, sheet = sheet_of(export(world, keeper))
    assert sheet["A1"].value.endswith("有限空间安全管理台账")
    headers = [c.value for c in sheet[2]]
    assert headers[:6] == ["序号", "编号", "名称", "位置", "行业", "类别"]
    assert headers[-4:] == ["警示标志设置日期", "风险告知牌设置日期", "应急电话", "状态"]
    assert [sheet.cell(r, 2).value for r in range(3, sheet.max_row + 1)] == [
        "BT-01",
        "TK-01",
        "WS-01",
    ]
    pit = [c.value for c in sheet[row_of(sheet, "WS-01")]]
    by = dict(zip(headers, pit, strict=True))
    assert by["行业"] == "轻工行业" and by["类别"] == "污水处理池（井）" and by["重点监管"] == "是"
    assert by["危险有害因素"] == "硫化氢中毒、缺氧窒息"
    assert by["控制措施"] == "作业前强制通风30分钟；持续检测硫化氢浓度"
    assert by["深/浅"] == "深" and by["状态"] == "在用"
    assert isinstance(by["警示标志设置日期"], datetime) and by["风险告知牌设置日期"] is None
    assert by["应急电话"] is None  # none of its own: the sign prints the enterprise's


def test_the_export_follows_the_filters(world, keeper):
    _, sheet = sheet_of(export(world, keeper, industry="metallurgy"))
    assert [sheet.cell(r, 2).value for r in range(3, sheet.max_row + 1)] == ["BT-01"]
    _, sheet = sheet_of(export(world, keeper, sign="placed"))
    assert [sheet.cell(r, 2).value for r in range(3, sheet.max_row + 1)] == ["WS-01"]


# -- round trips -------------------------------------------------------------------------


def test_an_exported_ledger_imports_back_with_nothing_changed(world, keeper):
    ledger.retire_space(world.session, world.tank, "停用", clock=world.clock, actor=keeper)
    world.session.commit()
    data = export(world, keeper, status="all")
    before = row_counts(world.session)
    result = run_import(world, keeper, data)
    assert (result.created, result.updated, result.unchanged, result.errors) == (0, 0, 3, [])
    assert result.applied
    assert row_counts(world.session) == before


def test_one_edited_cell_changes_exactly_that(world, keeper):
    book, sheet = sheet_of(export(world, keeper))
    row = row_of(sheet, "WS-01")
    sheet.cell(row, column("位置")).value = "厂区东南角污水站"
    before = entries(world)
    result = run_import(world, keeper, saved(book))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    assert entries(world) == before + 1
    entry = world.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.event == "update" and entry.subject_id == world.pit.id
    assert entry.data["changes"] == {"location": ["", "厂区东南角污水站"]}
    world.session.expire_all()
    assert world.pit.location == "厂区东南角污水站"
    assert world.pit.hazards == ["h2s", "o2_deficiency"] and world.pit.deep


def test_a_list_cell_edited_in_excel_maps_its_names_back_to_keys(world, keeper):
    book, sheet = sheet_of(export(world, keeper))
    row = row_of(sheet, "TK-01")
    sheet.cell(row, column("危险有害因素")).value = "缺氧窒息；一氧化碳中毒、 缺氧窒息"
    sheet.cell(row, column("隔离措施")).value = "上锁；上锁；设置隔离栏"
    result = run_import(world, keeper, saved(book))
    assert result.updated == 1
    world.session.expire_all()
    assert world.tank.hazards == ["o2_deficiency", "co"]
    assert world.tank.isolation_measures == ["上锁", "设置隔离栏"]
    assert "TK-01" in {
        s.code for s in ledger.spaces(world.session, keeper, ledger.Filters(key="1"), WF)
    }


def test_new_codes_create_spaces_and_codes_typed_as_numbers_are_text(world, keeper):
    today = datetime.combine(world.today, datetime.min.time())
    data = workbook(
        [
            101,
            "1号窨井",
            "南门",
            "轻工行业",
            "",
            "缺氧窒息",
            "井盖上锁",
            "通风",
            "浅",
            today,
            None,
            "在用",
        ],
        ["FT-02", "2号发酵罐", "", "light", "发酵罐", "二氧化碳窒息", "", "", "deep", "", "", ""],
    )
    result = run_import(world, keeper, data)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    spaces = {s.code: s for s in world.session.scalars(select(Space))}
    assert spaces["101"].sign_placed_on == world.today and not spaces["101"].deep
    assert spaces["FT-02"].catalogue_class == "fermentation_tank" and spaces["FT-02"].deep
    creates = world.session.scalars(
        select(AuditEntry).where(AuditEntry.event == "create", AuditEntry.subject_type == "spaces")
    ).all()
    assert {e.data["code"] for e in creates} >= {"101", "FT-02"}
    assert all(e.actor_id == keeper.id for e in creates if e.data["code"] in {"101", "FT-02"})


def test_a_spaces_emergency_phone_goes_out_and_comes_back_as_text(world, keeper):
    book, sheet = sheet_of(export(world, keeper))
    sheet.cell(row_of(sheet, "WS-01"), column("应急电话")).value = "0571-8888 0119"
    sheet.cell(row_of(sheet, "TK-01"), column("应急电话")).value = 13800000000  # typed as a number
    result = run_import(world, keeper, saved(book))
    assert (result.updated, result.unchanged, result.errors) == (2, 1, [])
    world.session.expire_all()
    assert (world.pit.emergency_phone, world.tank.emergency_phone) == (
        "0571-8888 0119",
        "13800000000",
    )
    _, sheet = sheet_of(export(world, keeper))
    cell = sheet.cell(row_of(sheet, "WS-01"), column("应急电话"))
    assert (cell.value, cell.number_format) == ("0571-8888 0119", "@")
    before = row_counts(world.session)
    assert run_import(world, keeper, export(world, keeper)).unchanged == 3
    assert row_counts(world.session) == before


def test_a_bad_emergency_phone_cell_is_named_and_nothing_changes(world, keeper):
    book, sheet = sheet_of(export(world, keeper))
    row = row_of(sheet, "WS-01")
    sheet.cell(row, column("应急电话")).value = "找安全科"
    before = row_counts(world.session)
    result = run_import(world, keeper, saved(book))
    assert [e.text("zh") for e in result.errors] == [
        f"第 {row} 行「应急电话」: '找安全科' 不是电话号码（如 0571-12345678 或 13800000000）"
    ]
    assert (
        result.errors[0].text("en").startswith(f"Row {row}, column 'Emergency phone': '找安全科'")
    )
    assert row_counts(world.session) == before


def test_columns_left_out_of_the_file_keep_what_the_ledger_has(world, keeper):
    data = workbook(["WS-01", "1号污水处理池", "轻工行业"], header=["编号", "名称", "行业"])
    before = row_counts(world.session)
    result = run_import(world, keeper, data)
    assert (result.updated, result.unchanged) == (0, 1)
    assert row_counts(world.session) == before


def test_a_code_typed_in_another_case_is_the_same_space(world, keeper):
    data = workbook(["ws-01", "1号污水处理池（东）", "轻工行业"], header=["编号", "名称", "行业"])
    result = run_import(world, keeper, data)
    assert (result.created, result.updated) == (0, 1)
    world.session.expire_all()
    assert (world.pit.code, world.pit.name) == ("WS-01", "1号污水处理池（东）")


def test_a_sheet_under_english_headers_is_read_too(world, keeper):
    data = workbook(
        ["WS-01", "1号污水处理池", "Light industry"], header=["Code", "Name", "Industry"]
    )
    assert run_import(world, keeper, data).unchanged == 1


# -- bad files ---------------------------------------------------------------------------


def bad_file(today: date) -> bytes:
    tomorrow = datetime.combine(today + timedelta(days=1), datetime.min.time())
    return workbook(
        ["NEW-1", "好的一行", "", "轻工行业", "", "", "", "", "浅", None, None, ""],  # row 3: good
        ["NEW-2", "坏行业", "", "xx", "", "", "", "", "", None, None, ""],  # row 4
        ["NEW-3", "", "", "轻工行业", "有人孔管道", "毒气", "", "", "半深", tomorrow, "昨天", ""],
        ["NEW-1", "重复编号", "", "轻工行业", "", "", "", "", "", None, None, ""],  # row 6
        ["WS-01", "1号污水处理池", "", "轻工行业", "", "", "", "", "", None, None, "报废"],
    )


def test_a_file_with_bad_rows_imports_nothing_and_names_each_bad_cell(world, keeper):
    before = row_counts(world.session)
    result = run_import(world, keeper, bad_file(world.today))
    assert not result.applied and result.created == 0
    assert row_counts(world.session) == before
    tomorrow = (world.today + timedelta(days=1)).isoformat()
    assert [e.text("zh") for e in result.errors] == [
        "第 4 行「行业」: 未知行业 'xx'",
        "第 5 行「名称」: 不能为空",
        "第 5 行「类别」: 类别 '有人孔管道' 不属于轻工行业（003 附录 有限空间重点监管目录）",
        "第 5 行「危险有害因素」: 未知危险有害因素 '毒气'",
        "第 5 行「深/浅」: '半深' 应为“深”或“浅”",
        f"第 5 行「警示标志设置日期」: 日期 {tomorrow} 在今天之后",
        "第 5 行「风险告知牌设置日期」: '昨天' 不是日期（如 2026-05-01）",
        "第 6 行「编号」: 编号 'NEW-1' 与第 3 行重复",
        "第 7 行「状态」: '报废' 应为“在用”或“停用”",
    ]
    english = [e.text("en") for e in result.errors]
    assert english[0] == "Row 4, column 'Industry': unknown industry 'xx'"
    assert english[1] == "Row 5, column 'Name': must not be empty"
    assert english[7] == "Row 6, column 'Code': the code 'NEW-1' repeats row 3"
    assert result.bad_rows == [4, 5, 6, 7]


def test_importing_only_the_good_rows_still_lists_the_bad_ones(world, keeper):
    result = run_import(world, keeper, bad_file(world.today), only_good=True)
    assert result.applied and (result.created, result.updated, result.unchanged) == (1, 0, 0)
    assert result.bad_rows == [4, 5, 6, 7]
    codes = set(world.session.scalars(select(Space.code)))
    assert "NEW-1" in codes and not {"NEW-2", "NEW-3"} & codes
    assert world.session.scalar(select(Space.name).where(Space.code == "NEW-1")) == "好的一行"


def test_a_row_may_retire_a_space_but_not_one_with_a_live_permit(world, keeper):
    permit = world.permit()  # on the pit
    book, sheet = sheet_of(export(world, keeper))
    for code in ("WS-01", "TK-01"):
        sheet.cell(row_of(sheet, code), column("状态")).value = "停用"
    before = row_counts(world.session)
    result = run_import(world, keeper, saved(book))
    assert [e.text("en") for e in result.errors] == [
        f"Row {row_of(sheet, 'WS-01')}, column 'Status': Permit {permit.number} (Draft) is not "
        "closed or cancelled: the space cannot be retired"
    ]
    assert row_counts(world.session) == before
    result = run_import(world, keeper, saved(book), only_good=True)
    assert result.updated == 1
    world.session.expire_all()
    assert not world.tank.active and world.pit.active
    assert ledger.retired_because(world.session, world.tank).startswith("台账导入")


def test_a_retired_space_cannot_be_changed_through_the_file(world, keeper):
    ledger.retire_space(world.session, world.tank, "停用", clock=world.clock, actor=keeper)
    world.session.commit()
    book, sheet = sheet_of(export(world, keeper, status="all"))
    sheet.cell(row_of(sheet, "TK-01"), column("名称")).value = "复活的糖罐"
    result = run_import(world, keeper, saved(book))
    assert [e.text("zh") for e in result.errors] == [
        f"第 {row_of(sheet, 'TK-01')} 行「状态」: TK-01 已停用，不能再修改"
    ]


@pytest.mark.parametrize(
    ("data", "zh", "en"),
    [
        (b"name,code\nx,y\n", "无法读取", "Cannot read the file"),
        (b"", "无法读取", "Cannot read the file"),
        (workbook(["WS-01", "x"], header=["编号", "名称"]), "缺少列「行业」", "'Industry' missing"),
    ],
)
def test_a_file_that_is_not_a_ledger_is_refused_with_a_message(world, keeper, data, zh, en):
    before = row_counts(world.session)
    with pytest.raises(InvalidInput) as caught:
        run_import(world, keeper, data)
    assert zh in caught.value.messages("zh")[0] and en in caught.value.messages("en")[0]
    world.session.rollback()
    assert row_counts(world.session) == before


def entity_bomb() -> bytes:
    """A workbook whose name cell is an entity nested seven deep (billion laughs: 10⁷ bytes)."""
    original = zipfile.ZipFile(io.BytesIO(workbook(["WS-01", "x", "轻工行业"])))
    levels = "abcdefgh"
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {name} "{("&" + inner + ";") * 10}">'
        for inner, name in zip(levels, levels[1:], strict=False)
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as bomb:
        for item in original.infolist():
            body = original.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                doctype = f"<!DOCTYPE worksheet [{entities}]><worksheet".encode()
                body = body.replace(b"<worksheet", doctype, 1)
                body = body.replace(b"<t>x</t>", b"<t>&h;</t>")
                assert b"&h;" in body
            bomb.writestr(item, body)
    return out.getvalue()


def test_a_workbook_with_xml_entities_is_refused_unexpanded(world, keeper):
    with pytest.raises(InvalidInput) as caught:
        run_import(world, keeper, entity_bomb())
    assert "Cannot read the file" in caught.value.messages("en")[0]


def test_a_sheet_too_long_to_be_one_ledger_is_refused(world, keeper, monkeypatch):
    monkeypatch.setattr(ledger_excel, "MAX_ROWS", 3)
    rows = [[f"N-{i}", "新", "", "轻工行业"] for i in range(4)]
    with pytest.raises(InvalidInput) as caught:
        run_import(world, keeper, workbook(*rows))
    assert "More than 3 rows" in caught.value.messages("en")[0]
    assert run_import(world, keeper, workbook(*rows[:3]), only_good=False).created == 3


# -- through the web ---------------------------------------------------------------------


@pytest.fixture
def app(make_app, world, keeper, clock):
    return make_app(WTF_CSRF_ENABLED=False, CLOCK=clock)


def signed_in(app, username: str, lang: str | None = None):
    client = app.test_client()
    if lang:
        client.get(f"/lang/{lang}")
    assert client.post("/login", data={"username": username, "password": "demo"}).status_code == 302
    return client


def upload(client, data: bytes, **form):
    return client.post(
        "/spaces/import",
        data={"file": (io.BytesIO(data), "台账.xlsx"), **form},
        content_type="multipart/form-data",
    )


def test_the_web_round_trip_reports_nothing_changed(app, world):
    client = signed_in(app, "admin")
    response = client.get("/spaces/export.xlsx?industry=light")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    before = row_counts(world.session)
    answer = upload(client, response.data)
    assert answer.status_code == 303
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "新增 0 个，更新 0 个，2 个未变。" in page
    world.session.expire_all()
    assert row_counts(world.session) == before


@pytest.mark.parametrize(
    ("lang", "cell"),
    [("zh", "未知行业 &#39;xx&#39;"), ("en", "unknown industry &#39;xx&#39;")],
)
def test_the_web_import_shows_each_bad_cell_and_changes_nothing(app, world, lang, cell):
    client = signed_in(app, "principal", lang)
    before = row_counts(world.session)
    answer = upload(client, bad_file(world.today))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and 'id="import-errors"' in page
    column = "行业" if lang == "zh" else 'Industry <span class="muted">行业</span>'
    assert f"<td>4</td><td>{column}</td><td>{cell}</td>" in page
    world.session.expire_all()
    assert row_counts(world.session) == before
    answer = upload(client, bad_file(world.today), only_good="1")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and 'id="import-errors"' in page
    assert ("新增 1 个" if lang == "zh" else "1 created") in page


def test_the_web_import_refuses_a_missing_or_foreign_file_with_a_message(app, world):
    client = signed_in(app, "deputy", "en")
    before = row_counts(world.session)
    answer = client.post("/spaces/import", data={}, content_type="multipart/form-data")
    assert answer.status_code == 422 and "Choose a file to import" in answer.get_data(as_text=True)
    answer = upload(client, b"%PDF-1.4 not a workbook")
    assert answer.status_code == 422 and "upload an Excel workbook" in answer.get_data(as_text=True)
    world.session.expire_all()
    assert row_counts(world.session) == before


def test_the_import_needs_a_csrf_token(make_app, world, keeper, clock):
    app = make_app(CLOCK=clock)
    client = app.test_client()
    token = re.search(
        r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)
    )
    client.post(
        "/login", data={"username": "admin", "password": "demo", "csrf_token": token.group(1)}
    )
    before = row_counts(world.session)
    data = workbook(["NEW-9", "新空间", "", "轻工行业"])
    assert upload(client, data).status_code == 400
    world.session.expire_all()
    assert row_counts(world.session) == before
