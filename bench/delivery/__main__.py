"""``python -m bench.delivery``: see the package's docstring."""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable

from bench.delivery import install, parsing, runs
from bench.delivery.floor_dag import FLOOR
from bench.delivery.runs import Measured
from bench.exchange.common import log

KINDS = [
    ("pipe", "psql"),
    ("delivery", "dags test"),
    ("floor", "dags test"),
    ("delivery", "scheduler"),
    ("floor", "scheduler"),
]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.delivery", description=__doc__)
    parser.add_argument("--rows", default="20000,2000000,10000000", help="sizes, comma-separated (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per size, at least 3 (default %(default)s)")
    parser.add_argument("--parse", type=int, default=0, metavar="N", help="also time the DAG file with N agreements")
    parser.add_argument("--keep", action="store_true", help="keep the bench's databases at the end")
    args = parser.parse_args()
    sizes = sorted(int(s.replace("_", "")) for s in args.rows.split(","))
    if args.repeat < 3:
        parser.error("--repeat: at least 3 rounds, or min and median mean little")
    platform = install.prepare()
    try:
        parsed = parsing.report(args.parse) if args.parse else []  # first: it is quick, and fails early
        by_size = {rows: measure_size(platform, rows, args.repeat) for rows in sizes}
        dags_test, scheduler = (summary(by_size, how) for how in ("dags test", "scheduler"))
        print("\n".join(parsed))
        print(f"dags test: {dags_test}")
        print(scheduler)
    finally:
        if not args.keep:
            install.drop()
    return 0


def measure_size(platform: install.Platform, rows: int, repeat: int) -> dict[tuple[str, str], list[Measured]]:
    from govshare.cluster.runner import ClusterRunner
    from govshare.cluster.topology import WORKERS, Cluster, shutdown

    install.build_register(platform.databases, rows)
    cluster = Cluster(1, env=platform.env)
    log("starting the cluster (scheduler, dag-processor, api-server, triggerer, one Celery worker)")
    cluster.start()
    try:
        runner = ClusterRunner(cluster.url, cluster.passwords_file)
        leaders = [c.started.process.pid for c in cluster.components if c.stage == WORKERS and c.started]
        found: dict[tuple[str, str], list[Measured]] = {kind: [] for kind in KINDS}
        with runs.TaskMemory(leaders) as memory:
            for round_ in range(1, repeat + 1):
                for what, how in KINDS:
                    run = one(platform, runner, memory, what, how)
                    found[(what, how)].append(run)
                    log(f"{rows:,} rows, round {round_}: {what} ({how}) {run.wall:.2f} s {tasks_line(run)}")
                    if what == "delivery" and (got := runs.delivered_rows(platform)) != rows:
                        raise SystemExit(f"the delivery left {got:,} rows in the target, not {rows:,}")
    finally:
        shutdown(cluster)
    report(rows, found)
    return found


def one(platform, runner, memory, what: str, how: str) -> Measured:
    dag_id = platform.agreement if what == "delivery" else FLOOR
    if what == "pipe":
        return runs.pipe(platform)
    if how == "dags test":
        return runs.dags_test(platform, runner, what, dag_id)
    return runs.scheduled(platform, runner, memory, what, dag_id)


def tasks_line(run: Measured) -> str:
    return ", ".join(f"{t} {s:.2f}" for t, s in run.tasks.items())


def report(rows: int, found: dict[tuple[str, str], list[Measured]]) -> None:
    print(f"\n== {rows:,} rows: the population register delivered through Airflow, shipped suite ==")
    print(f"{'run':<26}{'min s':>9}{'median s':>10}  runs")
    for (what, how), measured in found.items():
        walls = [m.wall for m in measured]
        print(
            f"{what + ' (' + how + ')':<26}{min(walls):>9.2f}{statistics.median(walls):>10.2f}  "
            + " ".join(f"{w:.2f}" for w in walls)
        )
    for how in ("dags test", "scheduler"):
        for what in ("delivery", "floor"):
            measured = found[(what, how)]
            names = list(measured[0].tasks)
            cells = [
                f"{t} {min(m.tasks[t] for m in measured):.2f}/{statistics.median(m.tasks[t] for m in measured):.2f}"
                for t in names
            ]
            print(f"  tasks of {what} ({how}), min/median s: {', '.join(cells)}")
            peaks = {k: max(m.rss_mb.get(k, 0.0) for m in measured) for k in measured[0].rss_mb}
            print(f"  peak RSS of {what} ({how}), MB: " + ", ".join(f"{k} {v:.0f}" for k, v in peaks.items()))
        print(f"  {how}: " + ratios(found, how, statistics.median, "median") + " | " + ratios(found, how, min, "min"))


def ratios(found, how: str, pick: Callable, label: str) -> str:
    pipe = pick(m.wall for m in found[("pipe", "psql")])
    delivery, floor = found[("delivery", how)], found[("floor", how)]
    return (
        f"({label}) data/pipe={pick(m.data for m in delivery) / pipe:.2f} "
        f"check/pipe={pick(m.tasks['check'] for m in delivery) / pipe:.2f} "
        f"fixed/floor={pick(m.fixed for m in delivery) / pick(m.wall for m in floor):.2f} "
        f"whole/floor={pick(m.wall for m in delivery) / pick(m.wall for m in floor):.2f}"
    )


def summary(by_size: dict[int, dict], how: str) -> str:
    """The last line: data/pipe and check/pipe at each size of a million rows or more, fixed/floor
    the largest of any size, small/floor at the smallest size, the largest task process."""
    large = {rows: f for rows, f in by_size.items() if rows >= 1_000_000}
    smallest = min(by_size)

    def per_size(value: Callable) -> str:
        return ",".join(f"{value(f):.2f}@{rows // 1_000_000}M" for rows, f in large.items()) or "n/a"

    def pipe(f) -> float:
        return min(m.wall for m in f[("pipe", "psql")])

    def delivery(f) -> list[Measured]:
        return f[("delivery", how)]

    def floor(f) -> float:
        return min(m.wall for m in f[("floor", how)])

    fixed = max(min(m.fixed for m in delivery(f)) / floor(f) for f in by_size.values())
    small = min(m.wall for m in delivery(by_size[smallest])) / floor(by_size[smallest])
    rss = max(v for f in by_size.values() for m in delivery(f) + f[("floor", how)] for v in m.rss_mb.values())
    return (
        f"data/pipe={per_size(lambda f: min(m.data for m in delivery(f)) / pipe(f))} "
        f"fixed/floor={fixed:.2f} "
        f"check/pipe={per_size(lambda f: min(m.tasks['check'] for m in delivery(f)) / pipe(f))} "
        f"small/floor={small:.2f}@{smallest:,}rows "
        f"rss_max_mb={rss:.0f}"
    )


if __name__ == "__main__":
    sys.exit(main())
