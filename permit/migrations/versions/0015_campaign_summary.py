"""The three paragraphs a regulator writes for a campaign's summary report (总结报告): its
results (成效), lessons (经验) and shortcomings (不足), as procedure 000 三 asks.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

COLUMNS = ("effects", "lessons", "shortcomings")


def upgrade() -> None:
    # ADD COLUMN with a constant default keeps SQLite's table (and its no-delete trigger).
    for column in COLUMNS:
        op.add_column("campaigns", sa.Column(column, sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        for column in COLUMNS:
            batch.drop_column(column)
    if op.get_bind().dialect.name == "sqlite":
        # batch mode rebuilt the table and with it lost the trigger
        op.execute("DROP TRIGGER IF EXISTS campaigns_no_delete")
        op.execute(
            "CREATE TRIGGER campaigns_no_delete BEFORE DELETE ON campaigns "
            "BEGIN SELECT RAISE(ABORT, 'rows of campaigns are never deleted'); END"
        )
