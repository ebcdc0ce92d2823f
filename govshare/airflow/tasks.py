"""What each task of an agreement's DAG does: one engine call, with the registry kept informed.

preflight → stage → check → publish → record. Every step re-reads the agreement, so a run
never delivers under an agreement that stopped being active, and every failure is written
to the delivery record before Airflow sees it. Failures a retry cannot fix (drift, failed
checks, a broken agreement) fail at once; the rest (a database down) are left to retries.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from govshare import audit, clock, settings
from govshare.airflow import metrics
from govshare.airflow.connections import address, pseudonym_key
from govshare.delivery.plan import plan_for
from govshare.errors import (
    AgreementBroken,
    AgreementNotActive,
    ChecksCouldNotRun,
    ChecksFailed,
    ConfigurationError,
    GovshareError,
    SchemaDrift,
)
from govshare.exchange import staging
from govshare.exchange.connect import connect
from govshare.exchange.failures import ExchangeFailed, sanitise
from govshare.exchange.plan import DeliveryPlan, staging_table_name
from govshare.exchange.preflight import preflight as check_databases
from govshare.exchange.publish import EmptySource
from govshare.exchange.publish import publish as swap_in
from govshare.exchange.stage import stage as stream
from govshare.lifecycle.deadlines import seconds_since
from govshare.monitoring import anomalies
from govshare.notify import outbox
from govshare.registry import agreements, cards, deliveries, quality
from govshare.registry import models as m
from govshare.registry.db import session

log = logging.getLogger("govshare.delivery")

# Failures that a retry would only repeat.
PERMANENT = (AgreementBroken, AgreementNotActive, ChecksFailed, ConfigurationError, EmptySource, SchemaDrift)


def preflight(code: str, run_id: str) -> None:
    with session() as s:
        status = agreements.get(s, code).status
        if status != "active":
            # A run queued before the agreement stopped: stop without delivering anything.
            raise AirflowSkipException(f"agreement {code} is {status}: nothing is delivered")
        deliveries.begin(s, code, run_id, staging_table=None)
    with _step(code, run_id, "preflight"):
        plan = _plan(code, run_id)
        check_databases(plan, address(plan.source_conn_id), address(plan.target_conn_id))
    log.info("preflight passed: %s matches the catalogue; both databases answer", plan.source)


def stage(code: str, run_id: str) -> None:
    with _step(code, run_id, "stage"):
        plan = _plan(code, run_id)
        key = pseudonym_key() if plan.pseudonymised else None
        result = stream(plan, address(plan.source_conn_id), address(plan.target_conn_id), run_id, key)
    _record(
        code,
        run_id,
        status="staged",
        rows=result.rows,
        bytes=result.bytes,
        error=None,
        watermark_from=result.watermark_from,
        watermark_to=result.watermark_to,
        freshness_lag_seconds=seconds_since(result.newest, clock.now()),
    )
    if result.late_rows:
        log.warning(
            "the provider has %d row(s) the subscriber lacks although they are older than the watermark "
            "(committed late, or stamped in the past): this run read every granted row, so none is lost",
            result.late_rows,
        )
    masked = [f"{c.name} ({c.mask})" for c in plan.columns if c.mask.kind != "none"]
    log.info(
        "staged %d rows (%d bytes) of %d authorised columns into %s in %.1fs; %s; masked: %s; filter: %s",
        result.rows,
        result.bytes,
        len(plan.columns),
        result.table,
        result.seconds,
        f"incremental from {result.watermark_from or 'the start'} to {result.watermark_to}"
        if plan.mode == "incremental"
        else "snapshot",
        ", ".join(masked) or "nothing",
        "; ".join(map(str, plan.row_filter)) or "none",
    )


def check(code: str, run_id: str) -> None:
    from govshare.quality.check import CheckContext
    from govshare.quality.check import check as run_checks  # keeps Great Expectations out of DAG parsing

    with _step(code, run_id, "check"):
        plan = _plan(code, run_id)
        with session() as s:
            rows = deliveries.find(s, code, run_id).rows or 0
            context = CheckContext(
                rows=rows,
                update_cycle=s.get(m.Resource, plan.resource_code).update_cycle,
                references=quality.unmasked_copies(s, plan.subscriber_code, plan.target_conn_id),
            )
        report = run_checks(plan, address(plan.target_conn_id), run_id, settings.quality_dir(), context)
        with session() as s:
            delivery = deliveries.update(
                s,
                code,
                run_id,
                status="checked",
                checks_passed=report.passed,
                checks_failed=len(report.failed) + len(report.errored),
                checks_warned=len(report.warned),
                check_results=[r.as_dict() for r in report.results],
                error=None,
            )
            _file_report(s, code, delivery, report)
        for result in report.results:
            if result.error:
                log.error("check %-40s %-5s COULD NOT RUN: %s", result.rule, result.severity, result.error)
                continue
            log.info(
                "check %-40s %-5s %s (%s of %s rows unexpected)",
                result.rule,
                result.severity,
                "passed" if result.success else "FAILED",
                result.unexpected_count,
                result.element_count,
            )
        for name, why in report.skipped:
            log.info("check %s skipped: %s", name, why)
        log.info(
            "quality report of delivery %s filed in the registry (govshare report quality %s)", delivery.id, delivery.id
        )
        report.raise_if_blocked(rows)


def _file_report(s, code: str, delivery, report) -> None:
    """Store the delivery's quality report, and alert the parties at once if a rule failed."""
    from govshare.quality.report import render, scores, summary_lines

    card = cards.cards(s, status=None, code=code)[0]
    link = settings.report_link(delivery.id)
    quality.save(
        s, delivery.id, code, scores(report.results), render(card, delivery, report, quality.trend(s, code), link)
    )
    broken = report.errored + report.failed + report.warned
    if not broken:
        return
    wanting = [
        a
        for a in (card.provider_code, card.subscriber_code)
        if (agency := s.get(m.Agency, a)) and agency.quality_alerts
    ]
    verdict = "未发布 not published" if report.blocked else "已发布，有警告 published with warnings"
    outbox.enqueue(
        s,
        "quality.alert",
        wanting,
        f"[govshare] {code} 数据质量问题 quality problem: {len(broken)} rule(s) broken — {verdict}",
        [
            *summary_lines(card, delivery, report),
            "完整报告见附件 The full report is attached." + (f" Online: {link}" if link else ""),
        ],
        agreement_code=code,
        attach_report=delivery.id,
    )


