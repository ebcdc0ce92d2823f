"""The platform's own DAGs: the daily lifecycle round, the notification outbox, the audit
anchor, the weekly quality digest, front-DB health, the periodic reports."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from airflow.sdk import DAG, task
from sqlalchemy import select

import govshare.opendata  # its docstring only: publication pulls pyarrow, not at parse time
from govshare import audit, clock
from govshare.airflow import connections, mail, metrics, open_data
from govshare.clock import TIMEZONE
from govshare.identity import Actor
from govshare.lifecycle import daily
from govshare.monitoring import anomalies, health
from govshare.monitoring.figures import Period
from govshare.notify import digest, outbox
from govshare.registry import models as m
from govshare.registry.db import session
from govshare.settings import setting

log = logging.getLogger("govshare.platform")
START = datetime(2026, 1, 1, tzinfo=TIMEZONE)
DEFAULTS = {"owner": "platform", "retries": 2, "retry_delay": timedelta(minutes=5)}


def _platform_dag(dag_id: str, description: str, doc: str | None, *tags: str, **defaults) -> DAG:
    """A platform DAG: never catches up, one run at a time, running from the start, on the
    schedule its setting gives (``GOVSHARE_SCHEDULE_<DAG ID>``)."""
    return DAG(
        dag_id=dag_id,
        description=description,
        doc_md=doc,
        schedule=setting(f"schedule_{dag_id}"),
        start_date=START,
        catchup=False,
        max_active_runs=1,
        is_paused_upon_creation=False,
        tags=["govshare", "platform", *tags],
        default_args={**DEFAULTS, **defaults},
    )


def _run_moment(data_interval_end: datetime | None) -> datetime:
    """Where a run stands in time: the end of its data interval when the scheduler made it; a
    manual run (Airflow 3 gives it no data interval) stands at now."""
    return data_interval_end.astimezone(TIMEZONE) if data_interval_end else clock.now()


@task(task_id="send_notifications")
def send_notifications() -> None:
    result = mail.send_pending()
    if result.no_connection:  # the outbox keeps them; a missing connection is not a failed run
        return
    log.info("notifications: %d sent, %d to retry, %d failed for good", result.sent, result.retrying, result.failed)


def lifecycle_dag() -> DAG:
    with _platform_dag(
        "platform_lifecycle",
        "Daily: escalate overdue reviews, remind overdue coordinations, expire agreements",
        daily.__doc__,
    ) as dag:

        @task(task_id="daily_round")
        def daily_round() -> None:
            today = clock.today()  # deadlines are judged against today, whichever run this is
            done = daily.run(today)
            log.info(
                "round of %s: escalated %s; reminded %s; expired %s",
                today,
                done.escalated or "none",
                done.reminded or "none",
                done.expired or "none",
            )
            if done.failed:  # the rest of the round was done; fail the task so an operator looks
                raise RuntimeError(f"{len(done.failed)} agreement(s) could not be handled: " + "; ".join(done.failed))

        daily_round() >> send_notifications()
    return dag


def notifications_dag() -> DAG:
    with _platform_dag(
        "platform_notifications",
        "Send the notification outbox through the SMTP connection govshare_smtp",
        mail.__doc__,
    ) as dag:
        send_notifications()
    return dag


def audit_anchor_dag() -> DAG:
    with _platform_dag(
        "platform_audit_anchor",
        "Daily: mail the audit log's head hash to the competent departments",
        audit.__doc__,
        "audit",
    ) as dag:

        @task(task_id="anchor")
        def anchor() -> None:
            with session() as s:
                head = audit.anchor(s)
                audit.append(s, str(Actor.system()), "audit.anchor", "audit", head)
                departments = s.scalars(select(m.Agency.code).where(m.Agency.kind == "competent_department"))
                outbox.enqueue(
                    s,
                    "audit.anchor",
                    departments,
                    f"[govshare] 审计日志锚点 audit anchor {head['seq']}",
                    [
                        "请保存以下审计日志锚点，用于核验日志未被截断或改写。",
                        "Keep this anchor: `govshare audit verify --anchor` checks the log against it.",
                        json.dumps(head),
                    ],
                )
            log.info("audit head: entry %s, hash %s", head["seq"], head["hash"])

        anchor() >> send_notifications()
    return dag


def quality_digest_dag() -> DAG:
    with _platform_dag(
        "platform_quality_digest",
        "Mondays: each agency's weekly quality digest (deliveries, rule failures, corrections)",
        digest.__doc__,
        "quality",
    ) as dag:

        @task(task_id="queue_digests")
        def queue_digests(data_interval_end: datetime | None = None) -> None:
            with session() as s:
                queued = digest.queue_all(s, _run_moment(data_interval_end))
            log.info("weekly digests queued for: %s", ", ".join(queued) or "nobody")

        queue_digests() >> send_notifications()
    return dag


def front_db_health_dag() -> DAG:
    with _platform_dag(
        "platform_front_db_health",
        "Hourly: every front DB reachable, as catalogued and fresh; incidents; overdue deliveries",
        health.__doc__,
        "monitoring",
        retries=0,
    ) as dag:

        @task(task_id="check_front_dbs")
        def check_front_dbs() -> None:
            now = clock.now()  # freshness and lateness are judged against now, whichever run this is
            with session() as s:
                findings = health.run_round(s, connections.address, now)
                late = anomalies.overdue(s, now)
            for agency, results in sorted(findings.items()):
                healthy = all(f.ok for f in results)
                metrics.front_db(agency, healthy)
                for finding in results:
                    log.info(
                        "%s %s %s", agency, finding.resource, "ok" if finding.ok else f"PROBLEM: {finding.problem}"
                    )
            for anomaly in late:
                metrics.anomaly(anomaly.kind, anomaly.agreement_code)
                log.warning("overdue: %s %s", anomaly.agreement_code, anomaly.detail)

        check_front_dbs() >> send_notifications()
    return dag


def reports_dag(dag_id: str, description: str, produce) -> DAG:
    with _platform_dag(dag_id, description, REPORTS_DOC, "reports") as dag:

        @task(task_id="produce_reports")
        def produce_reports(data_interval_end: datetime | None = None) -> None:
            produce(_run_moment(data_interval_end).date())

        produce_reports() >> send_notifications()
    return dag


REPORTS_DOC = """Produces the periodic reports as HTML and PDF (charts drawn with matplotlib) and queues them
for email: monthly monitoring reports to each agency (article 17), the quarterly supervision
report to the competent departments (article 21). `govshare report monitoring|supervision`
produces any period on demand."""


def _monthly(today) -> None:
    """Last month's monitoring report for every department."""
    from govshare.monitoring import send as send_reports  # matplotlib and reportlab: not at parse time

    last = Period.month_of(Period.month_of(today).before)
    with session() as s:
        for agency in send_reports.departments(s):
            send_reports.monitoring(s, agency, last, send=True)
            log.info("monitoring report %s %s queued", agency, last.label)


