"""Jurisdictions and expert visits (专家指导服务, 现场会诊表): the tree regulators and experts
work in, the visit run by the engine, its team, kickoff attendees, findings and photos.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLES = (
    "jurisdictions",
    "inspections",
    "inspection_members",
    "inspection_attendees",
    "inspection_findings",
    "inspection_photos",
)
TS = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def _add_reference(table: str, column: str, target: str) -> None:
    """A nullable indexed column referencing target.id, added without rebuilding the table."""
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
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column])


def upgrade() -> None:
    op.create_table(
        "jurisdictions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        _fk("jurisdictions", "parent_id", "jurisdictions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jurisdictions")),
        sa.UniqueConstraint("code", name=op.f("uq_jurisdictions_code")),
    )
    op.create_index(op.f("ix_jurisdictions_parent_id"), "jurisdictions", ["parent_id"])
    _add_reference("enterprises", "jurisdiction_id", "jurisdictions")
    _add_reference("users", "jurisdiction_id", "jurisdictions")
    op.create_table(
        "inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=False),
        sa.Column("workflow", sa.String(length=40), nullable=False),
        sa.Column("workflow_version", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("equipment_confirmed_at", TS, nullable=True),
        sa.Column("notified_at", TS, nullable=True),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("kickoff_at", TS, nullable=True),
        sa.Column("consultation_started_at", TS, nullable=True),
        sa.Column("consultation_ended_at", TS, nullable=True),
        sa.Column("accepted_at", TS, nullable=True),
        sa.Column("accepted_by_id", sa.Integer(), nullable=True),
        sa.Column("conclusion", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("last_event", sa.String(length=40), nullable=True),
        _fk("inspections", "enterprise_id", "enterprises"),
        _fk("inspections", "jurisdiction_id", "jurisdictions"),
        _fk("inspections", "lead_id", "users"),
        _fk("inspections", "accepted_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspections")),
        sa.UniqueConstraint("number", name=op.f("uq_inspections_number")),
    )
    for column in ("enterprise_id", "jurisdiction_id", "state"):
        op.create_index(op.f(f"ix_inspections_{column}"), "inspections", [column])
    op.create_table(
        "inspection_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("added_at", TS, nullable=False),
        _fk("inspection_members", "inspection_id", "inspections"),
        _fk("inspection_members", "user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_members")),
        sa.UniqueConstraint(
            "inspection_id", "user_id", name=op.f("uq_inspection_members_inspection_id")
        ),
    )
    op.create_index(
        op.f("ix_inspection_members_inspection_id"), "inspection_members", ["inspection_id"]
    )
    op.create_table(
        "inspection_attendees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        _fk("inspection_attendees", "inspection_id", "inspections"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_attendees")),
    )
    op.create_index(
        op.f("ix_inspection_attendees_inspection_id"), "inspection_attendees", ["inspection_id"]
    )
    op.create_table(
        "inspection_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("checkpoint", sa.Integer(), nullable=False),
        sa.Column("methods", sa.JSON(), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("suggestion", sa.Text(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("answered_at", TS, nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        _fk("inspection_findings", "inspection_id", "inspections"),
        _fk("inspection_findings", "answered_by_id", "users"),
        _fk("inspection_findings", "updated_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_findings")),
        sa.UniqueConstraint(
            "inspection_id", "checkpoint", name=op.f("uq_inspection_findings_inspection_id")
        ),
    )
    op.create_index(
        op.f("ix_inspection_findings_inspection_id"), "inspection_findings", ["inspection_id"]
    )
    op.create_table(
        "inspection_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("resized_id", sa.Integer(), nullable=False),
        sa.Column("added_at", TS, nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        _fk("inspection_photos", "finding_id", "inspection_findings"),
        _fk("inspection_photos", "attachment_id", "attachments"),
        _fk("inspection_photos", "resized_id", "attachments"),
        _fk("inspection_photos", "added_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_photos")),
        sa.UniqueConstraint(
            "finding_id", "attachment_id", name=op.f("uq_inspection_photos_finding_id")
        ),
    )
    op.create_index(op.f("ix_inspection_photos_finding_id"), "inspection_photos", ["finding_id"])
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
    for table in reversed(TABLES[1:]):
        op.drop_table(table)
    for table in ("users", "enterprises"):
        op.drop_index(op.f(f"ix_{table}_jurisdiction_id"), table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("jurisdiction_id")
    op.drop_table("jurisdictions")
