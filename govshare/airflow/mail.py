"""Sending the notification outbox through Airflow's SMTP provider.

The SMTP server is the Airflow connection ``govshare_smtp`` (type smtp; extras
``disable_tls`` / ``disable_ssl`` as for any SmtpHook connection); the sender address is
``GOVSHARE_MAIL_FROM``. A message that fails is retried on the next round, up to
``MAX_ATTEMPTS`` times, then marked failed with the error; nothing is dropped silently.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from airflow.providers.smtp.hooks.smtp import SmtpHook
from sqlalchemy import select, text

from govshare.notify import outbox
from govshare.registry import models as m
from govshare.registry.db import session

SMTP_CONN_ID = "govshare_smtp"
MAX_ATTEMPTS = 5
log = logging.getLogger("govshare.mail")


def mail_from() -> str:
    return os.environ.get("GOVSHARE_MAIL_FROM", "govshare@localhost")


def compose(message: m.Notification, report: m.QualityReport | None, files=()) -> EmailMessage:
    """Plain text and HTML alternatives (UTF-8: Chinese renders in any client), and the quality
    report attached as an HTML file when there is one."""
    mime = EmailMessage()
    mime["Subject"] = message.subject
    mime["From"] = mail_from()
    mime["To"] = ", ".join(message.recipients)
    mime["Date"] = formatdate(localtime=True)
    mime["Message-ID"] = make_msgid(idstring=f"govshare-{message.id}")
    mime.set_content(message.text_body or re.sub(r"<[^>]+>", "", message.body), charset="utf-8")
    mime.add_alternative(message.body, subtype="html", charset="utf-8")
    if report is not None:
        mime.add_attachment(
            report.html,
            subtype="html",
            charset="utf-8",
            disposition="attachment",
            filename=f"quality-report-{report.agreement_code}-{report.delivery_id}.html",
        )
    for file in files:
        maintype, _, subtype = file.content_type.partition("/")
        mime.add_attachment(file.content, maintype=maintype, subtype=subtype, filename=file.filename)
    return mime


@dataclass(frozen=True)
class Sent:
    sent: int
    failed: int
    pending: int  # failed this time, will be retried


def send_pending(conn_id: str = SMTP_CONN_ID, batch: int = 100, agreement_code: str | None = None) -> Sent:
    """Send what the outbox holds (only one agreement's, if given)."""
    sent = failed = retry = 0
    with session() as s:
        waiting = outbox.pending(s, batch, agreement_code)
        if not waiting:
            return Sent(0, 0, 0)
        with SmtpHook(smtp_conn_id=conn_id) as smtp:
            for message in waiting:
                message.attempts += 1
                try:
                    report = s.get(m.QualityReport, message.attach_report) if message.attach_report else None
                    files = s.scalars(
                        select(m.NotificationAttachment).where(m.NotificationAttachment.notification_id == message.id)
                    ).all()
                    mime = compose(message, report, files)
                    # The hook opened and authenticated the connection; it has no public way to send a
                    # message with both text and HTML parts and an in-memory attachment, so its client does.
                    smtp._smtp_client.sendmail(mail_from(), list(message.recipients), mime.as_string())
                except Exception as exc:  # one bad address must not stop the rest
                    message.error = f"{type(exc).__name__}: {exc}"
                    if message.attempts >= MAX_ATTEMPTS:
                        message.status = "failed"
                        failed += 1
                    else:
                        retry += 1
                    log.warning("notification %s not sent (attempt %d): %s", message.id, message.attempts, exc)
                    continue
                message.status = "sent"
                message.sent_at = s.scalar(select(text("now()")))
                message.error = None
                sent += 1
                log.info(
                    "notification %s sent to %d recipient(s): %s", message.id, len(message.recipients), message.subject
                )
    return Sent(sent, failed, retry)
