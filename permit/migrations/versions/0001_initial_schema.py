"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "enterprises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("industry", sa.String(length=40), nullable=False),
        sa.Column("emergency_phone", sa.String(length=40), nullable=True),
        sa.Column("permit_counter", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprises")),
        sa.UniqueConstraint("code", name=op.f("uq_enterprises_code")),
    )
    op.create_table(
        "contractors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_contractors_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contractors")),
    )
    with op.batch_alter_table("contractors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contractors_enterprise_id"), ["enterprise_id"], unique=False
        )

    op.create_table(
        "equipment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("serial", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("gases", sa.JSON(), nullable=False),
        sa.Column("pump_suction", sa.Boolean(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_equipment_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment")),
        sa.UniqueConstraint("enterprise_id", "serial", name=op.f("uq_equipment_enterprise_id")),
    )
    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_equipment_enterprise_id"), ["enterprise_id"], unique=False
        )

    op.create_table(
        "spaces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("industry", sa.String(length=40), nullable=False),
        sa.Column("catalogue_class", sa.String(length=80), nullable=True),
        sa.Column("hazards", sa.JSON(), nullable=False),
        sa.Column("isolation_measures", sa.JSON(), nullable=False),
        sa.Column("control_measures", sa.JSON(), nullable=False),
        sa.Column("deep", sa.Boolean(), nullable=False),
        sa.Column("sign_placed_on", sa.Date(), nullable=True),
        sa.Column("notice_board_placed_on", sa.Date(), nullable=True),
        sa.Column("qr_token", sa.String(length=64), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_spaces_enterprise_id_enterprises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spaces")),
        sa.UniqueConstraint("enterprise_id", "code", name=op.f("uq_spaces_enterprise_id")),
        sa.UniqueConstraint("qr_token", name=op.f("uq_spaces_qr_token")),
    )
    with op.batch_alter_table("spaces", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_spaces_enterprise_id"), ["enterprise_id"], unique=False
        )

    op.create_table(
        "safety_agreements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("document_ref", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contractor_id"],
            ["contractors.id"],
            name=op.f("fk_safety_agreements_contractor_id_contractors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_agreements")),
    )
    with op.batch_alter_table("safety_agreements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_safety_agreements_contractor_id"), ["contractor_id"], unique=False
        )

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("contractor_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=80), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contractor_id"], ["contractors.id"], name=op.f("fk_users_contractor_id_contractors")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_users_enterprise_id_enterprises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_contractor_id"), ["contractor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_users_enterprise_id"), ["enterprise_id"], unique=False)

    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(length=20), nullable=False),
        sa.Column("subject_type", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_audit_entries_actor_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
        sa.UniqueConstraint("chain", "seq", name=op.f("uq_audit_entries_chain")),
    )
    op.create_table(
        "permits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("workflow", sa.String(length=40), nullable=False),
        sa.Column("workflow_version", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=False),
        sa.Column("task_type", sa.String(length=40), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("attendant_id", sa.Integer(), nullable=True),
        sa.Column("contractor_id", sa.Integer(), nullable=True),
        sa.Column("hazards", sa.JSON(), nullable=False),
        sa.Column("control_measures", sa.JSON(), nullable=False),
        sa.Column("risk_tier", sa.String(length=20), nullable=True),
        sa.Column("ventilation_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("isolation_released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("isolation_restored_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_event", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["attendant_id"], ["users.id"], name=op.f("fk_permits_attendant_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["contractor_id"], ["contractors.id"], name=op.f("fk_permits_contractor_id_contractors")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_permits_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["users.id"], name=op.f("fk_permits_requester_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["space_id"], ["spaces.id"], name=op.f("fk_permits_space_id_spaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permits")),
        sa.UniqueConstraint("enterprise_id", "number", name=op.f("uq_permits_enterprise_id")),
    )
    with op.batch_alter_table("permits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_permits_attendant_id"), ["attendant_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_permits_contractor_id"), ["contractor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_permits_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_permits_space_id"), ["space_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_permits_state"), ["state"], unique=False)

    op.create_table(
        "training_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_training_records_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_records")),
    )
    with op.batch_alter_table("training_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_records_user_id"), ["user_id"], unique=False)

    op.create_table(
        "user_roles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_roles_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_roles")),
        sa.UniqueConstraint("user_id", "role", name=op.f("uq_user_roles_user_id")),
    )
    with op.batch_alter_table("user_roles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_roles_user_id"), ["user_id"], unique=False)

    op.create_table(
        "audit_heads",
        sa.Column("chain", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["audit_entries.id"], name=op.f("fk_audit_heads_entry_id_audit_entries")
        ),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_audit_heads")),
    )
    op.create_table(
        "gas_tests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("permit_id", sa.Integer(), nullable=False),
        sa.Column("tester_id", sa.Integer(), nullable=True),
        sa.Column("detector_id", sa.Integer(), nullable=True),
        sa.Column("tested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("during", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(
            ["detector_id"], ["equipment.id"], name=op.f("fk_gas_tests_detector_id_equipment")
        ),
        sa.ForeignKeyConstraint(
            ["permit_id"], ["permits.id"], name=op.f("fk_gas_tests_permit_id_permits")
        ),
        sa.ForeignKeyConstraint(
            ["tester_id"], ["users.id"], name=op.f("fk_gas_tests_tester_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gas_tests")),
    )
    with op.batch_alter_table("gas_tests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gas_tests_permit_id"), ["permit_id"], unique=False)

    op.create_table(
        "permit_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("permit_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("item", sa.Text(), nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"], ["users.id"], name=op.f("fk_permit_checks_confirmed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["permit_id"], ["permits.id"], name=op.f("fk_permit_checks_permit_id_permits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permit_checks")),
    )
    with op.batch_alter_table("permit_checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_permit_checks_permit_id"), ["permit_id"], unique=False)

    op.create_table(
        "permit_equipment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("permit_id", sa.Integer(), nullable=False),
        sa.Column("equipment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["equipment_id"],
            ["equipment.id"],
            name=op.f("fk_permit_equipment_equipment_id_equipment"),
        ),
        sa.ForeignKeyConstraint(
            ["permit_id"], ["permits.id"], name=op.f("fk_permit_equipment_permit_id_permits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permit_equipment")),
        sa.UniqueConstraint(
            "permit_id", "equipment_id", name=op.f("uq_permit_equipment_permit_id")
        ),
    )
    with op.batch_alter_table("permit_equipment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_permit_equipment_equipment_id"), ["equipment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_permit_equipment_permit_id"), ["permit_id"], unique=False
        )

    op.create_table(
        "permit_people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("permit_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("briefed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["permit_id"], ["permits.id"], name=op.f("fk_permit_people_permit_id_permits")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_permit_people_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permit_people")),
        sa.UniqueConstraint(
            "permit_id", "user_id", "role", name=op.f("uq_permit_people_permit_id")
        ),
    )
    with op.batch_alter_table("permit_people", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_permit_people_permit_id"), ["permit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_permit_people_user_id"), ["user_id"], unique=False)

    op.create_table(
        "signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("permit_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("tier", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["permit_id"], ["permits.id"], name=op.f("fk_signatures_permit_id_permits")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_signatures_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signatures")),
    )
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signatures_permit_id"), ["permit_id"], unique=False)

    op.create_table(
        "entry_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("permit_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("gas_test_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["gas_test_id"], ["gas_tests.id"], name=op.f("fk_entry_log_gas_test_id_gas_tests")
        ),
        sa.ForeignKeyConstraint(
            ["permit_id"], ["permits.id"], name=op.f("fk_entry_log_permit_id_permits")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_entry_log_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_entry_log_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entry_log")),
    )
    with op.batch_alter_table("entry_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entry_log_permit_id"), ["permit_id"], unique=False)

    op.create_table(
        "readings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("permit_id", sa.Integer(), nullable=False),
        sa.Column("gas_test_id", sa.Integer(), nullable=True),
        sa.Column("gas", sa.String(length=20), nullable=False),
        sa.Column("point", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("value_in_limit_unit", sa.Double(), nullable=False),
        sa.Column("limit_unit", sa.String(length=20), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["gas_test_id"], ["gas_tests.id"], name=op.f("fk_readings_gas_test_id_gas_tests")
        ),
        sa.ForeignKeyConstraint(
            ["permit_id"], ["permits.id"], name=op.f("fk_readings_permit_id_permits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readings")),
    )
    with op.batch_alter_table("readings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_readings_gas_test_id"), ["gas_test_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_readings_permit_id"), ["permit_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("readings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_readings_permit_id"))
        batch_op.drop_index(batch_op.f("ix_readings_gas_test_id"))

    op.drop_table("readings")
    with op.batch_alter_table("entry_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entry_log_permit_id"))

    op.drop_table("entry_log")
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signatures_permit_id"))

    op.drop_table("signatures")
    with op.batch_alter_table("permit_people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_permit_people_user_id"))
        batch_op.drop_index(batch_op.f("ix_permit_people_permit_id"))

    op.drop_table("permit_people")
    with op.batch_alter_table("permit_equipment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_permit_equipment_permit_id"))
        batch_op.drop_index(batch_op.f("ix_permit_equipment_equipment_id"))

    op.drop_table("permit_equipment")
    with op.batch_alter_table("permit_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_permit_checks_permit_id"))

    op.drop_table("permit_checks")
    with op.batch_alter_table("gas_tests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gas_tests_permit_id"))

    op.drop_table("gas_tests")
    op.drop_table("audit_heads")
    with op.batch_alter_table("user_roles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_roles_user_id"))

    op.drop_table("user_roles")
    with op.batch_alter_table("training_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_records_user_id"))

    op.drop_table("training_records")
    with op.batch_alter_table("permits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_permits_state"))
        batch_op.drop_index(batch_op.f("ix_permits_space_id"))
        batch_op.drop_index(batch_op.f("ix_permits_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_permits_contractor_id"))
        batch_op.drop_index(batch_op.f("ix_permits_attendant_id"))

    op.drop_table("permits")
    op.drop_table("audit_entries")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_users_contractor_id"))

    op.drop_table("users")
    with op.batch_alter_table("safety_agreements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_agreements_contractor_id"))

    op.drop_table("safety_agreements")
    with op.batch_alter_table("spaces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_spaces_enterprise_id"))

    op.drop_table("spaces")
    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_equipment_enterprise_id"))

    op.drop_table("equipment")
    with op.batch_alter_table("contractors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contractors_enterprise_id"))

    op.drop_table("contractors")
    op.drop_table("enterprises")
