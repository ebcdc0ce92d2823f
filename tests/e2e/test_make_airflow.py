"""`make airflow` (airflow standalone through the devserver) leaves nothing running when it is
killed, and starts no more task processes than the machine has slots for."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from govshare.devserver import task_slots
from tests.leftovers import command, describe, kill_all, started_in

pytestmark = pytest.mark.airflow

# The Makefile's `airflow` target.
MAKE_AIRFLOW = "airflow db migrate >/dev/null && exec airflow standalone"


def free_port() -> int:
    from govshare.cluster.settings import free_port

    return free_port()


def test_a_terminated_make_airflow_leaves_no_process_behind(applied, make_database, tmp_path):
    folder = tmp_path / "cwd"  # every process it starts works here (tests.leftovers)
    folder.mkdir()
    api_port = free_port()
    env = {
        **os.environ,
        # Airflow of its own: home, metadata DB, and ports nothing else uses (never 8080).
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": make_database("airflow").replace(
            "postgresql://", "postgresql+psycopg://"
        ),
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
    }
    env.pop("AIRFLOW__CORE__PARALLELISM", None)  # as `make airflow` starts: the devserver sizes it
    log = tmp_path / "make-airflow.log"
    try:
        with log.open("w") as out:
            run = subprocess.Popen(
                [sys.executable, "-m", "govshare.devserver", "run", "--", "sh", "-c", MAKE_AIRFLOW],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=folder,
            )
        _wait_for_local_executor_workers(run, api_port, folder, log)
        scheduler = next(p for p in started_in(folder) if command(p)[-1:] == ["scheduler"])
        assert scheduler.environ()["AIRFLOW__CORE__PARALLELISM"] == str(task_slots())
        # The platform DAGs' first runs are scheduled at once: Airflow's default parallelism (32)
        # would start 32 worker processes here. (Each runs its task in a child of its own.)
        executors = [p for p in scheduler.children() if "LocalExecutor" in " ".join(command(p))]
        assert 0 < len(executors) <= task_slots()

        before = started_in(folder)
        assert len(before) > len(executors) + 4  # standalone, scheduler, dag-processor, api-server, …
        run.send_signal(signal.SIGTERM)  # as `kill` or a cancelled job does
        assert run.wait(timeout=180) == 128 + signal.SIGTERM
        assert started_in(folder) == [], "left behind:\n" + describe(started_in(folder))
    finally:
        kill_all(folder)


def _wait_for_local_executor_workers(run, api_port: int, folder, log) -> list:
    for _ in range(600):
        if run.poll() is not None:
            pytest.fail(f"make airflow's command exited with {run.returncode}:\n{log.read_text()[-3000:]}")
        try:
            up = httpx.get(f"http://127.0.0.1:{api_port}/api/v2/monitor/health", timeout=2).status_code == 200
        except httpx.TransportError:
            up = False
        executors = [p for p in started_in(folder) if "LocalExecutor" in " ".join(command(p))]
        if up and executors:
            return executors
        time.sleep(0.5)
    pytest.fail("airflow standalone did not come up:\n" + log.read_text()[-3000:])
