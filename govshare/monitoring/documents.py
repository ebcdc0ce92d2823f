"""The monitoring and supervision reports as documents: an HTML page (for the email body and
the browser, charts inlined) and a PDF (for filing and forwarding), from the same figures.

The PDF embeds its font (Noto Sans SC, cut to GB2312's characters: fonts/SOURCE.md), so it
shows Chinese on any reader and any machine; reportlab's built-in CID fonts are only named in
the file, never embedded, and show as boxes where the reader has no CJK font.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from govshare import markup
from govshare.clock import TIMEZONE
from govshare.monitoring import charts
from govshare.monitoring.figures import Monitoring, Supervision
from govshare.numbers import percent

FONT = Path(__file__).parent / "fonts" / "NotoSansSC-GB2312.ttf"
pdfmetrics.registerFont(TTFont("NotoSansSC", FONT))  # reportlab embeds the glyphs each PDF uses
_BODY = ParagraphStyle("body", fontName="NotoSansSC", fontSize=9, leading=13)
_TITLE = ParagraphStyle("title", parent=_BODY, fontSize=16, leading=22, spaceAfter=8)
_HEADING = ParagraphStyle("heading", parent=_BODY, fontSize=12, leading=18, spaceBefore=10, spaceAfter=4)


@dataclass(frozen=True)
class Document:
    title: str
    html: markup.Markup  # rendered by an html template: every name and text in it escaped
    pdf: bytes
    summary: list[str]  # a few plain lines for the email's text part


def _due(due, period_end) -> str:
    """A correction's deadline, marked when it passed before the period's end."""
    if due is None:
        return ""
    return f"{due.isoformat()} 逾期 overdue" if due < period_end else due.isoformat()


def monitoring_document(report: Monitoring) -> Document:
    title = (
        f"政务信息资源共享监测报告 Monitoring report — {report.agency_name} ({report.agency}), {report.period.label}"
    )
    pictures = [charts.deliveries_by_day(report), charts.quality_trend(report)]
    columns = ["agreement", "resource", "partner", "deliveries", "ok", "failed", "rows", "rules passed"]
    sections = [
        ("作为提供方 As provider", columns, [_line(x) for x in report.as_provider]),
        ("作为需求方 As subscriber", columns, [_line(x) for x in report.as_subscriber]),
        (
            "失败的交付 Failed deliveries",
            ["when", "agreement", "error"],
            [[_when(w), a, e] for w, a, e in report.failures],
        ),
        (
            "异常 Anomalies",
            ["when", "agreement", "kind", "detail"],
            [[_when(w), a, k, d] for w, a, k, d in report.anomalies],
        ),
        (
            "未结纠错 Open corrections",
            ["correction", "role", "status", "due"],
            [[c, r, s, _due(d, report.period.end)] for c, r, s, d in report.corrections],
        ),
        (
            "前置库事件 Front-DB incidents",
            ["incident", "opened", "closed", "detail"],
            [[str(i), _when(o), _when(c) if c else "open", d] for i, o, c, d in report.incidents],
        ),
    ]
    overdue = sum(1 for *_, due in report.corrections if due and due < report.period.end)
    summary = [
        title,
        f"交付 Deliveries: {report.deliveries}, failed {report.failed}; anomalies {len(report.anomalies)}; "
        f"open corrections {len(report.corrections)} ({overdue} overdue); front-DB incidents {len(report.incidents)}",
    ]
    return Document(title, _html(title, summary, sections, pictures), _pdf(title, summary, sections, pictures), summary)


def supervision_document(report: Supervision) -> Document:
    title = f"政务信息资源共享监督考核报告 Supervision report — {report.period.label}"
    pictures = [charts.ranking(report), charts.kpis(report)]
    columns = [
        "rank",
        "agency",
        "composite",
        "catalogue %",
        "answered on time %",
        "deliveries ok %",
        "quality %",
        "correction days",
        "front DB up %",
    ]
    rows = [
        [
            str(n),
            f"{s.name} ({s.agency})",
            _pct(s.composite),
            _pct(s.catalogue_completeness),
            _pct(s.answered_on_time),
            _pct(s.delivery_success),
            _pct(s.quality_pass),
            "—" if s.correction_turnaround is None else f"{s.correction_turnaround:.1f}",
            _pct(s.availability),
        ]
        for n, s in enumerate(report.ranking, start=1)
    ]
    basis = [[s.agency, str(s.requests), str(s.deliveries), str(s.corrections), str(s.checks)] for s in report.scores]
    sections = [
        ("排名与指标 Ranking and KPIs", columns, rows),
        (
            "计算依据 What the figures rest on",
            ["agency", "requests answered", "deliveries", "corrections", "health checks"],
            basis,
        ),
    ]
    summary = [title] + [f"{r[0]}. {r[1]}: {r[2]}" for r in rows[:5]]
    return Document(title, _html(title, summary, sections, pictures), _pdf(title, summary, sections, pictures), summary)


def _line(x) -> list[str]:
    rate = percent(100.0 * x.checks_passed / x.checks_total if x.checks_total else None, 1)
    return [x.agreement, x.resource, x.partner, str(x.deliveries), str(x.succeeded), str(x.failed), f"{x.rows:,}", rate]


def _pct(value: float | None) -> str:
    return percent(value, 1).removesuffix("%")


def _when(moment) -> str:
    return moment.astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M")


def _html(title: str, summary: list[str], sections, pictures: list[bytes]) -> markup.Markup:
    return _PAGE.render(
        title=title,
        lines=summary[1:],
        images=[base64.b64encode(p).decode() for p in pictures],
        sections=[(heading, columns, [[str(v) for v in row] for row in rows]) for heading, columns, rows in sections],
    )


_PAGE = markup.html(
    """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2em; }
