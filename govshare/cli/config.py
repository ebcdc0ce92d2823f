"""`govshare settings`: every GOVSHARE_* variable, its value here, and what it does."""

from __future__ import annotations

import click
from pydantic import SecretStr
from rich.text import Text

from govshare.cli.output import Table, console
from govshare.settings import Settings, variables


@click.command("settings")
@click.option("--all", "tooling", is_flag=True, help="Also the local tooling's variables (tests, make cluster).")
def group(tooling: bool) -> None:
    """The platform's settings as this process sees them (secrets as ********)."""
    current = Settings.read()
    table = Table("variable", "value", "", "meaning", box=None, pad_edge=False)
    for name, variable in variables(tooling):
        value = getattr(current, name)
        shown = "********" if isinstance(value, SecretStr) else "" if value is None else str(value)
        origin = "set" if name in current.model_fields_set else "default"
        table.add_row(variable, Text(shown), origin, Text(Settings.model_fields[name].description or ""))
    console.print(table)
