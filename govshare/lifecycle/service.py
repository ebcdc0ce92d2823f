"""Agreement actions: each checks the actor against the agreement and the state machine, then
moves the agreement, and records the move (transition row, audit entry, deadline,
notifications) in the same transaction.

Callers (CLI, REST API, platform DAGs) go through ``act``, which runs one action in one
transaction and, if the action is refused, rolls it back and records the refusal in the
audit log in a transaction of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

from sqlalchemy import Integer, cast, func, select, text
from sqlalchemy.orm import Session

from govshare import audit, clock
from govshare.errors import GovshareError, IllegalTransition, NotAllowed, NotFound, Remedy, RequestRefused
from govshare.identity import Actor, Role, may_read, roles
from govshare.lifecycle import deadlines
from govshare.lifecycle.machine import JOINT_DEPARTMENTS, find, possible_for
from govshare.notify import outbox
from govshare.registry import acceptance, agreements
from govshare.registry import models as m
from govshare.registry.db import session as new_session
from govshare.registry.statuses import FINAL_AGREEMENT_STATUSES, AgreementStatus
from govshare.registry.terms import AgreementTerms

T = TypeVar("T")

STATUS_NAMES = {
    AgreementStatus.DRAFT: "草稿 draft",
    AgreementStatus.SUBMITTED: "待提供方审核 awaiting the provider's review",
    AgreementStatus.AGREED: "已同意 agreed",
    AgreementStatus.REFUSED: "已拒绝 refused",
    AgreementStatus.COORDINATION: "协调中 in coordination",
    AgreementStatus.JOINT_DECISION: "待共同决定 awaiting a joint decision",
    AgreementStatus.APPROVED: "共同决定批准 approved by joint decision",
    AgreementStatus.REJECTED: "共同决定不予共享 rejected by joint decision",
    AgreementStatus.FILED: "已备案 filed",
    AgreementStatus.ACTIVE: "已生效 active",
    AgreementStatus.SUSPENDED: "已暂停 suspended",
    AgreementStatus.REVOKED: "已撤销 revoked",
    AgreementStatus.EXPIRED: "已到期 expired",
}


def act(actor: Actor, action: str, subject: str, do: Callable[[Session], T]) -> T:
    """Run ``do`` in one transaction; if it is refused, audit the refusal and re-raise."""
    try:
        with new_session() as s:
            return do(s)
    except GovshareError as refused:
        with new_session() as s:
            audit.append(s, str(actor), "denied", subject, {"action": action, "reason": refused.message})
        raise


# --- reading ------------------------------------------------------------------------------


def read(session: Session, actor: Actor, code: str) -> m.Agreement:
    """An agreement the actor takes part in; others are reported as not found, not as forbidden,
    so an agency cannot even learn which agreements exist between other agencies."""
    code = agreements.canonical(code)
    found = session.get(m.Agreement, code)
    if found is None or not may_read(session, actor, found):
        raise not_visible(code, actor)
    return found


def not_visible(code: str, actor: Actor) -> NotFound:
    """The one answer for an agreement that is missing and for one the actor takes no part in."""
    return NotFound(f"no agreement '{code}' visible to {actor}", remedy=Remedy(listing="agreements"))


def visible(session: Session, actor: Actor, status: str | None = None) -> list[m.Agreement]:
    return [a for a in agreements.listing(session, status) if may_read(session, actor, a)]


def history(session: Session, code: str) -> list[m.Transition]:
    query = select(m.Transition).where(m.Transition.agreement_code == code).order_by(m.Transition.id)
    return list(session.scalars(query))


def votes(session: Session, code: str) -> list[m.JointVote]:
    query = select(m.JointVote).where(m.JointVote.agreement_code == code).order_by(m.JointVote.id)
    return list(session.scalars(query))


# --- the actions --------------------------------------------------------------------------


def request(session: Session, actor: Actor, wanted: AgreementTerms, and_submit: bool = False) -> m.Agreement:
    """A subscriber drafts a request (and, with ``and_submit``, sends it at once)."""
    if actor.kind != "agency" or wanted.subscriber_code != actor.name:
        raise NotAllowed(
            f"{actor} may not request data for '{wanted.subscriber_code}'",
            "an agency requests data for itself, authenticated with its own token",
        )
    if not actor.may_act_as(Role.SUBSCRIBER):
        raise NotAllowed(f"{actor} may not request data", "a member with the requester duty of the agency may")
    agreement = agreements.create(session, wanted, created_by=str(actor))
    audit.append(
        session,
        str(actor),
        "agreement.draft",
        f"agreement:{agreement.code}",
        {"resource": agreement.resource_code, "items": agreement.items, "purpose": agreement.purpose},
    )
    return submit(session, actor, agreement.code) if and_submit else agreement


def submit(session: Session, actor: Actor, code: str) -> m.Agreement:
    agreement = _move(session, actor, code, "submit", reason="request submitted")
    resource = session.get(m.Resource, agreement.resource_code)
    if resource.share_type == "unconditional":
        _move(
            session, Actor.system(), code, "agree", reason="unconditional resource (article 12): agreed without review"
        )
    elif resource.share_type == "not_shared":
        _move(
            session,
            Actor.system(),
            code,
            "refuse",
            reason=f"resource {resource.code} is not_shared ({resource.share_condition}); only a joint decision "
            "of the competent, staffing and secrecy departments can release it — escalate to coordination",
        )
    return agreement


def review(session: Session, actor: Actor, code: str, agree: bool, statement: str) -> m.Agreement:
    """The provider answers: agree (for a conditional resource, stating how the condition is
    met) or refuse (giving reasons)."""
    if not statement.strip():
        what = "how the share condition is met" if agree else "the reasons for refusing"
        raise RequestRefused(f"a review must state {what}", remedy=Remedy(give=("statement",)))
    if not agree:
        return _move(session, actor, code, "refuse", reason=statement)
    agreement = _move(session, actor, code, "agree", reason=statement)
    agreement.condition_statement = statement
    return agreement


def escalate(session: Session, actor: Actor, code: str, reason: str) -> m.Agreement:
    return _move(session, actor, code, "escalate", reason=_required(reason, "why coordination is needed"))


def coordinate(session: Session, actor: Actor, code: str, reason: str) -> m.Agreement:
    """The competent department settles a coordination: the data is to be shared."""
    return _move(session, actor, code, "coordinate", reason=_required(reason, "how the coordination was settled"))


def refer(session: Session, actor: Actor, code: str, reason: str) -> m.Agreement:
    return _move(session, actor, code, "refer", reason=_required(reason, "why a joint decision is needed"))


def decide(session: Session, actor: Actor, code: str, approve: bool, reason: str, legal_basis: str) -> m.Agreement:
    """One department's vote in a joint decision. When the competent, staffing and secrecy
    departments have all voted, the request is approved if all approve, else rejected."""
    agreement = _check(session, actor, code, "decide")
    code = agreement.code
    _required(reason, "the reasons for the vote")
    if approve and not legal_basis.strip():
        raise RequestRefused(
            "an approval must cite a legal basis",
            remedy=Remedy(give=("legal_basis",), note="name the law or regulation that allows sharing"),
        )
    role = next(r for r in JOINT_DEPARTMENTS if r in roles(session, actor, agreement))
    cast = votes(session, code)
    if any(v.role == role.value for v in cast):
        raise RequestRefused(f"the {role.value} has already voted on {code}", "a vote cannot be changed")
    vote = m.JointVote(
        agreement_code=code,
        department_code=actor.name,
        role=role.value,
        approve=approve,
        reason=reason,
        legal_basis=legal_basis,
    )
    session.add(vote)
    session.flush()
    cast.append(vote)
    audit.append(
        session,
        str(actor),
        "agreement.vote",
        f"agreement:{code}",
        {"role": role.value, "approve": approve, "reason": reason, "legal_basis": legal_basis},
    )
    if len(cast) < len(JOINT_DEPARTMENTS):  # one vote per department, checked above
        return agreement
    outcome = AgreementStatus.APPROVED if all(v.approve for v in cast) else AgreementStatus.REJECTED
    summary = "; ".join(f"{v.role} {'approves' if v.approve else 'rejects'}: {v.reason}" for v in cast)
    return _move(session, Actor.system(), code, "decide", reason=f"joint decision: {summary}", target=outcome)


def file(session: Session, actor: Actor, code: str, number: str | None = None) -> m.Agreement:
    """The competent department files (备案) an agreed or approved agreement, with a number."""
    agreement = _check(session, actor, code, "file")
    code = agreement.code
    if number is None:
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('govshare.filing_number'))"))
        prefix = f"冀共享备〔{clock.today().year}〕"
        # After the highest number of the year, so a number once typed by hand is never issued again.
        highest = session.scalar(
            select(func.max(cast(func.substring(m.Agreement.filing_number, r"〕(\d+)号$"), Integer))).where(
                m.Agreement.filing_number.like(f"{prefix}%")
            )
        )
        number = f"{prefix}{(highest or 0) + 1:04d}号"
    if session.scalars(select(m.Agreement.code).where(m.Agreement.filing_number == number)).first():
        raise RequestRefused(
            f"filing number {number} is already used",
            remedy=Remedy(leave_out=("number",), note="the next free number is then given"),
        )
    agreement.filing_number = number
    return _move(session, actor, code, "file", reason=f"filed as {number}")


def activate(session: Session, actor: Actor, code: str) -> m.Agreement:
    """The platform authorises the subscriber's access: the agreement's DAG appears."""
    agreement = _check(session, actor, code, "activate")
    acceptance.check_fits_catalog(session, agreement)
    agreement.activated_at = clock.now()
    return _move(session, actor, code, "activate", reason="identity and authorisation confirmed; deliveries start")


def suspend(session: Session, actor: Actor, code: str, reason: str) -> m.Agreement:
    return _move(session, actor, code, "suspend", reason=_required(reason, "why deliveries stop"))


def resume(session: Session, actor: Actor, code: str, reason: str = "") -> m.Agreement:
    agreement = _check(session, actor, code, "resume")
    acceptance.check_fits_catalog(session, agreement)
    return _move(session, actor, code, "resume", reason=reason or "deliveries resume")


def revoke(session: Session, actor: Actor, code: str, reason: str) -> m.Agreement:
    return _move(session, actor, code, "revoke", reason=_required(reason, "why the agreement ends"))


def adopt_target(session: Session, actor: Actor, code: str, reason: str) -> m.Agreement:
    """An operator lets the agreement's first delivery replace (snapshot) or merge into
    (incremental) a table that exists in the subscriber's database but that govshare did not
    create — on the subscriber's word, recorded with the reason. Deliveries refuse such a
    table otherwise."""
    if actor.kind != "operator":
        raise NotAllowed(
            f"{actor} may not adopt a target table", "only a platform operator may, on the subscriber's request"
        )
    agreement = _get(session, code)
    code = agreement.code
    if AgreementStatus(agreement.status) in FINAL_AGREEMENT_STATUSES:
        raise IllegalTransition(f"agreement {code} is {agreement.status}: it delivers nothing", "nothing to adopt")
    why = _required(reason, "why the subscriber's existing table may be replaced")
    agreement.target_adopted_by = str(actor)
    target = f"{agreement.target_conn_id}:{agreement.target_schema}.{agreement.target_table}"
    audit.append(session, str(actor), "agreement.adopt_target", f"agreement:{code}", {"target": target, "reason": why})
    return agreement


def expire(session: Session, code: str, on: date) -> m.Agreement:
    return _move(session, Actor.system(), code, "expire", reason=f"end date passed ({on.isoformat()})")


# --- the one place where an agreement changes state ---------------------------------------


def _get(session: Session, code: str) -> m.Agreement:
    return agreements.get(session, agreements.canonical(code), for_update=True)


def _check(session: Session, actor: Actor, code: str, action: str) -> m.Agreement:
    """The agreement, if ``actor`` may take ``action`` on it now; else why not."""
    agreement = _get(session, code)
    code = agreement.code
    held = roles(session, actor, agreement)
    if not held:
        raise not_visible(code, actor)  # the answer for a missing agreement: no hint that it exists
    status = AgreementStatus(agreement.status)
    move = find(action, status)
    if move is None:
        raise IllegalTransition(
            f"agreement {code} is {status.value}: '{action}' is not possible from there",
            f"possible now: {possible_for(status, actor.acting(held))}",
        )
    if held & move.roles and not actor.acting(held) & move.roles:
        raise NotAllowed(
            f"{actor} may not {action} agreement {code}: the duties of their account are "
            f"{', '.join(sorted(actor.duties or ())) or 'read-only'}",
            "ask a colleague whose account has that duty, or a platform operator to grant it to yours",
        )
    if not held & move.roles:
        who = " or ".join(sorted(r.value for r in move.roles if r != Role.SYSTEM))
        raise NotAllowed(
            f"{actor} ({', '.join(sorted(r.value for r in held))}) may not {action} agreement {code}",
            f"only the {who} may" if who else "only the platform does this, automatically",
        )
    return agreement


# Who cannot release a not_shared resource, in the words of the refusal.
_NOT_SHARED_REFUSAL = {"agree": "its provider cannot agree to share it", "coordinate": "coordination cannot release it"}


def _refuse_not_shared(session: Session, agreement: m.Agreement, action: str) -> None:
    """Only a joint decision releases a not_shared resource (article 13). Checked after the
    actor's roles, so an agency with no part in the agreement learns nothing about it."""
    resource = session.get(m.Resource, agreement.resource_code)
    if resource is not None and resource.share_type == "not_shared":
        raise RequestRefused(
            f"resource {resource.code} is not_shared: {_NOT_SHARED_REFUSAL.get(action, 'only a joint decision can release it')}",
            "the competent department refers it to a joint decision of the competent, staffing and secrecy departments",
        )


