"""staff

Revision ID: 0010
Revises: 0009

Issue 14: named members of an agency's staff, their sessions in the agency workspace, and
API tokens issued to a member rather than to the agency as a whole.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_member",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("login", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("agency_code", sa.Text(), nullable=False),
        sa.Column("duties", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_member")),
        sa.UniqueConstraint("login", name=op.f("uq_staff_member_login")),
        schema="govshare",
    )
    op.create_index(op.f("ix_staff_member_agency_code"), "staff_member", ["agency_code"], schema="govshare")
    op.create_table(
        "staff_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["govshare.staff_member.id"], name=op.f("fk_staff_session_member_id")),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_staff_session")),
        schema="govshare",
    )
    op.create_index(op.f("ix_staff_session_member_id"), "staff_session", ["member_id"], schema="govshare")
    op.add_column("agency_token", sa.Column("member_id", sa.BigInteger(), nullable=True), schema="govshare")
    op.create_foreign_key(
        op.f("fk_agency_token_member_id"),
        "agency_token",
        "staff_member",
        ["member_id"],
        ["id"],
        source_schema="govshare",
        referent_schema="govshare",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_agency_token_member_id"), "agency_token", schema="govshare")
    op.drop_column("agency_token", "member_id", schema="govshare")
    op.drop_table("staff_session", schema="govshare")
    op.drop_table("staff_member", schema="govshare")
