"""The enterprise's document pack (000 现场会诊企业应备资料清单): one zip, six folders in the list's
order, every document readable (PDFs by pdftotext, workbooks by openpyxl) with the records in
it, an index that names every file, an honest note where there is nothing to show, and the
downloads only for those who prepare it (the enterprise) or read it (the visit's team)."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from permit import document_pack, registers

from . import documents
from .test_web import signed_in

BASE_URL = "https://permits.example.com/"
FOLDERS = [
    "1 管理制度和台账/",
    "2 培训计划和记录/",
    "3 装备台账和检定检验记录/",
    "4 作业记录/",
    "5 应急预案和演练记录/",
    "6 承包单位协议/",
]


def build(session, enterprise_id, clock) -> tuple[zipfile.ZipFile, document_pack.Contents]:
    out = io.BytesIO()
    contents = document_pack.build(session, enterprise_id, out, now=clock.now(), base_url=BASE_URL)
    return zipfile.ZipFile(io.BytesIO(out.getvalue())), contents


def sheet_rows(data: bytes) -> list[tuple]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    try:
        return [tuple(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def column(rows: list[tuple], header: str) -> list:
    """The values under a header (the header row is the first that holds it)."""
    at = next(i for i, r in enumerate(rows) if header in r)
    index = rows[at].index(header)
    return [r[index] for r in rows[at + 1 :] if any(v is not None for v in r)]


def index_files(archive: zipfile.ZipFile) -> list[str]:
    rows = sheet_rows(archive.read(document_pack.INDEX))
    return [f for f in column(rows, "文件") if f != "（说明）"]


@pytest.fixture
def closed(world):
    """A permit at work: its form holds a briefing, confirmations and gas tests."""
    return world.working()


def test_the_pack_holds_six_folders_in_the_lists_order_and_an_index_of_every_file(
    world, closed, session, clock
):
    archive, contents = build(session, world.enterprise.id, clock)
    names = archive.namelist()
    assert [g.prefix for g in contents.groups] == FOLDERS
    for folder in FOLDERS:
        assert any(n.startswith(folder) for n in names), f"{folder} is empty"
    assert document_pack.INDEX in names
    assert sorted(index_files(archive)) == sorted(n for n in names if n != document_pack.INDEX)
    assert sorted(contents.files) == sorted(names)


def test_the_permit_form_and_the_register_show_the_permit_with_its_space_and_gas_tests(
    world, closed, session, clock
):
    archive, contents = build(session, world.enterprise.id, clock)
    form = f"4 作业记录/作业审批单/作业审批单-{closed.number}.pdf"
    text = documents.text(archive.read(form))
    assert closed.number in text and "WS-01" in text and "1号污水处理池" in text
    assert "气体检测" in text and "孙监护" in text
    assert contents.printed == [closed.number]
    rows = sheet_rows(archive.read("4 作业记录/作业审批登记表.xlsx"))
    assert column(rows, "审批单编号") == [closed.number]
    assert column(rows, "有限空间编号") == ["WS-01"]
    assert column(rows, "气体检测次数")[0] >= 1
    assert column(rows, "安全交底（已交底/作业人员）") == ["2/2"]
    assert column(rows, "审批单全文（资料包内）") == [f"作业审批单/作业审批单-{closed.number}.pdf"]


def test_the_ledger_training_and_equipment_workbooks_hold_the_records(
    world, closed, session, clock
):
    archive, _ = build(session, world.enterprise.id, clock)
    ledger = sheet_rows(archive.read("1 管理制度和台账/有限空间台账.xlsx"))
    assert sorted(column(ledger, "编号")) == ["TK-01", "WS-01"]
    trained = column(sheet_rows(archive.read("2 培训计划和记录/培训记录.xlsx")), "姓名")
    assert {"孙监护", "周作业", "王主任"} <= set(trained)
    kit = sheet_rows(archive.read("3 装备台账和检定检验记录/装备台账.xlsx"))
    assert sorted(column(kit, "编号")) == ["D-01", "F-01", "H-01", "R-01"]
    system = documents.text(archive.read("1 管理制度和台账/安全管理制度和审批分级表.pdf"))
    assert "未登记有限空间作业安全管理制度" in system and "作业审批分级" in system


def test_an_enterprise_with_no_contractors_gets_a_note_that_says_so(world, session, clock):
    archive, contents = build(session, world.enterprise.id, clock)
    note = f"6 承包单位协议/{document_pack.NOTE}"
    assert [n for n in archive.namelist() if n.startswith("6 ")] == [note]
    assert "没有承包单位记录" in documents.text(archive.read(note))
    index = sheet_rows(archive.read(document_pack.INDEX))
    assert any("没有承包单位记录" in str(r[3]) for r in index)
    assert any("No contractor on record" in str(r[4]) for r in index)
    # No permit in the period either: the work records say so rather than stand empty.
    assert contents.permits_in_period == 0
    assert "没有作业审批记录" in documents.text(archive.read(f"4 作业记录/{document_pack.NOTE}"))


def test_contractors_and_their_agreements_are_listed_with_the_signed_document(
    world, session, clock
):
    company = registers.add_contractor(session, world.enterprise, name="安达管道工程", clock=clock)
    from permit.attachments import store

    scan = store(
        session,
        enterprise_id=world.enterprise.id,
        filename="协议AQ-1.pdf",
        data=b"%PDF-1.4 agreement",
        clock=clock,
    )
    agreement = registers.add_agreement(
        session,
        company,
        valid_from=world.today - timedelta(days=10),
        valid_to=world.today + timedelta(days=300),
        scope=["cleaning"],
        clock=clock,
    )
    agreement.attachment_id = scan.id
    session.commit()
    archive, contents = build(session, world.enterprise.id, clock)
    text = documents.text(archive.read("6 承包单位协议/承包单位和安全生产管理协议.pdf"))
    assert "安达管道工程" in text and "有效" in text
    assert archive.read("6 承包单位协议/协议原件/协议AQ-1.pdf") == b"%PDF-1.4 agreement"
    assert contents.groups[5].notes == []


def test_permits_before_the_review_period_and_drafts_stay_out_of_the_work_records(
    world, closed, session, clock
):
    old = world.drive(world.permit(space=world.tank, task_type="inspection"), "approved")
    old.window_start = clock.now() - timedelta(days=400)  # as if worked last year
    world.permit()  # a draft: a request nobody acted on
    session.commit()
    archive, contents = build(session, world.enterprise.id, clock)
    rows = sheet_rows(archive.read("4 作业记录/作业审批登记表.xlsx"))
    assert column(rows, "审批单编号") == [closed.number]
    assert contents.since == document_pack.review_since(world.today)
    assert (world.today - contents.since).days in range(365, 367)


# -- through the web ----------------------------------------------------------------------


def fetch(client, url: str):
    """The response with its body read, and closed: the pack is sent from a temporary file
    that closing the response removes."""
    response = client.get(url)
    response.body = response.get_data()
    response.close()
    return response


@pytest.fixture
def app(make_app, clock):
    return make_app(WTF_CSRF_ENABLED=False, CLOCK=clock)


def test_the_principal_downloads_the_pack_from_the_board(world, closed, app):
    client = signed_in(app, "principal")
    assert 'href="/board/documents.zip"' in client.get("/board").get_data(as_text=True)
    response = fetch(client, "/board/documents.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.body))
    assert f"4 作业记录/作业审批单/作业审批单-{closed.number}.pdf" in archive.namelist()


@pytest.mark.parametrize("who", ["attendant", "entrant", "approver"])
def test_the_other_staff_do_not_find_the_pack(world, app, who):
    client = signed_in(app, who)
    assert fetch(client, "/board/documents.zip").status_code == 404
    if who == "approver":  # reads the board, but the pack is the principal's to hand over
        assert "documents.zip" not in client.get("/board").get_data(as_text=True)


def test_each_enterprise_downloads_only_its_own_pack(world, closed, app, session, clock):
    other = registers.create_enterprise(
        session, code="QY2", name="别的公司", industry="light", clock=clock
    )
    registers.add_user(
        session,
        enterprise=other,
        name="别家负责人",
        roles=["principal"],
        username="other-boss",
        password="demo",
        clock=clock,
    )
    session.commit()
    response = fetch(signed_in(app, "other-boss"), "/board/documents.zip")
    archive = zipfile.ZipFile(io.BytesIO(response.body))
    assert not any(closed.number in n for n in archive.namelist())
    assert "QY2" in response.headers["Content-Disposition"]


def test_the_visits_team_and_lead_download_the_visited_enterprises_pack(vw, app, session):
    visit = vw.plan(experts=[vw.expert])
    session.commit()
    url = f"/inspections/{visit.number}/documents.zip"
    expert = signed_in(app, "expert")
    assert f'href="{url}"' in expert.get(f"/inspections/{visit.number}").get_data(as_text=True)
    response = fetch(expert, url)
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.body))
    # An enterprise with no records: each folder holds its note, none stands empty; the
    # first still has the approval tiers its rule pack sets, and says the rest is missing.
    for folder in FOLDERS[1:]:
        assert f"{folder}{document_pack.NOTE}" in archive.namelist()
    system = documents.text(archive.read("1 管理制度和台账/安全管理制度和审批分级表.pdf"))
    assert "未登记有限空间作业安全管理制度" in system
    notes = column(sheet_rows(archive.read(document_pack.INDEX)), "内容")
    assert "台账中没有有限空间" in notes
    assert "BJ1" in response.headers["Content-Disposition"]
    assert fetch(signed_in(app, "regulator"), url).status_code == 200


@pytest.mark.parametrize("who", ["expert2", "expert-xs", "regulator-xs", "principal", "approver"])
def test_everyone_else_gets_404_for_the_visits_pack(vw, app, session, who):
    """expert2: same district, not on this team; -xs: another district; the enterprise's own
    people download theirs from the board, not from the experts' visit."""
    visit = vw.plan(experts=[vw.expert])
    session.commit()
    client = signed_in(app, who)
    assert fetch(client, f"/inspections/{visit.number}/documents.zip").status_code == 404
    page = client.get(f"/inspections/{visit.number}")
    assert "documents.zip" not in page.get_data(as_text=True)


def test_the_review_period_and_the_printed_forms_are_data_with_their_reasons(tmp_path):
    from permit import workflow
    from permit.workflow import WorkflowError

    shipped = workflow.WORKFLOWS_DIR / "inspection-000" / "visit.toml"
    text = shipped.read_text(encoding="utf-8")
    assert workflow.load(shipped).section("documents")["printed_permits"] > 0
    for old, new, says in [
        ("printed_permits_why = {", "printed_permits_untold = {", "needs printed_permits_why"),
        ('review = { value = 12, unit = "month" }', 'review = { value = 12, unit = "day" }',
         "documents.review is a number of months"),
        ('folder = "作业记录", ', "", "has no folder"),
    ]:  # fmt: skip
        assert old in text, old
        path = tmp_path / "visit.toml"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        with pytest.raises(WorkflowError, match=says):
            workflow.load(path)
