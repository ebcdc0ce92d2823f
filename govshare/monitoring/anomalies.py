"""Anomalies in an agreement's deliveries (article 17: flag what is unusual):

- ``volume``: a delivered row count far from the agreement's own history — more than
  ``GOVSHARE_ANOMALY_MAD_K`` (default 5) scaled median absolute deviations from the median of
  its last successful deliveries, judged only once there are ``GOVSHARE_ANOMALY_MIN_HISTORY``
  (default 5) of them. Median and MAD, not mean and standard deviation: one odd delivery in the
  history must not make the next odd one look normal. When the history does not vary at all
  (MAD = 0), a change of more than ``GOVSHARE_ANOMALY_FLAT_RATIO`` (default 0.5, i.e. 50%) counts.
- ``repeated_failures``: the last ``GOVSHARE_ANOMALY_FAILURES`` (default 3) deliveries all failed.
- ``schema_drift``: a delivery stopped because the provider's table changed.
- ``overdue``: no delivery for longer than two of the agreement's schedule intervals.

Each is recorded, audited, emailed to both parties and listed in the monitoring reports.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime

from croniter import croniter
from sqlalchemy import select
from sqlalchemy.orm import Session

from govshare import audit
from govshare.clock import TIMEZONE
from govshare.notify import outbox
from govshare.registry import models as m
from govshare.registry.deliveries import UNSUCCESSFUL, DeliveryStatus
from govshare.registry.statuses import AgreementStatus
from govshare.settings import setting


@dataclass(frozen=True)
class Thresholds:
    min_history: int = 5
    mad_k: float = 5.0
    flat_ratio: float = 0.5
    failures: int = 3

    @classmethod
    def from_settings(cls) -> Thresholds:
        return cls(*(setting(f"anomaly_{name}") for name in ("min_history", "mad_k", "flat_ratio", "failures")))


def unusual_volume(history: list[int], rows: int, limits: Thresholds) -> str | None:
    """Why ``rows`` is far from ``history`` (robust statistics), or None."""
    if len(history) < limits.min_history:
        return None
    median = statistics.median(history)
    mad = statistics.median(abs(x - median) for x in history) * 1.4826  # ~ standard deviation if normal
    if mad == 0:
        if median and abs(rows - median) / median > limits.flat_ratio:
            return f"{rows:,} rows where every one of the last {len(history)} deliveries had {median:,.0f}"
        return None
    score = abs(rows - median) / mad
    if score > limits.mad_k:
        return (
            f"{rows:,} rows, {score:.1f} deviations from the usual {median:,.0f} "
            f"(median of the last {len(history)} deliveries; threshold {limits.mad_k})"
        )
    return None


def after_delivery(session: Session, delivery: m.Delivery, limits: Thresholds | None = None) -> list[m.Anomaly]:
    """Judge a finished delivery against the agreement's history; record what is unusual."""
    limits = limits or Thresholds.from_settings()
    found: list[tuple[str, str]] = []
    earlier = list(
        session.scalars(
            select(m.Delivery)
            .where(
                m.Delivery.agreement_code == delivery.agreement_code,
                m.Delivery.id < delivery.id,
                m.Delivery.finished_at.is_not(None),
            )
            .order_by(m.Delivery.id.desc())
            .limit(50)
        )
    )
    agreement = session.get(m.Agreement, delivery.agreement_code)
    if delivery.status == DeliveryStatus.SUCCEEDED and agreement.mode == "snapshot":
        history = [d.rows for d in earlier if d.status == DeliveryStatus.SUCCEEDED and d.rows is not None][:20]
        if (why := unusual_volume(history, delivery.rows or 0, limits)) is not None:
            found.append(("volume", why))
    if delivery.status in UNSUCCESSFUL:
        recent = [delivery, *earlier][: limits.failures]
        if len(recent) == limits.failures and all(d.status in UNSUCCESSFUL for d in recent):
            found.append(("repeated_failures", f"the last {limits.failures} deliveries all failed: {delivery.error}"))
        if delivery.error and "no longer matches the catalogue" in delivery.error:
            found.append(("schema_drift", delivery.error))
    return [record(session, delivery.agreement_code, kind, why, delivery.id) for kind, why in found]


def overdue(session: Session, now: datetime) -> list[m.Anomaly]:
    """Active agreements whose last delivery is older than two schedule intervals (once each)."""
    found = []
    for agreement in session.scalars(select(m.Agreement).where(m.Agreement.status == AgreementStatus.ACTIVE)):
        cron = croniter(agreement.schedule, now.astimezone(TIMEZONE))  # @daily and the like too
        previous = cron.get_prev(datetime)
        interval = previous - cron.get_prev(datetime)
        last = session.scalars(
            select(m.Delivery.started_at)
            .where(m.Delivery.agreement_code == agreement.code)
            .order_by(m.Delivery.id.desc())
            .limit(1)
        ).first()
        since = last or agreement.activated_at
        if since is None or now - since <= 2 * interval:
            continue
        already = session.scalars(
            select(m.Anomaly.id).where(
                m.Anomaly.agreement_code == agreement.code, m.Anomaly.kind == "overdue", m.Anomaly.detected_at > since
            )
        ).first()
        if already is None:
            why = f"no delivery since {since.astimezone(TIMEZONE):%Y-%m-%d %H:%M}; the schedule is {agreement.schedule}"
            found.append(record(session, agreement.code, "overdue", why))
    return found


def record(session: Session, agreement_code: str, kind: str, detail: str, delivery_id: int | None = None) -> m.Anomaly:
    anomaly = m.Anomaly(agreement_code=agreement_code, kind=kind, detail=detail, delivery_id=delivery_id)
    session.add(anomaly)
    session.flush()
    audit.append(session, "system:platform", f"anomaly.{kind}", f"agreement:{agreement_code}", {"detail": detail})
    agreement = session.get(m.Agreement, agreement_code)
    resource = session.get(m.Resource, agreement.resource_code)
    outbox.enqueue(
        session,
        f"anomaly.{kind}",
        [agreement.subscriber_code, *([resource.provider_code] if resource else [])],
        f"[govshare] {agreement_code} 异常 anomaly: {kind}",
        [f"共享协议 {agreement_code} 出现异常（{kind}）：{detail}", f"Agreement {agreement_code}: {kind} — {detail}"],
        agreement_code,
    )
    return anomaly
