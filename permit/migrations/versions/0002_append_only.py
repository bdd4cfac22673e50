"""Append-only in the database itself: audit entries are never updated or deleted, and no
row of any domain table is ever deleted (cancel, retire and supersede are states).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = [
    "enterprises",
    "contractors",
    "users",
    "user_roles",
    "training_records",
    "spaces",
    "equipment",
    "safety_agreements",
    "permits",
    "permit_people",
    "permit_equipment",
    "permit_checks",
    "signatures",
    "gas_tests",
    "readings",
    "entry_log",
    "audit_entries",
    "audit_heads",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
            "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END"
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'rows of {table} are never deleted'); END"
            )
        return
    op.execute(
        """
        CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% on %: this table is append-only', TG_OP, TG_TABLE_NAME;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
        "FOR EACH ROW EXECUTE FUNCTION refuse_change()"
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_change()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_entries_no_update")
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_no_delete")
        return
    op.execute("DROP TRIGGER audit_entries_no_update ON audit_entries")
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_no_delete ON {table}")
    op.execute("DROP FUNCTION refuse_change()")
