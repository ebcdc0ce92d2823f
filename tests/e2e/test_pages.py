"""The platform's pages walked in a real browser (Debian's Chromium, driven by Playwright)
against Airflow's real api-server: two agencies' staff and an operator take a request through
review, filing and activation to a delivery, its report, and a correction to its resolution,
by clicking; the refusals a careless or hostile visitor meets; and nothing loaded from outside
the host. A screenshot of each page is kept in .govshare/test-artifacts/pages/<test>/."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select, update

from govshare import staff
from govshare.registry import models as m
from govshare.registry.db import session
from tests.conftest import ROOT
from tests.e2e.conftest import dagbag, sign_in
from tests.helpers import operator

pytestmark = [pytest.mark.airflow, pytest.mark.browser]

ARTIFACTS = ROOT / ".govshare" / "test-artifacts" / "pages"
PASSWORD = "correct horse battery"
STAFF = (
    ("li.na", "hb_mzt", ["requester"]),  # the subscriber's clerk
    ("zhao.lei", "hb_gat", ["reviewer"]),  # the provider's reviewer, and the authority for names
    ("chen.jing", "hb_sjj", ["approver"]),  # the competent department, which files
    ("sun.yu", "hb_rst", ["requester", "reviewer"]),  # an agency with no part in it
)


def _origin(url: str) -> str:
    """Where a request goes; data: and blob: URLs (Airflow's UI makes some) go nowhere."""
    parsed = urlparse(url)
    return "" if parsed.scheme in ("data", "blob") else f"{parsed.scheme}://{parsed.netloc}"


class Walk:
    """Every page the walk opens: each request's host, and a numbered screenshot of each step."""

    def __init__(self, browser: Browser, api_server, test: str):
        self.browser, self.server, self.hosts, self.shots = browser, api_server, set(), 0
        self.folder = ARTIFACTS / test
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()

    def watched(self, page: Page) -> Page:
        page.on("request", lambda sent: self.hosts.add(_origin(sent.url)))
        return page

    def staff(self, login: str) -> Page:
        page = self.watched(self.browser.new_context().new_page())
        page.goto(f"{self.server.root}/govshare/ui/agreements")  # no session: to sign-in first
        expect(page).to_have_url(re.compile(r"/govshare/ui/signin\?next="))
        page.get_by_label("登录名 Login").fill(login)
        page.get_by_label("密码 Password").fill(PASSWORD)
        page.get_by_role("button", name="登录 Sign in").click()
        expect(page.get_by_test_id("who")).to_contain_text(f"/{login}")
        return page

    def operator(self) -> Page:
        return self.watched(sign_in(self.browser, self.server))

    def shot(self, page: Page, name: str) -> None:
        self.shots += 1
        page.screenshot(path=self.folder / f"{self.shots:02d}-{name}.png", full_page=True)


def in_frame(page: Page):
    """A page of ours as Airflow shows it: inside its frame."""
    return page.frame_locator("iframe").first


def agreement(code: str) -> m.Agreement:
    with session() as s:
        return s.get(m.Agreement, code)


@pytest.fixture
def walk(world, api_server, browser, request):
    with session() as s:
        for login, agency, duties in STAFF:
            staff.add(s, login, login.title(), agency, duties, PASSWORD, operator())
    return Walk(browser, api_server, request.node.name)


def test_two_agencies_and_an_operator_walk_a_request_to_a_resolved_correction(walk, world):
    root = walk.server.root
    # The subscriber requests the data.
    mzt = walk.staff("li.na")
    mzt.get_by_role("link", name="申请数据 Request data").click()
    mzt.get_by_label("资源 Resource").select_option("gat_population_register")
    mzt.get_by_label("数据项 Items").fill("person_id, name, updated_at")
    mzt.get_by_label("用途 Purpose").fill("最低生活保障申请人身份核验")
    mzt.get_by_label("依据 Legal basis").fill("《社会救助暂行办法》")
    mzt.get_by_label("目标表 Target table").fill("population_basic")
    walk.shot(mzt, "request-form")
    mzt.get_by_role("button", name="提交申请 Submit the request").click()
    expect(mzt.get_by_test_id("status")).to_have_text("待提供方审核 awaiting the provider's review")
    code = mzt.locator("h1").inner_text().split()[0]
    assert agreement(code).created_by == "agency:hb_mzt/li.na"
    walk.shot(mzt, "requested")

    # The provider's reviewer finds it in their queue, with its deadline, and agrees.
    gat = walk.staff("zhao.lei")
    queue = gat.get_by_test_id("queue")
    expect(queue.get_by_role("row", name=re.compile(code))).to_contain_text("working days left")
    walk.shot(gat, "provider-queue")
    queue.get_by_role("link", name=code).click()
    review = gat.get_by_role("form", name=re.compile("审核 Review"))
    review.get_by_label("同意 agree").check()
    review.get_by_label("意见 Statement or reasons").fill("仅用于申请所述职责")
    review.get_by_role("button").click()
    expect(gat.get_by_test_id("status")).to_have_text("已同意 agreed")

    # The competent department files it; the number shown is the registry's.
    sjj = walk.staff("chen.jing")
    sjj.goto(f"{root}/govshare/ui/agreements/{code}")
    sjj.get_by_role("form", name=re.compile("备案 File")).get_by_role("button").click()
    expect(sjj.get_by_test_id("status")).to_have_text("已备案 filed")
    expect(sjj.get_by_test_id("filing")).to_have_text(agreement(code).filing_number)
    assert re.fullmatch(r"冀共享备〔\d{4}〕\d{4}号", agreement(code).filing_number)
    walk.shot(sjj, "filed")

    # The operator activates it from Airflow's navigation, inside Airflow's frame.
    ops = walk.operator()
    ops.get_by_role("button", name="Browse").click()
    ops.get_by_role("menuitem", name="共享协议 Agreements").click()
    frame = in_frame(ops)
    frame.get_by_test_id("queue").get_by_role("link", name=code).click()
    frame.get_by_role("form", name=re.compile("授权生效 Activate")).get_by_role("button").click()
    expect(frame.get_by_test_id("status")).to_have_text("已生效 active")
    assert agreement(code).status == "active"
    walk.shot(ops, "activated")

    # A delivery; the DAG run's "Quality report" tab leads to it, with the registry's figures.
    run = dagbag().dags[code].test()
    assert run.state == "success"
    with session() as s:
        delivery = s.scalars(select(m.Delivery).where(m.Delivery.agreement_code == code)).one()
    ops.goto(f"{root}/dags/{code}/runs/{run.run_id}")
    ops.get_by_role("link", name="Quality report").click()
    frame = in_frame(ops)
    expect(frame.get_by_test_id("rows-staged")).to_have_text(f"{delivery.rows:,}")
    expect(frame.get_by_test_id("rows-delivered")).to_have_text(f"{delivery.rows:,}")
    expect(frame.get_by_test_id("rules").locator("tbody tr")).to_have_count(len(delivery.check_results))
    walk.shot(ops, "run-quality-report")
    ops.goto(f"{root}/dags/{code}")
    ops.get_by_role("link", name="Agreement").click()
    expect(in_frame(ops).get_by_test_id("filing")).to_have_text(agreement(code).filing_number)

    # The subscriber reads its delivery and the full report…
    mzt.goto(f"{root}/govshare/ui/deliveries")
    row = mzt.get_by_test_id("deliveries").get_by_role("row", name=re.compile(code))
    expect(row).to_contain_text(f"{delivery.rows:,}")
    walk.shot(mzt, "deliveries")
    row.get_by_role("link", name="报告 report").click()
    mzt.get_by_role("link", name="完整质量报告 Full quality report").click()
    expect(mzt.locator("h1")).to_have_text("数据质量报告 Data quality report")
    walk.shot(mzt, "full-report")

    # …and files a correction against one delivered record.
    person = world["people"][0]
    mzt.go_back()
    mzt.get_by_role("link", name=re.compile("File a correction of a delivered record")).click()
    filing = mzt.get_by_role("form", name="file a correction")
    filing.get_by_label("协议 Agreement").select_option(code)
    filing.get_by_label("记录 Record key").fill(f"person_id={person[0]}")
    filing.get_by_label("数据项 Item").fill("name")
    filing.get_by_label("问题 Problem").fill("姓名与户籍登记不一致")
    filing.get_by_label("依据 Evidence").fill("户籍登记簿 2026 年 11 月记录")
    filing.get_by_role("button").click()
    expect(mzt.get_by_test_id("status")).to_have_text("待核实 filed")
    correction = mzt.locator("h1").inner_text().split()[0]
    walk.shot(mzt, "correction-filed")

    # The authoritative source accepts and fixes it; the subscriber confirms.
    gat.goto(f"{root}/govshare/ui/corrections")
    gat.get_by_test_id("queue").get_by_role("link", name=correction).click()
    gat.get_by_role("form", name=re.compile("受理 Accept")).get_by_role("button").click()
    expect(gat.get_by_test_id("status")).to_have_text("已受理 accepted")
    gat.get_by_role("form", name=re.compile("已更正 Fixed")).get_by_role("button").click()
    expect(gat.get_by_test_id("status")).to_have_text("已更正 fixed")
    mzt.goto(f"{root}/govshare/ui/corrections/{correction}")
    mzt.get_by_role("form", name=re.compile("确认 Confirm")).get_by_role("button").click()
    expect(mzt.get_by_test_id("status")).to_have_text("已确认 confirmed")
    expect(mzt.get_by_test_id("history").locator("tbody tr")).to_have_count(4)
    walk.shot(mzt, "correction-confirmed")

    # The operator's audit page: the chain verifies, and the people are named.
    ops.goto(f"{root}/govshare/ui/audit?subject=agreement:{code}")
    expect(ops.get_by_test_id("chain")).to_contain_text("The chain verifies")
    entries = ops.get_by_test_id("entries")
    for person_acting in ("agency:hb_mzt/li.na", "agency:hb_gat/zhao.lei", "agency:hb_sjj/chen.jing"):
        expect(entries).to_contain_text(person_acting)
    with session() as s:
        about = s.scalar(select(func.count()).where(m.AuditEntry.subject == f"agreement:{code}"))
    expect(entries.locator("tbody tr")).to_have_count(about)
    walk.shot(ops, "audit")

    # Every other page renders for the operator, each screenshot kept.
    for section in ("catalogue", "monitoring", "corrections"):
        ops.goto(f"{root}/govshare/ui/{section}")
        expect(ops.locator("h1")).to_be_visible()
        walk.shot(ops, section)
    ops.goto(f"{root}/govshare/docs")
    expect(ops.get_by_text("govshare").first).to_be_visible()
    walk.shot(ops, "api-docs")

    # Nothing came from outside the host.
    assert walk.hosts - {""} == {root}, walk.hosts


def test_what_a_careless_or_hostile_visitor_meets(walk):
    root = walk.server.root
    mzt = walk.staff("li.na")
    mzt.get_by_role("link", name="申请数据 Request data").click()
    mzt.get_by_label("资源 Resource").select_option("gat_population_register")
    mzt.get_by_label("数据项 Items").fill("person_id, name")
    mzt.get_by_label("用途 Purpose").fill("最低生活保障申请人身份核验")
    mzt.get_by_label("依据 Legal basis").fill("《社会救助暂行办法》")
    mzt.get_by_label("目标表 Target table").fill("population_basic")
    mzt.get_by_role("button", name="提交申请 Submit the request").click()
    code = mzt.locator("h1").inner_text().split()[0]

    # Another agency's agreement is not found, exactly as in the API.
    rst = walk.staff("sun.yu")
    answer = rst.goto(f"{root}/govshare/ui/agreements/{code}")
    assert answer.status == 404
    expect(rst.get_by_role("alert")).to_contain_text(f"no agreement '{code}' visible to agency:hb_rst/sun.yu")
    walk.shot(rst, "not-found")

    # A form posted without its CSRF token changes nothing.
    gat = walk.staff("zhao.lei")
    forged = gat.request.post(
        f"{root}/govshare/ui/agreements/{code}/review", form={"decision": "agree", "statement": "同意"}
    )
    assert forged.status == 403 and "security token" in forged.text()
    assert agreement(code).status == "submitted"

    # A refusal from the service is shown with its fix: refusing needs reasons.
    gat.goto(f"{root}/govshare/ui/agreements/{code}")
    review = gat.get_by_role("form", name=re.compile("审核 Review"))
    review.get_by_label("拒绝 refuse").check()
    review.get_by_role("button").click()
    expect(gat.get_by_role("alert")).to_contain_text("What to do")
    assert agreement(code).status == "submitted"
    walk.shot(gat, "refusal")

    # An ended session goes to sign-in, and back to the page after it.
    with session() as s:
        s.execute(update(m.StaffSession).values(expires_at=m.StaffSession.created_at))
    mzt.goto(f"{root}/govshare/ui/agreements/{code}")
    expect(mzt).to_have_url(re.compile(r"/govshare/ui/signin\?next=%2Fgovshare%2Fui%2Fagreements%2F" + code))
    mzt.get_by_label("登录名 Login").fill("li.na")
    mzt.get_by_label("密码 Password").fill(PASSWORD)
    mzt.get_by_role("button", name="登录 Sign in").click()
    expect(mzt.locator("h1")).to_contain_text(code)
    walk.shot(mzt, "signed-in-again")
