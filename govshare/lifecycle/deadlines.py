"""Deadlines in working days, on the official Chinese holiday calendar.

Holidays and the adjusted working weekends (调休) come from the maintained ``chinesecalendar``
package, which the State Council's yearly notice updates. For a year the installed package
does not know yet, Monday to Friday count as working days and the deadline is marked
provisional in the log: update the package once the year's notice is out.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import chinese_calendar

from govshare.clock import TIMEZONE
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


def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        log.warning("no official holiday calendar for %s in chinesecalendar: counting Mon-Fri", day.year)
        return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself does not count)."""
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        counted += is_working_day(day)
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end``."""
    return sum(is_working_day(start + timedelta(days=n)) for n in range(1, (end - start).days + 1))
