"""What the public catalogue shows: the open resources with a current publication — nothing
else, whatever is asked (a conditional, not-open or withdrawn resource is simply not there),
and of each only the items the publication released."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from govshare import settings
from govshare.opendata.plan import is_open
from govshare.opendata.published import current, open_resources
from govshare.registry import models as m


@dataclass(frozen=True)
class Item:
    name: str
    title: str
    type: str
    masked: str | None  # the public mask, if the item is released masked


@dataclass(frozen=True)
class Dataset:
    code: str
    title: str
    description: str
    national_code: str | None
    classification: str
    format: str
    share_type: str
    share_method: str
    update_cycle: str
    released_on: date | None
    keywords: list[str]
    related: list[str]
    provider_code: str
    provider_name: str
    provider_credit_code: str | None
    region_code: str
    modified: datetime
    rows: int
    version: str
    files: list[dict[str, Any]]
    items: list[Item]


def base_url() -> str:
    """The public catalogue's address (GOVSHARE_PUBLIC_URL + /govshare/open)."""
    return (settings.setting("public_url") or "http://localhost:8080").rstrip("/") + "/govshare/open"


def download_url(code: str, name: str) -> str:
    return f"{base_url()}/files/{code}/{name}"


def datasets(s: Session) -> list[Dataset]:
    found = []
    for resource in open_resources(s):
        if (dataset := _dataset(s, resource)) is not None:
            found.append(dataset)
    return found


def dataset(s: Session, code: str) -> Dataset | None:
    resource = s.get(m.Resource, code)
    return _dataset(s, resource) if resource is not None and is_open(resource) else None


def _dataset(s: Session, resource: m.Resource) -> Dataset | None:
    published = current(s, resource.code)
    if published is None or published.version is None:
        return None
    provider = s.get(m.Agency, resource.provider_code)
    national = resource.national or {}
    released = national.get("released_on")
    by_name = {i.name: i for i in resource.items}
    return Dataset(
        code=resource.code,
        title=resource.name,
        description=resource.description,
        national_code=national.get("national_code"),
        classification=resource.classification,
        format=national.get("format", "database"),
        share_type=resource.share_type,
        share_method=national.get("share_method", "database"),
        update_cycle=resource.update_cycle,
        released_on=date.fromisoformat(released) if released else None,
        keywords=list(national.get("keywords", [])),
        related=[r for r in national.get("related", []) if (other := s.get(m.Resource, r)) and is_open(other)],
        provider_code=resource.provider_code,
        provider_name=provider.name if provider else resource.provider_code,
        provider_credit_code=provider.credit_code if provider else None,
        region_code=provider.region_code if provider else "",
        modified=published.finished_at or published.started_at,
        rows=published.rows or 0,
        version=published.version,
        files=list(published.files),
        # The items the publication released, as it released them (not today's catalogue).
        items=[
            Item(name, by_name[name].title, by_name[name].type, None if public == "publish" else public)
            for name, public in (_released(entry, by_name) for entry in published.items)
            if name in by_name
        ],
    )


def _released(entry: dict[str, str] | str, by_name: dict[str, m.ResourceItem]) -> tuple[str, str]:
    """A publication's item as (name, what the public received). A publication made before
    masks were recorded holds the name alone (read with today's catalogue; it is due again)."""
    if isinstance(entry, str):
        return entry, by_name[entry].public if entry in by_name else "omit"
    return entry["name"], entry["public"]
