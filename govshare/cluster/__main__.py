"""``python -m govshare.cluster up|demo [--workers N]`` (``make cluster``, ``make cluster-demo``).

Run through the devserver environment (the Makefile does): it supplies AIRFLOW_HOME, Airflow's
metadata DB and the registry. Ctrl-C or SIGTERM stops every process the cluster started.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time

from govshare import processes
from govshare.cluster.topology import Cluster, safe_url, shutdown
from govshare.errors import GovshareError, Stopped
from govshare.terminal import console, errors


def _terminated(signum, _frame) -> None:
    raise Stopped()


def describe(cluster: Cluster, took: float) -> None:
    """Where the UI is, which workers joined, and what each component is and holds."""
    console.print(
        f"[bold green]cluster ready[/] in {took:.0f}s: CeleryExecutor, {cluster.workers} workers × {cluster.concurrency} "
        f"tasks, broker {safe_url(cluster.broker.url)} ({cluster.broker.origin})",
        highlight=False,
    )
    for component in cluster.components:
        console.print(
            f"    {component.name:<14} pid {component.started.pid:<8} {component.memory() / 2**20:>5.0f} MB  "
            f"log {component.log}",
            highlight=False,
        )
    console.print(f"  UI: {cluster.url}  (user admin, password in {cluster.passwords_file})", highlight=False)
    console.print(f"  workers joined (Celery ping): {', '.join(cluster.joined())}", highlight=False)


def up(workers: int) -> int:
    cluster = Cluster(workers)
    started = time.monotonic()
    console.print(f"starting the cluster (logs in {cluster.logs}) …", highlight=False)
    try:
        cluster.start()
        describe(cluster, time.monotonic() - started)
        console.print("Ctrl-C stops every process of the cluster.")
        reported: set[str] = set()
        while True:
            time.sleep(2)
            processes.reap(keep=[c.started for c in cluster.components if c.started])
            for component in cluster.stopped():
                if component.name not in reported:
                    reported.add(component.name)
                    console.print(
                        f"[red]{component.name} exited[/] with {component.started.poll()} (log: {component.log}); "
                        "the others go on",
                        highlight=False,
                    )
    except (KeyboardInterrupt, Stopped):
        console.print("stopping the cluster …")
        return 0
    finally:
        shutdown(cluster)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m govshare.cluster", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["up", "demo"])
    parser.add_argument("--workers", type=int, default=2, help="Celery workers to start (default 2)")
    parser.add_argument("--scale", type=float, default=1.0, help="demo: multiply the sample row counts")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminated)
    # A task process whose worker died comes to us rather than to init: ended below.
    processes.adopt_orphans()
    try:
        if args.command == "up":
            return up(args.workers)
        from govshare.cluster.demo import cluster_demo

        return cluster_demo(args.workers, args.scale)
    except (KeyboardInterrupt, Stopped):
        console.print("stopped")  # the cluster was stopped on the way out
        return 130
    except GovshareError as exc:
        errors.print(f"[red]error:[/] {exc.message}", highlight=False)
        if exc.hint:
            errors.print(f"  fix: {exc.hint}", highlight=False)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        processes.stop_strays(grace=5)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
