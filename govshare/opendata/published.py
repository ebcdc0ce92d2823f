"""What the public reads now: the resources it receives and each one's current publication.
(Below both the publication, which writes them, and the public catalogue, which reads them.)"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from govshare.opendata.plan import is_open
from govshare.registry import models as m
from govshare.registry.statuses import PublicationStatus


def current(s: Session, resource_code: str) -> m.Publication | None:
    """The publication whose files the public reads now (None: nothing, or withdrawn)."""
    latest = s.scalars(
        select(m.Publication)
        .where(
            m.Publication.resource_code == resource_code,
            m.Publication.status.in_([PublicationStatus.PUBLISHED, PublicationStatus.WITHDRAWN]),
        )
        .order_by(m.Publication.id.desc())
        .limit(1)
    ).first()
    return latest if latest is not None and latest.status == PublicationStatus.PUBLISHED else None


def open_resources(s: Session) -> list[m.Resource]:
    """The resources the public receives (plan.is_open)."""
    found = s.scalars(select(m.Resource).where(m.Resource.open_type == "open").order_by(m.Resource.code))
    return [resource for resource in found if is_open(resource)]
