"""One open resource published: read through the delivery engine into the platform's
workspace (the public's items and masks only), checked with the resource's suite (a block rule
stops it, the previous publication stays), written as CSV and Parquet, recorded and audited;
and resources no longer open withdrawn."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import select
from sqlalchemy.orm import Session

from govshare import audit, clock, settings
from govshare.catalog.model import CYCLE_HOURS
from govshare.delivery import steps
from govshare.delivery.runtime import Runtime
from govshare.errors import GovshareError
from govshare.exchange import staging
from govshare.exchange.address import DatabaseAddress
from govshare.exchange.connect import connect
from govshare.exchange.plan import DeliveryPlan
from govshare.identity import Actor
from govshare.notify import outbox
from govshare.opendata import files
from govshare.opendata.plan import WORKSPACE, is_open, public_plan, released_items
from govshare.opendata.published import current, open_resources
from govshare.quality.check import CheckContext
from govshare.registry import models as m
from govshare.registry.statuses import PublicationStatus

log = logging.getLogger("govshare.opendata")
# A run a little early on the cycle's hour still publishes (schedules drift by seconds).
SLACK = timedelta(minutes=10)


def workspace_runtime(runtime: Runtime) -> Runtime:
    """The runtime with the open-data workspace: the connection GOVSHARE_OPEN_DATA_CONN_ID, or
    by default the registry's own database (its govshare_staging schema)."""
    conn_id = settings.setting("open_data_conn_id")

    def address(name: str) -> DatabaseAddress:
        if name != WORKSPACE:
            return runtime.address(name)
        return runtime.address(conn_id) if conn_id else DatabaseAddress.from_url(settings.registry_url())

    return replace(runtime, address=address)


def due(s: Session, resource: m.Resource) -> bool:
    """Never published, its update cycle has passed since the last publication or block (a
    block waits a cycle, or `govshare opendata publish --all`; a failure is tried again at the
    next round), or the catalogue changed what is public."""
    last = current(s, resource.code)
    if last is not None and last.items != released_items(resource):
        return True  # an item released, withdrawn or masked otherwise: the files must follow now
    attempt = s.scalars(
        select(m.Publication)
        .where(
            m.Publication.resource_code == resource.code,
            m.Publication.status.in_(
                [PublicationStatus.PUBLISHED, PublicationStatus.BLOCKED, PublicationStatus.WITHDRAWN]
            ),
        )
        .order_by(m.Publication.id.desc())
        .limit(1)
    ).first()
    if attempt is None or attempt.status == PublicationStatus.WITHDRAWN:
        return True
    return clock.now() - attempt.started_at >= timedelta(hours=CYCLE_HOURS[resource.update_cycle]) - SLACK


@dataclass(frozen=True)
class Round:
    published: list[str]
    blocked: list[str]
    failed: list[str]
    withdrawn: list[str]


def run_round(
    session: Callable[[], Any],
    runtime: Runtime,
    root: Any,
    run_id: str,
    force: bool = False,
    quality_dir: Path | None = None,
) -> Round:
    """Publish every open resource that is due (all with ``force``), withdraw what is no longer
    open, and write the DCAT catalogue. One resource's failure does not stop the others."""
    from govshare.opendata import dcat  # rdflib: only where the catalogue is written

    with session() as s:
        codes = [r.code for r in open_resources(s) if force or due(s, r)]
    done: dict[str, list[str]] = {"published": [], "blocked": [], "failed": []}
    for code in codes:
        try:
            status = publish(session, runtime, root, code, run_id, quality_dir).status
        except Exception:  # recorded by publish; the other resources are still published
            log.exception("open data %s: the publication failed", code)
            status = PublicationStatus.FAILED
        done[{"published": "published", "blocked": "blocked"}.get(status, "failed")].append(code)
    withdrawn = withdraw(session, root, run_id)
    with session() as s:
        dcat.write(s, root)
    return Round(done["published"], done["blocked"], done["failed"], withdrawn)


def publish(
    session: Callable[[], Any],
    runtime: Runtime,
    root: Any,
    resource_code: str,
    run_id: str,
    quality_dir: Path | None = None,
) -> m.Publication:
    """Publish one open resource; the record says how it ended (a failure is recorded, logged
    and leaves the previous publication in place)."""
    runtime = workspace_runtime(runtime)
    record, plan, update_cycle = _start(session, resource_code, run_id)
    name = plan.staging_table(run_id)
    workspace = runtime.address(WORKSPACE)
    try:
        steps.preflight(plan, runtime)
        staged = steps.stage(plan, runtime, run_id)
        report = steps.check(
            plan, runtime, run_id, CheckContext(rows=staged.rows, update_cycle=update_cycle), quality_dir
        )
        results = [r.as_dict() for r in report.results]
        if report.blocked:
            failed = [r.rule for r in report.failed + report.errored]
            return _finish(
                session,
                record,
                PublicationStatus.BLOCKED,
                check_results=results,
                rows=staged.rows,
                error=f"blocked by rule(s) {', '.join(failed)}: the previous publication stays",
            )
        version = f"{clock.now():%Y%m%dT%H%M%S}-{record.id}"
        with connect(workspace, "subscriber", WORKSPACE) as conn:
            pointer = _write(conn, plan, name, root, resource_code, version, staged.rows)
        return _finish(
            session,
            record,
            PublicationStatus.PUBLISHED,
            version=version,
            rows=staged.rows,
            files=pointer["files"],
            check_results=results,
        )
    except Exception as exc:  # recorded, then raised: the task fails, the previous files stay
        _finish(session, record, PublicationStatus.FAILED, error=str(exc))
        raise
    finally:
        _discard(workspace, name)


