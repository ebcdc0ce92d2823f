"""What a delivery staged apart from what it delivered, and a rerun of the demo: its own
mailbox beside the earlier runs', and a word on the earlier deliveries its reports count."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest

from govshare.demo.mailbox import Mailbox
from govshare.registry import deliveries
from govshare.registry.db import session
from govshare.registry.deliveries import DeliveryStatus
from tests.conftest import run_cli
from tests.helpers import active_agreement, request


def test_each_demo_run_keeps_its_own_mail(tmp_path):
    root = tmp_path / "mail"
    first = Mailbox.for_run(root)
    with first:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "govshare@test", "x@test", "first run"
        message.set_content("kept")
        with smtplib.SMTP("127.0.0.1", first.port) as smtp:
            smtp.send_message(message)
    second = Mailbox.for_run(root)  # the same second: a folder of its own all the same
    assert second.folder != first.folder and second.folder.parent == first.folder.parent == root
    [kept] = first.folder.glob("*.eml")
    assert "first run" in kept.read_text()
    with pytest.raises(FileExistsError, match="already holds mail"):
        Mailbox(first.folder)  # never overwrites what an earlier run received


def test_a_blocked_delivery_staged_its_rows_and_delivered_none(applied):
    code = active_agreement(request())
    with session() as s:
        deliveries.begin(s, code, "blocked")
        deliveries.update(s, code, "blocked", rows=25_002, status=DeliveryStatus.FAILED, error="check: blocked")
        deliveries.begin(s, code, "delivered")
        deliveries.update(s, code, "delivered", rows=803, status=DeliveryStatus.SUCCEEDED)
        deliveries.begin(s, code, "incremental")
        deliveries.update(s, code, "incremental", rows=40, rows_merged=30, status=DeliveryStatus.SUCCEEDED)
        found = {d.run_id: deliveries.rows_delivered(d) for d in deliveries.recent(s, code)}
    assert found == {"blocked": 0, "delivered": 803, "incremental": 30}
    listed = run_cli("delivery", "list", "--agreement", code)
    assert listed.returncode == 0, listed.stderr
    assert "rows staged" in listed.stdout and "delivered" in listed.stdout
    [blocked] = [line for line in listed.stdout.splitlines() if " blocked " in line]
    assert "25,002" in blocked and " 0 " in blocked


def test_a_rerun_of_the_demo_says_its_reports_count_the_earlier_runs(applied, capsys):
    from govshare.demo import run

    code = active_agreement(request())
    run._say_what_earlier_runs_left([code])
    assert capsys.readouterr().out == ""  # a first run: nothing to say
    with session() as s:
        deliveries.begin(s, code, "an earlier demo run")
    run._say_what_earlier_runs_left([code])
    said = capsys.readouterr().out
    assert "keeps 1 delivery of earlier demo runs" in " ".join(said.split())
    assert "repeated_failures" in said and "GOVSHARE_REGISTRY_URL" in said
