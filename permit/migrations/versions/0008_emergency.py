"""Emergency readiness (art. 14): disposal plans, drills, and the enterprise's own drill
period where the rule pack leaves it to the enterprise.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = ("disposal_plans", "drills")


def upgrade() -> None:
    op.create_table(
        "disposal_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=True),
        sa.Column("catalogue_class", sa.String(length=80), nullable=True),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprises.id"], name=op.f("fk_disposal_plans_enterprise_id_enterprises")),
        sa.ForeignKeyConstraint(["space_id"], ["spaces.id"], name=op.f("fk_disposal_plans_space_id_spaces")),
        sa.ForeignKeyConstraint(["attachment_id"], ["attachments.id"], name=op.f("fk_disposal_plans_attachment_id_attachments")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_disposal_plans_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disposal_plans")),
    )
    op.create_index(op.f("ix_disposal_plans_enterprise_id"), "disposal_plans", ["enterprise_id"])
    op.create_index(op.f("ix_disposal_plans_space_id"), "disposal_plans", ["space_id"])
    op.create_table(
        "drills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("scenario", sa.String(length=300), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("evaluation", sa.String(length=2000), nullable=False),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprises.id"], name=op.f("fk_drills_enterprise_id_enterprises")),
        sa.ForeignKeyConstraint(["plan_id"], ["disposal_plans.id"], name=op.f("fk_drills_plan_id_disposal_plans")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_drills_recorded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drills")),
    )
    op.create_index(op.f("ix_drills_enterprise_id"), "drills", ["enterprise_id"])
    op.add_column("enterprises", sa.Column("drill_period_months", sa.Integer(), nullable=True))
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
    with op.batch_alter_table("enterprises") as batch:
        batch.drop_column("drill_period_months")
    op.drop_table("drills")
    op.drop_table("disposal_plans")
