"""The delivery an active agreement authorises: its DeliveryPlan, built from the registry and
checked against the current catalogue (the engine sees nothing else)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from govshare import corrections
from govshare.catalog.types import CatalogType
from govshare.errors import AgreementBroken, AgreementNotActive
from govshare.exchange import filters, masking
from govshare.exchange.plan import Column, DeliveryPlan
from govshare.registry import agreements
from govshare.registry import models as m
from govshare.registry.acceptance import joint_approved, target_problem
from govshare.registry.masks import item_mask
from govshare.registry.statuses import AgreementStatus


def plan_for(session: Session, code: str) -> DeliveryPlan:
    """The delivery an active agreement authorises, or AgreementNotActive / AgreementBroken."""
    agreement = agreements.get(session, code)
    if agreement.status != AgreementStatus.ACTIVE:
        raise AgreementNotActive(
            f"agreement {code} is {agreement.status}, not active: nothing is delivered",
            "only active agreements deliver; see `govshare agreement show` for its history",
        )
    resource = _granted_resource(session, agreement)
    return DeliveryPlan(
        agreement_code=agreement.code,
        resource_code=resource.code,
        provider_code=resource.provider_code,
        subscriber_code=agreement.subscriber_code,
        source_conn_id=resource.conn_id,
        source_schema=resource.schema_name,
        source_table=resource.table_name,
        columns=tuple(
            _column(i, item_mask(agreement, resource, i)) for i in resource.items if i.name in agreement.items
        ),
        catalogued=tuple(_column(i) for i in resource.items),
        key=tuple(resource.primary_key),
        target_conn_id=agreement.target_conn_id,
        target_schema=agreement.target_schema,
        target_table=agreement.target_table,
        target_adopted=agreement.target_adopted_by is not None,
        mode=agreement.mode,
        watermark=agreement.watermark,
        overlap=agreement.overlap,
        deletions=agreement.deletions,
        empty_source_ok=agreement.empty_source_ok,
        row_filter=filters.parse_all(agreement.row_filter),
        corrections=corrections.open_corrections(session, code),
        update_column=resource.update_column,
    )


def _granted_resource(session: Session, agreement: m.Agreement) -> m.Resource:
    """The agreement's resource, if the current catalogue still grants what the agreement names."""
    code = agreement.code
    resource = session.get(m.Resource, agreement.resource_code)
    if resource is None:
        raise AgreementBroken(
            f"agreement {code} names resource '{agreement.resource_code}', which the catalogue no longer has",
            "the provider re-files the resource, or the agreement is renegotiated",
        )
    missing = [name for name in agreement.items if resource.item(name) is None]
    if missing:
        raise AgreementBroken(
            f"agreement {code} names items the catalogue no longer has in {resource.code}: {', '.join(missing)}",
            "the provider re-files the items, or the agreement is renegotiated",
        )
    if resource.share_type == "not_shared" and not joint_approved(session, code):
        raise AgreementBroken(
            f"resource {resource.code} is now not_shared; agreement {code} cannot deliver it",
            "the agreement must be reviewed under the new share type",
        )
    if lost := target_problem(session, agreement):
        raise AgreementBroken(
            f"agreement {code} cannot deliver to {agreement.target_conn_id}: {lost}",
            "the subscriber declares the database again, or the agreement is renegotiated",
        )
    return resource


def _column(item: m.ResourceItem, mask: masking.Mask | None = None) -> Column:
    mask = mask or masking.effective(item.personal, None)  # catalogued columns: the category's default
    return Column(item.name, CatalogType.parse(item.type), item.nullable, item.personal, mask)
