"""Markup in the catalogue and in requests stays text wherever it is shown.

The shipped catalogue is refiled with HOSTILE (a script, an attribute break-out into an image,
Markdown links and images, HTML, a table cell's end, a line break into a heading) in every
free-text field of every agency, contact, data element, resource and item, and the quality
rules' descriptions hold it too. Agencies then make, answer, file and end requests and file and
answer corrections over the API with HOSTILE in every text field they send. Everything that
shows those texts runs for real — the DAG docs as Airflow parses them, the delivery with its
quality report and alert, the report pages, the weekly digest, the monitoring and supervision
reports, anomalies — and every email the SMTP server receives is read part by part: HTML shows
the markup as text and never as markup, plain text shows exactly what was written.
"""

from __future__ import annotations

from datetime import timedelta

import pypdfium2
import pytest

from govshare import clock
from govshare.airflow import mail
from govshare.monitoring import anomalies, send
from govshare.monitoring.anomalies import Thresholds
from govshare.monitoring.figures import Period
from govshare.registry import deliveries
from govshare.registry import models as m
from govshare.registry.db import session
from tests.e2e.conftest import dagbag
from tests.helpers import HOSTILE, markdown_shown_as_text, operator, shown_as_text

pytestmark = pytest.mark.airflow
SQUEEZED = " ".join(HOSTILE.split())


def caller(hostile):
    client, tokens = hostile["client"], hostile["tokens"]

    def call(agency: str, path: str, body: dict | None = None) -> dict:
        answer = client.post(path, headers={"Authorization": f"Bearer {tokens[agency]}"}, json=body or {})
        assert answer.status_code in (200, 201), (path, answer.text)
        return answer.json()

    return call


def activate(code: str) -> None:
    from govshare.lifecycle import service

    with session() as s:
        service.activate(s, operator(), code)


def every_email_shows_it_as_text(box) -> int:
    """Every HTML part (body or attached report) of every message received shows HOSTILE as
    text only; every plain-text part that carries it carries it exactly as written. Returns how
    many messages carry it."""
    carrying = 0
    for message in box.received:
        subject = str(message["Subject"])
        html = [p.get_content() for p in message.walk() if p.get_content_type() == "text/html"]
        [text] = [p.get_content().replace("\r\n", "\n") for p in message.walk() if p.get_content_type() == "text/plain"]
        shown = sum(shown_as_text(page, subject) for page in html)
        assert "&lt;" not in text and "&amp;amp;" not in text and "&#" not in text, (subject, text)  # not escaped
        if shown:
            assert HOSTILE in text, (subject, text)
            carrying += 1
    return carrying


def test_an_agreement_its_docs_its_delivery_and_its_emails(hostile):
    call = caller(hostile)
    code = call(
        "hb_mzt",
        "/agreements",
        {
            "resource_code": "gat_population_register",
            "items": ["person_id", "citizen_id", "name", "region_code", "updated_at"],
            "purpose": "最低生活保障申请人身份核验" + HOSTILE,
            "legal_basis": "《社会救助暂行办法》" + HOSTILE,
            "target_conn_id": "sub_hb_mzt",
            "target_table": "population_basic",
            "row_filter": [{"item": "region_code", "op": "ne", "value": HOSTILE}],
            "masking": {"citizen_id": "none", "name": "none"},
        },
    )["code"]
    call("hb_gat", f"/agreements/{code}/review", {"agree": True, "statement": HOSTILE})
    call("hb_sjj", f"/agreements/{code}/file")
    activate(code)

    # The DAG docs, as Airflow parsed them: provider, resource and subscriber names, purpose,
    # legal basis, share condition and the five items' titles — all there, all text.
    dag = dagbag().dags[code]
    assert markdown_shown_as_text(dag.doc_md, "doc_md") == 11
    assert SQUEEZED in " ".join(dag.dag_display_name.split())  # the UI shows it as text (React)

    run = dag.test()
    assert run.state == "success"  # the 15-digit ID numbers break warn rules: an alert, a report
    with session() as s:
        delivery = deliveries.find(s, code, run.run_id)
    client, token = hostile["client"], hostile["tokens"]["hb_mzt"]
    for path in ("/reports", f"/reports/{delivery.id}"):
        page = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert page.status_code == 200 and "script-src" not in page.headers["Content-Security-Policy"]
        assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
        shown = shown_as_text(page.text, path)
        assert shown >= (0 if path == "/reports" else 5), path  # the resource's name, the rules' descriptions

    # The request's other texts, each step mailed to the parties (and overseers).
    other = call(
        "hb_mzt",
        "/agreements",
        {
            "resource_code": "rst_social_insurance",
            "items": ["record_id", "status"],
            "purpose": HOSTILE,
            "legal_basis": HOSTILE,
            "target_conn_id": "sub_hb_mzt",
            "target_table": "insurance",
        },
    )["code"]
    call("hb_rst", f"/agreements/{other}/review", {"agree": False, "statement": HOSTILE})
    call("hb_mzt", f"/agreements/{other}/escalate", {"reason": HOSTILE})
    call("hb_sjj", f"/agreements/{other}/refer", {"reason": HOSTILE})
    for department in ("hb_sjj", "hb_bb", "hb_bmj"):
        call(department, f"/agreements/{other}/decide", {"approve": True, "reason": HOSTILE, "legal_basis": HOSTILE})
    call("hb_sjj", f"/agreements/{other}/file", {"number": "冀共享备" + HOSTILE})
    activate(other)
    call("hb_sjj", f"/agreements/{other}/suspend", {"reason": HOSTILE})
    call("hb_sjj", f"/agreements/{other}/resume", {"reason": HOSTILE})
    call("hb_mzt", f"/agreements/{other}/revoke", {"reason": HOSTILE})
    assert mail.send_pending().failed == 0

    box = hostile["mail"]
    subjects = [str(msg["Subject"]) for msg in box.received]
    assert any("数据质量问题" in s for s in subjects) and sum(other in s for s in subjects) >= 8, subjects
    assert every_email_shows_it_as_text(box) == len(box.received)  # each names the resource, or a rule
    [alert] = [msg for msg in box.received if "数据质量问题" in str(msg["Subject"])]
    [report] = [p.get_content() for p in alert.iter_attachments()]
    assert shown_as_text(report, "attached report") >= 5


