"""Generated DAGs, parsed by Airflow's DagBag and run by Airflow (dag.test()) against real
front and subscriber databases."""

from __future__ import annotations

import json

import psycopg
import pytest

from govshare.demo import front_db, sample_data
from govshare.lifecycle import service
from govshare.registry import agreements, deliveries
from govshare.registry import models as m
from govshare.registry.db import session
from tests.e2e.conftest import dagbag
from tests.helpers import (
    active_agreement,
    checksum,
    columns_of,
    execute,
    operator,
    population_front_db,
    previous_delivery,
    request,
    shipped_catalog,
)

pytestmark = pytest.mark.airflow

POPULATION_ITEMS = ["person_id", "citizen_id", "name", "gender", "birth_date", "region_code", "updated_at"]
INSURANCE_ITEMS = ["record_id", "citizen_id", "insurance_type", "monthly_base", "status", "updated_at"]


@pytest.fixture
def dag_world(airflow_db, applied, make_database, monkeypatch):
    """Catalogue filed; population and social-insurance front DBs; one subscriber DB; Airflow
    connections for all three (as AIRFLOW_CONN_* variables); three agreements, two active."""
    front_gat, front_rst, subscriber = make_database("gat"), make_database("rst"), make_database("mzt")
    people = population_front_db(front_gat, 600)
    insurance = shipped_catalog().resources["rst_social_insurance"]
    with psycopg.connect(front_rst) as conn:
        front_db.create_table(conn, insurance, keyed=False)
        front_db.fill(conn, insurance, sample_data.social_insurance(900, people, [("91130102MA0000000X",)]))
    for conn_id, url in {"front_hb_gat": front_gat, "front_hb_rst": front_rst, "sub_hb_mzt": subscriber}.items():
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", url)
    specs = [
        ("gat_population_register", POPULATION_ITEMS, "population_basic", True),
        ("rst_social_insurance", INSURANCE_ITEMS, "social_insurance", True),
        ("scjg_enterprise_register", ["uscc", "name"], "enterprise_basic", False),
    ]
    for resource, items, table, active in specs:
        wanted = request(
            resource_code=resource,
            items=items,
            target_table=table,
            purpose="社会救助家庭经济状况核对",
            # raw ID numbers and names, stated explicitly: identity checks need them
            masking={"citizen_id": "none", "name": "none"} if resource == "gat_population_register" else {},
        )
        if active:
            active_agreement(wanted)
        else:
            with session() as s:
                agreements.create(s, wanted, created_by="test")
    return {"front_gat": front_gat, "front_rst": front_rst, "subscriber": subscriber}


PLATFORM = [
    "platform_audit_anchor",
    "platform_front_db_health",
    "platform_lifecycle",
    "platform_monitoring_reports",
    "platform_notifications",
    "platform_open_data",
    "platform_quality_digest",
    "platform_supervision_report",
]


def test_platform_schedules_are_defaults_an_operator_can_change(airflow_db, applied, monkeypatch):
    assert dagbag().dags["platform_front_db_health"].schedule == "@hourly"
    monkeypatch.setenv("GOVSHARE_SCHEDULE_PLATFORM_FRONT_DB_HEALTH", "*/15 * * * *")
    assert dagbag().dags["platform_front_db_health"].schedule == "*/15 * * * *"


def test_one_dag_per_active_agreement_and_none_for_inactive(dag_world):
    bag = dagbag()
    assert bag.import_errors == {}
    assert sorted(bag.dag_ids) == ["AGR-0001", "AGR-0002", *PLATFORM]  # AGR-0003 is a draft
    with session() as s:
        service.suspend(s, operator(), "AGR-0002", "test")
    assert sorted(dagbag().dag_ids) == ["AGR-0001", *PLATFORM]


def test_dag_shows_the_agreement(dag_world):
    dag = dagbag().dags["AGR-0001"]
    assert set(dag.tags) == {"govshare", "hb_gat", "hb_mzt", "gat_population_register"}
    assert dag.owner == "hb_gat"
    assert [t.task_id for t in dag.topological_sort()] == ["stage", "check", "publish", "record"]
    for text in (
        "河北省公安厅",
        "河北省民政厅",
        "人口基础信息",
        "社会救助家庭经济状况核对",
        "《社会救助暂行办法》",
        "`@daily`",
        "`citizen_id` | 公民身份号码 | id_number",
        "| Share type | 有条件共享 conditional",  # named as the pages name it
    ):
        assert text in dag.doc_md
    assert dag.max_active_runs == 1 and not dag.catchup


