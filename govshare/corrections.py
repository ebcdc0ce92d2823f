"""Corrections (纠错, article 16): a subscriber doubts a delivered value, and the agency that is
the authoritative source of that item's data element (一数一源) — which may not be the
agreement's provider, who only holds a copy — answers and corrects it.

    filed ──accept──▶ accepted ──fixed──▶ fixed ──confirm──▶ confirmed
      └───reject───▶ rejected ─────────────────┬─confirm──▶ confirmed
                                                └─dispute──▶ disputed ──resolve──▶ resolved

The authority answers (and then fixes) within ``GOVSHARE_CORRECTION_WORKING_DAYS`` working days
(default 5); a dispute goes to the competent department, which decides within the coordination
deadline. Until a correction is confirmed or resolved, its record is flagged in the
subscriber's database: every publish writes the open corrections of the agreement into a
side table ``<target table>__corrections`` next to the delivered table (key, correction,
item, status), so the subscriber's own queries can see which values are in doubt.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from govshare import audit, clock
from govshare.errors import IllegalTransition, NotAllowed, NotFound, Remedy, RequestRefused
from govshare.identity import Actor
from govshare.lifecycle import deadlines
from govshare.notify import outbox
from govshare.registry import deliveries
from govshare.registry import models as m
from govshare.registry.agreements import canonical
from govshare.registry.statuses import OPEN_CORRECTION_STATUSES, AgreementStatus
from govshare.registry.statuses import CorrectionStatus as C
from govshare.settings import setting

MOVES = {
    # action: (from statuses, to status, who may)
    "accept": ((C.FILED,), C.ACCEPTED, "authority"),
    "reject": ((C.FILED,), C.REJECTED, "authority"),
    "fixed": ((C.ACCEPTED,), C.FIXED, "authority"),
    "confirm": ((C.FIXED, C.REJECTED), C.CONFIRMED, "subscriber"),
    "dispute": ((C.FIXED, C.REJECTED), C.DISPUTED, "subscriber"),
    "resolve": ((C.DISPUTED,), C.RESOLVED, "competent_department"),
}


# An agreement under which something may have been delivered, so a correction can be filed.
DELIVERED = (AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED, AgreementStatus.REVOKED, AgreementStatus.EXPIRED)


def answer_days() -> int:
    return setting("correction_working_days")


def file(
    session: Session,
    actor: Actor,
    agreement_code: str,
    key: dict[str, str],
    item: str,
    problem: str,
    evidence: str,
    delivery_id: int | None = None,
) -> m.Correction:
    """The subscriber files a correction against one delivered value, naming the delivery it
    came in if it knows it (from the delivery's page)."""
    agreement_code = canonical(agreement_code)
    agreement = _delivered_to(session, actor, agreement_code)
    resource = session.get(m.Resource, agreement.resource_code)
    if set(key) != set(resource.primary_key):
        raise RequestRefused(
            f"the record key must give exactly {', '.join(resource.primary_key)}",
            remedy=Remedy(give=("key",), note=f"give the value of each key item: {', '.join(resource.primary_key)}"),
        )
    if item not in agreement.items:
        raise RequestRefused(
            f"item {item!r} is not delivered under {agreement_code}", f"use one of {', '.join(agreement.items)}"
        )
    if delivery_id is not None:
        _check_delivery(session, agreement_code, delivery_id)
    if not problem.strip() or not evidence.strip():
        raise RequestRefused(
            "a correction states what is wrong and the evidence for it", remedy=Remedy(give=("problem", "evidence"))
        )
    element = resource.item(item).element_code
    authority = session.get(m.DataElement, element).authority_code if element else resource.provider_code
    number = session.execute(select(m.correction_number.next_value())).scalar_one()
    correction = m.Correction(
        code=f"COR-{number:04d}",
        agreement_code=agreement_code,
        delivery_id=delivery_id,
        resource_code=resource.code,
        record_key={k: str(v) for k, v in key.items()},
        item=item,
        element_code=element,
        authority_code=authority,
        provider_code=resource.provider_code,
        subscriber_code=agreement.subscriber_code,
        problem=problem.strip(),
        evidence=evidence.strip(),
        status=C.FILED,
    )
    _set_due(correction, deadlines.due(clock.today(), answer_days()))
    session.add(correction)
    session.flush()
    _record(session, correction, actor, "file", "", C.FILED, problem)
    return correction


def _delivered_to(session: Session, actor: Actor, agreement_code: str) -> m.Agreement:
    """The actor's agreement, if it may file corrections of what came under it."""
    agreement = session.get(m.Agreement, agreement_code)
    if agreement is None or actor.name != agreement.subscriber_code:
        raise NotFound(
            f"no agreement '{agreement_code}' of yours to correct",
            "a subscriber files corrections against values it received under its own agreements",
        )
    if not actor.may_act_as("subscriber"):
        raise NotAllowed(f"{actor} may not file corrections", "a member with the requester duty of the agency may")
    if agreement.status not in DELIVERED:
        raise RequestRefused(
            f"agreement {agreement_code} has delivered nothing yet ({agreement.status})", "wait for a delivery"
        )
    return agreement


def _check_delivery(session: Session, agreement_code: str, delivery_id: int) -> None:
    delivery = session.get(m.Delivery, delivery_id)
    if delivery is None or delivery.agreement_code != agreement_code:
        raise NotFound(
            f"no delivery {delivery_id} of agreement {agreement_code}",
            "name a delivery of this agreement (see its deliveries), or none",
        )
    if delivery.status not in deliveries.PUBLISHED:
        raise RequestRefused(
            f"delivery {delivery_id} delivered no records ({delivery.status})",
            "name a delivery that reached your database, or none",
        )


def _set_due(correction: m.Correction, due: deadlines.Due | None) -> None:
    correction.due_date = due.day if due else None
    correction.due_provisional = bool(due and due.provisional)


def act(session: Session, actor: Actor, code: str, action: str, reason: str) -> m.Correction:
    """Any later step: accept, reject, fixed, confirm, dispute, resolve."""
    code = canonical(code)
    correction = session.get(m.Correction, code, with_for_update=True)
    if correction is None or not _roles(session, actor, correction):
        raise _not_visible(code, actor)
    sources, target, who = MOVES[action]
    if correction.status not in sources:
        raise IllegalTransition(
            f"correction {code} is {correction.status}: '{action}' is not possible from there",
            f"possible now: {_possible_words(session, actor, correction)}",
        )
    if who not in actor.acting(_roles(session, actor, correction)):
        raise NotAllowed(
            f"{actor} may not {action} correction {code}", f"only the {who} may, by a member with that duty"
        )
    if action in ("reject", "dispute", "resolve") and not reason.strip():
        raise RequestRefused(f"to {action} a correction, give the reasons", remedy=Remedy(give=("reason",)))
    before = correction.status
    correction.status = target
    _set_due(
        correction,
        {
            C.ACCEPTED: deadlines.due(clock.today(), answer_days()),
            C.DISPUTED: deadlines.due(clock.today(), deadlines.coordination_days()),
        }.get(target),
    )
    _record(session, correction, actor, action, before, target, reason)
    return correction


def read(session: Session, actor: Actor, code: str) -> m.Correction:
    code = canonical(code)
    correction = session.get(m.Correction, code)
    if correction is None or not _roles(session, actor, correction):
        raise _not_visible(code, actor)
    return correction


def _not_visible(code: str, actor: Actor) -> NotFound:
    return NotFound(f"no correction '{code}' visible to {actor}", remedy=Remedy(listing="corrections"))


def _possible_words(session: Session, actor: Actor, correction: m.Correction) -> str:
    """The steps this actor may take now (not every step of the status), or whose step it awaits."""
    mine = possible(session, actor, correction)
    if mine:
        return ", ".join(mine)
    others = sorted({who for sources, _, who in MOVES.values() if correction.status in sources})
    return f"nothing by you; only the {' or '.join(others)} may act now" if others else "none (it is closed)"


def visible(session: Session, actor: Actor, delivery_id: int | None = None) -> list[m.Correction]:
    """The corrections ``actor`` takes part in (only those filed from one delivery, if given)."""
    query = select(m.Correction).order_by(m.Correction.code)
    if delivery_id is not None:
        query = query.where(m.Correction.delivery_id == delivery_id)
    return [c for c in session.scalars(query) if _roles(session, actor, c)]


def possible(session: Session, actor: Actor, correction: m.Correction) -> list[str]:
    """The steps ``actor`` may take on ``correction`` now."""
    held = actor.acting(_roles(session, actor, correction))
    return [a for a, (sources, _, who) in MOVES.items() if correction.status in sources and who in held]


def steps(session: Session, code: str) -> list[m.CorrectionStep]:
    query = select(m.CorrectionStep).where(m.CorrectionStep.correction_code == code).order_by(m.CorrectionStep.id)
    return list(session.scalars(query))


def open_corrections(session: Session, agreement_code: str) -> tuple[tuple[dict, str, str, str], ...]:
    """(record key, correction, item, status) of every open correction under the agreement."""
    query = select(m.Correction).where(
        m.Correction.agreement_code == agreement_code, m.Correction.status.in_(OPEN_CORRECTION_STATUSES)
    )
    return tuple((c.record_key, c.code, c.item, c.status) for c in session.scalars(query.order_by(m.Correction.code)))


def _roles(session: Session, actor: Actor, correction: m.Correction) -> set[str]:
    if actor.kind == "operator":
        return {"operator"}
    held = set()
    if actor.name == correction.subscriber_code:
        held.add("subscriber")
    if actor.name == correction.authority_code:
        held.add("authority")
    if actor.name == correction.provider_code:
        held.add("provider")
    subscriber = session.get(m.Agency, correction.subscriber_code)
    if actor.agency_kind == "competent_department" and subscriber and actor.governs(subscriber.region_code):
        held.add("competent_department")
    return held


def _record(session, correction: m.Correction, actor: Actor, action: str, before: str, after: str, reason: str) -> None:
    session.add(
        m.CorrectionStep(
            correction_code=correction.code,
            action=action,
            from_status=before,
            to_status=after,
            actor=str(actor),
            reason=reason,
        )
    )
    session.flush()
    audit.append(
        session,
        str(actor),
        f"correction.{action}",
        f"correction:{correction.code}",
        {"agreement": correction.agreement_code, "from": before, "to": after, "reason": reason},
    )
    subscriber = session.get(m.Agency, correction.subscriber_code)
    overseers = outbox.competent_departments(session, subscriber.region_code) if after == C.DISPUTED else []
    due = (
        f"；办理期限 due {deadlines.describe(correction.due_date, correction.due_provisional)}"
        if correction.due_date
        else ""
    )
    outbox.enqueue(
        session,
        f"correction.{after}",
        [correction.authority_code, correction.subscriber_code, correction.provider_code, *overseers],
        f"[govshare] 纠错 {correction.code} {after}: {correction.resource_code}.{correction.item}",
        [
            f"纠错 {correction.code}：{correction.resource_code} 的记录 {correction.record_key} 的 {correction.item}，"
            f"现为 {after}{due}。",
            f"Correction {correction.code} of {correction.item} in {correction.resource_code}, record "
            f"{correction.record_key}, is now {after} (by {actor}): {reason}",
            f"由权威来源 {correction.authority_code} 负责 — routed to the authoritative source {correction.authority_code}"
            + (
                f" (the agreement's provider {correction.provider_code} holds a copy)"
                if correction.provider_code != correction.authority_code
                else ""
            ),
        ],
        correction.agreement_code,
    )
