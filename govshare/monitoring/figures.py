"""The numbers behind the monitoring report (article 17, per agency and month) and the
supervision report (article 21, all agencies, per quarter), read from the registry.

Periods are half-open, [start, end), in Beijing time. A report on a period still running holds
what is known so far: its deadlines are judged against the platform's clock (a correction due
later this month is not overdue yet), a finished period's against its end.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from govshare import clock
from govshare.clock import TIMEZONE
from govshare.corrections import answer_days
from govshare.lifecycle import deadlines
from govshare.registry import models as m
from govshare.registry.deliveries import UNSUCCESSFUL, DeliveryStatus
from govshare.registry.statuses import OPEN_CORRECTION_STATUSES, AgreementStatus


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date  # exclusive

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(), TIMEZONE)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end, time(), TIMEZONE)

    @classmethod
    def month(cls, text: str) -> Period:
        """``2026-10``."""
        year, month = (int(x) for x in text.split("-"))
        end = date(year + month // 12, month % 12 + 1, 1)
        return cls(f"{year}-{month:02d}", date(year, month, 1), end)

    @classmethod
    def quarter(cls, text: str) -> Period:
        """``2026Q3``."""
        year, q = int(text[:4]), int(text[-1])
        start = date(year, 3 * q - 2, 1)
        end = date(year + (q == 4), (3 * q) % 12 + 1, 1)
        return cls(f"{year}Q{q}", start, end)

    @classmethod
    def month_of(cls, day: date) -> Period:
        return cls.month(f"{day:%Y-%m}")

    @classmethod
    def quarter_of(cls, day: date) -> Period:
        return cls.quarter(f"{day.year}Q{(day.month - 1) // 3 + 1}")

    def as_of(self, now: datetime) -> datetime:
        """The moment a report on the period holds at: ``now`` while the period runs, its end
        once it is over (what happened later belongs to later reports)."""
        return min(now, self.until)

    @property
    def before(self) -> date:
        """The last day before the period."""
        return self.start - timedelta(days=1)


@dataclass
class AgreementLine:
    agreement: str
    resource: str
    partner: str  # the other party
    deliveries: int = 0
    succeeded: int = 0
    failed: int = 0
    rows: int = 0  # rows delivered by successful deliveries
    checks_passed: int = 0
    checks_total: int = 0


@dataclass(frozen=True)
class OpenCorrection:
    code: str
    role: str  # the agency's part in it: authority (must answer) or subscriber (filed it)
    status: str
    due: date | None  # the deadline of the step it awaits, if that step has one
    overdue: bool  # the deadline had passed on the report's day (Monitoring.judged_on)


@dataclass
class Monitoring:
    agency: str
    agency_name: str
    period: Period
    as_of: datetime  # Period.as_of: now for a period still running, else the period's end
    as_provider: list[AgreementLine] = field(default_factory=list)
    as_subscriber: list[AgreementLine] = field(default_factory=list)
    failures: list[tuple[datetime, str, str]] = field(default_factory=list)  # (when, agreement, error)
    daily: dict[date, tuple[int, int, int, int]] = field(default_factory=dict)  # day -> (ok, failed, passed, checks)
    anomalies: list[tuple[datetime, str, str, str]] = field(default_factory=list)  # (when, agreement, kind, detail)
    corrections: list[OpenCorrection] = field(default_factory=list)
    incidents: list[tuple[int, datetime, datetime | None, str]] = field(default_factory=list)

    @property
    def running(self) -> bool:
        """The period is not over yet: its figures are the ones so far."""
        return self.as_of < self.period.until

    @property
    def judged_on(self) -> date:
        """The day deadlines are judged against: one that falls before it was missed. Today
        while the period runs (a deadline later this month has not passed), else the day after
        the period, so a deadline on its last day counts as missed."""
        return self.as_of.astimezone(TIMEZONE).date()

    @property
    def overdue(self) -> int:
        return sum(c.overdue for c in self.corrections)

    @property
    def deliveries(self) -> int:
        return sum(line.deliveries for line in self.as_provider + self.as_subscriber)

    @property
    def failed(self) -> int:
        return sum(line.failed for line in self.as_provider + self.as_subscriber)


def monitoring(session: Session, agency_code: str, period: Period, now: datetime | None = None) -> Monitoring:
    """The agency's figures for ``period`` as known at ``now`` (the platform clock by default)."""
    agency = session.get(m.Agency, agency_code)
    as_of = period.as_of(now or clock.now())
    report = Monitoring(agency_code, agency.name if agency else agency_code, period, as_of)
    provided = {r.code: r for r in session.scalars(select(m.Resource).where(m.Resource.provider_code == agency_code))}
    agreements = session.scalars(
        select(m.Agreement)
        .where(or_(m.Agreement.subscriber_code == agency_code, m.Agreement.resource_code.in_(list(provided))))
        .order_by(m.Agreement.code)
    ).all()
    daily: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for agreement in agreements:
        as_provider = agreement.resource_code in provided
        resource = session.get(m.Resource, agreement.resource_code)
        line = AgreementLine(
            agreement.code,
            agreement.resource_code,
            agreement.subscriber_code if as_provider else (resource.provider_code if resource else "?"),
        )
        for d in _deliveries(session, agreement.code, period):
            _count(d, line, daily[d.finished_at.astimezone(TIMEZONE).date()])
            if d.status in UNSUCCESSFUL:
                report.failures.append((d.finished_at, agreement.code, d.error or ""))  # whole: the documents fit it
        (report.as_provider if as_provider else report.as_subscriber).append(line)
        report.anomalies += _anomalies(session, agreement.code, period)
    report.daily = {day: tuple(v) for day, v in sorted(daily.items())}
    report.failures.sort()
    report.anomalies.sort()
    report.corrections = _open_corrections(session, agency_code, period, report.judged_on)
    report.incidents = _incidents(session, agency_code, period)
    return report


