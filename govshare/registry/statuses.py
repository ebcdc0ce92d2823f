"""The statuses an agreement can be in: the registry's vocabulary, which the lifecycle
(govshare.lifecycle.machine) moves agreements through and every reader filters on.

A StrEnum, so a member compares equal to the text stored in ``agreement.status``.
"""

from __future__ import annotations

from enum import StrEnum


class AgreementStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # awaiting the provider's review
    AGREED = "agreed"
    REFUSED = "refused"
    COORDINATION = "coordination"
    JOINT_DECISION = "joint_decision"
    APPROVED = "approved"
    REJECTED = "rejected"
    FILED = "filed"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"


# No move leads out of these: the agreement is over, and its target table is free again.
FINAL_AGREEMENT_STATUSES = frozenset({AgreementStatus.REJECTED, AgreementStatus.REVOKED, AgreementStatus.EXPIRED})


class CorrectionStatus(StrEnum):
    """Where a correction (article 16) stands; govshare.corrections moves it."""

    FILED = "filed"  # awaiting the authoritative agency's answer
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    FIXED = "fixed"
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"  # with the competent department
    RESOLVED = "resolved"


# Still in doubt: the subscriber's side table flags the record.
OPEN_CORRECTION_STATUSES = frozenset(set(CorrectionStatus) - {CorrectionStatus.CONFIRMED, CorrectionStatus.RESOLVED})


class NotificationStatus(StrEnum):
    """A notification in the outbox: waiting (new, or to be retried), sent, or given up on."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class PublicationStatus(StrEnum):
    """An open-data publication run (govshare.opendata)."""

    RUNNING = "running"
    PUBLISHED = "published"  # its files are the resource's current publication
    BLOCKED = "blocked"  # a block rule failed: the previous publication stays
    FAILED = "failed"  # it could not read, check or write: the previous publication stays
    WITHDRAWN = "withdrawn"  # the resource is no longer open: its files were removed
