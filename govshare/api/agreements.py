"""The catalogue as agencies see it, their requests for data, and every step of an agreement's
workflow. What an agency may do is decided by govshare.lifecycle, as for the CLI."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from govshare.api.auth import Caller
from govshare.api.schemas import (
    REFUSALS,
    AgreementIn,
    AgreementOut,
    Code,
    Decision,
    FilingIn,
    ItemOut,
    Me,
    Reason,
    ResourceOut,
    Review,
    Step,
    Vote,
)
from govshare.identity import Actor
from govshare.lifecycle import service
from govshare.registry import models as m
from govshare.registry.db import session
from govshare.registry.statuses import AgreementStatus
from govshare.registry.terms import AgreementTerms, terms_of

router = APIRouter()


def _out(s, agreement: m.Agreement) -> AgreementOut:
    resource = s.get(m.Resource, agreement.resource_code)
    return AgreementOut(
        **terms_of(agreement).model_dump(),
        code=agreement.code,
        status=agreement.status,
        provider_code=resource.provider_code if resource else "",
        due_date=agreement.due_date,
        due_provisional=agreement.due_provisional,
        filing_number=agreement.filing_number,
        condition_statement=agreement.condition_statement,
        history=[Step.of(t) for t in service.history(s, agreement.code)],
        votes=[
            Vote(
                department=v.department_code, role=v.role, approve=v.approve, reason=v.reason, legal_basis=v.legal_basis
            )
            for v in service.votes(s, agreement.code)
        ],
    )


def _act(actor: Actor, action: str, code: str, do) -> AgreementOut:
    """One lifecycle action in one transaction (refusals audited), answered with the agreement."""
    return service.act(actor, action, f"agreement:{code}", lambda s: _out(s, do(s)))


@router.get("/me", response_model=Me, responses=REFUSALS, tags=["identity"])
def me(actor: Caller) -> Me:
    """The agency the token belongs to."""
    with session() as s:
        agency = s.get(m.Agency, actor.name)
        return Me(
            agency=agency.code, name=agency.name, kind=agency.kind, level=agency.level, region_code=agency.region_code
        )


@router.get("/resources", response_model=list[ResourceOut], responses=REFUSALS, tags=["catalogue"])
def resources(actor: Caller) -> list[ResourceOut]:
    """The filed catalogue's resources, with their items, to choose what to request."""
    with session() as s:
        return [
            ResourceOut(
                code=r.code,
                name=r.name,
                provider=r.provider_code,
                share_type=r.share_type,
                share_condition=r.share_condition,
                update_cycle=r.update_cycle,
                items=[ItemOut(name=i.name, title=i.title, type=i.type, personal=i.personal) for i in r.items],
            )
            for r in s.scalars(select(m.Resource).order_by(m.Resource.code))
        ]


@router.get("/agreements", response_model=list[AgreementOut], responses=REFUSALS, tags=["agreements"])
def list_agreements(actor: Caller, status: Annotated[AgreementStatus | None, Query()] = None) -> list[AgreementOut]:
    """The agreements the calling agency takes part in (as subscriber, provider or overseer)."""
    with session() as s:
        return [_out(s, a) for a in service.visible(s, actor, status.value if status else None)]


@router.get("/agreements/{code}", response_model=AgreementOut, responses=REFUSALS, tags=["agreements"])
def get_agreement(code: Code, actor: Caller) -> AgreementOut:
    """One agreement with its history; 404 for agreements the agency takes no part in."""
    return service.act(actor, "read", f"agreement:{code}", lambda s: _out(s, service.read(s, actor, code)))


@router.post("/agreements", response_model=AgreementOut, status_code=201, responses=REFUSALS, tags=["agreements"])
def request_data(body: AgreementIn, actor: Caller) -> AgreementOut:
    """Request data for the calling agency; submitted at once unless ``submit`` is false."""
    wanted = AgreementTerms(subscriber_code=actor.name, **body.model_dump(exclude={"submit"}))
    return service.act(
        actor,
        "submit" if body.submit else "draft",
        f"agency:{actor.name}",
        lambda s: _out(s, service.request(s, actor, wanted, and_submit=body.submit)),
    )


