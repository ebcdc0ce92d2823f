"""The weekly quality digest: for each agency that wants it (catalogue: ``quality_digest:
weekly``), its deliveries of the past week as provider and as subscriber, how their checks
went, and its open and overdue corrections — one email, queued in the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from govshare.clock import TIMEZONE
from govshare.notify import outbox
from govshare.registry import models as m
from govshare.registry.deliveries import DeliveryStatus
from govshare.registry.statuses import CorrectionStatus as C


@dataclass(frozen=True)
class Line:
    agreement: str
    role: str
    deliveries: int
    succeeded: int
    checks_failed: int
    checks_warned: int


def week(session: Session, agency: str, until: datetime) -> list[Line]:
    """The agency's deliveries finished in the seven days up to ``until``."""
    since, end = until - timedelta(days=7), until
    provided = select(m.Resource.code).where(m.Resource.provider_code == agency)
    agreements = session.scalars(
        select(m.Agreement)
        .where(or_(m.Agreement.subscriber_code == agency, m.Agreement.resource_code.in_(provided)))
        .order_by(m.Agreement.code)
    )
    lines = []
    for agreement in agreements:
        done = list(
            session.scalars(
                select(m.Delivery).where(
                    m.Delivery.agreement_code == agreement.code,
                    m.Delivery.finished_at >= since,
                    m.Delivery.finished_at <= end,
                )
            )
        )
        if done:
            lines.append(
                Line(
                    agreement.code,
                    "subscriber" if agreement.subscriber_code == agency else "provider",
                    len(done),
                    sum(d.status == DeliveryStatus.SUCCEEDED for d in done),
                    sum(d.checks_failed or 0 for d in done),
                    sum(d.checks_warned or 0 for d in done),
                )
            )
    return lines


def queue_all(session: Session, until: datetime) -> list[str]:
    """Queue the digest of every agency that wants one and had something this week."""
    queued = []
    for agency in session.scalars(select(m.Agency).where(m.Agency.quality_digest == "weekly").order_by(m.Agency.code)):
        lines = week(session, agency.code, until)
        corrections = _corrections(session, agency.code, until.astimezone(TIMEZONE).date())
        if not lines and not corrections:
            continue
        paragraphs = [
            f"{agency.name}：{until - timedelta(days=7):%Y-%m-%d} 至 {until:%Y-%m-%d} 数据质量周报 / weekly quality digest"
        ]
        paragraphs += [
            f"{ln.agreement} ({ln.role}): {ln.deliveries} deliveries, {ln.succeeded} published; "
            f"{ln.checks_failed} blocking and {ln.checks_warned} warning rule failures"
            for ln in lines
        ]
        paragraphs += corrections
        outbox.enqueue(
            session,
            "quality.digest",
            [agency.code],
            f"[govshare] 数据质量周报 weekly quality digest {until:%Y-%m-%d}",
            paragraphs,
        )
        queued.append(agency.code)
    return queued


def _corrections(session: Session, agency: str, today: date) -> list[str]:
    open_ = session.scalars(
        select(m.Correction)
        .where(m.Correction.authority_code == agency, m.Correction.status.in_((C.FILED, C.ACCEPTED, C.DISPUTED)))
        .order_by(m.Correction.code)
    )
    return [
        f"纠错 Correction {c.code} ({c.resource_code}, {c.item}) is {c.status}, due {c.due_date:%Y-%m-%d}"
        + (" — 已逾期 OVERDUE" if c.due_date and c.due_date < today else "")
        for c in open_
    ]
