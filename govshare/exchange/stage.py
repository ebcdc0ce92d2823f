"""Streaming the authorised columns from the provider's front DB into a staging table.

PostgreSQL to PostgreSQL uses binary COPY end to end: blocks go from one socket to the other
without being decoded, so memory stays flat whatever the table size. The catalogue types
define both sides (the preflight proved the provider's columns have exactly those types),
which is what makes the binary format safe to pass through.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from psycopg import IsolationLevel, sql

from govshare.exchange import staging
from govshare.exchange.address import DatabaseAddress
from govshare.exchange.connect import connect
from govshare.exchange.plan import DeliveryPlan


@dataclass(frozen=True)
class StageResult:
    table: str
    rows: int
    bytes: int
    seconds: float


def stage(plan: DeliveryPlan, source: DatabaseAddress, subscriber: DatabaseAddress, run_id: str) -> StageResult:
    started = time.monotonic()
    target = staging.table(plan.staging_table(run_id))
    names = [c.name for c in plan.columns]
    columns = sql.SQL(", ").join(sql.Identifier(n) for n in names)
    definition = sql.SQL(", ").join(
        # c.type.postgres() comes from the closed catalogue type grammar, never from free text.
        sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.type.postgres()))
        for c in plan.columns
    )
    extract = sql.SQL("COPY (SELECT {} FROM {}) TO STDOUT (FORMAT BINARY)").format(
        columns, sql.Identifier(plan.source_schema, plan.source_table)
    )
    load = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(target, columns)

    with (
        connect(source, "provider", plan.source_conn_id) as src,
        connect(subscriber, "subscriber", plan.target_conn_id) as dst,
    ):
        # One consistent snapshot of the provider's table, and no way to write to it.
        src.isolation_level = IsolationLevel.REPEATABLE_READ
        src.read_only = True
        dst.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(target))  # a retry starts clean
        dst.execute(sql.SQL("CREATE TABLE {} ({})").format(target, definition))
        streamed = 0
        with src.cursor() as out_cur, dst.cursor() as in_cur:
            with out_cur.copy(extract) as out, in_cur.copy(load) as inp:
                for block in out:
                    inp.write(block)
                    streamed += len(block)
            rows = in_cur.rowcount
        dst.execute(sql.SQL("ANALYZE {}").format(target))
        dst.commit()
    return StageResult(plan.staging_table(run_id), rows, streamed, time.monotonic() - started)
