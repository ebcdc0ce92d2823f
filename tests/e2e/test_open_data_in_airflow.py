"""Open data run by Airflow: the platform_open_data DAG publishes the open resource from its
front DB (found through its Airflow connection) into the store named by
GOVSHARE_OPEN_DATA_URL, is not due again within its cycle, and fails — keeping the files the
public reads — when a block rule fails."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest

from govshare.demo import front_db, sample_data
from govshare.opendata import files
from govshare.registry import models as m
from govshare.registry.db import session
from govshare.registry.statuses import PublicationStatus
from tests.e2e.conftest import dagbag
from tests.helpers import shipped_catalog

pytestmark = pytest.mark.airflow

OPEN = "scjg_enterprise_register"


@pytest.fixture
def store(airflow_db, applied, make_database, monkeypatch, tmp_path):
    front = make_database("scjg")
    resource = shipped_catalog().resources[OPEN]
    with psycopg.connect(front) as conn:
        front_db.create_table(conn, resource)
        front_db.fill(conn, resource, sample_data.enterprises(50, list(sample_data.population(60))))
    monkeypatch.setenv("AIRFLOW_CONN_FRONT_HB_SCJG", front)
    root = tmp_path / "open-data"
    monkeypatch.setenv("GOVSHARE_OPEN_DATA_URL", root.as_uri())
    return front, root


def statuses() -> list[str]:
    with session() as s:
        return [str(p.status) for p in s.query(m.Publication).order_by(m.Publication.id)]


def test_the_open_data_dag_publishes_on_the_cycle_and_a_block_keeps_the_files(store):
    front, root = store
    dag = dagbag().dags["platform_open_data"]
    assert dag.schedule == "@hourly"
    assert dag.test().state == "success"
    pointer = files.read_pointer(root, OPEN)
    assert pointer["rows"] == 50 and {f["format"] for f in pointer["files"]} == {"csv", "parquet"}
    assert (root / "catalog.ttl").exists() and (root / "catalog.jsonld").exists()
    assert statuses() == ["published"]

    assert dag.test().state == "success"  # a daily resource is not due an hour later
    assert statuses() == ["published"]

    with psycopg.connect(front) as conn:  # a code with a wrong check character: a block rule fails
        conn.execute(
            "UPDATE exchange.enterprise_register SET uscc = '91130000MA00000000' WHERE uscc = "
            "(SELECT min(uscc) FROM exchange.enterprise_register)"
        )
    with session() as s:  # a cycle later
        s.query(m.Publication).update({m.Publication.started_at: m.Publication.started_at - timedelta(days=1)})
    assert dag.test().state == "failed"  # an operator looks at it
    assert statuses() == ["published", "blocked"]
    assert dag.test().state == "success"  # the block waits a cycle (or `opendata publish --all`)
    assert statuses() == ["published", "blocked"]
    assert files.read_pointer(root, OPEN) == pointer
    assert (files.dataset(root, OPEN) / pointer["version"] / f"{OPEN}.csv").exists()
    with session() as s:
        assert s.query(m.Publication).filter_by(status=PublicationStatus.BLOCKED).one().rows == 50
        told = s.query(m.Notification).filter_by(kind="open_data.blocked").one()  # the provider hears why
        assert told.recipients == ["xxzx@scjg.hebei.gov.cn"] and "uscc_valid" in told.text_body
