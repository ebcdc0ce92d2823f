"""`govshare staff`: the named members of agencies' staff who sign in to the agency workspace
(platform operators only)."""

from __future__ import annotations

import click

from govshare import staff
from govshare.cli.output import Table, console, known_agency, operator
from govshare.clock import TIMEZONE
from govshare.registry.db import session
from govshare.settings import setting


@click.group("staff")
def group() -> None:
    """Add, disable and list agencies' staff members (operators only)."""


@group.command("add")
@click.argument("agency")
@click.argument("login")
@click.option("--name", required=True, help="The person's name, as shown in the workspace and the audit log.")
@click.option(
    "--duty",
    "duties",
    multiple=True,
    type=click.Choice(staff.STAFF_DUTIES),
    help="requester: requests and corrections as the subscriber; reviewer: answers as provider or "
    "authoritative source; approver: decides for an oversight department. Repeat for several; none: read only.",
)
def add(agency: str, login: str, name: str, duties: tuple[str, ...]) -> None:
    """Add LOGIN to AGENCY's staff. The password (at least 12 characters) is asked for twice,
    or taken from GOVSHARE_STAFF_PASSWORD; it is never shown or stored, only its hash."""
    given = setting("staff_password")
    password = (
        given.get_secret_value() if given else click.prompt("Password", hide_input=True, confirmation_prompt=True)
    )
    with session() as s:
        member = staff.add(s, login, name, agency, list(duties), password, operator())
        console.print(f"added {member.login} ({member.name}) to {agency}: {', '.join(member.duties) or 'read only'}")


@group.command("disable")
@click.argument("login")
def disable(login: str) -> None:
    """Disable LOGIN: its sessions and tokens stop working at once."""
    with session() as s:
        staff.disable(s, login, operator())
    console.print(f"disabled {login}")


@group.command("unlock")
@click.argument("login")
def unlock(login: str) -> None:
    """Unlock LOGIN after failed sign-ins locked it: its owner can sign in at once."""
    with session() as s:
        staff.unlock(s, login, operator())
    console.print(f"unlocked {login}: the failed sign-ins before now no longer count")


@group.command("list")
@click.argument("agency", required=False)
def list_(agency: str | None) -> None:
    """Members by agency, with their duties, and until when an account is locked."""
    table = Table("login", "name", "agency", "duties", "added", "disabled", "locked until")
    with session() as s:
        known_agency(s, agency)
        for member in staff.members(s, agency):
            table.add_row(
                member.login,
                member.name,
                member.agency_code,
                ", ".join(member.duties) or "read only",
                f"{member.created_at:%Y-%m-%d}",
                f"{member.disabled_at:%Y-%m-%d %H:%M}" if member.disabled_at else "",
                f"{until.astimezone(TIMEZONE):%Y-%m-%d %H:%M}" if (until := staff.locked_until(s, member)) else "",
            )
    console.print(table)
