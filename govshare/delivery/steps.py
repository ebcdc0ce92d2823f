"""Each step's engine call with its addresses, and what the step tells the operator.

The engine (govshare.exchange, govshare.quality) sees only the plan and database addresses;
this module resolves connection ids through the runtime, calls it and logs what it did.
``DeliveryRun`` calls these one step at a time with the registry kept informed in between;
``deliver`` runs them in one go for a plan without a registry (engine tests, the bench).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from govshare import settings
from govshare.delivery.runtime import Runtime
from govshare.exchange.plan import DeliveryPlan
from govshare.exchange.preflight import preflight as check_databases
from govshare.exchange.publish import PublishResult
from govshare.exchange.publish import publish as swap_in
from govshare.exchange.stage import StageResult
from govshare.exchange.stage import stage as stream
from govshare.quality.check import CheckContext, CheckReport
from govshare.quality.check import check as run_checks
from govshare.registry import models as m
from govshare.registry import quality

log = logging.getLogger("govshare.delivery")


def preflight(plan: DeliveryPlan, runtime: Runtime) -> None:
    check_databases(plan, runtime.address(plan.source_conn_id), runtime.address(plan.target_conn_id))
    log.info("preflight passed: %s matches the catalogue; both databases answer", plan.source)


def stage(plan: DeliveryPlan, runtime: Runtime, run_id: str) -> StageResult:
    key = runtime.pseudonym_key() if plan.pseudonymised else None
    result = stream(plan, runtime.address(plan.source_conn_id), runtime.address(plan.target_conn_id), run_id, key)
    _log_stage(plan, result)
    return result


def _log_stage(plan: DeliveryPlan, result: StageResult) -> None:
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


def check_context(s: Session, plan: DeliveryPlan, rows: int) -> CheckContext:
    """What the rules need beyond the staged table: its size, the resource's update cycle and
    the subscriber's own unmasked copies that reference rules compare with."""
    resource = s.get(m.Resource, plan.resource_code)
    return CheckContext(
        rows=rows,
        update_cycle=resource.update_cycle if resource else None,
        references=quality.unmasked_copies(s, plan.subscriber_code, plan.target_conn_id),
    )


def check(
    plan: DeliveryPlan, runtime: Runtime, run_id: str, context: CheckContext, quality_dir: Path | None = None
) -> CheckReport:
    """The resource's suite (``quality_dir``, default the configured one) on the staged rows."""
    target = runtime.address(plan.target_conn_id)
    report = run_checks(plan, target, run_id, quality_dir or settings.quality_dir(), context)
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
    return report


def publish(plan: DeliveryPlan, runtime: Runtime, run_id: str) -> PublishResult:
    result = swap_in(plan, runtime.address(plan.target_conn_id), run_id)
    if result.already_published:
        log.info("run %s was already published to %s by an earlier try; recorded what it did", run_id, plan.target)
    else:
        log.info(
            "published %d rows to %s (%d inserted or changed, %d deleted)",
            result.rows,
            plan.target,
            result.merged,
            result.deleted,
        )
    return result


@dataclass(frozen=True)
class Delivered:
    staged: StageResult
    report: CheckReport
    published: PublishResult


def deliver(
    plan: DeliveryPlan,
    runtime: Runtime,
    run_id: str,
    quality_dir: Path | None = None,
    around: Callable[[str], AbstractContextManager[object]] = lambda step: nullcontext(),
) -> Delivered:
    """Every step of ``plan``'s delivery in one go, with no registry: no record, no report filed,
    no plan read back. ``around(step)`` wraps each step (the bench times them)."""
    with around("preflight"):
        preflight(plan, runtime)
    with around("stage"):
        staged = stage(plan, runtime, run_id)
    with around("check"):
        report = check(plan, runtime, run_id, CheckContext(rows=staged.rows), quality_dir)
        report.raise_if_blocked(staged.rows)
    with around("publish"):
        published = publish(plan, runtime, run_id)
    return Delivered(staged, report, published)


def log_record(delivery: m.Delivery) -> None:
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
