#!/usr/bin/env python
"""What reading every row written since the last extract's snapshot costs an incremental
extract, against its anchor — the watermark range alone — side by side on one table.

    .venv/bin/python bench/late_commits_bench.py [--rows 2000000] [--changed 20000]

A table of --rows rows (the population register's shape, an index on updated_at) in a database
of its own; --changed rows are then updated after a snapshot was taken. Both queries are the
incremental extract's count, each run 5 times after a warm-up; the median is printed:

  anchor  WHERE updated_at >= lower_bound                        (index range)
  govshare WHERE updated_at >= lower_bound OR <written since the snapshot>  (the table's rows)

Prints both medians and the ratio. Needs GOVSHARE_PG_URL (an admin URL) or root on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import datetime, timedelta

import psycopg
from psycopg import sql

from govshare.exchange.sources import PostgresSource

ADMIN = os.environ.get("GOVSHARE_PG_URL", "postgresql://root@127.0.0.1:5432/postgres")
DB = "govshare_bench_late"


def timed(conn, query, params) -> float:
    started = time.perf_counter()
    conn.execute(query, params).fetchone()
    return time.perf_counter() - started


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--rows", type=int, default=2_000_000)
    args.add_argument("--changed", type=int, default=20_000)
    given = args.parse_args()
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB)))
    url = ADMIN.rsplit("/", 1)[0] + f"/{DB}"
    start = datetime(2026, 1, 1)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE t AS SELECT g AS person_id, md5(g::text) AS name, lpad(g::text, 18, '0') AS citizen_id, "
                "%s::timestamp + g * interval '1 second' AS updated_at FROM generate_series(1, %s) g",
                (start, given.rows),
            )
            conn.execute("ALTER TABLE t ADD PRIMARY KEY (person_id)")
            conn.execute("CREATE INDEX ON t (updated_at)")
            conn.execute("VACUUM ANALYZE t")
            reader = psycopg.connect(url)
            reader.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            snapshot = reader.execute("SELECT txid_current_snapshot()::text").fetchone()[0]
            reader.close()
            mark = start + timedelta(seconds=given.rows)
            conn.execute(
                "UPDATE t SET updated_at = %s WHERE person_id %% %s = 0",
                (mark + timedelta(minutes=5), given.rows // given.changed),
            )
            conn.execute("ANALYZE t")
            source = PostgresSource(conn)
            source.rows_carry_writers = True
            since, since_params = source.written_since(snapshot)
            lower = mark - timedelta(seconds=600)
            anchor = sql.SQL("SELECT count(*) FROM t WHERE updated_at >= %s")
            ours = sql.SQL("SELECT count(*) FROM t WHERE (updated_at >= %s OR {})").format(since)
            counts = (
                conn.execute(anchor, [lower]).fetchone()[0],
                conn.execute(ours, [lower, *since_params]).fetchone()[0],
            )
            runs = {"anchor (watermark range)": [], "govshare (range OR written since)": []}
            for _ in range(6):
                runs["anchor (watermark range)"].append(timed(conn, anchor, [lower]))
                runs["govshare (range OR written since)"].append(timed(conn, ours, [lower, *since_params]))
            medians = {name: statistics.median(times[1:]) for name, times in runs.items()}
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB)))
    print(
        f"{given.rows:,} rows, {given.changed:,} changed since the snapshot; rows found: anchor {counts[0]:,}, govshare {counts[1]:,}"
    )
    for name, median in medians.items():
        print(f"  {name:38} {median * 1000:8.1f} ms (median of 5)")
    anchor_ms, ours_ms = medians.values()
    print(f"  ratio govshare / anchor: {ours_ms / anchor_ms:.1f}x")


if __name__ == "__main__":
    main()
