"""Monitoring run by Airflow: the front-DB health DAG against a database that goes down and
comes back (one incident opened, one closed, exactly two emails on a real SMTP server), and
delivery metrics received by a real StatsD listener."""

from __future__ import annotations

import socket

import psycopg
import pytest

from govshare.cluster.settings import free_port
from govshare.demo import front_db, sample_data
from govshare.devserver import LocalServer
from govshare.registry import models as m
from govshare.registry.db import session
from tests.e2e.conftest import dagbag
from tests.helpers import active_agreement, population_front_db, provider_now, request, shipped_catalog

pytestmark = pytest.mark.airflow


@pytest.fixture
def front_dbs(make_database, monkeypatch, tmp_path):
    """Every catalogued front table, healthy and fresh; public security's on a server of its own."""
    server = LocalServer(tmp_path / "pgdata", free_port())
    server.start()
    try:
        with psycopg.connect(server.url, autocommit=True) as conn:
            conn.execute("CREATE DATABASE front_gat")
        gat = server.url.rsplit("/", 1)[0] + "/front_gat"
        scjg, rst = make_database("scjg"), make_database("rst")
        people = population_front_db(gat, 100)
        catalog = shipped_catalog()
        with psycopg.connect(scjg) as conn:
            front_db.create_table(conn, catalog.resources["scjg_enterprise_register"])
            front_db.fill(conn, catalog.resources["scjg_enterprise_register"], sample_data.enterprises(20, people))
        with psycopg.connect(rst) as conn:
            for code in ("rst_social_insurance", "rst_medical_records"):
                front_db.create_table(conn, catalog.resources[code], keyed=False)
            front_db.fill(
                conn, catalog.resources["rst_social_insurance"], sample_data.social_insurance(50, people, [("x",)])
            )
        for url, table in ((gat, "population_register"), (scjg, "enterprise_register"), (rst, "social_insurance")):
            with psycopg.connect(url) as conn:
                conn.execute(f"UPDATE exchange.{table} SET updated_at = %s", (provider_now(),))  # fresh
        for conn_id, url in {"front_hb_gat": gat, "front_hb_scjg": scjg, "front_hb_rst": rst}.items():
            monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", url)
        yield server
    finally:
        server.stop()


def incidents() -> list[tuple]:
    with session() as s:
        return [(i.agency_code, i.closed_at is not None) for i in s.query(m.Incident).order_by(m.Incident.id)]


def test_a_front_db_that_goes_down_and_comes_back(airflow_db, applied, front_dbs, mailbox):
    health = dagbag().dags["platform_front_db_health"]
    assert health.test().state == "success"
    assert incidents() == [] and mailbox.received == []  # all healthy: nothing to say

    front_dbs.stop()
    assert health.test().state == "success"
    assert health.test().state == "success"  # still down: no second email
    assert incidents() == [("hb_gat", False)]

    front_dbs.start()
    assert health.test().state == "success"
    assert incidents() == [("hb_gat", True)]

    subjects = [str(msg["Subject"]) for msg in mailbox.received]
    assert len(subjects) == 2, subjects
    assert "前置交换库异常 front DB problem (hb_gat)" in subjects[0]
    assert "前置交换库已恢复 front DB healthy again (hb_gat)" in subjects[1]
    assert all(msg["To"] == "data@gat.hebei.gov.cn" for msg in mailbox.received)
    with session() as s:
        checks = s.query(m.FrontDbCheck).filter_by(agency_code="hb_gat").all()
    assert [c.ok for c in checks] == [True, False, False, True]
    assert "cannot reach the provider database" in checks[1].problem


def test_delivery_metrics_reach_statsd(airflow_db, applied, make_database, monkeypatch):
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(5)
    for key, value in {
        "STATSD_ON": "True",
        "STATSD_HOST": "127.0.0.1",
        "STATSD_PORT": str(listener.getsockname()[1]),
        "STATSD_PREFIX": "airflow",
    }.items():
        monkeypatch.setenv(f"AIRFLOW__METRICS__{key}", value)
    front, subscriber = make_database("gat"), make_database("mzt")
    population_front_db(front, 300)
    monkeypatch.setenv("AIRFLOW_CONN_FRONT_HB_GAT", front)
    monkeypatch.setenv("AIRFLOW_CONN_SUB_HB_MZT", subscriber)
    code = active_agreement(request(items=["person_id", "updated_at"]))
    assert dagbag().dags[code].test().state == "success"
    received = []
    try:
        while True:
            received += listener.recv(65536).decode().splitlines()
    except TimeoutError:
        pass
    names = {line.split(":")[0] for line in received}
    for metric in ("rows", "bytes", "duration", "check_pass_rate", "freshness_lag", "succeeded"):
        assert f"airflow.govshare.delivery.{code}.{metric}" in names, (metric, sorted(names)[:20])
    assert f"airflow.govshare.delivery.{code}.rows:300|g" in received
