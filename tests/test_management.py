"""The enterprise's own rules: its safety-management system document, versioned, with the
topics of art. 5 (令13 第四条) covered or missing; and its approval-tier table, which decides
who signs but can never let major-risk work be approved below the floor of art. 11."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from permit import access, attachments, contractors, engine, management, packs, registers
from permit.approval import approvers_for, tier_for
from permit.errors import InvalidInput
from permit.models import ApprovalTable, AuditEntry, ManagementDocument
from permit.workflow import get as get_workflow

from .factories import World
from .helpers import refused, row_counts

DRAFT_TOPICS = [
    "attendant_duties",
    "training",
    "approval",
    "protective_equipment",
    "procedures",
    "emergency",
]


@pytest.fixture
def draft():
    return packs.packs()["draft-2023"]


@pytest.fixture
def wf():
    return get_workflow("confined_space", "draft-2023.1")


@pytest.fixture
def admin(world):
    user = world.person("管理员", ["admin"], trained=False, username="admin")
    world.session.commit()
    return user


def document(world, pack, covered, version="V1", **override):
    fields = dict(
        title="有限空间作业安全管理制度",
        version_label=version,
        effective_on=world.today,
        covered=covered,
        attachment=attachments.store(
            world.session,
            enterprise_id=world.enterprise.id,
            filename="制度.pdf",
            data=f"%PDF-1.4\n% {version}\n".encode(),
            clock=world.clock,
        ),
        pack=pack,
        clock=world.clock,
        actor=world.principal,
    )
    fields.update(override)
    doc = management.record_document(world.session, world.enterprise, **fields)
    world.session.commit()
    return doc


# -- the management-system document ---------------------------------------------------------


def test_each_topic_of_article_5_is_marked_covered_or_missing(world, draft):
    doc = document(world, draft, [k for k in DRAFT_TOPICS if k != "procedures"])
    topics = management.coverage(doc, draft, contracting=False)
    assert [t.key for t in topics] == DRAFT_TOPICS
    assert [t.key for t in topics if not t.covered] == ["procedures"]
    assert topics[0].label == {"zh": "监护人职责", "en": "the attendant's duties"}
    [finding] = management.findings(world.session, world.enterprise.id, draft)
    assert finding.text("zh").startswith("003 第五条") and "操作规程" in finding.message("zh")
    assert finding.message("en").endswith("operating procedures")


def test_no_document_is_a_finding_and_a_complete_one_is_none(world, draft):
    [finding] = management.findings(world.session, world.enterprise.id, draft)
    assert finding.rule == "system_missing"
    document(world, draft, DRAFT_TOPICS)
    assert management.findings(world.session, world.enterprise.id, draft) == []


def test_a_new_version_supersedes_the_last_and_both_are_kept(world, draft):
    first = document(world, draft, ["training"], version="V1")
    second = document(world, draft, DRAFT_TOPICS, version="V2")
    assert first.superseded_at is not None and second.superseded_at is None
    assert management.current_document(world.session, world.enterprise.id) == second
    assert management.history(world.session, world.enterprise.id) == [second, first]
    with pytest.raises(InvalidInput) as caught:
        document(world, draft, DRAFT_TOPICS, version="V2")
    assert [r.rule for r in caught.value.reasons] == ["system_version_taken"]
    logged = world.session.scalars(
        select(AuditEntry).where(
            AuditEntry.subject_type == "management_documents",
            AuditEntry.subject_id == second.id,
        )
    ).one()
    assert logged.data["supersedes"] == first.id and logged.data["version"] == "V2"


def test_everything_wrong_with_a_document_is_said_at_once_and_nothing_is_kept(world, draft):
    world.session.commit()
    before = row_counts(world.session)
    with pytest.raises(InvalidInput) as caught:
        management.record_document(
            world.session,
            world.enterprise,
            title=" ",
            version_label="",
            effective_on=None,
            covered=["training", "astrology"],
            attachment=None,
            pack=draft,
            clock=world.clock,
        )
    world.session.rollback()
    assert [r.rule for r in caught.value.reasons] == [
        "system_title",
        "system_version",
        "system_date",
        "system_topic",
        "system_file",
    ]
    assert row_counts(world.session) == before


def test_order_13_asks_for_contracting_rules_only_of_an_enterprise_that_contracts_out(
    session, clock
):
    w = World(session, clock, pack="order13-2024")
    w.build()
    order13 = packs.packs()["order13-2024"]
    keys = [t["key"] for t in order13.section("management_system")["topics"]]
    doc = document(w, order13, [k for k in keys if k != "contracting"])
    assert management.findings(session, w.enterprise.id, order13) == []
    contractors.add_company(session, w.enterprise, name="承包商", clock=clock)
    [finding] = management.findings(session, w.enterprise.id, order13)
    assert finding.text("zh").startswith("令13 第四条") and "发包管理" in finding.message("zh")
    contracting = management.coverage(doc, order13, contracting=True)[-1]
    assert contracting.cite.startswith("GB 46768 4.3.2") and not contracting.covered


# -- the approval-tier table --------------------------------------------------------------


def test_an_admin_cannot_lower_the_major_tier_and_the_refusal_cites_the_article(world, wf, admin):
    world.session.commit()
    before = row_counts(world.session)
    with pytest.raises(InvalidInput) as caught:
        management.set_tiers(
            world.session,
            world.enterprise,
            wf,
            {"major": {"approvers": ["approver", "principal"]}},
            clock=world.clock,
            actor=admin,
        )
    world.session.rollback()
    [reason] = caught.value.reasons
    assert reason.rule == "tier_floor"
    assert reason.text("zh").startswith("003 第十一条：涉及硫化氢、一氧化碳等中毒风险")
    assert "主要负责人或分管负责人" in reason.message("zh") and "审批人" in reason.message("zh")
    assert "not by approver" in reason.message("en")
    assert row_counts(world.session) == before
    # Within the floor the enterprise may be stricter: the principal alone.
    management.set_tiers(
        world.session,
        world.enterprise,
        wf,
        {"major": {"approvers": ["principal"]}},
        clock=world.clock,
        actor=admin,
    )
    world.session.commit()
    permit = world.drive(world.permit(task_type="cleaning"), "pending_approval")
    assert permit.risk_tier == "major"
    assert "by_tier_approver" in refused(world, permit, "approve", actor=world.deputy)
    world.fire(permit, "approve", actor=world.principal)
    assert permit.state == "approved"


def test_under_order_13_major_work_stays_with_the_principal_or_a_written_delegate(session, clock):
    w = World(session, clock, pack="order13-2024")
    w.build()
    admin = w.person("管理员", ["admin"], trained=False)
    wf13 = get_workflow("confined_space", "order13-2024.1")
    with pytest.raises(InvalidInput) as caught:
        management.set_tiers(
            session,
            w.enterprise,
            wf13,
            {"major": {"approvers": ["deputy"]}},
            clock=clock,
            actor=admin,
        )
    assert caught.value.reasons[0].text("zh").startswith("令13 第七条")
    management.set_tiers(
        session,
        w.enterprise,
        wf13,
        {"major": {"approvers": ["principal"], "written_authorisation": False}},
        clock=clock,
        actor=admin,
    )
    permit = w.permit(task_type="cleaning")
    assert approvers_for(permit, wf13) == (["principal"], False)


def test_written_authorisation_only_where_the_pack_allows_it(world, wf, admin):
    with pytest.raises(InvalidInput) as caught:
        management.set_tiers(
            world.session,
            world.enterprise,
            wf,
            {"general": {"approvers": ["approver"], "written_authorisation": True}},
            clock=world.clock,
            actor=admin,
        )
    assert [r.rule for r in caught.value.reasons] == ["tier_written"]


def test_a_tier_needs_a_role_that_approves_and_a_known_name(world, wf, admin):
    with pytest.raises(InvalidInput) as caught:
        management.set_tiers(
            world.session,
            world.enterprise,
            wf,
            {"general": {"approvers": ["entrant"]}, "urgent": {"approvers": ["principal"]}},
            clock=world.clock,
            actor=admin,
        )
    assert [r.rule for r in caught.value.reasons] == ["tier_unknown", "tier_role", "tier_empty"]


def test_only_the_enterprises_admin_sets_the_table(world, wf):
    with pytest.raises(InvalidInput) as caught:
        management.set_tiers(
            world.session,
            world.enterprise,
            wf,
            {"general": {"approvers": ["principal"]}},
            clock=world.clock,
            actor=world.principal,
        )
    assert [r.rule for r in caught.value.reasons] == ["tiers_admin"]


def test_an_approver_signs_general_work_only_while_the_table_says_so(world, wf, admin):
    def table(roles):
        management.set_tiers(
            world.session,
            world.enterprise,
            wf,
            {"general": {"approvers": roles}},
            clock=world.clock,
            actor=admin,
        )
        world.session.commit()

    table(["principal", "deputy"])
    permit = world.drive(world.permit(task_type="inspection"), "pending_approval")
    assert permit.risk_tier == "general"
    assert "by_tier_approver" in refused(world, permit, "approve", actor=world.approver)
    assert permit not in _inbox(world, world.approver)
    table(["approver"])
    assert permit in _inbox(world, world.approver)
    world.fire(permit, "approve", actor=world.approver)
    assert permit.signatures[-1].role == "approver"
    versions = management.table_history(world.session, world.enterprise.id, wf)
    assert [v.superseded_at is None for v in versions] == [True, False]
    logged = world.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.subject_type == "approval_tables")
        .order_by(AuditEntry.seq.desc())
    ).first()
    assert logged.data["tiers"]["from"]["general"]["approvers"] == ["principal", "deputy"]
    assert logged.data["tiers"]["to"]["general"]["approvers"] == ["approver"]


def _inbox(world, user):
    return access.awaiting_signature(world.session, user, world.today)


def test_the_refusal_names_the_roles_the_table_asks_for(world, wf, admin):
    management.set_tiers(
        world.session,
        world.enterprise,
        wf,
        {"general": {"approvers": ["deputy"]}},
        clock=world.clock,
        actor=admin,
    )
    world.session.commit()
    permit = world.drive(world.permit(task_type="inspection"), "pending_approval")
    reasons = engine.blocked_by(world.session, permit, "approve", world.approver, clock=world.clock)
    assert "须由分管负责人审批" in reasons[0].message("zh")


def test_a_stored_table_below_the_floor_is_never_obeyed(world, wf):
    # Defence in depth: a row that slipped past the checks (a hand-edited database) still
    # cannot let an approver sign major-risk work.
    world.session.add(
        ApprovalTable(
            enterprise_id=world.enterprise.id,
            pack=wf.pack,
            workflow=wf.name,
            tiers={"major": {"approvers": ["approver"]}},
            created_at=world.clock.now(),
        )
    )
    world.session.commit()
    permit = world.drive(world.permit(task_type="cleaning"), "pending_approval")
    assert approvers_for(permit, wf) == (["principal", "deputy"], False)
    assert "by_tier_approver" in refused(world, permit, "approve", actor=world.approver)


def test_a_table_for_one_pack_does_not_judge_permits_of_another(session, clock):
    w = World(session, clock, pack="order13-2024")
    w.build()
    draft_wf = get_workflow("confined_space", "draft-2023.1")
    admin = w.person("管理员", ["admin"], trained=False)
    management.set_tiers(
        session,
        w.enterprise,
        draft_wf,
        {"general": {"approvers": ["principal"]}},
        clock=clock,
        actor=admin,
    )
    pit = registers.add_space(
        session,
        w.enterprise,
        code="PT-01",
        name="集水坑",
        clock=clock,
        hazards=["drowning"],
        control_measures=["抽水"],
    )
    permit = w.permit(task_type="inspection", space=pit)
    wf13 = get_workflow("confined_space", "order13-2024.1")
    assert tier_for(permit, wf13)["name"] == "general"
    assert approvers_for(permit, wf13)[0] == ["approver", "principal", "deputy"]


def test_management_rows_are_never_deleted(world, draft, wf, admin):
    doc = document(world, draft, DRAFT_TOPICS)
    management.set_tiers(
        world.session,
        world.enterprise,
        wf,
        {"general": {"approvers": ["principal"]}},
        clock=world.clock,
        actor=admin,
    )
    world.session.commit()
    for model in (ManagementDocument, ApprovalTable):
        with pytest.raises(Exception):  # noqa: B017 - the database refuses, whichever backend
            world.session.execute(model.__table__.delete())
            world.session.flush()
        world.session.rollback()
    assert world.session.get(ManagementDocument, doc.id).topics == DRAFT_TOPICS
