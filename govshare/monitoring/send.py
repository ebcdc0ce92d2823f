"""Producing and mailing the periodic reports: monthly monitoring reports to each agency
(article 17), the quarterly supervision report to the competent departments (article 21)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from govshare.monitoring import documents, figures
from govshare.monitoring.figures import Period
from govshare.notify import outbox
from govshare.registry import models as m


def monitoring(session: Session, agency: str, period: Period, send: bool = False) -> documents.Document:
    document = documents.monitoring_document(figures.monitoring(session, agency, period))
    if send:
        outbox.enqueue(
            session,
            "report.monitoring",
            [agency],
            f"[govshare] 监测报告 monitoring report {period.label}",
            document.summary,
            html_body=document.html,
            attachments=[(f"monitoring-{agency}-{period.label}.pdf", "application/pdf", document.pdf)],
        )
    return document


def supervision(session: Session, period: Period, send: bool = False) -> documents.Document:
    document = documents.supervision_document(figures.supervision(session, period))
    if send:
        departments = session.scalars(select(m.Agency.code).where(m.Agency.kind == "competent_department")).all()
        outbox.enqueue(
            session,
            "report.supervision",
            departments,
            f"[govshare] 监督考核报告 supervision report {period.label}",
            document.summary,
            html_body=document.html,
            attachments=[(f"supervision-{period.label}.pdf", "application/pdf", document.pdf)],
        )
    return document


def departments(session: Session) -> list[str]:
    return list(session.scalars(select(m.Agency.code).where(m.Agency.kind == "department").order_by(m.Agency.code)))
