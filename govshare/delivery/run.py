"""One delivery: an agreement's run from preflight to record, whoever starts it.

preflight → stage → check → publish, then record (always) and notify. Airflow runs them in
four tasks (govshare.airflow.tasks): preflight and stage; check; publish; record and notify
(``close``). ``govshare delivery run`` runs them one after the other in one process
(``DeliveryRun.run``). Either way the same methods run in the same order:

- preflight reads the agreement once, builds its plan and keeps it with the delivery record;
  every later step reads that plan, after checking the agreement is still active, so a run
  moves exactly what one reading of the agreement authorised and never delivers under an
  agreement that stopped being active.
- every failure is written to the delivery record before it leaves the step; whether a retry
  could help is ``retry_would_help``'s answer, which the caller acts on.
- record closes the record from what the steps wrote (the subscriber's ledger has the last
  word on whether the run published), files anomalies, metrics and the audit entry, and drops
  the staging table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

import psycopg
from sqlalchemy.orm import Session

from govshare import audit, clock, settings
from govshare.delivery import steps
from govshare.delivery.plan import plan_for
from govshare.delivery.report_filing import file_report
from govshare.delivery.runtime import Runtime
from govshare.errors import (
    AgreementBroken,
    AgreementNotActive,
    ChecksCouldNotRun,
    ChecksFailed,
    ConfigurationError,
    DeliveryUnsuccessful,
    EmptySource,
    ExchangeFailed,
    GovshareError,
    NothingToDeliver,
    SchemaDrift,
)
from govshare.exchange import staging
from govshare.exchange.connect import connect
from govshare.exchange.failures import sanitise
from govshare.exchange.plan import DeliveryPlan, staging_table_name
from govshare.lifecycle.deadlines import seconds_since
from govshare.monitoring import anomalies
from govshare.registry import agreements, deliveries
from govshare.registry import models as m
from govshare.registry.db import session
from govshare.registry.deliveries import DeliveryStatus
from govshare.registry.statuses import AgreementStatus

log = logging.getLogger("govshare.delivery")

# Failures that a retry would only repeat.
PERMANENT = (
    AgreementBroken,
    AgreementNotActive,
    ChecksFailed,
    ConfigurationError,
    DeliveryUnsuccessful,
    EmptySource,
    SchemaDrift,
)
STEPS = ("preflight", "stage", "check", "publish")


def retry_would_help(exc: BaseException) -> bool:
    """Whether running the step again could end differently (a database down, a lost worker)."""
    if isinstance(exc, ExchangeFailed):
        return exc.retryable
    return not isinstance(exc, (*PERMANENT, NothingToDeliver))


@dataclass(frozen=True)
class DeliveryRun:
    code: str  # the agreement
    run_id: str  # Airflow's run id, or the CLI's manual__<time>
    runtime: Runtime
    actor: str = "system:airflow"  # who the audit log says ran it

    def run(self, announce: Callable[[str], None] = lambda step: None) -> m.Delivery:
        """Every step in one process; returns the closed record, or raises DeliveryUnsuccessful
        (NothingToDeliver if the agreement is not active). Nothing is retried here."""
        try:
            for step in STEPS:
                announce(step)
                getattr(self, step)()
        except NothingToDeliver:
            raise
        except Exception:  # noqa: S110 — the step wrote why into the delivery record; record() gives the verdict
            pass
        return self.close(announce)

    def close(self, announce: Callable[[str], None] = lambda step: None) -> m.Delivery:
        """Record, then notify whatever the record found; then the record's verdict (raises
        DeliveryUnsuccessful for a delivery that failed)."""
        try:
            announce("record")
            return self.record()
        finally:
            announce("notify")
            self.notify()

    def preflight(self) -> None:
        with session() as s:
            status = agreements.get(s, self.code).status
            if status != AgreementStatus.ACTIVE:
                # A run queued before the agreement stopped: stop without delivering anything.
                raise NothingToDeliver(f"agreement {self.code} is {status}: nothing is delivered")
            deliveries.begin(s, self.code, self.run_id)
        with self._step("preflight"):
            with session() as s:
                plan = plan_for(s, self.code)
                deliveries.update(
                    s, self.code, self.run_id, plan=plan.as_json(), staging_table=plan.staging_table(self.run_id)
                )
            steps.preflight(plan, self.runtime)

    def stage(self) -> None:
        with self._step("stage"):
            staged = steps.stage(self._plan(), self.runtime, self.run_id)
        self._write(
            status=DeliveryStatus.STAGED,
            error=None,
            rows=staged.rows,
            bytes=staged.bytes,
            watermark_from=staged.watermark_from,
            watermark_to=staged.watermark_to,
            freshness_lag_seconds=seconds_since(staged.newest, clock.now()),
        )

    def check(self) -> None:
        with self._step("check"):
            plan = self._plan()
            with session() as s:
                context = steps.check_context(s, plan, self._delivery(s).rows or 0)
            report = steps.check(plan, self.runtime, self.run_id, context)
            with session() as s:
                delivery = self._delivery(s)
                deliveries.update(
                    s,
                    self.code,
                    self.run_id,
                    status=DeliveryStatus.CHECKED,
                    checks_passed=report.passed,
                    checks_failed=len(report.failed) + len(report.errored),
                    checks_warned=len(report.warned),
                    check_results=[r.as_dict() for r in report.results],
                    error=None,
                )
                file_report(s, self.code, delivery, report)
                delivery_id = delivery.id
            report.raise_if_blocked(context.rows, delivery_id, settings.report_link(delivery_id))

    def publish(self) -> None:
        with self._step("publish"):
            published = steps.publish(self._plan(), self.runtime, self.run_id)
        # Already published: an earlier try committed and then stopped (killed, registry unreachable)
        # before it could say so; the figures are then the subscriber's ledger's.
        self._write(
            status=DeliveryStatus.PUBLISHED, error=None, rows_merged=published.merged, rows_deleted=published.deleted
        )

    def record(self) -> m.Delivery:
        """Close the delivery record and clear the staging table, whatever happened before."""
        with session() as s:
            agreement = agreements.get(s, self.code)
            self._trust_the_ledger(s, agreement)
            delivery = deliveries.finish(s, self.code, self.run_id)
            if delivery is None:
                raise NothingToDeliver(f"no delivery was started for run {self.run_id} of {self.code}")
            self._account(s, agreement, delivery)
        self._discard_staging(agreement)
        steps.log_record(delivery)
        if delivery.status in deliveries.UNSUCCESSFUL:
            raise DeliveryUnsuccessful(delivery.id, delivery.status, delivery.error)
        return delivery

    def notify(self) -> None:
        """Send the agreement's queued emails now (quality alerts above all); if mail is down they
        stay queued for the platform_notifications DAG — a delivery never fails over an email."""
        try:
            self.runtime.send_mail(self.code)
        except Exception as exc:
            log.warning("emails not sent now (%s); they stay queued for platform_notifications", sanitise(str(exc)))

    def _trust_the_ledger(self, s: Session, agreement: m.Agreement) -> None:
        """A publish that committed is recorded as such even when its task died before it could
        write the registry: the subscriber's ledger says what it did."""
        delivery = deliveries.find(s, self.code, self.run_id)
        if delivery is None or delivery.status == DeliveryStatus.PUBLISHED:
            return
        if done := self._ledger(agreement):
            log.warning("the subscriber's ledger shows run %s published; recorded as published", self.run_id)
            deliveries.update(
                s,
                self.code,
                self.run_id,
                status=DeliveryStatus.PUBLISHED,
                error=None,
                rows_merged=done.merged,
                rows_deleted=done.deleted,
            )

    def _account(self, s: Session, agreement: m.Agreement, delivery: m.Delivery) -> None:
        """Anomalies, metrics and the audit entry of a closed delivery."""
        found = anomalies.after_delivery(s, delivery)
        resource = s.get(m.Resource, agreement.resource_code)
        self.runtime.metrics.delivery(delivery, resource.provider_code if resource else "", agreement.subscriber_code)
        for anomaly in found:
            self.runtime.metrics.anomaly(anomaly.kind, self.code)
            log.warning("anomaly %s: %s", anomaly.kind, anomaly.detail)
        audit.append(
            s,
            self.actor,
            f"delivery.{delivery.status}",
            f"agreement:{self.code}",
            {
                "delivery": delivery.id,
                "run_id": self.run_id,
                "rows": delivery.rows,
                "bytes": delivery.bytes,
                "checks_failed": delivery.checks_failed,
                "error": delivery.error,
            },
        )

    def _ledger(self, agreement: m.Agreement) -> staging.Publication | None:
        """What the subscriber's ledger says the run published, or None (also when it cannot be
        read: then the record stays as the steps wrote it)."""
        try:
            with self._subscriber(agreement) as conn:
                if staging.exists(conn, staging.table(staging.LEDGER)):
                    return staging.published(conn, agreement.code, self.run_id)
        except GovshareError as exc:
            log.warning("could not read the subscriber's ledger (%s)", exc)
        return None

    def _discard_staging(self, agreement: m.Agreement) -> None:
        try:
            with self._subscriber(agreement) as conn:
                staging.discard(conn, staging_table_name(self.code, self.run_id))
        except GovshareError as exc:
            log.warning("could not drop the staging table (%s); the next run of the agreement replaces it", exc)

    def _subscriber(self, agreement: m.Agreement) -> psycopg.Connection[Any]:
        conn_id = agreement.target_conn_id
        return connect(self.runtime.address(conn_id), "subscriber", conn_id)

    def _plan(self) -> DeliveryPlan:
        """The plan the run's preflight authorised, if the agreement is still active."""
        with session() as s:
            status = agreements.get(s, self.code).status
            if status != AgreementStatus.ACTIVE:
                raise AgreementNotActive(
                    f"agreement {self.code} became {status} during run {self.run_id}: nothing more is delivered",
                    "see `govshare agreement show` for its history",
                )
            return DeliveryPlan.from_json(cast(dict[str, Any], self._delivery(s).plan))  # _delivery checked it

    def _delivery(self, s: Session) -> m.Delivery:
        """The run's delivery record, with the plan its preflight stored."""
        delivery = deliveries.find(s, self.code, self.run_id)
        if delivery is None or delivery.plan is None:
            raise ConfigurationError(
                f"run {self.run_id} of {self.code} has no plan: its preflight did not pass",
                "run the delivery from its preflight (clear the whole DAG run, not one task)",
            )
        return delivery

    def _write(self, **values: object) -> None:
        with session() as s:
            deliveries.update(s, self.code, self.run_id, **values)

    @contextmanager
    def _step(self, step: str) -> Iterator[None]:
        try:
            yield
        except Exception as exc:
            # Only our own messages are known to be free of row values; anything else is sanitised.
            message = str(exc) if isinstance(exc, GovshareError) else f"{type(exc).__name__}: {sanitise(str(exc))}"
            # A check that could not run leaves the data's fitness unknown: an error, not a verdict.
            status = DeliveryStatus.ERROR if isinstance(exc, ChecksCouldNotRun) else DeliveryStatus.FAILED
            try:
                with session() as s:
                    deliveries.fail(s, self.code, self.run_id, step, message, status)
            except Exception as registry_error:  # the original failure matters more
                log.error("could not record the failure in the registry: %s", registry_error)
            raise
