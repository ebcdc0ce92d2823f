"""`govshare calendar`: the working-day calendar deadlines are counted on, and where it comes from."""

from __future__ import annotations

import click

from govshare.cli.output import Table, console
from govshare.lifecycle import calendar


@click.group("calendar")
def group() -> None:
    """The official holidays and adjusted working days deadlines are counted on."""


@group.command("show")
@click.argument("year", type=click.IntRange(1900, 2999))
def show(year: int) -> None:
    """What is known of YEAR's holidays and adjusted working days (调休), and from where: the
    operator's calendar file, the chinesecalendar package, or neither (deadlines provisional)."""
    known = calendar.current()
    entry = known.year(year)
    console.print(f"{year}: {_origin(known, entry)}", highlight=False, markup=False, soft_wrap=True)
    if entry.provisional:
        console.print(
            f"to make it official, add the State Council's notice on {year}'s holidays to {known.path} "
            "(its header shows the format)",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    _days("holidays (放假)", entry.holidays)
    _days("adjusted working days (调休上班)", entry.working_days)


def _origin(known: calendar.Calendar, entry: calendar.Year) -> str:
    if entry.origin == "file":
        return f"from the calendar file {entry.source}"
    if entry.origin == "package":
        return f"from the {calendar.PACKAGE} package (not in the calendar file {known.path})"
    return f"{entry.source} (neither in the calendar file {known.path} nor in {calendar.PACKAGE})"


def _days(title: str, days: dict) -> None:
    if not days:
        console.print(f"{title}: none", highlight=False, markup=False)
        return
    table = Table("day", "weekday", "holiday", title=f"{title}: {len(days)} days", title_justify="left")
    for day, name in sorted(days.items()):
        table.add_row(day.isoformat(), f"{day:%a}", name)
    console.print(table)
