"""Sending the notification outbox through Airflow's SMTP provider.

The SMTP server is the Airflow connection ``govshare_smtp`` (type smtp; extras
``disable_tls`` / ``disable_ssl`` as for any SmtpHook connection); the sender address is
``GOVSHARE_MAIL_FROM``. A message that fails is retried on the next round, up to
``MAX_ATTEMPTS`` times, then marked failed with the error; nothing is dropped silently.
Until the connection exists (a first start), everything stays queued, with one warning per
round, and goes out on the first round after it is added.
"""

from __future__ import annotations

import base64
import html
import logging
import re
import secrets
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from airflow.providers.smtp.hooks.smtp import SmtpHook
from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowNotFoundException
from sqlalchemy import select

from govshare import clock
from govshare.notify import outbox
from govshare.registry import models as m
from govshare.registry.db import session
from govshare.registry.statuses import NotificationStatus as N
from govshare.settings import setting

SMTP_CONN_ID = "govshare_smtp"
# Pictures embedded in a page (a report's charts) become inline parts of the email: most mail
# clients do not show data: URLs, every client shows cid: ones.
_EMBEDDED_IMAGE = re.compile(r"data:image/(png|jpeg|gif);base64,([A-Za-z0-9+/=]+)")
MAX_ATTEMPTS = 5
log = logging.getLogger("govshare.mail")


def mail_from() -> str:
    return setting("mail_from")


def compose(message: m.Notification, report: m.QualityReport | None, files=()) -> EmailMessage:
    """Plain text and HTML alternatives (UTF-8: Chinese renders in any client), and the quality
    report attached as an HTML file when there is one."""
    mime = EmailMessage()
    mime["Subject"] = message.subject
    mime["From"] = mail_from()
    mime["To"] = ", ".join(message.recipients)
    mime["Date"] = formatdate(localtime=True)
    mime["Message-ID"] = f"<{_unique(f'govshare-{message.id}')}>"
    mime.set_content(message.text_body or _as_text(message.body), charset="utf-8")
    page, images = _inline_images(message.body)
    mime.add_alternative(page, subtype="html", charset="utf-8")
    if images:
        html_part = mime.get_payload()[-1]
        for subtype, content, cid in images:
            html_part.add_related(content, maintype="image", subtype=subtype, cid=f"<{cid}>")
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


def _as_text(page: str) -> str:
    """A plain-text part for a message queued without one (before text bodies were kept): the
    page's text, its character references read back (``&lt;`` is ``<`` in plain text)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _inline_images(page: str) -> tuple[str, list[tuple[str, bytes, str]]]:
    """The page with its embedded pictures referred to by Content-ID, and the pictures
    (subtype, bytes, content id)."""
    images: list[tuple[str, bytes, str]] = []

    def by_reference(match: re.Match) -> str:
        cid = _unique(f"image{len(images) + 1}")
        images.append((match[1], base64.b64decode(match[2]), cid))
        return f"cid:{cid}"

    return _EMBEDDED_IMAGE.sub(by_reference, page), images


def _unique(name: str) -> str:
    """A Message-ID or Content-ID (without its angle brackets). Not email.utils.make_msgid: its
    random 64-bit number is an 18-digit run about one time in twenty, which leak filters — the
    agencies' mail gateways, and our own tests — rightly take for a citizen ID number."""
    return f"{name}.{secrets.token_hex(8)}@{mail_from().rpartition('@')[2] or 'localhost'}"


@dataclass(frozen=True)
class Sent:
    sent: int
    failed: int
    retrying: int  # failed this time, will be retried on a later round
    no_connection: bool = False  # nothing was tried: the SMTP connection is not defined yet


def send_pending(conn_id: str = SMTP_CONN_ID, batch: int = 100, agreement_code: str | None = None) -> Sent:
    """Send what the outbox holds (only one agreement's, if given). Each message is marked in
    its own transaction right after it is sent, so a worker that dies mid-batch does not mail
    the ones before it again; each is tried once per round."""
    if not _defined(conn_id):
        with session() as s:
            queued = outbox.waiting(s, agreement_code)
        log.warning(
            "no Airflow connection '%s': %d notification(s) stay queued and go out once it exists — add an smtp "
            "connection under Admin → Connections, as AIRFLOW_CONN_%s, or with `airflow connections import`",
            conn_id,
            queued,
            conn_id.upper(),
        )
        return Sent(0, 0, 0, no_connection=True)
    outcomes = Counter()
    last_id = 0
    with ExitStack() as stack:
        smtp = None
        for _ in range(batch):
            with session() as s:
                waiting = outbox.pending(s, 1, agreement_code, after=last_id)
                if not waiting:
                    break
                message = waiting[0]
                last_id = message.id
                if smtp is None:  # the server is only contacted when there is something to send
                    smtp = stack.enter_context(SmtpHook(smtp_conn_id=conn_id))
                outcomes[_send(s, smtp, message)] += 1
    return Sent(outcomes[N.SENT], outcomes[N.FAILED], retrying=outcomes[N.PENDING])


def _defined(conn_id: str) -> bool:
    try:
        BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return False
    return True


def _send(s, smtp: SmtpHook, message: m.Notification) -> N:
    """Send one message and record the outcome on it: sent, still pending (to retry) or failed."""
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
        log.warning("notification %s not sent (attempt %d): %s", message.id, message.attempts, exc)
        if message.attempts >= MAX_ATTEMPTS:
            message.status = N.FAILED
            return N.FAILED
        return N.PENDING
    message.status = N.SENT
    message.sent_at = clock.now()
    message.error = None
    log.info("notification %s sent to %d recipient(s): %s", message.id, len(message.recipients), message.subject)
    return N.SENT
