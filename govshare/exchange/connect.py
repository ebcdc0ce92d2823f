"""Opening connections to front DBs and subscriber DBs, with failures an operator can read."""

from __future__ import annotations

import psycopg

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
