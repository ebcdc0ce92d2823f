"""corrections name the delivery they came from

Revision ID: 0014
Revises: 0013

Issue 14: a correction filed from a delivered record names that delivery, so the correction
page links to what was delivered and the delivery page lists the corrections of its records.
Earlier corrections have none (they were filed against the agreement only).
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("correction", sa.Column("delivery_id", sa.BigInteger(), nullable=True), schema="govshare")
    op.create_foreign_key(
        op.f("fk_correction_delivery_id"),
        "correction",
        "delivery",
        ["delivery_id"],
        ["id"],
        source_schema="govshare",
        referent_schema="govshare",
        ondelete="SET NULL",
    )
    op.create_index(op.f("ix_correction_delivery_id"), "correction", ["delivery_id"], schema="govshare")


def downgrade() -> None:
    op.drop_index(op.f("ix_correction_delivery_id"), table_name="correction", schema="govshare")
    op.drop_constraint(op.f("fk_correction_delivery_id"), "correction", schema="govshare", type_="foreignkey")
    op.drop_column("correction", "delivery_id", schema="govshare")
