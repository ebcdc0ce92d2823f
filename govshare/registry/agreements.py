"""Sharing agreements in the registry: recording a new one, finding them. What a request must
satisfy is govshare.registry.acceptance's business; who may move an agreement through its
lifecycle is govshare.lifecycle's; the delivery an agreement authorises, govshare.delivery's.
A refused request leaves the registry as it was.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from govshare import clock
from govshare.errors import NotFound, Remedy
from govshare.registry import acceptance
from govshare.registry import models as m
from govshare.registry.catalog_store import current_version
from govshare.registry.statuses import AgreementStatus
from govshare.registry.terms import AgreementTerms

# The overlap a watermark's type gets when the terms give none (integers: 0).
DEFAULT_OVERLAP = {"timestamp": 600, "timestamptz": 600, "date": 1}


def create(session: Session, terms: AgreementTerms, created_by: str) -> m.Agreement:
    """Record a new agreement in status ``draft``, or refuse with the reason."""
    resource = acceptance.check(session, terms)
    number = session.execute(select(m.agreement_number.next_value())).scalar_one()
    watermark = resource.item(terms.watermark) if terms.watermark else None
    # The terms as recorded: in catalogue order, trimmed, with the defaults they leave open.
    recorded = terms.model_dump() | {
        "resource_code": resource.code,
        "items": [i.name for i in resource.items if i.name in terms.items],
        "purpose": terms.purpose.strip(),
        "legal_basis": terms.legal_basis.strip(),
        "start_date": terms.start_date or clock.today(),
        "overlap": terms.overlap
        if terms.overlap is not None
        else DEFAULT_OVERLAP.get(watermark.type if watermark else "", 0),
        "row_filter": [c.as_json() for c in terms.conditions()],
    }
    agreement = m.Agreement(
        **recorded,
        code=f"AGR-{number:04d}",
        status=AgreementStatus.DRAFT,
        catalog_version=current_version(session) or 0,
        created_by=created_by,
    )
    session.add(agreement)
    session.flush()
    return agreement


def get(session: Session, code: str, for_update: bool = False) -> m.Agreement:
    query = select(m.Agreement).where(m.Agreement.code == code)
    agreement = session.scalars(query.with_for_update() if for_update else query).first()
    if agreement is None:
        raise NotFound(f"no agreement '{code}'", remedy=Remedy(listing="agreements"))
    return agreement


# Agreement and correction codes: a prefix of letters and a number (AGR-0001, COR-0012).
_CODE = re.compile(r"[A-Za-z]{3}-[0-9]+")


def canonical(code: str) -> str:
    """An agreement or correction code as recorded: typed ``agr-0001`` it is AGR-0001. Other
    text is left as given (it names nothing, and the refusal quotes it as typed)."""
    stripped = code.strip()
    return stripped.upper() if _CODE.fullmatch(stripped) else code


def listing(session: Session, status: AgreementStatus | None = None) -> list[m.Agreement]:
    query = select(m.Agreement).order_by(m.Agreement.code)
    if status:
        query = query.where(m.Agreement.status == status)
    return list(session.scalars(query))
