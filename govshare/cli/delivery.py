"""`govshare delivery`: what the agreements' DAG runs delivered."""

from __future__ import annotations

import logging

import click

from govshare import clock
from govshare.cli.output import CODE, Table, console, number, operator
from govshare.registry import agreements, deliveries
from govshare.registry.db import session


@click.group("delivery")
def group() -> None:
    """Run and inspect deliveries."""


@group.command("run")
@click.argument("code", type=CODE)
@click.option("--run-id", default=None, help="The run's id (default manual__<now>); a run id already used reruns it.")
def delivery_run(code: str, run_id: str | None) -> None:
    """Deliver agreement CODE now, in this process: preflight, stage, check, publish, record and
    notify — the code an Airflow run of its DAG runs, with the same records, reports, emails and
    audit entries. Connections come from Airflow's (environment or metadata database). Exits 1
    if the delivery failed; nothing is retried."""
    from govshare.airflow.runtime import OUTSIDE_A_TASK  # Airflow: only for this command
    from govshare.delivery.run import DeliveryRun

    logging.basicConfig(level=logging.INFO, format="  %(message)s")  # each step's account, as in a task log
    run_id = run_id or f"manual__{clock.now().isoformat(timespec='seconds')}"
    run = DeliveryRun(code, run_id, OUTSIDE_A_TASK, actor=str(operator()))
    delivery = run.run(announce=lambda step: console.print(f"[bold]{step}[/]"))
    rows = f"{number(delivery.rows)} rows staged, {number(deliveries.rows_delivered(delivery))} delivered"
    checks = f"checks {number(delivery.checks_passed)} passed / {number(delivery.checks_warned)} warned"
    console.print(f"delivery {delivery.id} of {code} ({run_id}): {delivery.status}, {rows}; {checks}")


@group.command("list")
@click.option("--agreement", "code", type=CODE, default=None, help="Only this agreement's deliveries.")
@click.option("--limit", default=20, show_default=True)
def delivery_list(code: str | None, limit: int) -> None:
    """Recent deliveries, newest first."""
    table = Table(
        "id",
        "agreement",
        "run",
        "status",
        "rows staged",
        "delivered",
        "bytes",
        "checks ok/failed/warned",
        "seconds",
        "error",
    )
    with session() as s:
        if code:
            agreements.get(s, code)  # an unknown code is a typo, not an agreement without deliveries
        for d in deliveries.recent(s, code, limit):
            table.add_row(
                str(d.id),
                d.agreement_code,
                d.run_id,
                d.status,
                number(d.rows),
                number(deliveries.rows_delivered(d)),
                number(d.bytes),
                f"{number(d.checks_passed)}/{number(d.checks_failed)}/{number(d.checks_warned)}",
                f"{d.duration_seconds:.1f}" if d.duration_seconds is not None else "",
                (d.error or "")[:120],
            )
    console.print(table)
