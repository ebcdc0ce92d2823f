"""The official working-day calendar: which days of a year are holidays and which weekend days
are worked (调休), and who says so.

Three sources, the first that knows a year wins:

1. **The operator's calendar file** (``GOVSHARE_CALENDAR_FILE``, default
   ``include/reference/calendar.yaml``), copied from the State Council General Office's yearly
   notice (国务院办公厅关于YYYY年部分节假日安排的通知) as soon as it is out. It extends the
   package with years it does not know yet and overrides it for the years it lists.
2. **The chinesecalendar package**, which its maintainers update after each notice.
3. **Neither**: only what is statutory without a notice, the fixed-date holidays of the
   national holiday regulation (全国年节及纪念日放假办法: 元旦 1 January, 劳动节 1–2 May, 国庆节
   1–3 October) besides weekends. The lunar holidays and the adjusted weekends are not known
   until the notice, so a deadline counted through such a year is provisional.

The file's format (one entry per year; dates are YAML dates)::

    years:
      2027:
        source:                 # the notice the entries are copied from
          notice: 国务院办公厅关于2027年部分节假日安排的通知
          number: 国办发明电〔2026〕N号
          date: 2026-11-05      # the day it was issued
        holidays:               # 放假: every day off, weekends within the break included
          - {name: 元旦, from: 2027-01-01, to: 2027-01-03}
          - {name: 清明节, from: 2027-04-05}           # one day: no `to`
        working_days:           # 调休上班: the Saturdays and Sundays that are worked
          - {day: 2027-02-07, for: 春节}

A notice may reach into the next or previous year (a worked Saturday on 31 December for the
coming New Year): such a day is allowed within a month of its year and applies on its date.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Annotated

import chinese_calendar
import yaml
from chinese_calendar import constants as package_days
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from govshare.errors import ConfigurationError
from govshare.settings import calendar_file, setting

PACKAGE = f"chinesecalendar {chinese_calendar.__version__}"
# Fixed-date holidays of the national regulation (as revised by State Council Decree No. 795,
# in force from 2025): known for any year, notice or not.
STATUTORY = {
    (1, 1): "元旦 New Year's Day",
    (5, 1): "劳动节 Labour Day",
    (5, 2): "劳动节 Labour Day",
    (10, 1): "国庆节 National Day",
    (10, 2): "国庆节 National Day",
    (10, 3): "国庆节 National Day",
}
STATUTORY_NOTE = "weekends and the statutory fixed-date holidays only (1 Jan, 1–2 May, 1–3 Oct)"
# The package names its holidays in English; shown with the words of the notice.
CHINESE_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}
# How far from its year a notice's day may lie (a worked Saturday before New Year).
REACH = timedelta(days=31)

Words = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Source(BaseModel):
    """The State Council notice a year's entries are copied from."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    notice: Words = Field(description="The notice's title, e.g. 国务院办公厅关于2027年部分节假日安排的通知.")
    number: Words = Field(description="Its document number, e.g. 国办发明电〔2026〕N号.")
    issued: date = Field(alias="date", description="The day it was issued.")

    def __str__(self) -> str:
        return f"{self.notice}（{self.number}，{self.issued.isoformat()}）"


class Holiday(BaseModel):
    """One holiday break: its days off from ``from`` to ``to`` (inclusive; one day without ``to``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    name: Words
    first: date = Field(alias="from")
    last: date | None = Field(None, alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> Holiday:
        if self.last is not None and self.last < self.first:
            raise ValueError(f"{self.name}: `to` {self.last} is before `from` {self.first}")
        return self

    def days(self) -> list[date]:
        return [self.first + timedelta(n) for n in range(((self.last or self.first) - self.first).days + 1)]


class WorkingDay(BaseModel):
    """A Saturday or Sunday that is worked in exchange for a holiday (调休上班)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    day: date
    for_: Words = Field(alias="for", description="The holiday it makes up for.")

    @model_validator(mode="after")
    def _weekend(self) -> WorkingDay:
        if self.day.weekday() < 5:
            raise ValueError(
                f"{self.day} is a {self.day:%A}: an adjusted working day is a Saturday or Sunday "
                "(a weekday is a working day anyway); list it only if the notice names it"
            )
        return self


