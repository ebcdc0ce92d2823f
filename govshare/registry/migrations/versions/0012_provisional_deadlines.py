"""provisional deadlines

Revision ID: 0012
Revises: 0011

Issue 16: a deadline counted through a year with no official holiday calendar yet (neither the
operator's calendar file nor the chinesecalendar package knows it) is provisional, and says so.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLES = ("agreement", "correction")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table,
            sa.Column("due_provisional", sa.Boolean(), server_default="false", nullable=False),
            schema="govshare",
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "due_provisional", schema="govshare")
