"""Airflow's floor for an agreement DAG: the same tasks in the same order, each doing nothing.
What a run of it costs is Airflow's alone (scheduling, a task process per task, its API calls)."""

from datetime import datetime

from airflow.sdk import DAG, TriggerRule, task

FLOOR = "govshare_bench_floor"

with DAG(FLOOR, schedule=None, start_date=datetime(2025, 1, 1), catchup=False, is_paused_upon_creation=False):

    @task
    def stage() -> None:
        pass

    @task
    def check() -> None:
        pass

    @task
    def publish() -> None:
        pass

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def record() -> None:
        pass

    stage() >> check() >> publish() >> record()
