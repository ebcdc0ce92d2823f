"""The registry's tables (schema ``govshare``): the applied catalogue, agreements, deliveries.

The catalogue tables mirror the YAML of the latest filing; each filing also keeps the whole
catalogue as JSON so any past version can be shown or compared. Agreements refer to
resources and items by code, not by foreign key: a catalogue change may withdraw what an
agreement names, and the agreement must survive to be suspended and explained, not vanish.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Sequence,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from govshare import clock
from govshare.registry.statuses import NotificationStatus

SCHEMA = "govshare"


class Base(DeclarativeBase):
    metadata = MetaData(
        schema=SCHEMA,
        naming_convention={
            "pk": "pk_%(table_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ix": "ix_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
        },
    )


class CatalogFiling(Base):
    """One applied version of the catalogue (article 11: catalogue changes are filed)."""

    __tablename__ = "catalog_filing"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    checksum: Mapped[str] = mapped_column(String(64))
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now, server_default=func.now())
    applied_by: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    content: Mapped[dict] = mapped_column(JSONB)
    diff: Mapped[str] = mapped_column(Text, default="")  # human-readable change from the version before


class Agency(Base):
    __tablename__ = "agency"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(String(6))
    parent_code: Mapped[str | None] = mapped_column(Text)
    contacts: Mapped[list] = mapped_column(JSONB)
    quality_alerts: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    quality_digest: Mapped[str] = mapped_column(Text, default="weekly", server_default="weekly")
    # The agency's own databases deliveries may write into: [{"conn_id": ..., "schemas": [...]}].
    databases: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    credit_code: Mapped[str | None] = mapped_column(Text)  # 统一社会信用代码: the provider's national code


class DataElement(Base):
    __tablename__ = "data_element"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(Text)
    authority_code: Mapped[str] = mapped_column(Text)


class Resource(Base):
    __tablename__ = "resource"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    provider_code: Mapped[str] = mapped_column(Text)
    classification: Mapped[str] = mapped_column(Text)
    share_type: Mapped[str] = mapped_column(Text)
    share_condition: Mapped[str] = mapped_column(Text)
    open_type: Mapped[str] = mapped_column(Text)
    update_cycle: Mapped[str] = mapped_column(Text)
    conn_id: Mapped[str] = mapped_column(Text)
    schema_name: Mapped[str] = mapped_column(Text)
    table_name: Mapped[str] = mapped_column(Text)
    primary_key: Mapped[list[str]] = mapped_column(ARRAY(Text))
    update_column: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    # The national catalogue's other core fields: national_code, format, share_method,
    # open_condition, released_on, related, keywords (govshare.catalog.model.Resource).
    national: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
    items: Mapped[list[ResourceItem]] = relationship(
        order_by="ResourceItem.position", cascade="all, delete-orphan", lazy="selectin"
    )

    def item(self, name: str) -> ResourceItem | None:
        return next((i for i in self.items if i.name == name), None)


class ResourceItem(Base):
    __tablename__ = "resource_item"

    resource_code: Mapped[str] = mapped_column(ForeignKey(Resource.code, ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    element_code: Mapped[str | None] = mapped_column(Text)
    copy_of: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str] = mapped_column(Text)
    nullable: Mapped[bool] = mapped_column(Boolean)
    personal: Mapped[str] = mapped_column(Text)
    public: Mapped[str] = mapped_column(Text, default="publish", server_default="publish")  # Item.published_as


agreement_number = Sequence("agreement_number_seq", schema=SCHEMA)


class Agreement(Base):
    """A sharing agreement: the only thing that grants a subscriber access to a resource.

    Its terms' columns bear the names of govshare.registry.terms.AgreementTerms' fields."""

    __tablename__ = "agreement"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    subscriber_code: Mapped[str] = mapped_column(Text)
    resource_code: Mapped[str] = mapped_column(Text)
    items: Mapped[list[str]] = mapped_column(ARRAY(Text))
    purpose: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    schedule: Mapped[str] = mapped_column(Text)
    start_date: Mapped[date] = mapped_column(Date)
    mode: Mapped[str] = mapped_column(Text)  # snapshot | incremental
    watermark: Mapped[str | None] = mapped_column(Text)
    overlap: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    deletions: Mapped[str] = mapped_column(Text, default="none", server_default="none")  # none | key_diff
    empty_source_ok: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    row_filter: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    masking: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")  # item -> mask
    target_conn_id: Mapped[str] = mapped_column(Text)
    target_schema: Mapped[str] = mapped_column(Text)
    target_table: Mapped[str] = mapped_column(Text)
    end_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(Text)  # see govshare.registry.statuses.AgreementStatus
    # The working day by which the current stage must be answered (provider review, coordination).
    due_date: Mapped[date | None] = mapped_column(Date)
    # The due date was counted through a year with no official holiday calendar yet: it may move.
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    reminded_on: Mapped[date | None] = mapped_column(Date)  # the overdue reminder was sent (once)
    condition_statement: Mapped[str | None] = mapped_column(Text)  # how a conditional share is met
    filing_number: Mapped[str | None] = mapped_column(Text, unique=True)
    catalog_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now, server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # An operator let the first delivery replace a table the platform did not create (audited).
    target_adopted_by: Mapped[str | None] = mapped_column(Text)


class _Step:
    """What every recorded step of a workflow holds: the move, who made it, why, and when."""

    action: Mapped[str] = mapped_column(Text)
    from_status: Mapped[str] = mapped_column(Text)
    to_status: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now, server_default=func.now())


class Transition(_Step, Base):
    """One step of an agreement's lifecycle: who moved it, from where to where, and why."""

    __tablename__ = "agreement_transition"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    agreement_code: Mapped[str] = mapped_column(ForeignKey(Agreement.code), index=True)