table { border-collapse: collapse; } th, td { border: 1px solid #ccc; padding: 3px 6px; font-size: 90%; }
th { background: #f3f3f3; }</style></head><body><h1>{{ title }}</h1>
{%- for line in lines %}<p>{{ line }}</p>{% endfor %}
{%- for image in images %}<p><img alt='chart' src='data:image/png;base64,{{ image }}'></p>{% endfor %}
{%- for heading, columns, rows in sections %}
<h2>{{ heading }}</h2>
{%- if rows %}<table><tr>{% for c in columns %}<th>{{ c }}</th>{% endfor %}</tr>
{%- for row in rows %}<tr>{% for v in row %}<td>{{ v }}</td>{% endfor %}</tr>{% endfor %}</table>
{%- else %}<p>—</p>{% endif %}
{%- endfor %}
<p style="color:#666">govshare — 政务信息资源共享平台</p></body></html>"""
)


def _pdf(title: str, summary: list[str], sections, pictures: list[bytes]) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        title=title,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
    )
    story = [
        Paragraph(markup.pdf_text(title), _TITLE),
        *[Paragraph(markup.pdf_text(line), _BODY) for line in summary[1:]],
        Spacer(1, 6),
    ]
    for picture in pictures:
        image = Image(io.BytesIO(picture))
        scale = min(1.0, (180 * mm) / image.drawWidth)
        image.drawWidth, image.drawHeight = image.drawWidth * scale, image.drawHeight * scale
        story += [image, Spacer(1, 6)]
    story.append(PageBreak())
    for heading, columns, rows in sections:
        story.append(Paragraph(markup.pdf_text(heading), _HEADING))
        if not rows:
            story.append(Paragraph("—", _BODY))
            continue
        data = [[Paragraph(markup.pdf_text(c), _BODY) for c in columns]]
        data += [[Paragraph(markup.pdf_text(str(v)), _BODY) for v in row] for row in rows]
        table = Table(data, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
    document.build(story)
    return buffer.getvalue()
