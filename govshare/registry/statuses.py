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
