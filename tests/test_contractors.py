"""Contractors (art. 6; 令13 第八条): agreements that cover a permit's task and whole window,
revoked or expired ones that cover nothing, companies that retire, and the contractor's
administrator keeping its own workers — on both sides of every rule, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from permit import access, attachments, contractors, engine, packs, registers, training
from permit.errors import InvalidInput, NotFound
from permit.models import AuditEntry, SafetyAgreement
from permit.workflow import get as get_workflow

from .helpers import refused, row_counts

SCAN = b"%PDF-1.4\n% the signed agreement\n"


@pytest.fixture
def wf():
    return get_workflow("confined_space", "draft-2023.1")


@pytest.fixture
def draft():
    return packs.packs()["draft-2023"]


@pytest.fixture
def acme(world):
    company = contractors.add_company(
        world.session, world.enterprise, name="安达管道工程有限公司", clock=world.clock
    )
    world.session.commit()
    return company


@pytest.fixture
def boss(world, acme):
    """The contractor's administrator: signs in for the company, keeps its workers."""
    return contractors.add_account(
        world.session,
        acme,
        name="陈承包",
        username="acme",
        password="long enough",
        clock=world.clock,
        actor=world.principal,
    )


def scan(world, data: bytes = SCAN):
    return attachments.store(
        world.session,
        enterprise_id=world.enterprise.id,
        filename="协议.pdf",
        data=data,
        clock=world.clock,
    )


def agree(world, company, wf, days=(-30, 30), scope=("cleaning",), **override):
    fields = dict(
        valid_from=world.today + timedelta(days=days[0]),
        valid_to=world.today + timedelta(days=days[1]),
        scope=list(scope),
        responsibilities="发包方：审批与现场监督；承包方：按方案作业",
        attachment=scan(world),
        workflow=wf,
        clock=world.clock,
        document_ref="AQ-1",
        actor=world.principal,
    )
    fields.update(override)
    agreement = contractors.add_agreement(world.session, company, **fields)
    world.session.commit()
    return agreement


def contracted(world, company, **override):
    return world.permit(contractor=company, supervisor=world.approver, **override)


def blocking(world, permit) -> set[str]:
    return {
        r.rule
        for r in engine.blocked_by(
            world.session, permit, "submit", world.requester, clock=world.clock
        )
    }


# -- agreements --------------------------------------------------------------------------


def test_an_expired_agreement_blocks_and_a_new_one_lets_the_company_back(world, wf, acme):
    agree(world, acme, wf, days=(-400, -1))
    permit = contracted(world, acme)
    assert "contractor_agreement_valid" in refused(world, permit, "submit")
    agree(world, acme, wf, days=(0, 365))
    world.fire(permit, "submit")
    assert permit.state == "pending_approval"


def test_a_revoked_agreement_covers_nothing_and_stays_on_record(world, wf, acme):
    agreement = agree(world, acme, wf)
    permit = contracted(world, acme)
    assert "contractor_agreement_valid" not in blocking(world, permit)
    contractors.revoke_agreement(
        world.session,
        agreement,
        reason="承包方资质被暂扣",
        clock=world.clock,
        actor=world.principal,
    )
    world.session.commit()
    assert "contractor_agreement_valid" in refused(world, permit, "submit")
    kept = world.session.get(SafetyAgreement, agreement.id)
    assert kept.revoked_at is not None and kept.revoke_reason == "承包方资质被暂扣"
    assert contractors.standing(kept, world.today) == "revoked"
    logged = world.session.scalars(
        select(AuditEntry).where(
            AuditEntry.subject_type == "safety_agreements", AuditEntry.event == "revoke"
        )
    ).one()
    assert logged.actor_role == "principal" and logged.data["reason"] == "承包方资质被暂扣"


def test_revoking_twice_or_without_a_reason_is_refused(world, wf, acme):
    agreement = agree(world, acme, wf)
    with pytest.raises(InvalidInput) as caught:
        contractors.revoke_agreement(world.session, agreement, reason=" ", clock=world.clock)
    assert [r.rule for r in caught.value.reasons] == ["reason_required"]
    contractors.revoke_agreement(world.session, agreement, reason="到期前解约", clock=world.clock)
    with pytest.raises(InvalidInput) as caught:
        contractors.revoke_agreement(world.session, agreement, reason="再撤", clock=world.clock)
    assert [r.rule for r in caught.value.reasons] == ["agreement_revoked"]


@pytest.mark.parametrize(
    "valid, covered",
    [
        ((0, 0), True),  # the window lies within the agreement's last day
        ((-10, -1), False),  # ended yesterday
        ((1, 30), False),  # starts tomorrow: today's work is not covered
    ],
)
def test_the_agreement_must_cover_the_whole_window(world, wf, acme, valid, covered):
    agree(world, acme, wf, days=valid)
    now = world.clock.now()
    permit = contracted(world, acme, window_start=now, window_end=now + timedelta(minutes=30))
    assert ("contractor_agreement_valid" not in blocking(world, permit)) is covered


