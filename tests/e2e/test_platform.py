"""The platform DAGs and the api-server plugin, run by Airflow: the daily escalation with its
emails received by a real SMTP server, a catalogue change that takes an agreement's DAG
away, and the REST API served inside Airflow's api-server."""

from __future__ import annotations

from datetime import timedelta

import httpx
import psycopg
import pytest

from govshare import clock, identity
from govshare.registry import models as m
from govshare.registry.db import session
from tests.conftest import run_cli
from tests.e2e.conftest import dagbag
from tests.helpers import active_agreement, operator, request
from tests.integration.test_registry import without_phone

pytestmark = pytest.mark.airflow


def test_overdue_review_is_escalated_and_everyone_is_emailed(airflow_db, applied, mailbox):
    with session() as s:
        from govshare.lifecycle import service
        from tests.helpers import agency

        code = service.request(s, agency("hb_mzt"), request(), and_submit=True).code
        s.get(m.Agreement, code).due_date = clock.today() - timedelta(days=1)  # ten working days went by
        s.query(m.Notification).update({"status": "sent"})  # only the escalation's emails matter here
    run = dagbag().dags["platform_lifecycle"].test()
    assert run.state == "success"
    with session() as s:
        agreement = s.get(m.Agreement, code)
        last = s.query(m.Transition).filter_by(agreement_code=code).order_by(m.Transition.id.desc()).first()
    assert agreement.status == "coordination" and agreement.due_date > clock.today()
    assert (last.action, last.actor) == ("escalate", "system:platform") and "did not answer by" in last.reason
    [message] = mailbox.received
    to = {a.strip() for a in message["To"].split(",")}
    assert to == {"shjz@mzt.hebei.gov.cn", "xxzx@mzt.hebei.gov.cn", "data@gat.hebei.gov.cn", "sjzyc@sjj.hebei.gov.cn"}
    assert f"{code} 协调中 in coordination" in message["Subject"]
    body = message.get_body(("html",)).get_content()
    assert "did not answer by" in body and "working days" in body


def test_a_catalogue_change_suspends_the_agreement_and_its_dag_goes(airflow_db, applied, catalog_copy, mailbox):
    code = active_agreement(request(items=["person_id", "citizen_id", "phone"]))
    assert code in dagbag().dag_ids
    without_phone(catalog_copy)
    done = run_cli("catalog", "apply", str(catalog_copy / "catalog"))
    assert done.returncode == 0, done.stderr
    assert code not in dagbag().dag_ids
    with session() as s:
        assert s.get(m.Agreement, code).status == "suspended"
        [note] = s.query(m.Notification).filter_by(agreement_code=code, kind="agreement.suspended").all()
    assert set(note.recipients) >= {"shjz@mzt.hebei.gov.cn", "data@gat.hebei.gov.cn"}  # both parties
    assert "agreed item phone was removed" in note.body
    assert dagbag().dags["platform_notifications"].test().state == "success"
    assert any("已暂停 suspended" in str(message["Subject"]) for message in mailbox.received)


def test_the_rest_api_is_served_by_airflows_api_server(applied, api_server):
    active_agreement(request())
    with session() as s:
        token = identity.create_token(s, "hb_mzt", operator())
    base = f"{api_server.root}/govshare"
    assert httpx.get(f"{base}/agreements").status_code == 401  # Airflow adds no auth; ours does
    mine = httpx.get(f"{base}/agreements", headers={"Authorization": f"Bearer {token}"})
    assert mine.status_code == 200 and [a["code"] for a in mine.json()] == ["AGR-0001"]
    # an operator signed in to the Airflow UI reads the quality reports with that session
    login = httpx.post(
        f"{api_server.root}/auth/token", json={"username": api_server.user, "password": api_server.password}
    )
    session_token = login.json()["access_token"]
    page = httpx.get(f"{base}/reports", cookies={"_token": session_token})
    assert page.status_code == 200 and "数据质量报告 Quality reports" in page.text
    assert f"operator:airflow:{api_server.user}" in page.text
    assert httpx.get(f"{base}/reports", cookies={"_token": "forged"}).status_code == 401
    plugins = httpx.get(f"{api_server.root}/api/v2/plugins", headers={"Authorization": f"Bearer {session_token}"})
    views = [v["name"] for p in plugins.json()["plugins"] for v in p.get("external_views", [])]
    assert {"共享协议 Agreements", "交付与质量 Deliveries & quality", "Agreement", "Quality report"} <= set(views)
    # the public open-data catalogue answers anyone, with no session and no token
    listed = httpx.get(f"{base}/open/api/3/action/package_list")
    assert listed.status_code == 200 and listed.json()["success"] is True
    assert httpx.get(f"{base}/open/").status_code == 200


