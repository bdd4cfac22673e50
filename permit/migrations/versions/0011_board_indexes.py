"""Indexes the compliance board's aggregate queries read instead of the tables: each person's
newest passed record per training kind, approvals by tier and role and the rules each permit was judged by, entries with the gas test
they relied on, work in progress, equipment by standing.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_training_records_user_kind_passed": (
        "training_records",
        ["user_id", "kind", "passed", "taken_on"],
    ),
    "ix_signatures_permit_kind": ("signatures", ["permit_id", "kind", "tier", "role"]),
    "ix_entry_log_permit_direction": ("entry_log", ["permit_id", "direction", "gas_test_id"]),
    "ix_permits_enterprise_state": ("permits", ["enterprise_id", "state"]),
    "ix_permits_enterprise_workflow": ("permits", ["enterprise_id", "workflow", "workflow_version"]),
    "ix_equipment_enterprise_status_due": ("equipment", ["enterprise_id", "status", "due_on"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, (table, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table)
