"""Records tell the truth: a publish whose data committed is recorded as succeeded, with its
figures, whatever crashed between the subscriber's commit and the registry's write."""

from __future__ import annotations

import psycopg
import pytest

from govshare.airflow import tasks
from govshare.delivery.plan import plan_for
from govshare.exchange.address import DatabaseAddress
from govshare.exchange.publish import publish
from govshare.registry import deliveries
from govshare.registry.db import session
from tests.helpers import active_agreement, request

pytestmark = pytest.mark.airflow


def audited(code: str, run_id: str) -> list[str]:
    from sqlalchemy import select

    from govshare.registry import models as m

    with session() as s:
        entries = s.scalars(select(m.AuditEntry).where(m.AuditEntry.subject == f"agreement:{code}"))
        return [e.action for e in entries if e.action.startswith("delivery.") and e.detail.get("run_id") == run_id]


def published_then_died(world, run_id: str) -> str:
    """The run's data committed in the subscriber's database; the task died before the registry heard."""
    code = active_agreement(request())
    tasks.preflight(code, run_id)
    tasks.stage(code, run_id)
    tasks.check(code, run_id)
    with session() as s:
        plan = plan_for(s, code)
    publish(plan, DatabaseAddress.from_url(world["subscriber"]), run_id)
    with session() as s:
        assert deliveries.find(s, code, run_id).status == "checked"
    return code


def test_a_retried_publish_records_what_the_first_try_published(world):
    code = published_then_died(world, "manual__retry")
    tasks.publish(code, "manual__retry")  # Airflow's retry: already published
    tasks.record(code, "manual__retry")
    with session() as s:
        delivery = deliveries.find(s, code, "manual__retry")
    assert (delivery.status, delivery.rows, delivery.rows_merged, delivery.error) == ("succeeded", 400, 400, None)
    assert audited(code, "manual__retry") == ["delivery.succeeded"]


def test_without_a_retry_the_record_task_reads_the_ledger(world):
    code = published_then_died(world, "manual__noretry")
    with session() as s:  # the publish task's failure got recorded (say, it lost the registry after the commit)
        deliveries.fail(s, code, "manual__noretry", "publish", "the worker stopped heartbeating")
    tasks.record(code, "manual__noretry")
    with session() as s:
        delivery = deliveries.find(s, code, "manual__noretry")
    assert (delivery.status, delivery.rows_merged, delivery.error) == ("succeeded", 400, None)
    assert audited(code, "manual__noretry") == ["delivery.succeeded"]
    with psycopg.connect(world["subscriber"]) as conn:
        assert conn.execute("SELECT count(*) FROM public.population_basic").fetchone()[0] == 400


def test_a_run_that_stopped_says_after_which_step(world):
    code = active_agreement(request())
    tasks.preflight(code, "manual__stopped")
    with pytest.raises(Exception, match="delivery failed — the run stopped after step 'preflight'"):
        tasks.record(code, "manual__stopped")
