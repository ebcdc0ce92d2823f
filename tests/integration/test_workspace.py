"""The agency workspace over HTTP: named staff sign in with a session cookie, see only their
agency's agreements, act only within their duties, and every form needs its CSRF token."""

from __future__ import annotations

import html
import re
from datetime import date, datetime

import pytest
import time_machine
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from govshare import staff
from govshare.api.app import app
from govshare.clock import TIMEZONE
from govshare.registry import models as m
from govshare.registry.db import session
from tests.conftest import run_cli
from tests.helpers import active_agreement, operator, request

PASSWORD = "correct horse battery"
# Mounted as Airflow's api-server mounts it, so the pages' links and cookies carry their real paths.
server = FastAPI()
server.mount("/govshare", app)
CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


@pytest.fixture
def people(applied):
    with session() as s:
        for login, agency, duties in (
            ("li.na", "hb_mzt", ["requester"]),
            ("wang.fang", "hb_mzt", []),
            ("zhao.lei", "hb_gat", ["reviewer"]),
            ("sun.yu", "hb_rst", ["requester", "reviewer"]),
        ):
            staff.add(s, login, login.title(), agency, duties, PASSWORD, operator())


def signed_in(login: str) -> TestClient:
    client = TestClient(server, base_url="http://testserver", follow_redirects=False)
    form = client.get("/govshare/ui/signin")
    answer = client.post(
        "/govshare/ui/signin",
        data={"login": login, "password": PASSWORD, "csrf": CSRF.search(form.text).group(1), "next": ""},
    )
    assert answer.status_code == 303, answer.text
    return client


def csrf_of(client: TestClient, path: str) -> str:
    return CSRF.search(client.get(path).text).group(1)


