"""One DAG per active agreement, built from the registry.

Generation is deterministic: every value comes from the registry (no clock, no randomness),
agreements are taken in code order, so an unchanged registry yields unchanged DAGs and no new
DAG versions. When Airflow runs a task it sets the parsing context, and only that task's
agreement is read and built.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG, TriggerRule, get_parsing_context, task
from sqlalchemy.exc import SQLAlchemyError

from govshare import settings
from govshare.airflow import tasks
from govshare.airflow.docs import doc_md
from govshare.clock import TIMEZONE
from govshare.errors import ConfigurationError
from govshare.registry import cards
from govshare.registry.cards import AgreementCard
from govshare.registry.db import session
from govshare.registry.statuses import AgreementStatus


def build_dags() -> dict[str, DAG]:
    only = get_parsing_context().dag_id
    try:
        with session() as s:
            active = cards.cards(s, status=AgreementStatus.ACTIVE, code=only)
    except SQLAlchemyError as exc:
        # Shown as the DAG file's import error in the Airflow UI: say what to do about it.
        first_line = (str(exc).splitlines() or [""])[0]
        raise ConfigurationError(
            f"cannot read active agreements from the registry: {type(exc).__name__}: {first_line}",
            "check that GOVSHARE_REGISTRY_URL points at a reachable registry and run `govshare registry upgrade`",
        ) from None
    return {card.code: build_dag(card) for card in active}


def build_dag(card: AgreementCard) -> DAG:
    code = card.code
    start = card.start_date
    with DAG(
        dag_id=code,
        dag_display_name=f"{code} {card.resource_name} → {card.subscriber_name}",
        description=f"{card.resource_code}: {card.provider_code} → {card.subscriber_code}",
        doc_md=doc_md(card),
        schedule=card.schedule,
        start_date=datetime(start.year, start.month, start.day, tzinfo=TIMEZONE),
        catchup=False,
        max_active_runs=1,  # two runs of one agreement never interleave
        is_paused_upon_creation=False,  # an active agreement is a commitment to deliver
        tags=["govshare", card.provider_code, card.subscriber_code, card.resource_code],
        default_args={
            # The provider answers for its front DB and its data (article 10), so it owns the DAG.
            "owner": card.provider_code,
            "retries": 2,
            "retry_delay": timedelta(seconds=settings.retry_delay_seconds()),
            "retry_exponential_backoff": True,
            "execution_timeout": timedelta(hours=2),
        },
    ) as dag:
        # Six steps in four tasks: a task of its own costs a process and a scheduling round,
        # so a step gets one only where the operator sees, retries or acts on it apart (the
        # README's "How a delivery runs" says why each of these exists).
        @task(task_id="stage")
        def stage(run_id: str | None = None) -> None:
            tasks.run_steps(code, run_id, "preflight", "stage")

        @task(task_id="check", retries=0)  # a failed check fails the same way on retry
        def check(run_id: str | None = None) -> None:
            tasks.run_steps(code, run_id, "check")

        @task(task_id="publish")
        def publish(run_id: str | None = None) -> None:
            tasks.run_steps(code, run_id, "publish")

        # Whatever happened before: the record closed, the emails sent, then the run failed if
        # the delivery did.
        @task(task_id="record", trigger_rule=TriggerRule.ALL_DONE)
        def record(run_id: str | None = None) -> None:
            tasks.run_steps(code, run_id, "close")

        stage() >> check() >> publish() >> record()
    return dag
