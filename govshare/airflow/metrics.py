"""Deliveries and front-DB health as Airflow metrics (StatsD, Datadog or OpenTelemetry — whatever
Airflow's ``[metrics]`` section turns on). Names (StatsD has no tags, so the subject is in the name;
backends with tags also get ``agreement``, ``provider``, ``subscriber``):

=============================================  =======  ===================================================
``govshare.delivery.<agreement>.rows``          gauge    rows staged (read from the provider and checked)
``govshare.delivery.<agreement>.rows_delivered`` gauge   rows that reached the subscriber's table (0 if blocked)
``govshare.delivery.<agreement>.bytes``         gauge    bytes staged
``govshare.delivery.<agreement>.duration``      timer    seconds from preflight to record
``govshare.delivery.<agreement>.check_pass_rate`` gauge  percent of quality rules passed
``govshare.delivery.<agreement>.freshness_lag``  gauge    seconds between the newest update and delivery
``govshare.delivery.<agreement>.succeeded``      counter  / ``.failed`` / ``.error`` (a check could not run)
``govshare.front_db.<agency>.up``               gauge    1 healthy, 0 not
``govshare.anomaly.<kind>``                     counter  anomalies found (volume, overdue, …)
=============================================  =======  ===================================================
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk.observability import stats
from airflow.sdk.observability.metrics import stats_utils

from govshare.registry import deliveries
from govshare.registry import models as m


def _stats():
    """Airflow's metrics backend as ``[metrics]`` configures it now. Airflow's task runner sets it
    up once per task, dag.test() and the CLI do not; setting it up again is
    cheap (a UDP socket) and follows configuration changes, so it is done on every call."""
    from airflow.configuration import conf

    stats.initialize(
        factory=stats_utils.get_stats_factory(), export_legacy_names=conf.getboolean("metrics", "legacy_names_on")
    )
    return stats


def delivery(d: m.Delivery, provider: str, subscriber: str) -> None:
    s = _stats()
    base = f"govshare.delivery.{d.agreement_code}"
    tags = {"agreement": d.agreement_code, "provider": provider, "subscriber": subscriber}
    s.incr(f"{base}.{d.status}", tags=tags)
    if d.rows is not None:
        s.gauge(f"{base}.rows", d.rows, tags=tags)
    if (delivered := deliveries.rows_delivered(d)) is not None:
        s.gauge(f"{base}.rows_delivered", delivered, tags=tags)
    if d.bytes is not None:
        s.gauge(f"{base}.bytes", d.bytes, tags=tags)
    if d.duration_seconds is not None:
        s.timing(f"{base}.duration", timedelta(seconds=d.duration_seconds), tags=tags)
    checks = (d.checks_passed or 0) + (d.checks_failed or 0) + (d.checks_warned or 0)
    if checks:
        s.gauge(f"{base}.check_pass_rate", 100.0 * (d.checks_passed or 0) / checks, tags=tags)
    if d.freshness_lag_seconds is not None:
        s.gauge(f"{base}.freshness_lag", d.freshness_lag_seconds, tags=tags)


def front_db(agency: str, healthy: bool) -> None:
    _stats().gauge(f"govshare.front_db.{agency}.up", 1 if healthy else 0, tags={"agency": agency})


def anomaly(kind: str, agreement: str) -> None:
    _stats().incr(f"govshare.anomaly.{kind}", tags={"agreement": agreement})
