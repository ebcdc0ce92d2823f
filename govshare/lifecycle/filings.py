"""Filing a catalogue change (article 11): record it, audit it, and suspend every active
agreement the change breaks, telling both parties why."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from govshare import audit
from govshare.catalog import diff
from govshare.catalog.model import Catalog
from govshare.identity import Actor
from govshare.lifecycle import service
from govshare.registry import acceptance, agreements
from govshare.registry.catalog_store import Filing, apply_catalog
from govshare.registry.statuses import AgreementStatus


@dataclass(frozen=True)
class FilingOutcome:
    filing: Filing
    suspended: dict[str, list[str]]  # agreement code -> why


def file_catalog(session: Session, catalog: Catalog, source: str, by: Actor) -> FilingOutcome:
    filing = apply_catalog(session, catalog, source=source, applied_by=str(by))
    if not filing.changed:
        return FilingOutcome(filing, {})
    audit.append(
        session,
        str(by),
        "catalog.file",
        f"catalog:v{filing.version}",
        {"version": filing.version, "checksum": filing.checksum, "changes": filing.changes},
    )
    suspended: dict[str, list[str]] = {}
    for agreement in agreements.listing(session, status=AgreementStatus.ACTIVE):
        reasons = diff.breaking(filing.previous, filing.content, agreement.resource_code, list(agreement.items))
        if lost := acceptance.target_problem(session, agreement):  # the subscriber withdrew the database
            reasons.append(lost)
        if reasons:
            service.suspend(
                session,
                Actor.system(),
                agreement.code,
                reason=f"catalogue version {filing.version} breaks it: " + "; ".join(reasons),
            )
            suspended[agreement.code] = reasons
    return FilingOutcome(filing, suspended)
