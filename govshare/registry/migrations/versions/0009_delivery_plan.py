"""delivery plan

Revision ID: 0009
Revises: 0008

Issue 12: each delivery keeps the plan its preflight authorised, and every later step of the
run reads that plan instead of building its own.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "delivery", sa.Column("plan", postgresql.JSONB(astext_type=sa.Text()), nullable=True), schema="govshare"
    )


def downgrade() -> None:
    op.drop_column("delivery", "plan", schema="govshare")
