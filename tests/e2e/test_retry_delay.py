"""The agreement DAGs' retry delay is a setting (GOVSHARE_RETRY_DELAY_SECONDS): two minutes in
production, seconds in the cluster test that kills a worker."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.e2e.conftest import dagbag
from tests.helpers import active_agreement, request

pytestmark = pytest.mark.airflow


def _retry_delays(bag) -> set:
    return {task.retry_delay for task in bag.dags["AGR-0001"].tasks}


def test_retry_delay_defaults_to_two_minutes_and_can_be_set(airflow_db, applied, monkeypatch):
    active_agreement(request())
    monkeypatch.delenv("GOVSHARE_RETRY_DELAY_SECONDS", raising=False)
    assert _retry_delays(dagbag()) == {timedelta(minutes=2)}
    monkeypatch.setenv("GOVSHARE_RETRY_DELAY_SECONDS", "3")
    bag = dagbag()
    assert _retry_delays(bag) == {timedelta(seconds=3)}
    assert bag.dags["AGR-0001"].task_dict["stage"].retry_exponential_backoff  # it still doubles per try


def test_an_invalid_retry_delay_is_an_import_error_naming_the_setting(airflow_db, applied, monkeypatch):
    active_agreement(request())
    monkeypatch.setenv("GOVSHARE_RETRY_DELAY_SECONDS", "2m")
    errors = list(dagbag().import_errors.values())
    assert len(errors) == 1 and "GOVSHARE_RETRY_DELAY_SECONDS='2m'" in errors[0]
