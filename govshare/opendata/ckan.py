"""The public catalogue in the shape of CKAN's Action API (``package_*``, ``organization_list``,
``resource_show``), so CKAN clients and harvesters read it as they read any CKAN site."""

from __future__ import annotations

from typing import Any

from govshare import settings
from govshare.opendata.catalogue import Dataset, base_url, download_url

FORMAT_TITLE = {"csv": "CSV", "parquet": "Parquet"}


def package(d: Dataset) -> dict[str, Any]:
    modified = d.modified.isoformat()
    resources = [resource(d, f, position) for position, f in enumerate(d.files)]
    return {
        "id": d.code,
        "name": d.code,
        "title": d.title,
        "notes": d.description,
        "type": "dataset",
        "state": "active",
        "private": False,
        "license_id": "cc-by" if "by/4.0" in settings.setting("open_data_licence") else "other-open",
        "license_url": settings.setting("open_data_licence"),
        "license_title": "Creative Commons Attribution 4.0"
        if "by/4.0" in settings.setting("open_data_licence")
        else "",
        "url": f"{base_url()}/datasets/{d.code}",
        "version": d.version,
        "metadata_created": (d.released_on.isoformat() if d.released_on else modified),
        "metadata_modified": modified,
        "owner_org": d.provider_code,
        "organization": organization(d),
        "tags": [{"name": word, "display_name": word} for word in d.keywords],
        "num_tags": len(d.keywords),
        "resources": resources,
        "num_resources": len(resources),
        "extras": [
            {"key": key, "value": str(value)}
            for key, value in (
                ("national_code", d.national_code or ""),
                ("classification", d.classification),
                ("format", d.format),
                ("share_type", d.share_type),
                ("share_method", d.share_method),
                ("open_type", "open"),
                ("update_cycle", d.update_cycle),
                ("spatial", d.region_code),
                ("rows", d.rows),
                ("related", ",".join(d.related)),
            )
        ],
        "items": [{"name": i.name, "title": i.title, "type": i.type, "masked": i.masked} for i in d.items],
    }


def organization(d: Dataset) -> dict[str, Any]:
    return {
        "id": d.provider_code,
        "name": d.provider_code,
        "title": d.provider_name,
        "type": "organization",
        "state": "active",
        "is_organization": True,
        "description": f"统一社会信用代码 {d.provider_credit_code}" if d.provider_credit_code else "",
    }


def resource(d: Dataset, f: dict[str, Any], position: int) -> dict[str, Any]:
    return {
        "id": f"{d.code}.{f['format']}",
        "package_id": d.code,
        "name": f"{d.title}（{FORMAT_TITLE[f['format']]}）",
        "format": FORMAT_TITLE[f["format"]],
        "mimetype": f["media_type"],
        "url": download_url(d.code, f["name"]),
        "size": f["bytes"],
        "hash": f"sha256:{f['sha256']}",
        "last_modified": d.modified.isoformat(),
        "position": position,
        "state": "active",
    }


def search(datasets: list[Dataset], q: str, organization: str | None, tag: str | None) -> list[Dataset]:
    """Datasets whose title, abstract, keywords, provider or items contain every word of ``q``."""
    words = q.lower().split()
    found = []
    for d in datasets:
        text = " ".join(
            [d.code, d.title, d.description, d.provider_name, *d.keywords, *(f"{i.name} {i.title}" for i in d.items)]
        ).lower()
        if (
            all(w in text for w in words)
            and organization in (None, d.provider_code)
            and (tag is None or tag in d.keywords)
        ):
            found.append(d)
    return found
