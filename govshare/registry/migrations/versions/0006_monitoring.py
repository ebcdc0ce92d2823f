"""monitoring

Revision ID: 0006
Revises: 0005

Issue 6: front-DB health checks and incidents, anomalies, freshness lag per delivery,
attachments of notifications, and the update column of resources.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "anomaly",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("agreement_code", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("delivery_id", sa.BigInteger(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_anomaly")),
        schema="govshare",
    )
    op.create_index(op.f("ix_anomaly_agreement_code"), "anomaly", ["agreement_code"], unique=False, schema="govshare")
    op.create_table(
        "front_db_check",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("agency_code", sa.Text(), nullable=False),
        sa.Column("resource_code", sa.Text(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_front_db_check")),
        schema="govshare",
    )
    op.create_index(
        op.f("ix_front_db_check_agency_code"), "front_db_check", ["agency_code"], unique=False, schema="govshare"
    )
    op.create_index(
        op.f("ix_front_db_check_checked_at"), "front_db_check", ["checked_at"], unique=False, schema="govshare"
    )
    op.create_table(
        "incident",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("agency_code", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
        schema="govshare",
    )
    op.create_index(op.f("ix_incident_agency_code"), "incident", ["agency_code"], unique=False, schema="govshare")
    op.create_table(
        "notification_attachment",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("notification_id", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["govshare.notification.id"],
            name=op.f("fk_notification_attachment_notification_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_attachment")),
        schema="govshare",
    )
    op.create_index(
        op.f("ix_notification_attachment_notification_id"),
        "notification_attachment",
        ["notification_id"],
        unique=False,
        schema="govshare",
    )
    op.add_column("delivery", sa.Column("freshness_lag_seconds", sa.Float(), nullable=True), schema="govshare")
    op.add_column("resource", sa.Column("update_column", sa.Text(), nullable=True), schema="govshare")


def downgrade() -> None:
    op.drop_column("resource", "update_column", schema="govshare")
    op.drop_column("delivery", "freshness_lag_seconds", schema="govshare")
    op.drop_index(
        op.f("ix_notification_attachment_notification_id"), table_name="notification_attachment", schema="govshare"
    )
    op.drop_table("notification_attachment", schema="govshare")
    op.drop_index(op.f("ix_incident_agency_code"), table_name="incident", schema="govshare")
    op.drop_table("incident", schema="govshare")
    op.drop_index(op.f("ix_front_db_check_checked_at"), table_name="front_db_check", schema="govshare")
    op.drop_index(op.f("ix_front_db_check_agency_code"), table_name="front_db_check", schema="govshare")
    op.drop_table("front_db_check", schema="govshare")
    op.drop_index(op.f("ix_anomaly_agreement_code"), table_name="anomaly", schema="govshare")
    op.drop_table("anomaly", schema="govshare")
