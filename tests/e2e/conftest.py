"""Fixtures for tests that run Airflow itself."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from govshare.demo.mailbox import Mailbox
from tests.conftest import ROOT


@pytest.fixture(scope="session")
def airflow_db():
    """Airflow's metadata DB, migrated once per test session."""
    done = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


@pytest.fixture
def mailbox(tmp_path, monkeypatch):
    """A real SMTP server on a free port; Airflow's govshare_smtp connection points at it."""
    with Mailbox(tmp_path / "mail") as box:
        monkeypatch.setenv(
            "AIRFLOW_CONN_GOVSHARE_SMTP",
            json.dumps(
                {
                    "conn_type": "smtp",
                    "host": "127.0.0.1",
                    "port": box.port,
                    "extra": {"disable_tls": True, "disable_ssl": True},
                }
            ),
        )
        yield box


def dagbag():
    """Airflow's own parse of the dags/ folder, as the dag-processor does it."""
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags"))
