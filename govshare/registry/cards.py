"""Agreements with the names a person reads: what the DAG docs, the CLI and the demo show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from govshare.exchange import filters
from govshare.registry import models as m
from govshare.registry.masks import item_mask
from govshare.registry.statuses import AgreementStatus


@dataclass(frozen=True)
class AgreementCard:
    """An agreement joined with its parties and resource, by name."""

    code: str
    status: str
    subscriber_code: str
    subscriber_name: str
    provider_code: str
    provider_name: str
    resource_code: str
    resource_name: str
    share_type: str
    share_condition: str
    items: tuple[tuple[str, str, str, str], ...]  # (name, title, personal category, mask applied)
    purpose: str
    legal_basis: str
    schedule: str
    start_date: date
    mode: str
    target_conn_id: str
    target: str
    catalog_version: int
    delivery: str = ""  # mode, watermark, deletions and empty-source rule, in words
    row_filter: str = ""  # the rows granted, in words ("" for all)


def cards(
    session: Session, status: AgreementStatus | None = AgreementStatus.ACTIVE, code: str | None = None
) -> list[AgreementCard]:
    """Agreements joined with their parties and resource, sorted by code for stable DAGs."""
    query = select(m.Agreement).order_by(m.Agreement.code)
    if status:
        query = query.where(m.Agreement.status == status)
    if code:
        query = query.where(m.Agreement.code == code)
    agencies = {a.code: a.name for a in session.scalars(select(m.Agency))}
    agreements = list(session.scalars(query))
    # Every resource once, held here: the session's identity map keeps objects only while
    # something else does, so a get() per card read the same resource again for each.
    codes = {a.resource_code for a in agreements}
    resources = {r.code: r for r in session.scalars(select(m.Resource).where(m.Resource.code.in_(codes)))}
    return [_card(agreement, resources.get(agreement.resource_code), agencies) for agreement in agreements]


def _card(agreement: m.Agreement, resource: m.Resource | None, agencies: dict[str, str]) -> AgreementCard:
    provider = resource.provider_code if resource else "?"
    items = tuple(
        (name, item.title, item.personal, str(item_mask(agreement, resource, item)))
        if (item := resource.item(name) if resource else None)
        else (name, "?", "?", "?")
        for name in agreement.items
    )
    return AgreementCard(
        code=agreement.code,
        status=agreement.status,
        subscriber_code=agreement.subscriber_code,
        subscriber_name=agencies.get(agreement.subscriber_code, "?"),
        provider_code=provider,
        provider_name=agencies.get(provider, "?"),
        resource_code=agreement.resource_code,
        resource_name=resource.name if resource else "(withdrawn from the catalogue)",
        share_type=resource.share_type if resource else "?",
        share_condition=resource.share_condition if resource else "",
        items=items,
        purpose=agreement.purpose,
        legal_basis=agreement.legal_basis,
        schedule=agreement.schedule,
        start_date=agreement.start_date,
        mode=agreement.mode,
        target_conn_id=agreement.target_conn_id,
        target=f"{agreement.target_schema}.{agreement.target_table}",
        catalog_version=agreement.catalog_version,
        delivery=_delivery_words(agreement),
        row_filter="; ".join(str(c) for c in filters.parse_all(agreement.row_filter)),
    )


def _delivery_words(agreement: m.Agreement) -> str:
    words = agreement.mode
    if agreement.mode == "incremental":
        words += f" by {agreement.watermark} (overlap {agreement.overlap})"
        if agreement.deletions == "key_diff":
            words += ", deletions by key diff"
    return words + (", an empty source may empty the target" if agreement.empty_source_ok else "")