class JointVote(Base):
    """A department's position in a joint decision (competent, staffing and secrecy departments)."""

    __tablename__ = "joint_vote"
    __table_args__ = (UniqueConstraint("agreement_code", "department_code"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    agreement_code: Mapped[str] = mapped_column(ForeignKey(Agreement.code), index=True)
    department_code: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)
    approve: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now, server_default=func.now())


class AgencyToken(Base):
    """An agency's API token, kept only as its SHA-256 (tokens are 256-bit random, so a fast
    hash is enough: there is nothing to brute-force)."""

    __tablename__ = "agency_token"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    agency_code: Mapped[str] = mapped_column(Text, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(Text)  # the first characters, to tell tokens apart in lists
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now, server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The named member the token speaks for; none: a system account of the agency.
    member_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("govshare.staff_member.id"))


class StaffMember(Base):
    """A named person working for an agency, who signs in to the agency workspace. The password
    is kept only as a salted scrypt hash (govshare.staff); ``duties`` say in which of the
    agency's roles the person may act (identity.DUTIES)."""

    __tablename__ = "staff_member"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    login: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    agency_code: Mapped[str] = mapped_column(Text, index=True)
    duties: Mapped[list[str]] = mapped_column(ARRAY(Text))
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now, server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    unlocked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # failures before it do not count


class StaffSession(Base):
    """A signed-in member's session, kept only as the SHA-256 of its cookie; it ends when it
    expires, when the member signs out, or when the member is disabled."""

    __tablename__ = "staff_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("govshare.staff_member.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now, server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """The append-only, hash-chained audit log (see govshare.audit)."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_actor_seq", "actor", "seq"),)  # an account's latest entries

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict] = mapped_column(JSONB)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class Notification(Base):
    """An email waiting to be sent (an outbox): written in the same transaction as the event it
    reports, sent by a platform DAG through Airflow's SMTP provider."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now, server_default=func.now())
    kind: Mapped[str] = mapped_column(Text)
    agreement_code: Mapped[str | None] = mapped_column(Text, index=True)
    recipients: Mapped[list[str]] = mapped_column(ARRAY(Text))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)  # HTML
    text_body: Mapped[str | None] = mapped_column(Text)  # the same in plain text (None: derived from the HTML)
    attach_report: Mapped[int | None] = mapped_column(BigInteger)  # a delivery whose quality report is attached
    status: Mapped[str] = mapped_column(Text, default=NotificationStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)


class Delivery(Base):
    """One run of an agreement's DAG: what moved, what the checks said, how it ended."""

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("agreement_code", "run_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    agreement_code: Mapped[str] = mapped_column(ForeignKey(Agreement.code), index=True)
    run_id: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)  # see govshare.registry.deliveries.DeliveryStatus
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now, server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rows: Mapped[int | None] = mapped_column(BigInteger)
    bytes: Mapped[int | None] = mapped_column(BigInteger)
    rows_merged: Mapped[int | None] = mapped_column(BigInteger)  # incremental: inserted or changed
    rows_deleted: Mapped[int | None] = mapped_column(BigInteger)  # key-diff deletions
    watermark_from: Mapped[str | None] = mapped_column(Text)
    watermark_to: Mapped[str | None] = mapped_column(Text)
    freshness_lag_seconds: Mapped[float | None] = mapped_column(Float)  # delivery time − newest update
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    checks_passed: Mapped[int | None] = mapped_column(Integer)
    checks_failed: Mapped[int | None] = mapped_column(Integer)  # blocking checks that failed
    checks_warned: Mapped[int | None] = mapped_column(Integer)  # warning checks that failed
    check_results: Mapped[list | None] = mapped_column(JSONB)
    staging_table: Mapped[str | None] = mapped_column(Text)
    plan: Mapped[dict | None] = mapped_column(JSONB)  # what the run's preflight authorised (DeliveryPlan.as_json)
    error: Mapped[str | None] = mapped_column(Text)


