"""The compliance board's cost follows what it shows, not the size of the workforce: user
roles by role, so the few keepers of the registers (who are told what falls due) are found
from their roles instead of by reading every person of the enterprise; training records by
kind and date, so the records falling due within the horizon are read from their window.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


INDEXES = {
    "ix_user_roles_role_user": ("user_roles", ["role", "user_id"]),
    "ix_training_records_kind_taken": (
        "training_records",
        ["kind", "passed", "taken_on", "user_id"],
    ),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, (table, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table)
