"""Agreements: every state, the queue of what awaits the visitor, each agreement's page with the
lifecycle actions the visitor may take as forms, and a subscriber's request form. Every action
goes through govshare.lifecycle.service, as the CLI's and the API's do."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select

from govshare import clock
from govshare.errors import GovshareError, NotFound, RequestRefused
from govshare.identity import Actor, Role, roles
from govshare.lifecycle import deadlines, service
from govshare.lifecycle.machine import Move, moves_from
from govshare.registry import deliveries
from govshare.registry import models as m
from govshare.registry.db import session
from govshare.registry.statuses import AgreementStatus
from govshare.registry.terms import AgreementTerms
from govshare.ui.auth import Viewer, Visitor, form_of
from govshare.ui.render import refusal_status, root, view
from govshare.ui.words import agreement_status, delivery_row, for_page

router = APIRouter()

# Each form of the agreement page: the lifecycle actions it takes, its title, its fields.
FORMS = {
    "submit": ("提交申请 Submit the request", ()),
    "review": (
        "审核 Review: agree (stating how the condition is met) or refuse (with reasons)",
        ("decision", "statement"),
    ),
    "escalate": ("提请协调 Escalate to coordination", ("reason",)),
    "coordinate": ("协调同意 Coordination settles it: agreed", ("reason",)),
    "refer": ("提交共同决定 Refer to a joint decision", ("reason",)),
    "decide": ("共同决定表决 Vote in the joint decision", ("vote", "reason", "legal_basis")),
    "file": ("备案 File (a number is issued unless given)", ("number",)),
    "activate": ("授权生效 Activate: deliveries start", ()),
    "suspend": ("暂停 Suspend deliveries", ("reason",)),
    "resume": ("恢复 Resume deliveries", ("reason",)),
    "revoke": ("撤销 Revoke for good", ("reason",)),
}
_FORM_OF_MOVE = {"agree": "review", "refuse": "review"}


def actions(s, actor: Actor, agreement: m.Agreement) -> list[str]:
    """The forms ``actor`` may use on ``agreement`` now (the state machine and their duties)."""
    return _forms(s, actor, agreement, moves_from(AgreementStatus(agreement.status)))


def awaited(s, actor: Actor, agreement: m.Agreement) -> list[str]:
    """The forms of the steps ``agreement`` awaits from ``actor`` (its "awaiting my action"
    queue): a standing power over a running agreement, such as revoking it, awaits nobody."""
    moves = [move for move in moves_from(AgreementStatus(agreement.status)) if not move.standing]
    return _forms(s, actor, agreement, moves)


def _forms(s, actor: Actor, agreement: m.Agreement, moves: list[Move]) -> list[str]:
    held = actor.acting(roles(s, actor, agreement)) - {Role.SYSTEM}
    found = []
    for move in moves:
        form = _FORM_OF_MOVE.get(move.action, move.action)
        if held & move.roles and form in FORMS and form not in found:
            found.append(form)
    if "decide" in found and any(v.department_code == actor.name for v in service.votes(s, agreement.code)):
        found.remove("decide")  # one vote per department
    return found


def days_left(due: date | None) -> int | None:
    """Working days until ``due``; once its day has passed, minus the working days overdue, and
    at least -1: a deadline passed on a Friday is overdue on the Saturday, though no working day
    has gone by yet (0 would read "0 working days left")."""
    if due is None:
        return None
    today = clock.today()
    if due >= today:
        return deadlines.working_days_between(today, due)
    return -max(1, deadlines.working_days_between(due, today))


def _row(s, actor: Actor, agreement: m.Agreement) -> dict:
    resource = s.get(m.Resource, agreement.resource_code)
    return {
        "code": agreement.code,
        "status": agreement.status,
        "status_name": agreement_status(agreement.status),
        "subscriber": agreement.subscriber_code,
        "resource": agreement.resource_code,
        "resource_name": resource.name if resource else agreement.resource_code,
        "provider": resource.provider_code if resource else "",
        "filing_number": agreement.filing_number,
        "due": agreement.due_date,
        "provisional": agreement.due_provisional,
        "days_left": days_left(agreement.due_date),
        "awaited": awaited(s, actor, agreement),
    }


@router.get("/agreements", include_in_schema=False)
def agreement_list(request: Request, viewer: Viewer, status: str = "", q: str = ""):
    if status and status not in AgreementStatus.__members__.values():
        raise RequestRefused(f"unknown status '{status}'", f"choose one of {', '.join(AgreementStatus)}")
    with session() as s:
        rows = [_row(s, viewer.actor, a) for a in service.visible(s, viewer.actor)]
    queue = sorted((r for r in rows if r["awaited"]), key=lambda r: (r["due"] or date.max, r["code"]))
    wanted = q.strip().lower()
    shown = [
        r
        for r in rows
        if (not status or r["status"] == status)
        and (not wanted or wanted in " ".join(str(v) for v in r.values()).lower())
    ]
    counts = {s: sum(r["status"] == s for r in rows) for s in AgreementStatus}
    return view(
        request,
        viewer,
        "agreements_list.html",
        queue=queue,
        rows=shown,
        status=status,
        q=q,
        counts=counts,
        statuses=[(s.value, agreement_status(s)) for s in AgreementStatus],
        may_request=viewer.actor.kind == "agency" and viewer.actor.may_act_as(Role.SUBSCRIBER),
    )


def _detail(s, actor: Actor, code: str) -> dict:
    agreement = service.read(s, actor, code)
    resource = s.get(m.Resource, agreement.resource_code)
    items = {i.name: i for i in resource.items} if resource else {}
    return {
        "a": agreement,
        "row": _row(s, actor, agreement),
        "resource": resource,
        "items": [
            {
                "name": name,
                "title": items[name].title if name in items else "",
                "type": items[name].type if name in items else "",
                "personal": items[name].personal if name in items else "",
                "mask": agreement.masking.get(name, ""),
            }
            for name in agreement.items
        ],
        "history": service.history(s, code),
        "votes": service.votes(s, code),
        "deliveries": [delivery_row(d) for d in deliveries.recent(s, code, limit=20)],
        "forms": [(key, *FORMS[key]) for key in actions(s, actor, agreement)],
        "has_dag": agreement.status in (AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED),
    }


@router.get("/agreements/new", include_in_schema=False)
def request_form(request: Request, viewer: Viewer):
    return _request_page(request, viewer, {})


def _request_page(request: Request, viewer: Visitor, form: dict, problem: tuple[str, str] | None = None, status=200):
    with session() as s:
        resources = [
            (r.code, r.name, r.share_type, [i.name for i in r.items])
            for r in s.scalars(select(m.Resource).order_by(m.Resource.code))
        ]
        agency = s.get(m.Agency, viewer.actor.name) if viewer.actor.kind == "agency" else None
        databases = [d.get("conn_id", "") for d in (agency.databases if agency else [])]
    return view(
        request,
        viewer,
        "agreements_new.html",
        status,
        resources=resources,
        databases=databases,
        form=form,
        problem=problem,
    )


@router.post("/agreements", include_in_schema=False)
async def request_data(request: Request, viewer: Viewer):
    form = await form_of(request, viewer)
    try:
        wanted = AgreementTerms(
            subscriber_code=viewer.actor.name,
            resource_code=form.get("resource", ""),
            items=[i.strip() for i in form.get("items", "").replace("，", ",").split(",") if i.strip()],
            purpose=form.get("purpose", ""),
            legal_basis=form.get("legal_basis", ""),
            schedule=form.get("schedule") or "@daily",
            target_conn_id=form.get("target_conn_id", ""),
            target_table=form.get("target_table", ""),
        )
    except ValidationError as invalid:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in invalid.errors())
        return _request_page(
            request, viewer, form, (f"the request is incomplete: {problems}", "fill in each field"), 422
        )
    try:
        made = service.act(
            viewer.actor,
            "submit",
            f"agency:{viewer.actor.name}",
            lambda s: service.request(s, viewer.actor, wanted, and_submit=True).code,
        )
    except GovshareError as refused:
        return _request_page(request, viewer, form, (refused.message, for_page(refused.hint)), refusal_status(refused))
    return RedirectResponse(f"{root(request)}/agreements/{made}?done=submit", status_code=303)


@router.get("/agreements/{code}", include_in_schema=False)
def agreement_page(request: Request, viewer: Viewer, code: str, done: str = ""):
    with session() as s:
        shown = _detail(s, viewer.actor, code.upper())
    notice = f"已完成 Done: {FORMS[done][0]}" if done in FORMS else ""
    return view(request, viewer, "agreements_detail.html", notice=notice, problem=None, **shown)


def _step(actor: Actor, code: str, action: str, form: dict) -> Callable:
    reason = form.get("reason", "")
    steps = {
        "submit": lambda s: service.submit(s, actor, code),
        "review": lambda s: service.review(s, actor, code, form.get("decision") == "agree", form.get("statement", "")),
        "escalate": lambda s: service.escalate(s, actor, code, reason),
        "coordinate": lambda s: service.coordinate(s, actor, code, reason),
        "refer": lambda s: service.refer(s, actor, code, reason),
        "decide": lambda s: service.decide(
            s, actor, code, form.get("vote") == "approve", reason, form.get("legal_basis", "")
        ),
        "file": lambda s: service.file(s, actor, code, form.get("number", "").strip() or None),
        "activate": lambda s: service.activate(s, actor, code),
        "suspend": lambda s: service.suspend(s, actor, code, reason),
        "resume": lambda s: service.resume(s, actor, code, reason),
        "revoke": lambda s: service.revoke(s, actor, code, reason),
    }
    if action not in steps:
        raise NotFound(f"no action '{action}'", "use a form of the agreement's page")
    return steps[action]


@router.post("/agreements/{code}/{action}", include_in_schema=False)
async def take_action(request: Request, viewer: Viewer, code: str, action: str):
    form = await form_of(request, viewer)
    code = code.upper()
    step = _step(viewer.actor, code, action, form)
    try:
        service.act(viewer.actor, action, f"agreement:{code}", lambda s: step(s).code)
    except GovshareError as refused:
        with session() as s:
            shown = _detail(s, viewer.actor, code)  # not found stays not found
        problem = (refused.message, for_page(refused.hint))
        status = refusal_status(refused)
        return view(request, viewer, "agreements_detail.html", status, notice="", problem=problem, **shown)
    return RedirectResponse(f"{root(request)}/agreements/{code}?done={action}", status_code=303)
