"""Figures as the pages and the CLI write them: a deadline's working days left (or overdue),
and a quality score rounded down. Dates are worked out by hand on the State Council's 2026
holidays (National Day 1-7 Oct off; see tests/unit/test_deadlines.py)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import get_args

import pytest
import time_machine

from govshare.catalog.model import AgencyKind, Level, OpenType, ShareType, UpdateCycle
from govshare.cli.report import scores_line
from govshare.clock import TIMEZONE
from govshare.registry.statuses import AgreementStatus, CorrectionStatus
from govshare.ui.agreements import days_left
from govshare.ui.words import named

CJK = re.compile(r"[\u4e00-\u9fff]")


def _on(day: date) -> time_machine.travel:
    return time_machine.travel(datetime(day.year, day.month, day.day, 10, tzinfo=TIMEZONE), tick=False)


@pytest.mark.parametrize(
    ("due", "today", "shown"),
    [
        (date(2026, 12, 4), date(2026, 12, 5), -1),  # due Friday, seen Saturday: no working day yet
        (date(2026, 12, 4), date(2026, 12, 6), -1),  # …nor Sunday
        (date(2026, 12, 4), date(2026, 12, 7), -1),  # Monday: one working day overdue
        (date(2026, 12, 4), date(2026, 12, 8), -2),
        (date(2026, 9, 30), date(2026, 10, 5), -1),  # the National Day holidays lie between
        (date(2026, 9, 30), date(2026, 10, 9), -2),  # 8 Oct, 9 Oct
        (date(2026, 12, 7), date(2026, 12, 7), 0),  # due today: not overdue yet
        (date(2026, 12, 7), date(2026, 12, 5), 1),  # Saturday, due Monday
    ],
)
def test_a_deadline_before_today_is_overdue_whatever_days_lie_between(due, today, shown):
    with _on(today):
        assert days_left(due) == shown


def test_a_deadline_not_set_has_no_days_left():
    assert days_left(None) is None


def test_the_cli_report_never_rounds_a_score_up_to_100():
    line = scores_line({"completeness": 99.999, "accuracy": 100.0, "timeliness": None, "uniqueness": 12.345})
    assert line == "completeness 99.99%, accuracy 100.00%, uniqueness 12.34%"


@pytest.mark.parametrize(
    ("vocabulary", "values"),
    [
        ("share", get_args(ShareType)),
        ("open", get_args(OpenType)),
        ("cycle", get_args(UpdateCycle)),
        ("agency", get_args(AgencyKind)),
        ("level", get_args(Level)),
        ("correction", [str(status) for status in CorrectionStatus]),
        ("agreement", [str(status) for status in AgreementStatus]),
    ],
)
def test_every_word_a_page_shows_has_its_chinese_name_first(vocabulary, values):
    for value in values:
        assert CJK.match(named(value, vocabulary)), (vocabulary, value)  # Chinese first, then the English
    assert named(None, "share") == "—" and named("new_kind", "anomaly") == "new_kind"  # never an error