def test_corrections_the_digest_the_periodic_reports_and_anomalies(hostile):
    call = caller(hostile)
    code = call(
        "hb_mzt",
        "/agreements",
        {
            "resource_code": "scjg_enterprise_register",
            "items": ["uscc", "name"],
            "purpose": HOSTILE,
            "legal_basis": HOSTILE,
            "target_conn_id": "sub_hb_mzt",
            "target_table": "enterprise_basic",
        },
    )["code"]
    with session() as s:
        if s.get(m.Agreement, code).status == "submitted":
            call("hb_scjg", f"/agreements/{code}/review", {"agree": True, "statement": HOSTILE})
    call("hb_sjj", f"/agreements/{code}/file")
    activate(code)
    assert dagbag().dags[code].test().state == "success"

    uscc = hostile["enterprises"][0][0]
    fixed = call(
        "hb_mzt",
        "/corrections",
        {"agreement": code, "key": {"uscc": uscc}, "item": "name", "problem": HOSTILE, "evidence": HOSTILE},
    )["code"]
    disputed = call(
        "hb_mzt",
        "/corrections",
        {"agreement": code, "key": {"uscc": HOSTILE}, "item": "name", "problem": HOSTILE, "evidence": HOSTILE},
    )["code"]
    for agency, action in (("hb_scjg", "accept"), ("hb_scjg", "fixed"), ("hb_mzt", "confirm")):
        call(agency, f"/corrections/{fixed}/{action}", {"reason": HOSTILE})
    for agency, action in (("hb_scjg", "reject"), ("hb_mzt", "dispute"), ("hb_sjj", "resolve")):
        call(agency, f"/corrections/{disputed}/{action}", {"reason": HOSTILE})
    open_one = call(
        "hb_mzt",
        "/corrections",
        {"agreement": code, "key": {"uscc": uscc}, "item": "name", "problem": HOSTILE, "evidence": HOSTILE},
    )["code"]
    assert open_one

    # Failed deliveries whose error holds the text (a provider's database may echo anything):
    # the repeated-failures anomaly quotes it, and so do the reports.
    now = clock.now()
    with session() as s:
        for n in range(3):
            failed = m.Delivery(
                agreement_code=code,
                run_id=f"hostile_{n}",
                status="failed",
                started_at=now - timedelta(minutes=10 - n),
                finished_at=now - timedelta(minutes=9 - n),
                rows=0,
                error=HOSTILE,
            )
            s.add(failed)
            s.flush()
        assert [a.kind for a in anomalies.after_delivery(s, failed, Thresholds())] == ["repeated_failures"]
        s.add(m.Incident(agency_code="hb_scjg", kind="front_db", detail=HOSTILE, opened_at=now - timedelta(hours=1)))

    assert dagbag().dags["platform_quality_digest"].test().state == "success"
    month, quarter = Period.month_of(clock.today()), Period.quarter_of(clock.today())
    with session() as s:
        documents = [send.monitoring(s, agency, month, send=True) for agency in ("hb_mzt", "hb_scjg")]
        documents.append(send.supervision(s, quarter, send=True))
    for document in documents:
        assert shown_as_text(document.html, document.title) >= 1, document.title
        text = "".join(page.get_textpage().get_text_range() for page in pypdfium2.PdfDocument(document.pdf))
        assert "alert(1)" in text and "&lt;" not in text and "&amp;amp;" not in text, document.title
    assert mail.send_pending().failed == 0

    box = hostile["mail"]
    subjects = [str(msg["Subject"]) for msg in box.received]
    for kind in ("周报", "监测报告", "监督考核报告", "异常", "纠错"):
        assert any(kind in s for s in subjects), (kind, subjects)
    assert every_email_shows_it_as_text(box) >= len([s for s in subjects if "纠错" in s or "周报" in s])
