"""The platform's daily round (the ``platform_lifecycle`` DAG): overdue provider reviews go to
coordination, overdue coordinations are reminded once, agreements past their end date expire.
Each agreement is handled in its own transaction, so one problem does not hold up the rest."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from govshare import audit
from govshare.errors import GovshareError
from govshare.identity import Actor
from govshare.lifecycle import service
from govshare.notify import outbox
from govshare.registry import models as m
from govshare.registry.db import session
from govshare.registry.statuses import AgreementStatus


@dataclass
class DailyRound:
    escalated: list[str] = field(default_factory=list)
    reminded: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # "<code>: <why>", each refusal audited by service.act


def run(today: date) -> DailyRound:
    done = DailyRound()
    rounds = (
        ("escalate", done.escalated, _codes(AgreementStatus.SUBMITTED, m.Agreement.due_date < today), _escalate),
        (
            "remind",
            done.reminded,
            _codes(AgreementStatus.COORDINATION, m.Agreement.due_date < today, m.Agreement.reminded_on.is_(None)),
            _remind,
        ),
        ("expire", done.expired, _codes(AgreementStatus.ACTIVE, m.Agreement.end_date < today), _expire),
    )
    for action, handled, codes, step in rounds:
        for code in codes:
            try:
                service.act(Actor.system(), action, f"agreement:{code}", lambda s, c=code, do=step: do(s, c, today))
            except GovshareError as refused:
                done.failed.append(f"{code}: {refused}")
            else:
                handled.append(code)
    return done


def _codes(status: AgreementStatus, *conditions) -> list[str]:
    with session() as s:
        query = select(m.Agreement.code).where(m.Agreement.status == status.value, *conditions)
        return list(s.scalars(query.order_by(m.Agreement.code)))


def _escalate(s, code: str, _today: date) -> None:
    due = s.get(m.Agreement, code).due_date
    service.escalate(
        s,
        Actor.system(),
        code,
        reason=f"the provider did not answer by {due.isoformat()} (article 13): escalated to coordination",
    )


def _expire(s, code: str, today: date) -> None:
    service.expire(s, code, today)


def _remind(s, code: str, today: date) -> None:
    agreement = s.get(m.Agreement, code, with_for_update=True)
    agreement.reminded_on = today
    subscriber = s.get(m.Agency, agreement.subscriber_code)
    overseers = outbox.competent_departments(s, subscriber.region_code)
    audit.append(s, str(Actor.system()), "agreement.overdue", f"agreement:{code}", {"due": agreement.due_date})
    outbox.enqueue(
        s,
        "agreement.overdue",
        overseers,
        f"[govshare] {code} 协调逾期 coordination overdue",
        [
            f"共享协议 {code} 的协调期限 {agreement.due_date.isoformat()} 已过，请尽快协调或提请共同决定。",
            f"The coordination of agreement {code} was due by {agreement.due_date.isoformat()}: settle it or "
            "refer it to a joint decision.",
        ],
        code,
    )
