"""The ``govshare`` command. Every command that fails prints what is wrong and how to fix it,
and exits 1; nothing is changed by a refused command."""

from __future__ import annotations

import sys

import click

from govshare import settings
from govshare.cli.output import TOKEN_HELP, GovshareGroup, console


@click.group(cls=GovshareGroup)
@click.option("--token", default=None, help=TOKEN_HELP)
def main(token: str | None) -> None:
    """govshare — government information resource sharing on Apache Airflow.

    Agency actions need the agency's API token (--token, before or after the command, or
    GOVSHARE_TOKEN); without one you act as a platform operator.
    """
    # Read by govshare.cli.output.acting: the command's own --token wins over this one.


@main.group()
def registry() -> None:
    """The registry database."""


@registry.command("upgrade")
def registry_upgrade() -> None:
    """Create or migrate the registry schema to the current version (safe to repeat)."""
    from govshare.registry.migrate import upgrade

    upgrade(settings.registry_url())
    console.print("registry schema is up to date")


@main.command()
@click.option("--scale", default=1.0, show_default=True, help="Multiply the sample row counts.")
def demo(scale: float) -> None:
    """Run the main job end to end on sample agencies (what `make demo` does)."""
    from govshare.demo.run import run_demo  # Faker and Airflow: only for the demo

    sys.exit(run_demo(scale=scale))


def _register() -> None:
    from govshare.cli import (
        agreement,
        audit,
        calendar,
        catalog,
        config,
        correction,
        delivery,
        opendata,
        report,
        staff,
        token,
    )

    for module in (catalog, agreement, correction, token, staff, audit, delivery, opendata, report, calendar, config):
        main.add_command(module.group)


_register()
