"""`govshare delivery`: what the agreements' DAG runs delivered."""

from __future__ import annotations

import click
from rich.table import Table

from govshare.cli.output import console, number
from govshare.registry import deliveries
from govshare.registry.db import session


@click.group("delivery")
def group() -> None:
    """Inspect deliveries."""


@group.command("list")
@click.option("--agreement", "code", default=None, help="Only this agreement's deliveries.")
@click.option("--limit", default=20, show_default=True)
def delivery_list(code: str | None, limit: int) -> None:
    """Recent deliveries, newest first."""
    table = Table("id", "agreement", "run", "status", "rows", "bytes", "checks ok/failed/warned", "seconds", "error")
    with session() as s:
        for d in deliveries.recent(s, code, limit):
            table.add_row(
                str(d.id),
                d.agreement_code,
                d.run_id,
                d.status,
                number(d.rows),
                number(d.bytes),
                f"{number(d.checks_passed)}/{number(d.checks_failed)}/{number(d.checks_warned)}",
                f"{d.duration_seconds:.1f}" if d.duration_seconds is not None else "",
                (d.error or "")[:120],
            )
    console.print(table)
