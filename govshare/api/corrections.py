"""Corrections of delivered data: filed by the subscriber, routed to the authoritative source,
settled by the competent department (govshare.corrections)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from govshare import corrections
from govshare.api.auth import Caller
from govshare.api.schemas import REFUSALS, Code, CorrectionIn, CorrectionOut, CorrectionStepIn, Step
from govshare.lifecycle import service
from govshare.registry.db import session

router = APIRouter()


def _correction_out(s, c) -> CorrectionOut:
    return CorrectionOut(
        code=c.code,
        agreement=c.agreement_code,
        resource=c.resource_code,
        key=c.record_key,
        item=c.item,
        authority=c.authority_code,
        provider=c.provider_code,
        subscriber=c.subscriber_code,
        problem=c.problem,
        evidence=c.evidence,
        status=c.status,
        due_date=c.due_date,
        due_provisional=c.due_provisional,
        history=[Step.of(t) for t in corrections.steps(s, c.code)],
    )


@router.get("/corrections", response_model=list[CorrectionOut], responses=REFUSALS, tags=["corrections"])
def list_corrections(actor: Caller) -> list[CorrectionOut]:
    """Corrections the agency takes part in: filed by it, routed to it, or about its data."""
    with session() as s:
        return [_correction_out(s, c) for c in corrections.visible(s, actor)]


@router.get("/corrections/{code}", response_model=CorrectionOut, responses=REFUSALS, tags=["corrections"])
def get_correction(code: Code, actor: Caller) -> CorrectionOut:
    return service.act(
        actor, "correction.read", f"correction:{code}", lambda s: _correction_out(s, corrections.read(s, actor, code))
    )


@router.post("/corrections", response_model=CorrectionOut, status_code=201, responses=REFUSALS, tags=["corrections"])
def file_correction(body: CorrectionIn, actor: Caller) -> CorrectionOut:
    """File a correction; it is routed to the authoritative source of the item's data element."""
    return service.act(
        actor,
        "correction.file",
        f"agreement:{body.agreement}",
        lambda s: _correction_out(
            s, corrections.file(s, actor, body.agreement, body.key, body.item, body.problem, body.evidence)
        ),
    )


@router.post("/corrections/{code}/{action}", response_model=CorrectionOut, responses=REFUSALS, tags=["corrections"])
def correction_step(
    code: Code,
    action: Literal["accept", "reject", "fixed", "confirm", "dispute", "resolve"],
    body: CorrectionStepIn,
    actor: Caller,
) -> CorrectionOut:
    """accept / reject / fixed (the authoritative source), confirm / dispute (the subscriber),
    resolve (the competent department)."""
    return service.act(
        actor,
        f"correction.{action}",
        f"correction:{code}",
        lambda s: _correction_out(s, corrections.act(s, actor, code, action, body.reason)),
    )