def test_generation_is_deterministic(dag_world):
    from airflow.serialization.serialized_objects import DagSerialization

    def serialised() -> dict:
        return {
            d: json.dumps(DagSerialization.serialize_dag(dag), sort_keys=True, default=str)
            for d, dag in dagbag().dags.items()
        }

    assert serialised() == serialised()


def test_dag_run_delivers_exactly_the_authorised_data(dag_world):
    run = dagbag().dags["AGR-0001"].test()
    assert run.state == "success"
    assert columns_of(dag_world["subscriber"], "public", "population_basic") == POPULATION_ITEMS
    assert checksum(
        dag_world["subscriber"], ("public", "population_basic"), POPULATION_ITEMS, ["person_id"]
    ) == checksum(dag_world["front_gat"], ("exchange", "population_register"), POPULATION_ITEMS, ["person_id"])
    with session() as s:
        delivery = deliveries.find(s, "AGR-0001", run.run_id)
    assert (delivery.status, delivery.rows, delivery.checks_failed) == ("succeeded", 600, 0)
    # the 15-digit ID numbers break two warn rules: the 18-digit form and GB 11643 validity
    assert delivery.checks_warned == 2 and delivery.bytes > 0 and delivery.duration_seconds > 0
    assert delivery.checks_passed == len(delivery.check_results) - 2
    with session() as s:  # and the delivery is in the audit log
        entry = s.query(m.AuditEntry).filter_by(action="delivery.succeeded", subject="agreement:AGR-0001").one()
    assert entry.detail["rows"] == 600


def test_schema_drift_fails_before_loading_and_is_in_the_log_and_the_delivery_record(dag_world, caplog):
    execute(dag_world["front_gat"], "ALTER TABLE exchange.population_register RENAME COLUMN name TO full_name")
    run = dagbag().dags["AGR-0001"].test()
    assert run.state == "failed"
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    # The stage task's preflight step stopped it before anything was loaded.
    assert (states["stage"], states["check"]) == ("failed", "upstream_failed")
    difference = "column name looks renamed to full_name"
    assert difference in caplog.text  # the task log
    with session() as s:
        delivery = deliveries.find(s, "AGR-0001", run.run_id)
    assert delivery.status == "failed" and difference in delivery.error
    assert columns_of(dag_world["subscriber"], "public", "population_basic") == []


def test_failing_suite_leaves_the_target_and_records_a_failed_delivery(dag_world):
    previous_delivery(dag_world["subscriber"], "AGR-0002", "social_insurance", "record_id")
    before = checksum(dag_world["subscriber"], ("public", "social_insurance"), ["record_id", "note"], ["record_id"])
    run = dagbag().dags["AGR-0002"].test()
    assert run.state == "failed"
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states == {"stage": "success", "check": "failed", "publish": "upstream_failed", "record": "failed"}
    assert (
        checksum(dag_world["subscriber"], ("public", "social_insurance"), ["record_id", "note"], ["record_id"])
        == before
    )
    with session() as s:
        delivery = deliveries.find(s, "AGR-0002", run.run_id)
    assert delivery.status == "failed" and delivery.checks_failed == 2
    assert "key_unique:record_id" in delivery.error and "monthly_base_in_range" in delivery.error
    failed = {r["rule"] for r in delivery.check_results if not r["success"]}
    assert failed == {"key_unique:record_id", "monthly_base_in_range"}
    with psycopg.connect(dag_world["subscriber"]) as conn:  # the staging table was cleared away
        assert (
            conn.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'govshare_staging' AND tablename LIKE 'stage\\_%'"
            ).fetchone()[0]
            == 0
        )


def test_unreachable_registry_is_a_clear_import_error(airflow_db, monkeypatch):
    monkeypatch.setenv("GOVSHARE_REGISTRY_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    errors = list(dagbag().import_errors.values())
    assert len(errors) == 1  # the platform's DAGs do not read the registry while being parsed
    assert "cannot read active agreements from the registry" in errors[0]
    assert "govshare registry upgrade" in errors[0]


def test_a_queued_run_of_a_suspended_agreement_delivers_nothing(dag_world):
    dag = dagbag().dags["AGR-0001"]  # parsed while active: a run of it is already on its way
    with session() as s:
        service.suspend(s, operator(), "AGR-0001", "front DB maintenance")
    run = dag.test()
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states == {"stage": "skipped", "check": "skipped", "publish": "skipped", "record": "skipped"}
    assert columns_of(dag_world["subscriber"], "public", "population_basic") == []  # nothing was delivered
    with session() as s:
        assert deliveries.find(s, "AGR-0001", run.run_id) is None