def _move(
    session: Session, actor: Actor, code: str, action: str, reason: str, target: AgreementStatus | None = None
) -> m.Agreement:
    agreement = _check(session, actor, code, action)
    code = agreement.code  # as recorded, however it was typed
    before = AgreementStatus(agreement.status)
    after = target or find(action, before).target
    if after == AgreementStatus.AGREED:
        _refuse_not_shared(session, agreement, action)
    agreement.status = after.value
    today = clock.today()
    due = {
        AgreementStatus.SUBMITTED: deadlines.due(today, deadlines.review_days()),
        AgreementStatus.COORDINATION: deadlines.due(today, deadlines.coordination_days()),
    }.get(after)
    agreement.due_date = due.day if due else None
    agreement.due_provisional = bool(due and due.provisional)
    agreement.reminded_on = None
    session.add(
        m.Transition(
            agreement_code=code,
            action=action,
            from_status=before.value,
            to_status=after.value,
            actor=str(actor),
            reason=reason,
        )
    )
    session.flush()
    audit.append(
        session,
        str(actor),
        f"agreement.{action}",
        f"agreement:{code}",
        {"from": before.value, "to": after.value, "reason": reason},
    )
    _notify(session, agreement, actor, after, reason)
    return agreement


def _notify(session: Session, agreement: m.Agreement, actor: Actor, status: AgreementStatus, reason: str) -> None:
    resource = session.get(m.Resource, agreement.resource_code)
    provider = resource.provider_code if resource else None
    parties = [agreement.subscriber_code] + ([provider] if provider else [])
    subscriber = session.get(m.Agency, agreement.subscriber_code)
    region = subscriber.region_code if subscriber else None
    extra = []  # who oversees this step, besides the parties
    if region and status in (AgreementStatus.COORDINATION, AgreementStatus.JOINT_DECISION):
        extra = outbox.competent_departments(session, region)
        if status == AgreementStatus.JOINT_DECISION:
            extra += outbox.governing(session, region, "staffing_department", "secrecy_department")
    name = resource.name if resource else agreement.resource_code
    paragraphs = [
        f"共享协议 {agreement.code}（{name}，{provider} → {agreement.subscriber_code}）现为：{STATUS_NAMES[status]}。",
        f"Agreement {agreement.code} ({agreement.resource_code}, {provider} → {agreement.subscriber_code}) "
        f"is now {status.value}, by {actor}: {reason}",
    ]
    if agreement.due_date:
        due = deadlines.describe(agreement.due_date, agreement.due_provisional)
        paragraphs.append(f"办理期限 / answer due by: {due}（工作日 working days）")
    outbox.enqueue(
        session,
        f"agreement.{status.value}",
        parties + extra,
        f"[govshare] {agreement.code} {STATUS_NAMES[status]}",
        paragraphs,
        agreement.code,
    )


def _required(value: str, what: str) -> str:
    if not value or not value.strip():
        raise RequestRefused(f"this action must state {what}", remedy=Remedy(give=("reason",)))
    return value.strip()