def publish(code: str, run_id: str) -> None:
    with _step(code, run_id, "publish"):
        plan = _plan(code, run_id)
        result = swap_in(plan, address(plan.target_conn_id), run_id)
    # Already published: an earlier try committed and then stopped (killed, registry unreachable)
    # before it could say so; what it did is in the subscriber's ledger.
    _record(code, run_id, status="published", error=None, rows_merged=result.merged, rows_deleted=result.deleted)
    if result.already_published:
        log.info("run %s was already published to %s by an earlier try; recorded what it did", run_id, plan.target)
        return
    log.info(
        "published %d rows to %s (%d inserted or changed, %d deleted)",
        result.rows,
        plan.target,
        result.merged,
        result.deleted,
    )


def record(code: str, run_id: str) -> None:
    """Close the delivery record and clear the staging table, whatever happened before. The
    subscriber's ledger has the last word on whether the run published: a publish that
    committed is recorded as such even when its task died before it could write the registry."""
    with session() as s:
        agreement = agreements.get(s, code)
        if (delivery := deliveries.find(s, code, run_id)) is not None and delivery.status != "published":
            if done := _ledger(agreement, run_id):
                log.warning("the subscriber's ledger shows run %s published; recorded as published", run_id)
                deliveries.update(
                    s, code, run_id, status="published", error=None, rows_merged=done.merged, rows_deleted=done.deleted
                )
        delivery = deliveries.finish(s, code, run_id)
        if delivery is not None:
            found = anomalies.after_delivery(s, delivery)
            resource = s.get(m.Resource, agreement.resource_code)
            metrics.delivery(delivery, resource.provider_code if resource else "", agreement.subscriber_code)
            for anomaly in found:
                metrics.anomaly(anomaly.kind, code)
                log.warning("anomaly %s: %s", anomaly.kind, anomaly.detail)
            audit.append(
                s,
                "system:airflow",
                f"delivery.{delivery.status}",
                f"agreement:{code}",
                {
                    "delivery": delivery.id,
                    "run_id": run_id,
                    "rows": delivery.rows,
                    "bytes": delivery.bytes,
                    "checks_failed": delivery.checks_failed,
                    "error": delivery.error,
                },
            )
    if delivery is None:
        raise AirflowSkipException("no delivery was started for this run")
    try:
        with connect(address(agreement.target_conn_id), "subscriber", agreement.target_conn_id) as conn:
            staging.discard(conn, staging_table_name(code, run_id))
    except GovshareError as exc:
        log.warning("could not drop the staging table (%s); the next run of the agreement replaces it", exc)
    log.info(
        "delivery %s: %s, %s rows, %s bytes, checks %s passed / %s failed / %s warned, %.1fs",
        delivery.id,
        delivery.status,
        delivery.rows,
        delivery.bytes,
        delivery.checks_passed,
        delivery.checks_failed,
        delivery.checks_warned,
        delivery.duration_seconds,
    )
    if delivery.status in deliveries.UNSUCCESSFUL:
        # Without this the run would show green: the record task is the DAG's only leaf.
        raise AirflowFailException(f"delivery {delivery.status} — {delivery.error}")


