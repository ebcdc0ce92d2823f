"""Sending the notification outbox through Airflow's SMTP provider.

The SMTP server is the Airflow connection ``govshare_smtp`` (type smtp; extras
``disable_tls`` / ``disable_ssl`` as for any SmtpHook connection); the sender address is
``GOVSHARE_MAIL_FROM``. A message that fails is retried on the next round, up to
``MAX_ATTEMPTS`` times, then marked failed with the error; nothing is dropped silently.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from airflow.providers.smtp.hooks.smtp import SmtpHook
from sqlalchemy import select, text

from govshare.notify import outbox
from govshare.registry.db import session

SMTP_CONN_ID = "govshare_smtp"
MAX_ATTEMPTS = 5
log = logging.getLogger("govshare.mail")


def mail_from() -> str:
    return os.environ.get("GOVSHARE_MAIL_FROM", "govshare@localhost")


@dataclass(frozen=True)
class Sent:
    sent: int
    failed: int
    pending: int  # failed this time, will be retried


def send_pending(conn_id: str = SMTP_CONN_ID, batch: int = 100) -> Sent:
    sent = failed = retry = 0
    with session() as s:
        waiting = outbox.pending(s, batch)
        if not waiting:
            return Sent(0, 0, 0)
        with SmtpHook(smtp_conn_id=conn_id) as smtp:
            for message in waiting:
                message.attempts += 1
                try:
                    smtp.send_email_smtp(
                        to=list(message.recipients),
                        subject=message.subject,
                        html_content=message.body,
                        from_email=mail_from(),
                    )
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
