"""Contractors (art. 6): retiring a company; an agreement's duties, signed document and
revocation. The enterprise's own rules (art. 5, 11): its management-system document and its
approval-tier table, each versioned.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLES = ("management_documents", "approval_tables")


def _add_reference(table: str, column: str, target: str) -> None:
    """A nullable column referencing target.id, added without rebuilding the table."""
    name = f"fk_{table}_{column}_{target}"
    if op.get_bind().dialect.name == "sqlite":
        # ADD COLUMN … REFERENCES in one statement: SQLite's batch mode would rebuild the
        # table and drop its no-delete trigger.
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
            f"CONSTRAINT {name} REFERENCES {target} (id)"
        )
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(op.f(name), table, target, [column], ["id"])


def upgrade() -> None:
    op.add_column("contractors", sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "contractors",
        sa.Column("retire_reason", sa.String(length=200), nullable=False, server_default=""),
    )
    op.add_column(
        "safety_agreements",
        sa.Column("responsibilities", sa.Text(), nullable=False, server_default=""),
    )
    _add_reference("safety_agreements", "attachment_id", "attachments")
    _add_reference("safety_agreements", "created_by_id", "users")
    op.add_column(
        "safety_agreements", sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "safety_agreements",
        sa.Column("revoke_reason", sa.String(length=200), nullable=False, server_default=""),
    )
    op.create_table(
        "management_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("version_label", sa.String(length=40), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprises.id"], name=op.f("fk_management_documents_enterprise_id_enterprises")),
        sa.ForeignKeyConstraint(["attachment_id"], ["attachments.id"], name=op.f("fk_management_documents_attachment_id_attachments")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_management_documents_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_management_documents")),
    )
    op.create_index(
        op.f("ix_management_documents_enterprise_id"), "management_documents", ["enterprise_id"]
    )
    op.create_table(
        "approval_tables",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("pack", sa.String(length=40), nullable=False),
        sa.Column("workflow", sa.String(length=40), nullable=False),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprises.id"], name=op.f("fk_approval_tables_enterprise_id_enterprises")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_approval_tables_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_tables")),
    )
    op.create_index(op.f("ix_approval_tables_enterprise_id"), "approval_tables", ["enterprise_id"])
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


def downgrade() -> None:
    for table in TABLES:
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"DROP TRIGGER {table}_no_delete")
        else:
            op.execute(f"DROP TRIGGER {table}_no_delete ON {table}")
    op.drop_table("approval_tables")
    op.drop_table("management_documents")
    with op.batch_alter_table("safety_agreements") as batch:
        batch.drop_column("revoke_reason")
        batch.drop_column("revoked_at")
        batch.drop_column("created_by_id")
        batch.drop_column("attachment_id")
        batch.drop_column("responsibilities")
    with op.batch_alter_table("contractors") as batch:
        batch.drop_column("retire_reason")
        batch.drop_column("retired_at")