def requested(client: TestClient) -> str:
    wanted = request()
    answer = client.post(
        "/govshare/ui/agreements",
        data={
            "csrf": csrf_of(client, "/govshare/ui/agreements/new"),
            "resource": wanted.resource_code,
            "items": ", ".join(wanted.items),
            "purpose": wanted.purpose,
            "legal_basis": wanted.legal_basis,
            "target_conn_id": wanted.target_conn_id,
            "target_table": wanted.target_table,
        },
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"].rsplit("/", 1)[1].split("?")[0]


def test_without_a_session_a_page_redirects_to_sign_in(people):
    anonymous = TestClient(server, follow_redirects=False)
    answer = anonymous.get("/govshare/ui/agreements?status=active")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/govshare/ui/signin?next=%2Fgovshare%2Fui%2Fagreements%3Fstatus%3Dactive"


def test_a_wrong_password_is_refused_and_audited_without_saying_which_part(people):
    client = TestClient(server, follow_redirects=False)
    form = client.get("/govshare/ui/signin")
    for login in ("li.na", "nobody"):
        token = CSRF.search(form.text).group(1)
        form = client.post("/govshare/ui/signin", data={"login": login, "password": "wrong", "csrf": token})
        assert form.status_code == 401 and "Unknown login or wrong password" in form.text
        assert "govshare_session" not in form.cookies
    with session() as s:
        denied = s.scalars(select(m.AuditEntry).where(m.AuditEntry.action == "denied")).all()
    # The member's account records the attempt; a login nobody has names no one, and is not audited.
    assert [(e.actor, e.detail["action"]) for e in denied] == [("agency:hb_mzt/li.na", "staff.sign_in")]


def test_the_session_cookie_is_http_only_same_site_and_expiring(people):
    client = TestClient(server, follow_redirects=False)
    form = client.get("/govshare/ui/signin")
    answer = client.post(
        "/govshare/ui/signin",
        data={"login": "li.na", "password": PASSWORD, "csrf": CSRF.search(form.text).group(1)},
    )
    cookie = next(h for h in answer.headers.get_list("set-cookie") if h.startswith("govshare_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=28800" in cookie
    with session() as s:
        stored = s.scalars(select(m.StaffMember.password_hash)).first()
    assert stored.startswith("scrypt$65536$8$1$") and PASSWORD not in stored


def test_a_request_filed_from_the_workspace_is_audited_with_the_person(people):
    code = requested(signed_in("li.na"))
    with session() as s:
        agreement = s.get(m.Agreement, code)
        entries = s.scalars(select(m.AuditEntry).where(m.AuditEntry.subject == f"agreement:{code}")).all()
    assert agreement.status == "submitted" and agreement.created_by == "agency:hb_mzt/li.na"
    assert "agency:hb_mzt/li.na" in {e.actor for e in entries}


def test_another_agencys_agreement_is_not_found(people):
    code = requested(signed_in("li.na"))
    outsider = signed_in("sun.yu")  # hb_rst takes no part in it
    assert outsider.get(f"/govshare/ui/agreements/{code}").status_code == 404
    assert code not in outsider.get("/govshare/ui/agreements").text
    token = csrf_of(outsider, "/govshare/ui/agreements")
    refused = outsider.post(f"/govshare/ui/agreements/{code}/review", data={"csrf": token, "decision": "agree"})
    assert refused.status_code == 404
    with session() as s:
        assert s.get(m.Agreement, code).status == "submitted"


def test_a_form_without_its_csrf_token_changes_nothing(people):
    code = requested(signed_in("li.na"))
    provider = signed_in("zhao.lei")
    for sent in ({}, {"csrf": "0" * 64}, {"csrf": "令牌"}):
        answer = provider.post(
            f"/govshare/ui/agreements/{code}/review", data={**sent, "decision": "agree", "statement": "同意"}
        )
        assert answer.status_code == 403 and "security token" in answer.text
    with session() as s:
        assert s.get(m.Agreement, code).status == "submitted"


def test_a_member_acts_only_within_their_duties(people):
    code = requested(signed_in("li.na"))
    reader = signed_in("wang.fang")  # hb_mzt, read only
    page = reader.get(f"/govshare/ui/agreements/{code}")
    assert (
        page.status_code == 200
        and code in page.text
        and "申请数据 Request data" not in reader.get("/govshare/ui/agreements").text
    )
    provider = signed_in("zhao.lei")
    assert "/review" in provider.get(f"/govshare/ui/agreements/{code}").text  # the form is offered…
    answer = provider.post(
        f"/govshare/ui/agreements/{code}/review",
        data={"csrf": csrf_of(provider, f"/govshare/ui/agreements/{code}"), "decision": "agree", "statement": "同意"},
    )
    assert answer.status_code == 303  # …and it works
    with session() as s:
        assert s.get(m.Agreement, code).status == "agreed"
        transition = s.scalars(select(m.Transition).where(m.Transition.action == "agree")).one()
    assert transition.actor == "agency:hb_gat/zhao.lei"


def test_an_ended_session_goes_to_sign_in(people):
    client = signed_in("li.na")
    assert client.get("/govshare/ui/agreements").status_code == 200
    with session() as s:  # the clock passes the session's end
        s.execute(update(m.StaffSession).values(expires_at=m.StaffSession.created_at))
    assert client.get("/govshare/ui/agreements").status_code == 303
    again = signed_in("li.na")
    token = csrf_of(again, "/govshare/ui/agreements")
    assert again.post("/govshare/ui/signout", data={"csrf": token}).status_code == 303
    assert again.get("/govshare/ui/agreements").status_code == 303  # signed out on the server too


def test_a_disabled_member_is_signed_out_at_once(people):
    client = signed_in("li.na")
    with session() as s:
        staff.disable(s, "li.na", operator())
    assert client.get("/govshare/ui/agreements").status_code == 303


def test_the_api_docs_load_nothing_from_outside(people):
    client = TestClient(server)
    docs = client.get("/govshare/docs").text
    assert "cdn" not in docs.lower() and "/govshare/ui/static/swagger-ui/swagger-ui-bundle.js" in docs
    assert client.get("/govshare/ui/static/swagger-ui/swagger-ui-bundle.js").status_code == 200


def test_a_members_api_token_acts_with_the_members_duties(people):
    from govshare import identity

    code = requested(signed_in("li.na"))
    with session() as s:
        token = identity.create_token(s, "hb_gat", operator(), member="zhao.lei")
        reader_token = identity.create_token(s, "hb_mzt", operator(), member="wang.fang")
    reader = TestClient(server, headers={"Authorization": f"Bearer {reader_token}"})
    assert reader.get(f"/govshare/agreements/{code}").status_code == 200
    wanted = request().model_dump(mode="json", exclude_none=True, exclude={"subscriber_code"})
    refused = reader.post("/govshare/agreements", json=wanted)
    assert refused.status_code == 403 and "requester" in refused.json()["fix"], refused.text
    reviewer = TestClient(server, headers={"Authorization": f"Bearer {token}"})
    answer = reviewer.post(f"/govshare/agreements/{code}/review", json={"agree": True, "statement": "同意"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["history"][-1]["actor"] == "agency:hb_gat/zhao.lei"
    with session() as s:
        staff.disable(s, "zhao.lei", operator())
    assert reviewer.get(f"/govshare/agreements/{code}").status_code == 401  # a disabled member's token stops


def test_a_read_only_member_is_refused_by_name_of_the_duty(people):
    reader = signed_in("wang.fang")
    token = csrf_of(reader, "/govshare/ui/agreements")
    wanted = request()
    answer = reader.post(
        "/govshare/ui/agreements",
        data={
            "csrf": token,
            "resource": wanted.resource_code,
            "items": ", ".join(wanted.items),
            "purpose": wanted.purpose,
            "legal_basis": wanted.legal_basis,
            "target_conn_id": wanted.target_conn_id,
            "target_table": wanted.target_table,
        },
    )
    assert answer.status_code == 403 and "requester duty" in answer.text
    with session() as s:
        assert s.scalar(select(func.count()).select_from(m.Agreement)) == 0


PUBLIC_URL = "https://share.hebei.example"


def _quality_alert(code: str) -> tuple[int, str]:
    """A delivery of ``code`` whose check broke a warn rule, filed as the check step files it:
    its id, and the text of the quality email queued to the parties."""
    from govshare.delivery.report_filing import file_report
    from govshare.quality.check import CheckReport
    from govshare.quality.runnable import CheckResult
    from govshare.registry import deliveries

    broken = CheckResult(
        rule="citizen_id_valid",
        expectation="expect_column_values_to_match_regex",
        columns=["citizen_id"],
        severity="warn",
        dimension="accuracy",
        description="公民身份号码校验位正确",
        origin="catalogue",
        success=False,
        element_count=3,
        unexpected_count=1,
    )
    with session() as s:
        delivery = deliveries.begin(s, code, "manual__2026-12-04T02:00:00+00:00")
        delivery.rows = 3
        file_report(s, code, delivery, CheckReport(results=[broken]))
        alert = s.scalars(select(m.Notification).where(m.Notification.kind == "quality.alert")).one()
        return delivery.id, alert.text_body


def test_the_report_link_in_a_quality_email_signs_a_visitor_in_and_shows_the_report(people, monkeypatch):
    from tests.helpers import active_agreement

    monkeypatch.setenv("GOVSHARE_PUBLIC_URL", PUBLIC_URL)
    code = active_agreement(request())
    delivery_id, text = _quality_alert(code)
    [link] = re.findall(r"Online: (\S+)", text)
    assert link == f"{PUBLIC_URL}/govshare/ui/deliveries/{delivery_id}/report"  # a page, not the token-only API
    browser = TestClient(server, base_url=PUBLIC_URL, follow_redirects=False)
    path = link.removeprefix(PUBLIC_URL)
    sent = browser.get(path)
    assert sent.status_code == 303 and sent.headers["location"].startswith("/govshare/ui/signin?next=")
    form = browser.get(sent.headers["location"])
    assert form.status_code == 200 and "登录 Sign in" in form.text
    [back] = re.findall(r'name="next" value="([^"]*)"', form.text)
    answer = browser.post(
        "/govshare/ui/signin",
        data={"login": "li.na", "password": PASSWORD, "csrf": CSRF.search(form.text).group(1), "next": back},
    )
    assert answer.status_code == 303 and answer.headers["location"] == path  # back where the link led
    report = browser.get(path)
    assert report.status_code == 200 and "数据质量报告 Data quality report" in report.text
    assert code in report.text and "citizen_id_valid" in report.text


def _queue(client: TestClient) -> str:
    """The "awaiting my action" section of the agreements page."""
    page = client.get("/govshare/ui/agreements")
    assert page.status_code == 200, page.text
    return page.text.split('<section aria-labelledby="queue">', 1)[1].split("</section>", 1)[0]


def test_a_running_agreement_awaits_nobody_and_a_request_awaits_its_provider(people):
    from govshare.lifecycle.machine import MOVES
    from govshare.ui.agreements import actions, awaited
    from tests.helpers import active_agreement, agency

    running = active_agreement(request(target_table="population_running"))  # a table of its own
    submitted = requested(signed_in("li.na"))
    subscriber_queue, provider_queue = _queue(signed_in("li.na")), _queue(signed_in("zhao.lei"))
    assert running not in subscriber_queue and submitted not in subscriber_queue
    assert submitted in provider_queue and running not in provider_queue and "review" in provider_queue
    with session() as s:
        agreement = s.get(m.Agreement, running)
        for actor in (operator(), agency("hb_sjj"), agency("hb_mzt")):
            assert awaited(s, actor, agreement) == [], actor  # the operator's and the competent department's too…
        assert "revoke" in actions(s, operator(), agreement)  # …though the standing powers stay on the page
    assert {move.action for move in MOVES if move.standing} == {"suspend", "resume", "revoke", "expire"}


def test_a_deadline_passed_before_a_weekend_shows_overdue(people):
    with time_machine.travel(datetime(2026, 11, 20, 10, tzinfo=TIMEZONE), tick=False):  # a Friday
        code = requested(signed_in("li.na"))
    with session() as s:
        assert s.get(m.Agreement, code).due_date == date(2026, 12, 4)  # ten working days on: a Friday
    with time_machine.travel(datetime(2026, 12, 5, 10, tzinfo=TIMEZONE), tick=False):  # the Saturday after
        provider = signed_in("zhao.lei")
        queue, detail = _queue(provider), provider.get(f"/govshare/ui/agreements/{code}").text
    assert "逾期 1 个工作日 overdue by 1 working days" in queue and "working days left" not in queue
    assert "逾期 overdue by 1 working days" in detail


def test_the_supervision_reports_of_the_quarter_so_far_and_the_last_one_are_linked(people):
    """The quarterly DAG reports on the quarter just finished: that one is linked, beside the
    quarter so far; an agency that supervises nothing sees neither."""
    with session() as s:
        staff.add(s, "qian.hui", "Qian Hui", "hb_sjj", [], PASSWORD, operator())
    with time_machine.travel(datetime(2027, 1, 5, 10, tzinfo=TIMEZONE), tick=False):
        page = signed_in("qian.hui").get("/govshare/ui/monitoring").text
        assert "/monitoring/supervision/2027Q1" in page and "/monitoring/supervision/2026Q4" in page
        assert "/monitoring/supervision/" not in signed_in("li.na").get("/govshare/ui/monitoring").text


def test_the_catalogue_page_names_its_codes_in_chinese_first(people):
    page = signed_in("li.na").get("/govshare/ui/catalogue").text
    for shown in ("有条件共享 conditional", "无条件共享 unconditional", "不予开放 not open", "每日 daily"):
        assert f"<td>{shown}</td>" in page, shown
    assert "<td>信息共享主管部门 competent department</td>" in page


def _attempts(login: str):
    """Sign-in attempts to ``login``, one browser's, each with a fresh form."""
    client = TestClient(server, follow_redirects=False)

    def attempt(password: str):
        form = client.get("/govshare/ui/signin")
        return client.post(
            "/govshare/ui/signin",
            data={"login": login, "password": password, "csrf": CSRF.search(form.text).group(1)},
        )

    return attempt


def test_an_account_locks_after_repeated_failed_sign_ins_and_opens_again(people):
    """Five failures in a quarter hour lock the account, the right password included; attempts
    while locked are audited but do not prolong it; fifteen minutes after the first it opens."""
    attempt = _attempts("li.na")

    with time_machine.travel(datetime(2027, 3, 2, 9, 0, tzinfo=TIMEZONE), tick=False) as clock:
        for _ in range(5):
            assert attempt("wrong").status_code == 401
            clock.shift(60)
        locked = attempt(PASSWORD)
        assert locked.status_code == 429 and "govshare_session" not in locked.cookies
        assert "after 5 failed sign-ins in 15 minutes" in locked.text and "try again after 09:15" in locked.text
        clock.shift(9 * 60)  # 09:14: still within a quarter hour of the first failure
        assert attempt(PASSWORD).status_code == 429
        clock.shift(60)  # 09:15: the first failure no longer counts
        assert attempt(PASSWORD).status_code == 303
        with session() as s:
            entries = s.scalars(
                select(m.AuditEntry).where(m.AuditEntry.actor == "agency:hb_mzt/li.na").order_by(m.AuditEntry.seq)
            ).all()
        locked_attempts = [e for e in entries if e.action == "denied" and e.detail.get("locked")]
        assert len(locked_attempts) == 2 and entries[-1].action == "staff.sign_in"
    # Another member is not locked by li.na's failures.
    assert signed_in("zhao.lei").cookies.get("govshare_session")


def test_an_operator_unlocks_a_locked_account_and_the_failures_before_no_longer_count(people):
    """On the platform's clock as it runs (the CLI is another process, so no travelling here)."""
    attempt = _attempts("li.na")

    for _ in range(5):
        assert attempt("wrong").status_code == 401
    locked = attempt(PASSWORD)
    assert locked.status_code == 429 and "to unlock it" in locked.text
    with session() as s:
        until = staff.locked_until(s, s.scalars(select(m.StaffMember).where(m.StaffMember.login == "li.na")).one())
    shown = f"{until.astimezone(TIMEZONE):%H:%M}"
    assert shown in run_cli("staff", "list", "hb_mzt").stdout  # li.na's row says until when
    unlocked = run_cli("staff", "unlock", "li.na")
    assert unlocked.returncode == 0 and "unlocked li.na" in unlocked.stdout
    assert shown not in run_cli("staff", "list", "hb_mzt").stdout
    assert attempt(PASSWORD).status_code == 303  # at once
    for _ in range(4):  # the five before the unlock no longer count: four more do not lock it
        assert attempt("wrong").status_code == 401
    assert attempt(PASSWORD).status_code == 303
    with session() as s:
        [entry] = s.scalars(select(m.AuditEntry).where(m.AuditEntry.action == "staff.unlock")).all()
    assert entry.actor.startswith("operator:") and entry.detail == {"login": "li.na"}
    nobody = run_cli("staff", "unlock", "nobody")
    assert nobody.returncode == 1 and "nobody" in nobody.stderr


def test_a_stored_password_moves_to_a_raised_cost_at_its_next_sign_in(people, monkeypatch):
    with session() as s:
        before = s.scalars(select(m.StaffMember.password_hash).where(m.StaffMember.login == "li.na")).one()
    assert before.startswith("scrypt$65536$8$1$")  # the default cost, 16
    monkeypatch.setenv("GOVSHARE_PASSWORD_COST", "17")
    assert signed_in("li.na").cookies.get("govshare_session")  # the old hash still checks
    with session() as s:
        after = s.scalars(select(m.StaffMember.password_hash).where(m.StaffMember.login == "li.na")).one()
        other = s.scalars(select(m.StaffMember.password_hash).where(m.StaffMember.login == "zhao.lei")).one()
    assert after.startswith("scrypt$131072$8$1$") and other.startswith("scrypt$65536$")  # only who signed in
    assert signed_in("li.na").cookies.get("govshare_session")  # and the new one too
    monkeypatch.setenv("GOVSHARE_PASSWORD_COST", "30")
    assert run_cli("staff", "list").returncode == 0  # only what hashes reads the cost
    refused = run_cli("staff", "add", "hb_mzt", "new.one", "--name", "N", env={"GOVSHARE_STAFF_PASSWORD": PASSWORD * 2})
    assert refused.returncode != 0 and "GOVSHARE_PASSWORD_COST" in refused.stderr


def _table(page: str, testid: str) -> list[list[str]]:
    """The body cells of a page's table, as text."""
    body = re.search(rf'data-testid="{testid}">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def test_the_deliveries_page_shows_each_deliverys_figures_as_the_registry_holds_them(people):
    mine, theirs = (
        active_agreement(request()),
        active_agreement(request(subscriber_code="hb_rst", target_conn_id="sub_hb_rst")),
    )
    # (agreement, status, rows staged, rows merged, bytes, seconds, failed, warned) -> the cells shown
    held = [
        ((mine, "succeeded", 25_002, None, 3_456_789, 73.3, 0, 2), ("25,002", "25,002", "3.3 MB", "73.3 s", "0", "2")),
        ((mine, "failed", 25_002, None, 3_456_789, 5.0, 1, 1), ("25,002", "0", "3.3 MB", "5.0 s", "1", "1")),
        ((mine, "succeeded", 1_000, 37, 512, 200.0, 0, 0), ("1,000", "37", "512 B", "3.3 min", "0", "0")),
        ((mine, "running", None, None, None, None, None, None), ("—", "—", "—", "—", "—", "—")),
        ((theirs, "succeeded", 9, None, 99, 1.0, 0, 0), None),  # another agency's: not shown
    ]
    with session() as s:
        ids = []
        for (code, status, rows, merged, size, took, failed, warned), _ in held:
            d = m.Delivery(
                agreement_code=code,
                run_id=f"manual__{len(ids)}",
                status=status,
                rows=rows,
                rows_merged=merged,
                bytes=size,
                duration_seconds=took,
                checks_failed=failed,
                checks_warned=warned,
            )
            s.add(d)
            s.flush()
            ids.append(d.id)
    client = signed_in("li.na")
    shown = {row[0]: row for row in _table(client.get("/govshare/ui/deliveries").text, "deliveries")}
    expected = {str(i): cells for i, (_, cells) in zip(ids, held, strict=True) if cells}
    assert set(shown) == set(expected)
    for delivery, cells in expected.items():
        assert shown[delivery][1] == mine and tuple(shown[delivery][4:10]) == cells, shown[delivery]
    failed = _table(client.get("/govshare/ui/deliveries?status=failed").text, "deliveries")
    assert [row[0] for row in failed] == [str(ids[1])]


def test_the_catalogue_page_counts_each_resources_items_as_the_registry_holds_them(people):
    client = signed_in("li.na")
    shown = {row[0].split()[-1]: row for row in _table(client.get("/govshare/ui/catalogue").text, "resources")}
    with session() as s:
        resources = s.scalars(select(m.Resource)).all()
        elements = s.scalars(select(m.DataElement)).all()
    assert set(shown) == {r.code for r in resources}
    for r in resources:
        assert shown[r.code][6] == str(len(r.items)), r.code
    authorities = {row[0]: row[3] for row in _table(client.get("/govshare/ui/catalogue").text, "elements")}
    with session() as s:
        names = {a.code: a.name for a in s.scalars(select(m.Agency))}
    assert authorities == {e.code: names[e.authority_code] for e in elements}


def test_the_monitoring_page_and_a_resources_quality_trend_show_the_registrys_figures(people):
    """Each table of the monitoring page holds the registry's rows for the visitor's agency and
    agreements only; a resource's subscribers show each agreement's last ten deliveries."""
    mine = active_agreement(request())
    theirs = active_agreement(request(subscriber_code="hb_rst", target_conn_id="sub_hb_rst"))
    at = datetime(2027, 3, 2, 9, 30, tzinfo=TIMEZONE)
    with session() as s:
        own = s.scalars(select(m.Resource.code).where(m.Resource.provider_code == "hb_mzt")).first() or "mzt_table"
        s.add_all(
            [
                m.FrontDbCheck(agency_code="hb_mzt", resource_code=own, checked_at=at, ok=True, problem=""),
                m.FrontDbCheck(agency_code="hb_mzt", resource_code=own, checked_at=at, ok=False, problem="连接超时"),
                m.FrontDbCheck(agency_code="hb_gat", resource_code="gat_population_register", checked_at=at, ok=True),
                m.Incident(agency_code="hb_mzt", kind="front_db", opened_at=at, closed_at=None, detail="连接超时"),
                m.Incident(agency_code="hb_mzt", kind="front_db", opened_at=at, closed_at=at, detail="已恢复"),
                m.Incident(agency_code="hb_gat", kind="front_db", opened_at=at, detail="not li.na's"),
                m.Anomaly(agreement_code=mine, kind="volume", detected_at=at, delivery_id=7, detail="行数骤降 90%"),
                m.Anomaly(agreement_code=theirs, kind="overdue", detected_at=at, detail="not li.na's"),
            ]
        )
        for n in range(12):  # the trend shows the last ten, oldest first
            s.add(
                m.Delivery(
                    agreement_code=mine,
                    run_id=f"manual__{n}",
                    status="succeeded" if n % 3 else "failed",
                    finished_at=at,
                    checks_passed=10 + n,
                    checks_failed=0 if n % 3 else 1,
                    checks_warned=n % 2,
                )
            )
        s.add(m.Delivery(agreement_code=mine, run_id="manual__running", status="running"))  # not finished: no badge
    page = signed_in("li.na").get("/govshare/ui/monitoring").text
    shown_at = "2027-03-02 09:30"
    assert _table(page, "health") == [["hb_mzt", own, "异常 unhealthy", shown_at, "连接超时"]]
    assert _table(page, "incidents") == [
        ["hb_mzt", "前置库故障 front DB", shown_at, shown_at, "已恢复"],
        ["hb_mzt", "前置库故障 front DB", shown_at, "进行中 open", "连接超时"],
    ]
    assert _table(page, "anomalies") == [[mine, "数据量异常 volume", shown_at, "7", "行数骤降 90%"]]
    resource = signed_in("li.na").get("/govshare/ui/catalogue/resources/gat_population_register").text
    rows = {row[0]: row for row in _table(resource, "subscribers")}
    expected = [f"{10 + n}/{0 if n % 3 else 1}/{n % 2}" for n in range(2, 12)]
    assert rows[mine][3].split() == expected
