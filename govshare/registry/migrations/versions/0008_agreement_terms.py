"""agreement terms

Revision ID: 0008
Revises: 0007

Issue 12: an agreement's columns bear the names of its terms and of the delivery plan
(mode, watermark, overlap), one name per field everywhere.
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

RENAMED = {"delivery_mode": "mode", "watermark_column": "watermark", "watermark_overlap": "overlap"}


def upgrade() -> None:
    for old, new in RENAMED.items():
        op.alter_column("agreement", old, new_column_name=new, schema="govshare")


def downgrade() -> None:
    for old, new in RENAMED.items():
        op.alter_column("agreement", new, new_column_name=old, schema="govshare")
