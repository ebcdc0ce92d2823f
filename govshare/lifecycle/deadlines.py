"""Deadlines in working days, on the official Chinese holiday calendar.

Holidays and the adjusted working weekends (调休) come from the operator's calendar file and
the ``chinesecalendar`` package (govshare.lifecycle.calendar says which wins). For a year
neither knows yet, weekends and the fixed-date statutory holidays are skipped, the deadline is
provisional (stored and shown so), and the log says so once per year: add the year's State
Council notice to the calendar file, or update the package.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from govshare.clock import TIMEZONE
from govshare.lifecycle import calendar
from govshare.settings import setting

log = logging.getLogger("govshare.deadlines")


def seconds_since(moment: date | datetime | None, now: datetime) -> float | None:
    """Seconds from ``moment`` to ``now``. Front DBs keep Beijing wall-clock time: a naive
    timestamp, or a date (its midnight), is read in TIMEZONE."""
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)
    return (now - (moment if moment.tzinfo else moment.replace(tzinfo=TIMEZONE))).total_seconds()


def review_days() -> int:
    """Working days a provider has to answer a request (article 13; default 10)."""
    return setting("review_working_days")


def coordination_days() -> int:
    """Working days the competent department has to settle a coordination (default 15)."""
    return setting("coordination_working_days")


@dataclass(frozen=True)
class Due:
    """A deadline: its day, and whether it was counted through a year with no official
    calendar yet (it may move once the year's notice is known)."""

    day: date
    provisional: bool = False

    def __str__(self) -> str:
        return describe(self.day, self.provisional)


def describe(day: date, provisional: bool) -> str:
    """A deadline as people read it: ``2027-01-08 (provisional)`` where the year's holidays are
    not known yet (暂定: the State Council's notice for that year is not in the calendar)."""
    return f"{day.isoformat()} (provisional)" if provisional else day.isoformat()


def as_shown(record) -> str:
    """An agreement's or a correction's stored deadline as shown, or "" when it has none."""
    return describe(record.due_date, record.due_provisional) if record.due_date else ""


def _year(known: calendar.Calendar, day: date) -> calendar.Year:
    year = known.year(day.year)
    if year.provisional and known.first_time_unknown(day.year):
        log.warning(
            "no official holiday calendar for %s (not in %s, nor in %s): counting %s; deadlines "
            "through %s are provisional. Add the State Council's notice on %s's holidays to the calendar file.",
            day.year,
            known.path,
            calendar.PACKAGE,
            calendar.STATUTORY_NOTE,
            day.year,
            day.year,
        )
    return year


def is_working_day(day: date) -> bool:
    return _year(calendar.current(), day).is_working_day(day)


def due(start: date, days: int) -> Due:
    """The ``days``-th working day after ``start`` (``start`` itself does not count)."""
    known = calendar.current()
    day, counted, provisional = start, 0, False
    while counted < days:
        day += timedelta(days=1)
        year = _year(known, day)
        counted += year.is_working_day(day)
        provisional |= year.provisional
    return Due(day, provisional)


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself does not count)."""
    return due(start, days).day


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end``."""
    known = calendar.current()
    days = (start + timedelta(days=n) for n in range(1, (end - start).days + 1))
    return sum(_year(known, day).is_working_day(day) for day in days)
