"""The subscriber-side staging area: where deliveries wait for their checks.

Each subscriber DB gets a schema ``govshare_staging`` holding one table per run being
delivered (and, for key checks, one of the provider's keys), three small tables and a
sequence:

- ``staged``: what each staging table holds (rows, the watermark reached, the key count, the
  provider's snapshot, its place in the order of runs);
- ``watermark``: per incremental agreement, where the last *published* delivery left off: its
  watermark, how many keys the provider then had, and (PostgreSQL providers) the snapshot it
  was read in, so the next extract also takes every row written by a transaction that the
  snapshot could not see;
- ``publication``: every publish (rows, merged, deleted), written in the same transaction as
  the data, so a retried publish — or the record task after a crash — can tell that it
  happened and what it did, and which tables the platform made;
- ``stage_order``: a sequence numbering the runs in the order they read the provider, so a
  run that read older data never publishes over a newer one.

The watermark lives beside the data it describes and moves in the same transaction as it:
it can never run ahead of what the subscriber actually has.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import astuple, dataclass
from typing import Any

import psycopg
from psycopg import sql

from govshare.errors import ExchangeFailed
from govshare.exchange.connect import scalar
from govshare.exchange.plan import STAGING_SCHEMA, Column, DeliveryPlan

LEDGER = "publication"
ORDER = "stage_order"
_TABLES = {
    LEDGER: """agreement_code text NOT NULL, run_id text NOT NULL, target text NOT NULL, rows bigint NOT NULL,
               merged bigint, deleted bigint, stage_order bigint,
               published_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (agreement_code, run_id)""",
    "staged": """staging_table text PRIMARY KEY, agreement_code text NOT NULL, run_id text NOT NULL,
                 rows bigint NOT NULL, watermark text, keys bigint, key_list boolean NOT NULL DEFAULT false,
                 stage_order bigint, snapshot text, staged_at timestamptz NOT NULL DEFAULT now()""",
    "watermark": """agreement_code text PRIMARY KEY, value text NOT NULL, run_id text NOT NULL, keys bigint,
                    snapshot text, updated_at timestamptz NOT NULL DEFAULT now()""",
}
# Columns added since a subscriber database may first have been prepared: (table, column, type).
_ADDED = (
    (LEDGER, "merged", "bigint"),
    (LEDGER, "deleted", "bigint"),
    (LEDGER, ORDER, "bigint"),
    ("staged", ORDER, "bigint"),
    ("staged", "snapshot", "text"),
    ("watermark", "snapshot", "text"),
)


def prepare(conn: psycopg.Connection) -> None:
    # Concurrent first deliveries to one subscriber DB would race on CREATE ... IF NOT EXISTS.
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('govshare.staging.prepare'))")
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(STAGING_SCHEMA)))
    conn.execute(sql.SQL("CREATE SEQUENCE IF NOT EXISTS {}").format(table(ORDER)))
    for name, columns in _TABLES.items():
        conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(table(name), sql.SQL(columns)))
    present = set(
        conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %s", (STAGING_SCHEMA,)
        ).fetchall()
    )
    for name, column, type_ in _ADDED:
        if (name, column) not in present:  # ALTER only when needed: it would wait for every reader
            conn.execute(
                sql.SQL("ALTER TABLE {} ADD COLUMN {} {}").format(table(name), sql.Identifier(column), sql.SQL(type_))
            )


def table(name: str) -> sql.Identifier:
    return sql.Identifier(STAGING_SCHEMA, name)


def definition(columns: Iterable[Column]) -> sql.Composable:
    """The column list of a CREATE TABLE for delivered ``columns`` (plan Columns): their
    delivered types come from the closed catalogue type grammar, never from free text."""
    return sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.delivered_type.postgres())) for c in columns
    )


def keys_table(name: str) -> str:
    """The staging table of the provider's keys beside staging table ``name``."""
    return f"{name}_keys"


def key_index(name: str) -> str:
    """The unique index on staging table ``name``'s key, which publish makes the target's primary key."""
    return f"{name}_pkey"


def index_key(conn: psycopg.Connection, name: str, key: Iterable[str]) -> bool:
    """Build the staged rows' key index, unless it exists; False (and no index) when keys repeat.
    The check asks this for the key's uniqueness rule: the index proves it in the one pass over
    the table that publish would spend building it anyway."""
    index = sql.Identifier(STAGING_SCHEMA, key_index(name))
    if exists(conn, index):
        return True
    try:
        with conn.transaction():
            conn.execute(
                sql.SQL("CREATE UNIQUE INDEX {} ON {} ({})").format(
                    sql.Identifier(key_index(name)), table(name), sql.SQL(", ").join(map(sql.Identifier, key))
                )
            )
    except psycopg.errors.UniqueViolation:
        return False
    return True


def exists(conn: psycopg.Connection, relation: sql.Identifier) -> bool:
    # to_regclass parses its argument as a (possibly quoted) name: pass it quoted.
    return bool(scalar(conn, "SELECT to_regclass(%s) IS NOT NULL", (relation.as_string(conn),)))


# --- the ledger -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Publication:
    """What the ledger holds of one run's publish."""

    rows: int
    merged: int | None
    deleted: int | None


def published(conn: psycopg.Connection, agreement_code: str, run_id: str) -> Publication | None:
    """What the run published, or None if it has not published."""
    query = sql.SQL("SELECT rows, merged, deleted FROM {} WHERE agreement_code = %s AND run_id = %s").format(
        table(LEDGER)
    )
    found = conn.execute(query, (agreement_code, run_id)).fetchone()
    return Publication(*found) if found else None


