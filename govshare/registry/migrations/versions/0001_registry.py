"""registry: catalogue, agreements, deliveries

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.schema.CreateSequence(sa.Sequence("agreement_number_seq", schema="govshare")))
    op.create_table(
        "agency",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("parent_code", sa.Text(), nullable=True),
        sa.Column("contacts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_agency")),
        schema="govshare",
    )
    op.create_table(
        "agreement",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("subscriber_code", sa.Text(), nullable=False),
        sa.Column("resource_code", sa.Text(), nullable=False),
        sa.Column("items", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("schedule", sa.Text(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("delivery_mode", sa.Text(), nullable=False),
        sa.Column("target_conn_id", sa.Text(), nullable=False),
        sa.Column("target_schema", sa.Text(), nullable=False),
        sa.Column("target_table", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("catalog_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_agreement")),
        schema="govshare",
    )
    op.create_table(
        "catalog_filing",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("applied_by", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("content", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_catalog_filing")),
        schema="govshare",
    )
    op.create_table(
        "data_element",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("authority_code", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_data_element")),
        schema="govshare",
    )
    op.create_table(
        "resource",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("provider_code", sa.Text(), nullable=False),
        sa.Column("classification", sa.Text(), nullable=False),
        sa.Column("share_type", sa.Text(), nullable=False),
        sa.Column("share_condition", sa.Text(), nullable=False),
        sa.Column("open_type", sa.Text(), nullable=False),
        sa.Column("update_cycle", sa.Text(), nullable=False),
        sa.Column("conn_id", sa.Text(), nullable=False),
        sa.Column("schema_name", sa.Text(), nullable=False),
        sa.Column("table_name", sa.Text(), nullable=False),
        sa.Column("primary_key", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_resource")),
        schema="govshare",
    )
    op.create_table(
        "delivery",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("agreement_code", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rows", sa.BigInteger(), nullable=True),
        sa.Column("bytes", sa.BigInteger(), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("checks_passed", sa.Integer(), nullable=True),
        sa.Column("checks_failed", sa.Integer(), nullable=True),
        sa.Column("checks_warned", sa.Integer(), nullable=True),
        sa.Column("check_results", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("staging_table", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agreement_code"], ["govshare.agreement.code"], name=op.f("fk_delivery_agreement_code")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
        sa.UniqueConstraint("agreement_code", "run_id", name=op.f("uq_delivery_agreement_code")),
        schema="govshare",
    )
    op.create_index(op.f("ix_delivery_agreement_code"), "delivery", ["agreement_code"], unique=False, schema="govshare")
    op.create_table(
        "resource_item",
        sa.Column("resource_code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("element_code", sa.Text(), nullable=True),
        sa.Column("copy_of", sa.Text(), nullable=True),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("nullable", sa.Boolean(), nullable=False),
        sa.Column("personal", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_code"],
            ["govshare.resource.code"],
            name=op.f("fk_resource_item_resource_code"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resource_code", "name", name=op.f("pk_resource_item")),
        schema="govshare",
    )


def downgrade() -> None:
    op.drop_table("resource_item", schema="govshare")
    op.drop_index(op.f("ix_delivery_agreement_code"), table_name="delivery", schema="govshare")
    op.drop_table("delivery", schema="govshare")
    op.drop_table("resource", schema="govshare")
    op.drop_table("data_element", schema="govshare")
    op.drop_table("catalog_filing", schema="govshare")
    op.drop_table("agreement", schema="govshare")
    op.drop_table("agency", schema="govshare")
    op.execute(sa.schema.DropSequence(sa.Sequence("agreement_number_seq", schema="govshare")))
