"""`govshare settings`: every GOVSHARE_* variable, its value here, and what it does."""

from __future__ import annotations

import os

import click
from pydantic import SecretStr
from rich.text import Text

from govshare.cli.output import Table, console
from govshare.errors import ConfigurationError
from govshare.settings import Settings, setting, variables


@click.command("settings")
@click.option("--all", "tooling", is_flag=True, help="Also the local tooling's variables (tests, make cluster).")
def group(tooling: bool) -> None:
    """The platform's settings as this process sees them (secrets as ********); a bad value is
    shown with what is wrong, and the command then exits 1."""
    table = Table("variable", "value", "", "meaning", box=None, pad_edge=False)
    bad = 0
    for name, variable in variables(tooling):
        meaning = Settings.model_fields[name].description or ""
        try:
            value = setting(name)
        except ConfigurationError as exc:
            bad += 1
            table.add_row(variable, Text(exc.message, style="red"), "invalid", f"{meaning} Fix: {exc.hint}")
            continue
        shown = "********" if isinstance(value, SecretStr) else "" if value is None else str(value)
        table.add_row(variable, shown, "set" if os.environ.get(variable, "").strip() else "default", meaning)
    console.print(table)
    raise SystemExit(1 if bad else 0)
