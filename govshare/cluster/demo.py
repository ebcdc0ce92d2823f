"""``make cluster-demo``: the demo's agreements run by the cluster's scheduler and workers.

The demo's mailbox is opened first, so that the cluster's processes get its SMTP connection
(``AIRFLOW_CONN_GOVSHARE_SMTP``) when they start; then the cluster starts, the demo runs with
a runner that triggers each DAG through the api-server, and a table shows which worker ran
each task of each agreement's run. The exit code is the demo's: 0 when every agreement ended
as the sample data intends.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

from rich.table import Table

from govshare.airflow import mail
from govshare.cluster.runner import ClusterRun, ClusterRunner
from govshare.cluster.topology import Cluster, PeakMemory, shutdown
from govshare.demo.mailbox import Mailbox
from govshare.registry.deliveries import DeliveryStatus
from govshare.terminal import console

TASKS = ("stage", "check", "publish", "record")


def cluster_demo(workers: int = 2, scale: float = 1.0) -> int:
    from govshare.demo.run import run_demo  # Faker and the sample data: only for the demo

    state = Path(os.environ["AIRFLOW_HOME"]).parent
    with Mailbox.for_run(state / "mail") as mailbox:
        env = {
            **os.environ,
            f"AIRFLOW_CONN_{mail.SMTP_CONN_ID.upper()}": mailbox.connection,
            # The demo triggers every run itself: scheduled runs of the agreements it activates
            # (and the platform DAGs' first rounds) would run beside them and blur what it shows.
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        }
        started = time.monotonic()
        console.print(
            f"[bold cyan]cluster:[/] starting the services and {workers} workers (logs in {state}/logs/cluster)",
            highlight=False,
        )
        cluster = Cluster(workers, env=env)
        try:
            cluster.start()
            console.print(
                f"    ready in {time.monotonic() - started:.0f}s; UI {cluster.url} (user admin, password in "
                f"{cluster.passwords_file}); workers joined: {', '.join(cluster.joined())}",
                highlight=False,
            )
            runner = ClusterRunner(cluster.url, cluster.passwords_file)
            with PeakMemory(cluster) as memory:
                code = run_demo(scale, runner, mailbox)
            console.print("\n[bold cyan]cluster:[/] which worker ran each task of each agreement's run")
            worker_table(runner.runs)
            peaks = ", ".join(f"{name} {size / 2**20:.0f} MB" for name, size in memory.peak.items())
            total = sum(memory.peak.values()) / 2**20
            console.print(f"    peak memory (PSS) during the demo: {peaks}; {total:.0f} MB together", highlight=False)
            lost = [c.name for c in cluster.stopped()]
            if lost:
                console.print(f"[red]components that exited during the demo:[/] {', '.join(lost)}")
        finally:
            shutdown(cluster)
    if code == 0:
        console.print("[green]every agreement ended as the demo intends[/], run by the cluster's scheduler")
    else:
        console.print(f"[red]the demo did not end as intended[/] (exit {code}): see the lines above and the logs")
    return code


def worker_table(runs: list[ClusterRun]) -> None:
    from govshare.registry import deliveries
    from govshare.registry.db import session

    table = Table("agreement", "delivery", "rows staged", "delivered", *TASKS)
    used: Counter[str] = Counter()
    with session() as s:
        for run in runs:
            if not run.dag_id.startswith("AGR-"):
                continue
            delivery = deliveries.find(s, run.dag_id, run.run_id)
            status = delivery.status if delivery else f"none (run {run.state})"
            staged, delivered = (delivery.rows, deliveries.rows_delivered(delivery)) if delivery else (None, None)
            cells = []
            for task in TASKS:
                tries = [a for a in run.attempts if a.task_id == task]
                used.update(a.hostname for a in tries if a.hostname)
                # Every try, in order: a retry on another worker shows as "worker-1 → worker-2".
                cells.append(" → ".join(_short(a.hostname) or a.state or "-" for a in tries) or "-")
            colour = {DeliveryStatus.SUCCEEDED: "green", DeliveryStatus.FAILED: "yellow"}.get(status, "red")
            table.add_row(run.dag_id, f"[{colour}]{status}[/]", f"{staged or 0:,}", f"{delivered or 0:,}", *cells)
    console.print(table)
    spread = ", ".join(f"{name} ({count} tasks)" for name, count in sorted(used.items()))
    console.print(f"    tasks ran on {len(used)} worker(s): {spread}", highlight=False)
    if len(used) < 2:
        console.print("[yellow]    only one worker ran tasks: were the others busy, or not joined?[/]")


def _short(hostname: str) -> str:
    return hostname.split("@")[0]
