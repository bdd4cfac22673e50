"""Warning signs: every QR token ever issued for a space (so a sign can be replaced and its old
token retired, never deleted), failed scans for the public page's throttle, and a per-space
emergency number for the sign.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = ("sign_tokens", "scan_misses")


def upgrade() -> None:
    op.add_column("spaces", sa.Column("emergency_phone", sa.String(length=40), nullable=True))
    op.create_table(
        "sign_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaced_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["space_id"], ["spaces.id"], name=op.f("fk_sign_tokens_space_id_spaces")
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["users.id"], name=op.f("fk_sign_tokens_issued_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["replaced_by_id"], ["users.id"], name=op.f("fk_sign_tokens_replaced_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_tokens")),
        sa.UniqueConstraint("token", name=op.f("uq_sign_tokens_token")),
    )
    op.create_index(op.f("ix_sign_tokens_space_id"), "sign_tokens", ["space_id"])
    op.create_table(
        "scan_misses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("remote", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_misses")),
    )
    op.create_index("ix_scan_misses_remote_at", "scan_misses", ["remote", "at"])
    # The signs already printed: each space's current token, issued when the space was created.
    op.execute(
        "INSERT INTO sign_tokens (space_id, token, issued_at) "
        "SELECT id, qr_token, created_at FROM spaces"
    )
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
    op.drop_index("ix_scan_misses_remote_at", table_name="scan_misses")
    op.drop_table("scan_misses")
    op.drop_index(op.f("ix_sign_tokens_space_id"), table_name="sign_tokens")
    op.drop_table("sign_tokens")
    with op.batch_alter_table("spaces") as batch:
        batch.drop_column("emergency_phone")
