"""The equipment register (art. 10): certificates set the next due date, the attendant's
periodic checks take failing items out of service, and no item is ever deleted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from permit import attachments, engine, equipment, registers
from permit.errors import InvalidInput, NotFound
from permit.models import AuditEntry, Equipment
from permit.workflow import get as get_workflow

from .helpers import refused

PDF = b"%PDF-1.4\n% certificate\n"


@pytest.fixture
def wf(world):
    return get_workflow("confined_space", "draft-2023.1")


def audit_events(world, item) -> list[str]:
    return list(
        world.session.scalars(
            select(AuditEntry.event)
            .where(AuditEntry.subject_type == "equipment", AuditEntry.subject_id == item.id)
            .order_by(AuditEntry.id)
        )
    )


def test_a_certificate_moves_the_due_date_and_is_audited(world, wf):
    item = world.fan
    certificate = equipment.record_certificate(
        world.session,
        item,
        kind="inspection",
        performed_on=world.today - timedelta(days=3),
        valid_until=world.today + timedelta(days=362),
        agency="市计量院",
        certificate_no="JL-2026-001",
        workflow=wf,
        clock=world.clock,
        actor=world.principal,
    )
    world.session.commit()
    assert item.due_on == world.today + timedelta(days=362)
    assert item.certificates[0].id == certificate.id
    assert audit_events(world, item)[-1] == "certificate"


def test_a_detector_certificate_without_a_date_is_valid_for_the_packs_period(world, wf):
    performed = world.today - timedelta(days=10)
    equipment.record_certificate(
        world.session,
        world.detector,
        kind="calibration",
        performed_on=performed,
        workflow=wf,
        clock=world.clock,
    )
    period = wf.section("equipment_kinds")["gas_detector"]["interval"]
    assert period == {"value": 12, "unit": "month"}
    assert world.detector.due_on == performed.replace(year=performed.year + 1)


def test_other_kinds_need_the_date_their_certificate_states(world, wf):
    with pytest.raises(InvalidInput) as caught:
        equipment.record_certificate(
            world.session,
            world.harness,
            kind="inspection",
            performed_on=world.today,
            workflow=wf,
            clock=world.clock,
        )
    assert "valid-until" in caught.value.messages("en")[0]
    assert "有效期至" in caught.value.messages("zh")[0]


@pytest.mark.parametrize(
    "performed, valid, rule",
    [
        (1, 400, "performed_in_future"),
        (-5, -5, "valid_until_order"),
        (-5, -6, "valid_until_order"),
    ],
)
def test_impossible_certificate_dates_are_refused(world, wf, performed, valid, rule):
    before = world.fan.due_on
    with pytest.raises(InvalidInput) as caught:
        equipment.record_certificate(
            world.session,
            world.fan,
            kind="inspection",
            performed_on=world.today + timedelta(days=performed),
            valid_until=world.today + timedelta(days=valid),
            workflow=wf,
            clock=world.clock,
        )
    assert [r.rule for r in caught.value.reasons] == [rule]
    assert world.fan.due_on == before


def test_an_older_certificate_recorded_late_does_not_shorten_the_due_date(world, wf):
    kw = dict(kind="inspection", workflow=wf, clock=world.clock)
    equipment.record_certificate(
        world.session,
        world.fan,
        performed_on=world.today,
        valid_until=world.today + timedelta(days=365),
        **kw,
    )
    equipment.record_certificate(
        world.session,
        world.fan,
        performed_on=world.today - timedelta(days=365),
        valid_until=world.today,
        **kw,
    )
    assert world.fan.due_on == world.today + timedelta(days=365)
    assert len(world.fan.certificates) == 2


def test_an_overdue_item_cannot_go_on_a_permit_and_a_new_certificate_lets_it_back(world, wf):
    world.fan.due_on = world.today - timedelta(days=1)
    world.session.commit()
    permit = world.permit()
    assert "equipment_in_date" in refused(world, permit, "submit")
    reasons = engine.blocked_by(world.session, permit, "submit", world.requester, clock=world.clock)
    message = next(r for r in reasons if r.rule == "equipment_in_date").text("en")
    assert "F-01" in message and str(world.today - timedelta(days=1)) in message
    equipment.record_certificate(
        world.session,
        world.fan,
        kind="inspection",
        performed_on=world.today,
        valid_until=world.today + timedelta(days=365),
        workflow=wf,
        clock=world.clock,
    )
    world.session.commit()
    assert not [
        r
        for r in engine.blocked_by(
            world.session, permit, "submit", world.requester, clock=world.clock
        )
        if r.rule == "equipment_in_date"
    ]


def test_every_checklist_item_must_be_answered(world, wf):
    keys = [i["key"] for i in equipment.checklist(wf, "scba")]
    with pytest.raises(InvalidInput) as caught:
        equipment.record_check(
            world.session,
            world.scba,
            results={k: True for k in keys[:-1]},
            workflow=wf,
            clock=world.clock,
        )
    assert "背托" in caught.value.messages("zh")[0]
    assert world.scba.checks == []


def test_a_passing_check_keeps_the_item_in_service(world, wf):
    keys = [i["key"] for i in equipment.checklist(wf, "scba")]
    check = equipment.record_check(
        world.session,
        world.scba,
        results=dict.fromkeys(keys, True),
        workflow=wf,
        clock=world.clock,
        actor=world.attendant,
    )
    assert check.passed and world.scba.status == "in_service"
    assert equipment.unusable_reason(world.scba, world.today) is None


def test_a_failed_check_takes_the_item_out_of_service_until_put_right(world, wf):
    keys = [i["key"] for i in equipment.checklist(wf, "scba")]
    results = dict.fromkeys(keys, True) | {"whistle": False}
    equipment.record_check(
        world.session,
        world.scba,
        results=results,
        workflow=wf,
        clock=world.clock,
        actor=world.attendant,
    )
    world.session.commit()
    assert world.scba.status == "out_of_service"
    why = equipment.unusable_reason(world.scba, world.today)
    assert "余压报警哨" in why["zh"] and str(world.today) in why["en"]
    permit = world.permit()
    assert "equipment_in_date" in refused(world, permit, "submit")
    world.clock.advance(minutes=10)
    equipment.set_status(
        world.session,
        world.scba,
        "in_service",
        reason="更换报警哨后复检合格",
        clock=world.clock,
        actor=world.principal,
    )
    world.session.commit()
    assert equipment.unusable_reason(world.scba, world.today) is None
    assert audit_events(world, world.scba)[-3:] == ["check", "status", "status"]


def test_a_retired_item_never_comes_back_and_is_never_deleted(world, wf):
    equipment.set_status(
        world.session, world.harness, "retired", reason="织带老化", clock=world.clock
    )
    world.session.commit()
    with pytest.raises(InvalidInput):
        equipment.set_status(
            world.session, world.harness, "in_service", reason="x", clock=world.clock
        )
    with pytest.raises(InvalidInput):
        equipment.record_check(
            world.session, world.harness, results={}, workflow=wf, clock=world.clock
        )
    assert world.session.get(Equipment, world.harness.id).status == "retired"


def test_a_status_change_needs_a_reason(world):
    with pytest.raises(InvalidInput) as caught:
        equipment.set_status(
            world.session, world.fan, "out_of_service", reason="  ", clock=world.clock
        )
    assert caught.value.reasons[0].rule == "reason_required"
    assert world.fan.status == "in_service"


@pytest.mark.parametrize(
    "days, word", [(-1, "overdue"), (0, "due_soon"), (30, "due_soon"), (31, "ok")]
)
def test_the_registers_standing_of_an_item(world, days, word):
    world.fan.due_on = world.today + timedelta(days=days)
    assert equipment.standing(world.fan, world.today, soon_days=30) == word


def test_the_same_file_uploaded_twice_is_one_attachment(world):
    first = attachments.store(
        world.session,
        enterprise_id=world.enterprise.id,
        filename="../../cert.pdf",
        data=PDF,
        clock=world.clock,
    )
    again = attachments.store(
        world.session,
        enterprise_id=world.enterprise.id,
        filename="cert-copy.pdf",
        data=PDF,
        clock=world.clock,
    )
    assert first.id == again.id
    assert first.filename == "cert.pdf" and first.content_type == "application/pdf"


@pytest.mark.parametrize(
    "data, rule", [(b"", "file_empty"), (b"MZ\x90\x00 not a document", "file_type")]
)
def test_files_are_typed_by_their_own_bytes(world, data, rule):
    with pytest.raises(InvalidInput) as caught:
        attachments.store(
            world.session,
            enterprise_id=world.enterprise.id,
            filename="x.pdf",
            data=data,
            clock=world.clock,
        )
    assert caught.value.reasons[0].rule == rule


def test_files_over_the_cap_are_refused(world):
    store = dict(enterprise_id=world.enterprise.id, filename="x.pdf", clock=world.clock)
    with pytest.raises(InvalidInput) as caught:
        attachments.store(world.session, data=b"%PDF-" + b"0" * 46, max_bytes=50, **store)
    assert caught.value.reasons[0].rule == "file_too_large"
    assert attachments.store(world.session, data=b"%PDF-" + b"0" * 45, max_bytes=50, **store)


def test_another_enterprises_file_does_not_exist(world):
    stored = attachments.store(
        world.session,
        enterprise_id=world.enterprise.id,
        filename="c.pdf",
        data=PDF,
        clock=world.clock,
    )
    other = registers.create_enterprise(
        world.session, code="QY2", name="别家", industry="light", clock=world.clock
    )
    world.session.flush()
    with pytest.raises(NotFound):
        attachments.fetch(world.session, other.id, stored.id)
    assert attachments.fetch(world.session, world.enterprise.id, stored.id).data == PDF
