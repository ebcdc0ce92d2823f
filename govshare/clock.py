"""The platform's one clock: every "now" and "today" govshare acts on comes from here.

Deadlines, timeliness, freshness, report periods and the registry's own timestamps are all
read from this clock, never from a database server's ``now()``: a front DB, a subscriber DB
and the registry may sit on servers whose clocks differ, and one clock keeps the platform's
decisions consistent with each other.

Times are in Beijing time (``TIMEZONE``): the regulation's working days, the front DBs'
wall-clock timestamps and the reports all count in it.

``GOVSHARE_CLOCK_SHIFT`` (seconds, may be negative; default 0) moves the clock. It exists so
the test suite can run on another date (``make test GOVSHARE_TEST_DATE=2027-06-15`` sets it
for every process the tests start); a production deployment leaves it unset.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from govshare.errors import ConfigurationError

TIMEZONE = ZoneInfo("Asia/Shanghai")
SHIFT = "GOVSHARE_CLOCK_SHIFT"


def shift() -> timedelta:
    raw = os.environ.get(SHIFT, "").strip()
    try:
        return timedelta(seconds=float(raw)) if raw else timedelta(0)
    except ValueError:
        raise ConfigurationError(
            f"{SHIFT}={raw!r} is not a number of seconds", f"unset {SHIFT}, or give seconds such as 86400"
        ) from None


def now() -> datetime:
    """The current moment, aware, in Beijing time."""
    return datetime.now(TIMEZONE) + shift()


def today() -> date:
    """Today's date in Beijing."""
    return now().date()


def wall_clock() -> datetime:
    """Now as a naive Beijing wall-clock time, the way front DBs keep their timestamps."""
    return now().replace(tzinfo=None)


def shift_to(moment: datetime) -> float:
    """The GOVSHARE_CLOCK_SHIFT, in seconds, that makes the clock read ``moment`` now."""
    real = datetime.now(TIMEZONE)
    return (moment.replace(tzinfo=moment.tzinfo or TIMEZONE) - real).total_seconds()
