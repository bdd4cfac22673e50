"""A problem's life after the consultation (000 二（三）, 三): the penalty clause it would fall
under in the enterprise's own pack, the enterprise's answer with photos, and the 回头看
verdict; a visit closes only once every problem has one, and not fixed means enforcement."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from permit import followup, inspections, penalties
from permit.clock import local_date
from permit.errors import Blocked, InvalidInput, NotFound
from permit.models import AuditEntry, FindingPhoto
from permit.packs import load
from permit.workflow import WORKFLOWS_DIR, WorkflowError

from .factories import VisitWorld
from .helpers import reasons


def jpeg(colour: str = "green", size=(2400, 1600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


# -- the penalty clause of the enterprise's own pack ----------------------------------------


def visit_of(vw: VisitWorld, pack: str):
    """A visit at the consultation to an enterprise judged by the pack named."""
    ent = vw.ent
    if pack != "draft-2023":
        ent = getattr(vw, "ent13", None) or vw.enterprise("P13", vw.street, pack=pack)
        vw.ent13 = ent
    visit = inspections.plan(
        vw.session,
        enterprise=ent,
        planned_on=local_date(vw.clock.now()),
        lead=vw.regulator,
        experts=[vw.expert, vw.expert2],
        clock=vw.clock,
    )
    return vw.drive(visit, "consultation")


def answer_photo(vw, visit, data: bytes, *, number: int = 5, filename="a.jpg", actor=None):
    """The principal's (or `actor`'s) photo of a rectified problem at a checkpoint."""
    return inspections.add_answer_photo(
        vw.session,
        visit,
        number,
        filename=filename,
        data=data,
        actor=actor or vw.principal,
        clock=vw.clock,
    )


def test_a_ledger_problem_maps_to_art_18_of_the_draft_with_its_fines(vw):
    visit = visit_of(vw, "draft-2023")
    mapped = penalties.penalty_for(vw.session, visit, 5)
    clause = mapped.clause
    assert mapped.pack == "draft-2023" and mapped.article == "003 第八条"
    assert (clause.article, clause.item, clause.key) == ("003 第十八条", "二", "ledger")
    assert clause.text["zh"] == "未按照规定建立有限空间安全管理台账"
    assert clause.label("zh") == "003 第十八条第（二）项"
    assert clause.fines_text("enterprise") == "责令限期改正，罚款5万元以下"
    assert clause.fines_text("persons") == "责令限期改正，罚款1万元以下"
    assert clause.fines_text("persons", "en") == "a fine of up to ¥10,000 when ordered to rectify"


def test_a_sign_problem_under_the_draft_carries_the_overdue_fines_of_art_17(vw):
    clause = penalties.penalty_for(vw.session, visit_of(vw, "draft-2023"), 6).clause
    assert clause.article == "003 第十七条" and clause.item == "一"
    assert [(f.party, f.when, f.low, f.high) for f in clause.fines] == [
        ("enterprise", "ordered", 0, 50000),
        ("enterprise", "overdue", 50000, 200000),
        ("persons", "overdue", 10000, 20000),
    ]
    assert clause.fines_text("enterprise") == (
        "责令限期改正，罚款5万元以下；逾期未改正的，罚款5万元以上20万元以下"
    )
    assert clause.fines_of("persons")[0].range("en") == "¥10,000 to ¥20,000"


def test_under_order_13_training_falls_under_art_20_with_its_higher_fines(vw):
    visit = visit_of(vw, "order13-2024")
    clause = penalties.penalty_for(vw.session, visit, 7).clause
    assert clause.article == "令13 第二十条" and clause.item == "一"
    assert clause.fines_text("enterprise") == (
        "责令限期改正，罚款10万元以下；逾期未改正的，罚款10万元以上20万元以下"
    )
    assert clause.fines_text("persons") == "逾期未改正的，罚款2万元以上5万元以下"
    ledger = penalties.penalty_for(vw.session, visit, 5).clause
    assert (ledger.article, ledger.item) == ("令13 第二十一条", "二")


def test_a_checkpoint_no_liability_item_lists_says_so_under_both_packs(vw):
    for pack, article in (("draft-2023", "003 第六条"), ("order13-2024", "令13 第八条")):
        visit = visit_of(vw, pack)
        mapped = penalties.penalty_for(vw.session, visit, 17)  # contractors' agreements
        assert mapped.clause is None and mapped.article == article
        assert "法律责任条款未列此项" in mapped.summary("zh") and article in mapped.summary("zh")
        assert "No item of the liability articles" in mapped.summary("en")
    # isolation is an item of the draft's art. 18 but of no liability article of order 13
    draft = penalties.penalty_for(vw.session, visit_of(vw, "draft-2023"), 9)
    order = penalties.penalty_for(vw.session, visit_of(vw, "order13-2024"), 9)
    assert draft.clause.key == "isolation" and order.clause is None


def test_a_pack_without_fines_or_with_a_bad_range_is_refused(tmp_path):
    source = (WORKFLOWS_DIR / "draft-2023" / "pack.toml").read_text(encoding="utf-8")
    no_fines = re.sub(r"fines = \[\n(?:  .*\n)*\]\n", "", source, count=1)
    for broken, message in (
        (no_fines, "lacks 'fines'"),
        (source.replace("min = 50000, max = 200000", "min = 200000, max = 50000"), "min < max"),
        (source.replace('when = "overdue", min = 10000', 'when = "later", min = 10000'), "party"),
    ):
        folder = tmp_path / "draft-2023"
        folder.mkdir(exist_ok=True)
        (folder / "pack.toml").write_text(broken, encoding="utf-8")
        with pytest.raises(WorkflowError, match=message):
            load(folder)


# -- the enterprise's answer with photos ----------------------------------------------------


def test_an_answer_photo_is_kept_by_hash_resized_and_a_retry_never_duplicates(vw):
    visit = vw.drive(vw.plan(), "rectifying")
    data = jpeg()
    first = answer_photo(vw, visit, data, filename="fixed.jpg")
    again = answer_photo(vw, visit, data, filename="fixed (1).jpg")
    assert first.id == again.id and first.kind == "answer"
    with Image.open(io.BytesIO(first.resized.data)) as small:
        assert max(small.size) == inspections.REPORT_PIXELS
    assert len(vw.session.scalars(select(FindingPhoto)).all()) == 1
    logged = vw.session.scalars(
        select(AuditEntry).where(AuditEntry.event == "add_answer_photo")
    ).all()
    assert len(logged) == 1 and logged[0].data["sha256"] == first.attachment.sha256


def test_answer_photos_only_while_rectifying_or_following_up(vw):
    visit = vw.drive(vw.plan(), "debrief")
    with pytest.raises(InvalidInput) as early:
        answer_photo(vw, visit, jpeg())
    assert reasons(early) == ["not_rectifying"]
    vw.drive(visit, "follow_up")
    answer_photo(vw, visit, jpeg("blue"))
    vw.drive(visit, "closed")
    with pytest.raises(InvalidInput):
        answer_photo(vw, visit, jpeg("white"), filename="b.jpg")


def test_an_outsider_cannot_answer_nor_add_an_answer_photo(vw):
    visit = vw.drive(vw.plan(), "rectifying")
    for outsider in (vw.expert, vw.regulator, vw.staff, vw.other_expert):
        with pytest.raises(NotFound):
            answer_photo(vw, visit, jpeg(), actor=outsider)
        with pytest.raises(NotFound):
            inspections.answer(vw.session, visit, 5, "已整改", actor=outsider, clock=vw.clock)
    with pytest.raises(NotFound):  # a checkpoint that met the requirement has nothing to answer
        answer_photo(vw, visit, jpeg(), number=1)
    with pytest.raises(InvalidInput) as not_a_photo:
        answer_photo(vw, visit, b"%PDF-1.4", filename="a.pdf")
    assert reasons(not_a_photo) == ["photo_type"]
    assert vw.session.scalars(select(FindingPhoto)).all() == []


def test_the_teams_own_photo_sent_back_as_evidence_is_refused(vw):
    visit = vw.drive(vw.plan(), "consultation")
    vw.judge_all(visit)
    data = jpeg("purple")
    inspections.add_photo(
        vw.session, visit, 5, filename="p.jpg", data=data, actor=vw.expert, clock=vw.clock
    )
    vw.drive(visit, "rectifying")
    with pytest.raises(InvalidInput) as refused:
        answer_photo(vw, visit, data, filename="p.jpg")
    assert reasons(refused) == ["photo_elsewhere"]
    assert "问题图片" in refused.value.reasons[0].message("zh")


# -- 回头看 -----------------------------------------------------------------------------------


def test_the_visit_closes_only_when_every_problem_has_a_follow_up_verdict(vw):
    visit = vw.drive(vw.plan(), "consultation")
    vw.judge_all(visit, problem_at=(5, 9))
    vw.drive(visit, "follow_up")
    with pytest.raises(Blocked) as refused:
        vw.fire(visit, "close")
    assert reasons(refused) == ["every_problem_followed_up"] * 2
    assert (
        "000 三" in refused.value.reasons[0].cite
        and "依法严格处罚" in refused.value.reasons[0].cite
    )
    assert (
        refused.value.reasons[1].message("zh")
        == "会诊表第9项的问题尚无回头看结论（已整改或未整改）"
    )
    followup.record_verdict(vw.session, visit, 5, "fixed", "", actor=vw.regulator, clock=vw.clock)
    with pytest.raises(Blocked) as still:
        vw.fire(visit, "close")
    assert [r.params["number"] for r in still.value.reasons] == [9]
    followup.record_verdict(
        vw.session, visit, 9, "not_fixed", "隔离栏仍未设置", actor=vw.expert2, clock=vw.clock
    )
    vw.fire(visit, "close")
    assert visit.state == "closed"


def test_a_problem_not_fixed_is_flagged_for_enforcement_with_its_penalty(vw):
    visit = vw.drive(vw.plan(), "consultation")
    vw.judge_all(visit, problem_at=(5, 6))
    vw.drive(visit, "follow_up")
    assert followup.flagged_for_enforcement(vw.session, visit) == []
    followup.record_verdict(
        vw.session, visit, 5, "fixed", "台账已补齐", actor=vw.expert, clock=vw.clock
    )
    followup.record_verdict(
        vw.session, visit, 6, "not_fixed", "入口仍无警示标志", actor=vw.expert, clock=vw.clock
    )
    flags = followup.flagged_for_enforcement(vw.session, visit)
    assert [(f.checkpoint, f.note) for f in flags] == [(6, "入口仍无警示标志")]
    assert flags[0].penalty.clause.article == "003 第十七条"
    # changed on a second look: no longer flagged, and both verdicts are on record
    followup.record_verdict(
        vw.session, visit, 6, "fixed", "已补设", actor=vw.regulator, clock=vw.clock
    )
    assert followup.flagged_for_enforcement(vw.session, visit) == []
    logged = vw.session.scalars(
        select(AuditEntry).where(AuditEntry.event == "follow_up_verdict").order_by(AuditEntry.seq)
    ).all()
    assert [(e.data["checkpoint"], e.data["verdict"]) for e in logged] == [
        (5, "fixed"),
        (6, "not_fixed"),
        (6, "fixed"),
    ]


def test_a_verdict_sent_again_is_recorded_once(vw):
    visit = vw.drive(vw.plan(), "follow_up")
    for _ in range(3):
        followup.record_verdict(
            vw.session, visit, 5, "fixed", "已整改", actor=vw.expert, clock=vw.clock
        )
    logged = vw.session.scalars(
        select(AuditEntry).where(AuditEntry.event == "follow_up_verdict")
    ).all()
    assert len(logged) == 1


def test_only_the_team_judges_only_during_the_follow_up_and_not_fixed_needs_a_note(vw):
    visit = vw.drive(vw.plan(), "rectifying")
    with pytest.raises(InvalidInput) as early:
        followup.record_verdict(vw.session, visit, 5, "fixed", "", actor=vw.expert, clock=vw.clock)
    assert reasons(early) == ["not_following_up"]
    vw.drive(visit, "follow_up")
    for outsider in (vw.principal, vw.staff, vw.other_expert, vw.other_regulator):
        with pytest.raises(NotFound):
            followup.record_verdict(
                vw.session, visit, 5, "fixed", "", actor=outsider, clock=vw.clock
            )
    with pytest.raises(NotFound):  # only problems get a verdict
        followup.record_verdict(vw.session, visit, 1, "fixed", "", actor=vw.expert, clock=vw.clock)
    with pytest.raises(InvalidInput) as bad:
        followup.record_verdict(vw.session, visit, 5, "maybe", "", actor=vw.expert, clock=vw.clock)
    assert reasons(bad) == ["bad_verdict"]
    with pytest.raises(InvalidInput) as bare:
        followup.record_verdict(
            vw.session, visit, 5, "not_fixed", "  ", actor=vw.expert, clock=vw.clock
        )
    assert reasons(bare) == ["note_needed"]
    assert inspections.problems(vw.session, visit)[0].followup is None