def _start(session: Callable[[], Any], resource_code: str, run_id: str) -> tuple[m.Publication, DeliveryPlan, str]:
    """The publication's record, running, with the plan of what the public gets."""
    with session() as s:
        resource = s.get(m.Resource, resource_code)
        if resource is None or not is_open(resource):
            raise GovshareError(f"resource {resource_code} is not open to the public", "see `govshare catalog show`")
        plan = public_plan(resource)
        record = m.Publication(
            resource_code=resource_code,
            run_id=run_id,
            status=PublicationStatus.RUNNING,
            items=released_items(resource),
        )
        s.add(record)
        s.flush()
        return record, plan, resource.update_cycle


def _write(
    conn: psycopg.Connection, plan: DeliveryPlan, name: str, root: Any, resource_code: str, version: str, rows: int
) -> dict[str, Any]:
    """The staged rows written as a new version, then made current; older versions pruned but
    the one before, which a reader may still be reading."""
    written = files.write_version(
        conn, staging.table(name), plan.columns, plan.key, files.dataset(root, resource_code) / version, resource_code
    )
    pointer = {
        "version": version,
        "published_at": clock.now().isoformat(),
        "rows": rows,
        "files": [f.as_json() for f in written],
    }
    previous = files.read_pointer(root, resource_code)
    files.write_pointer(root, resource_code, pointer)
    files.prune(root, resource_code, {version, *([previous["version"]] if previous else [])})
    return pointer


def _discard(workspace: DatabaseAddress, name: str) -> None:
    try:
        with connect(workspace, "subscriber", WORKSPACE) as conn:
            staging.discard(conn, name)
    except GovshareError as exc:  # the next run's stage replaces it; the run's own error matters more
        log.warning("could not drop staging table %s: %s", name, exc)


def _finish(
    session: Callable[[], Any], record: m.Publication, status: PublicationStatus, **fields: Any
) -> m.Publication:
    with session() as s:
        row = s.get(m.Publication, record.id)
        for key, value in {"status": status, "finished_at": clock.now(), **fields}.items():
            setattr(row, key, value)
        detail = {"run_id": row.run_id, "status": str(status), "rows": row.rows, "version": row.version}
        audit.append(s, str(Actor.system()), f"open_data.{status}", row.resource_code, detail)
        if status in (PublicationStatus.BLOCKED, PublicationStatus.FAILED):
            _tell_provider(s, row)
    log.info(
        "open data %s: %s (%s rows)%s", row.resource_code, status, row.rows, f" — {row.error}" if row.error else ""
    )
    return row


def _tell_provider(s: Session, row: m.Publication) -> None:
    """The provider answers for its data (article 10): it hears that the public's copy was not
    renewed, and why. Once per publication; the platform's operators see the failed task."""
    resource = s.get(m.Resource, row.resource_code)
    outbox.enqueue(
        s,
        f"open_data.{row.status}",
        [resource.provider_code],
        f"[govshare] 开放数据未更新 open data not published ({row.resource_code})",
        [
            f"信息资源“{resource.name}”（{row.resource_code}）本次未向社会开放发布，公众仍看到上一版本。原因：{row.error}",
            f"This round's publication of {row.resource_code} to the public was {row.status}; the public keeps "
            f"the previous version. Reason: {row.error}. Fix the data in your front-end exchange database; the "
            "platform publishes it again after its update cycle, or at once if you ask the platform's operators.",
        ],
    )


def withdraw(session: Callable[[], Any], root: Any, run_id: str) -> list[str]:
    """Remove the files of every published resource that is no longer open (or no longer in
    the catalogue), and record it."""
    withdrawn = []
    with session() as s:
        published = set(
            s.scalars(select(m.Publication.resource_code).where(m.Publication.status == PublicationStatus.PUBLISHED))
        )
        still_open = {r.code for r in open_resources(s)}
        gone = [code for code in sorted(published - still_open) if current(s, code) is not None]
    for code in gone:
        files.remove_dataset(root, code)
        with session() as s:
            s.add(
                m.Publication(
                    resource_code=code, run_id=run_id, status=PublicationStatus.WITHDRAWN, finished_at=clock.now()
                )
            )
            audit.append(s, str(Actor.system()), "open_data.withdrawn", code, {"run_id": run_id})
        log.info("open data %s: withdrawn (no longer open to the public)", code)
        withdrawn.append(code)
    return withdrawn
