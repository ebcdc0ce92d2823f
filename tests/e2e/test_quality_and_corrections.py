"""Quality through Airflow — a warn rule publishing and reporting, a block rule stopping the
publish — with the emails received by a real SMTP server and parsed; the quality report
behind the API; the weekly digest; and a correction routed to the authoritative source and
flagged in the subscriber's next delivery."""

from __future__ import annotations

import re

import psycopg
import pytest
from fastapi.testclient import TestClient

from govshare import clock, corrections, identity
from govshare.api.app import app
from govshare.registry import deliveries
from govshare.registry import models as m
from govshare.registry.db import session
from tests.e2e.conftest import dagbag
from tests.helpers import (
    ID_NUMBER,
    MOBILE,
    active_agreement,
    agency,
    checksum,
    operator,
    previous_delivery,
    query,
    request,
)

pytestmark = pytest.mark.airflow


def quality_alerts(box) -> list:
    return [msg for msg in box.received if "数据质量问题" in str(msg["Subject"])]


def assert_no_raw_personal_data(message, people) -> None:
    raw = message.as_string()
    for part in message.walk():  # a MIME boundary is 15 '=' and up to 19 random digits
        if part.is_multipart():
            raw = raw.replace(part.get_boundary(), "")
    decoded = "".join(part.get_content() for part in message.walk() if part.get_content_maintype() == "text")
    for text in (raw, decoded):
        assert not ID_NUMBER.search(text) and not MOBILE.search(text)
    assert not any(p[1] in decoded or (p[7] and p[7] in decoded) for p in people)


def test_a_warn_rule_publishes_and_reports_by_email(world):
    code = active_agreement(
        request(
            items=["person_id", "citizen_id", "name", "phone", "updated_at"],
            masking={"citizen_id": "none", "name": "none", "phone": "none"},
        )
    )
    run = dagbag().dags[code].test()
    assert run.state == "success"
    [alert] = quality_alerts(world["mail"])
    assert set(a.strip() for a in alert["To"].split(",")) == {
        "data@gat.hebei.gov.cn",
        "shjz@mzt.hebei.gov.cn",
        "xxzx@mzt.hebei.gov.cn",
    }
    assert "已发布，有警告 published with warnings" in str(alert["Subject"])
    text = alert.get_body(("plain",)).get_content()
    html = alert.get_body(("html",)).get_content()
    for body in (text, html):
        assert "citizen_id_valid" in body and "citizen_id_18_digits" in body and code in body
    [attachment] = [p for p in alert.iter_attachments()]
    assert attachment.get_filename().startswith(f"quality-report-{code}-")
    report = attachment.get_content()
    assert "数据质量报告" in report and "完整性 completeness" in report and "130" in report
    assert_no_raw_personal_data(alert, world["people"])  # the samples in the report are masked


def test_a_block_rule_stops_the_publish_and_alerts_both_parties(world):
    code = active_agreement(
        request(
            resource_code="rst_social_insurance",
            target_table="social_insurance",
            items=["record_id", "citizen_id", "monthly_base", "status"],
        )
    )
    run = dagbag().dags[code].test()
    assert run.state == "failed"
    with psycopg.connect(world["subscriber"]) as conn:
        assert conn.execute("SELECT to_regclass('public.social_insurance')").fetchone()[0] is None
    [alert] = quality_alerts(world["mail"])
    assert "sjk@rst.hebei.gov.cn" in alert["To"] and "shjz@mzt.hebei.gov.cn" in alert["To"]
    text = alert.get_body(("plain",)).get_content()
    assert "被阻止，未发布 blocked: not published" in text
    assert "key_unique:record_id" in text and "monthly_base_in_range" in text
    # The subject counts the rules as the body does; every broken rule says what it means; the
    # run is named by its start in Beijing time, as every time in the email is.
    [tally] = re.findall(r"规则 Rules: \d+ passed, (.*)", text)
    assert tally.startswith("2 failed (blocking), ") and tally in str(alert["Subject"])
    assert re.search(r"\[block\] key_unique:record_id: [\d,]+ of [\d,]+ rows — 主键 record_id 不得重复", text)
    assert not re.search(r" — $", text, re.MULTILINE)
    with session() as s:
        delivery = deliveries.find(s, code, run.run_id)
    started = delivery.started_at.astimezone(clock.TIMEZONE)
    assert f"run of {started:%Y-%m-%d %H:%M} 北京时间 Beijing time ({run.run_id})" in text


