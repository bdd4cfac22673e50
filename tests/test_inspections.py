"""Expert visits (procedure 000) run by the same engine as permits: every guard refuses with
the step it cites and lets the right thing through; scope comes from art. 2, never typed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from permit import audit, engine, inspections, jurisdictions
from permit.clock import local_date
from permit.errors import Blocked, Conflict, InvalidInput, NotFound
from permit.models import AuditEntry, Finding, FindingPhoto, InspectionAttendee

from .helpers import reasons


def test_the_visit_workflow_loads_from_its_own_folder_and_judged_by_no_pack():
    wf = inspections.workflow()
    assert wf.pack == "inspection-000"
    assert [c.number for c in inspections.checkpoints()] == list(range(1, 21))
    assert inspections.checkpoints()[4].text["zh"] == "企业应当建立有限空间管理台账。"


def test_a_one_expert_team_is_refused_with_the_citation(vw):
    visit = vw.plan(experts=[vw.expert])
    vw.fire(visit, "confirm_equipment")
    with pytest.raises(Blocked) as refused:
        vw.fire(visit, "notify")
    assert reasons(refused) == ["team_of_two"]
    reason = refused.value.reasons[0]
    assert "一（一）" in reason.cite and "2名及以上" in reason.cite
    assert "1" in reason.message("zh") and "2" in reason.message("zh")
    assert visit.state == "planned"
    inspections.add_expert(vw.session, visit, vw.expert2, actor=vw.regulator, clock=vw.clock)
    vw.fire(visit, "notify")
    assert visit.state == "notified"


def test_kickoff_needs_the_teams_equipment_confirmed_including_the_pump_detector(vw):
    visit = vw.plan()
    vw.fire(visit, "notify")
    with pytest.raises(Blocked) as refused:
        vw.fire(visit, "kickoff")
    assert reasons(refused) == ["team_equipment_confirmed"]
    assert "泵吸式" in refused.value.reasons[0].cite
    with pytest.raises(Blocked) as partial:
        vw.fire(visit, "confirm_equipment", confirmed=["respiratory", "ppe"])
    assert reasons(partial) == ["checklist_confirmed"]
    assert "泵吸式气体检测报警仪" in partial.value.reasons[0].message("zh")
    vw.fire(visit, "confirm_equipment")
    assert visit.state == "notified"  # confirming moves nothing
    vw.fire(visit, "kickoff")
    assert visit.state == "kickoff"


def test_the_notice_must_carry_every_document_of_the_list(vw):
    visit = vw.plan()
    with pytest.raises(Blocked) as refused:
        vw.fire(visit, "notify", documents=["training"])
    assert set(reasons(refused)) == {"documents_listed"}
    assert len(refused.value.reasons) == 5
    assert "二（二）1" in refused.value.reasons[0].cite
    vw.fire(visit, "notify")
    assert visit.documents[0] == "system_and_ledger" and visit.notified_at == vw.clock.now()


def test_only_the_lead_regulator_notifies_and_only_a_team_expert_kicks_off(vw):
    visit = vw.plan()
    vw.fire(visit, "confirm_equipment")
    for outsider in (vw.expert, vw.other_regulator, vw.principal):
        with pytest.raises(Blocked) as refused:
            vw.fire(visit, "notify", actor=outsider)
        assert "by_visit_lead" in reasons(refused)
    vw.fire(visit, "notify")
    with pytest.raises(Blocked) as refused:
        vw.fire(visit, "kickoff", actor=vw.other_expert)
    assert "by_team_expert" in reasons(refused)


def test_a_step_on_a_visit_changed_meanwhile_is_refused_naming_the_visit(vw):
    visit = vw.plan()
    stale = visit.version
    vw.fire(visit, "confirm_equipment")
    with pytest.raises(Conflict) as refused:
        engine.apply(
            vw.session,
            visit,
            "notify",
            vw.regulator,
            vw.data_for("notify"),
            clock=vw.clock,
            expected_version=stale,
        )
    assert refused.value.messages("zh") == ["专家现场会诊已被他人更新，请刷新后重试"]
    assert refused.value.messages("en") == [
        "This expert on-site consultation changed meanwhile: reload and try again"
    ]
    assert visit.state == "planned"


def test_kickoff_records_the_attendees_by_role_and_refuses_a_missing_role(vw):
    visit = vw.drive(vw.plan(), "notified")
    missing = vw.data_for("kickoff")["attendees"]
    missing["attendant"] = []
    with pytest.raises(Blocked) as refused:
        vw.fire(visit, "kickoff", attendees=missing)
    assert reasons(refused) == ["attendees_by_role"]
    assert "监护人员" in refused.value.reasons[0].message("zh")
    vw.fire(visit, "kickoff")
    rows = vw.session.scalars(select(InspectionAttendee).order_by(InspectionAttendee.id)).all()
    assert [r.role for r in rows] == [
        "regulator_lead",
        "local_official",
        "expert",
        "principal",
        "attendant",
    ]


def test_the_consultation_ends_only_when_every_checkpoint_has_a_finding(vw):
    visit = vw.drive(vw.plan(), "consultation")
    with pytest.raises(Blocked) as refused:
        vw.fire(visit, "end_consultation")
    assert reasons(refused) == ["every_checkpoint_judged"] * 20
    vw.judge_all(visit, problem_at=())
    vw.clock.advance(hours=5)
    applied = vw.fire(visit, "end_consultation")
    assert applied.state == "debrief"
    assert inspections.short_consultation(visit, vw.clock.now()) is None


def test_a_problem_needs_a_description_and_a_suggestion_to_end_the_consultation(vw):
    visit = vw.drive(vw.plan(), "consultation")
    vw.judge_all(visit, problem_at=())
    inspections.save_field(
        vw.session, visit, 9, "result", "problem", actor=vw.expert, clock=vw.clock
    )
    with pytest.raises(Blocked) as refused:
        vw.fire(visit, "end_consultation")
    assert reasons(refused) == ["problems_described"] * 2
    for field, value in (("description", "隔离栏缺失"), ("suggestion", "设置隔离栏并上锁")):
        inspections.save_field(vw.session, visit, 9, field, value, actor=vw.expert, clock=vw.clock)
    # by when and by whom is settled at the team's 碰头会, in the debrief: not needed yet
    vw.fire(visit, "end_consultation")
    assert visit.state == "debrief"


def test_the_enterprise_cannot_accept_a_problem_without_a_deadline_and_a_person_responsible(vw):
    visit = vw.drive(vw.plan(), "consultation")
    vw.judge_all(visit, problem_at=())
    for field, value in (
        ("result", "problem"),
        ("description", "隔离栏缺失"),
        ("suggestion", "设置隔离栏并上锁"),
    ):
        inspections.save_field(vw.session, visit, 9, field, value, actor=vw.expert, clock=vw.clock)
    vw.clock.advance(hours=5)
    vw.fire(visit, "end_consultation")
    with pytest.raises(Blocked) as refused:
        vw.fire(visit, "accept")
    assert reasons(refused) == ["rectification_assigned"] * 2
    assert "双方认可整改要求" in refused.value.reasons[0].cite
    assert [r.message("zh") for r in refused.value.reasons] == [
        "会诊表第9项的问题缺少整改期限",
        "会诊表第9项的问题缺少整改责任人",
    ]
    assert refused.value.reasons[1].message("en") == (
        "The problem at checkpoint 9 lacks a person responsible"
    )
    assert visit.state == "debrief"
    deadline = (local_date(vw.clock.now()) + timedelta(days=10)).isoformat()
    inspections.save_field(
        vw.session, visit, 9, "deadline", deadline, actor=vw.expert, clock=vw.clock
    )
    with pytest.raises(Blocked) as still:
        vw.fire(visit, "accept")
    assert [r.message("en") for r in still.value.reasons] == [
        "The problem at checkpoint 9 lacks a person responsible"
    ]
    inspections.save_field(
        vw.session, visit, 9, "responsible", "  设备部   钱工 ", actor=vw.expert, clock=vw.clock
    )
    vw.fire(visit, "accept")
    assert visit.state == "rectifying"
    row = vw.session.scalars(select(Finding).where(Finding.checkpoint == 9)).one()
    assert row.responsible == "设备部 钱工"


def test_the_person_responsible_is_saved_once_and_a_long_name_is_refused(vw):
    visit = vw.drive(vw.plan(), "consultation")
    for _ in range(2):
        inspections.save_field(
            vw.session, visit, 6, "responsible", "安全科 赵科长", actor=vw.expert, clock=vw.clock
        )
    saves = vw.session.scalars(select(AuditEntry).where(AuditEntry.event == "save_finding")).all()
    assert [(e.data["field"], e.data["value"]) for e in saves] == [("responsible", "安全科 赵科长")]
    with pytest.raises(InvalidInput) as refused:
        inspections.save_field(
            vw.session, visit, 6, "responsible", "赵" * 121, actor=vw.expert, clock=vw.clock
        )
    assert reasons(refused) == ["too_long"]
    with pytest.raises(NotFound):  # the form is the team's
        inspections.save_field(
            vw.session, visit, 6, "responsible", "某人", actor=vw.principal, clock=vw.clock
        )


def test_a_consultation_under_half_a_day_is_warned_not_refused(vw):
    visit = vw.drive(vw.plan(), "consultation")
    vw.judge_all(visit)
    vw.clock.advance(hours=2)
    vw.fire(visit, "end_consultation")
    warning = inspections.short_consultation(visit, vw.clock.now())
    assert warning is not None and "二（二）2" in warning.cite
    assert "2小时0分钟" in warning.message("zh")
    entry = vw.session.scalars(
        select(AuditEntry).where(AuditEntry.event == "end_consultation")
    ).one()
    assert entry.data["below_min_duration"] is True


def test_the_debrief_ends_only_when_the_principal_accepts_with_a_signature(vw):
    visit = vw.drive(vw.plan(), "debrief")
    for other in (vw.expert, vw.regulator, vw.staff):
        with pytest.raises(Blocked) as refused:
            vw.fire(visit, "accept", actor=other)
        assert "by_enterprise_principal" in reasons(refused)
    with pytest.raises(Blocked) as wrong:
        vw.fire(visit, "accept", password="nope")
    assert reasons(wrong) == ["signature_confirmed"]
    vw.fire(visit, "accept")
    assert visit.state == "rectifying" and visit.accepted_by_id == vw.principal.id


def test_follow_up_waits_for_the_deadline_or_every_answer(vw):
    visit = vw.drive(vw.plan(), "rectifying")
    with pytest.raises(Blocked) as refused:
        vw.fire(visit, "follow_up")
    assert reasons(refused) == ["rectification_due_or_answered"]
    inspections.answer(vw.session, visit, 5, "已补齐台账", actor=vw.principal, clock=vw.clock)
    vw.fire(visit, "follow_up")
    assert visit.state == "follow_up"


def test_follow_up_is_allowed_once_every_deadline_has_passed(vw):
    visit = vw.drive(vw.plan(), "rectifying")
    vw.clock.advance(days=31)
    vw.fire(visit, "follow_up")
    vw.judge_followup(visit)
    vw.fire(visit, "close")
    assert visit.state == "closed" and visit.conclusion == "整改已落实"


def test_the_visit_is_recorded_in_the_visited_enterprises_audit_chain(vw):
    vw.drive(vw.plan(), "closed")
    chain = audit.chain_of(vw.ent.id)
    events = vw.session.scalars(
        select(AuditEntry.event)
        .where(AuditEntry.chain == chain, AuditEntry.subject_type == "inspections")
        .order_by(AuditEntry.seq)
    ).all()
    assert events[0] == "plan" and events[-1] == "close" and "accept" in events
    assert list(audit.verify(vw.session)) == []


def test_an_enterprise_outside_art_2_cannot_be_visited(vw):
    municipal = vw.enterprise("SZ1", vw.street, industry="市政")
    chemical = vw.enterprise("HG1", vw.street, industry="chemical", pack="order13-2024")
    today = local_date(vw.clock.now())
    assert jurisdictions.scope_of(vw.session, vw.ent, today).applies
    excluded = jurisdictions.scope_of(vw.session, municipal, today)
    assert not excluded.applies and "第二条" in excluded.reason.cite
    assert "排除" in excluded.reason.message("zh")
    # the draft covers chemicals; the order in force lists eight industries without them
    assert not jurisdictions.scope_of(vw.session, chemical, today).applies
    with pytest.raises(Blocked) as refused:
        vw.plan(experts=[vw.expert, vw.expert2], ent=None) if False else inspections.plan(
            vw.session,
            enterprise=municipal,
            planned_on=today,
            lead=vw.regulator,
            experts=[vw.expert, vw.expert2],
            clock=vw.clock,
        )
    assert "第二条" in refused.value.reasons[0].cite


def test_a_regulator_cannot_plan_nor_an_expert_serve_outside_their_jurisdiction(vw):
    today = local_date(vw.clock.now())
    with pytest.raises(NotFound):
        inspections.plan(
            vw.session,
            enterprise=vw.other_ent,
            planned_on=today,
            lead=vw.regulator,
            experts=[],
            clock=vw.clock,
        )
    visit = vw.plan(experts=[vw.expert])
    with pytest.raises(InvalidInput):
        inspections.add_expert(
            vw.session, visit, vw.other_expert, actor=vw.regulator, clock=vw.clock
        )


def test_each_side_sees_only_its_own_visits(vw):
    visit = vw.plan()
    vw.session.commit()
    assert inspections.inspection_for(vw.session, vw.expert, visit.number) is visit
    assert inspections.inspection_for(vw.session, vw.principal, visit.number) is visit
    for outsider in (vw.other_expert, vw.other_regulator):
        with pytest.raises(NotFound):
            inspections.inspection_for(vw.session, outsider, visit.number)
    with pytest.raises(NotFound):
        jurisdictions.enterprise_for(vw.session, vw.expert, vw.other_ent.code)
    # the city sees both districts' enterprises
    city_regulator = vw.overseer("市执法", "regulator", vw.city, "regulator-city")
    codes = set(
        vw.session.scalars(
            jurisdictions.visible_enterprises(vw.session, city_regulator).with_only_columns(
                jurisdictions.Enterprise.code
            )
        )
    )
    assert codes == {"BJ1", "XS1"}


def test_saving_the_same_field_twice_writes_it_once(vw):
    visit = vw.drive(vw.plan(), "consultation")
    for _ in range(3):
        inspections.save_field(
            vw.session, visit, 3, "description", "制度缺少审批要求", actor=vw.expert, clock=vw.clock
        )
    rows = vw.session.scalars(select(Finding)).all()
    assert len(rows) == 1 and rows[0].description == "制度缺少审批要求"
    saves = vw.session.scalars(select(AuditEntry).where(AuditEntry.event == "save_finding")).all()
    assert len(saves) == 1


def test_bad_input_on_the_form_changes_nothing(vw):
    visit = vw.drive(vw.plan(), "consultation")
    for field, value in (("result", "maybe"), ("methods", ["guess"]), ("deadline", "tomorrow")):
        with pytest.raises(InvalidInput):
            inspections.save_field(
                vw.session, visit, 1, field, value, actor=vw.expert, clock=vw.clock
            )
    with pytest.raises(NotFound):
        inspections.save_field(
            vw.session, visit, 21, "result", "meets", actor=vw.expert, clock=vw.clock
        )
    with pytest.raises(NotFound):  # read-only to the lead and to other experts
        inspections.save_field(
            vw.session, visit, 1, "result", "meets", actor=vw.regulator, clock=vw.clock
        )
    assert vw.session.scalars(select(Finding.result)).all() in ([], [None])


def test_the_form_is_closed_before_the_consultation(vw):
    visit = vw.plan()
    with pytest.raises(InvalidInput) as refused:
        inspections.save_field(
            vw.session, visit, 1, "result", "meets", actor=vw.expert, clock=vw.clock
        )
    assert reasons(refused) == ["form_closed"]


def jpeg(colour: str = "red", size=(3000, 2000)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def test_a_photo_is_kept_by_hash_resized_for_the_report_and_never_twice(vw):
    import io

    from PIL import Image

    visit = vw.drive(vw.plan(), "consultation")
    data = jpeg()
    first = inspections.add_photo(
        vw.session, visit, 6, filename="IMG_1.jpg", data=data, actor=vw.expert, clock=vw.clock
    )
    again = inspections.add_photo(
        vw.session, visit, 6, filename="IMG_1 (1).jpg", data=data, actor=vw.expert2, clock=vw.clock
    )
    assert first.id == again.id
    assert len(vw.session.scalars(select(FindingPhoto)).all()) == 1
    logged = vw.session.scalars(select(AuditEntry).where(AuditEntry.event == "add_photo")).all()
    assert len(logged) == 1
    with Image.open(io.BytesIO(first.resized.data)) as small:
        assert max(small.size) == inspections.REPORT_PIXELS
    assert first.attachment.sha256 != first.resized.sha256
    with pytest.raises(InvalidInput):
        inspections.add_photo(
            vw.session,
            visit,
            6,
            filename="x.pdf",
            data=b"%PDF-1.4 x",
            actor=vw.expert,
            clock=vw.clock,
        )


def test_only_the_enterprise_answers_its_own_problems(vw):
    visit = vw.drive(vw.plan(), "rectifying")
    with pytest.raises(NotFound):
        inspections.answer(vw.session, visit, 5, "x", actor=vw.expert, clock=vw.clock)
    with pytest.raises(NotFound):  # a checkpoint that met the requirement has nothing to answer
        inspections.answer(vw.session, visit, 1, "x", actor=vw.principal, clock=vw.clock)
    with pytest.raises(InvalidInput):
        inspections.answer(vw.session, visit, 5, "  ", actor=vw.principal, clock=vw.clock)


def test_a_visits_steps_are_the_buttons_each_person_sees(vw):
    visit = vw.plan()
    lead = [s.event.name for s in engine.steps_for(vw.session, visit, vw.regulator, clock=vw.clock)]
    expert = [s.event.name for s in engine.steps_for(vw.session, visit, vw.expert, clock=vw.clock)]
    assert lead == ["notify"] and expert == ["confirm_equipment"]


def test_the_loader_refuses_a_checkpoint_list_with_a_gap_or_an_uncited_list(tmp_path):
    from permit.workflow import WORKFLOWS_DIR, WorkflowError, load

    text = (WORKFLOWS_DIR / "inspection-000" / "visit.toml").read_text(encoding="utf-8")
    gap = tmp_path / "gap.toml"
    gap.write_text(text.replace("{ number = 7,", "{ number = 70,"), encoding="utf-8")
    with pytest.raises(WorkflowError, match="numbered 1, 2, 3"):
        load(gap)
    uncited = tmp_path / "uncited.toml"
    uncited.write_text(
        text.replace('cite = "000 现场会诊企业应备资料清单"\n', ""), encoding="utf-8"
    )
    with pytest.raises(WorkflowError, match="documents has no citation"):
        load(uncited)


def test_only_the_lead_or_the_team_looks_back_and_closes(vw):
    visit = vw.drive(vw.plan(), "rectifying")
    vw.clock.advance(days=31)
    for outsider in (vw.other_expert, vw.other_regulator, vw.principal):
        with pytest.raises(Blocked) as refused:
            vw.fire(visit, "follow_up", actor=outsider)
        assert reasons(refused) == ["by_visit_team"]
        assert "回头看" in refused.value.reasons[0].cite
    vw.fire(visit, "follow_up", actor=vw.expert2)
    vw.judge_followup(visit)
    with pytest.raises(InvalidInput):  # a conclusion is required
        vw.fire(visit, "close", conclusion="")
    vw.fire(visit, "close", actor=vw.expert)
    assert visit.state == "closed"


def test_a_step_out_of_order_is_refused(vw):
    visit = vw.plan()
    with pytest.raises(Blocked) as refused:
        vw.fire(visit, "start_consultation")
    assert reasons(refused) == ["wrong_state"]
