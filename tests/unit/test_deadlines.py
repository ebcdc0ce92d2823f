"""Working-day deadlines on the official calendar. Expected dates are worked out by hand from
the State Council's notice on the 2026 holidays (国办发明电〔2025〕, 4 Nov 2025): Mid-Autumn
25-27 Sep off; National Day 1-7 Oct off; Sunday 20 Sep and Saturday 10 Oct are working days.

2027 stands for a year no published source knows yet (chinesecalendar 1.11.0 ends with 2026);
the calendar files below are written for each test, so the shipped file may learn 2027 later.
The 2027 arrangement in them is made up for the test, not the State Council's."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from govshare.errors import ConfigurationError
from govshare.lifecycle import deadlines
from govshare.lifecycle.deadlines import add_working_days, is_working_day, working_days_between
from tests.conftest import run_cli

NO_YEARS = "years: {}\n"
# A made-up notice for 2027 (the test's own, not the State Council's) and one overriding 2026.
FILE_2027 = """
years:
  2027:
    source: {notice: 国务院办公厅关于2027年部分节假日安排的通知（测试）, number: 测试〔2026〕1号, date: 2026-11-05}
    holidays:
      - {name: 元旦, from: 2027-01-01, to: 2027-01-03}
      - {name: 春节, from: 2027-02-05, to: 2027-02-12}
    working_days:
      - {day: 2026-12-26, for: 元旦}
      - {day: 2027-02-14, for: 春节}
"""
FILE_2026 = """
years:
  2026:
    source: {notice: 另一份通知（测试）, number: 测试〔2025〕2号, date: 2025-11-04}
    holidays:
      - {name: 国庆节, from: 2026-10-01, to: 2026-10-03}
