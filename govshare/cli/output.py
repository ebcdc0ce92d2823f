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

from govshare.errors import GovshareError, NotFound, Remedy
from govshare.identity import Actor, authenticate
from govshare.registry import models as m
from govshare.registry.agreements import canonical
from govshare.registry.db import session
from govshare.settings import setting
from govshare.terminal import console, errors

__all__ = [
    "CODE",
    "GovshareGroup",
    "Table",
    "acting",
    "cli_fix",
    "console",
    "errors",
    "known_agency",
    "number",
    "token_option",
]


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
            _fail(exc.message, cli_fix(exc))
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


_LISTINGS = {"agreements": "govshare agreement list", "corrections": "govshare correction list"}


def cli_fix(exc: GovshareError) -> str:
    """A refusal's fix in the command line's words: the facts of its remedy as flags and
    commands (the API words the same facts as fields and endpoints: govshare.api.hints)."""
    return _worded(exc.remedy) if exc.remedy else exc.hint


def _flags(names: tuple[str, ...]) -> str:
    return " and ".join("--" + name.replace("_", "-") for name in names)


def _worded(remedy: Remedy) -> str:
    parts = [
        f"add {_flags(remedy.give)}" if remedy.give else "",
        f"leave out {_flags(remedy.leave_out)}" if remedy.leave_out else "",
        f"list yours with `{_LISTINGS[remedy.listing]}`" if remedy.listing else "",
        "give the agency's API token with --token (before or after the command) or GOVSHARE_TOKEN; "
        "an operator issues one with `govshare token create`"
        if remedy.token
        else "",
        remedy.note,
    ]
    return "; ".join(part for part in parts if part)


TOKEN_HELP = "The acting agency's API token (or GOVSHARE_TOKEN). Without one you act as a platform operator."
token_option = click.option("--token", default=None, help=TOKEN_HELP)


class _Code(click.ParamType):
    """An agreement or correction code, upper-cased as recorded: agr-0001 is AGR-0001."""

    name = "CODE"

    def convert(self, value, param, ctx) -> str:
        return canonical(value)


CODE = _Code()


def operator() -> Actor:
    """The platform operator at this terminal."""
    return Actor.operator(getpass.getuser())


def acting(token: str | None) -> Actor:
    """The identity a CLI call acts as: the token's agency, or the operator at this terminal.
    The token is the command's --token, else the one given before the command
    (`govshare --token … agreement list`), else GOVSHARE_TOKEN."""
    configured = setting("token")
    secret = token or _root_token() or (configured.get_secret_value() if configured else None)
    if not secret:
        return operator()
    with session() as s:
        return authenticate(s, secret)


def known_agency(s, code: str | None) -> None:
    """Refuse a filter naming no agency: a typo would otherwise list nothing, and exit 0."""
    if code is not None and s.get(m.Agency, code) is None:
        raise NotFound(f"unknown agency '{code}'", "use a code from `govshare catalog agencies`")


def _root_token() -> str | None:
    context = click.get_current_context(silent=True)
    return context.find_root().params.get("token") if context else None


def number(value) -> str:
    return "" if value is None else f"{value:,}" if isinstance(value, int) else str(value)
