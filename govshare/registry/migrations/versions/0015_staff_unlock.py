"""an operator can unlock a workspace account

Revision ID: 0015
Revises: 0014

Issue 14: failed sign-ins lock an account for a quarter hour; an operator's unlock (`govshare
staff unlock`) lets its owner in at once. Failures before the unlock no longer count.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "staff_member", sa.Column("unlocked_at", sa.DateTime(timezone=True), nullable=True), schema="govshare"
    )


def downgrade() -> None:
    op.drop_column("staff_member", "unlocked_at", schema="govshare")
