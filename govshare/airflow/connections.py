"""Airflow connections → database addresses. Credentials live only in Airflow connections
(or the secrets backend configured for them); the catalogue and agreements hold ids."""

from __future__ import annotations

from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowNotFoundException

from govshare.errors import ConfigurationError
from govshare.exchange.address import DatabaseAddress

SUPPORTED = ("postgres", "postgresql")


def address(conn_id: str) -> DatabaseAddress:
    try:
        conn = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        raise ConfigurationError(
            f"Airflow connection '{conn_id}' is not defined",
            "add it under Admin → Connections, or with `airflow connections add`",
        ) from None
    if conn.conn_type not in SUPPORTED:
        raise ConfigurationError(
            f"Airflow connection '{conn_id}' is of type '{conn.conn_type}'",
            f"use a connection of type {' or '.join(SUPPORTED)}",
        )
    return DatabaseAddress(
        host=conn.host or "localhost",
        port=conn.port or 5432,
        dbname=conn.schema or "",
        user=conn.login or "",
        password=conn.password or None,
    )