def record_publication(
    conn: psycopg.Connection, agreement_code: str, run_id: str, target: str, done: Publication, order: int | None
) -> None:
    conn.execute(
        sql.SQL(
            "INSERT INTO {} (agreement_code, run_id, target, rows, merged, deleted, stage_order) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)"
        ).format(table(LEDGER)),
        (agreement_code, run_id, target, done.rows, done.merged, done.deleted, order),
    )


def made_by_platform(conn: psycopg.Connection, target: str) -> bool:
    """Whether some delivery published ``target`` (``schema.table``) before: then the platform
    made the table and a delivery may replace or merge into it."""
    query = sql.SQL("SELECT EXISTS (SELECT 1 FROM {} WHERE target = %s)").format(table(LEDGER))
    return bool(scalar(conn, query, (target,)))


def refuse_foreign(conn: psycopg.Connection, plan: DeliveryPlan, step: str) -> None:
    """Never replace or merge into an existing table the platform did not make: it is the
    subscriber's own (or someone else's), and a delivery would destroy it."""
    target = sql.Identifier(plan.target_schema, plan.target_table)
    if plan.target_adopted or not exists(conn, target) or made_by_platform(conn, plan.target):
        return
    raise ExchangeFailed(
        step,
        f"the subscriber's database already has a table {plan.target} that govshare did not create; "
        "it was kept as it was",
        f"deliver into a new table (a new agreement), or, if the subscriber wants agreement {plan.agreement_code} "
        f"to replace it, an operator adopts it: `govshare agreement adopt-target {plan.agreement_code} "
        "--reason '…'`",
        retryable=False,
    )


def newer_publication(conn: psycopg.Connection, agreement_code: str, order: int | None) -> str | None:
    """The run of a publish of the agreement that read the provider after the run numbered
    ``order`` did (which would put older data over it), or None."""
    if order is None:
        return None
    query = sql.SQL(
        "SELECT run_id FROM {} WHERE agreement_code = %s AND stage_order > %s ORDER BY stage_order DESC LIMIT 1"
    ).format(table(LEDGER))
    found = conn.execute(query, (agreement_code, order)).fetchone()
    return found[0] if found else None


# --- where incremental agreements left off --------------------------------------------------


@dataclass(frozen=True)
class LastPublished:
    """Where an incremental agreement's last published delivery left off: the watermark, the
    provider's key count then, and the provider's snapshot it was read in (PostgreSQL)."""

    value: str | None = None
    keys: int | None = None
    snapshot: str | None = None


def last_published(conn: psycopg.Connection, agreement_code: str) -> LastPublished:
    query = sql.SQL("SELECT value, keys, snapshot FROM {} WHERE agreement_code = %s").format(table("watermark"))
    found = conn.execute(query, (agreement_code,)).fetchone()
    return LastPublished(*found) if found else LastPublished()


def record_published(conn: psycopg.Connection, agreement_code: str, run_id: str, reached: LastPublished) -> None:
    conn.execute(
        sql.SQL(
            "INSERT INTO {} (agreement_code, value, run_id, keys, snapshot) VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (agreement_code) DO UPDATE SET value = EXCLUDED.value, run_id = EXCLUDED.run_id, "
            "keys = EXCLUDED.keys, snapshot = EXCLUDED.snapshot, updated_at = now()"
        ).format(table("watermark")),
        (agreement_code, reached.value, run_id, reached.keys, reached.snapshot),
    )


# --- staging tables -------------------------------------------------------------------------


@dataclass(frozen=True)
class Staged:
    """What a staging table holds: its rows, the watermark reached, the provider's key count
    and whether its keys were shipped, its place in the order of runs, and the provider's
    snapshot it was read in (incremental, PostgreSQL)."""

    rows: int
    watermark: str | None
    keys: int | None
    keys_listed: bool
    order: int | None
    snapshot: str | None = None


def next_order(conn: psycopg.Connection) -> int:
    """A number larger than any run of this database was given before (sequences never roll back)."""
    return int(scalar(conn, "SELECT nextval(%s)", (f"{STAGING_SCHEMA}.{ORDER}",)))


def record_staged(conn: psycopg.Connection[Any], name: str, agreement_code: str, run_id: str, held: Staged) -> None:
    conn.execute(
        sql.SQL(
            "INSERT INTO {} (staging_table, agreement_code, run_id, rows, watermark, keys, key_list, stage_order, "
            "snapshot) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (staging_table) DO UPDATE SET "
            "rows = EXCLUDED.rows, watermark = EXCLUDED.watermark, keys = EXCLUDED.keys, key_list = EXCLUDED.key_list, "
            "stage_order = EXCLUDED.stage_order, snapshot = EXCLUDED.snapshot, staged_at = now()"
        ).format(table("staged")),
        (name, agreement_code, run_id, *astuple(held)),
    )


def staged(conn: psycopg.Connection, name: str) -> Staged | None:
    """What the staging table ``name`` holds, or None."""
    query = sql.SQL(
        "SELECT rows, watermark, keys, key_list, stage_order, snapshot FROM {} WHERE staging_table = %s"
    ).format(table("staged"))
    found = conn.execute(query, (name,)).fetchone()
    return Staged(*found) if found else None


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
