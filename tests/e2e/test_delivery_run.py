"""`govshare delivery run`: one delivery from the command line through the code an Airflow run
executes — the same records, plan, audit entries and verdicts."""

from __future__ import annotations

import os
import subprocess

import psycopg
import pytest
from sqlalchemy import select

from govshare.airflow.runtime import OUTSIDE_A_TASK
from govshare.delivery.run import DeliveryRun
from govshare.errors import AgreementNotActive
from govshare.exchange.plan import DeliveryPlan
from govshare.lifecycle import service
from govshare.registry import deliveries
from govshare.registry import models as m
from govshare.registry.db import session
from tests.conftest import run_cli
from tests.helpers import active_agreement, execute, operator, request

pytestmark = pytest.mark.airflow


@pytest.fixture
def subscriber_in_the_metadata_db(world, monkeypatch):
    """The subscriber's connection defined as operators do (`airflow connections add`), not in
    the environment: a command outside any task must find it too."""
    monkeypatch.delenv("AIRFLOW_CONN_SUB_HB_MZT")
    add = ["airflow", "connections", "add", "sub_hb_mzt", "--conn-uri", world["subscriber"]]
    assert subprocess.run(add, capture_output=True, text=True).returncode == 0
    yield
    subprocess.run(["airflow", "connections", "delete", "sub_hb_mzt"], capture_output=True)


def test_a_delivery_runs_from_the_command_line(world, subscriber_in_the_metadata_db):
    code = active_agreement(request())
    done = run_cli("delivery", "run", code, "--run-id", "manual__cli")
    assert done.returncode == 0, done.stdout + done.stderr
    for step in ("preflight", "stage", "check", "publish", "record", "notify"):
        assert step in done.stdout
    assert f"of {code} (manual__cli): succeeded, 400 rows" in done.stdout
    with psycopg.connect(world["subscriber"]) as conn:
        assert conn.execute("SELECT count(*) FROM public.population_basic").fetchone()[0] == 400
    with session() as s:
        delivery = deliveries.find(s, code, "manual__cli")
        assert (delivery.status, delivery.rows, delivery.checks_failed) == ("succeeded", 400, 0)
        plan = DeliveryPlan.from_json(delivery.plan)  # the plan preflight authorised, kept with the record
        assert plan.agreement_code == code and [c.name for c in plan.columns] == request().items
        entry = s.scalars(select(m.AuditEntry).where(m.AuditEntry.action == "delivery.succeeded")).one()
        assert entry.actor.startswith("operator:") and entry.detail["run_id"] == "manual__cli"


def test_a_failed_delivery_exits_1_with_the_step_and_the_reason(world):
    code = active_agreement(request())
    execute(os.environ["AIRFLOW_CONN_FRONT_HB_GAT"], "ALTER TABLE exchange.population_register DROP COLUMN phone")
    done = run_cli("delivery", "run", code, "--run-id", "manual__drift")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "delivery failed — preflight: the provider's table" in done.stderr
    with session() as s:
        assert deliveries.find(s, code, "manual__drift").status == "failed"


def test_an_agreement_that_is_not_active_delivers_nothing(world):
    code = active_agreement(request())
    with session() as s:
        service.suspend(s, operator(), code, reason="前置机维护")
    done = run_cli("delivery", "run", code)
    assert done.returncode == 1 and f"agreement {code} is suspended: nothing is delivered" in done.stderr
    with session() as s:
        assert deliveries.recent(s, code) == []


def test_a_run_stops_when_its_agreement_is_suspended_between_steps(world):
    code = active_agreement(request())
    run = DeliveryRun(code, "manual__between", OUTSIDE_A_TASK)
    run.preflight()
    with session() as s:
        service.suspend(s, operator(), code, reason="提供方撤回")
    with pytest.raises(AgreementNotActive, match="became suspended during run manual__between"):
        run.stage()
    with session() as s:
        assert deliveries.find(s, code, "manual__between").status == "failed"


def test_a_blocked_delivery_names_its_delivery_and_quality_report(world):
    code = active_agreement(request(items=["person_id", "citizen_id", "name", "gender"]))
    execute(
        os.environ["AIRFLOW_CONN_FRONT_HB_GAT"],
        "UPDATE exchange.population_register SET gender = '9' WHERE person_id = 1",
    )
    done = run_cli("delivery", "run", code, "--run-id", "manual__blocked")
    assert done.returncode == 1, done.stdout + done.stderr
    with session() as s:
        delivery = deliveries.find(s, code, "manual__blocked")
    assert delivery.status == "failed" and "gender_code" in delivery.error
    # the check step's ChecksFailed names the delivery and how to read its report
    assert f"`govshare report quality {delivery.id}`" in delivery.error
    assert "blocking check(s) failed" in done.stderr


def test_the_provider_limits_reach_the_engine_in_the_address(world, monkeypatch):
    monkeypatch.setenv("GOVSHARE_PROVIDER_STATEMENT_TIMEOUT", "900")
    monkeypatch.setenv("GOVSHARE_PROVIDER_LOCK_TIMEOUT", "7")
    front = OUTSIDE_A_TASK.address("front_hb_gat")
    assert (front.statement_timeout, front.lock_timeout) == (900, 7)
