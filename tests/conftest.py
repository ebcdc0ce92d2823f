"""Shared fixtures: a real PostgreSQL server, throwaway databases, a migrated registry.

`make test` provides the server (see govshare.devserver); running pytest directly finds or
starts one the same way. Nothing here imports Airflow: its configuration must be in the
environment before the first import, which this file arranges.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from govshare import devserver
from govshare.demo.mailbox import Mailbox

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"

_started_here = False
if not os.environ.get("GOVSHARE_PG_URL") or not os.environ.get("AIRFLOW_HOME"):
    _server = devserver.find_or_start()
    _started_here = _server.started_here
    devserver.ensure_database(_server, devserver.AIRFLOW_DB)
    os.environ.update(devserver.environment(_server))
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")
# Each test has a registry of its own, so DAG ids (AGR-0001, …) recur with other content within
# seconds; Airflow would keep serving the older serialized DAG for up to 30 s.
os.environ["AIRFLOW__CORE__MIN_SERIALIZED_DAG_UPDATE_INTERVAL"] = "0"


def _move_the_clock() -> str | None:
    """GOVSHARE_TEST_DATE (``2027-06-15`` or ``2026-12-31T23:50``, Beijing time) runs the suite on
    another date: tests/timetravel/sitecustomize.py moves Python's clock by the same fixed shift
    in this process and, through PYTHONPATH, in every Python process the tests start. A date
    alone keeps the current time of day."""
    from govshare.settings import setting

    wanted = (setting("test_date") or "").strip()
    if not wanted:
        return None
    from datetime import datetime

    from govshare import clock

    try:
        moment = datetime.fromisoformat(wanted)
    except ValueError:
        raise pytest.UsageError(f"GOVSHARE_TEST_DATE={wanted!r}: give a date or time such as 2027-06-15") from None
    if "T" not in wanted and " " not in wanted:
        moment = datetime.combine(moment.date(), clock.wall_clock().time())
    moment = moment.replace(tzinfo=clock.TIMEZONE)
    os.environ["GOVSHARE_CLOCK_SHIFT"] = str((moment - clock.now()).total_seconds())
    travel = Path(__file__).parent / "timetravel"
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(travel), os.environ.get("PYTHONPATH")]))
    spec = importlib.util.spec_from_file_location("govshare_timetravel", travel / "sitecustomize.py")
    spec.loader.exec_module(importlib.util.module_from_spec(spec))  # this process too, from here on
    return f"{clock.now():%Y-%m-%d %H:%M} Beijing time"


_moved_to = _move_the_clock()


def _airflow_database() -> str | None:
    """The tests' own Airflow metadata DB, never the demo's: the tests' DAG runs would crowd the
    demo's in `make airflow`. A run on another date gets a fresh one, dropped again at the end:
    Airflow takes the newest serialized DAG by its timestamp, so rows from a moved clock's
    future would be served in every later run."""
    server = devserver.Server(os.environ["GOVSHARE_PG_URL"], "configured")
    name = f"gst_airflow_moved_{os.getpid()}" if _moved_to else "govshare_airflow_test"
    if _moved_to:
        _drop(name)
    devserver.ensure_database(server, name)
    os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = server.database_url(name, "psycopg")
    return name if _moved_to else None


def pytest_report_header(config):
    return f"govshare clock moved to {_moved_to} (GOVSHARE_TEST_DATE)" if _moved_to else None


_templates: dict[str, str] = {}


def pytest_sessionfinish(session, exitstatus):
    for dbname in [*_templates.values(), *filter(None, [_moved_airflow_db])]:
        _drop(dbname)
    if _started_here:
        devserver.project_server().stop()


def admin_url(dbname: str = "postgres") -> str:
    server = devserver.Server(os.environ["GOVSHARE_PG_URL"], "configured")
    return server.database_url(dbname)


def _drop(dbname: str) -> None:
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))


def _create(dbname: str, template: str | None = None) -> None:
    """Create the database, with parallel plans forced in it: PostgreSQL plans in parallel only
    on large tables, so without this a function wrongly labelled PARALLEL SAFE (or any query
    that breaks in a parallel worker) would pass every fixture-sized test and fail in production."""
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname))
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        conn.execute(statement)
        setting = "debug_parallel_query" if conn.info.server_version >= 160000 else "force_parallel_mode"
        conn.execute(sql.SQL("ALTER DATABASE {} SET {} = on").format(sql.Identifier(dbname), sql.Identifier(setting)))


_moved_airflow_db = _airflow_database()


def _registry_template(with_catalog: bool) -> str:
    """A migrated registry (with the shipped catalogue filed, or empty) built once per session;
    each test copies it with CREATE DATABASE … TEMPLATE, which is far cheaper than migrating."""
    key = "catalog" if with_catalog else "empty"
    if key not in _templates:
        from govshare.registry.db import engine_for, session
        from govshare.registry.migrate import upgrade

        dbname = f"gst_template_{key}_{os.getpid()}"
        _drop(dbname)
        _create(dbname)
        url = admin_url(dbname).replace("postgresql://", "postgresql+psycopg://", 1)
        upgrade(url)
        if with_catalog:
            from govshare.registry.catalog_store import apply_catalog
            from tests.helpers import shipped_catalog

            with session(url) as s:
                apply_catalog(s, shipped_catalog(), source="test", applied_by="test")
        engine_for(url).dispose()
        _templates[key] = dbname
    return _templates[key]


@pytest.fixture
def make_database():
    """Factory: a fresh database with a unique name (empty, or a copy of ``template``); returns
    its psycopg URL."""
    created: list[str] = []

    def make(label: str, template: str | None = None) -> str:
        dbname = f"gst_{label}_{uuid.uuid4().hex[:8]}"
        _create(dbname, template)
        created.append(dbname)
        return admin_url(dbname)

    yield make
    for dbname in created:
        _drop(dbname)


def _registry(make_database, monkeypatch, with_catalog: bool):
    from govshare.registry.db import engine_for

    url = make_database("registry", _registry_template(with_catalog)).replace(
        "postgresql://", "postgresql+psycopg://", 1
    )
    monkeypatch.setenv("GOVSHARE_REGISTRY_URL", url)
    yield url
    engine_for(url).dispose()  # let DROP DATABASE go through without forcing our own sessions


@pytest.fixture
def registry(make_database, monkeypatch):
    """A migrated, empty registry; GOVSHARE_REGISTRY_URL points at it for the test."""
    yield from _registry(make_database, monkeypatch, with_catalog=False)


@pytest.fixture
def applied(make_database, monkeypatch):
    """A registry with the shipped catalogue filed as version 1."""
    yield from _registry(make_database, monkeypatch, with_catalog=True)


@pytest.fixture
def catalog_copy(tmp_path) -> Path:
    """A writable copy of include/ (catalogue and quality suites) for tests that change it."""
    target = tmp_path / "include"
    shutil.copytree(ROOT / "include", target)
    return target


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the real `govshare` command in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "govshare.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def mysql_database():
    """A fresh MySQL/MariaDB database (the server is GOVSHARE_MYSQL_URL or 127.0.0.1:3306)."""
    from tests.helpers import mysql_connect, mysql_url

    try:
        admin = mysql_connect()
    except Exception as exc:  # not a skip: the MySQL source is a required feature
        pytest.fail(
            f"no MySQL/MariaDB server at {mysql_url()} ({exc}); start one or set GOVSHARE_MYSQL_URL", pytrace=False
        )
    name = f"gst_my_{uuid.uuid4().hex[:8]}"
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    yield name
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    admin.close()


@pytest.fixture
def mailbox(tmp_path, monkeypatch):
    """A real SMTP server on a free port; Airflow's govshare_smtp connection points at it."""
    with Mailbox(tmp_path / "mail") as box:
        monkeypatch.setenv("AIRFLOW_CONN_GOVSHARE_SMTP", box.connection)
        yield box
