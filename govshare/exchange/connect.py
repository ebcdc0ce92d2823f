"""Opening connections to front DBs and subscriber DBs, with failures an operator can read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql

from govshare.errors import DatabaseUnreachable
from govshare.exchange.address import DatabaseAddress


def connect(address: DatabaseAddress, side: str, conn_id: str, options: str | None = None) -> psycopg.Connection:
    """A psycopg connection; DatabaseUnreachable (retryable) when the server cannot be reached.
    ``options`` are server settings for the session, e.g. ``-c lock_timeout=60000``."""
    extra = {"options": options} if options else {}
    try:
        return psycopg.connect(address.conninfo(connect_timeout=10, application_name=f"govshare-{side}", **extra))
    except psycopg.OperationalError as exc:
        # The first line names host, port and cause; libpq never echoes the password.
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseUnreachable(side, conn_id, reason) from None


def scalar(conn: psycopg.Connection[Any], query: str | sql.SQL | sql.Composed, params: Sequence[Any] = ()) -> Any:
    """The first column of the first row ``query`` returns (None if it returns none)."""
    row = conn.execute(query, params).fetchone()
    return row[0] if row else None
