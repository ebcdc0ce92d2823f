"""delivery modes, filters, masking

Revision ID: 0003
Revises: 0002

Issue 4's data plane: incremental deliveries (watermark, overlap, key-diff deletions), the
empty-source rule, row filters and masking per agreement; what each delivery merged and
deleted and the watermark range it covered.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("agreement", sa.Column("watermark_column", sa.Text(), nullable=True), schema="govshare")
    op.add_column(
        "agreement", sa.Column("watermark_overlap", sa.Integer(), server_default="0", nullable=False), schema="govshare"
    )
    op.add_column(
        "agreement", sa.Column("deletions", sa.Text(), server_default="none", nullable=False), schema="govshare"
    )
    op.add_column(
        "agreement",
        sa.Column("empty_source_ok", sa.Boolean(), server_default="false", nullable=False),
        schema="govshare",
    )
    op.add_column(
        "agreement",
        sa.Column("row_filter", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        schema="govshare",
    )
    op.add_column(
        "agreement",
        sa.Column("masking", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        schema="govshare",
    )
    op.add_column("delivery", sa.Column("rows_merged", sa.BigInteger(), nullable=True), schema="govshare")
    op.add_column("delivery", sa.Column("rows_deleted", sa.BigInteger(), nullable=True), schema="govshare")
    op.add_column("delivery", sa.Column("watermark_from", sa.Text(), nullable=True), schema="govshare")
    op.add_column("delivery", sa.Column("watermark_to", sa.Text(), nullable=True), schema="govshare")


def downgrade() -> None:
    op.drop_column("delivery", "watermark_to", schema="govshare")
    op.drop_column("delivery", "watermark_from", schema="govshare")
    op.drop_column("delivery", "rows_deleted", schema="govshare")
    op.drop_column("delivery", "rows_merged", schema="govshare")
    op.drop_column("agreement", "masking", schema="govshare")
    op.drop_column("agreement", "row_filter", schema="govshare")
    op.drop_column("agreement", "empty_source_ok", schema="govshare")
    op.drop_column("agreement", "deletions", schema="govshare")
    op.drop_column("agreement", "watermark_overlap", schema="govshare")
    op.drop_column("agreement", "watermark_column", schema="govshare")