def _count(d: m.Delivery, line: AgreementLine, day: list[int]) -> None:
    """Add one delivery to its agreement's line and to its day (succeeded, failed, checks passed, checks)."""
    succeeded = d.status == DeliveryStatus.SUCCEEDED
    checks = (d.checks_passed or 0) + (d.checks_failed or 0) + (d.checks_warned or 0)
    line.deliveries += 1
    line.succeeded += succeeded
    line.failed += d.status in UNSUCCESSFUL
    line.rows += (d.rows or 0) if succeeded else 0
    line.checks_passed += d.checks_passed or 0
    line.checks_total += checks
    day[0] += succeeded
    day[1] += d.status in UNSUCCESSFUL
    day[2] += d.checks_passed or 0
    day[3] += checks


def _anomalies(session: Session, agreement_code: str, period: Period) -> list[tuple]:
    found = session.scalars(
        select(m.Anomaly)
        .where(
            m.Anomaly.agreement_code == agreement_code,
            m.Anomaly.detected_at >= period.since,
            m.Anomaly.detected_at < period.until,
        )
        .order_by(m.Anomaly.id)
    )
    return [(a.detected_at, a.agreement_code, a.kind, a.detail) for a in found]


def _open_corrections(session: Session, agency_code: str, period: Period, judged_on: date) -> list[OpenCorrection]:
    found = session.scalars(
        select(m.Correction)
        .where(
            or_(m.Correction.authority_code == agency_code, m.Correction.subscriber_code == agency_code),
            m.Correction.status.in_(OPEN_CORRECTION_STATUSES),
            m.Correction.filed_at < period.until,
        )
        .order_by(m.Correction.code)
    )
    return [
        OpenCorrection(
            c.code,
            "authority" if c.authority_code == agency_code else "subscriber",
            c.status,
            c.due_date,
            c.due_date is not None and c.due_date < judged_on,
        )
        for c in found
    ]


def _incidents(session: Session, agency_code: str, period: Period) -> list[tuple]:
    found = session.scalars(
        select(m.Incident)
        .where(
            m.Incident.agency_code == agency_code,
            m.Incident.opened_at < period.until,
            or_(m.Incident.closed_at.is_(None), m.Incident.closed_at >= period.since),
        )
        .order_by(m.Incident.id)
    )
    return [(i.id, i.opened_at, i.closed_at, i.detail) for i in found]


@dataclass
class AgencyScore:
    agency: str
    name: str
    catalogue_completeness: float | None  # % of its items carrying a registered data element
    answered_on_time: float | None  # % of requests to it answered within the deadline
    delivery_success: float | None  # % of its resources' deliveries that succeeded
    quality_pass: float | None  # % of quality rules passed on those deliveries
    correction_turnaround: float | None  # median working days to answer a correction routed to it
    availability: float | None  # % of front-DB health checks that passed
    requests: int = 0
    deliveries: int = 0
    corrections: int = 0
    checks: int = 0

    @property
    def active(self) -> bool:
        """Anything happened in the quarter to judge it by. The catalogue's completeness alone is
        no record of sharing: ranking an idle agency by it would rank it among those at work."""
        return bool(self.requests or self.deliveries or self.corrections or self.checks)

    @property
    def composite(self) -> float | None:
        """The mean of the percentage scores it has (turnaround as 100% within the deadline,
        falling in proportion beyond it)."""
        turnaround = None
        if self.correction_turnaround is not None:
            limit = float(answer_days())
            turnaround = 100.0 if self.correction_turnaround <= limit else 100.0 * limit / self.correction_turnaround
        parts = [
            x
            for x in (
                self.catalogue_completeness,
                self.answered_on_time,
                self.delivery_success,
                self.quality_pass,
                turnaround,
                self.availability,
            )
            if x is not None
        ]
        return sum(parts) / len(parts) if parts else None


