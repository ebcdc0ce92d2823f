"""`govshare opendata`: the open-data publication (article 19)."""

from __future__ import annotations

import logging

import click
from sqlalchemy import select

from govshare import clock
from govshare.cli.output import Table, console, number
from govshare.registry import models as m
from govshare.registry.db import session


@click.group("opendata")
def group() -> None:
    """Publish open resources and see their publications."""


@group.command("publish")
@click.option("--all", "force", is_flag=True, help="Publish every open resource, not only those due on their cycle.")
def opendata_publish(force: bool) -> None:
    """Publish the open resources that are due, withdraw those no longer open, and write the
    DCAT catalogue — what the platform_open_data DAG runs. Exits 1 if one could not be published."""
    from govshare.airflow.open_data import store  # Airflow's ObjectStoragePath and connections
    from govshare.airflow.runtime import OUTSIDE_A_TASK
    from govshare.opendata.publication import run_round

    logging.basicConfig(level=logging.INFO, format="  %(message)s")
    done = run_round(session, OUTSIDE_A_TASK, store(), f"manual__{clock.now().isoformat(timespec='seconds')}", force)
    for label, codes in (
        ("published", done.published),
        ("blocked", done.blocked),
        ("failed", done.failed),
        ("withdrawn", done.withdrawn),
    ):
        console.print(f"{label}: {', '.join(codes) or 'none'}")
    if done.blocked or done.failed:
        raise SystemExit(1)


@group.command("list")
@click.option("--limit", default=20, show_default=True)
def opendata_list(limit: int) -> None:
    """Recent publications, newest first."""
    table = Table("id", "resource", "run", "status", "rows", "version", "error")
    with session() as s:
        for p in s.scalars(select(m.Publication).order_by(m.Publication.id.desc()).limit(limit)):
            table.add_row(
                str(p.id), p.resource_code, p.run_id, p.status, number(p.rows), p.version or "—", p.error or ""
            )
    console.print(table)
