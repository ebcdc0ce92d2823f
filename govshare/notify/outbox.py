"""The notification outbox: an email is queued in the same transaction as the event it reports,
so an event is never lost because mail was down, and never mailed if the event rolled back.
The ``platform_notifications`` DAG sends what is pending through Airflow's SMTP provider."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govshare import markup
from govshare.identity import Actor
from govshare.registry import models as m
from govshare.registry.statuses import NotificationStatus


def recipients(session: Session, agency_codes: Iterable[str]) -> list[str]:
    """The contact addresses of the agencies, each once, in a stable order."""
    found: list[str] = []
    for code in agency_codes:
        agency = session.get(m.Agency, code)
        for contact in agency.contacts if agency else []:
            if contact["email"] not in found:
                found.append(contact["email"])
    return found


def governing(session: Session, region_code: str, *kinds: str) -> list[str]:
    """Codes of the departments of these kinds that oversee ``region_code`` (by level and region)."""
    departments = session.scalars(select(m.Agency).where(m.Agency.kind.in_(kinds)))
    return [a.code for a in departments if Actor.of_agency(a).governs(region_code)]


def competent_departments(session: Session, region_code: str) -> list[str]:
    return governing(session, region_code, "competent_department")


SIGNATURE = "— govshare, 政务信息资源共享平台"
_BODY = markup.html(
    """<html><body style="font-family: sans-serif">{% for p in paragraphs %}<p>{{ p }}</p>{% endfor %}\
<p style="color:#666">{{ signature }}</p></body></html>"""
)


def enqueue(
    session: Session,
    kind: str,
    agencies: Iterable[str],
    subject: str,
    paragraphs: Iterable[str],
    agreement_code: str | None = None,
    attach_report: int | None = None,
    attachments: Iterable[tuple[str, str, bytes]] = (),
    html_body: markup.Markup | None = None,
) -> m.Notification | None:
    """Queue an email to the agencies' contacts: the paragraphs (plain text, as written) as the
    text part, and as the HTML part, escaped — or ``html_body``, a page an html template of
    govshare.markup rendered; with a delivery's quality report and/or files (name, content type,
    bytes) attached."""
    if html_body is not None and not isinstance(html_body, markup.Markup):
        raise TypeError("html_body must be rendered by a govshare.markup html template, which escapes its values")
    to = recipients(session, agencies)
    if not to:
        return None
    paragraphs = list(paragraphs)
    notification = m.Notification(
        kind=kind,
        agreement_code=agreement_code,
        recipients=to,
        subject=subject,
        body=html_body or _BODY.render(paragraphs=paragraphs, signature=SIGNATURE),
        text_body="\n\n".join([*paragraphs, SIGNATURE]) + "\n",
        attach_report=attach_report,
        status=NotificationStatus.PENDING,
        attempts=0,
    )
    session.add(notification)
    session.flush()
    for filename, content_type, content in attachments:
        session.add(
            m.NotificationAttachment(
                notification_id=notification.id, filename=filename, content_type=content_type, content=content
            )
        )
    return notification


def pending(
    session: Session, limit: int = 100, agreement_code: str | None = None, after: int = 0
) -> list[m.Notification]:
    """Pending notifications (with an id above ``after``), locked so two senders never mail the same one."""
    query = (
        select(m.Notification)
        .where(m.Notification.status == NotificationStatus.PENDING, m.Notification.id > after)
        .where(m.Notification.agreement_code == agreement_code if agreement_code else True)
        .order_by(m.Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(query))


def waiting(session: Session, agreement_code: str | None = None) -> int:
    """How many notifications are queued (of one agreement, if given)."""
    query = select(func.count()).select_from(m.Notification).where(m.Notification.status == NotificationStatus.PENDING)
    if agreement_code:
        query = query.where(m.Notification.agreement_code == agreement_code)
    return session.scalar(query)
