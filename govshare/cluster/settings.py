"""The settings a CeleryExecutor cluster needs, each with the reason it is set.

Found necessary when the topology was first run (issue 10) and the same in
docker-compose.yml. ``environment`` gives every component's variables; ``worker`` adds what
differs between two workers on one host. A variable already set in the environment wins over
a default marked *tunable* (so a test can shorten a timeout); the rest describe this cluster
and are always set.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from govshare.cluster.hostname import WORKER_NAME
from govshare.devserver import task_slots

SECRETS_FILE = "cluster-secrets.json"

# Defaults an operator (or a test) may override by setting the variable.
TUNABLE = {
    # Airflow's 5 s timed out under load (2 cores, a delivery and GX's import at once): the
    # worker gave the task up for dead, killed it and it ran again.
    "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "30",
    # Redis hands a task's message to another worker when it is unacknowledged this long (Airflow
    # acknowledges late, when the task ends): longer than any task may run (execution_timeout
    # 2 h), so a running task is never started a second time beside itself.
    "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": "10800",
    # An activated agreement's DAG appears within half a minute (as with `make airflow`).
    "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
    "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "15",
}


@dataclass(frozen=True)
class Secrets:
    """Shared by every component; generated once and kept in ``AIRFLOW_HOME/cluster-secrets.json``
    (mode 0600). Never printed."""

    jwt_secret: str  # signs the tokens tasks (and API clients) present: HS512 wants >= 64 bytes
    api_secret_key: str  # signs UI sessions and the api-server's log requests to workers

    @classmethod
    def load_or_create(cls, airflow_home: Path) -> Secrets:
        import secrets

        path = airflow_home / SECRETS_FILE
        if not path.exists():
            airflow_home.mkdir(parents=True, exist_ok=True)
            # token_urlsafe(64): 64 random bytes, 86 characters (token_urlsafe(32) gives 43, and
            # Airflow warns that the HS512 key is too short).
            fresh = {"jwt_secret": secrets.token_urlsafe(64), "api_secret_key": secrets.token_urlsafe(32)}
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as out:
                json.dump(fresh, out)
        path.chmod(0o600)
        stored = json.loads(path.read_text())
        return cls(stored["jwt_secret"], stored["api_secret_key"])


def worker_concurrency(env: Mapping[str, str], workers: int) -> int:
    """Tasks one worker runs at once: the machine's task slots shared among its workers (an
    explicit ``AIRFLOW__CELERY__WORKER_CONCURRENCY`` wins)."""
    configured = env.get("AIRFLOW__CELERY__WORKER_CONCURRENCY", "").strip()
    return int(configured) if configured else max(1, task_slots() // workers)


def environment(
    base: Mapping[str, str], *, broker_url: str, api_port: int, workers: int, secrets: Secrets
) -> dict[str, str]:
    """The variables of every component, on top of ``base`` (the devserver environment)."""
    env = dict(base)
    for name, value in TUNABLE.items():
        env.setdefault(name, value)
    concurrency = worker_concurrency(base, workers)
    metadata = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    env.update(
        {
            # Tasks go through Redis to Celery workers, not to processes of the scheduler.
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CELERY__BROKER_URL": broker_url,
            # Task states beside Airflow's metadata in PostgreSQL: Redis holds only the queue.
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{metadata}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(concurrency),
            # The scheduler queues no more than the workers can run.
            "AIRFLOW__CORE__PARALLELISM": str(concurrency * workers),
            # Workers report every task's state to the execution API of this api-server.
            "AIRFLOW__API__PORT": str(api_port),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
            # One key on every component: a token signed by one (the scheduler, for a task) is
            # checked by another (the api-server). Airflow would make a 16-byte one per airflow.cfg.
            "AIRFLOW__API_AUTH__JWT_SECRET": env.get("AIRFLOW__API_AUTH__JWT_SECRET") or secrets.jwt_secret,
            "AIRFLOW__API_AUTH__JWT_ISSUER": "govshare",
            "AIRFLOW__API__SECRET_KEY": env.get("AIRFLOW__API__SECRET_KEY") or secrets.api_secret_key,
            # The triggerer serves its logs too; on a free port, not the default 8794 that a
            # `make airflow` on this machine may hold.
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        }
    )
    return env


def worker(env: Mapping[str, str], index: int) -> tuple[str, dict[str, str]]:
    """A worker's Celery node name and its variables: what differs between two on one host."""
    name = f"worker-{index}@{socket.gethostname()}"
    return name, {
        **env,
        # Recorded as the hostname of the task instances it runs (both would be the host's name).
        WORKER_NAME: name,
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": "govshare.cluster.hostname.worker_name",
        # Each worker's log server on a port of its own: the second would fail to bind 8793.
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