def _ledger(agreement: m.Agreement, run_id: str) -> staging.Publication | None:
    """What the subscriber's ledger says the run published, or None (also when it cannot be read:
    then the record stays as the tasks wrote it)."""
    try:
        with connect(address(agreement.target_conn_id), "subscriber", agreement.target_conn_id) as conn:
            if staging.exists(conn, staging.table(staging.LEDGER)):
                return staging.published(conn, agreement.code, run_id)
    except GovshareError as exc:
        log.warning("could not read the subscriber's ledger (%s)", exc)
    return None


def notify(code: str) -> None:
    """Send the agreement's queued emails now (quality alerts above all); if mail is down they
    stay queued for the platform_notifications DAG — a delivery never fails over an email."""
    from govshare.airflow.mail import send_pending

    try:
        result = send_pending(agreement_code=code)
    except Exception as exc:
        log.warning("emails not sent now (%s); they stay queued for platform_notifications", sanitise(str(exc)))
        return
    if not result.no_connection:
        log.info("emails: %d sent, %d to retry, %d failed", result.sent, result.retrying, result.failed)


def _plan(code: str, run_id: str) -> DeliveryPlan:
    with session() as s:
        plan = plan_for(s, code)
        deliveries.update(s, code, run_id, staging_table=plan.staging_table(run_id))
    return plan


def _record(code: str, run_id: str, **values) -> None:
    with session() as s:
        deliveries.update(s, code, run_id, **values)


@contextmanager
def _step(code: str, run_id: str, step: str) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        # Only our own messages are known to be free of row values; anything else is sanitised.
        message = str(exc) if isinstance(exc, GovshareError) else f"{type(exc).__name__}: {sanitise(str(exc))}"
        # A check that could not run leaves the data's fitness unknown: an error, not a verdict.
        status = "error" if isinstance(exc, ChecksCouldNotRun) else "failed"
        try:
            with session() as s:
                deliveries.fail(s, code, run_id, step, message, status)
        except Exception as registry_error:  # the original failure matters more
            log.error("could not record the failure in the registry: %s", registry_error)
        if isinstance(exc, PERMANENT) or (isinstance(exc, ExchangeFailed) and not exc.retryable):
            raise AirflowFailException(message) from None
        raise  # retryable: Airflow tries again
