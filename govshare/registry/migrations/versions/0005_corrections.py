"""corrections

Revision ID: 0005
Revises: 0004

Issue 5: corrections (纠错, article 16) and their steps.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.schema.CreateSequence(sa.Sequence("correction_number_seq", schema="govshare")))
    op.create_table(
        "correction",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("agreement_code", sa.Text(), nullable=False),
        sa.Column("resource_code", sa.Text(), nullable=False),
        sa.Column("record_key", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("item", sa.Text(), nullable=False),
        sa.Column("element_code", sa.Text(), nullable=True),
        sa.Column("authority_code", sa.Text(), nullable=False),
        sa.Column("provider_code", sa.Text(), nullable=False),
        sa.Column("subscriber_code", sa.Text(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("filed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_code"], ["govshare.agreement.code"], name=op.f("fk_correction_agreement_code")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_correction")),
        schema="govshare",
    )
    op.create_index(
        op.f("ix_correction_agreement_code"), "correction", ["agreement_code"], unique=False, schema="govshare"
    )
    op.create_index(
        op.f("ix_correction_authority_code"), "correction", ["authority_code"], unique=False, schema="govshare"
    )
    op.create_table(
        "correction_step",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("correction_code", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("from_status", sa.Text(), nullable=False),
        sa.Column("to_status", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["correction_code"], ["govshare.correction.code"], name=op.f("fk_correction_step_correction_code")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correction_step")),
        schema="govshare",
    )
    op.create_index(
        op.f("ix_correction_step_correction_code"),
        "correction_step",
        ["correction_code"],
        unique=False,
        schema="govshare",
    )


def downgrade() -> None:
    op.execute(sa.schema.DropSequence(sa.Sequence("correction_number_seq", schema="govshare")))
    op.drop_index(op.f("ix_correction_step_correction_code"), table_name="correction_step", schema="govshare")
    op.drop_table("correction_step", schema="govshare")
    op.drop_index(op.f("ix_correction_authority_code"), table_name="correction", schema="govshare")
    op.drop_index(op.f("ix_correction_agreement_code"), table_name="correction", schema="govshare")
    op.drop_table("correction", schema="govshare")
