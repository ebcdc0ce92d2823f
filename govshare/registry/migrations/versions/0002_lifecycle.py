"""lifecycle, tokens, audit, notifications

Revision ID: 0002
Revises: 0001

The regulation's workflow (article 13): lifecycle transitions and joint votes, agency API
tokens, the hash-chained audit log (append-only, enforced by a trigger), the notification
outbox, and diffs on catalogue filings. Agreements that were 'inactive' become 'suspended'.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agency_token",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("agency_code", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_agency_token_token_hash")),
        schema="govshare",
    )
    op.create_index(
        op.f("ix_agency_token_agency_code"), "agency_token", ["agency_code"], unique=False, schema="govshare"
    )
    op.create_table(
        "audit_entry",
        sa.Column("seq", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_entry")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_entry_hash")),
        schema="govshare",
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("agreement_code", sa.Text(), nullable=True),
        sa.Column("recipients", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        schema="govshare",
    )
    op.create_index(
        op.f("ix_notification_agreement_code"), "notification", ["agreement_code"], unique=False, schema="govshare"
    )
    op.create_index(op.f("ix_notification_status"), "notification", ["status"], unique=False, schema="govshare")
    op.create_table(
        "agreement_transition",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("agreement_code", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("from_status", sa.Text(), nullable=False),
        sa.Column("to_status", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_code"], ["govshare.agreement.code"], name=op.f("fk_agreement_transition_agreement_code")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_transition")),
        schema="govshare",
    )
    op.create_index(
        op.f("ix_agreement_transition_agreement_code"),
        "agreement_transition",
        ["agreement_code"],
        unique=False,
        schema="govshare",
    )
    op.create_table(
        "joint_vote",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("agreement_code", sa.Text(), nullable=False),
        sa.Column("department_code", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("approve", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_code"], ["govshare.agreement.code"], name=op.f("fk_joint_vote_agreement_code")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_joint_vote")),
        sa.UniqueConstraint("agreement_code", "department_code", name=op.f("uq_joint_vote_agreement_code")),
        schema="govshare",
    )
    op.create_index(
        op.f("ix_joint_vote_agreement_code"), "joint_vote", ["agreement_code"], unique=False, schema="govshare"
    )
    op.add_column("agreement", sa.Column("end_date", sa.Date(), nullable=True), schema="govshare")
    op.add_column("agreement", sa.Column("due_date", sa.Date(), nullable=True), schema="govshare")
    op.add_column("agreement", sa.Column("reminded_on", sa.Date(), nullable=True), schema="govshare")
    op.add_column("agreement", sa.Column("condition_statement", sa.Text(), nullable=True), schema="govshare")
    op.add_column("agreement", sa.Column("filing_number", sa.Text(), nullable=True), schema="govshare")
    op.create_unique_constraint(op.f("uq_agreement_filing_number"), "agreement", ["filing_number"], schema="govshare")
    op.add_column("catalog_filing", sa.Column("diff", sa.Text(), nullable=False, server_default=""), schema="govshare")
    op.execute("UPDATE govshare.agreement SET status = 'suspended' WHERE status = 'inactive'")
    # Append-only: the application never changes or removes an audit entry, and the database
    # refuses to. (An owner can drop the trigger; the hash chain is what detects that.)
    op.execute(
        """
        CREATE FUNCTION govshare.audit_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'govshare.audit_entry is append-only: % refused', TG_OP;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON govshare.audit_entry "
        "FOR EACH STATEMENT EXECUTE FUNCTION govshare.audit_is_append_only()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_append_only ON govshare.audit_entry")
    op.execute("DROP FUNCTION govshare.audit_is_append_only()")
    op.execute("UPDATE govshare.agreement SET status = 'inactive' WHERE status NOT IN ('draft', 'active')")
    op.drop_column("catalog_filing", "diff", schema="govshare")
    op.drop_constraint(op.f("uq_agreement_filing_number"), "agreement", schema="govshare", type_="unique")
    op.drop_column("agreement", "filing_number", schema="govshare")
    op.drop_column("agreement", "condition_statement", schema="govshare")
    op.drop_column("agreement", "reminded_on", schema="govshare")
    op.drop_column("agreement", "due_date", schema="govshare")
    op.drop_column("agreement", "end_date", schema="govshare")
    op.drop_index(op.f("ix_joint_vote_agreement_code"), table_name="joint_vote", schema="govshare")
    op.drop_table("joint_vote", schema="govshare")
    op.drop_index(op.f("ix_agreement_transition_agreement_code"), table_name="agreement_transition", schema="govshare")
    op.drop_table("agreement_transition", schema="govshare")
    op.drop_index(op.f("ix_notification_status"), table_name="notification", schema="govshare")
    op.drop_index(op.f("ix_notification_agreement_code"), table_name="notification", schema="govshare")
    op.drop_table("notification", schema="govshare")
    op.drop_table("audit_entry", schema="govshare")
    op.drop_index(op.f("ix_agency_token_agency_code"), table_name="agency_token", schema="govshare")
    op.drop_table("agency_token", schema="govshare")
