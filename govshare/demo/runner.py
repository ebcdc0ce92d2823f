"""How the demo has Airflow run a DAG.

``DagsTest`` runs it in a child process with ``airflow dags test``: no scheduler, no workers,
the setup of ``make demo``. A runner for the production topology (``make cluster-demo``)
triggers the run through the cluster's scheduler instead; the demo only needs ``start``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Protocol


class Running(Protocol):
    """A DAG run under way: ``poll()`` is None until it ends, then its exit code."""

    def poll(self) -> int | None: ...

    def wait(self) -> int: ...


class DagRunner(Protocol):
    def start(self, dag_id: str, log: Path) -> Running:
        """Start one run of ``dag_id``; what Airflow prints goes to ``log``."""
        ...


class DagsTest:
    """``airflow dags test DAG_ID`` in a child process."""

    def start(self, dag_id: str, log: Path) -> Running:
        with log.open("w") as out:
            return subprocess.Popen(["airflow", "dags", "test", dag_id], stdout=out, stderr=subprocess.STDOUT)