def test_work_running_past_the_agreements_last_day_is_not_covered(world, wf, acme):
    agree(world, acme, wf, days=(-5, 0))
    now = world.clock.now()
    overnight = contracted(world, acme, window_end=now + timedelta(days=1, hours=1))
    assert "contractor_agreement_valid" in blocking(world, overnight)


def test_several_agreements_can_be_valid_at_once_each_for_its_own_work(world, wf, acme):
    agree(world, acme, wf, scope=["cleaning"])
    agree(world, acme, wf, scope=["maintenance", "inspection"])
    for task in ("cleaning", "maintenance", "inspection"):
        assert contractors.agreement_covering(acme, task, world.today, world.today) is not None
    assert contractors.agreement_covering(acme, "dredging", world.today, world.today) is None
    assert len(acme.agreements) == 2


def test_everything_wrong_with_an_agreement_is_said_at_once_and_nothing_is_kept(world, wf, acme):
    world.session.commit()
    before = row_counts(world.session)
    with pytest.raises(InvalidInput) as caught:
        contractors.add_agreement(
            world.session,
            acme,
            valid_from=None,
            valid_to=world.today,
            scope=["cleaning", "juggling"],
            responsibilities="  ",
            attachment=None,
            workflow=wf,
            clock=world.clock,
        )
    world.session.rollback()
    assert [r.rule for r in caught.value.reasons] == [
        "agreement_dates",
        "agreement_scope_unknown",
        "agreement_responsibilities",
        "agreement_document",
    ]
    duties = caught.value.reasons[2]
    assert duties.text("zh").startswith("003 第六条") and "duties" in duties.message("en")
    assert row_counts(world.session) == before


def test_an_agreement_cannot_end_before_it_starts_nor_cover_nothing(world, wf, acme):
    with pytest.raises(InvalidInput) as caught:
        agree(world, acme, wf, days=(5, 4), scope=())
    assert [r.rule for r in caught.value.reasons] == ["agreement_order", "agreement_scope"]


def test_the_agreement_is_audited_with_its_document(world, wf, acme):
    agreement = agree(world, acme, wf, scope=["maintenance", "cleaning"])
    assert agreement.scope == ["cleaning", "maintenance"]  # the pack's order
    assert agreement.attachment.content_type == "application/pdf"
    logged = world.session.scalars(
        select(AuditEntry).where(
            AuditEntry.subject_type == "safety_agreements", AuditEntry.subject_id == agreement.id
        )
    ).one()
    assert logged.data["attachment"] == agreement.attachment.sha256
    assert logged.data["responsibilities"].startswith("发包方")


# -- companies ---------------------------------------------------------------------------


def test_a_retired_company_gets_no_new_permit_and_is_kept(world, wf, acme):
    agree(world, acme, wf)
    contractors.retire_company(world.session, acme, reason="合同终止", clock=world.clock)
    world.session.commit()
    assert "contractor_agreement_valid" in refused(world, contracted(world, acme), "submit")
    assert acme in contractors.companies(world.session, world.enterprise.id)
    with pytest.raises(InvalidInput) as caught:
        agree(world, acme, wf)
    assert "contractor_retired" in [r.rule for r in caught.value.reasons]


def test_a_company_with_an_open_permit_cannot_retire(world, wf, acme):
    agree(world, acme, wf)
    permit = contracted(world, acme)
    with pytest.raises(InvalidInput) as caught:
        contractors.retire_company(world.session, acme, reason="", clock=world.clock)
    assert [r.rule for r in caught.value.reasons] == ["reason_required", "contractor_busy"]
    assert permit.number in caught.value.reasons[1].message("en")
    world.fire(permit, "cancel", actor=world.requester)
    contractors.retire_company(world.session, acme, reason="合同终止", clock=world.clock)
    assert acme.retired_at is not None


def test_a_company_is_registered_once(world, acme):
    with pytest.raises(InvalidInput) as caught:
        contractors.add_company(
            world.session, world.enterprise, name=" 安达管道工程有限公司 ", clock=world.clock
        )
    assert [r.rule for r in caught.value.reasons] == ["contractor_taken"]


# -- the contractor's administrator and its workers ---------------------------------------


