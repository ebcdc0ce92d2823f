"""Deliveries run by Airflow with masks, pseudonyms, a row filter and a MySQL source: what the
subscriber gets, and that no raw ID or phone number reaches the target, the task logs, XComs
or rendered templates."""

from __future__ import annotations

import json
import os

import psycopg
import pytest
from sqlalchemy.engine import make_url

from govshare.catalog.model import Catalog
from govshare.demo import sample_data
from govshare.registry import deliveries
from govshare.registry.catalog_store import apply_catalog
from govshare.registry.db import session
from tests.e2e.conftest import dagbag
from tests.helpers import (
    active_agreement,
    mysql_front_table,
    mysql_url,
    population_front_db,
    request,
    shipped_catalog,
)
from tests.integration.test_exchange_modes import ID_NUMBER, MOBILE, everything_in

pytestmark = pytest.mark.airflow
KEY = "pseudonym-key-for-tests-" + "x" * 24


@pytest.fixture
def airflow_conns(monkeypatch):
    def add(conn_id: str, url: str) -> None:
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", url)

    add("govshare_pseudonym_key", json.dumps({"conn_type": "generic", "password": KEY}))
    return add


def airflow_records(run_id: str) -> str:
    """Everything Airflow stored about a run: XComs and rendered templates."""
    url = make_url(os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as conn:
        xcoms = conn.execute("SELECT value::text FROM xcom WHERE run_id = %s", (run_id,)).fetchall()
        rendered = conn.execute(
            "SELECT rendered_fields::text FROM rendered_task_instance_fields WHERE run_id = %s", (run_id,)
        ).fetchall()
    return str(xcoms) + str(rendered)


def test_masked_pseudonymised_filtered_delivery_leaks_nothing(
    airflow_db, applied, make_database, airflow_conns, capfd, caplog
):
    front, subscriber = make_database("gat"), make_database("rst")
    people = population_front_db(front, 500)
    airflow_conns("front_hb_gat", front)
    airflow_conns("sub_hb_rst", subscriber)
    code = active_agreement(
        request(
            subscriber_code="hb_rst",
            target_conn_id="sub_hb_rst",
            target_table="insured_people",
            items=["person_id", "citizen_id", "name", "region_code", "address", "phone"],
            masking={"citizen_id": "hmac"},  # name, address, phone: their defaults
            row_filter=[{"item": "region_code", "op": "prefix", "value": "1301"}],
        )
    )
    run = dagbag().dags[code].test()
    assert run.state == "success"
    expected = [p for p in people if p[5].startswith("1301")]
    with psycopg.connect(subscriber) as conn:
        rows = conn.execute("SELECT person_id, citizen_id, phone FROM public.insured_people ORDER BY 1").fetchall()
    assert [r[0] for r in rows] == [p[0] for p in expected]
    assert all(len(r[1]) == 64 for r in rows)
    raw_ids = {p[1] for p in people} | {p[7] for p in people if p[7]}
    # Everything printed, and every log record (how Airflow routes an in-process task's log to the
    # console depends on when its logging was set up; the records reach caplog either way).
    logs = "".join(capfd.readouterr()) + caplog.text
    for where, text in (
        ("target", everything_in(subscriber)),
        ("task logs", logs),
        ("XComs and rendered templates", airflow_records(run.run_id)),
    ):
        assert not ID_NUMBER.search(text), where
        assert not MOBILE.search(text), where
        assert not any(raw in text for raw in raw_ids), where
    assert "masked: citizen_id (hmac), name (name), address (truncate:10), phone (keep:3,4)" in logs


def test_a_mysql_front_db_delivered_through_airflow(
    airflow_db, make_database, mysql_database, airflow_conns, monkeypatch
):
    catalog = shipped_catalog()
    population = catalog.resources["gat_population_register"]
    moved = population.model_copy(
        update={"front_db": population.front_db.model_copy(update={"schema_": mysql_database})}
    )
    catalog = Catalog(
        agencies=catalog.agencies, elements=catalog.elements, resources={**catalog.resources, moved.code: moved}
    )
    registry = make_database("registry", _template())
    monkeypatch.setenv("GOVSHARE_REGISTRY_URL", registry.replace("postgresql://", "postgresql+psycopg://"))
    with session() as s:
        apply_catalog(s, catalog, source="test", applied_by="test")
    people = list(sample_data.population(400))
    mysql_front_table(mysql_database, moved, people)
    subscriber = make_database("mzt")
    airflow_conns("front_hb_gat", mysql_url().rstrip("/") + f"/{mysql_database}")
    airflow_conns("sub_hb_mzt", subscriber)
    code = active_agreement(
        request(
            items=["person_id", "citizen_id", "name", "updated_at"],
            masking={"citizen_id": "none", "name": "none"},
            mode="incremental",
            watermark="updated_at",
            deletions="key_diff",
        )
    )
    run = dagbag().dags[code].test()
    assert run.state == "success"
    with psycopg.connect(subscriber) as conn:
        delivered = conn.execute(
            "SELECT person_id, citizen_id, name, updated_at FROM public.population_basic ORDER BY 1"
        ).fetchall()
    assert delivered == [(p[0], p[1].ljust(18), p[2], p[8]) for p in people]
    with session() as s:
        delivery = deliveries.find(s, code, run.run_id)
    assert (delivery.status, delivery.rows, delivery.rows_merged) == ("succeeded", 400, 400)
    assert delivery.watermark_to is not None


def _template() -> str:
    from tests.conftest import _registry_template

    return _registry_template(with_catalog=False)
