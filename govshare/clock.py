"""The platform's one clock: every "now" and "today" govshare acts on comes from here.

Deadlines, timeliness, freshness, report periods and the registry's own timestamps are all
read from this clock, never from a database server's ``now()``: a front DB, a subscriber DB
and the registry may sit on servers whose clocks differ, and one clock keeps the platform's
decisions consistent with each other — and lets the tests run the whole platform on another
date (``make test`` moves Python's clock, Airflow's included, with time-machine; see the
README's Tests section).

Times are in Beijing time (``TIMEZONE``): the regulation's working days, the front DBs'
wall-clock timestamps and the reports all count in it.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

TIMEZONE = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """The current moment, aware, in Beijing time."""
    return datetime.now(TIMEZONE)


def today() -> date:
    """Today's date in Beijing."""
    return now().date()


def wall_clock() -> datetime:
    """Now as a naive Beijing wall-clock time, the way front DBs keep their timestamps."""
    return now().replace(tzinfo=None)
