"""An agreement DAG's tasks: each runs one step of the delivery service and tells Airflow how
it ended. A step that a retry cannot fix (drift, failed checks, a broken agreement) fails the
task at once; the rest (a database down) are left to Airflow's retries; a run of an agreement
that is no longer active is skipped. What each step does is govshare.delivery's business.
"""

from __future__ import annotations

from collections.abc import Callable

from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from govshare.airflow.runtime import IN_A_TASK
from govshare.delivery.run import DeliveryRun, retry_would_help
from govshare.errors import NothingToDeliver


def run_steps(code: str, run_id: str, *steps: str) -> None:
    """Run ``steps`` (of preflight, stage, check, publish, close) of the agreement's run, in order."""
    delivery = DeliveryRun(code, run_id, IN_A_TASK)
    actions: list[Callable[[], object]] = [getattr(delivery, step) for step in steps]
    try:
        for action in actions:
            action()
    except NothingToDeliver as exc:
        raise AirflowSkipException(str(exc)) from None
    except Exception as exc:
        if retry_would_help(exc):
            raise
        # The delivery record already says why; the task log and the UI show the same words.
        raise AirflowFailException(str(exc)) from None