def test_a_warn_rule_that_cannot_run_stops_the_publish_as_an_error(world, catalog_copy, monkeypatch, caplog):
    # An operator's typo: PostgreSQL refuses the regular expression, so the rule is never evaluated.
    suite = catalog_copy / "quality" / "gat_population_register.yaml"
    suite.write_text(
        suite.read_text()
        + "  - {name: name_is_chinese, expect: column_values_to_match_regex, column: name, regex: '[', severity: warn}\n"
    )
    monkeypatch.setenv("GOVSHARE_QUALITY_DIR", str(suite.parent))
    code = active_agreement(request(items=["person_id", "name", "updated_at"], masking={"name": "none"}))
    previous_delivery(world["subscriber"], code, "population_basic", "person_id")
    run = dagbag().dags[code].test()
    assert run.state == "failed"
    database_says = "invalid regular expression"
    with session() as s:
        delivery = deliveries.find(s, code, run.run_id)
    assert delivery.status == "error" and "could not run" in delivery.error and database_says in delivery.error
    [errored] = [r for r in delivery.check_results if r["error"]]
    assert errored["rule"] == "name_is_chinese" and not errored["success"] and database_says in errored["error"]
    assert query(world["subscriber"], "SELECT * FROM public.population_basic") == [(1, "previous delivery")]
    assert "name_is_chinese" in caplog.text and database_says in caplog.text  # the task log
    [alert] = quality_alerts(world["mail"])
    assert "未发布 not published" in str(alert["Subject"])
    text = alert.get_body(("plain",)).get_content()
    assert "checks could not run: not published" in text and "name_is_chinese: 未能执行 could not run" in text
    assert database_says in text


def test_the_report_is_served_to_the_parties_only(world):
    code = active_agreement(request(items=["person_id", "citizen_id", "updated_at"]))
    run = dagbag().dags[code].test()
    with session() as s:
        delivery = deliveries.find(s, code, run.run_id)
        tokens = {a: identity.create_token(s, a, operator()) for a in ("hb_gat", "hb_scjg")}
    client = TestClient(app)
    shown = client.get(f"/reports/{delivery.id}", headers={"Authorization": f"Bearer {tokens['hb_gat']}"})
    assert shown.status_code == 200 and shown.headers["content-type"].startswith("text/html")
    assert "规则 Rules" in shown.text and "key_unique:person_id" in shown.text
    hidden = client.get(f"/reports/{delivery.id}", headers={"Authorization": f"Bearer {tokens['hb_scjg']}"})
    assert hidden.status_code == 404
    assert client.get(f"/reports/{delivery.id}").status_code == 401


def test_the_weekly_digest_reaches_the_agencies(world):
    code = active_agreement(request(items=["person_id", "updated_at"]))
    dagbag().dags[code].test()
    world["mail"].received.clear()
    assert dagbag().dags["platform_quality_digest"].test().state == "success"
    digests = [msg for msg in world["mail"].received if "周报" in str(msg["Subject"])]
    recipients = {a.strip() for msg in digests for a in msg["To"].split(",")}
    assert {"data@gat.hebei.gov.cn", "shjz@mzt.hebei.gov.cn"} <= recipients
    assert any(
        f"{code} (provider): 1 deliveries, 1 published" in msg.get_body(("plain",)).get_content() for msg in digests
    )


def test_agencies_choose_which_quality_emails_they_get(world):
    with session() as s:  # the catalogue's quality_alerts: false and quality_digest: off, for hb_gat
        gat = s.get(m.Agency, "hb_gat")
        gat.quality_alerts, gat.quality_digest = False, "off"
    code = active_agreement(request(items=["person_id", "citizen_id", "updated_at"], masking={"citizen_id": "none"}))
    assert dagbag().dags[code].test().state == "success"
    [alert] = quality_alerts(world["mail"])  # the 15-digit ID numbers break warn rules
    assert {a.strip() for a in alert["To"].split(",")} == {"shjz@mzt.hebei.gov.cn", "xxzx@mzt.hebei.gov.cn"}
    world["mail"].received.clear()
    assert dagbag().dags["platform_quality_digest"].test().state == "success"
    digests = [msg for msg in world["mail"].received if "周报" in str(msg["Subject"])]
    recipients = {a.strip() for msg in digests for a in msg["To"].split(",")}
    assert "shjz@mzt.hebei.gov.cn" in recipients and "data@gat.hebei.gov.cn" not in recipients


