"""What each rule costs the check's one scan: the population register's shipped suite,
scanned whole and then without each rule in turn (the same process, the same table, each
scan its best of ``--repeat``).

    .venv/bin/python -m govshare.devserver run -- .venv/bin/python -m bench.scan_rules_bench [--rows N]

Printed: the scan with every rule, a bare ``count(*)`` beside it (the floor of reading the
table), what leaving each rule out saves, and the rules counted apart (their own queries).
"""

from __future__ import annotations

import argparse
import time

import psycopg
from psycopg import sql

from bench.check_bench import build
from bench.exchange.common import SOURCE_SCHEMA, SOURCE_TABLE, Databases, log


def best(conn: psycopg.Connection, query: sql.Composable, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.monotonic()
        conn.execute(query).fetchone()
        times.append(time.monotonic() - started)
    return min(times)


def measure(url: str, rows: int, repeat: int) -> None:
    from bench.exchange.children import make_plan
    from govshare import settings
    from govshare.quality import fused, rules
    from govshare.quality.check import CheckContext, runnables

    table = sql.Identifier(SOURCE_SCHEMA, SOURCE_TABLE)
    plan = make_plan({"kind": "B", "agreement": "BENCH-SCAN", "table": SOURCE_TABLE, "target": "unused"})
    found, _ = rules.for_plan(plan, settings.quality_dir())
    counted = [fused.compile(c, table) for c in runnables(found, table, CheckContext(rows=rows))[0]]
    in_scan = [c for c in counted if c.unexpected is not None or c.judged is not None]
    with psycopg.connect(url, options="-c timezone=Asia/Shanghai", autocommit=True) as conn:

        def scan(chosen: list) -> sql.Composable:
            columns = sql.SQL(", ").join(sql.SQL("{}, {}").format(*fused._pair(c)) for c in chosen)
            return sql.SQL("SELECT {} FROM {}").format(columns, fused._joined(conn, table, chosen))

        whole = best(conn, scan(in_scan), repeat)
        print(f"== the one scan of {rows:,} rows, shipped suite of gat_population_register ==")
        print(f"{len(in_scan)} rules in the scan        {whole:6.2f} s")
        print(
            f"count(*) alone               {best(conn, sql.SQL('SELECT count(*) FROM {}').format(table), repeat):6.2f} s"
        )
        for i, c in enumerate(in_scan):
            saved = whole - best(conn, scan(in_scan[:i] + in_scan[i + 1 :]), repeat)
            print(f"  without {c.check.rule.name:<34} saves {saved:+6.2f} s")
        for c in counted:
            if c.apart is not None:
                print(f"  apart   {c.check.rule.name:<34} {best(conn, c.apart, repeat):6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scan_rules_bench", description=__doc__)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    db = Databases.on_server("gsscan")
    db.create()
    try:
        build(db, args.rows)
        log("scanning")
        measure(db.src, args.rows, args.repeat)
    finally:
        db.drop()


if __name__ == "__main__":
    main()
