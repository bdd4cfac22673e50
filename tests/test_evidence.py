"""Evidence for the consultation form (000): for each of the 20 checkpoints, an enterprise whose
records satisfy it and one whose records violate it, and what the pre-filled evidence says; on
SQLite and PostgreSQL, with the clock injected."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from permit import (
    attachments,
    contractors,
    emergency,
    equipment,
    management,
    packs,
    registers,
    training,
)
from permit import evidence as form
from permit.models import PermitPerson, Signature
from permit.workflow import WorkflowError

from .factories import World

DRAFT = "draft-2023"


def found(world: World) -> dict[int, form.CheckpointEvidence]:
    return form.evidence(world.session, world.enterprise.id, world.today, world.clock.now())


def text(point: form.CheckpointEvidence, lang: str = "zh") -> str:
    return " | ".join(point.messages(lang))


def _pdf(world: World):
    return attachments.store(
        world.session,
        enterprise_id=world.enterprise.id,
        filename="制度.pdf",
        data=b"%PDF-1.4 system",
        clock=world.clock,
    )


def _wf(world: World):
    return packs.packs()[world.pack].workflows["confined_space"]


def _training_session(world: World, held_on, people=None) -> None:
    people = people or [world.attendant, world.entrant, world.entrant2, world.rescuer]
    training.record_session(
        world.session,
        world.enterprise,
        workflow=_wf(world),
        kind="annual",
        topic="有限空间专题培训",
        held_on=held_on,
        trainer="安全科",
        hours=4,
        attendees=[(p, True) for p in people],
        clock=world.clock,
    )
    world.session.commit()


def _drill(world: World, held_on) -> None:
    emergency.record_drill(
        world.session,
        world.enterprise,
        pack=packs.packs()[world.pack],
        held_on=held_on,
        scenario="硫化氢中毒救援",
        participants=[world.attendant],
        evaluation="熟练",
        clock=world.clock,
    )
    world.session.commit()


@pytest.fixture
def kept(world: World) -> World:
    return keep(world)


def keep(world: World) -> World:
    """An enterprise whose records satisfy every checkpoint: a complete ledger with signs and
    plans, a covering management system, this year's training, drills, checked equipment, a
    contractor under agreement, and work done by the book."""
    s, c = world.session, world.clock
    pack = packs.packs()[DRAFT]
    world.tank.sign_placed_on = world.today
    management.record_document(
        s,
        world.enterprise,
        title="有限空间作业安全管理制度",
        version_label="V1",
        effective_on=world.today,
        covered=[t["key"] for t in pack.section("management_system")["topics"]],
        attachment=_pdf(world),
        pack=pack,
        clock=c,
    )
    _training_session(world, world.today - timedelta(days=30))
    for space in (world.pit, world.tank):
        emergency.add_plan(
            s,
            world.enterprise,
            title="处置方案",
            steps=["撤离"],
            effective_on=world.today,
            clock=c,
            space=space,
        )
    _drill(world, world.today - timedelta(days=30))
    wf = _wf(world)
    for item in world.equipment():
        answers = {k["key"]: True for k in equipment.checklist(wf, item.kind)}
        equipment.record_check(s, item, results=answers, workflow=wf, clock=c)
    world.acme = contractors.add_company(s, world.enterprise, name="安达清洗公司", clock=c)
    contractors.add_agreement(
        s,
        world.acme,
        valid_from=world.today - timedelta(days=30),
        valid_to=world.today + timedelta(days=60),
        scope=["cleaning"],
        responsibilities="发包方：审批与现场监督；承包方：按方案作业",
        attachment=_pdf(world),
        workflow=wf,
        clock=c,
        document_ref="AQ-1",
    )
    s.commit()
    world.contracted = world.drive(
        world.permit(contractor=world.acme, supervisor=world.approver), "approved"
    )
    world.work = world.working()
    world.fire(world.work, "check_in", person=world.entrant.id)
    return world


# -- the satisfying enterprise ---------------------------------------------------------------


@pytest.mark.parametrize("number", range(1, 21))
def test_records_that_satisfy_a_checkpoint_are_suggested_as_satisfied(kept, number):
    point = found(kept)[number]
    assert point.status == form.SATISFIED, text(point)
    assert point.lines and not any(line.bad and "无有效" in line.message() for line in point.lines)
    assert point.article.startswith("003 第")


# -- one violation per checkpoint -------------------------------------------------------------


def _no_principal(w):
    w.principal.active = False
    return ["未登记主要负责人"]


def _attendant_not_competent(w):
    w.person("钱新监护", ["attendant"])
    return ["2名监护人中有1名无有效记录：钱新监护"]


def _system_missing_a_topic(w):
    pack = packs.packs()[DRAFT]
    management.record_document(
        w.session,
        w.enterprise,
        title="有限空间作业安全管理制度",
        version_label="V2",
        effective_on=w.today,
        covered=["training"],
        attachment=_pdf(w),
        pack=pack,
        clock=w.clock,
    )
    return ["安全管理制度未涵盖：监护人职责"]


def _no_system(w):
    return ["尚未建立有限空间作业安全管理制度"]


def _space_without_hazards(w):
    registers.add_space(
        w.session,
        w.enterprise,
        code="CK-09",
        name="检查井",
        clock=w.clock,
        hazards=[],
        sign_placed_on=w.today,
    )
    return ["3个有限空间中有1个未列明危险因素：CK-09"]


def _space_without_sign(w):
    w.tank.sign_placed_on = None
    return ["2个有限空间中有1个未设置警示标志：TK-01"]


def _training_over_a_year_ago(w):
    _training_session(w, w.today - timedelta(days=400))
    return ["已超过一年"]


def _untrained_entrant(w):
    w.person("冯新人", ["entrant"], trained=False)
    return ["无有效记录：冯新人"]


def _toxic_space_open(w):
    registers.add_space(
        w.session,
        w.enterprise,
        code="WS-02",
        name="2号污水池",
        clock=w.clock,
        catalogue_class="sewage_pool",
        hazards=["h2s"],
        isolation_measures=[],
        sign_placed_on=w.today,
    )
    return ["有1个未列明物理隔离措施：WS-02"]


def _approved_below_tier(w):
    w.session.add(
        Signature(
            permit_id=w.contracted.id,
            user_id=w.approver.id,
            kind="approve",
            role="approver",
            tier="major",
            signed_at=w.clock.now(),
        )
    )
    return ["不具备该级别审批权限的人员签批", w.contracted.number]


def _permit_without_hazards(w):
    w.contracted.hazards = []
    return ["未辨识危险因素", w.contracted.number]


def _entrant_not_briefed(w):
    person = next(p for p in w.work.people if p.role == "entrant")
    person.briefed_at = None
    return ["有作业人员未确认安全交底", w.work.number]


def _silence_during_work(w):
    interval = _wf(w).figure("gas_tests", "monitoring_interval").seconds() / 60
    w.clock.advance(minutes=interval + 5)
    return ["没有检测记录", w.work.number]


def _fan_out_of_date(w):
    w.fan.due_on = w.today - timedelta(days=1)
    return ["机械通风设备：可用0件"]


def _detector_overdue(w):
    w.detector.due_on = w.today - timedelta(days=3)
    return [f"D-01（{(w.today - timedelta(days=3)).isoformat()}）"]


def _untrained_rescuer(w):
    w.person("褚新救援", ["rescuer"], trained=False)
    return ["2名应急救援人员中有1名无有效记录：褚新救援"]


def _agreement_revoked(w):
    agreement = w.acme.agreements[0]
    contractors.revoke_agreement(w.session, agreement, reason="解约", clock=w.clock)
    return ["1家承包单位中有1家无有效的安全生产管理协议"]


def _no_supervisor(w):
    row = next(p for p in w.contracted.people if p.role == "supervisor")
    row.role = "entrant"
    return ["未明确本企业现场监督人员", w.contracted.number]


def _space_without_plan(w):
    registers.add_space(
        w.session,
        w.enterprise,
        code="TK-07",
        name="发酵罐",
        clock=w.clock,
        catalogue_class="fermentation_tank",
        hazards=["co2"],
        sign_placed_on=w.today,
    )
    return ["没有现场处置方案（针对该空间或其类别）：TK-07"]


def _drill_overdue(w):
    w.clock.advance(days=200)
    return ["上次应急演练为"]


VIOLATIONS = {
    1: _no_principal,
    2: _attendant_not_competent,
    3: _system_missing_a_topic,
    4: _no_system,
    5: _space_without_hazards,
    6: _space_without_sign,
    7: _training_over_a_year_ago,
    8: _untrained_entrant,
    9: _toxic_space_open,
    10: _approved_below_tier,
    11: _permit_without_hazards,
    12: _entrant_not_briefed,
    13: _silence_during_work,
    14: _fan_out_of_date,
    15: _detector_overdue,
    16: _untrained_rescuer,
    17: _agreement_revoked,
    18: _no_supervisor,
    19: _space_without_plan,
    20: _drill_overdue,
}
# Violations that need an enterprise without the record the satisfying one keeps.
ON_A_BARE_ENTERPRISE = {4, 7, 20}


@pytest.mark.parametrize("number", sorted(VIOLATIONS))
def test_records_that_violate_a_checkpoint_are_suggested_as_violated(world, number):
    w = world if number in ON_A_BARE_ENTERPRISE else keep(world)
    if number == 20:
        _drill(w, w.today)
    expected = VIOLATIONS[number](w)
    w.session.commit()
    point = found(w)[number]
    assert point.status == form.VIOLATED, text(point)
    for words in expected:
        assert words in text(point), text(point)
    assert any(line.bad for line in point.lines)


# -- the rest of the contract -----------------------------------------------------------------


def test_an_enterprise_that_keeps_no_work_records_here_gets_no_records_not_satisfied(world):
    points = found(world)
    for number in (10, 11, 12, 13, 17, 18):
        assert points[number].status == form.NO_RECORDS, (number, text(points[number]))
    assert "近12个月没有进入有限空间作业的记录" in text(points[12])


def test_every_line_reads_in_both_languages_and_links_to_a_register(kept):
    _space_without_hazards(kept)
    kept.session.commit()
    points = found(kept)
    assert sorted(points) == list(range(1, 21))
    for point in points.values():
        for line in point.lines:
            assert line.message("zh") and line.message("en")
            assert line.message("zh") != line.message("en")
    ledger = points[5]
    line = next(line for line in ledger.lines if line.bad)
    assert line.message("en") == "1 of 3 spaces have no hazards listed: CK-09"
    assert (line.endpoint, dict(line.args)) == ("spaces.show", {"code": "CK-09"})


def test_a_violation_carries_the_article_and_penalty_of_the_enterprises_pack(session, clock):
    world = World(session, clock, pack="order13-2024")
    world.build()
    session.commit()
    points = found(world)
    assert points[5].article == "令13 第六条"
    assert points[6].status == form.VIOLATED
    assert points[6].penalty["article"] == "令13 第十九条"
    assert points[9].penalty is None  # the order sets no penalty of its own for isolation
    assert points[1].cite.startswith("000 会诊表第1项")


def test_a_person_put_on_a_permit_without_valid_training_is_named_with_the_permit(kept):
    stranger = kept.person("卫外来", ["entrant"], trained=False)
    kept.session.add(PermitPerson(permit_id=kept.work.id, user_id=stranger.id, role="entrant"))
    kept.session.commit()
    point = found(kept)[8]
    assert point.status == form.VIOLATED
    assert f"卫外来（{kept.work.number}）" in text(point)


def test_training_that_lapsed_before_the_work_day_counts_against_the_permit(kept):
    """The SQL validity matches qualification.valid_until to the day, on both backends."""
    late = kept.person("蒋临期", ["entrant"], trained=False)
    registers.record_training(
        kept.session,
        late,
        kind="annual",
        passed=True,
        taken_on=kept.today - timedelta(days=366),
        clock=kept.clock,
    )
    kept.session.add(PermitPerson(permit_id=kept.work.id, user_id=late.id, role="entrant"))
    kept.session.commit()
    assert "蒋临期" in text(found(kept)[8])


def test_the_prefill_costs_the_same_number_of_queries_for_more_records(kept):
    engine = kept.session.get_bind()
    seen: list[int] = []

    def count(*_args):
        seen.append(1)

    def queries() -> int:
        seen.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            found(kept)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    before = queries()
    emergency.add_plan(
        kept.session,
        kept.enterprise,
        title="污水池处置方案",
        steps=["撤离"],
        effective_on=kept.today,
        clock=kept.clock,
        catalogue_class="sewage_pool",
    )
    for i in range(5):
        registers.add_space(
            kept.session,
            kept.enterprise,
            code=f"X-{i}",
            name="罐",
            clock=kept.clock,
            hazards=["o2_deficiency"],
            sign_placed_on=kept.today,
            catalogue_class="sewage_pool",
        )
        kept.working()
    kept.session.commit()
    assert queries() == before


# -- the data ---------------------------------------------------------------------------------


@pytest.mark.parametrize("pack", ["draft-2023", "order13-2024"])
def test_every_shipped_pack_gives_each_of_the_20_checkpoints_its_article(pack):
    entries = packs.packs()[pack].section("evidence")
    assert [e["checkpoint"] for e in entries] == list(range(1, 21))
    assert all(e["article"].startswith("003" if pack == DRAFT else "令13") for e in entries)
    assert [p["number"] for p in form.checkpoints()] == list(range(1, 21))


def test_a_pack_that_skips_a_checkpoint_is_refused(tmp_path):
    source = packs.packs()[DRAFT].path.read_text(encoding="utf-8")
    folder = tmp_path / DRAFT
    folder.mkdir()
    (folder / "pack.toml").write_text(
        source.replace("checkpoint = 20", "checkpoint = 21"), encoding="utf-8"
    )
    with pytest.raises(WorkflowError, match=r"checkpoints are numbered 1, 2, … in order"):
        packs.load(folder)


def test_a_checkpoint_naming_an_unknown_rule_is_refused(tmp_path, monkeypatch):
    broken = tmp_path / "evidence.toml"
    broken.write_text(
        form.SPEC_PATH.read_text(encoding="utf-8").replace(
            'rules = ["ledger"]', 'rules = ["ledger", "guesswork"]'
        ),
        encoding="utf-8",
    )
    monkeypatch.setattr(form, "SPEC_PATH", broken)
    form.spec.cache_clear()
    try:
        with pytest.raises(WorkflowError, match=r"checkpoint 5: unknown rule \['guesswork'\]"):
            form.spec()
    finally:
        monkeypatch.undo()
        form.spec.cache_clear()
