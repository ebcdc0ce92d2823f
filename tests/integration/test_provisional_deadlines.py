"""A deadline counted through a year no calendar knows yet is stored as provisional, and every
channel says so: the CLI, the API, the workspace pages, the notification. The platform's clock
is put on 24 December 2026 (the 10th working day after it is 8 January 2027); the calendar file
is the test's own, without 2027, so the shipped one may learn 2027 later."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select

from govshare import corrections, identity, staff
from govshare.api.app import app
from govshare.clock import TIMEZONE
from govshare.lifecycle import service
from govshare.registry import models as m
from govshare.registry.db import session
from tests.conftest import run_cli
from tests.helpers import active_agreement, agency, operator, request
from tests.integration.test_workspace import PASSWORD, signed_in

CHRISTMAS_EVE = datetime(2026, 12, 24, 10, tzinfo=TIMEZONE)
BEFORE_MID_AUTUMN = datetime(2026, 9, 24, 10, tzinfo=TIMEZONE)


@pytest.fixture
def without_2027(tmp_path, monkeypatch):
    path = tmp_path / "calendar.yaml"
    path.write_text("years: {}\n", encoding="utf-8")
    monkeypatch.setenv("GOVSHARE_CALENDAR_FILE", str(path))
    return path


def submitted_on(moment: datetime, table: str) -> str:
    with time_machine.travel(moment, tick=False), session() as s:
        return service.request(s, agency("hb_mzt"), request(target_table=table), and_submit=True).code


def stored(code: str) -> tuple[date, bool]:
    with session() as s:
        agreement = s.get(m.Agreement, code)
        return agreement.due_date, agreement.due_provisional


def test_a_deadline_through_an_unknown_year_is_stored_and_shown_as_provisional(applied, without_2027):
    code = submitted_on(CHRISTMAS_EVE, "population_2027")
    assert stored(code) == (date(2027, 1, 8), True)

    shown = run_cli("agreement", "show", code)
    assert shown.returncode == 0, shown.stderr
    assert "answer due by 2027-01-08 (provisional)" in shown.stdout
    assert "`govshare calendar show 2027`" in shown.stdout
    listed = run_cli("agreement", "list")
    assert "2027-01-08 (provisional)" in listed.stdout

    with session() as s:
        token = identity.create_token(s, "hb_mzt", operator())
        mail = s.scalars(select(m.Notification.text_body).where(m.Notification.agreement_code == code)).all()
    answer = TestClient(app).get(f"/agreements/{code}", headers={"Authorization": f"Bearer {token}"}).json()
    assert (answer["due_date"], answer["due_provisional"]) == ("2027-01-08", True)
    assert any("answer due by: 2027-01-08 (provisional)" in text for text in mail), mail
    assert "暂定 provisional" in _page(f"/govshare/ui/agreements/{code}")
    assert "暂定 provisional" in _page("/govshare/ui/agreements")


def test_a_deadline_in_a_known_year_is_not_provisional(applied, without_2027):
    code = submitted_on(BEFORE_MID_AUTUMN, "population_2026")
    assert stored(code) == (date(2026, 10, 15), False)
    shown = run_cli("agreement", "show", code)
    assert "answer due by 2026-10-15" in shown.stdout and "provisional" not in shown.stdout
    assert "provisional" not in _page(f"/govshare/ui/agreements/{code}")


def test_a_correction_due_in_an_unknown_year_is_provisional_too(applied, without_2027):
    agreement = active_agreement(request())
    with time_machine.travel(datetime(2026, 12, 28, 10, tzinfo=TIMEZONE), tick=False), session() as s:
        filed = corrections.file(s, agency("hb_mzt"), agreement, {"person_id": "1"}, "name", "拼写错误", "户籍档案")
        code, due, provisional = filed.code, filed.due_date, filed.due_provisional
    assert (due, provisional) == (date(2027, 1, 5), True)  # 5 working days: 29, 30, 31 Dec; 4, 5 Jan
    shown = run_cli("correction", "show", code)
    assert "due 2027-01-05 (provisional)" in shown.stdout, shown.stdout + shown.stderr
    assert "2027-01-05 (provisional)" in run_cli("correction", "list").stdout


def _page(path: str) -> str:
    """A workspace page as hb_mzt's requester sees it."""
    with session() as s:
        if s.scalar(select(m.StaffMember).where(m.StaffMember.login == "li.na")) is None:
            staff.add(s, "li.na", "Li Na", "hb_mzt", ["requester"], PASSWORD, operator())
    return signed_in("li.na").get(path).text
