"""The one scan of the shipped population suite with its citizen_id rule counted inline (as
govshare.quality.domain compiles it) against the same scan calling is_citizen_id per row,
interleaved in one process on one generated register; the counts must agree.

    .venv/bin/python -m govshare.devserver run -- .venv/bin/python -m bench.inline_id_bench [--rows N] [--repeat 4]

Last line: ``function/inline=… (min) … (median)``.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

import psycopg
from psycopg import sql

from bench.check_bench import build
from bench.exchange.children import make_plan
from bench.exchange.common import SOURCE_SCHEMA, SOURCE_TABLE, Databases, log
from govshare import settings
from govshare.quality import domain, fused, rules
from govshare.quality.check import CheckContext, runnables


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.inline_id_bench", description=__doc__)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=4)
    args = parser.parse_args()
    db = Databases.on_server("gsinline")
    db.create()
    try:
        build(db, args.rows)
        table = sql.Identifier(SOURCE_SCHEMA, SOURCE_TABLE)
        plan = make_plan({"kind": "B", "agreement": "BENCH-CHECK", "table": SOURCE_TABLE, "target": "unused"})
        found, _ = rules.for_plan(plan, settings.quality_dir())
        inline, _ = runnables(found, table, CheckContext(rows=args.rows, update_cycle="daily"))
        # The earlier way: the rule's breaking rows (the function call) counted in the scan.
        called = [
            dataclasses.replace(c, counted=sql.SQL("count(*) FILTER (WHERE {})").format(c.breaking), lateral=None)
            if c.lateral is not None
            else c
            for c in inline
        ]
        seconds: dict[str, list[float]] = {"inline": [], "function": []}
        with psycopg.connect(db.src, options="-c timezone=Asia/Shanghai") as conn:
            domain.install(conn)
            for attempt in range(args.repeat):
                counts = []
                for kind, checks in (("inline", inline), ("function", called)):
                    started = time.monotonic()
                    results = fused.run(conn, [fused.compile(c, table) for c in checks], table, args.rows)
                    seconds[kind].append(time.monotonic() - started)
                    counts.append([(r.rule, r.unexpected_count) for r in results])
                    log(f"{kind} #{attempt + 1}: {seconds[kind][-1]:.2f} s")
                if counts[0] != counts[1]:
                    raise SystemExit(f"the counts differ:\n{counts[0]}\n{counts[1]}")
    finally:
        db.drop()
    for kind, runs in seconds.items():
        print(f"{kind:<9} min {min(runs):6.2f} s  median {statistics.median(runs):6.2f} s")
    f, i = seconds["function"], seconds["inline"]
    print(f"function/inline={min(f) / min(i):.2f} (min) {statistics.median(f) / statistics.median(i):.2f} (median)")


if __name__ == "__main__":
    main()
