"""Shared CLI plumbing: error display, the acting identity, small formatting helpers."""

from __future__ import annotations

import getpass
import sys

import click
import psycopg
from pydantic import ValidationError
from rich import table
from rich.markup import escape
from rich.text import Text
from sqlalchemy.exc import OperationalError, ProgrammingError

from govshare.errors import GovshareError
from govshare.identity import Actor, authenticate
from govshare.registry.db import session
from govshare.settings import setting
from govshare.terminal import console, errors

__all__ = ["GovshareGroup", "Table", "acting", "console", "errors", "number", "token_option"]


class Table(table.Table):
    """A Rich table whose cells are shown as they are: they hold what agencies and users wrote
    (reasons, purposes, codes), in which Rich would read "[…]" as markup, or fail on it."""

    def add_row(self, *cells, **kwargs) -> None:
        super().add_row(*(Text(c) if isinstance(c, str) else c for c in cells), **kwargs)


class GovshareGroup(click.Group):
    """Turns GovshareError into a message and a fix instead of a traceback (catalogue
    problems are listed one by one first)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GovshareError as exc:
            for problem in getattr(exc, "problems", []):
                errors.print(str(problem), highlight=False, markup=False)
            _fail(exc.message, exc.hint)
        except ValidationError as exc:
            wrong = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            _fail(f"invalid request: {wrong}", "see the command's --help")
        except OperationalError as exc:
            _fail(
                f"cannot reach the registry database ({str(exc.orig).strip().splitlines()[0]})",
                "check GOVSHARE_REGISTRY_URL and that the database is up (locally: run inside `make shell`)",
            )
        except ProgrammingError as exc:
            if not isinstance(exc.orig, psycopg.errors.UndefinedTable):
                raise
            _fail(
                f"the registry database has no govshare schema yet ({str(exc.orig).strip().splitlines()[0]})",
                "create it with `govshare registry upgrade`",
            )


def _fail(message: str, hint: str) -> None:
    # Messages quote what users typed (codes, reasons): never read them as Rich markup.
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    if hint:
        errors.print(f"  [bold]fix:[/] {escape(hint)}", highlight=False)
    sys.exit(1)


token_option = click.option(
    "--token",
    default=None,
    help="The acting agency's API token (or GOVSHARE_TOKEN). Without one you act as a platform operator.",
)


def operator() -> Actor:
    """The platform operator at this terminal."""
    return Actor.operator(getpass.getuser())


def acting(token: str | None) -> Actor:
    """The identity a CLI call acts as: the token's agency, or the operator at this terminal."""
    configured = setting("token")
    secret = token or (configured.get_secret_value() if configured else None)
    if not secret:
        return operator()
    with session() as s:
        return authenticate(s, secret)


def number(value) -> str:
    return "" if value is None else f"{value:,}" if isinstance(value, int) else str(value)
