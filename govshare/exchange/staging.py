"""The subscriber-side staging area: where deliveries wait for their checks.

Each subscriber DB gets a schema ``govshare_staging`` holding one table per run being
delivered (and, for key-diff deletions, one of the provider's keys), and three small tables:

- ``staged``: what each staging table holds (rows, the watermark reached, the key count);
- ``watermark``: per incremental agreement, the watermark of the last *published* delivery
  (and, for key-diff deletions, how many keys the provider then had);
- ``publication``: every publish, written in the same transaction as the data, so a retried
  publish can tell that it already happened.

The watermark lives beside the data it describes and moves in the same transaction as it:
it can never run ahead of what the subscriber actually has.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from govshare.exchange.plan import STAGING_SCHEMA

LEDGER = "publication"
_TABLES = {
    LEDGER: """agreement_code text NOT NULL, run_id text NOT NULL, target text NOT NULL, rows bigint NOT NULL,
               published_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (agreement_code, run_id)""",
    "staged": """staging_table text PRIMARY KEY, agreement_code text NOT NULL, run_id text NOT NULL,
                 rows bigint NOT NULL, watermark text, keys bigint, key_list boolean NOT NULL DEFAULT false,
                 staged_at timestamptz NOT NULL DEFAULT now()""",
    "watermark": """agreement_code text PRIMARY KEY, value text NOT NULL, run_id text NOT NULL, keys bigint,
                    updated_at timestamptz NOT NULL DEFAULT now()""",
}


def prepare(conn: psycopg.Connection) -> None:
    # Concurrent first deliveries to one subscriber DB would race on CREATE ... IF NOT EXISTS.
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('govshare.staging.prepare'))")
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(STAGING_SCHEMA)))
    for name, columns in _TABLES.items():
        conn.execute(
            sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(sql.Identifier(STAGING_SCHEMA, name), sql.SQL(columns))
        )


def table(name: str) -> sql.Identifier:
    return sql.Identifier(STAGING_SCHEMA, name)


def definition(columns) -> sql.Composable:
    """The column list of a CREATE TABLE for delivered ``columns`` (plan Columns): their
    delivered types come from the closed catalogue type grammar, never from free text."""
    return sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.delivered_type.postgres())) for c in columns
    )


def keys_table(name: str) -> str:
    """Key-diff: the staging table of the provider's keys beside staging table ``name``."""
    return f"{name}_keys"


def exists(conn: psycopg.Connection, relation: sql.Identifier) -> bool:
    # to_regclass parses its argument as a (possibly quoted) name: pass it quoted.
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", (relation.as_string(conn),)).fetchone()[0]


def published(conn: psycopg.Connection, agreement_code: str, run_id: str) -> int | None:
    """How many rows the run published, or None if it has not published."""
    query = sql.SQL("SELECT rows FROM {} WHERE agreement_code = %s AND run_id = %s").format(table(LEDGER))
    found = conn.execute(query, (agreement_code, run_id)).fetchone()
    return found[0] if found else None


def last_published(conn: psycopg.Connection, agreement_code: str) -> tuple[str | None, int | None]:
    """The watermark of the agreement's last published delivery and (key-diff) how many keys
    the provider had then; None for what is not recorded."""
    query = sql.SQL("SELECT value, keys FROM {} WHERE agreement_code = %s").format(table("watermark"))
    return conn.execute(query, (agreement_code,)).fetchone() or (None, None)


def record_published(conn: psycopg.Connection, agreement_code: str, mark: str, run_id: str, keys: int | None) -> None:
    """The watermark (and, for key-diff, the provider's key count) that this publish reached."""
    conn.execute(
        sql.SQL(
            "INSERT INTO {} (agreement_code, value, run_id, keys) VALUES (%s, %s, %s, %s) ON CONFLICT (agreement_code) "
            "DO UPDATE SET value = EXCLUDED.value, run_id = EXCLUDED.run_id, keys = EXCLUDED.keys, updated_at = now()"
        ).format(table("watermark")),
        (agreement_code, mark, run_id, keys),
    )


def record_staged(
    conn, name: str, agreement_code: str, run_id: str, rows: int, mark: str | None, keys: int | None, listed: bool
) -> None:
    """What a staging table holds; ``keys`` is the provider's key count and ``listed`` whether
    its keys were shipped (only when the counts show that something was deleted)."""
    conn.execute(
        sql.SQL(
            "INSERT INTO {} (staging_table, agreement_code, run_id, rows, watermark, keys, key_list) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (staging_table) DO UPDATE SET rows = EXCLUDED.rows, "
            "watermark = EXCLUDED.watermark, keys = EXCLUDED.keys, key_list = EXCLUDED.key_list, staged_at = now()"
        ).format(table("staged")),
        (name, agreement_code, run_id, rows, mark, keys, listed),
    )


def staged(conn: psycopg.Connection, name: str) -> tuple[int, str | None, int | None, bool] | None:
    """(rows, watermark reached, provider key count, keys listed) of a staging table, or None."""
    query = sql.SQL("SELECT rows, watermark, keys, key_list FROM {} WHERE staging_table = %s").format(table("staged"))
    return conn.execute(query, (name,)).fetchone()


def drop(conn: psycopg.Connection, name: str) -> None:
    """Drop a run's staging tables (the rows and, for key-diff, the keys), in the caller's transaction."""
    for each in (name, keys_table(name)):
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table(each)))


def discard(conn: psycopg.Connection, name: str) -> None:
    """Drop a run's staging tables and their record (commits)."""
    if not exists(conn, table("staged")):  # the staging area was never prepared: nothing to clear
        return
    drop(conn, name)
    conn.execute(sql.SQL("DELETE FROM {} WHERE staging_table = %s").format(table("staged")), (name,))
    conn.commit()
