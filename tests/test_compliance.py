"""The compliance board and what falls due: both sides of every computed status, with the
clock injected, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import event

from permit import attachments, emergency, equipment, management, packs, registers, training
from permit import board as compliance_board
from permit.clock import local_zone
from permit.compliance import due_items
from permit.models import EntryLog, Signature
from permit.qualification import add_months, competence_kinds, valid_until
from permit.workflow import WorkflowError

from .factories import World

DRAFT = "draft-2023"


def at(day) -> datetime:
    """Mid-morning of a local day: the clock the board is computed at."""
    return datetime.combine(day, time(9, 0), tzinfo=local_zone()).astimezone(UTC)


def line(world: World, key: str):
    found = compliance_board.board(world.session, world.enterprise.id, world.clock.now())
    return next(entry for entry in found.lines if entry.key == key)


def status(world: World, key: str) -> str:
    return line(world, key).status


def expiry(world: World, kind: str, taken_on):
    from permit.models import TrainingRecord

    wf = packs.packs()[world.pack].workflows["confined_space"]
    return valid_until(TrainingRecord(kind=kind, taken_on=taken_on, passed=True), wf)


def all_checked(world: World) -> None:
    wf = packs.packs()[world.pack].workflows["confined_space"]
    for item in world.equipment():
        answers = {c["key"]: True for c in equipment.checklist(wf, item.kind)}
        equipment.record_check(world.session, item, results=answers, workflow=wf, clock=world.clock)
    world.session.commit()


def plans_everywhere(world: World) -> None:
    for space in (world.pit, world.tank):
        emergency.add_plan(
            world.session,
            world.enterprise,
            title="处置方案",
            steps=["撤离"],
            effective_on=world.today,
            clock=world.clock,
            space=space,
        )
    world.session.commit()


# -- art. 4 and 7: competence and training, one day either side of expiry --------------------


def test_an_attendants_competence_is_due_soon_the_day_before_it_expires_and_unmet_the_day_after(
    world,
):
    taken = world.today - timedelta(days=30)  # the factory's attendant was assessed then
    kind = competence_kinds(packs.packs()[DRAFT].workflows["confined_space"])[0]
    last_day = expiry(world, kind, taken)
    assert status(world, "attendants") == "met"
    world.clock.set(at(last_day - timedelta(days=1)))
    assert status(world, "attendants") == "due_soon"
    world.clock.set(at(last_day + timedelta(days=1)))
    found = line(world, "attendants")
    assert found.status == "not_met"
    assert "1名监护人中有1名无有效的" in found.evidence[0].message("zh")
    assert found.penalty["article"] == "003 第十八条" and found.penalty["item"] == "一"


def test_no_attendant_at_all_is_unmet(session, clock):
    world = World(session, clock)
    world.build()
    session.commit()
    world.attendant.active = False  # the only attendant left; a role is never relabelled
    session.commit()
    found = line(world, "attendants")
    assert found.status == "not_met"
    assert found.evidence[0].message("en") == "no attendant is named"


def _session_with(world: World, attendees, held_on):
    wf = packs.packs()[world.pack].workflows["confined_space"]
    return training.record_session(
        world.session,
        world.enterprise,
        workflow=wf,
        kind="annual",
        topic="年度专题培训",
        held_on=held_on,
        trainer="安全科",
        hours=4,
        attendees=attendees,
        clock=world.clock,
    )


def test_training_one_day_before_expiry_is_due_soon_and_one_day_after_is_unmet(world):
    people = [world.attendant, world.entrant, world.entrant2, world.rescuer]
    _session_with(world, [(p, True) for p in people], world.today - timedelta(days=30))
    world.session.commit()
    assert status(world, "training") == "met"
    last_day = expiry(world, "annual", world.today - timedelta(days=30))
    world.clock.set(at(last_day - timedelta(days=1)))
    assert status(world, "training") == "due_soon"
    world.clock.set(at(last_day + timedelta(days=1)))
    found = line(world, "training")
    assert found.status == "not_met"
    texts = [e.message("en") for e in found.evidence]
    assert (
        "4 of 4 people who may take part in work have no valid annual confined-space safety "
        "training" in texts
    )
    assert any("over a year ago" in t for t in texts)


def test_a_failed_attendee_leaves_training_unmet(session, clock):
    world = World(session, clock)
    world.build()
    newcomer = world.person("新员工", ["entrant"], trained=False)
    session.commit()
    _session_with(world, [(world.entrant, True), (newcomer, False)], world.today)
    session.commit()
    found = line(world, "training")
    assert found.status == "not_met"
    assert (
        found.evidence[0].message("zh")
        == "5名可参与作业人员中有1名无有效的有限空间作业专题安全培训"
    )
    _session_with(world, [(newcomer, True)], world.today)
    session.commit()
    assert status(world, "training") == "met"


def test_training_without_any_session_on_record_is_unmet(world):
    found = line(world, "training")  # the factory records people's training, not a session
    assert found.status == "not_met"
    assert found.evidence[-1].message("en") == "no training session on record"


# -- art. 5, 6: the management system and contractors -----------------------------------------


def _pdf(world):
    return attachments.store(
        world.session,
        enterprise_id=world.enterprise.id,
        filename="制度.pdf",
        data=b"%PDF-1.4 system",
        clock=world.clock,
    )


def test_the_management_system_is_met_once_a_version_covers_every_topic(world):
    assert status(world, "management_system") == "not_met"
    pack = packs.packs()[DRAFT]
    keys = [t["key"] for t in pack.section("management_system")["topics"]]
    management.record_document(
        world.session,
        world.enterprise,
        title="有限空间作业安全管理制度",
        version_label="V1",
        effective_on=world.today,
        covered=keys[:-1],
        attachment=_pdf(world),
        pack=pack,
        clock=world.clock,
    )
    world.session.commit()
    assert status(world, "management_system") == "not_met"
    management.record_document(
        world.session,
        world.enterprise,
        title="有限空间作业安全管理制度",
        version_label="V2",
        effective_on=world.today,
        covered=keys,
        attachment=_pdf(world),
        pack=pack,
        clock=world.clock,
    )
    world.session.commit()
    assert status(world, "management_system") == "met"


def test_a_contractor_agreement_on_both_sides_of_its_last_day(world):
    assert status(world, "contractors") == "met"  # nothing contracted out
    company = registers.add_contractor(
        world.session, world.enterprise, name="清源环保", clock=world.clock
    )
    world.session.flush()
    assert status(world, "contractors") == "not_met"
    last_day = world.today + timedelta(days=100)
    registers.add_agreement(
        world.session,
        company,
        valid_from=world.today - timedelta(days=10),
        valid_to=last_day,
        scope=["cleaning"],
        clock=world.clock,
    )
    world.session.commit()
    assert status(world, "contractors") == "met"
    world.clock.set(at(last_day))
    assert status(world, "contractors") == "due_soon"
    items = due_items(world.session, world.enterprise.id, last_day)
    assert [(i.key, i.due, i.overdue) for i in items if i.kind == "agreement"] == [
        (f"agreement:{company.agreements[0].id}", last_day, False)
    ]
    world.clock.set(at(last_day + timedelta(days=1)))
    assert status(world, "contractors") == "not_met"


def test_a_signed_renewal_means_the_old_agreement_does_not_fall_due(world):
    company = registers.add_contractor(
        world.session, world.enterprise, name="清源环保", clock=world.clock
    )
    world.session.flush()
    end = world.today + timedelta(days=5)
    registers.add_agreement(
        world.session,
        company,
        valid_from=world.today,
        valid_to=end,
        scope=["cleaning"],
        clock=world.clock,
    )
    registers.add_agreement(
        world.session,
        company,
        valid_from=end + timedelta(days=1),
        valid_to=end + timedelta(days=365),
        scope=["cleaning"],
        clock=world.clock,
    )
    world.session.commit()
    assert not [
        i
        for i in due_items(world.session, world.enterprise.id, world.today)
        if i.kind == "agreement"
    ]
    assert status(world, "contractors") == "met"


# -- art. 8, 9: the ledger, signs and isolation -----------------------------------------------


def test_a_space_without_hazards_leaves_the_ledger_unmet(world):
    assert status(world, "ledger") == "met"
    world.tank.hazards = []
    world.session.commit()
    found = line(world, "ledger")
    assert found.status == "not_met"
    assert found.evidence[0].message("en") == "1 of 2 spaces have no hazards listed"
    assert found.evidence[0].endpoint == "spaces.index"
    assert found.penalty["article"] == "003 第十八条" and found.penalty["item"] == "二"


def test_every_space_needs_its_warning_sign(world):
    found = line(world, "signs")  # the tank has none
    assert found.status == "not_met"
    assert found.evidence[0].args == (("sign", "missing"),)
    world.tank.sign_placed_on = world.today
    world.session.commit()
    assert status(world, "signs") == "met"


def test_a_poisoning_space_without_physical_isolation_is_unmet(world):
    assert status(world, "isolation") == "met"
    world.tank.isolation_measures = []  # oxygen deficiency only: not a toxic space
    world.session.commit()
    assert status(world, "isolation") == "met"
    world.pit.isolation_measures = []  # hydrogen sulphide
    world.session.commit()
    found = line(world, "isolation")
    assert found.status == "not_met"
    assert found.evidence[0].message("en").startswith("1 of 1 spaces where toxic substances")


# -- art. 10: equipment -----------------------------------------------------------------------


def test_equipment_due_today_is_due_soon_not_overdue_and_overdue_the_day_after(world):
    all_checked(world)
    assert status(world, "equipment") == "met"
    world.detector.due_on = world.today
    world.session.commit()
    assert status(world, "equipment") == "due_soon"
    [item] = [
        i
        for i in due_items(world.session, world.enterprise.id, world.today)
        if i.kind == "equipment"
    ]
    assert (item.key, item.due, item.overdue) == (
        f"equipment:{world.detector.id}:calibration",
        world.today,
        False,
    )
    assert item.endpoint == "equipment.show" and item.args == (("serial", "D-01"),)
    world.clock.advance(days=1)
    found = line(world, "equipment")
    assert found.status == "not_met"
    assert f"D-01 泵吸式四合一检测仪: calibration overdue since {world.detector.due_on}" in [
        e.message("en") for e in found.evidence
    ]
    assert found.evidence[0].message("en") == "no usable gas detector"  # the only one is late
    [item] = [
        i
        for i in due_items(world.session, world.enterprise.id, world.today)
        if i.kind == "equipment"
    ]
    assert item.overdue


def test_equipment_never_checked_by_an_attendant_is_unmet(world):
    found = line(world, "equipment")
    assert found.status == "not_met"
    assert "4 of 4 items in service have never been checked" in found.evidence[-1].message("en")


def test_no_usable_breathing_apparatus_is_unmet(world):
    all_checked(world)
    wf = packs.packs()[DRAFT].workflows["confined_space"]
    equipment.set_status(world.session, world.scba, "retired", reason="报废", clock=world.clock)
    world.session.commit()
    found = line(world, "equipment")
    assert found.status == "not_met"
    assert found.evidence[0].message("en").startswith("no usable positive-pressure SCBA or")
    assert wf  # the kinds named come from the pack


# -- art. 11, 12, 13: permits -----------------------------------------------------------------


def test_an_approval_signed_below_its_tier_is_unmet(world):
    permit = world.drive(world.permit(), "approved")
    assert permit.risk_tier == "major"
    assert status(world, "approval") == "met"
    world.session.add(
        Signature(
            permit_id=permit.id,
            user_id=world.approver.id,
            kind="approve",
            role="approver",
            tier="major",
            signed_at=world.clock.now(),
        )
    )
    world.session.commit()
    found = line(world, "approval")
    assert found.status == "not_met"
    assert found.evidence[0].message("en") == "1 of 2 approvals were signed below their tier"


def test_an_entry_without_a_fresh_passing_gas_test_is_unmet(world):
    worked = world.working()
    world.fire(worked, "check_in", person=world.entrant.id)
    assert status(world, "conditions") == "met"
    early = world.drive(world.permit(space=world.tank, task_type="inspection"), "approved")
    world.session.add(
        EntryLog(
            permit_id=early.id, user_id=world.entrant2.id, direction="in", at=world.clock.now()
        )
    )
    world.session.commit()
    found = line(world, "conditions")
    assert found.status == "not_met"
    assert found.evidence[0].message("en") == (
        "1 of 2 entries were made without a fresh passing gas test after ventilation"
    )


def test_work_in_progress_without_a_reading_for_longer_than_the_interval_is_unmet(world):
    assert status(world, "monitoring") == "met"  # no work in progress
    world.working()
    assert status(world, "monitoring") == "met"
    wf = packs.packs()[DRAFT].workflows["confined_space"]
    minutes = wf.figure("gas_tests", "monitoring_interval").seconds() / 60
    world.clock.advance(minutes=minutes - 2)
    assert status(world, "monitoring") == "met"
    world.clock.advance(minutes=3)
    assert status(world, "monitoring") == "not_met"


# -- art. 14: plans and drills, six months either side -----------------------------------------


def _drill(world, held_on):
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


@pytest.mark.parametrize("days, expected", [(-1, "due_soon"), (1, "not_met")])
def test_a_drill_six_months_ago_minus_or_plus_a_day(world, days, expected):
    plans_everywhere(world)
    six_months_ago = add_months(world.today, -6)
    # held six months and `days` ago: minus a day is still in time, plus a day is overdue
    _drill(world, six_months_ago - timedelta(days=days))
    found = line(world, "emergency")
    assert found.status == expected
    assert "6 months ago" in found.evidence[-1].message("en") or days < 0
    items = [
        i for i in due_items(world.session, world.enterprise.id, world.today) if i.kind == "drill"
    ]
    assert [(i.key, i.overdue) for i in items] == [
        (f"drill:enterprise:{world.enterprise.id}", expected == "not_met")
    ]


def test_a_recent_drill_and_plans_for_every_space_are_met(world):
    _drill(world, world.today - timedelta(days=10))
    found = line(world, "emergency")
    assert found.status == "not_met"  # no plan yet
    assert found.evidence[0].message("en") == (
        "2 of 2 spaces have no on-site disposal plan (for the space or its class)"
    )
    plans_everywhere(world)
    assert status(world, "emergency") == "met"


def test_under_order_13_the_drill_period_is_the_enterprises(session, clock):
    world = World(session, clock, pack="order13-2024")
    world.build()
    session.commit()
    plans_everywhere(world)
    _drill(world, world.today - timedelta(days=40))
    found = line(world, "emergency")
    assert found.status == "not_met"
    assert found.article == "令13 第十条"
    assert found.evidence[-1].message("en") == "the enterprise has not set how often it drills"
    assert found.penalty["article"] == "令13 第二十条"
    world.enterprise.drill_period_months = 2
    session.commit()
    assert status(world, "emergency") == "due_soon"  # due 20 days from now
    world.enterprise.drill_period_months = 1
    session.commit()
    assert status(world, "emergency") == "not_met"


# -- the board as a whole ---------------------------------------------------------------------


@pytest.mark.parametrize("pack", sorted(packs.packs()))
def test_every_obligation_a_pack_lists_is_computed_with_its_article(pack):
    lines = packs.packs()[pack].section("board")
    assert {b["key"] for b in lines} == set(compliance_board.COMPUTED)
    for entry in lines:
        assert entry["article"].startswith("003" if pack == DRAFT else "令13")


def test_a_board_penalty_key_that_names_no_penalty_item_is_refused(tmp_path):
    source = packs.packs()[DRAFT].path.read_text(encoding="utf-8")
    folder = tmp_path / DRAFT
    folder.mkdir()
    (folder / "pack.toml").write_text(
        source.replace('penalty = "ledger"', 'penalty = "nonsense"'), encoding="utf-8"
    )
    with pytest.raises(WorkflowError, match="penalty 'nonsense'"):
        packs.load(folder)


def test_a_met_obligation_shows_no_penalty(world):
    for entry in compliance_board.board(
        world.session, world.enterprise.id, world.clock.now()
    ).lines:
        assert (entry.penalty is not None) == (
            entry.status == "not_met" and entry.key not in {"management_system", "contractors"}
        ), entry.key


def _statements(world) -> int:
    engine = world.session.get_bind()
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        world.session.expire_all()
        compliance_board.board(world.session, world.enterprise.id, world.clock.now())
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_the_board_costs_the_same_number_of_queries_whatever_the_size(world):
    small = _statements(world)
    for n in range(40):
        registers.add_space(
            world.session,
            world.enterprise,
            code=f"X-{n:02d}",
            name=f"池 {n}",
            clock=world.clock,
            hazards=["h2s"] if n % 2 else [],
        )
        world.person(f"作业{n}", ["entrant"], trained=bool(n % 3))
        registers.add_equipment(
            world.session,
            world.enterprise,
            kind="fan",
            serial=f"FX-{n:02d}",
            name="风机",
            due_on=world.today + timedelta(days=n),
            clock=world.clock,
        )
    world.session.commit()
    assert _statements(world) == small


def test_due_items_name_the_person_and_the_keepers_for_training(world):
    taken = world.today - timedelta(days=30)
    last_day = expiry(world, "annual", taken)
    items = due_items(world.session, world.enterprise.id, last_day - timedelta(days=1))
    mine = [i for i in items if i.key == f"training:{world.entrant.id}:annual"]
    assert len(mine) == 1
    assert mine[0].due == last_day and not mine[0].overdue
    assert mine[0].subject == "周作业 — 有限空间作业专题安全培训"
    assert mine[0].article == "003 第七条"
    assert set(mine[0].user_ids) == {world.entrant.id, world.principal.id, world.deputy.id}
    assert (mine[0].endpoint, mine[0].args) == ("training.card", (("person_id", world.entrant.id),))
    after = due_items(world.session, world.enterprise.id, last_day + timedelta(days=1))
    assert [i.overdue for i in after if i.key == mine[0].key] == [True]
    upcoming = due_items(
        world.session, world.enterprise.id, last_day + timedelta(days=1), include_overdue=False
    )
    assert not [i for i in upcoming if i.key == mine[0].key]
    # the principal needs no training: nothing of theirs falls due
    assert not [i for i in after if i.key.startswith(f"training:{world.principal.id}:")]


# -- what the board reads: only the window each rule looks at, counted as one by one --------


def _records(world: World, person, kind: str, *days_back: int, passed: bool = True) -> None:
    from permit.models import TrainingRecord

    for back in days_back:
        world.session.add(
            TrainingRecord(
                user_id=person.id,
                kind=kind,
                topic=kind,
                passed=passed,
                taken_on=world.today - timedelta(days=back),
                recorded_at=world.clock.now(),
            )
        )


def _history(world: World) -> list:
    """People with years of records: old and recent, failed ones newer than passed ones, two
    on the same day, one dated ahead, people with two roles and people needing none."""
    competence = competence_kinds(packs.packs()[world.pack].workflows["confined_space"])
    people = []
    for n in range(10):
        roles = ["attendant", "rescuer"] if n % 3 == 0 else ["entrant"] if n % 3 else []
        person = world.person(f"历{n}", roles or ["approver"], trained=False)
        _records(world, person, "annual", 3 * 365 + n, 700 + n, 300 + 9 * n)
        if n % 4 == 1:
            _records(world, person, "annual", 20 + n, passed=False)
        if n % 5 == 2:
            _records(world, person, "annual", 300 + 9 * n)  # the same day twice
        if n == 7:
            _records(world, person, "annual", -5)  # dated ahead: not counted until then
        if "attendant" in roles:
            for j, kind in enumerate(competence):
                _records(world, person, kind, 800 + j, 330 + 7 * n + j)
        people.append(person)
    world.session.commit()
    return people


def test_what_falls_due_is_the_full_list_less_what_is_overdue_whatever_the_history(world):
    _history(world)
    training_seen = 0
    for shift in range(0, 420, 13):
        day = world.today + timedelta(days=shift)
        full = due_items(world.session, world.enterprise.id, day)
        upcoming = due_items(world.session, world.enterprise.id, day, include_overdue=False)
        assert upcoming == [item for item in full if not item.overdue]
        training_seen += sum(1 for item in upcoming if item.kind == "training")
    assert training_seen > 10  # the window was exercised, not empty every day


def test_the_training_lines_count_each_person_as_their_records_qualify_them(world):
    from sqlalchemy import select

    from permit.models import User
    from permit.qualification import is_qualified

    _history(world)
    wf = packs.packs()[world.pack].workflows["confined_space"]
    spec = wf.section("training")
    people = world.session.scalars(
        select(User).where(User.enterprise_id == world.enterprise.id, User.active.is_(True))
    ).all()
    for shift in (0, 40, 150, 300, 340, 400):
        day = world.today + timedelta(days=shift)
        found = compliance_board.board(world.session, world.enterprise.id, at(day))
        soon = day + timedelta(days=found.horizon_days)
        ctx = compliance_board._Context(
            session=world.session,
            enterprise=world.enterprise,
            pack=found.pack,
            workflow=wf,
            now=at(day),
            today=day,
            soon=soon,
        )
        for guard in ("people_trained", "attendant_competent"):
            kinds = compliance_board._kinds(wf, guard)
            roles = {r for k in kinds for r in spec[k].get("required_of", [])}
            holders = [p for p in people if roles & set(p.roles)]
            expected = {
                k: (
                    sum(is_qualified(p, k, day, wf) for p in holders),
                    # past the horizon, by the records taken by today
                    sum(
                        any(
                            r.kind == k
                            and r.taken_on <= day
                            and (valid_until(r, wf) or day) >= soon
                            and r.passed
                            for r in p.trainings
                        )
                        for p in holders
                    ),
                )
                for k in kinds
            }
            assert compliance_board._coverage(ctx, kinds) == (len(holders), expected)


@pytest.mark.parametrize("pack", [DRAFT, "order13-2024"])
def test_the_board_counts_approvals_below_their_tier_as_judging_each_would(session, clock, pack):
    from sqlalchemy import select

    from permit.models import Permit

    world = World(session, clock, pack)
    world.build()
    session.commit()
    major = world.drive(world.permit(), "approved")
    general = world.drive(world.permit(space=world.tank, task_type="inspection"), "approved")
    odd = [
        (major, "major", "approver"),
        (major, "major", "authorised"),
        (major, "major", "deputy"),
        (major, "no_such_tier", "entrant"),
        (general, "general", "entrant"),
        (general, "general", "authorised"),
        (general, None, "entrant"),
    ]
    for permit, tier, role in odd:
        session.add(
            Signature(
                permit_id=permit.id,
                user_id=world.approver.id,
                kind="approve",
                role=role,
                tier=tier,
                signed_at=clock.now(),
            )
        )
    session.add(  # not an approval: never counted
        Signature(
            permit_id=general.id,
            user_id=world.entrant.id,
            kind="close",
            role="entrant",
            tier="major",
            signed_at=clock.now(),
        )
    )
    session.commit()
    rows = session.execute(
        select(Permit.workflow, Permit.workflow_version, Signature.tier, Signature.role)
        .join(Permit, Permit.id == Signature.permit_id)
        .where(Permit.enterprise_id == world.enterprise.id, Signature.kind == "approve")
    ).all()
    below = sum(compliance_board.signed_below(session, world.enterprise.id, *row) for row in rows)
    assert below >= 2
    found = line(world, "approval")
    assert found.status == "not_met"
    assert found.evidence[0].message("en") == (
        f"{below} of {len(rows)} approvals were signed below their tier"
    )


def test_the_keepers_are_the_enterprises_own_active_principal_deputy_and_admin(world):
    from permit.compliance import keepers

    other = registers.create_enterprise(
        world.session, code="QY2", name="别家公司", industry="light", clock=world.clock
    )
    world.person("别家主任", ["principal"], enterprise=other, trained=False)
    admin = world.person("管理员", ["admin", "approver"], trained=False)
    gone = world.person("已离职副总", ["deputy"], trained=False)
    gone.active = False
    world.session.commit()
    assert keepers(world.session, world.enterprise.id) == tuple(
        sorted([world.principal.id, world.deputy.id, admin.id])
    )
