"""Fixtures for tests that run Airflow itself."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from govshare.demo import front_db, sample_data
from tests.conftest import ROOT
from tests.helpers import population_front_db, shipped_catalog


@pytest.fixture(scope="session")
def airflow_db():
    """Airflow's metadata DB, migrated once per test session."""
    done = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def dagbag():
    """Airflow's own parse of the dags/ folder, as the dag-processor does it."""
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags"))


@pytest.fixture
def world(airflow_db, applied, make_database, monkeypatch, mailbox):
    front_gat, front_rst, front_scjg, subscriber = (make_database(n) for n in ("gat", "rst", "scjg", "mzt"))
    people = population_front_db(front_gat, 400)
    catalog = shipped_catalog()
    with psycopg.connect(front_rst) as conn:
        front_db.create_table(conn, catalog.resources["rst_social_insurance"], keyed=False)
        front_db.fill(
            conn,
            catalog.resources["rst_social_insurance"],
            sample_data.social_insurance(300, people, [("91130102MA0000000X",)]),
        )
    enterprises = list(sample_data.enterprises(200, people))
    with psycopg.connect(front_scjg) as conn:
        front_db.create_table(conn, catalog.resources["scjg_enterprise_register"])
        front_db.fill(conn, catalog.resources["scjg_enterprise_register"], enterprises)
    for conn_id, url in {
        "front_hb_gat": front_gat,
        "front_hb_rst": front_rst,
        "front_hb_scjg": front_scjg,
        "sub_hb_mzt": subscriber,
    }.items():
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", url)
    return {"people": people, "enterprises": enterprises, "subscriber": subscriber, "mail": mailbox}


@dataclass(frozen=True)
class ApiServer:
    root: str  # http://127.0.0.1:<port>
    user: str  # an Airflow UI user (simple auth manager) and its password
    password: str


@pytest.fixture
def api_server(airflow_db, tmp_path):
    """Airflow's real api-server, serving the UI and the govshare plugin, on a free port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log_path = tmp_path / "api-server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "airflow", "api-server", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "AIRFLOW__API__PORT": str(port)},
            cwd=ROOT,
        )
    try:
        root = f"http://127.0.0.1:{port}"
        for _ in range(120):
            if server.poll() is not None:  # it exited: no use waiting
                pytest.fail("the api-server stopped: " + log_path.read_text()[-3000:])
            try:
                if httpx.get(f"{root}/govshare/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail("the api-server did not come up: " + log_path.read_text()[-3000:])
        passwords = json.loads(
            (Path(os.environ["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated").read_text()
        )
        user, password = next(iter(passwords.items()))
        yield ApiServer(root, user, password)
    finally:
        server.terminate()
        server.wait(timeout=30)
