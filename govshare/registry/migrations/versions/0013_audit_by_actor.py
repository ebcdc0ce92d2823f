"""audit entries by actor

Revision ID: 0013
Revises: 0012

Issue 14: a workspace sign-in reads the account's latest sign-ins and refusals from the audit
log (the lock after repeated failures); without this index that read would scan the whole log
for an account with few entries.
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_audit_entry_actor_seq"), "audit_entry", ["actor", "seq"], schema="govshare")


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_entry_actor_seq"), table_name="audit_entry", schema="govshare")
