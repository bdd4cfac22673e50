"""Training records as an Excel workbook: export → import changes nothing, and into another
enterprise with the same people gives the same records; a file with bad rows imports nothing
and names every bad cell in zh and en; imported records qualify people as the form's do."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from permit import contractors, registers, training, training_excel
from permit.errors import InvalidInput
from permit.models import AuditEntry, TrainingRecord, TrainingSession, User
from permit.qualification import competence_kinds
from permit.workflow import get as get_workflow

from .helpers import refused, row_counts
from .test_web import flashes, signed_in

WF = get_workflow("confined_space", "draft-2023.1")
HEADER = ["日期", "培训主题", "培训类别", "培训人", "学时", "姓名", "用户名", "考核结果"]
ANNUAL = "有限空间作业专题安全培训"


def hold(world, people, *, enterprise=None, actor=None, **override):
    fields = dict(
        workflow=WF,
        kind="annual",
        topic="2026年度有限空间作业专题安全培训",
        held_on=world.today - timedelta(days=10),
        trainer="安全科 赵安全",
        hours=4,
        attendees=people,
        clock=world.clock,
        actor=actor or world.principal,
    )
    fields.update(override)
    held = training.record_session(world.session, enterprise or world.enterprise, **fields)
    world.session.commit()
    return held


def export(world, enterprise=None, year=None) -> bytes:
    enterprise = enterprise or world.enterprise
    found = training_excel.records(world.session, enterprise.id, year)
    return training_excel.write(world.session, enterprise, found, WF, title="培训记录")


def run_import(world, user, data: bytes):
    result = training_excel.import_records(
        world.session, user, data, wf=WF, today=world.today, clock=world.clock
    )
    world.session.commit()
    return result


def workbook(*rows, header=HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["某公司有限空间作业安全培训记录"])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_rows(data: bytes) -> list[dict]:
    sheet = load_workbook(io.BytesIO(data))[training_excel.SHEET]
    headers = [c.value for c in sheet[2]]
    return [dict(zip(headers, [c.value for c in row], strict=True)) for row in sheet.iter_rows(3)]


def day(d: date) -> datetime:
    return datetime.combine(d, datetime.min.time())


def kept(session, enterprise_id: int) -> list[tuple]:
    """The records of an enterprise as a person reads them, sessions included."""
    found = session.execute(
        select(TrainingRecord, User, TrainingSession)
        .join(User, TrainingRecord.user_id == User.id)
        .outerjoin(TrainingSession, TrainingRecord.session_id == TrainingSession.id)
        .where(User.enterprise_id == enterprise_id)
    ).all()
    return sorted(
        (u.name, r.kind, r.taken_on, r.topic, r.passed, s.trainer, s.hours, s.held_on)
        for r, u, s in found
    )


# -- export ------------------------------------------------------------------------------


def test_the_export_is_one_row_per_attendee_under_chinese_headers(world):
    company = contractors.add_company(
        world.session, world.enterprise, name="某清淤公司", clock=world.clock
    )
    worker = world.person("外包甲", ["entrant"], trained=False, contractor=company)
    hold(world, [(world.entrant2, True), (worker, False)])
    rows = sheet_rows(export(world, year=world.today.year))
    headers = list(rows[0])
    assert headers == ["序号", *HEADER[:6], "用户名", "单位", "考核结果"]
    held = [r for r in rows if r["培训人"]]
    assert [(r["姓名"], r["单位"], r["考核结果"]) for r in held] == [
        ("吴作业", "示例食品有限公司", "合格"),
        ("外包甲", "某清淤公司", "不合格"),
    ]
    assert held[0]["培训类别"] == ANNUAL and held[0]["学时"] == 4
    assert held[0]["日期"] == day(world.today - timedelta(days=10))
    # the records kept without a session (no trainer, no hours) are listed too
    assert {r["姓名"] for r in rows if not r["培训人"]} >= {"周作业", "孙监护"}


# -- round trips -------------------------------------------------------------------------


def test_an_exported_file_imports_back_with_nothing_changed(world):
    hold(world, [(world.entrant2, True), (world.rescuer, False)])
    data = export(world)
    before = row_counts(world.session)
    result = run_import(world, world.principal, data)
    assert result.applied and result.errors == []
    assert (result.created, result.sessions) == (0, 0)
    assert result.unchanged == len(sheet_rows(data))
    assert row_counts(world.session) == before


def test_an_export_imported_into_another_enterprise_with_the_same_people_gives_the_same_records(
    world, clock
):
    def enterprise(code: str, admin: str):
        made = registers.create_enterprise(
            world.session, code=code, name=f"{code}有限公司", industry="light", clock=clock
        )
        world.session.flush()
        keeper = world.person("管理员", ["admin"], username=admin, trained=False, enterprise=made)
        company = contractors.add_company(world.session, made, name="某清淤公司", clock=clock)
        people = [
            world.person(n, ["entrant"], trained=False, enterprise=made) for n in ("甲", "乙")
        ]
        people.append(
            world.person("丙", ["entrant"], trained=False, enterprise=made, contractor=company)
        )
        world.session.commit()
        return made, keeper, people

    source, keeper, (a, b, c) = enterprise("QY3", "admin3")
    hold(world, [(a, True), (b, False), (c, True)], enterprise=source, actor=keeper)
    hold(world, [(b, True)], enterprise=source, actor=keeper, topic="补考", hours=2.5)
    for kind in competence_kinds(WF):
        hold(world, [(a, True)], enterprise=source, actor=keeper, kind=kind, topic="技能考核")
    target, admin, _ = enterprise("QY4", "admin4")
    data = export(world, source)

    result = run_import(world, admin, data)
    assert result.errors == [] and (result.created, result.sessions) == (8, 6)
    assert kept(world.session, target.id) == kept(world.session, source.id)
    assert len(kept(world.session, target.id)) == 8
    sessions = world.session.scalars(
        select(TrainingSession).where(TrainingSession.enterprise_id == target.id)
    ).all()
    assert sorted(len(s.records) for s in sessions) == [1, 1, 1, 1, 1, 3]
    # and once more: the same file into the enterprise that now has them changes nothing
    before = row_counts(world.session)
    assert run_import(world, admin, data).unchanged == 8
    assert row_counts(world.session) == before


def test_a_row_added_to_a_session_already_recorded_joins_that_session(world):
    held = hold(world, [(world.entrant2, True)])
    rows = [list(r.values())[1:] for r in sheet_rows(export(world)) if r["培训人"]]
    late = [*rows[0][:5], "郑救援", None, "", "不合格"]
    result = run_import(
        world, world.deputy, workbook(rows[0], late, header=[*HEADER[:7], "单位", "考核结果"])
    )
    assert (result.created, result.sessions, result.unchanged) == (1, 0, 1)
    world.session.expire_all()
    assert [(r.user.name, r.passed) for r in held.records] == [("吴作业", True), ("郑救援", False)]
    entry = world.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.subject_type, entry.event, entry.actor_id) == (
        "training_sessions",
        "attend",
        world.deputy.id,
    )
    assert entry.data == {"passed": [], "failed": [world.rescuer.id], "source": "excel"}


# -- what an imported record is worth ------------------------------------------------------


def test_imported_records_qualify_people_exactly_as_the_form_does(world):
    lapsed = world.person("钱监护", ["attendant"], trained=True)
    for kind in competence_kinds(WF):
        registers.record_training(
            world.session,
            lapsed,
            kind=kind,
            passed=True,
            taken_on=world.today - timedelta(days=400),
            clock=world.clock,
        )
    permit = world.permit(attendant=lapsed)
    assert "attendant_competent" in refused(world, permit, "submit")

    taken = day(world.today - timedelta(days=2))
    rows = [
        [taken, "监护人员技能考核", WF.section("training")[kind]["short_zh"], "应急科", 2, "钱监护",
         None, "合格"]
        for kind in competence_kinds(WF)
    ]  # fmt: skip
    result = run_import(world, world.principal, workbook(*rows))
    assert (result.created, result.sessions) == (4, 4)
    world.fire(permit, "submit")
    assert permit.state == "pending_approval"
    imported = world.session.scalars(
        select(AuditEntry).where(
            AuditEntry.subject_type == "training_sessions", AuditEntry.event == "record"
        )
    ).all()
    assert len(imported) == 4
    assert all(e.data["source"] == "excel" and e.actor_id == world.principal.id for e in imported)


def test_a_failed_row_qualifies_nobody(world):
    newcomer = world.person("新人", ["entrant"], trained=False)
    taken = day(world.today)
    run_import(
        world, world.principal, workbook([taken, "专题", "annual", "赵", 4, "新人", None, "不合格"])
    )
    world.session.commit()
    permit = world.permit(entrants=[newcomer])
    assert "people_trained" in refused(world, permit, "submit")


# -- bad files ---------------------------------------------------------------------------


def bad_file(world) -> bytes:
    taken = day(world.today - timedelta(days=1))
    tomorrow = day(world.today + timedelta(days=1))
    return workbook(
        [taken, "专题培训", ANNUAL, "赵安全", 4, "吴作业", None, "合格"],  # row 3: good
        [taken, "专题培训", ANNUAL, "赵安全", 4, "张无名", None, "合格"],  # 4
        ["昨天", "专题培训", "消防培训", "赵安全", "四小时", "郑救援", None, "良好"],  # 5
        [tomorrow, "专题培训", "annual", "", 0, "郑救援", None, "合格"],  # 6
        [taken, "专题培训", "Annual confined-space safety training", "赵", 4, "吴作业", None,
         "合格"],  # 7: row 3 again, the kind in English
        [taken, "", ANNUAL, "赵安全", "4学时", "周作业", "attendant", "不合格"],  # 8
        [taken, "专题培训", ANNUAL, "赵安全", None, "周作业", "", "合格"],  # 9
    )  # fmt: skip


def test_a_bad_file_imports_nothing_and_names_each_bad_cell(world):
    before = row_counts(world.session)
    result = run_import(world, world.principal, bad_file(world))
    assert not result.applied and result.created == 0
    assert row_counts(world.session) == before
    tomorrow = (world.today + timedelta(days=1)).isoformat()
    assert [e.text("zh") for e in result.errors] == [
        "第 4 行「姓名」: 本企业及承包单位中没有 '张无名'",
        "第 5 行「日期」: '昨天' 不是日期（如 2026-05-01）",
        "第 5 行「培训类别」: 未知培训类别 '消防培训'",
        "第 5 行「学时」: '四小时' 不是学时：应大于0且不超过24",
        "第 5 行「考核结果」: '良好' 应为“合格”或“不合格”",
        f"第 6 行「日期」: 日期 {tomorrow} 在今天之后",
        "第 6 行「培训人」: 不能为空",
        "第 6 行「学时」: '0' 不是学时：应大于0且不超过24",
        "第 7 行「姓名」: 与第 3 行重复（同一人、日期、培训类别和主题）",
        "第 8 行「培训主题」: 不能为空",
        "第 8 行「用户名」: 'attendant' 是孙监护的用户名，不是周作业的",
        "第 9 行「学时」: 不能为空：应大于0且不超过24",
    ]
    english = [e.text("en") for e in result.errors]
    assert english[0] == (
        "Row 4, column 'Name': nobody called '张无名' in this enterprise or its contractors"
    )
    assert (
        english[4] == "Row 5, column 'Result': '良好' is neither 合格 (passed) nor 不合格 (failed)"
    )
    assert (
        english[8] == "Row 7, column 'Name': repeats row 3 (the same person, date, kind and topic)"
    )
    assert result.bad_rows == [4, 5, 6, 7, 8, 9]


def test_two_people_of_one_name_are_told_apart_by_username(world):
    world.person("周作业", ["entrant"], username="zhou2", trained=False)
    world.session.commit()
    taken = day(world.today)
    row = [taken, "专题", ANNUAL, "赵", 4, "周作业", None, "合格"]
    result = run_import(world, world.principal, workbook(row))
    assert [e.text("en") for e in result.errors] == [
        "Row 3, column 'Name': 2 people are called '周作业': give the username"
    ]
    result = run_import(world, world.principal, workbook(row[:6] + ["ZHOU2", "合格"]))
    assert result.created == 1
    zhou2 = world.session.scalars(select(User).where(User.username == "zhou2")).one()
    assert [r.topic for r in zhou2.trainings] == ["专题"]


def test_a_row_that_disagrees_with_a_kept_record_is_refused_not_applied(world):
    hold(world, [(world.entrant2, True)])
    rows = [r for r in sheet_rows(export(world)) if r["培训人"]]
    first = rows[0]
    first["考核结果"] = "不合格"
    first["学时"] = 8
    before = row_counts(world.session)
    result = run_import(
        world, world.principal, workbook(list(first.values())[1:], header=list(first)[1:])
    )
    assert [e.text("zh") for e in result.errors] == [
        "第 3 行「学时」: 已记录为 4 学时，导入不修改已有记录",
        "第 3 行「考核结果」: 已记录为“合格”，导入不修改已有记录",
    ]
    assert row_counts(world.session) == before


def test_a_deactivated_worker_gets_no_new_record(world):
    company = contractors.add_company(
        world.session, world.enterprise, name="某清淤公司", clock=world.clock
    )
    worker = world.person("外包乙", ["entrant"], trained=False, contractor=company)
    worker.active = False
    world.session.commit()
    result = run_import(
        world,
        world.principal,
        workbook([day(world.today), "专题", ANNUAL, "赵", 4, "外包乙", None, "合格"]),
    )
    assert [e.text("zh") for e in result.errors] == [
        "第 3 行「姓名」: 外包乙 已停用，不能新增培训记录"
    ]


@pytest.mark.parametrize(
    ("data", "zh", "en"),
    [
        (b"name,date\nx,y\n", "无法读取", "Cannot read the file"),
        (
            workbook(["周作业", "合格"], header=["姓名", "考核结果"]),
            "缺少列「日期」「培训主题」「培训类别」「培训人」「学时」",
            "'Date', 'Topic', 'Kind', 'Trainer', 'Hours' missing",
        ),
    ],
)
def test_a_file_that_is_not_training_records_is_refused_with_a_message(world, data, zh, en):
    before = row_counts(world.session)
    with pytest.raises(InvalidInput) as caught:
        run_import(world, world.principal, data)
    assert zh in caught.value.messages("zh")[0] and en in caught.value.messages("en")[0]
    world.session.rollback()
    assert row_counts(world.session) == before


# -- through the web ---------------------------------------------------------------------


@pytest.fixture
def app(make_app, world, clock):
    return make_app(WTF_CSRF_ENABLED=False, CLOCK=clock)


def upload(client, data: bytes):
    return client.post(
        "/training/import",
        data={"file": (io.BytesIO(data), "培训记录.xlsx")},
        content_type="multipart/form-data",
    )


def test_the_web_round_trip_reports_every_row_already_recorded(app, world):
    client = signed_in(app, "principal")
    assert "导入 Excel" in client.get("/training").get_data(as_text=True)
    response = client.get(f"/training/export.xlsx?year={world.today.year}")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    count = len(sheet_rows(response.data))
    before = row_counts(world.session)
    answer = upload(client, response.data)
    assert answer.status_code == 303
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert f"已导入 0 条培训记录，新建 0 次培训；{count} 行此前已记录。" in flashes(page)
    world.session.expire_all()
    assert row_counts(world.session) == before


@pytest.mark.parametrize(
    ("lang", "column", "cell"),
    [
        ("zh", "姓名", "本企业及承包单位中没有 &#39;张无名&#39;"),
        ("en", 'Name <span class="muted">姓名</span>', "nobody called &#39;张无名&#39;"),
    ],
)
def test_the_web_import_shows_each_bad_cell_and_changes_nothing(app, world, lang, column, cell):
    client = signed_in(app, "deputy", lang)
    before = row_counts(world.session)
    answer = upload(client, bad_file(world))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and 'id="import-errors"' in page
    assert f"<td>4</td><td>{column}</td><td>{cell}" in page
    assert page.count("<tr><td>") == 12
    assert ("请更正后重新上传。" if lang == "zh" else "Correct them and upload") in page
    world.session.expire_all()
    assert row_counts(world.session) == before


def test_the_web_import_refuses_a_missing_file_and_other_roles(app, world):
    client = signed_in(app, "principal", "en")
    answer = client.post("/training/import", data={}, content_type="multipart/form-data")
    assert answer.status_code == 422 and "Choose a file to import" in answer.get_data(as_text=True)
    attendant = signed_in(app, "attendant")
    assert upload(attendant, bad_file(world)).status_code == 404
    assert attendant.get("/training/import").status_code == 404
