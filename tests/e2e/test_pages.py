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
from govshare.lifecycle import service
from govshare.registry import models as m
from govshare.registry.db import session
from tests.conftest import ROOT
from tests.e2e.conftest import dagbag, running_api_server, sign_in
from tests.helpers import active_agreement, agency, operator, request

pytestmark = [pytest.mark.airflow, pytest.mark.browser]

ARTIFACTS = ROOT / ".govshare" / "test-artifacts" / "pages"
PASSWORD = "correct horse battery"
STAFF = (
    ("li.na", "hb_mzt", ["requester"]),  # the subscriber's clerk
    ("zhao.lei", "hb_gat", ["reviewer"]),  # the provider's reviewer, and the authority for names
    ("chen.jing", "hb_sjj", ["approver"]),  # the competent department, which files
    ("sun.yu", "hb_rst", ["requester", "reviewer"]),  # an agency with no part in it
    ("wang.bo", "hb_bb", ["approver"]),  # the staffing department, in a joint decision
    ("liu.min", "hb_bmj", ["approver"]),  # the secrecy department, likewise
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

    def operator(self, user: str | None = None) -> Page:
        """An Airflow user in Airflow's UI (the server's first user unless named)."""
        return self.watched(sign_in(self.browser, self.server.as_user(user) if user else self.server))

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
    _add_staff()
    return Walk(browser, api_server, request.node.name)


def _add_staff() -> None:
    with session() as s:
        for login, agency_code, duties in STAFF:
            staff.add(s, login, login.title(), agency_code, duties, PASSWORD, operator())


def act_by_form(page: Page, title: str, reason: str = "", **choices: str) -> None:
    """Fill the action form titled ``title`` (its reason, its radio ``choices`` by label) and send it."""
    form = page.get_by_role("form", name=re.compile(re.escape(title)))
    for label in choices.values():
        form.get_by_label(label).check()
    if reason:
        form.get_by_label("理由 Reason").fill(reason)
    form.get_by_role("button").click()


def requested_by_service() -> str:
    """A request hb_mzt has submitted (the request form itself is walked in the test above)."""
    with session() as s:
        return service.request(s, agency("hb_mzt"), request(), and_submit=True).code


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
    expect(filing.get_by_label("交付 Delivery")).to_have_value(str(delivery.id))  # the page it came from
    filing.get_by_role("button").click()
    expect(mzt.get_by_test_id("status")).to_have_text("待核实 filed")
    correction = mzt.locator("h1").inner_text().split()[0]
    walk.shot(mzt, "correction-filed")
    with session() as s:
        assert s.get(m.Correction, correction).delivery_id == delivery.id
    mzt.get_by_test_id("delivery").click()  # the correction links to its delivery, which lists it
    expect(mzt.get_by_test_id("delivery-corrections")).to_contain_text(correction)

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


def test_refusal_coordination_joint_decision_and_the_standing_powers_by_their_forms(walk):
    root = walk.server.root
    code = requested_by_service()
    gat, mzt, sjj = walk.staff("zhao.lei"), walk.staff("li.na"), walk.staff("chen.jing")

    # The provider refuses with reasons; the subscriber escalates; the competent department refers it on.
    gat.goto(f"{root}/govshare/ui/agreements/{code}")
    review = gat.get_by_role("form", name=re.compile("审核 Review"))
    review.get_by_label("拒绝 refuse").check()
    review.get_by_label("意见 Statement or reasons").fill("申请用途超出职责范围")
    review.get_by_role("button").click()
    expect(gat.get_by_test_id("status")).to_have_text("已拒绝 refused")
    mzt.goto(f"{root}/govshare/ui/agreements/{code}")
    act_by_form(mzt, "提请协调 Escalate", "核验为法定职责所必需")
    expect(mzt.get_by_test_id("status")).to_have_text("协调中 in coordination")
    sjj.goto(f"{root}/govshare/ui/agreements/{code}")
    expect(sjj.get_by_role("form", name=re.compile("协调同意 Coordination settles it"))).to_be_visible()
    act_by_form(sjj, "提交共同决定 Refer", "协调未果")
    expect(sjj.get_by_test_id("status")).to_have_text("待共同决定 awaiting a joint decision")
    walk.shot(sjj, "referred")

    # The three departments vote; a second vote by one of them is no longer offered.
    for login in ("chen.jing", "wang.bo", "liu.min"):
        voter = sjj if login == "chen.jing" else walk.staff(login)
        voter.goto(f"{root}/govshare/ui/agreements/{code}")
        form = voter.get_by_role("form", name=re.compile("共同决定表决 Vote"))
        form.get_by_label("赞成 approve").check()
        form.get_by_label("理由 Reason").fill("履行法定职责所需")
        form.get_by_label("依据 Legal basis").fill("《社会救助暂行办法》第十一条")
        form.get_by_role("button").click()
        expect(voter.get_by_role("form", name=re.compile("共同决定表决 Vote"))).to_have_count(0)
    expect(voter.get_by_test_id("status")).to_have_text("共同决定批准 approved by joint decision")
    with session() as s:
        assert sorted(v.department_code for v in service.votes(s, code)) == ["hb_bb", "hb_bmj", "hb_sjj"]
    walk.shot(voter, "approved-by-vote")

    # Filed and activated; the operator suspends, the competent department resumes, the subscriber revokes.
    sjj.goto(f"{root}/govshare/ui/agreements/{code}")
    act_by_form(sjj, "备案 File")
    ops = walk.operator()
    ops.goto(f"{root}/govshare/ui/agreements/{code}")
    act_by_form(ops, "授权生效 Activate")
    act_by_form(ops, "暂停 Suspend", "前置库维护")
    expect(ops.get_by_test_id("status")).to_have_text("已暂停 suspended")
    sjj.goto(f"{root}/govshare/ui/agreements/{code}")
    act_by_form(sjj, "恢复 Resume", "维护完成")
    expect(sjj.get_by_test_id("status")).to_have_text("已生效 active")
    mzt.goto(f"{root}/govshare/ui/agreements/{code}")
    expect(mzt.get_by_role("form", name=re.compile("暂停 Suspend"))).to_have_count(0)  # not the subscriber's power
    act_by_form(mzt, "撤销 Revoke", "职责调整，不再需要")
    expect(mzt.get_by_test_id("status")).to_have_text("已撤销 revoked")
    walk.shot(mzt, "revoked")
    with session() as s:
        steps = [(t.action, t.actor) for t in service.history(s, code)]
    assert steps[-3:] == [
        ("suspend", f"operator:airflow:{walk.server.user}"),
        ("resume", "agency:hb_sjj/chen.jing"),
        ("revoke", "agency:hb_mzt/li.na"),
    ]


def test_a_rejected_correction_disputed_and_resolved_by_its_forms(walk, world):
    root = walk.server.root
    code = active_agreement(request())
    mzt, gat, sjj = walk.staff("li.na"), walk.staff("zhao.lei"), walk.staff("chen.jing")
    mzt.goto(f"{root}/govshare/ui/corrections?agreement={code}")
    filing = mzt.get_by_role("form", name="file a correction")
    expect(filing.get_by_label("协议 Agreement")).to_have_value(code)  # chosen from the link's agreement
    filing.get_by_label("记录 Record key").fill(f"person_id={world['people'][0][0]}")
    filing.get_by_label("数据项 Item").fill("citizen_id")
    filing.get_by_label("问题 Problem").fill("身份号码校验位有误")
    filing.get_by_label("依据 Evidence").fill("申请人提供的身份证复印件")
    filing.get_by_role("button").click()
    correction = mzt.locator("h1").inner_text().split()[0]

    gat.goto(f"{root}/govshare/ui/corrections/{correction}")
    act_by_form(gat, "不予更正 Reject")  # no reasons: refused, shown with its fix
    expect(gat.get_by_role("alert")).to_contain_text("give the reasons")
    act_by_form(gat, "不予更正 Reject", "与户籍登记一致，无需更正")
    expect(gat.get_by_test_id("status")).to_have_text("不予更正 rejected")
    mzt.goto(f"{root}/govshare/ui/corrections/{correction}")
    act_by_form(mzt, "有异议 Dispute", "复印件显示校验位不同")
    expect(mzt.get_by_test_id("status")).to_have_text("有异议 disputed")
    sjj.goto(f"{root}/govshare/ui/corrections")
    sjj.get_by_test_id("queue").get_by_role("link", name=correction).click()
    act_by_form(sjj, "裁决 Resolve", "以户籍登记为准")
    expect(sjj.get_by_test_id("status")).to_have_text("已裁定 resolved")
    expect(sjj.get_by_test_id("history").locator("tbody tr")).to_have_count(4)
    walk.shot(sjj, "correction-resolved")
    with session() as s:
        assert s.get(m.Correction, correction).status == "resolved"


def test_airflow_roles_map_to_an_operator_and_a_read_only_operator(world, airflow_db, browser, tmp_path):
    """Admin and Op users of Airflow act as platform operators; a Viewer reads every agency's
    agreements and acts on none (no form shown, and a posted one refused)."""
    _add_staff()
    code = requested_by_service()
    with session() as s:
        service.review(s, agency("hb_gat"), code, True, "仅用于申请所述职责")
        service.file(s, agency("hb_sjj"), code)
    with running_api_server(tmp_path, "admin:admin,olga:op,vera:viewer") as server:
        walk = Walk(browser, server, "test_airflow_roles")
        viewer = walk.operator("vera")
        viewer.goto(f"{server.root}/govshare/ui/agreements/{code}")
        expect(viewer.get_by_test_id("who")).to_contain_text("airflow:vera")
        expect(viewer.get_by_test_id("status")).to_have_text("已备案 filed")
        expect(viewer.locator("form.action")).to_have_count(0)
        walk.shot(viewer, "viewer-reads")
        token = next(c["value"] for c in viewer.context.cookies() if c["name"] == "_token")
        forged = viewer.request.post(
            f"{server.root}/govshare/ui/agreements/{code}/activate", form={"csrf": staff.csrf_token(token)}
        )
        assert forged.status == 403 and "may not" in forged.text(), forged.text()
        assert agreement(code).status == "filed"

        for user in ("olga", "admin"):
            page = walk.operator(user)
            page.goto(f"{server.root}/govshare/ui/agreements/{code}")
            expect(page.get_by_role("form", name=re.compile("授权生效 Activate"))).to_be_visible()
        act_by_form(page, "授权生效 Activate")
        expect(page.get_by_test_id("status")).to_have_text("已生效 active")
        with session() as s:
            assert (service.history(s, code)[-1].action, service.history(s, code)[-1].actor) == (
                "activate",
                "operator:airflow:admin",
            )
