"""Airflow connections → database addresses. Credentials live only in Airflow connections
(or the secrets backend configured for them); the catalogue and agreements hold ids."""

from __future__ import annotations

from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowNotFoundException

from govshare.errors import ConfigurationError
from govshare.exchange.address import DatabaseAddress

DIALECTS = {"postgres": ("postgresql", 5432), "postgresql": ("postgresql", 5432), "mysql": ("mysql", 3306)}
PSEUDONYM_KEY = "govshare_pseudonym_key"


def _connection(conn_id: str):
    try:
        return BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        raise ConfigurationError(
            f"Airflow connection '{conn_id}' is not defined",
            "add it under Admin → Connections, or with `airflow connections add`",
        ) from None


def address(conn_id: str) -> DatabaseAddress:
    """A PostgreSQL or MySQL/MariaDB connection as a database address."""
    conn = _connection(conn_id)
    if conn.conn_type not in DIALECTS:
        raise ConfigurationError(
            f"Airflow connection '{conn_id}' is of type '{conn.conn_type}'",
            "front DBs are postgres or mysql connections; subscriber DBs are postgres",
        )
    dialect, default_port = DIALECTS[conn.conn_type]
    return DatabaseAddress(
        host=conn.host or "localhost",
        port=conn.port or default_port,
        dbname=conn.schema or "",
        user=conn.login or "",
        password=conn.password or None,
        dialect=dialect,
    )


def pseudonym_key() -> bytes:
    """The platform's master key for pseudonyms: the password of ``govshare_pseudonym_key``."""
    conn = _connection(PSEUDONYM_KEY)
    if not conn.password or len(conn.password) < 32:
        raise ConfigurationError(
            f"the connection '{PSEUDONYM_KEY}' needs a password of at least 32 characters as the pseudonym key",
            'generate one with python -c "import secrets; print(secrets.token_urlsafe(48))"',
        )
    return conn.password.encode()