@dataclass
class Supervision:
    period: Period
    scores: list[AgencyScore]

    @property
    def ranking(self) -> list[AgencyScore]:
        """The agencies with activity in the period, best composite first."""
        active = [s for s in self.scores if s.active and s.composite is not None]
        return sorted(active, key=lambda s: (-s.composite, s.agency))

    @property
    def inactive(self) -> list[AgencyScore]:
        """The agencies with nothing to judge in the period: listed apart, never ranked."""
        ranked = {s.agency for s in self.ranking}
        return [s for s in self.scores if s.agency not in ranked]


def supervision(session: Session, period: Period) -> Supervision:
    scores = []
    for agency in session.scalars(select(m.Agency).where(m.Agency.kind == "department").order_by(m.Agency.code)):
        resources = list(session.scalars(select(m.Resource).where(m.Resource.provider_code == agency.code)))
        items = [i for r in resources for i in r.items]
        completeness = _percent(sum(i.element_code is not None for i in items), len(items))
        codes = [r.code for r in resources]
        on_time, requests = _answered_on_time(session, codes, period)
        deliveries = [
            d
            for a in session.scalars(select(m.Agreement.code).where(m.Agreement.resource_code.in_(codes)))
            for d in _deliveries(session, a, period)
        ]
        passed = sum(d.checks_passed or 0 for d in deliveries)
        checks = passed + sum((d.checks_failed or 0) + (d.checks_warned or 0) for d in deliveries)
        turnaround, corrections = _correction_turnaround(session, agency.code, period)
        health = list(
            session.scalars(
                select(m.FrontDbCheck.ok).where(
                    m.FrontDbCheck.agency_code == agency.code,
                    m.FrontDbCheck.checked_at >= period.since,
                    m.FrontDbCheck.checked_at < period.until,
                )
            )
        )
        scores.append(
            AgencyScore(
                agency=agency.code,
                name=agency.name,
                catalogue_completeness=completeness,
                answered_on_time=on_time,
                delivery_success=_percent(
                    sum(d.status == DeliveryStatus.SUCCEEDED for d in deliveries), len(deliveries)
                ),
                quality_pass=_percent(passed, checks),
                correction_turnaround=turnaround,
                availability=_percent(sum(health), len(health)),
                requests=requests,
                deliveries=len(deliveries),
                corrections=corrections,
                checks=len(health),
            )
        )
    return Supervision(period, scores)


def _deliveries(session: Session, agreement_code: str, period: Period) -> list[m.Delivery]:
    return list(
        session.scalars(
            select(m.Delivery)
            .where(
                m.Delivery.agreement_code == agreement_code,
                m.Delivery.finished_at >= period.since,
                m.Delivery.finished_at < period.until,
            )
            .order_by(m.Delivery.id)
        )
    )


def _answered_on_time(session: Session, resource_codes: list[str], period: Period) -> tuple[float | None, int]:
    """Of the requests for these resources answered (or escalated for want of an answer) in the
    period, the share the provider answered within its working-day deadline."""
    on_time = total = 0
    agreements = session.scalars(select(m.Agreement.code).where(m.Agreement.resource_code.in_(resource_codes)))
    for code in agreements:
        steps = list(
            session.scalars(select(m.Transition).where(m.Transition.agreement_code == code).order_by(m.Transition.id))
        )
        submitted = next((t for t in steps if t.action == "submit"), None)
        answer = next(
            (
                t
                for t in steps
                if t.from_status == AgreementStatus.SUBMITTED and t.to_status != AgreementStatus.SUBMITTED
            ),
            None,
        )
        if submitted is None or answer is None or answer.actor.startswith("system") and answer.action == "agree":
            continue  # not answered yet, or agreed automatically (unconditional): nothing to judge
        if not period.since <= answer.at < period.until:
            continue
        total += 1
        due = deadlines.add_working_days(submitted.at.astimezone(TIMEZONE).date(), deadlines.review_days())
        on_time += answer.action in ("agree", "refuse") and answer.at.astimezone(TIMEZONE).date() <= due
    return _percent(on_time, total), total


def _correction_turnaround(session: Session, agency: str, period: Period) -> tuple[float | None, int]:
    days = []
    for c in session.scalars(
        select(m.Correction).where(
            m.Correction.authority_code == agency,
            m.Correction.filed_at >= period.since,
            m.Correction.filed_at < period.until,
        )
    ):
        answer = session.scalars(
            select(m.CorrectionStep)
            .where(m.CorrectionStep.correction_code == c.code, m.CorrectionStep.action.in_(("accept", "reject")))
            .order_by(m.CorrectionStep.id)
        ).first()
        if answer is not None:
            days.append(
                deadlines.working_days_between(
                    c.filed_at.astimezone(TIMEZONE).date(), answer.at.astimezone(TIMEZONE).date()
                )
            )
    return (float(statistics.median(days)) if days else None), len(days)


def _percent(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None