def test_each_email_is_tried_once_a_round_and_marked_as_it_goes(applied, mailbox):
    from govshare.airflow import mail
    from govshare.notify import outbox

    with session() as s:
        s.query(m.Notification).update({"status": "sent"})  # only these three matter here
        queued = [outbox.enqueue(s, "test", ["hb_gat"], f"[govshare] test {i}", ["正文 body"]).id for i in range(3)]
        s.get(m.Notification, queued[1]).recipients = []  # the server refuses a message with no recipient
    assert mail.send_pending() == mail.Sent(sent=2, failed=0, retrying=1)
    assert sorted(str(message["Subject"]) for message in mailbox.received) == ["[govshare] test 0", "[govshare] test 2"]
    assert mail.send_pending() == mail.Sent(sent=0, failed=0, retrying=1)
    with session() as s:
        statuses = [(n.status, n.attempts) for n in (s.get(m.Notification, i) for i in queued)]
    assert statuses == [("sent", 1), ("pending", 2), ("sent", 1)]


def test_on_first_start_every_platform_dag_runs_by_hand_and_mail_waits_for_its_connection(
    airflow_db, applied, make_database, monkeypatch, caplog, tmp_path
):
    """A manual run in Airflow 3 has no logical date and no data interval; a fresh install has no
    SMTP connection yet. Neither may turn a platform DAG red, and no notification may be lost."""
    from govshare.demo import front_db, sample_data
    from tests.helpers import shipped_catalog

    open_resource = shipped_catalog().resources["scjg_enterprise_register"]  # platform_open_data publishes it
    front = make_database("scjg")
    monkeypatch.setenv("AIRFLOW_CONN_FRONT_HB_SCJG", front)
    with psycopg.connect(front) as conn:
        front_db.create_table(conn, open_resource)
        front_db.fill(conn, open_resource, sample_data.enterprises(5, list(sample_data.population(5))))
    monkeypatch.setenv("GOVSHARE_OPEN_DATA_URL", (tmp_path / "open-data").as_uri())
    from govshare.demo.mailbox import Mailbox
    from govshare.lifecycle import service
    from govshare.notify import outbox
    from tests.e2e.test_generated_dags import PLATFORM
    from tests.helpers import agency

    monkeypatch.delenv("AIRFLOW_CONN_GOVSHARE_SMTP", raising=False)
    with session() as s:
        service.request(s, agency("hb_mzt"), request(), and_submit=True)  # mail for the provider
    caplog.clear()
    for dag_id in PLATFORM:
        run = dagbag().dags[dag_id].test(logical_date=None)
        assert run.state == "success", dag_id
        warnings = [r for r in caplog.records if "stay queued and go out once it exists" in r.getMessage()]
        assert len(warnings) == 1 and warnings[0].levelname == "WARNING", dag_id  # one clear warning a run
        caplog.clear()
    with session() as s:
        waiting = outbox.waiting(s)
        assert waiting > 0 and s.query(m.Notification).filter(m.Notification.attempts > 0).count() == 0
    with Mailbox(tmp_path / "mail") as box:
        monkeypatch.setenv("AIRFLOW_CONN_GOVSHARE_SMTP", box.connection)
        assert dagbag().dags["platform_notifications"].test(logical_date=None).state == "success"
        assert len(box.received) == waiting  # everything that waited went out
    with session() as s:
        assert outbox.waiting(s) == 0
