"""Open data on Airflow: the store is an ObjectStoragePath (a local folder by default, any
fsspec store such as S3 through an Airflow connection), and the platform_open_data DAG
publishes through govshare.opendata."""

from __future__ import annotations

import logging

from airflow.sdk import DAG, ObjectStoragePath, task

from govshare import settings
from govshare.airflow.runtime import IN_A_TASK
from govshare.opendata import publication
from govshare.registry.db import session

log = logging.getLogger("govshare.opendata")


def store() -> ObjectStoragePath:
    """The open-data store (GOVSHARE_OPEN_DATA_URL, default .govshare/open-data in the home)."""
    url = settings.setting("open_data_url") or (settings.home() / ".govshare" / "open-data").as_uri()
    return ObjectStoragePath(url)


def publish_round(run_id: str, force: bool = False) -> publication.Round:
    done = publication.run_round(session, IN_A_TASK, store(), run_id, force=force)
    log.info(
        "open data: published %s; blocked %s; failed %s; withdrawn %s",
        done.published or "none",
        done.blocked or "none",
        done.failed or "none",
        done.withdrawn or "none",
    )
    if done.failed or done.blocked:  # the rest was published; an operator looks at these
        raise RuntimeError(f"open data not published: {', '.join(done.failed + done.blocked)} (see the log above)")
    return done


def open_data_dag(platform_dag) -> DAG:
    with platform_dag(
        "platform_open_data",
        "Hourly: publish each open resource on its update cycle (CSV, Parquet, DCAT); withdraw what is no longer open",
        publication.__doc__,
        "open-data",
    ) as dag:
        # No retries: the round is hourly and is its own retry (a failed resource is due
        # again at once, a blocked one after its cycle), and a retry of a block blocks again.
        @task(task_id="publish_open_data", retries=0)
        def publish_open_data(run_id: str | None = None) -> None:
            publish_round(run_id or "manual")

        publish_open_data()
    return dag
