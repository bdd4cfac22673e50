"""The JSON API and continuous gas monitoring: API tokens (user and device), idempotency keys,
reading batches and alarms; readings carry their detector and batch.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("api_tokens", "idempotency_keys", "reading_batches", "alarms")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("equipment_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_api_tokens_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")),
        sa.ForeignKeyConstraint(
            ["equipment_id"], ["equipment.id"], name=op.f("fk_api_tokens_equipment_id_equipment")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_api_tokens_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"], ["users.id"], name=op.f("fk_api_tokens_revoked_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("digest", name=op.f("uq_api_tokens_digest")),
    )
    op.create_index(op.f("ix_api_tokens_enterprise_id"), "api_tokens", ["enterprise_id"])
    op.create_index(op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"])
    op.create_index(op.f("ix_api_tokens_equipment_id"), "api_tokens", ["equipment_id"])

    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("owner", "key", name=op.f("uq_idempotency_keys_owner")),
    )

    op.create_table(
        "reading_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("permit_id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["permit_id"], ["permits.id"], name=op.f("fk_reading_batches_permit_id_permits")
        ),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_tokens.id"], name=op.f("fk_reading_batches_token_id_api_tokens")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_reading_batches_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reading_batches")),
    )
    op.create_index(op.f("ix_reading_batches_permit_id"), "reading_batches", ["permit_id"])

    op.create_table(
        "alarms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("permit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("detector_id", sa.Integer(), nullable=True),
        sa.Column("gas", sa.String(length=20), nullable=False),
        sa.Column("point", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("value_in_limit_unit", sa.Double(), nullable=False),
        sa.Column("limit_unit", sa.String(length=20), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("readings_over", sa.Integer(), nullable=False),
        sa.Column("permit_state", sa.String(length=30), nullable=False),
        sa.Column("moved_to", sa.String(length=30), nullable=True),
        sa.ForeignKeyConstraint(["permit_id"], ["permits.id"], name=op.f("fk_alarms_permit_id_permits")),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["reading_batches.id"], name=op.f("fk_alarms_batch_id_reading_batches")
        ),
        sa.ForeignKeyConstraint(
            ["detector_id"], ["equipment.id"], name=op.f("fk_alarms_detector_id_equipment")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarms")),
    )
    op.create_index(op.f("ix_alarms_permit_id"), "alarms", ["permit_id"])

    # SQLite's ADD COLUMN takes a REFERENCES clause, so readings keep their table (and the
    # no-delete trigger on it) instead of being copied by a batch operation.
    if _sqlite():
        op.execute(
            "ALTER TABLE readings ADD COLUMN detector_id INTEGER "
            "CONSTRAINT fk_readings_detector_id_equipment REFERENCES equipment (id)"
        )
        op.execute(
            "ALTER TABLE readings ADD COLUMN batch_id INTEGER "
            "CONSTRAINT fk_readings_batch_id_reading_batches REFERENCES reading_batches (id)"
        )
    else:
        op.add_column("readings", sa.Column("detector_id", sa.Integer(), nullable=True))
        op.add_column("readings", sa.Column("batch_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_readings_detector_id_equipment"), "readings", "equipment", ["detector_id"], ["id"]
        )
        op.create_foreign_key(
            op.f("fk_readings_batch_id_reading_batches"),
            "readings",
            "reading_batches",
            ["batch_id"],
            ["id"],
        )
    op.create_index(
        "ix_readings_permit_detector_time", "readings", ["permit_id", "detector_id", "taken_at"]
    )

    for table in TABLES:
        if _sqlite():
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
        if _sqlite():
            op.execute(f"DROP TRIGGER {table}_no_delete")
        else:
            op.execute(f"DROP TRIGGER {table}_no_delete ON {table}")
    op.drop_index("ix_readings_permit_detector_time", table_name="readings")
    if _sqlite():
        op.execute("ALTER TABLE readings DROP COLUMN batch_id")
        op.execute("ALTER TABLE readings DROP COLUMN detector_id")
    else:
        op.drop_constraint(op.f("fk_readings_batch_id_reading_batches"), "readings")
        op.drop_constraint(op.f("fk_readings_detector_id_equipment"), "readings")
        op.drop_column("readings", "batch_id")
        op.drop_column("readings", "detector_id")
    op.drop_table("alarms")
    op.drop_table("reading_batches")
    op.drop_table("idempotency_keys")
    op.drop_table("api_tokens")
