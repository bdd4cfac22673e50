"""Campaigns of expert visits, and what happens to a problem after the debrief: who answers
for it, the enterprise's photos of the rectification, and the follow-up's (回头看) verdict.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _add_reference(table: str, column: str, target: str) -> None:
    """A nullable indexed column referencing target.id, added without rebuilding the table."""
    name = f"fk_{table}_{column}_{target}"
    if _sqlite():
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
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["jurisdiction_id"],
            ["jurisdictions.id"],
            name=op.f("fk_campaigns_jurisdiction_id_jurisdictions"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_campaigns_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_index(op.f("ix_campaigns_jurisdiction_id"), "campaigns", ["jurisdiction_id"])
    _add_reference("inspections", "campaign_id", "campaigns")
    op.create_index(op.f("ix_inspections_campaign_id"), "inspections", ["campaign_id"])

    findings = "inspection_findings"
    op.add_column(
        findings, sa.Column("responsible", sa.String(length=120), nullable=False, server_default="")
    )
    op.add_column(findings, sa.Column("followup", sa.String(length=20), nullable=True))
    op.add_column(
        findings, sa.Column("followup_note", sa.Text(), nullable=False, server_default="")
    )
    op.add_column(findings, sa.Column("followed_up_at", TS, nullable=True))
    _add_reference(findings, "followed_up_by_id", "users")
    op.add_column(
        "inspection_photos",
        sa.Column("kind", sa.String(length=20), nullable=False, server_default="problem"),
    )

    if _sqlite():
        op.execute(
            "CREATE TRIGGER campaigns_no_delete BEFORE DELETE ON campaigns "
            "BEGIN SELECT RAISE(ABORT, 'rows of campaigns are never deleted'); END"
        )
    else:
        op.execute(
            "CREATE TRIGGER campaigns_no_delete BEFORE DELETE ON campaigns "
            "FOR EACH ROW EXECUTE FUNCTION refuse_change()"
        )


def _restore_no_delete(table: str) -> None:
    """SQLite's batch mode rebuilds a table and with it loses the table's triggers."""
    if _sqlite():
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'rows of {table} are never deleted'); END"
        )


def downgrade() -> None:
    if _sqlite():
        op.execute("DROP TRIGGER campaigns_no_delete")
    else:
        op.execute("DROP TRIGGER campaigns_no_delete ON campaigns")
    with op.batch_alter_table("inspection_photos") as batch:
        batch.drop_column("kind")
    _restore_no_delete("inspection_photos")
    with op.batch_alter_table("inspection_findings") as batch:
        for column in ("followed_up_by_id", "followed_up_at", "followup_note", "followup"):
            batch.drop_column(column)
        batch.drop_column("responsible")
    _restore_no_delete("inspection_findings")
    op.drop_index(op.f("ix_inspections_campaign_id"), table_name="inspections")
    with op.batch_alter_table("inspections") as batch:
        batch.drop_column("campaign_id")
    _restore_no_delete("inspections")
    op.drop_table("campaigns")
