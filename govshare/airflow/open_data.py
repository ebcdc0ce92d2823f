"""Open data on Airflow: the store is an ObjectStoragePath (a local folder by default, any
fsspec store such as S3 through an Airflow connection), and the round the platform_open_data
DAG runs."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from airflow.sdk import ObjectStoragePath

from govshare import settings
from govshare.airflow import mail
from govshare.airflow.runtime import IN_A_TASK
from govshare.registry.db import session

if TYPE_CHECKING:
    from govshare.opendata.publication import Round

log = logging.getLogger("govshare.opendata")


def store() -> ObjectStoragePath:
    """The open-data store (GOVSHARE_OPEN_DATA_URL, default .govshare/open-data in the home)."""
    url = settings.setting("open_data_url") or (settings.home() / ".govshare" / "open-data").as_uri()
    return ObjectStoragePath(url)


def publish_round(run_id: str, force: bool = False) -> Round:
    from govshare.opendata import publication  # pyarrow: in the task, not when the DAG file is parsed

    done = publication.run_round(session, IN_A_TASK, store(), run_id, force=force)
    log.info(
        "open data: published %s; blocked %s; failed %s; withdrawn %s",
        done.published or "none",
        done.blocked or "none",
        done.failed or "none",
        done.withdrawn or "none",
    )
    if done.failed or done.blocked:  # the rest was published; an operator looks at these
        mail.send_pending()  # the providers' emails about them: the DAG's send task will not run
        raise RuntimeError(f"open data not published: {', '.join(done.failed + done.blocked)} (see the log above)")
    return done
