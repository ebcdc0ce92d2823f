"""One run of each kind, timed, and read back from Airflow's metadata DB: the raw pipe, a DAG
run by ``airflow dags test``, a DAG run by the cluster's scheduler."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg

from bench.delivery.install import SOURCE, STATE, TARGET, Platform
from bench.delivery.memory import TaskMemory
from bench.exchange.common import checkpoint
from bench.exchange.pipe import variant_a
from govshare.cluster.runner import ClusterRunner

DATA_TASKS = ("stage", "check", "publish")  # the tasks that move and judge the rows


@dataclass
class Measured:
    what: str  # pipe, delivery, floor
    how: str  # psql, dags test, scheduler
    wall: float  # seconds, as its user waits for it
    tasks: dict[str, float] = field(default_factory=dict)  # task id → seconds (Airflow's start to end)
    rss_mb: dict[str, float] = field(default_factory=dict)  # task id (or the process) → peak RSS

    @property
    def data(self) -> float:
        return sum(self.tasks.get(t, 0.0) for t in DATA_TASKS)

    @property
    def fixed(self) -> float:
        return self.wall - self.data


def pipe(platform: Platform) -> Measured:
    result = variant_a(platform.databases.src, platform.databases.dst, SOURCE[1])
    return Measured("pipe", "psql", result["seconds"], rss_mb={"psql": result["peak_rss_mb"]})


def dags_test(platform: Platform, runner: ClusterRunner, what: str, dag_id: str) -> Measured:
    checkpoint(platform.databases.dst)
    log = STATE / f"dags-test-{dag_id}.log"
    started = time.monotonic()
    with log.open("w") as out, paused(runner, dag_id):
        process = subprocess.Popen(
            [sys.executable, "-m", "airflow", "dags", "test", dag_id], env=platform.env, stdout=out, stderr=out
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
    run_id, state = _last_run(platform, dag_id)
    if os.waitstatus_to_exitcode(status) or state != "success":
        raise SystemExit(f"`airflow dags test {dag_id}` ended {state}: see {log}")
    tasks = {task: seconds for task, (seconds, _) in _tasks(platform, dag_id, run_id).items()}
    return Measured(what, "dags test", wall, tasks, {"dags test process": usage.ru_maxrss / 1024})


@contextmanager
def paused(runner: ClusterRunner, dag_id: str) -> Iterator[None]:
    """The DAG paused in the cluster meanwhile: its scheduler would otherwise queue the tasks of
    the run `dags test` makes, beside `dags test` running them itself."""

    def pause(state: bool) -> None:
        runner.api.request("PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": state}).raise_for_status()

    runner.wait_for_dag(dag_id)
    pause(True)
    try:
        yield
    finally:
        pause(False)


def scheduled(platform: Platform, runner: ClusterRunner, memory: TaskMemory, what: str, dag_id: str) -> Measured:
    checkpoint(platform.databases.dst)
    run = runner.start(dag_id, STATE / f"scheduler-{dag_id}.log")
    if run.wait() != 0:
        raise SystemExit(f"the scheduler's run of {dag_id} ended {run.state}: see {run.log}")
    with platform.metadata() as conn:
        wall = conn.execute(
            "SELECT extract(epoch FROM end_date - queued_at) FROM dag_run WHERE dag_id = %s AND run_id = %s",
            (dag_id, run.run_id),
        ).fetchone()[0]
    time.sleep(memory.interval * 3)  # the last look at the last task's process
    tasks = _tasks(platform, dag_id, run.run_id)
    rss = {task: memory.peaks[ti] for task, (_, ti) in tasks.items() if ti in memory.peaks}
    return Measured(what, "scheduler", float(wall), {t: s for t, (s, _) in tasks.items()}, rss)


def _last_run(platform: Platform, dag_id: str) -> tuple[str, str]:
    with platform.metadata() as conn:
        return conn.execute(
            "SELECT run_id, state FROM dag_run WHERE dag_id = %s ORDER BY id DESC LIMIT 1", (dag_id,)
        ).fetchone()


def _tasks(platform: Platform, dag_id: str, run_id: str) -> dict[str, tuple[float, str]]:
    with platform.metadata() as conn:
        rows = conn.execute(
            "SELECT task_id, extract(epoch FROM end_date - start_date), id::text FROM task_instance "
            "WHERE dag_id = %s AND run_id = %s ORDER BY start_date",
            (dag_id, run_id),
        ).fetchall()
    return {task: (float(seconds or 0.0), ti) for task, seconds, ti in rows}


def delivered_rows(platform: Platform) -> int:
    with psycopg.connect(platform.databases.dst) as conn:
        return conn.execute(f'SELECT count(*) FROM "{TARGET[0]}"."{TARGET[1]}"').fetchone()[0]
