"""The demo's DAG runs (`airflow dags test`, tasks run in-process) as an operator then reads
them in Airflow: each task's log is there, through the same API the UI uses."""

from __future__ import annotations

import httpx
import pytest

from govshare.demo.runner import DagsTest
from govshare.registry import deliveries
from govshare.registry.db import session
from tests.helpers import active_agreement, request

pytestmark = pytest.mark.airflow


def test_the_demos_runs_have_their_task_logs_in_the_ui(world, api_server, tmp_path):
    code = active_agreement(request(items=["person_id", "citizen_id", "updated_at"]))
    assert DagsTest().start(code, tmp_path / "run.log").wait() == 0
    with session() as s:
        [delivery] = deliveries.recent(s, code)
    login = httpx.post(
        f"{api_server.root}/auth/token", json={"username": api_server.user, "password": api_server.password}
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}", "Accept": "application/json"}
    runs = f"{api_server.root}/api/v2/dags/{code}/dagRuns/{delivery.run_id}/taskInstances"
    logs = {}
    for task in ("stage", "check", "publish", "record"):
        answer = httpx.get(f"{runs}/{task}/logs/1", headers=headers, timeout=30)
        assert answer.status_code == 200, answer.text
        logs[task] = [entry.get("event", "") for entry in answer.json()["content"]]
    assert any("preflight passed" in event for event in logs["stage"])  # the stage task's first step
    assert any("staged 400 rows" in event for event in logs["stage"])
    assert any("check key_unique:person_id" in event for event in logs["check"])
    assert not any("staged 400 rows" in event for event in logs["check"])  # each task has its own part
    assert any("delivery 1: succeeded" in event for event in logs["record"])
