"""The demo's agreements taken through the article-13 workflow, each agency acting with its own
API token: the subscriber submits, the provider answers, the competent department files, the
platform operator activates. And one request that ends in a joint decision."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from govshare import identity
from govshare.identity import Actor
from govshare.lifecycle import service
from govshare.registry import models as m
from govshare.registry.db import session
from govshare.registry.statuses import AgreementStatus
from govshare.registry.terms import AgreementTerms

OPERATOR = Actor.operator("demo")
COMPETENT = "hb_sjj"


@dataclass(frozen=True)
class DemoAgreement:
    subscriber_code: str
    resource_code: str
    items: tuple[str, ...]
    purpose: str
    legal_basis: str
    target_conn_id: str
    target_table: str
    condition_met: str  # what the provider states when agreeing to a conditional share
    expect: str  # the delivery outcome the sample data is built to produce
    options: dict = field(default_factory=dict)  # delivery mode, masks, row filter, …


class Desk:
    """Each agency's token, issued by the operator for this demo run (older ones are revoked)."""

    def __init__(self, agencies: list[str]):
        with session() as s:
            self._tokens = {code: identity.rotate_token(s, code, OPERATOR) for code in agencies}

    def actor(self, agency: str) -> Actor:
        with session() as s:
            return identity.authenticate(s, self._tokens[agency])


def negotiate(desk: Desk, spec: DemoAgreement, start: date) -> tuple[str, list[str]]:
    """The agreement for ``spec``, active; and the steps it took to get there."""
    code = _existing(spec.subscriber_code, spec.resource_code, spec.target_table)
    if code is None:
        subscriber = desk.actor(spec.subscriber_code)
        wanted = AgreementTerms(
            subscriber_code=spec.subscriber_code,
            resource_code=spec.resource_code,
            items=list(spec.items),
            purpose=spec.purpose,
            legal_basis=spec.legal_basis,
            schedule="@daily",
            target_conn_id=spec.target_conn_id,
            target_table=spec.target_table,
            **spec.options,
            start_date=start,
        )
        code = service.act(subscriber, "submit", "demo", lambda s: service.request(s, subscriber, wanted, True)).code
    status = _status(code)
    if status == AgreementStatus.SUBMITTED:
        provider = desk.actor(_provider(spec.resource_code))
        service.act(provider, "review", code, lambda s: service.review(s, provider, code, True, spec.condition_met))
    if _status(code) == AgreementStatus.AGREED:
        competent = desk.actor(COMPETENT)
        service.act(competent, "file", code, lambda s: service.file(s, competent, code))
    if _status(code) == AgreementStatus.FILED:
        service.act(OPERATOR, "activate", code, lambda s: service.activate(s, OPERATOR, code))
    return code, _trace(code)


def joint_decision(desk: Desk) -> tuple[str, list[str]]:
    """Civil affairs asks for injury diagnoses, a not_shared resource: refused at once, taken
    to coordination, referred to a joint decision, and rejected there."""
    code = _existing("hb_mzt", "rst_medical_records", "injury_diagnosis")
    if code is None:
        mzt = desk.actor("hb_mzt")
        wanted = AgreementTerms(
            subscriber_code="hb_mzt",
            resource_code="rst_medical_records",
            items=["case_id", "citizen_id", "diagnosis"],
            purpose="因工致残人员的临时救助审核",
            legal_basis="《社会救助暂行办法》关于临时救助的规定",
            target_conn_id="sub_hb_mzt",
            target_table="injury_diagnosis",
        )
        code = service.act(mzt, "submit", "demo", lambda s: service.request(s, mzt, wanted, True)).code
        service.act(mzt, "escalate", code, lambda s: service.escalate(s, mzt, code, "临时救助审核确需工伤认定结论"))
        competent = desk.actor(COMPETENT)
        service.act(
            competent,
            "refer",
            code,
            lambda s: service.refer(s, competent, code, "涉及个人健康隐私，提请编制、保密部门共同决定"),
        )
        votes = [
            (COMPETENT, False, "可改用工伤认定结论（是否认定）而非诊断全文", ""),
            ("hb_bb", False, "临时救助职责不包含获取诊断信息", ""),
            ("hb_bmj", False, "诊断信息属个人敏感信息，不宜批量共享", ""),
        ]
        for agency, approve, reason, basis in votes:
            voter = desk.actor(agency)
            service.act(
                voter,
                "decide",
                code,
                lambda s, v=voter, a=approve, r=reason, b=basis: service.decide(s, v, code, a, r, b),
            )
    return code, _trace(code)


def _existing(subscriber: str, resource: str, table: str) -> str | None:
    with session() as s:
        return s.scalars(
            select(m.Agreement.code).where(
                m.Agreement.subscriber_code == subscriber,
                m.Agreement.resource_code == resource,
                m.Agreement.target_table == table,
            )
        ).first()


def _status(code: str) -> AgreementStatus:
    with session() as s:
        return AgreementStatus(s.get(m.Agreement, code).status)


def _provider(resource: str) -> str:
    with session() as s:
        return s.get(m.Resource, resource).provider_code


def _trace(code: str) -> list[str]:
    with session() as s:
        return [f"{t.to_status} ({t.actor.split(':', 1)[1]})" for t in service.history(s, code)]
