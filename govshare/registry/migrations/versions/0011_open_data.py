"""open data

Revision ID: 0011
Revises: 0010

Issue 15: the national catalogue's core fields (the provider's credit code, a resource's
national code, format, share method, release date …), what an open resource's items show the
public, and the record of each open-data publication.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("agency", sa.Column("credit_code", sa.Text(), nullable=True), schema="govshare")
    op.add_column(
        "resource",
        sa.Column("national", postgresql.JSONB(), server_default="{}", nullable=False),
        schema="govshare",
    )
    op.add_column(
        "resource_item", sa.Column("public", sa.Text(), server_default="publish", nullable=False), schema="govshare"
    )
    # Personal items published nothing before this revision: say so until the catalogue is filed again.
    op.execute("UPDATE govshare.resource_item SET public = 'omit' WHERE personal <> 'none'")
    op.create_table(
        "publication",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("resource_code", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Text(), nullable=True),
        sa.Column("rows", sa.BigInteger(), nullable=True),
        sa.Column("files", postgresql.JSONB(), server_default="[]", nullable=False),
        sa.Column("items", postgresql.JSONB(), server_default="[]", nullable=False),
        sa.Column("check_results", postgresql.JSONB(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication")),
        schema="govshare",
    )
    op.create_index(op.f("ix_publication_resource_code"), "publication", ["resource_code"], schema="govshare")


def downgrade() -> None:
    op.drop_index(op.f("ix_publication_resource_code"), table_name="publication", schema="govshare")
    op.drop_table("publication", schema="govshare")
    op.drop_column("resource_item", "public", schema="govshare")
    op.drop_column("resource", "national", schema="govshare")
    op.drop_column("agency", "credit_code", schema="govshare")
