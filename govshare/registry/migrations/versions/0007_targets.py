"""targets

Revision ID: 0007
Revises: 0006

Issue 11: the databases each agency declares for deliveries to it, and the operator's
adoption of an existing target table.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "agency",
        sa.Column("databases", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        schema="govshare",
    )
    op.add_column("agreement", sa.Column("target_adopted_by", sa.Text(), nullable=True), schema="govshare")


def downgrade() -> None:
    op.drop_column("agreement", "target_adopted_by", schema="govshare")
    op.drop_column("agency", "databases", schema="govshare")
