"""Failed sign-ins, to throttle password guessing across processes; the audit head no longer
keeps the id of its last entry (derivable, and one write less per event).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_heads") as batch:
        batch.drop_constraint("fk_audit_heads_entry_id_audit_entries", type_="foreignkey")
        batch.drop_column("entry_id")
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("remote", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index(op.f("ix_login_failures_username"), "login_failures", ["username"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER login_failures_no_delete BEFORE DELETE ON login_failures "
            "BEGIN SELECT RAISE(ABORT, 'rows of login_failures are never deleted'); END"
        )
    else:
        op.execute(
            "CREATE TRIGGER login_failures_no_delete BEFORE DELETE ON login_failures "
            "FOR EACH ROW EXECUTE FUNCTION refuse_change()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER login_failures_no_delete")
    else:
        op.execute("DROP TRIGGER login_failures_no_delete ON login_failures")
    op.drop_index(op.f("ix_login_failures_username"), table_name="login_failures")
    with op.batch_alter_table("audit_heads") as batch:
        batch.add_column(sa.Column("entry_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_audit_heads_entry_id_audit_entries", "audit_entries", ["entry_id"], ["id"]
        )
    op.drop_table("login_failures")
