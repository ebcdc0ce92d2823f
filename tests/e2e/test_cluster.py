"""`make cluster` for real: the CeleryExecutor topology with two workers, Redis and PostgreSQL,
started by `python -m govshare.cluster up`, running agreements through its scheduler.

One test, because starting the cluster is the expensive part: two agreements' runs at once
run on both workers; then a worker is SIGKILLed (every process of it, as when its machine
dies) while it stages a slow provider's rows, the task runs again on the other worker and the
target equals the clean run's; then SIGTERM stops every process the cluster started.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import suppress

import psutil
import psycopg
import pytest
import redis

from govshare.cluster.runner import ClusterRunner
from govshare.cluster.settings import SECRETS_FILE, free_port
from govshare.registry import deliveries
from govshare.registry.db import session
from tests.helpers import active_agreement, checksum, execute, population_front_db, query, request
from tests.leftovers import command, describe, kill_all, started_in

pytestmark = [pytest.mark.airflow, pytest.mark.cluster]

ITEMS = ["person_id", "citizen_id", "name", "gender", "birth_date", "region_code", "updated_at"]
PEOPLE = 400
ROW_PAUSE = 0.05  # seconds the slow provider takes per row: a stage of ~20 s, long enough to kill

# The provider's table behind a view that reads it slowly: the same rows, the same columns.
SLOW_PROVIDER = f"""
ALTER TABLE exchange.population_register RENAME TO population_rows;
CREATE FUNCTION exchange.pause() RETURNS boolean LANGUAGE plpgsql VOLATILE AS
  $$ BEGIN PERFORM pg_sleep({ROW_PAUSE}); RETURN true; END $$;
