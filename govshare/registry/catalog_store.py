"""Applying a validated catalogue to the registry as a new filing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from govshare.catalog import diff
from govshare.catalog.model import Catalog
from govshare.registry import models as m

NATIONAL_FIELDS = {"national_code", "format", "share_method", "open_condition", "released_on", "related", "keywords"}


@dataclass(frozen=True)
class Filing:
    version: int
    checksum: str
    changed: bool  # False when the catalogue equals the latest filing (nothing was written)
    changes: list[str]  # what differs from the version before, in words
    previous: dict | None  # the catalogue of the version before (JSON), to judge agreements by
    content: dict  # this catalogue (JSON)


def apply_catalog(session: Session, catalog: Catalog, source: str, applied_by: str) -> Filing:
    """Make ``catalog`` the registry's current catalogue, recorded as a new filing.

    Runs inside the caller's transaction: either everything is applied or nothing is.
    """
    # Two operators applying at once would interleave upserts; the lock serialises them.
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('govshare.catalog_apply'))"))
    checksum = catalog.checksum()
    latest = session.scalars(select(m.CatalogFiling).order_by(m.CatalogFiling.version.desc()).limit(1)).first()
    if latest is not None and latest.checksum == checksum:
        return Filing(
            latest.version, checksum, changed=False, changes=[], previous=latest.content, content=latest.content
        )

    version = (session.scalar(select(func.max(m.CatalogFiling.version))) or 0) + 1
    content = catalog.model_dump(mode="json", by_alias=True)
    changes = diff.describe(latest.content if latest else None, content)
    session.add(
        m.CatalogFiling(
            version=version,
            checksum=checksum,
            applied_by=applied_by,
            source=source,
            content=content,
            diff="\n".join(changes),
        )
    )
    _replace(session, m.Agency, [_agency_row(a) for a in catalog.agencies.values()])
    _replace(session, m.DataElement, [_element_row(e) for e in catalog.elements.values()])
    _replace(session, m.Resource, [_resource_row(r) for r in catalog.resources.values()])
    return Filing(
        version, checksum, changed=True, changes=changes, previous=latest.content if latest else None, content=content
    )


def current_version(session: Session) -> int | None:
    return session.scalar(select(func.max(m.CatalogFiling.version)))


def _replace(session: Session, model: type[m.Base], rows: list[m.Base]) -> None:
    """Make the table hold exactly ``rows``: removed codes go, the rest are merged in place."""
    codes = [row.code for row in rows]
    session.execute(delete(model).where(model.code.not_in(codes)))
    for row in rows:
        session.merge(row)
    session.flush()


def _agency_row(agency) -> m.Agency:
    return m.Agency(
        code=agency.code,
        name=agency.name,
        kind=agency.kind,
        level=agency.level,
        region_code=agency.region_code,
        parent_code=agency.parent,
        contacts=[c.model_dump() for c in agency.contacts],
        quality_alerts=agency.quality_alerts,
        quality_digest=agency.quality_digest,
        databases=[d.model_dump() for d in agency.databases],
        credit_code=agency.credit_code,
    )


def _element_row(element) -> m.DataElement:
    return m.DataElement(code=element.code, name=element.name, type=element.type, authority_code=element.authority)


def _resource_row(resource) -> m.Resource:
    return m.Resource(
        code=resource.code,
        name=resource.name,
        provider_code=resource.provider,
        classification=resource.classification,
        share_type=resource.share_type,
        share_condition=resource.share_condition,
        open_type=resource.open_type,
        update_cycle=resource.update_cycle,
        conn_id=resource.front_db.conn_id,
        schema_name=resource.front_db.schema_,
        table_name=resource.front_db.table,
        primary_key=list(resource.primary_key),
        update_column=resource.update_column,
        description=resource.description,
        national=resource.model_dump(mode="json", include=NATIONAL_FIELDS),
        items=[
            m.ResourceItem(
                resource_code=resource.code,
                name=item.name,
                position=position,
                title=item.title,
                element_code=item.element,
                copy_of=item.copy_of,
                type=item.type,
                nullable=item.nullable,
                personal=item.personal,
                public=item.published_as,
            )
            for position, item in enumerate(resource.items)
        ],
    )