class QualityReport(Base):
    """The quality report of one delivery (HTML), where the API, the CLI and emails find it."""

    __tablename__ = "quality_report"

    delivery_id: Mapped[int] = mapped_column(ForeignKey(Delivery.id, ondelete="CASCADE"), primary_key=True)
    agreement_code: Mapped[str] = mapped_column(Text, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now, server_default=func.now())
    scores: Mapped[dict] = mapped_column(JSONB)  # dimension -> percent conforming
    html: Mapped[str] = mapped_column(Text)


correction_number = Sequence("correction_number_seq", schema=SCHEMA)


class Correction(Base):
    """A subscriber's doubt about a delivered value (article 16, 纠错), routed to the
    authoritative source of the item's data element (一数一源)."""

    __tablename__ = "correction"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    agreement_code: Mapped[str] = mapped_column(ForeignKey(Agreement.code), index=True)
    # The delivery the doubted record came in, when the subscriber filed from it.
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey(Delivery.id, ondelete="SET NULL"), index=True)
    resource_code: Mapped[str] = mapped_column(Text)
    record_key: Mapped[dict] = mapped_column(JSONB)  # key item -> value, as text
    item: Mapped[str] = mapped_column(Text)
    element_code: Mapped[str | None] = mapped_column(Text)
    authority_code: Mapped[str] = mapped_column(Text, index=True)  # who must answer
    provider_code: Mapped[str] = mapped_column(Text)  # the agreement's provider, kept informed
    subscriber_code: Mapped[str] = mapped_column(Text)
    problem: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)  # see govshare.registry.statuses.CorrectionStatus
    due_date: Mapped[date | None] = mapped_column(Date)
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")  # as an agreement's
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now, server_default=func.now())


class CorrectionStep(_Step, Base):
    __tablename__ = "correction_step"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    correction_code: Mapped[str] = mapped_column(ForeignKey(Correction.code), index=True)


class FrontDbCheck(Base):
    """One health check of one resource's front-DB table (article 10)."""

    __tablename__ = "front_db_check"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    agency_code: Mapped[str] = mapped_column(Text, index=True)
    resource_code: Mapped[str] = mapped_column(Text)
    checked_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=clock.now, server_default=func.now(), index=True
    )
    ok: Mapped[bool] = mapped_column(Boolean)
    problem: Mapped[str] = mapped_column(Text, default="")


class Incident(Base):
    """An agency's front DB unhealthy, from the first failed check until the first good one."""

    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    agency_code: Mapped[str] = mapped_column(Text, index=True)
    kind: Mapped[str] = mapped_column(Text)  # front_db
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now, server_default=func.now())
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    detail: Mapped[str] = mapped_column(Text)


class Anomaly(Base):
    """Something unusual the platform noticed about an agreement's deliveries (article 17)."""

    __tablename__ = "anomaly"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    agreement_code: Mapped[str] = mapped_column(Text, index=True)
    kind: Mapped[str] = mapped_column(Text)  # volume, repeated_failures, overdue, schema_drift
    detected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now, server_default=func.now())
    delivery_id: Mapped[int | None] = mapped_column(BigInteger)
    detail: Mapped[str] = mapped_column(Text)


class NotificationAttachment(Base):
    """A file sent with a notification (a report's PDF)."""

    __tablename__ = "notification_attachment"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey(Notification.id, ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(Text)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Publication(Base):
    """One run of the open-data publication of a resource (article 19): what it read and
    checked, the files it wrote, how it ended; or the withdrawal of its files."""

    __tablename__ = "publication"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    resource_code: Mapped[str] = mapped_column(Text, index=True)
    run_id: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)  # see govshare.registry.statuses.PublicationStatus
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now, server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[str | None] = mapped_column(Text)  # the folder of its files in the open-data store
    rows: Mapped[int | None] = mapped_column(BigInteger)
    files: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")  # name, media_type, bytes, sha256
    items: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")  # the published columns
    check_results: Mapped[list | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