CREATE VIEW exchange.population_register AS SELECT * FROM exchange.population_rows WHERE exchange.pause();
"""


@pytest.fixture
def redis_database():
    """A Redis database of the local server (127.0.0.1:6379) that nothing else uses, emptied after."""
    for number in range(1, 16):
        client = redis.Redis(db=number, socket_connect_timeout=2)
        try:
            if client.dbsize() == 0:
                break
        except redis.RedisError as exc:
            pytest.fail(f"the cluster test needs Redis on 127.0.0.1:6379 ({exc}); start redis-server", pytrace=False)
    else:
        pytest.fail("no empty Redis database among 1-15 on 127.0.0.1:6379", pytrace=False)
    yield f"redis://127.0.0.1:6379/{number}"
    client.flushdb()


@pytest.fixture
def cluster_world(applied, make_database, mailbox):
    """One provider, two subscribers, two active agreements reading the same population register."""
    front, mzt, rst = make_database("gat"), make_database("mzt"), make_database("rst")
    population_front_db(front, PEOPLE)
    raw = {"citizen_id": "none", "name": "none"}  # identity checks need them: the agreements say so
    first = active_agreement(request(items=ITEMS, masking=raw))
    second = active_agreement(
        request(
            subscriber_code="hb_rst",
            items=ITEMS,
            masking=raw,
            target_conn_id="sub_hb_rst",
            target_table="population_for_insurance",
            purpose="社会保险参保登记的身份核验",
        )
    )
    connections = {"front_hb_gat": front, "sub_hb_mzt": mzt, "sub_hb_rst": rst}
    return {"agreements": (first, second), "front": front, "mzt": mzt, "connections": connections}


def test_the_cluster_spreads_runs_over_two_workers_and_survives_a_killed_worker(
    cluster_world, make_database, redis_database, tmp_path, monkeypatch
):
    folder = tmp_path / "cwd"  # every process the cluster starts works here (tests.leftovers)
    folder.mkdir()
    api_port = free_port()
    env = {
        **os.environ,
        **{f"AIRFLOW_CONN_{k.upper()}": v for k, v in cluster_world["connections"].items()},
        # A cluster of its own: Airflow home, metadata DB, Redis database, api-server port.
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": make_database("airflow").replace(
            "postgresql://", "postgresql+psycopg://"
        ),
        "GOVSHARE_REDIS_URL": redis_database,
        "GOVSHARE_API_PORT": str(api_port),
        # One task at a time per worker, so that two runs at once need both workers.
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
        # Only the runs the test triggers.
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "5",
        # A dead worker's task is found within a minute, not five, and retried after seconds.
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "30",
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
        "GOVSHARE_RETRY_DELAY_SECONDS": "2",
        "GOVSHARE_STOP_GRACE_SECONDS": "15",
    }
    monkeypatch.setenv("GOVSHARE_RUN_TIMEOUT", "900")
    log = tmp_path / "cluster.log"
    seen: dict[int, psutil.Process] = {}
    with log.open("w") as out:
        cli = subprocess.Popen(
            [sys.executable, "-m", "govshare.cluster", "up", "--workers", "2"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=folder,
        )
    try:
        _wait_for(lambda: "workers joined" in log.read_text(), cli, log, "the cluster to be ready")
        workers = _joined_workers(log)
        assert len(workers) == 2
        _note_descendants(cli, seen)

        # A second cluster on the same metadata DB is refused before it starts anything.
        second = subprocess.run(
            [sys.executable, "-m", "govshare.cluster", "up"], env=env, cwd=folder, capture_output=True, text=True
        )
        assert second.returncode == 1 and "a scheduler is already running" in second.stderr, second.stderr
        runner = ClusterRunner(f"http://127.0.0.1:{api_port}", tmp_path / "airflow" / _PASSWORDS)
        first, second = cluster_world["agreements"]

        # Two agreements' runs at once, one task per worker at a time: both workers take tasks.
        runs = [runner.start(code, tmp_path / f"{code}-1.log") for code in (first, second)]
        assert [run.wait() for run in runs] == [0, 0], _logs(runs)
        with session() as s:
            for run in runs:
                delivery = deliveries.find(s, run.dag_id, run.run_id)
                assert (delivery.status, delivery.rows) == ("succeeded", PEOPLE)
        assert {a.hostname for run in runs for a in run.attempts} == set(workers), _logs(runs)
        clean = checksum(cluster_world["mzt"], ("public", "population_basic"), ITEMS, ["person_id"])
        assert clean[0] == PEOPLE

        # The provider becomes slow; the worker staging its rows dies mid-way.
        execute(cluster_world["front"], SLOW_PROVIDER)
        run = runner.start(first, tmp_path / f"{first}-2.log")
        victim = _wait_for(lambda: _staging_worker(runner, run, cluster_world["front"]), cli, log, "stage to run")
        _note_descendants(cli, seen)
        killed = _kill_worker(cli, victim)
        assert killed, f"no processes of {victim} found under the cluster"
        assert run.wait() == 0, _logs([run])
        stage = [a for a in run.attempts if a.task_id == "stage"]
        assert stage[0].hostname == victim and stage[0].state != "success", _logs([run])
        survivor = next(w for w in workers if w != victim)
        assert (stage[-1].hostname, stage[-1].state) == (survivor, "success"), _logs([run])
        assert {a.hostname for a in run.attempts if a.task_id in ("check", "publish")} == {survivor}
        with session() as s:
            delivery = deliveries.find(s, first, run.run_id)
        assert (delivery.status, delivery.rows) == ("succeeded", PEOPLE)
        assert checksum(cluster_world["mzt"], ("public", "population_basic"), ITEMS, ["person_id"]) == clean
        leftovers = query(
            cluster_world["mzt"],
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'govshare_staging' AND tablename LIKE 'stage\\_%'",
        )
        assert leftovers == [(0,)]  # the dead try's staging table did not stay behind either

        # SIGTERM (make cluster's Ctrl-C, a cancelled job): every process of it ends.
        _note_descendants(cli, seen)
        cli.send_signal(signal.SIGTERM)
        assert cli.wait(timeout=300) == 0, log.read_text()[-3000:]
        assert "cluster stopped" in log.read_text()
        survivors = [p for p in seen.values() if _alive(p)] + started_in(folder)
        assert survivors == [], "left behind:\n" + describe(survivors)

        # The shared secrets were used by every component and printed by none.
        secrets = json.loads((tmp_path / "airflow" / SECRETS_FILE).read_text())
        for path in [log, *(tmp_path / "logs" / "cluster").glob("*.log"), *run.log.parent.glob("AGR-*.log")]:
            text = path.read_text()
            assert all(secret not in text for secret in secrets.values()), f"a secret is in {path}"
    finally:
        if cli.poll() is None:
            cli.send_signal(signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                cli.wait(timeout=120)
        kill_all(folder)
        for process in seen.values():
            with suppress(psutil.Error):
                process.kill()


_PASSWORDS = "simple_auth_manager_passwords.json.generated"


def _wait_for(found, cli, log, what: str, seconds: float = 900):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cli.poll() is not None:
            pytest.fail(
                f"the cluster exited with {cli.returncode} while waiting for {what}:\n{log.read_text()[-4000:]}"
            )
        result = found()
        if result:
            return result
        time.sleep(1)
    pytest.fail(f"gave up waiting for {what}:\n{log.read_text()[-4000:]}")


def _joined_workers(log) -> list[str]:
    line = next(line for line in log.read_text().splitlines() if "workers joined" in line)
    return [name.strip() for name in line.split(":", 1)[1].split(",")]


def _staging_worker(runner: ClusterRunner, run, front: str) -> str | None:
    """The worker running ``run``'s stage, once the provider is busy streaming the rows to it."""
    response = runner.api.get(f"{run.path}/taskInstances/stage")
    if response.status_code != 200 or response.json().get("state") != "running":
        return None
    with psycopg.connect(front) as conn:
        copying = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' "
            "AND query LIKE 'COPY%%' AND pid <> pg_backend_pid()"
        ).fetchone()[0]
    if not copying:
        return None
    time.sleep(2)  # some rows are on their way into the staging table
    return response.json()["hostname"]


def _kill_worker(cli: subprocess.Popen, name: str) -> list[int]:
    """SIGKILL the worker ``name`` and every process under it at once, as when its machine dies."""
    leader = next(p for p in psutil.Process(cli.pid).children() if name in " ".join(command(p)))
    victims = [leader, *leader.children(recursive=True)]
    for process in victims:
        with suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(victims, timeout=10)
    return [p.pid for p in victims]


def _note_descendants(cli: subprocess.Popen, seen: dict) -> None:
    for process in psutil.Process(cli.pid).children(recursive=True):
        seen.setdefault(process.pid, process)


def _alive(process: psutil.Process) -> bool:
    try:  # is_running() compares the start time too: a reused pid is not the same process
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _logs(runs) -> str:
    return "\n\n".join(run.log.read_text()[-4000:] for run in runs)
