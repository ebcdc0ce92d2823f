"""A database error becomes a failure whose fix fits what the database objected to."""

from __future__ import annotations

import psycopg
import pytest

from govshare.errors import ExchangeFailed
from govshare.exchange.failures import reported


def failure_of(error: Exception, step: str = "stage") -> ExchangeFailed:
    with pytest.raises(ExchangeFailed) as caught, reported(step):
        raise error
    return caught.value


@pytest.mark.parametrize(
    ("error", "fix"),
    [
        (psycopg.errors.InvalidTextRepresentation(), "does not fit the catalogue's type"),
        (psycopg.errors.NumericValueOutOfRange(), "does not fit the catalogue's type"),
        (psycopg.errors.UndefinedColumn(), "is not what the catalogue says"),
        (psycopg.errors.InsufficientPrivilege(), "check the connection's grants"),
        (psycopg.errors.UniqueViolation(), "repeat a key"),
        (psycopg.errors.NotNullViolation(), "miss a required value"),
        (psycopg.errors.RaiseException(), "the message says what it objects to"),
    ],
)
def test_the_fix_follows_the_sqlstate(error, fix):
    failure = failure_of(error)
    assert fix in failure.hint and not failure.retryable


def test_a_check_query_the_database_refused_points_at_the_rule():
    failure = failure_of(psycopg.errors.UndefinedFunction(), step="check")
    assert "fix the rule in include/quality" in failure.hint


def test_a_lost_connection_is_retried():
    assert failure_of(psycopg.errors.AdminShutdown()).retryable


def test_the_provider_limits_come_from_the_settings_and_are_checked(monkeypatch):
    from govshare import settings
    from govshare.errors import ConfigurationError

    monkeypatch.delenv("GOVSHARE_PROVIDER_STATEMENT_TIMEOUT", raising=False)
    monkeypatch.setenv("GOVSHARE_PROVIDER_LOCK_TIMEOUT", "5")
    assert settings.provider_limits() == (3600, 5)
    monkeypatch.setenv("GOVSHARE_PROVIDER_STATEMENT_TIMEOUT", "an hour")
    with pytest.raises(ConfigurationError, match="GOVSHARE_PROVIDER_STATEMENT_TIMEOUT='an hour' is not valid"):
        settings.provider_limits()
