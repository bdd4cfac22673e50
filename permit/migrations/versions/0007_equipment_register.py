"""The equipment register (art. 10): certificates, periodic checks, and the files behind them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0004"  # lead: rebase onto 0006 at merge
branch_labels = None
depends_on = None

TABLES = ("attachments", "equipment_certificates", "equipment_checks")


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
    op.drop_table("equipment_checks")
    op.drop_table("equipment_certificates")
    op.drop_table("attachments")