def test_the_contractor_admin_adds_workers_only_in_the_roles_the_pack_allows(
    world, draft, acme, boss
):
    with pytest.raises(InvalidInput) as caught:
        contractors.add_worker(
            world.session,
            boss,
            name="杨工",
            phone="",
            roles=["entrant", "attendant"],
            pack=draft,
            clock=world.clock,
        )
    refusal = caught.value.reasons[0]
    assert refusal.rule == "worker_role_refused" and refusal.cite.startswith("003 第四条")
    assert "作业人员、应急救援人员" in refusal.message("zh")
    worker = contractors.add_worker(
        world.session,
        boss,
        name="杨工",
        phone="139 0000 0000",
        roles=["rescuer", "entrant"],
        pack=draft,
        clock=world.clock,
    )
    world.session.commit()
    assert worker.contractor_id == acme.id and worker.enterprise_id == world.enterprise.id
    assert worker.roles == {"entrant", "rescuer"} and worker.password_hash is None
    assert contractors.workers(world.session, acme.id) == [worker]  # not the admin
    logged = world.session.scalars(
        select(AuditEntry).where(
            AuditEntry.subject_type == "users", AuditEntry.subject_id == worker.id
        )
    ).one()
    assert (logged.actor_id, logged.actor_role) == (boss.id, "contractor")


def test_only_a_contractor_admin_keeps_a_worker_list_and_only_its_own(world, draft, acme, boss):
    with pytest.raises(NotFound):
        contractors.add_worker(
            world.session,
            world.principal,
            name="外人",
            phone="",
            roles=["entrant"],
            pack=draft,
            clock=world.clock,
        )
    other = contractors.add_company(world.session, world.enterprise, name="速清", clock=world.clock)
    stranger = world.person("速清工人", ["entrant"], contractor=other)
    with pytest.raises(NotFound):
        contractors.deactivate_worker(world.session, boss, stranger, reason="x", clock=world.clock)
    with pytest.raises(NotFound):
        contractors.own_worker(world.session, boss, world.entrant.id)


def test_a_contractors_worker_whose_training_expired_is_kept_off_until_a_new_pass(
    world, wf, draft, acme, boss
):
    agree(world, acme, wf)
    worker = contractors.add_worker(
        world.session, boss, name="杨工", phone="", roles=["entrant"], pack=draft, clock=world.clock
    )
    registers.record_training(
        world.session,
        worker,
        kind="annual",
        passed=True,
        taken_on=world.today - timedelta(days=400),
        clock=world.clock,
    )
    world.session.commit()
    permit = contracted(world, acme, entrants=[worker])
    assert "people_trained" in refused(world, permit, "submit")
    training.record_session(  # the enterprise trains the contractor's people too (art. 7)
        world.session,
        world.enterprise,
        workflow=wf,
        kind="annual",
        topic="承包单位入场培训",
        held_on=world.today,
        trainer="安全科",
        hours=4,
        attendees=[(worker, True)],
        clock=world.clock,
        actor=world.principal,
    )
    world.session.commit()
    world.fire(permit, "submit")
    assert permit.state == "pending_approval"


def test_a_worker_on_an_open_permit_stays_on_the_list_until_it_ends(world, wf, draft, acme, boss):
    agree(world, acme, wf)
    worker = world.person("杨工", ["entrant"], contractor=acme)
    permit = contracted(world, acme, entrants=[worker])
    with pytest.raises(InvalidInput) as caught:
        contractors.deactivate_worker(world.session, boss, worker, reason="离职", clock=world.clock)
    assert [r.rule for r in caught.value.reasons] == ["worker_busy"]
    world.fire(permit, "cancel", actor=world.requester)
    contractors.deactivate_worker(world.session, boss, worker, reason="离职", clock=world.clock)
    world.session.commit()
    assert worker not in access.colleagues(world.session, world.requester)  # not pickable
    assert worker in contractors.workers(world.session, acme.id)  # still on record
    contractors.reactivate_worker(world.session, boss, worker, clock=world.clock)
    assert worker.active
    with pytest.raises(InvalidInput):
        contractors.reactivate_worker(world.session, boss, worker, clock=world.clock)


def test_a_contractor_account_needs_a_free_name_and_a_real_password(world, acme, boss):
    with pytest.raises(InvalidInput) as caught:
        contractors.add_account(
            world.session,
            acme,
            name="",
            username="acme",
            password="short",
            clock=world.clock,
        )
    assert [r.rule for r in caught.value.reasons] == [
        "account_name",
        "username_taken",
        "password_short",
    ]
    assert contractors.is_admin(boss) and access.is_contractor(boss)


# -- the supervisor ----------------------------------------------------------------------


def test_the_supervisor_must_be_active_staff_not_going_inside(world, wf, acme):
    agree(world, acme, wf)
    permit = contracted(world, acme)
    assert contractors.supervisor_problems(permit) == []
    world.approver.active = False
    assert [p["en"] for p in contractors.supervisor_problems(permit)] == [
        f"{world.approver.name} is deactivated"
    ]
    assert contractors.pick_supervisor(world.session, world.enterprise.id, world.approver.id)[1]
    world.approver.active = True
    chosen, problems = contractors.pick_supervisor(
        world.session, world.enterprise.id, world.deputy.id
    )
    assert chosen == world.deputy and problems == []
