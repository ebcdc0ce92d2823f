"""Faults injected for real — a worker killed mid-stage and mid-publish, a database stopped —
and after each, the subscriber's table checked by row count and content checksum."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psycopg
import pytest

from govshare.cluster.settings import free_port
from govshare.devserver import LocalServer
from govshare.errors import DatabaseUnreachable
from govshare.exchange.address import DatabaseAddress
from govshare.exchange.plan import STAGING_SCHEMA
from govshare.exchange.publish import publish
from govshare.exchange.stage import stage
from tests.conftest import ROOT
from tests.helpers import checksum, deliver, execute, population_front_db
from tests.integration.test_exchange import ITEMS, make_plan

TARGET = ("public", "population_basic")


def source_sum(url):
    return checksum(url, ("exchange", "population_register"), ITEMS, ["person_id"])


def target_sum(url):
    return checksum(url, TARGET, ITEMS, ["person_id"])


def worker(step: str, run_id: str, source: str, subscriber: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.fault_worker", step, run_id, source, subscriber],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


@pytest.fixture
def delivered(make_database):
    """A provider with 50,000 rows, a subscriber holding a previous, older delivery of them."""
    provider, subscriber = make_database("front"), make_database("sub")
    population_front_db(provider, 50_000)
    source, target = DatabaseAddress.from_url(provider), DatabaseAddress.from_url(subscriber)
    deliver(make_plan(), source, target, "run-0")
    execute(provider, "UPDATE exchange.population_register SET name = name || '新' WHERE person_id % 10 = 0")
    return provider, subscriber, source, target


def test_worker_killed_mid_stage_leaves_the_target_and_a_rerun_delivers(delivered):
    provider, subscriber, source, target = delivered
    before = target_sum(subscriber)
    locker = psycopg.connect(subscriber)  # hold the staging table's COPY mid-way: block its commit
    process = worker("stage", "run-1", provider, subscriber)
    assert process.stdout.readline().strip() == "started"

    def copying() -> bool:
        with psycopg.connect(subscriber) as conn:
            return (
                conn.execute("SELECT count(*) FROM pg_stat_progress_copy WHERE tuples_processed > 0").fetchone()[0] > 0
            )

    wait_until(lambda: copying() or process.poll() is not None)
    process.send_signal(signal.SIGKILL)
    process.wait()
    locker.close()
    assert target_sum(subscriber) == before
    deliver(make_plan(), source, target, "run-1")  # Airflow's retry of the same run
    assert target_sum(subscriber) == source_sum(provider) != before


def test_worker_killed_mid_publish_leaves_the_target_and_a_rerun_publishes(delivered):
    provider, subscriber, source, target = delivered
    before = target_sum(subscriber)
    stage(make_plan(), source, target, "run-1")
    reader = psycopg.connect(subscriber)  # a subscriber query keeps the old table open...
    reader.execute("SELECT count(*) FROM public.population_basic")
    process = worker("publish", "run-1", provider, subscriber)
    assert process.stdout.readline().strip() == "started"

    def publish_waits() -> bool:  # ...so the publish waits inside its transaction, key already built
        with psycopg.connect(subscriber) as conn:
            return (
                conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'govshare-subscriber' "
                    "AND wait_event_type = 'Lock'"
                ).fetchone()[0]
                > 0
            )

    wait_until(publish_waits)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    reader.close()
    # the server notices the dead client and rolls back; autocommit, because inside one transaction
    # pg_stat_activity answers from the snapshot its first read took and would never change
    with psycopg.connect(subscriber, autocommit=True) as conn:
        wait_until(
            lambda: (
                conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'govshare-subscriber'"
                ).fetchone()[0]
                == 0
            )
        )
        ledger = conn.execute(f"SELECT count(*) FROM {STAGING_SCHEMA}.publication WHERE run_id = 'run-1'").fetchone()[0]
    assert target_sum(subscriber) == before and ledger == 0
    result = publish(make_plan(), target, "run-1")
    assert not result.already_published
    assert target_sum(subscriber) == source_sum(provider) != before


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    """A PostgreSQL server of the test's own, which the test may stop and start."""
    server = LocalServer(tmp_path_factory.mktemp("pg") / "pgdata", free_port())
    server.start()
    yield server
    server.stop()


def _database_on(server: LocalServer, name: str) -> str:
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return server.url.rsplit("/", 1)[0] + f"/{name}"


def test_provider_down_fails_clearly_and_changes_nothing(own_server, make_database):
    provider = _database_on(own_server, "front_down")
    subscriber = make_database("sub")
    population_front_db(provider, 2_000)
    source, target = DatabaseAddress.from_url(provider), DatabaseAddress.from_url(subscriber)
    deliver(make_plan(), source, target, "run-0")
    before = target_sum(subscriber)
    own_server.stop()
    try:
        with pytest.raises(DatabaseUnreachable) as down:
            stage(make_plan(), source, target, "run-1")
        assert "cannot reach the provider database (connection 'front_hb_gat')" in str(down.value)
        assert target_sum(subscriber) == before
    finally:
        own_server.start()
    deliver(make_plan(), source, target, "run-1")  # the retry once it is back
    assert target_sum(subscriber) == source_sum(provider)


def test_subscriber_down_fails_clearly_and_loses_nothing(own_server, make_database):
    provider = make_database("front")
    subscriber = _database_on(own_server, "sub_down")
    population_front_db(provider, 2_000)
    source, target = DatabaseAddress.from_url(provider), DatabaseAddress.from_url(subscriber)
    stage(make_plan(), source, target, "run-1")
    own_server.stop()
    try:
        with pytest.raises(DatabaseUnreachable, match="subscriber database"):
            publish(make_plan(), target, "run-1")
    finally:
        own_server.start()
    publish(make_plan(), target, "run-1")  # the staged data survived; the retry publishes it
    assert target_sum(subscriber) == source_sum(provider)
