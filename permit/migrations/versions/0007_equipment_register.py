"""Registers: equipment certificates and periodic checks (art. 10), training sessions and the
annual plan (art. 7), and the evidence files behind them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = (
    "attachments",
    "equipment_certificates",
    "equipment_checks",
    "training_sessions",
    "training_plan_items",
)


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_attachments_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_attachments_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
        sa.UniqueConstraint("enterprise_id", "sha256", name=op.f("uq_attachments_enterprise_id")),
    )
    op.create_index(op.f("ix_attachments_enterprise_id"), "attachments", ["enterprise_id"])
    op.create_table(
        "equipment_certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("equipment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("performed_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("agency", sa.String(length=200), nullable=False),
        sa.Column("certificate_no", sa.String(length=80), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["equipment_id"], ["equipment.id"], name=op.f("fk_equipment_certificates_equipment_id_equipment")
        ),
        sa.ForeignKeyConstraint(
            ["attachment_id"], ["attachments.id"], name=op.f("fk_equipment_certificates_attachment_id_attachments")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_equipment_certificates_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment_certificates")),
    )
    op.create_index(
        op.f("ix_equipment_certificates_equipment_id"), "equipment_certificates", ["equipment_id"]
    )
    op.create_table(
        "equipment_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("equipment_id", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_by_id", sa.Integer(), nullable=True),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["equipment_id"], ["equipment.id"], name=op.f("fk_equipment_checks_equipment_id_equipment")
        ),
        sa.ForeignKeyConstraint(
            ["checked_by_id"], ["users.id"], name=op.f("fk_equipment_checks_checked_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment_checks")),
    )
    op.create_index(op.f("ix_equipment_checks_equipment_id"), "equipment_checks", ["equipment_id"])
    op.create_table(
        "training_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("trainer", sa.String(length=120), nullable=False),
        sa.Column("hours", sa.Double(), nullable=False),
        sa.Column("materials", sa.JSON(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_training_sessions_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_training_sessions_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_sessions")),
    )
    op.create_index(op.f("ix_training_sessions_enterprise_id"), "training_sessions", ["enterprise_id"])
    op.create_table(
        "training_plan_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("dropped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_training_plan_items_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_training_plan_items_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_plan_items")),
    )
    op.create_index(
        op.f("ix_training_plan_items_enterprise_id"), "training_plan_items", ["enterprise_id"]
    )
    if op.get_bind().dialect.name == "sqlite":
        # ADD COLUMN … REFERENCES in one statement: SQLite accepts it without rebuilding the
        # table (a rebuild would drop its no-delete trigger).
        op.execute(
            "ALTER TABLE training_records ADD COLUMN session_id INTEGER "
            "CONSTRAINT fk_training_records_session_id_training_sessions "
            "REFERENCES training_sessions (id)"
        )
    else:
        op.add_column("training_records", sa.Column("session_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_training_records_session_id_training_sessions"),
            "training_records",
            "training_sessions",
            ["session_id"],
            ["id"],
        )
    op.create_index(op.f("ix_training_records_session_id"), "training_records", ["session_id"])
    # A plain ADD COLUMN: SQLite's batch mode would rebuild the table and lose its trigger.
    op.add_column(
        "equipment",
        sa.Column("status_reason", sa.String(length=200), nullable=False, server_default=""),
    )
    op.add_column("equipment", sa.Column("status_since", sa.DateTime(timezone=True), nullable=True))
    for table in TABLES:
        if op.get_bind().dialect.name == "sqlite":
            op.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'rows of {table} are never deleted'); END"
            )
        else:
            op.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_change()"
            )


    if op.get_bind().dialect.name == "sqlite":
        # 0003 rebuilt audit_heads in SQLite's batch mode, which dropped its no-delete trigger.
        op.execute(
            "CREATE TRIGGER IF NOT EXISTS audit_heads_no_delete BEFORE DELETE ON audit_heads "
            "BEGIN SELECT RAISE(ABORT, 'rows of audit_heads are never deleted'); END"
        )


def downgrade() -> None:
    for table in TABLES:
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"DROP TRIGGER {table}_no_delete")
        else:
            op.execute(f"DROP TRIGGER {table}_no_delete ON {table}")
    with op.batch_alter_table("equipment") as batch:
        batch.drop_column("status_since")
        batch.drop_column("status_reason")
    op.drop_index(op.f("ix_training_records_session_id"), "training_records")
    with op.batch_alter_table("training_records") as batch:
        batch.drop_column("session_id")
    op.drop_table("training_plan_items")
    op.drop_table("training_sessions")
    op.drop_table("equipment_checks")
    op.drop_table("equipment_certificates")
    op.drop_table("attachments")