class YearEntry(BaseModel):
    """One year of the file: the notice, its holidays and its adjusted working days."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    source: Source
    holidays: list[Holiday] = Field(min_length=1)
    working_days: list[WorkingDay] = []


class CalendarFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    years: dict[int, YearEntry] = {}


@dataclass(frozen=True)
class Year:
    """What is known of one year: its holidays and adjusted working days (day → holiday), and from where."""

    year: int
    origin: str  # "file" | "package" | "statutory"
    source: str
    holidays: dict[date, str]
    working_days: dict[date, str]

    @property
    def provisional(self) -> bool:
        """Deadlines counted through this year may move once the year's notice is known."""
        return self.origin == "statutory"

    def is_working_day(self, day: date) -> bool:
        if day in self.working_days:
            return True
        return day.weekday() < 5 and day not in self.holidays


@dataclass
class Calendar:
    """The calendar file read once (with the package behind it), and the years asked of it."""

    path: Path
    entries: dict[int, YearEntry]
    years: dict[int, Year] = field(default_factory=dict)
    warned: set[int] = field(default_factory=set)  # unknown years already reported in the log
    lock: threading.Lock = field(default_factory=threading.Lock)

    def year(self, year: int) -> Year:
        if year not in self.years:
            self.years[year] = self._build(year)
        return self.years[year]

    def first_time_unknown(self, year: int) -> bool:
        """True the first time an unknown ``year`` is met with this calendar: warn once, not per day."""
        with self.lock:
            new = year not in self.warned
            self.warned.add(year)
            return new

    def _build(self, year: int) -> Year:
        if year in self.entries:
            known = Year(year, "file", f"{self.path}: {self.entries[year].source}", {}, {})
        elif package_knows(year):
            known = Year(year, "package", PACKAGE, *_package_days(year))
        else:
            holidays = {date(year, month, day): name for (month, day), name in STATUTORY.items()}
            known = Year(year, "statutory", f"not known: {STATUTORY_NOTE}, deadlines provisional", holidays, {})
        # The file's days apply on their dates, whichever year's notice lists them.
        for entry in self.entries.values():
            for holiday in entry.holidays:
                for day in holiday.days():
                    if day.year == year:
                        known.working_days.pop(day, None)
                        known.holidays[day] = holiday.name
            for worked in entry.working_days:
                if worked.day.year == year:
                    known.holidays.pop(worked.day, None)
                    known.working_days[worked.day] = worked.for_
        return known


def package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def _package_days(year: int) -> tuple[dict[date, str], dict[date, str]]:
    def named(days: dict[date, str]) -> dict[date, str]:
        return {d: f"{CHINESE_NAMES.get(n, '')} {n}".strip() for d, n in sorted(days.items()) if d.year == year}

    return named(package_days.holidays), named(package_days.workdays)


def current() -> Calendar:
    """The calendar as the file reads now: read again when the file (or the setting) changes."""
    path = calendar_file()
    try:
        stat = path.stat()
    except FileNotFoundError:
        if setting("calendar_file") is not None:
            raise ConfigurationError(
                f"GOVSHARE_CALENDAR_FILE={path} does not exist",
                "point it at the operator's calendar file (see include/reference/calendar.yaml), or unset it",
            ) from None
        return _read(path, None)  # an install without include/: the package alone
    return _read(path, (stat.st_mtime_ns, stat.st_size))


@cache
def _read(path: Path, version: tuple[int, int] | None) -> Calendar:
    if version is None:
        return Calendar(path, {})
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        entries = CalendarFile.model_validate(data).years
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{path} is not valid YAML: {exc}", "correct the file") from None
    except ValidationError as exc:
        raise ConfigurationError(f"{path}: {_first_problem(exc)}", _HOW_TO) from None
    for year, entry in entries.items():
        _check_reach(path, year, entry)
    return Calendar(path, entries)


_HOW_TO = "write each year as the format at the top of include/reference/calendar.yaml shows"


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    why = error.get("ctx", {}).get("error") or error["msg"]
    return f"{where}: {why}"


def _check_reach(path: Path, year: int, entry: YearEntry) -> None:
    spans = [(f"holiday {h.name} ({h.first} to {h.last or h.first})", h.days()) for h in entry.holidays]
    spans += [(f"working day {w.day}", [w.day]) for w in entry.working_days]
    earliest, latest = date(year, 1, 1) - REACH, date(year, 12, 31) + REACH
    for label, days in spans:
        if not all(earliest <= day <= latest for day in days):
            raise ConfigurationError(
                f"{path}: years.{year}: {label} is not in {year}",
                "list it under the year of its notice (a notice's days lie in its year, or within a month of it)",
            )
    off = {day for holiday in entry.holidays for day in holiday.days()}
    if both := sorted(off & {w.day for w in entry.working_days}):
        raise ConfigurationError(
            f"{path}: years.{year} lists {both[0]} both as a holiday and as a working day",
            "keep it only where the notice puts it",
        )
