"""What the public receives of an open resource: a DeliveryPlan into the platform's own
open-data workspace, with the catalogue's public masks and without its omitted items."""

from __future__ import annotations

from govshare.catalog.types import CatalogType
from govshare.exchange.masking import Mask
from govshare.exchange.plan import Column, DeliveryPlan
from govshare.registry import models as m

WORKSPACE = "govshare_open_data"  # the workspace's connection id; by default the registry's own database
PUBLIC = "public"  # the subscriber of every publication


def public_columns(resource: m.Resource) -> tuple[Column, ...]:
    """The items the public receives, each with its public mask (personal items never raw:
    the catalogue's validation asks for ``omit`` or a mask)."""
    return tuple(
        Column(item.name, CatalogType.parse(item.type), item.nullable, item.personal, _mask(item))
        for item in resource.items
        if released(item)
    )


def _mask(item: m.ResourceItem) -> Mask:
    return Mask("none") if item.public == "publish" else Mask.parse(item.public)


def released(item: m.ResourceItem) -> bool:
    """Whether the public receives the item at all: not omitted, and never a personal item
    as it is (deny by default, whatever a registry row says)."""
    return item.public != "omit" and not (item.personal != "none" and item.public == "publish")


def is_open(resource: m.Resource) -> bool:
    """Whether the public receives the resource at all: open to the public, and shared between
    agencies without condition. A conditional or not-shared resource is never published,
    whatever a registry row says (the catalogue's validation refuses it as open)."""
    return resource.open_type == "open" and resource.share_type == "unconditional"


def released_items(resource: m.Resource) -> list[dict[str, str]]:
    """What a publication records of its items: each released item and what the public receives
    of it (``publish`` or its mask). A change of either is due a new publication."""
    return [{"name": item.name, "public": item.public} for item in resource.items if released(item)]


def public_plan(resource: m.Resource) -> DeliveryPlan:
    catalogued = tuple(Column(i.name, CatalogType.parse(i.type), i.nullable, i.personal) for i in resource.items)
    return DeliveryPlan(
        agreement_code=f"open_{resource.code}",
        resource_code=resource.code,
        provider_code=resource.provider_code,
        subscriber_code=PUBLIC,
        source_conn_id=resource.conn_id,
        source_schema=resource.schema_name,
        source_table=resource.table_name,
        columns=public_columns(resource),
        catalogued=catalogued,
        key=tuple(resource.primary_key),
        target_conn_id=WORKSPACE,
        target_schema="govshare_open",
        target_table=resource.code,
        update_column=resource.update_column,
    )
