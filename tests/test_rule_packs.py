"""Rule packs: the seed's draft and the texts in force, run side by side on the same scenarios."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from permit import engine, monitoring, packs, registers, workflow
from permit.cli import cli
from permit.drills import drill_status
from permit.errors import InvalidInput
from permit.workflow import WorkflowError

from .factories import World
from .helpers import refused

PACKS = ["draft-2023", "order13-2024"]


@pytest.fixture(params=PACKS)
def pack_world(request, session, clock) -> World:
    w = World(session, clock, pack=request.param)
    w.build()
    session.commit()
    return w


def co2_tank(w: World):
    """A tank with CO2 asphyxiation risk, a detector that measures CO2, and the rest of the kit."""
    tank = registers.add_space(
        w.session,
        w.enterprise,
        code="CT-01",
        name="二氧化碳储罐",
        clock=w.clock,
        hazards=["co2", "o2_deficiency"],
        control_measures=["氮气置换后通风"],
        isolation_measures=["上锁"],
    )
    detector = registers.add_equipment(
        w.session,
        w.enterprise,
        kind="gas_detector",
        serial="D-CO2",
        name="泵吸式五合一",
        gases=["o2", "lel", "h2s", "co", "co2"],
        pump_suction=True,
        due_on=w.today + timedelta(days=90),
        clock=w.clock,
    )
    w.session.commit()
    return w.permit(
        space=tank, task_type="cleaning", equipment=[detector, w.fan, w.scba, w.harness]
    )


def test_a_permit_records_the_pack_it_was_made_under(pack_world):
    permit = pack_world.permit()
    assert (
        permit.workflow_version
        == packs.packs()[pack_world.pack].workflows["confined_space"].version
    )


def test_co2_tank_cleaning_is_general_under_the_draft_but_needs_the_principal_under_order_13(
    pack_world,
):
    w = pack_world
    permit = w.drive(co2_tank(w), "pending_approval")
    if w.pack == "draft-2023":  # 第十一条 names H2S and CO only
        assert permit.risk_tier == "general"
        w.fire(permit, "approve", actor=w.approver)
        assert permit.state == "approved"
    else:  # 令13 第七条: 硫化氢、一氧化碳、二氧化碳等中毒和窒息风险 → principal or written delegate
        assert permit.risk_tier == "major"
        assert "by_tier_approver" in refused(w, permit, "approve", actor=w.approver)
        reasons = engine.blocked_by(w.session, permit, "approve", w.approver, clock=w.clock)
        assert "令13 第七条" in reasons[0].text("zh") and "书面委托" in reasons[0].text("zh")
        assert "by_tier_approver" in refused(w, permit, "approve", actor=w.deputy)
        w.fire(permit, "approve", actor=w.principal)
        assert permit.signatures[-1].role == "principal"


def test_under_order_13_a_person_authorised_in_writing_may_approve(session, clock):
    w = World(session, clock, pack="order13-2024")
    w.build()
    permit = w.drive(w.permit(), "pending_approval")
    assert "by_tier_approver" in refused(w, permit, "approve", actor=w.deputy)
    registers.authorise(
        session,
        w.principal,
        w.deputy,
        valid_from=w.today - timedelta(days=1),
        valid_to=w.today + timedelta(days=30),
        document_ref="委托书〔2026〕3号",
        clock=clock,
    )
    session.commit()
    w.fire(permit, "approve", actor=w.deputy)
    assert permit.state == "approved" and permit.signatures[-1].role == "authorised"


def test_an_expired_written_authorisation_does_not_count(session, clock):
    w = World(session, clock, pack="order13-2024")
    w.build()
    registers.authorise(
        session,
        w.principal,
        w.deputy,
        valid_from=w.today - timedelta(days=60),
        valid_to=w.today - timedelta(days=1),
        document_ref="委托书〔2026〕1号",
        clock=clock,
    )
    session.commit()
    permit = w.drive(w.permit(), "pending_approval")
    assert "by_tier_approver" in refused(w, permit, "approve", actor=w.deputy)


def test_only_the_principal_can_authorise_in_writing(session, clock):
    w = World(session, clock, pack="order13-2024")
    w.build()
    with pytest.raises(InvalidInput, match="principal"):
        registers.authorise(
            session,
            w.deputy,
            w.approver,
            valid_from=w.today,
            valid_to=w.today + timedelta(days=1),
            document_ref="x",
            clock=clock,
        )


def test_a_twenty_minute_interruption_needs_a_new_test_only_under_order_13(pack_world):
    w = pack_world
    permit = w.working()
    w.fire(permit, "check_in", person=w.entrant.id)
    w.fire(permit, "check_out", person=w.entrant.id)
    w.clock.advance(minutes=20)
    if w.pack == "draft-2023":  # GB 30871: only after more than 60 minutes
        w.fire(permit, "check_in", person=w.entrant.id)
        assert permit.headcount == 1
    else:  # 令13 第十五条: after any interruption
        assert "retest_after_interruption" in refused(w, permit, "check_in", person=w.entrant.id)
        w.fire(permit, "record_gas_test")
        w.fire(permit, "check_in", person=w.entrant.id)


def test_order_13_tests_four_gases_from_outside_with_a_pump_suction_detector(session, clock):
    w = World(session, clock, pack="order13-2024")
    w.build()
    permit = w.drive(w.permit(space=w.tank), "ventilating")  # the tank lists O2 deficiency only
    o2_only = [r for r in w.readings(permit) if r["gas"] == "o2"]
    assert "readings_complete" in refused(w, permit, "record_gas_test", readings=o2_only)
    assert "checklist_confirmed" in refused(w, permit, "record_gas_test", confirmed=["ppe"])
    w.detector.pump_suction = False
    w.session.commit()
    assert "detector_pump_suction" in refused(w, permit, "record_gas_test")
    w.detector.pump_suction = True
    w.session.commit()
    w.fire(permit, "record_gas_test")
    assert {r.gas for r in permit.gas_tests[-1].readings} == {"o2", "lel", "h2s", "co"}


def test_the_draft_tests_oxygen_and_the_listed_hazards_only(session, clock):
    w = World(session, clock, pack="draft-2023")
    w.build()
    permit = w.drive(w.permit(space=w.tank), "ventilating")
    w.fire(permit, "record_gas_test")
    assert {r.gas for r in permit.gas_tests[-1].readings} == {"o2"}


def test_flammable_gas_at_exactly_ten_percent_lel_fails_the_draft_and_passes_gb_46768():
    from permit import gas

    reading = {"gas": "lel", "value": 10, "unit": "%LEL"}
    assert not gas.judge(reading, workflow.get("confined_space", "draft-2023.1")).passed
    assert gas.judge(reading, workflow.get("confined_space", "order13-2024.1")).passed


@pytest.mark.parametrize(
    "pack, setting, expected",
    [
        ("draft-2023", None, "overdue"),  # 003 第十四条: every six months
        ("order13-2024", None, "not_set"),  # 令13 第十条: 按规定 — the enterprise sets the period
        ("order13-2024", 12, "met"),
        ("order13-2024", 6, "overdue"),
    ],
)
def test_a_drill_seven_months_ago(pack, setting, expected):
    today = date(2026, 11, 23)
    status = drill_status(packs.packs()[pack], today - timedelta(days=213), today, setting)
    assert status.status == expected
    assert status.cite.startswith("003 第十四条" if pack == "draft-2023" else "令13 第十条")


@pytest.mark.parametrize("pack, gaps", [("draft-2023", 0), ("order13-2024", 1)])
def test_a_twenty_minute_gap_in_the_readings(pack, gaps):
    from datetime import UTC, datetime

    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    times = [start, start + timedelta(minutes=10), start + timedelta(minutes=30)]
    wf = packs.packs()[pack].workflows["confined_space"]
    found = monitoring.gaps(times, wf)
    assert len(found) == gaps  # GB 46768 6.2.3: a record every 15 minutes
    if found:
        assert found[0].minutes == 20


def test_a_permit_keeps_its_pack_after_the_enterprise_switches(session, clock):
    w = World(session, clock, pack="draft-2023")
    w.build()
    old = w.working()
    packs.choose(session, w.enterprise.id, "order13-2024", w.today, clock=clock)
    session.commit()
    new = w.permit()
    assert old.workflow_version == "draft-2023.1" and new.workflow_version == "order13-2024.1"
    w.fire(old, "check_in", person=w.entrant.id)
    w.fire(old, "check_out", person=w.entrant.id)
    w.clock.advance(minutes=20)
    w.fire(old, "check_in", person=w.entrant.id)  # judged by the draft to its end
    assert old.headcount == 1


def test_a_pack_chosen_for_a_later_day_applies_from_that_day(session, clock):
    w = World(session, clock, pack="draft-2023")
    w.build()
    packs.choose(session, w.enterprise.id, "order13-2024", w.today + timedelta(days=7), clock=clock)
    session.commit()
    assert packs.pack_in_force(session, w.enterprise.id, w.today) == "draft-2023"
    assert (
        packs.pack_in_force(session, w.enterprise.id, w.today + timedelta(days=7)) == "order13-2024"
    )
    later = w.permit(
        window_start=clock.now() + timedelta(days=7, hours=1),
        window_end=clock.now() + timedelta(days=7, hours=5),
    )
    assert later.workflow_version == "order13-2024.1"


def test_a_pack_cannot_be_chosen_for_the_past_or_unknown(session, clock):
    w = World(session, clock)
    w.build()
    with pytest.raises(InvalidInput, match="past"):
        packs.choose(
            session, w.enterprise.id, "order13-2024", w.today - timedelta(days=1), clock=clock
        )
    with pytest.raises(InvalidInput, match="No rule pack"):
        packs.choose(session, w.enterprise.id, "order99", w.today, clock=clock)


def test_an_enterprise_without_a_choice_is_judged_by_the_texts_in_force():
    assert packs.default_pack(date(2026, 11, 23)) == "order13-2024"


# -- pack files are validated at load ---------------------------------------------------------


def copied_pack(tmp_path: Path, name: str = "order13-2024") -> Path:
    folder = tmp_path / name
    shutil.copytree(workflow.WORKFLOWS_DIR / name, folder)
    return folder


def break_file(path: Path, old: str, new: str) -> int:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return next(
        i for i, line in enumerate(path.read_text().splitlines(), 1) if new.split("\n")[0] in line
    )


def test_a_pack_penalty_without_a_citation_is_refused_naming_file_and_line(tmp_path):
    folder = copied_pack(tmp_path)
    path = folder / "pack.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('cite = "令13 第二十条"\n', "", 1), encoding="utf-8")
    line = next(
        i
        for i, row in enumerate(path.read_text().splitlines(), 1)
        if 'article = "令13 第二十条"' in row
    )
    with pytest.raises(
        WorkflowError, match=rf"pack.toml:{line}: penalty 令13 第二十条 has no citation"
    ):
        packs.load(folder)


def test_a_drill_period_without_a_unit_is_refused(tmp_path):
    folder = copied_pack(tmp_path, "draft-2023")
    line = break_file(
        folder / "pack.toml", 'period = { value = 6, unit = "month" }', "period = { value = 6 }"
    )
    with pytest.raises(WorkflowError, match=rf"pack.toml:{line}: drills.period"):
        packs.load(folder)


def test_a_pack_workflow_with_an_unknown_rule_is_refused(tmp_path):
    folder = copied_pack(tmp_path)
    line = break_file(
        folder / "confined_space.toml",
        '"detector_usable", "detector_pump_suction"',
        '"detector_usable", "detector_sniffs"',
    )
    with pytest.raises(WorkflowError, match=rf"confined_space.toml:{line}: .*detector_sniffs"):
        workflow.load(folder / "confined_space.toml")


def test_every_rule_of_the_texts_in_force_cites_them_not_the_draft():
    wf = workflow.get("confined_space", "order13-2024.1")
    for name, text in wf.guards.items():
        assert "003" not in text.cite and ("令13" in text.cite or "GB " in text.cite), name


# -- comparison -------------------------------------------------------------------------------


def test_the_comparison_shows_each_rule_with_both_citations():
    rows = {(r.topic, r.item): r for r in packs.compare("draft-2023", "order13-2024", "zh")}
    major = rows[("作业审批", "major")]
    assert "003 第十一条" in major.a_cite and "令13 第七条" in major.b_cite and major.rule_changed
    interruption = rows[("气体检测", "interruption")]
    assert (interruption.a, interruption.b) == ("60 min", "0 min")
    h2s = rows[("气体准入条件", "h2s")]
    assert h2s.a == h2s.b and h2s.mark == "~"  # same limit, new citation
    assert rows[("法律责任", "令13 第二十条")].a == "—"


def test_rules_diff_on_the_command_line():
    result = CliRunner().invoke(cli, ["rules", "diff", "draft-2023", "order13-2024", "--changed"])
    assert result.exit_code == 0, result.output
    assert "≠ interruption" in result.output and "令13 第十五条" in result.output
    bad = CliRunner().invoke(cli, ["rules", "diff", "draft-2023", "nope"])
    assert bad.exit_code != 0 and "no rule pack nope" in bad.output


def test_the_admin_switches_packs_and_everyone_sees_the_comparison(make_app, session, clock):
    w = World(session, clock)
    w.build()
    admin = w.person("管理员", ["admin"], username="admin")
    session.commit()
    app = make_app(WTF_CSRF_ENABLED=False, CLOCK=clock)
    client = app.test_client()
    client.post("/login", data={"username": "admin", "password": "demo"})
    page = client.get("/rules/compare?a=draft-2023&b=order13-2024").get_data(as_text=True)
    assert "令13 第七条" in page and "003 第十一条" in page
    response = client.post(
        "/rules", data={"pack": "order13-2024", "applies_from": w.today.isoformat()}
    )
    assert response.status_code == 303
    assert packs.pack_in_force(session, w.enterprise.id, w.today) == "order13-2024"
    entrant = app.test_client()
    entrant.post("/login", data={"username": "entrant", "password": "demo"})
    assert (
        entrant.post(
            "/rules", data={"pack": "draft-2023", "applies_from": w.today.isoformat()}
        ).status_code
        == 404
    )
    assert admin.id