@router.post("/agreements/{code}/submit", response_model=AgreementOut, responses=REFUSALS, tags=["workflow"])
def submit(code: Code, actor: Caller) -> AgreementOut:
    """Send a draft to the provider."""
    return _act(actor, "submit", code, lambda s: service.submit(s, actor, code))


@router.post("/agreements/{code}/review", response_model=AgreementOut, responses=REFUSALS, tags=["workflow"])
def review(code: Code, body: Review, actor: Caller) -> AgreementOut:
    """The provider agrees (stating how the condition is met) or refuses (with reasons)."""
    return _act(actor, "review", code, lambda s: service.review(s, actor, code, body.agree, body.statement))


@router.post("/agreements/{code}/escalate", response_model=AgreementOut, responses=REFUSALS, tags=["workflow"])
def escalate(code: Code, body: Reason, actor: Caller) -> AgreementOut:
    """Take a refused request to coordination by the competent department."""
    return _act(actor, "escalate", code, lambda s: service.escalate(s, actor, code, body.reason))


@router.post("/agreements/{code}/coordinate", response_model=AgreementOut, responses=REFUSALS, tags=["workflow"])
def coordinate(code: Code, body: Reason, actor: Caller) -> AgreementOut:
    """The competent department settles a coordination: the data is to be shared."""
    return _act(actor, "coordinate", code, lambda s: service.coordinate(s, actor, code, body.reason))


@router.post("/agreements/{code}/refer", response_model=AgreementOut, responses=REFUSALS, tags=["workflow"])
def refer(code: Code, body: Reason, actor: Caller) -> AgreementOut:
    """The competent department refers a coordination to a joint decision."""
    return _act(actor, "refer", code, lambda s: service.refer(s, actor, code, body.reason))


@router.post("/agreements/{code}/decide", response_model=AgreementOut, responses=REFUSALS, tags=["workflow"])
def decide(code: Code, body: Decision, actor: Caller) -> AgreementOut:
    """A department's vote in a joint decision."""
    return _act(
        actor, "decide", code, lambda s: service.decide(s, actor, code, body.approve, body.reason, body.legal_basis)
    )


@router.post("/agreements/{code}/file", response_model=AgreementOut, responses=REFUSALS, tags=["workflow"])
def file(code: Code, body: FilingIn, actor: Caller) -> AgreementOut:
    """The competent department files an agreed or approved agreement."""
    return _act(actor, "file", code, lambda s: service.file(s, actor, code, body.number))


@router.post("/agreements/{code}/activate", response_model=AgreementOut, responses=REFUSALS, tags=["workflow"])
def activate(code: Code, actor: Caller) -> AgreementOut:
    """The platform (resource centre) authorises access: deliveries start."""
    return _act(actor, "activate", code, lambda s: service.activate(s, actor, code))


@router.post("/agreements/{code}/suspend", response_model=AgreementOut, responses=REFUSALS, tags=["workflow"])
def suspend(code: Code, body: Reason, actor: Caller) -> AgreementOut:
    """Pause deliveries."""
    return _act(actor, "suspend", code, lambda s: service.suspend(s, actor, code, body.reason))


@router.post("/agreements/{code}/resume", response_model=AgreementOut, responses=REFUSALS, tags=["workflow"])
def resume(code: Code, body: Reason, actor: Caller) -> AgreementOut:
    """Resume a suspended agreement that still fits the catalogue."""
    return _act(actor, "resume", code, lambda s: service.resume(s, actor, code, body.reason))


@router.post("/agreements/{code}/revoke", response_model=AgreementOut, responses=REFUSALS, tags=["workflow"])
def revoke(code: Code, body: Reason, actor: Caller) -> AgreementOut:
    """End an agreement for good."""
    return _act(actor, "revoke", code, lambda s: service.revoke(s, actor, code, body.reason))
