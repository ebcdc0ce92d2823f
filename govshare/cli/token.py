"""`govshare token`: agencies' API tokens (platform operators only)."""

from __future__ import annotations

import click

from govshare import identity, staff
from govshare.cli.output import Table, console, errors, known_agency, operator
from govshare.registry.db import session


@click.group("token")
def group() -> None:
    """Create, rotate, revoke and list agencies' API tokens (operators only)."""


def _show_once(agency: str, token: str) -> None:
    errors.print(f"new token for {agency} — store it now, it is not shown again:", highlight=False)
    console.print(token, highlight=False, markup=False, soft_wrap=True)


@group.command("create")
@click.argument("agency")
@click.option("--member", default=None, help="For this named member of AGENCY's staff (acts with their duties).")
def create(agency: str, member: str | None) -> None:
    """Issue a new token for a system account of AGENCY, or for one member (existing tokens stay valid)."""
    with session() as s:
        token = identity.create_token(s, agency, operator(), member)
    _show_once(f"{agency}/{member}" if member else agency, token)


@group.command("rotate")
@click.argument("agency")
def rotate(agency: str) -> None:
    """Revoke AGENCY's tokens and issue a new one, in one step."""
    with session() as s:
        token = identity.rotate_token(s, agency, operator())
    _show_once(agency, token)


@group.command("revoke")
@click.argument("agency")
@click.option("--id", "token_id", type=int, default=None, help="Only this token (see `token list`).")
def revoke(agency: str, token_id: int | None) -> None:
    """Revoke AGENCY's tokens (or one of them); they stop working at once."""
    with session() as s:
        count = identity.revoke_tokens(s, agency, operator(), token_id)
    console.print(f"revoked {count} token(s) of {agency}")


@group.command("list")
@click.argument("agency", required=False)
def list_(agency: str | None) -> None:
    """Tokens by agency: id, the first characters, when created and last used, revoked or not."""
    table = Table("id", "agency", "member", "token starts", "created", "by", "last used", "revoked")
    with session() as s:
        known_agency(s, agency)
        logins = {member.id: member.login for member in staff.members(s, agency)}
        for t in identity.tokens(s, agency):
            table.add_row(
                str(t.id),
                t.agency_code,
                logins.get(t.member_id, "(system account)"),
                t.prefix + "…",
                f"{t.created_at:%Y-%m-%d %H:%M}",
                t.created_by,
                f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "",
                f"{t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "",
            )
    console.print(table)
