"""How the demo has Airflow run a DAG.

``DagsTest`` runs it in a child process with ``airflow dags test``: no scheduler, no workers,
the setup of ``make demo``. A runner for the production topology (``make cluster-demo``)
triggers the run through the cluster's scheduler instead; the demo only needs ``start``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Protocol

from govshare.demo.task_logs import file_task_logs


class Running(Protocol):
    """A DAG run under way: ``poll()`` is None until it ends, then its exit code."""

    def poll(self) -> int | None: ...

    def wait(self) -> int: ...


class DagRunner(Protocol):
    def start(self, dag_id: str, log: Path) -> Running:
        """Start one run of ``dag_id``; what Airflow prints goes to ``log``."""
        ...


class DagsTest:
    """``airflow dags test DAG_ID`` in a child process; when it ends, each task's part of its
    output is filed as that task's log, where Airflow's UI reads it (see task_logs)."""

    def start(self, dag_id: str, log: Path) -> Running:
        with log.open("w") as out:
            process = subprocess.Popen(["airflow", "dags", "test", dag_id], stdout=out, stderr=subprocess.STDOUT)
        return _DagsTestRun(process, dag_id, log)


class _DagsTestRun:
    def __init__(self, process: subprocess.Popen, dag_id: str, log: Path):
        self.process, self.dag_id, self.log = process, dag_id, log
        self._filed = False

    def poll(self) -> int | None:
        code = self.process.poll()
        if code is not None and not self._filed:
            file_task_logs(self.log, self.dag_id, _base_log_folder())
            self._filed = True
        return code

    def wait(self) -> int:
        self.process.wait()
        return self.poll()


def _base_log_folder() -> Path:
    """Where Airflow keeps task logs (read from the environment: importing Airflow's
    configuration here would set up its logging in the demo's own process)."""
    configured = os.environ.get("AIRFLOW__LOGGING__BASE_LOG_FOLDER")
    return Path(configured) if configured else Path(os.environ.get("AIRFLOW_HOME", "~/airflow")).expanduser() / "logs"
