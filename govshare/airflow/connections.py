"""Airflow connections → database addresses. Credentials live only in Airflow connections
(or the secrets backend configured for them); the catalogue and agreements hold ids.

A task reads connections through Airflow's task SDK (on a Celery worker that is the
execution API: workers have no metadata database). A command outside any task — `govshare
delivery run` — reads them from the environment, the secrets backend and the metadata
database directly (``lookup=outside_a_task``).
"""

from __future__ import annotations

from collections.abc import Callable

from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowNotFoundException
from pydantic import SecretBytes

from govshare import settings
from govshare.errors import ConfigurationError
from govshare.exchange.address import DatabaseAddress

DIALECTS = {"postgres": ("postgresql", 5432), "postgresql": ("postgresql", 5432), "mysql": ("mysql", 3306)}
PSEUDONYM_KEY = "govshare_pseudonym_key"


def in_a_task(conn_id: str):
    return BaseHook.get_connection(conn_id)


def outside_a_task(conn_id: str):
    from airflow.models.connection import Connection  # Airflow core: reads the metadata database

    return Connection.get_connection_from_secrets(conn_id)


def _connection(conn_id: str, lookup: Callable = in_a_task):
    try:
        return lookup(conn_id)
    except AirflowNotFoundException:
        raise ConfigurationError(
            f"Airflow connection '{conn_id}' is not defined",
            "add it under Admin → Connections, or with `airflow connections add`",
        ) from None


def address(conn_id: str, lookup: Callable = in_a_task) -> DatabaseAddress:
    """A PostgreSQL or MySQL/MariaDB connection as a database address."""
    conn = _connection(conn_id, lookup)
    if conn.conn_type not in DIALECTS:
        raise ConfigurationError(
            f"Airflow connection '{conn_id}' is of type '{conn.conn_type}'",
            "front DBs are postgres or mysql connections; subscriber DBs are postgres",
        )
    dialect, default_port = DIALECTS[conn.conn_type]
    statement_timeout, lock_timeout = settings.provider_limits()
    return DatabaseAddress(
        host=conn.host or "localhost",
        port=conn.port or default_port,
        dbname=conn.schema or "",
        user=conn.login or "",
        password=conn.password or None,
        dialect=dialect,
        statement_timeout=statement_timeout,
        lock_timeout=lock_timeout,
    )


def pseudonym_key(lookup: Callable = in_a_task) -> SecretBytes:
    """The platform's master key for pseudonyms: the password of ``govshare_pseudonym_key``."""
    conn = _connection(PSEUDONYM_KEY, lookup)
    if not conn.password or len(conn.password) < 32:
        raise ConfigurationError(
            f"the connection '{PSEUDONYM_KEY}' needs a password of at least 32 characters as the pseudonym key",
            'generate one with python -c "import secrets; print(secrets.token_urlsafe(48))"',
        )
    return SecretBytes(conn.password.encode())
