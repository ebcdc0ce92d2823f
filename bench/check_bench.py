"""The check step alone: Great Expectations' own SQL execution against govshare's one scan
(govshare.quality.fused), on the same table with the population register's shipped suite.

    .venv/bin/python -m govshare.devserver run -- .venv/bin/python -m bench.check_bench [--rows N] [--repeat 3]

The table is the bench's generated register (bench/exchange/population.py). Each run is a
process of its own (``--child fused|gx``), so its peak RSS and its imports are its own; the two
executors alternate, ``--repeat`` times each. Printed: each run; min and median per executor;
and a last line ``gx/fused=… (min) … (median) gx_import_s=… rss_fused_mb=… rss_gx_mb=…``.
The counts of the two are compared on every run: the bench stops if they differ.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql

from bench.exchange.common import SOURCE_SCHEMA, SOURCE_TABLE, Databases, log, max_rss_mb
from bench.exchange.population import create_provider_table

ROOT = Path(__file__).resolve().parents[1]


def child(kind: str, url: str, rows: int) -> dict:
    """One check of the whole table by one executor: seconds, counts, peak RSS."""
    from bench.exchange.children import make_plan
    from govshare import settings
    from govshare.exchange.address import DatabaseAddress
    from govshare.quality import fused, rules
    from govshare.quality.check import CheckContext, runnables

    table = sql.Identifier(SOURCE_SCHEMA, SOURCE_TABLE)
    plan = make_plan({"kind": "B", "agreement": "BENCH-CHECK", "table": SOURCE_TABLE, "target": "unused"})
    found, _ = rules.for_plan(plan, settings.quality_dir())
    checks, _ = runnables(found, table, CheckContext(rows=rows, update_cycle="daily"))
    started = time.monotonic()
    if kind == "gx":
        from govshare.quality import gx

        imported = time.monotonic() - started
        started = time.monotonic()
        results = gx.run(checks, DatabaseAddress.from_url(url), SOURCE_SCHEMA, SOURCE_TABLE, rows)
    else:
        imported = 0.0
        with psycopg.connect(url, options="-c timezone=Asia/Shanghai") as conn:
            results = fused.run(conn, [fused.compile(c, table) for c in checks], table, rows)
    seconds = time.monotonic() - started
    counts = {r.rule: [r.success, r.unexpected_count, r.error] for r in results}
    return {"kind": kind, "seconds": seconds, "import": imported, "rss_mb": max_rss_mb(), "counts": counts}


def measured(kind: str, url: str, rows: int) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.check_bench", "--child", kind, "--url", url, "--rows", str(rows)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"the {kind} run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def build(db: Databases, rows: int) -> None:
    from govshare.quality import domain

    log(f"building {SOURCE_SCHEMA}.{SOURCE_TABLE} with {rows:,} rows")
    with psycopg.connect(db.src, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SOURCE_SCHEMA}")
        create_provider_table(conn, SOURCE_TABLE, rows)
        conn.execute(f"VACUUM ANALYZE {SOURCE_SCHEMA}.{SOURCE_TABLE}")
    with psycopg.connect(db.src) as conn:
        domain.install(conn)


def compare(args, db: Databases) -> None:
    runs: dict[str, list[dict]] = {"fused": [], "gx": []}
    for attempt in range(args.repeat):
        for kind in ("fused", "gx"):
            run = measured(kind, db.src, args.rows)
            runs[kind].append(run)
            log(
                f"{kind} #{attempt + 1}: {run['seconds']:.2f} s (import {run['import']:.2f} s), peak RSS {run['rss_mb']:.0f} MB"
            )
            if run["counts"] != runs["fused"][0]["counts"]:
                raise SystemExit(
                    f"the {kind} counts differ from the scan's:\n{run['counts']}\n{runs['fused'][0]['counts']}"
                )
    print(f"== check of {args.rows:,} rows, shipped suite of gat_population_register, {os.cpu_count()} cores ==")
    for kind, label in (("fused", "one scan (govshare.quality.fused)"), ("gx", "Great Expectations 1.x SQL")):
        seconds = [r["seconds"] for r in runs[kind]]
        print(f"{label:<36} min {min(seconds):7.2f} s  median {statistics.median(seconds):7.2f} s  runs {seconds}")
    print(f"counts identical on every run: {len(runs['fused'][0]['counts'])} rules")
    fused_s, gx_s = ([r["seconds"] for r in runs[k]] for k in ("fused", "gx"))
    print(
        f"gx/fused={min(gx_s) / min(fused_s):.2f} (min) {statistics.median(gx_s) / statistics.median(fused_s):.2f} (median) "
        f"gx_import_s={statistics.median(r['import'] for r in runs['gx']):.2f} "
        f"rss_fused_mb={max(r['rss_mb'] for r in runs['fused']):.0f} rss_gx_mb={max(r['rss_mb'] for r in runs['gx']):.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.check_bench", description=__doc__)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db-prefix", default="gscheck")
    parser.add_argument("--child", choices=("fused", "gx"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.url, args.rows)))
        return
    db = Databases.on_server(args.db_prefix)
    db.create()
    try:
        build(db, args.rows)
        compare(args, db)
    finally:
        db.drop()


if __name__ == "__main__":
    main()
