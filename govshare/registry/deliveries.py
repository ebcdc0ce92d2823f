"""The registry's record of each delivery, written step by step as the run progresses.

Each task writes what it learned as soon as it knows it, so a run that dies halfway still
leaves a record saying how far it got and why it stopped. A delivery is identified by its
agreement and run id; a retried or cleared run updates the same row.

Statuses (``DeliveryStatus``): running → staged → checked → published → succeeded; or failed
from any step; or error, when a quality check could not run (whether the data is fit is then
unknown). Neither failed nor error published anything.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from govshare import clock
from govshare.errors import NotFound
from govshare.registry import models as m


class DeliveryStatus(StrEnum):
    RUNNING = "running"
    STAGED = "staged"
    CHECKED = "checked"
    PUBLISHED = "published"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ERROR = "error"


FINAL = frozenset({DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED, DeliveryStatus.ERROR})
UNSUCCESSFUL = frozenset({DeliveryStatus.FAILED, DeliveryStatus.ERROR})  # nothing was published
PUBLISHED = frozenset({DeliveryStatus.PUBLISHED, DeliveryStatus.SUCCEEDED})  # its rows reached the subscriber


def rows_delivered(d: m.Delivery) -> int | None:
    """The rows that reached the subscriber's table — not ``d.rows``, the rows staged (read from
    the provider and checked): a blocked delivery staged them and delivered none. An incremental
    delivery delivers the rows it merged. None while the run has not published yet."""
    if d.status in UNSUCCESSFUL:
        return 0
    if d.status in PUBLISHED:
        return d.rows_merged if d.rows_merged is not None else d.rows
    return None


def begin(session: Session, agreement_code: str, run_id: str) -> m.Delivery:
    """Start (or restart, for a cleared run) the delivery record of one run."""
    fresh = dict(
        status=DeliveryStatus.RUNNING,
        started_at=clock.now(),
        finished_at=None,
        rows=None,
        bytes=None,
        duration_seconds=None,
        checks_passed=None,
        checks_failed=None,
        checks_warned=None,
        check_results=None,
        error=None,
        staging_table=None,
        plan=None,
    )
    statement = (
        insert(m.Delivery)
        .values(agreement_code=agreement_code, run_id=run_id, **fresh)
        .on_conflict_do_update(constraint="uq_delivery_agreement_code", set_=fresh)
    )
    session.execute(statement)
    return find(session, agreement_code, run_id)


def find(session: Session, agreement_code: str, run_id: str) -> m.Delivery | None:
    query = select(m.Delivery).where(m.Delivery.agreement_code == agreement_code, m.Delivery.run_id == run_id)
    return session.scalars(query.execution_options(populate_existing=True)).first()


def by_id(session: Session, delivery_id: int) -> m.Delivery:
    delivery = session.get(m.Delivery, delivery_id)
    if delivery is None:
        raise NotFound(f"no delivery {delivery_id}", "list deliveries with `govshare delivery list`")
    return delivery


def update(session: Session, agreement_code: str, run_id: str, **values) -> m.Delivery | None:
    delivery = find(session, agreement_code, run_id)
    if delivery is not None:
        for key, value in values.items():
            setattr(delivery, key, value)
    return delivery


def finish(session: Session, agreement_code: str, run_id: str) -> m.Delivery | None:
    """Close the record: succeeded if the data was published, failed otherwise."""
    delivery = find(session, agreement_code, run_id)
    if delivery is None:
        return None
    if delivery.status not in FINAL:
        reached = _last_step(delivery)
        published = delivery.status == DeliveryStatus.PUBLISHED
        delivery.status = DeliveryStatus.SUCCEEDED if published else DeliveryStatus.FAILED
        if delivery.status == DeliveryStatus.FAILED and not delivery.error:
            delivery.error = f"the run stopped after step '{reached}' without an error message"
    delivery.finished_at = clock.now()
    delivery.duration_seconds = (delivery.finished_at - delivery.started_at).total_seconds()
    return delivery


def fail(
    session: Session, agreement_code: str, run_id: str, step: str, error: str, status: str = DeliveryStatus.FAILED
) -> None:
    update(session, agreement_code, run_id, status=status, error=f"{step}: {error}")


def recent(session: Session, agreement_code: str | None = None, limit: int = 20) -> list[m.Delivery]:
    query = select(m.Delivery).order_by(m.Delivery.id.desc()).limit(limit)
    if agreement_code:
        query = query.where(m.Delivery.agreement_code == agreement_code)
    return list(session.scalars(query))


def _last_step(delivery: m.Delivery) -> str:
    steps = {DeliveryStatus.RUNNING: "preflight", DeliveryStatus.STAGED: "stage", DeliveryStatus.CHECKED: "check"}
    return steps.get(delivery.status, delivery.status)
