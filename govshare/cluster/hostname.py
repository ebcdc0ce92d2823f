"""The name a Celery worker records as the hostname of the task instances it runs.

Airflow records ``socket.getfqdn()`` by default, the same for two workers on one host, so
which worker ran a task could not be told. ``make cluster`` points
``AIRFLOW__CORE__HOSTNAME_CALLABLE`` here and gives each worker its Celery node name
(``worker-1@host``, as ``celery inspect`` shows it) in ``GOVSHARE_WORKER_NAME``. On a host of
its own (docker-compose.yml) a worker needs neither.
"""

from __future__ import annotations

import socket

from govshare.settings import setting

WORKER_NAME = "GOVSHARE_WORKER_NAME"


def worker_name() -> str:
    return setting("worker_name") or socket.getfqdn()