def flags(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        if conn.execute("SELECT to_regclass('public.enterprise_basic__corrections')").fetchone()[0] is None:
            return []
        return conn.execute(
            "SELECT uscc, correction, item, status FROM public.enterprise_basic__corrections"
        ).fetchall()


def test_a_correction_goes_to_the_authoritative_source_and_is_flagged_until_closed(world):
    code = active_agreement(
        request(
            resource_code="scjg_enterprise_register",
            target_table="enterprise_basic",
            items=["uscc", "name", "legal_rep_citizen_id"],
            masking={"legal_rep_citizen_id": "none"},
        )
    )
    dag = dagbag().dags[code]
    assert dag.test().state == "success"
    uscc = world["enterprises"][0][0]
    with session() as s:
        token = identity.create_token(s, "hb_mzt", operator())
    client = TestClient(app)
    filed = client.post(
        "/corrections",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "agreement": code,
            "key": {"uscc": uscc},
            "item": "legal_rep_citizen_id",
            "problem": "法定代表人已变更",
            "evidence": "民政婚姻登记档案 2026-10-12",
        },
    )
    assert filed.status_code == 201, filed.text
    correction = filed.json()
    # the ID number's authoritative source is public security, not market regulation (一数一源)
    assert (correction["authority"], correction["provider_code"], correction["status"]) == (
        "hb_gat",
        "hb_scjg",
        "filed",
    )
    assert correction["due_date"]
    with session() as s:  # the market regulator cannot answer for public security's data
        with pytest.raises(Exception, match="may not accept"):
            corrections.act(s, agency("hb_scjg"), correction["code"], "accept", "")
    assert dag.test().state == "success"
    assert flags(world["subscriber"]) == [(uscc, correction["code"], "legal_rep_citizen_id", "filed")]
    with session() as s:
        corrections.act(s, agency("hb_gat"), correction["code"], "accept", "核实中")
    with session() as s:
        corrections.act(s, agency("hb_gat"), correction["code"], "fixed", "已更正人口库")
    with session() as s:
        corrections.act(s, agency("hb_mzt"), correction["code"], "confirm", "")
    before = checksum(world["subscriber"], ("public", "enterprise_basic"), ["uscc", "name"], ["uscc"])
    assert dag.test().state == "success"
    assert flags(world["subscriber"]) == []  # closed: no longer flagged
    assert checksum(world["subscriber"], ("public", "enterprise_basic"), ["uscc", "name"], ["uscc"]) == before
    with session() as s:
        steps = [(st.action, st.actor) for st in corrections.steps(s, correction["code"])]
        notes = s.query(m.Notification).filter(m.Notification.kind.like("correction.%")).all()
    assert steps == [
        ("file", "agency:hb_mzt"),
        ("accept", "agency:hb_gat"),
        ("fixed", "agency:hb_gat"),
        ("confirm", "agency:hb_mzt"),
    ]
    assert all("data@gat.hebei.gov.cn" in n.recipients for n in notes)


def test_a_disputed_correction_goes_to_the_competent_department(world):
    code = active_agreement(
        request(resource_code="scjg_enterprise_register", target_table="enterprise_basic", items=["uscc", "name"])
    )
    uscc = world["enterprises"][1][0]
    with session() as s:
        filed = corrections.file(s, agency("hb_mzt"), code, {"uscc": uscc}, "name", "名称错误", "营业执照照片")
    with session() as s:
        corrections.act(s, agency("hb_scjg"), filed.code, "reject", "以登记机关档案为准")
    with session() as s:
        disputed = corrections.act(s, agency("hb_mzt"), filed.code, "dispute", "执照与档案不一致")
        assert disputed.status == "disputed" and disputed.due_date
    with session() as s, pytest.raises(Exception, match="only the competent_department may"):
        corrections.act(s, agency("hb_mzt"), filed.code, "resolve", "我说了算")
    with session() as s:
        assert corrections.act(s, agency("hb_sjj"), filed.code, "resolve", "经协调以执照为准").status == "resolved"


def test_the_report_from_the_command_line(world, tmp_path):
    from tests.conftest import run_cli

    code = active_agreement(request(items=["person_id", "updated_at"]))
    run = dagbag().dags[code].test()
    with session() as s:
        delivery = deliveries.find(s, code, run.run_id)
        token = identity.create_token(s, "hb_mzt", operator())
    out = tmp_path / "report.html"
    done = run_cli("report", "quality", str(delivery.id), "--out", str(out), env={"GOVSHARE_TOKEN": token})
    assert done.returncode == 0, done.stderr
    assert "数据质量报告" in out.read_text(encoding="utf-8")
    assert f"delivery {delivery.id} of {code}: succeeded" in done.stdout and "completeness 100.00%" in done.stdout