"""


@pytest.fixture
def calendar_file(tmp_path, monkeypatch):
    """Points GOVSHARE_CALENDAR_FILE at a calendar written by the test."""

    def write(text: str):
        path = tmp_path / "calendar.yaml"
        path.write_text(text, encoding="utf-8")
        monkeypatch.setenv("GOVSHARE_CALENDAR_FILE", str(path))
        return path

    return write


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


def test_new_year_2027_is_a_holiday_though_no_calendar_knows_2027(calendar_file):
    calendar_file(NO_YEARS)
    # 25, 28, 29, 30, 31 Dec; 1 Jan 2027 (Fri) is statutory; 4, 5, 6, 7, 8 Jan
    assert add_working_days(date(2026, 12, 24), 10) == date(2027, 1, 8)
    assert deadlines.due(date(2026, 12, 24), 10) == deadlines.Due(date(2027, 1, 8), provisional=True)


def test_an_unknown_year_skips_only_weekends_and_the_fixed_date_statutory_holidays(calendar_file):
    calendar_file(NO_YEARS)
    assert not any(is_working_day(date(2027, m, d)) for m, d in ((1, 1), (10, 1)))  # Fridays
    assert is_working_day(date(2027, 2, 8))  # Spring Festival's eve: lunar, not known without the notice
    assert not is_working_day(date(2027, 2, 7))  # a Sunday, not known to be worked
    # 30 Apr (Fri); 1-2 May Sat/Sun; 3 May (Mon)
    assert add_working_days(date(2027, 4, 29), 2) == date(2027, 5, 3)
    assert deadlines.due(date(2026, 9, 24), 10) == deadlines.Due(date(2026, 10, 15), provisional=False)


def test_an_unknown_year_is_reported_once_not_once_per_day(calendar_file, caplog):
    calendar_file(NO_YEARS)
    with caplog.at_level(logging.WARNING, logger="govshare.deadlines"):
        add_working_days(date(2026, 12, 24), 30)  # 25 days counted in 2027
        working_days_between(date(2027, 3, 1), date(2027, 3, 31))
        add_working_days(date(2027, 12, 20), 15)  # into 2028: one more year
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2, warnings
    assert "no official holiday calendar for 2027" in warnings[0] and "provisional" in warnings[0]
    assert "no official holiday calendar for 2028" in warnings[1]


def test_the_calendar_file_adds_a_year_the_package_does_not_know(calendar_file, caplog):
    calendar_file(FILE_2027)
    with caplog.at_level(logging.WARNING, logger="govshare.deadlines"):
        assert not is_working_day(date(2027, 2, 8))  # its Spring Festival
        assert is_working_day(date(2027, 2, 14))  # a worked Sunday
        assert is_working_day(date(2026, 12, 26))  # a notice reaches into the year before
        # 25 (Fri), 26 (Sat, worked), 28, 29, 30, 31 Dec; 4, 5, 6, 7 Jan
        assert deadlines.due(date(2026, 12, 24), 10) == deadlines.Due(date(2027, 1, 7), provisional=False)
    assert not caplog.records


def test_the_calendar_file_overrides_the_package_for_the_years_it_lists(calendar_file):
    assert not is_working_day(date(2026, 10, 5)) and is_working_day(date(2026, 9, 20))  # the package
    calendar_file(FILE_2026)
    assert is_working_day(date(2026, 10, 5))  # not a holiday in the file's notice
    assert not is_working_day(date(2026, 9, 20))  # an ordinary Sunday there
    assert not is_working_day(date(2026, 10, 2))
    assert is_working_day(date(2025, 10, 11))  # 2025 is still the package's (a worked Saturday)


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        (FILE_2027.replace("2027-02-14", "2027-02-15"), "2027-02-15 is a Monday: an adjusted working day"),
        (FILE_2027.replace("number: 测试〔2026〕1号, ", ""), "years.2027.source.number: Field required"),
        (
            FILE_2027.replace("to: 2027-02-12", "to: 2028-02-12"),
            "years.2027: holiday 春节 (2027-02-05 to 2028-02-12) is not in 2027",
        ),
        (FILE_2027.replace("2027-02-14", "2027-02-06"), "lists 2027-02-06 both as a holiday and as a working day"),
    ],
)
def test_a_wrong_calendar_file_is_refused_naming_the_file_and_the_entry(calendar_file, text, wrong):
    path = calendar_file(text)
    with pytest.raises(ConfigurationError) as refused:
        add_working_days(date(2026, 12, 24), 10)
    assert str(path) in str(refused.value) and wrong in str(refused.value)


def test_a_calendar_file_that_is_not_there_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("GOVSHARE_CALENDAR_FILE", str(tmp_path / "missing.yaml"))
    with pytest.raises(ConfigurationError, match="GOVSHARE_CALENDAR_FILE=.*missing.yaml does not exist"):
        is_working_day(date(2027, 1, 4))


def test_calendar_show_says_what_is_known_of_a_year_and_from_where(calendar_file):
    empty = calendar_file(NO_YEARS)
    unknown = run_cli("calendar", "show", "2027", env={"GOVSHARE_CALENDAR_FILE": str(empty)})
    assert unknown.returncode == 0, unknown.stderr
    assert "2027: not known: weekends and the statutory fixed-date holidays only" in unknown.stdout
    assert "deadlines provisional" in unknown.stdout
    assert "2027-01-01" in unknown.stdout and "2027-10-03" in unknown.stdout and "2027-02-08" not in unknown.stdout

    listed = calendar_file(FILE_2027)
    known = run_cli("calendar", "show", "2027", env={"GOVSHARE_CALENDAR_FILE": str(listed)})
    assert known.returncode == 0, known.stderr
    assert f"2027: from the calendar file {listed}" in known.stdout
    assert "测试〔2026〕1号" in known.stdout and "2026-11-05" in known.stdout
    assert "2027-02-12" in known.stdout and "2027-02-14" in known.stdout  # a holiday, a worked Sunday

    package = run_cli("calendar", "show", "2026", env={"GOVSHARE_CALENDAR_FILE": str(listed)})
    assert "2026: from the chinesecalendar 1.11.0 package" in package.stdout
    assert "2026-10-10" in package.stdout and "2026-12-26" in package.stdout  # the file's day is shown too
