"""Shared fixtures: a real PostgreSQL server, throwaway databases, a migrated registry.

`make test` provides the server (see govshare.devserver); running pytest directly finds or
starts one the same way. Nothing here imports Airflow: its configuration must be in the
environment before the first import, which this file arranges.
"""

from __future__ import annotations

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


def pytest_sessionfinish(session, exitstatus):
    if _started_here:
        devserver.stop_project_server()


def admin_url(dbname: str = "postgres") -> str:
    server = devserver.Server(os.environ["GOVSHARE_PG_URL"], "configured")
    return server.database_url(dbname)


def _drop(dbname: str) -> None:
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))


@pytest.fixture
def make_database():
    """Factory: a fresh, empty database with a unique name; returns its psycopg URL."""
    created: list[str] = []

    def make(label: str) -> str:
        dbname = f"gst_{label}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin_url(), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
        created.append(dbname)
        return admin_url(dbname)

    yield make
    for dbname in created:
        _drop(dbname)


@pytest.fixture
def registry(make_database, monkeypatch) -> str:
    """A migrated, empty registry; GOVSHARE_REGISTRY_URL points at it for the test."""
    from govshare.registry.migrate import upgrade

    url = make_database("registry").replace("postgresql://", "postgresql+psycopg://", 1)
    upgrade(url)
    monkeypatch.setenv("GOVSHARE_REGISTRY_URL", url)
    yield url
    from govshare.registry.db import engine_for

    engine_for(url).dispose()  # let DROP DATABASE go through without forcing our own sessions


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
