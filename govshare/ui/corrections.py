"""Corrections (article 16): the visitor's queue with deadlines, filing one against a delivered
record, and each step (accept, reject, fixed, confirm, dispute, resolve) as a form, through
govshare.corrections as the CLI and the API."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from govshare import corrections
from govshare.errors import GovshareError, RequestRefused
from govshare.lifecycle import service
from govshare.registry import models as m
from govshare.registry.db import session
from govshare.ui.agreements import days_left
from govshare.ui.auth import Viewer, Visitor, form_of
from govshare.ui.render import refusal_status, root, view
from govshare.ui.words import for_page

router = APIRouter()
STEPS = {
    "accept": "受理 Accept",
    "reject": "不予更正 Reject (with reasons)",
    "fixed": "已更正 Fixed at the source",
    "confirm": "确认 Confirm the fix",
    "dispute": "有异议 Dispute (to the competent department)",
    "resolve": "裁决 Resolve",
}


def _listing(
    request: Request, viewer: Visitor, problem=None, form=None, status_code=200, agreement: str = "", delivery: str = ""
):
    with session() as s:
        rows = [
            {"c": c, "days_left": days_left(c.due_date), "steps": corrections.possible(s, viewer.actor, c)}
            for c in corrections.visible(s, viewer.actor)
        ]
        mine = [
            a
            for a in service.visible(s, viewer.actor)
            if a.subscriber_code == viewer.actor.name and a.status in corrections.DELIVERED
        ]
        choices = [(a.code, s.get(m.Resource, a.resource_code).primary_key, a.items) for a in mine]
    queue = sorted((r for r in rows if r["steps"]), key=lambda r: (r["c"].due_date is None, r["c"].due_date))
    return view(
        request,
        viewer,
        "corrections_list.html",
        status_code,
        queue=queue,
        rows=rows,
        choices=choices,
        may_file=viewer.actor.kind == "agency" and viewer.actor.may_act_as("subscriber") and bool(mine),
        agreement=agreement.upper(),
        delivery=delivery,
        problem=problem,
        form=form or {},
    )


@router.get("/corrections", include_in_schema=False)
def correction_list(request: Request, viewer: Viewer, agreement: str = "", delivery: str = ""):
    """The queue and the filing form (from a delivery's page: its agreement and number filled in)."""
    return _listing(request, viewer, agreement=agreement, delivery=delivery if delivery.isdigit() else "")


@router.post("/corrections", include_in_schema=False)
async def file_correction(request: Request, viewer: Viewer):
    form = await form_of(request, viewer)
    code = form.get("agreement", "").upper()
    try:
        key = dict(part.split("=", 1) for part in form.get("key", "").split(",") if part.strip())
        key = {k.strip(): v.strip() for k, v in key.items()}
    except ValueError:
        refused = RequestRefused("the record key must read name=value, e.g. person_id=P0001", "correct the key field")
        return _listing(request, viewer, (refused.message, refused.hint), form, 422)
    delivery = form.get("delivery", "").strip()
    if delivery and not (delivery.isdigit() and 0 < int(delivery) < 2**63):
        refused = RequestRefused("the delivery is a delivery's number, e.g. 12", "correct it, or leave it empty")
        return _listing(request, viewer, (refused.message, refused.hint), form, 422)
    try:
        made = service.act(
            viewer.actor,
            "correction.file",
            f"agreement:{code}",
            lambda s: (
                corrections.file(
                    s,
                    viewer.actor,
                    code,
                    key,
                    form.get("item", ""),
                    form.get("problem", ""),
                    form.get("evidence", ""),
                    int(delivery) if delivery else None,
                ).code
            ),
        )
    except GovshareError as refused:
        return _listing(request, viewer, (refused.message, for_page(refused.hint)), form, refusal_status(refused))
    return RedirectResponse(f"{root(request)}/corrections/{made}?done=file", status_code=303)


def _detail(request: Request, viewer: Visitor, code: str, problem=None, status_code=200, notice=""):
    with session() as s:
        c = corrections.read(s, viewer.actor, code)
        return view(
            request,
            viewer,
            "corrections_detail.html",
            status_code,
            c=c,
            days_left=days_left(c.due_date),
            history=corrections.steps(s, code),
            forms=[(step, STEPS[step]) for step in corrections.possible(s, viewer.actor, c)],
            problem=problem,
            notice=notice,
        )


@router.get("/corrections/{code}", include_in_schema=False)
def correction_page(request: Request, viewer: Viewer, code: str, done: str = ""):
    notice = f"已完成 Done: {STEPS.get(done, '提交纠错 filed')}" if done else ""
    return _detail(request, viewer, code.upper(), notice=notice)


@router.post("/corrections/{code}/{step}", include_in_schema=False)
async def correction_step(request: Request, viewer: Viewer, code: str, step: str):
    form = await form_of(request, viewer)
    code = code.upper()
    if step not in STEPS:
        raise RequestRefused(f"no step '{step}'", "use a form of the correction's page")
    try:
        service.act(
            viewer.actor,
            f"correction.{step}",
            f"correction:{code}",
            lambda s: corrections.act(s, viewer.actor, code, step, form.get("reason", "")).code,
        )
    except GovshareError as refused:
        return _detail(request, viewer, code, (refused.message, for_page(refused.hint)), refusal_status(refused))
    return RedirectResponse(f"{root(request)}/corrections/{code}?done={step}", status_code=303)
