"""A checked delivery's quality report: filed in the registry, and the parties alerted at once
when a rule broke (each agency decides whether it wants alerts)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from govshare import settings
from govshare.monitoring.quality_report import render, scores, summary_lines, tally
from govshare.notify import outbox
from govshare.quality.check import CheckReport
from govshare.registry import models as m
from govshare.registry import quality
from govshare.registry.cards import cards


def file_report(s: Session, code: str, delivery: m.Delivery, report: CheckReport) -> None:
    card = cards(s, status=None, code=code)[0]
    link = settings.report_link(delivery.id)
    quality.save(
        s, delivery.id, code, scores(report.results), render(card, delivery, report, quality.trend(s, code), link)
    )
    if not (report.errored or report.failed or report.warned):
        return
    wanting = [
        a
        for a in (card.provider_code, card.subscriber_code)
        if (agency := s.get(m.Agency, a)) and agency.quality_alerts
    ]
    verdict = "未发布 not published" if report.blocked else "已发布，有警告 published with warnings"
    outbox.enqueue(
        s,
        "quality.alert",
        wanting,
        f"[govshare] {code} 数据质量问题 quality problem: {tally(report)} — {verdict}",
        [
            *summary_lines(card, delivery, report),
            "完整报告见附件 The full report is attached." + (f" Online: {link}" if link else ""),
        ],
        agreement_code=code,
        attach_report=delivery.id,
    )
