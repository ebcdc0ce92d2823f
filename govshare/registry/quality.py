"""Quality reports in the registry, and what they need from it (the trend, reference copies)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from govshare.errors import NotFound
from govshare.registry import models as m
from govshare.registry.masks import item_mask
from govshare.registry.statuses import AgreementStatus


@dataclass(frozen=True)
class Past:
    """One earlier delivery of the agreement, for the trend."""

    when: datetime | None
    status: str
    passed: int
    failed: int
    warned: int
    rows: int | None


def save(session: Session, delivery_id: int, agreement_code: str, scores: dict, html: str) -> None:
    values = dict(delivery_id=delivery_id, agreement_code=agreement_code, scores=scores, html=html)
    session.execute(
        insert(m.QualityReport).values(**values).on_conflict_do_update(index_elements=["delivery_id"], set_=values)
    )


def get(session: Session, delivery_id: int) -> m.QualityReport:
    report = session.get(m.QualityReport, delivery_id)
    if report is None:
        raise NotFound(f"no quality report for delivery {delivery_id}", "list deliveries with `govshare delivery list`")
    return report


def trend(session: Session, agreement_code: str, limit: int = 10) -> list[Past]:
    query = (
        select(m.Delivery)
        .where(m.Delivery.agreement_code == agreement_code, m.Delivery.finished_at.is_not(None))
        .order_by(m.Delivery.id.desc())
        .limit(limit)
    )
    return [
        Past(d.finished_at, d.status, d.checks_passed or 0, d.checks_failed or 0, d.checks_warned or 0, d.rows)
        for d in reversed(list(session.scalars(query)))
    ]


def unmasked_copies(session: Session, subscriber: str, target_conn_id: str) -> dict[tuple[str, str], str]:
    """(resource, item) -> "schema.table" for every item the subscriber receives raw into the
    same database: what reference rules can look values up in."""
    copies: dict[tuple[str, str], str] = {}
    agreements = session.scalars(
        select(m.Agreement).where(
            m.Agreement.subscriber_code == subscriber,
            m.Agreement.target_conn_id == target_conn_id,
            m.Agreement.status.in_((AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED)),
        )
    )
    for agreement in agreements:
        resource = session.get(m.Resource, agreement.resource_code)
        for name in agreement.items:
            item = resource.item(name) if resource else None
            raw = item and item_mask(agreement, resource, item).kind == "none"
            if raw:
                copies.setdefault((resource.code, name), f"{agreement.target_schema}.{agreement.target_table}")
    return copies
