"""Working-day deadlines on the official calendar. Expected dates are worked out by hand from
the State Council's notice on the 2026 holidays (国办发明电〔2025〕, 4 Nov 2025): Mid-Autumn
25-27 Sep off; National Day 1-7 Oct off; Sunday 20 Sep and Saturday 10 Oct are working days."""

from __future__ import annotations

import logging
from datetime import date

from govshare.lifecycle.deadlines import add_working_days, is_working_day, working_days_between


def test_adjusted_weekend_days_are_working_days_and_holidays_are_not():
    assert is_working_day(date(2026, 9, 20))  # Sunday, worked in exchange for National Day
    assert is_working_day(date(2026, 10, 10))  # Saturday, likewise
    assert not is_working_day(date(2026, 10, 5))  # Monday inside the National Day week
    assert not is_working_day(date(2026, 9, 25))  # Mid-Autumn Festival (a Friday)
    assert not is_working_day(date(2026, 10, 11))  # an ordinary Sunday


def test_ten_working_days_across_mid_autumn_and_national_day():
    # 28, 29, 30 Sep; 8, 9, 10 (Sat), 12, 13, 14, 15 Oct
    assert add_working_days(date(2026, 9, 24), 10) == date(2026, 10, 15)


def test_an_adjusted_sunday_counts():
    # 20 Sep (Sun, worked), 21, 22 Sep
    assert add_working_days(date(2026, 9, 18), 3) == date(2026, 9, 22)


def test_counting_working_days_between_dates():
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 11)) == 3  # 8, 9, 10 Oct
    assert working_days_between(date(2026, 10, 12), date(2026, 10, 16)) == 4  # the start day is not counted


def test_a_year_without_an_official_calendar_counts_weekdays_and_says_so(caplog):
    with caplog.at_level(logging.WARNING, logger="govshare.deadlines"):
        # 31 Dec (Thu), 1 Jan 2027 (Fri, counted: no calendar yet), 4 Jan (Mon)
        assert add_working_days(date(2026, 12, 30), 3) == date(2027, 1, 4)
    assert "no official holiday calendar for 2027" in caplog.text