def _quarterly(today) -> None:
    """Last quarter's supervision report for the competent departments."""
    from govshare.monitoring import send as send_reports

    last = Period.quarter_of(Period.quarter_of(today).before)
    with session() as s:
        send_reports.supervision(s, last, send=True)
    log.info("supervision report %s queued", last.label)


def open_data_dag() -> DAG:
    with _platform_dag(
        "platform_open_data",
        "Hourly: publish each open resource on its update cycle (CSV, Parquet, DCAT); withdraw what is no longer open",
        govshare.opendata.__doc__,
        "open-data",
    ) as dag:
        # No retries: the round is hourly and is its own retry (a failed resource is due
        # again at once, a blocked one after its cycle), and a retry of a block blocks again.
        @task(task_id="publish_open_data", retries=0)
        def publish_open_data(run_id: str | None = None) -> None:
            open_data.publish_round(run_id or "manual")

        publish_open_data() >> send_notifications()
    return dag


def build() -> dict[str, DAG]:
    dags = (
        lifecycle_dag(),
        notifications_dag(),
        audit_anchor_dag(),
        quality_digest_dag(),
        front_db_health_dag(),
        reports_dag("platform_monitoring_reports", "Monthly: each agency's monitoring report", _monthly),
        reports_dag("platform_supervision_report", "Quarterly: the supervision report", _quarterly),
        open_data_dag(),
    )
    return {dag.dag_id: dag for dag in dags}
