"""Shared CLI plumbing: error display, the acting identity, small formatting helpers."""

from __future__ import annotations

import getpass
import sys

import click

from govshare.errors import GovshareError
from govshare.identity import Actor, authenticate
from govshare.registry.db import session
from govshare.terminal import console, errors

__all__ = ["GovshareGroup", "acting", "console", "errors", "number", "token_option"]


class GovshareGroup(click.Group):
    """Turns GovshareError into a message and a fix instead of a traceback (catalogue
    problems are listed one by one first)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GovshareError as exc:
            for problem in getattr(exc, "problems", []):
                errors.print(str(problem), highlight=False, markup=False)
            errors.print(f"[bold red]error:[/] {exc.message}", highlight=False)
            if exc.hint:
                errors.print(f"  [bold]fix:[/] {exc.hint}", highlight=False)
            sys.exit(1)


token_option = click.option(
    "--token",
    envvar="GOVSHARE_TOKEN",
    default=None,
    help="The acting agency's API token (or GOVSHARE_TOKEN). Without one you act as a platform operator.",
)


def acting(token: str | None) -> Actor:
    """The identity a CLI call acts as: the token's agency, or the operator at this terminal."""
    if not token:
        return Actor.operator(getpass.getuser())
    with session() as s:
        return authenticate(s, token)


def number(value) -> str:
    return "" if value is None else f"{value:,}" if isinstance(value, int) else str(value)
