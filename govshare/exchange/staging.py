"""The subscriber-side staging area: where deliveries wait for their checks.

Each subscriber DB gets a schema ``govshare_staging`` holding one table per run being
delivered and the ``publication`` ledger, which records every publish in the same
transaction as the swap, so a retried publish can tell that it already happened.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from govshare.exchange.plan import STAGING_SCHEMA

LEDGER = "publication"


def prepare(conn: psycopg.Connection) -> None:
    # Concurrent first deliveries to one subscriber DB would race on CREATE ... IF NOT EXISTS.
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('govshare.staging.prepare'))")
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(STAGING_SCHEMA)))
    conn.execute(
        sql.SQL(
            """CREATE TABLE IF NOT EXISTS {} (
                agreement_code text NOT NULL,
                run_id text NOT NULL,
                target text NOT NULL,
                rows bigint NOT NULL,
                published_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (agreement_code, run_id))"""
        ).format(sql.Identifier(STAGING_SCHEMA, LEDGER))
    )


def table(name: str) -> sql.Identifier:
    return sql.Identifier(STAGING_SCHEMA, name)


def exists(conn: psycopg.Connection, name: str) -> bool:
    # to_regclass parses its argument as a (possibly quoted) name: pass it quoted.
    quoted = table(name).as_string(conn)
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", (quoted,)).fetchone()[0]


def published(conn: psycopg.Connection, agreement_code: str, run_id: str) -> bool:
    query = sql.SQL("SELECT 1 FROM {} WHERE agreement_code = %s AND run_id = %s").format(
        sql.Identifier(STAGING_SCHEMA, LEDGER)
    )
    return conn.execute(query, (agreement_code, run_id)).fetchone() is not None


def discard(conn: psycopg.Connection, name: str) -> None:
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table(name)))
    conn.commit()
