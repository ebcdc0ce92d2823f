"""The catalogue as filed: agencies by level and region, the data-element register with each
element's authoritative agency, resources (share and open type, update cycle, items) with their
subscribers, quality trend and front-DB health, and the filings with what each changed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import func, select

from govshare.errors import NotFound
from govshare.lifecycle import service
from govshare.registry import models as m
from govshare.registry import quality
from govshare.registry.db import session
from govshare.ui.auth import Viewer
from govshare.ui.render import view
from govshare.ui.words import NAMES, agreement_status

router = APIRouter()


def health(s) -> dict[str, m.FrontDbCheck]:
    """Each resource's latest front-DB check."""
    latest = select(m.FrontDbCheck.resource_code, func.max(m.FrontDbCheck.id).label("id")).group_by(
        m.FrontDbCheck.resource_code
    )
    ids = [row.id for row in s.execute(latest)]
    return {c.resource_code: c for c in s.scalars(select(m.FrontDbCheck).where(m.FrontDbCheck.id.in_(ids)))}


@router.get("/catalogue", include_in_schema=False)
def catalogue(request: Request, viewer: Viewer, q: str = "", share_type: str = "", agency: str = ""):
    wanted = q.strip().lower()
    with session() as s:
        agencies = list(s.scalars(select(m.Agency).order_by(m.Agency.region_code, m.Agency.code)))
        names = {a.code: a.name for a in agencies}
        resources = [
            r
            for r in s.scalars(select(m.Resource).order_by(m.Resource.code))
            if (not share_type or r.share_type == share_type)
            and (not agency or r.provider_code == agency)
            and (not wanted or wanted in f"{r.code} {r.name} {r.description} {names.get(r.provider_code, '')}".lower())
        ]
        elements = list(s.scalars(select(m.DataElement).order_by(m.DataElement.code)))
        checks = health(s)
        filings = list(s.scalars(select(m.CatalogFiling).order_by(m.CatalogFiling.version.desc()).limit(20)))
        return view(
            request,
            viewer,
            "catalogue_index.html",
            levels=[(level, [a for a in agencies if a.level == level]) for level in NAMES["level"]],
            names=names,
            resources=resources,
            elements=elements,
            checks=checks,
            filings=filings,
            q=q,
            share_type=share_type,
            agency=agency,
            share_types=("unconditional", "conditional", "not_shared"),
        )


@router.get("/catalogue/resources/{code}", include_in_schema=False)
def resource_page(request: Request, viewer: Viewer, code: str):
    with session() as s:
        resource = s.get(m.Resource, code)
        if resource is None:
            raise NotFound(f"no resource '{code}' in the catalogue", "choose one from the catalogue page")
        agreements = [a for a in service.visible(s, viewer.actor) if a.resource_code == code]
        trends = {a.code: quality.trend(s, a.code, limit=10) for a in agreements}
        elements = {e.code: e for e in s.scalars(select(m.DataElement))}
        return view(
            request,
            viewer,
            "catalogue_resource.html",
            r=resource,
            elements=elements,
            agreements=[(a, agreement_status(a.status)) for a in agreements],
            trends=trends,
            check=health(s).get(code),
        )
