"""Corrections of delivered data: filed by the subscriber, routed to the authoritative source,
settled by the competent department (govshare.corrections)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from sqlalchemy import inspect

from govshare import corrections
from govshare.api.auth import Caller
from govshare.api.schemas import REFUSALS, Code, CorrectionIn, CorrectionOut, CorrectionStepIn, Step
from govshare.lifecycle import service
from govshare.registry import models as m
from govshare.registry.db import session

router = APIRouter()


def _correction_out(s, c: m.Correction) -> CorrectionOut:
    # Read from the record's columns, so a field is named once: in the model (or as its alias).
    recorded = {column.key: getattr(c, column.key) for column in inspect(c).mapper.column_attrs}
    return CorrectionOut.model_validate({**recorded, "history": [Step.of(t) for t in corrections.steps(s, c.code)]})


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
            s,
            corrections.file(s, actor, body.agreement, body.key, body.item, body.problem, body.evidence, body.delivery),
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
