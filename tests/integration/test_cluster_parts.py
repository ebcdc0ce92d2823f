"""The cluster's parts that need no Airflow: its settings, its secrets, its Redis broker."""

from __future__ import annotations

import base64
import os
import stat

import pytest

from govshare import processes
from govshare.cluster import broker, settings
from govshare.errors import ConfigurationError

BASE = {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql+psycopg://u@db:5432/airflow", "PATH": os.defpath}


def test_secrets_are_made_once_long_enough_and_readable_only_by_the_owner(tmp_path):
    first = settings.Secrets.load_or_create(tmp_path)
    assert len(first.jwt_secret.encode()) >= 64  # the HS512 key, as PyJWT takes it: at least 64 bytes
    assert len(base64.urlsafe_b64decode(first.jwt_secret + "==")) >= 64  # and as random
    assert stat.S_IMODE((tmp_path / settings.SECRETS_FILE).stat().st_mode) == 0o600
    assert settings.Secrets.load_or_create(tmp_path) == first  # every component, every start: the same


def test_every_component_gets_the_production_settings(tmp_path):
    secrets = settings.Secrets.load_or_create(tmp_path)
    env = settings.environment(
        {**BASE, "AIRFLOW__CORE__EXECUTOR": "LocalExecutor"},
        broker_url="redis://r:6379/2",
        api_port=18080,
        workers=2,
        secrets=secrets,
    )
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"  # whatever the devserver set
    assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://r:6379/2"
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"] == "db+postgresql+psycopg://u@db:5432/airflow"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:18080/execution/"
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == secrets.jwt_secret
    assert env["AIRFLOW__API__SECRET_KEY"] == secrets.api_secret_key
    assert float(env["AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT"]) > 5  # Airflow's 5 s timed out under load
    assert int(env["AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT"]) > 2 * 3600  # > execution_timeout
    concurrency = int(env["AIRFLOW__CELERY__WORKER_CONCURRENCY"])
    assert concurrency >= 1 and int(env["AIRFLOW__CORE__PARALLELISM"]) == 2 * concurrency


def test_an_operator_may_override_the_tunable_settings_and_the_secrets(tmp_path):
    given = {
        **BASE,
        "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "3",
        "AIRFLOW__API_AUTH__JWT_SECRET": "an operator's own secret from a vault, long enough for HS512 …",
    }
    env = settings.environment(
        given, broker_url="redis://r/0", api_port=1, workers=2, secrets=settings.Secrets.load_or_create(tmp_path)
    )
    assert env["AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT"] == "60"
    assert (env["AIRFLOW__CELERY__WORKER_CONCURRENCY"], env["AIRFLOW__CORE__PARALLELISM"]) == ("3", "6")
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == given["AIRFLOW__API_AUTH__JWT_SECRET"]


def test_two_workers_on_one_host_differ_in_name_and_log_server_port():
    (one, first), (two, second) = (settings.worker(BASE, i) for i in (1, 2))
    assert one != two and one.startswith("worker-1@") and two.startswith("worker-2@")
    assert first[settings.WORKER_NAME] == one and second[settings.WORKER_NAME] == two
    assert first["AIRFLOW__CORE__HOSTNAME_CALLABLE"] == "govshare.cluster.hostname.worker_name"
    assert first["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] != second["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"]


def test_a_configured_broker_that_does_not_answer_is_named(tmp_path):
    with pytest.raises(ConfigurationError, match="GOVSHARE_REDIS_URL is set but no Redis answers there"):
        broker.find_or_start(tmp_path, {**BASE, broker.URL: "redis://127.0.0.1:1/0"})


def test_without_redis_the_error_says_what_to_install(tmp_path):
    with pytest.raises(ConfigurationError) as raised:
        broker.start_own(tmp_path, {**BASE, "PATH": str(tmp_path)})  # no redis-server there
    assert "redis-server" in raised.value.message and "apt-get install redis-server" in raised.value.hint


def test_a_redis_server_of_its_own_is_started_and_stopped(tmp_path):
    started = broker.start_own(tmp_path, {**os.environ})
    try:
        assert started.origin == "started" and broker.answers(started.url) is None
        assert (tmp_path / "redis").is_dir()  # its files live in the state folder
    finally:
        processes.stop([started.server], grace=5)
    assert broker.answers(started.url) is not None
    assert processes.remaining(started.server) == []
