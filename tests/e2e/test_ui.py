"""What an operator sees in a real browser (Debian's Chromium, driven by Playwright): signed in
to the Airflow UI, an agreement's DAG with the agreement as its docs, and the "Deliveries &
quality" entry of the Browse menu leading to a delivery's report, its samples masked; markup from the catalogue and from
a request shown as text there, never run; signed out, nothing."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from govshare import clock
from tests.e2e.conftest import dagbag, sign_in
from tests.helpers import HOSTILE, ID_NUMBER, active_agreement, request

pytestmark = [pytest.mark.airflow, pytest.mark.browser]


def test_an_operator_reads_the_agreement_and_its_quality_report_in_the_airflow_ui(world, api_server, browser):
    code = active_agreement(
        request(items=["person_id", "citizen_id", "name", "updated_at"], masking={"citizen_id": "none", "name": "none"})
    )
    assert dagbag().dags[code].test().state == "success"
    page = sign_in(browser, api_server)

    page.goto(f"{api_server.root}/dags/{code}")
    expect(page.get_by_role("heading", name=re.compile(code))).to_be_visible()
    page.get_by_role("button", name="Dag Docs").click()
    docs = page.get_by_role("dialog")
    expect(docs).to_contain_text("最低生活保障申请人身份核验")  # purpose
    expect(docs).to_contain_text("《社会救助暂行办法》")  # legal basis
    expect(docs).to_contain_text("citizen_id")
    page.keyboard.press("Escape")

    page.get_by_role("button", name="Browse").click()
    page.get_by_role("menuitem", name="交付与质量 Deliveries & quality").click()
    frame = page.frame_locator("iframe").first  # the page opens inside Airflow's frame
    expect(frame.locator("h1")).to_have_text("交付与质量 Deliveries & quality")
    frame.get_by_test_id("deliveries").get_by_role("row", name=re.compile(code)).get_by_role("link").first.click()
    frame.get_by_role("link", name="完整质量报告 Full quality report").click()
    reports = frame
    expect(reports.locator("h1")).to_have_text("数据质量报告 Data quality report")
    expect(reports.locator("body")).to_contain_text("citizen_id_valid")
    expect(reports.locator("body")).to_contain_text("问题数据示例")  # samples of the failing rows…
    text = reports.locator("body").inner_text()
    people = world["people"]
    assert not ID_NUMBER.search(text) and not any(p[1] in text for p in people)  # …with ID numbers masked


def test_markup_from_the_catalogue_and_a_request_shows_as_text_in_the_ui(hostile, api_server, browser):
    # The catalogue's names and titles hold HOSTILE (the hostile fixture), so do the request's words.
    code = active_agreement(
        request(
            purpose="最低生活保障申请人身份核验" + HOSTILE,
            legal_basis=HOSTILE,
            items=["person_id", "citizen_id", "name", "updated_at"],
            masking={"citizen_id": "none", "name": "none"},
        )
    )
    assert dagbag().dags[code].test().state == "success"
    page = sign_in(browser, api_server)
    alerts: list[str] = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    # What HOSTILE would have made, had it been markup: its images, its link, its bold "&".
    injected = "img[src='x'], img[src*='evil.example'], a[href*='evil.example'], b:text-is('&')"
    # The UI's Markdown (GitHub's) makes a link of a web address in any text: the link is the
    # address as written, never a disguise like [click](…).
    disguised = "found => found.filter(a => a.textContent !== a.getAttribute('href')).map(a => a.outerHTML)"
    script_ran = "[...document.scripts].some(s => s.textContent.includes('alert(1)'))"

    page.goto(f"{api_server.root}/dags/{code}")
    page.get_by_role("button", name="Dag Docs").click()
    docs = page.get_by_role("dialog")
    expect(docs).to_contain_text('最低生活保障申请人身份核验<script>alert(1)</script>"><img src=x onerror=alert(1)>')
    expect(docs).to_contain_text("[click](https://evil.example/) ![x](https://evil.example/x.png) <b>&amp;</b> | *em*")
    expect(docs).to_contain_text("人口基础信息<script>alert(1)</script>")  # the resource's name
    assert docs.locator(injected.replace(", a[href*='evil.example']", "")).count() == 0
    assert docs.locator("a[href*='evil.example']").evaluate_all(disguised) == []
    assert not page.evaluate(script_ran)
    page.keyboard.press("Escape")

    page.goto(f"{api_server.root}/govshare/reports")  # the Airflow session signs the operator in
    page.get_by_role("row", name=re.compile(code)).get_by_role("link").click()
    expect(page.locator("h1")).to_have_text("数据质量报告 Data quality report")
    expect(page.locator("body")).to_contain_text("人口基础信息<script>alert(1)</script>")
    expect(page.locator("body")).to_contain_text("citizen_id_valid")
    assert page.locator(injected).evaluate_all("found => found.map(e => e.outerHTML)") == []
    assert not page.evaluate(script_ran) and alerts == []


def test_without_a_session_the_report_pages_are_refused(applied, api_server, browser):
    page = browser.new_page()
    response = page.goto(f"{api_server.root}/govshare/reports")
    assert response.status == 401
    expect(page.locator("body")).to_contain_text("missing, unknown or revoked token")


def test_the_ui_shows_times_in_beijing_even_from_a_browser_in_utc(world, api_server, browser, tmp_path):
    code = active_agreement(request(items=["person_id", "updated_at"]))
    run = dagbag().dags[code].test()
    page = sign_in(browser, api_server, timezone_id="UTC")  # an operator's machine set to UTC
    assert page.evaluate("localStorage.getItem('timezone')") == '"Asia/Shanghai"'
    page.goto(f"{api_server.root}/dags/{code}/runs/{run.run_id}")
    started = run.start_date.astimezone(clock.TIMEZONE)
    expect(page.locator("body")).to_contain_text(f"Start Date{started:%Y-%m-%d %H:%M:%S}")
    expect(page.locator("body")).to_contain_text("+08:00")  # the zone the UI says it shows
    # A zone the user picks in Airflow's menu stays theirs.
    page.evaluate("localStorage.setItem('timezone', JSON.stringify('Europe/Paris'))")
    page.reload()
    assert page.evaluate("localStorage.getItem('timezone')") == '"Europe/Paris"'
