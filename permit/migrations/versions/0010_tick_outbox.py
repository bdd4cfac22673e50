"""Time-driven work: reminders per person, the mail outbox, silent detectors, and an e-mail
address for each person.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLES = ("reminders", "outbox", "detector_silences")


def upgrade() -> None:
    op.add_column("users", sa.Column("email", sa.String(length=254), nullable=True))
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("text", sa.JSON(), nullable=False),
        sa.Column("article", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("endpoint", sa.String(length=80), nullable=True),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprises.id"], name=op.f("fk_reminders_enterprise_id_enterprises")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_reminders_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
        sa.UniqueConstraint("user_id", "key", name=op.f("uq_reminders_user_id")),
    )
    op.create_index(op.f("ix_reminders_enterprise_id"), "reminders", ["enterprise_id"])
    op.create_index(op.f("ix_reminders_user_id"), "reminders", ["user_id"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprises.id"], name=op.f("fk_outbox_enterprise_id_enterprises")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_outbox_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_key")),
    )
    op.create_index(op.f("ix_outbox_enterprise_id"), "outbox", ["enterprise_id"])
    op.create_index(op.f("ix_outbox_sent_at"), "outbox", ["sent_at"])
    op.create_table(
        "detector_silences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("permit_id", sa.Integer(), nullable=False),
        sa.Column("detector_id", sa.Integer(), nullable=False),
        sa.Column("last_reading_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["permit_id"], ["permits.id"], name=op.f("fk_detector_silences_permit_id_permits")),
        sa.ForeignKeyConstraint(["detector_id"], ["equipment.id"], name=op.f("fk_detector_silences_detector_id_equipment")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_detector_silences")),
        sa.UniqueConstraint("permit_id", "detector_id", "last_reading_at", name=op.f("uq_detector_silences_permit_id")),
    )
    op.create_index(op.f("ix_detector_silences_permit_id"), "detector_silences", ["permit_id"])
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
    op.drop_table("detector_silences")
    op.drop_table("outbox")
    op.drop_table("reminders")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email")
