"""The monitoring and supervision reports as documents: an HTML page (for the email body and
the browser, charts inlined) and a PDF (for filing and forwarding), from the same figures.

The PDF embeds its font (Noto Sans SC, cut to GB2312's characters: fonts/SOURCE.md), so it
shows Chinese on any reader and any machine; reportlab's built-in CID fonts are only named in
the file, never embedded, and show as boxes where the reader has no CJK font.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from govshare import markup, names
from govshare.clock import TIMEZONE
from govshare.monitoring import charts
from govshare.monitoring.figures import Monitoring, Supervision
from govshare.numbers import percent

pdfmetrics.registerFont(TTFont("NotoSansSC", charts.FONT))  # reportlab embeds the glyphs each PDF uses
_BODY = ParagraphStyle("body", fontName="NotoSansSC", fontSize=9, leading=13)
_TITLE = ParagraphStyle("title", parent=_BODY, fontSize=16, leading=22, spaceAfter=8)
_HEADING = ParagraphStyle("heading", parent=_BODY, fontSize=12, leading=18, spaceBefore=10, spaceAfter=4)


@dataclass(frozen=True)
class Document:
    title: str
    html: markup.Markup  # rendered by an html template: every name and text in it escaped
    pdf: bytes
    summary: list[str]  # a few plain lines for the email's text part


@dataclass(frozen=True)
class LongText:
    """A cell whose text may run long, such as a failed delivery's error. The HTML shows its
    opening, cut between words, with the whole text in a details element below it; the PDF wraps
    the whole text (its table rows may split across pages)."""

    text: str

    def __str__(self) -> str:
        return self.text


# What the HTML shows of a long text before "…": a few lines of a table cell.
OPENING_CHARACTERS = 240
# A place a line may break: before a space, or beside a CJK character or punctuation mark.
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")


def opening(text: str, limit: int = OPENING_CHARACTERS) -> str:
    """``text`` if it is short, else its first words up to ``limit`` characters and " …": cut at
    the last word boundary (a sentence's end if there is one in the last third), never mid-word
    unless one word alone is longer than half the limit."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    boundaries = [at for at in range(limit // 2, limit + 1) if _breaks_before(text, at)]
    sentences = [at for at in boundaries if text[at - 1] in ".;。；" and at >= limit * 2 // 3]
    at = (sentences or boundaries or [limit])[-1]
    return text[:at].rstrip(" ,;:，、") + " …"


def _breaks_before(text: str, at: int) -> bool:
    before, after = text[at - 1], text[at]
    return after == " " or before == " " or bool(_CJK.match(before) or _CJK.match(after))


def _due(correction) -> str:
    """A correction's deadline, marked when it had passed on the report's day."""
    if correction.due is None:
        return ""
    return f"{correction.due.isoformat()} 逾期 overdue" if correction.overdue else correction.due.isoformat()


def monitoring_document(report: Monitoring) -> Document:
    title = (
        f"政务信息资源共享监测报告 Monitoring report — {report.agency_name} ({report.agency}), {report.period.label}"
    )
    pictures = [charts.deliveries_by_day(report), charts.quality_trend(report)]
    columns = [
        "协议 agreement",
        "资源 resource",
        "对方 partner",
        "交付 deliveries",
        "成功 ok",
        "失败 failed",
        "行数 rows",
        "规则通过 rules passed",
    ]
    sections = [
        ("作为提供方 As provider", columns, [_line(x) for x in report.as_provider]),
        ("作为需求方 As subscriber", columns, [_line(x) for x in report.as_subscriber]),
        (
            "失败的交付 Failed deliveries",
            ["时间 when", "协议 agreement", "错误 error"],
            [[_when(w), a, LongText(e)] for w, a, e in report.failures],
        ),
        (
            "异常 Anomalies",
            ["时间 when", "协议 agreement", "类型 kind", "详情 detail"],
            [[_when(w), a, names.named(k, "anomaly"), d] for w, a, k, d in report.anomalies],
        ),
        (
            "未结纠错 Open corrections",
            ["纠错 correction", "角色 role", "状态 status", "期限 due"],
            [
                [c.code, names.named(c.role, "role"), names.named(c.status, "correction"), _due(c)]
                for c in report.corrections
            ],
        ),
        (
            "前置库事件 Front-DB incidents",
            ["事件 incident", "开始 opened", "结束 closed", "详情 detail"],
            [[str(i), _when(o), _when(c) if c else "未结束 open", d] for i, o, c, d in report.incidents],
        ),
    ]
    summary = [
        title,
        f"交付 Deliveries: {report.deliveries}, failed {report.failed}; anomalies {len(report.anomalies)}; "
        f"open corrections {len(report.corrections)} ({report.overdue} overdue); "
        f"front-DB incidents {len(report.incidents)}",
    ]
    if report.running:
        summary.append(f"本期尚未结束，数据截至 {_when(report.as_of)} — the period is still running: figures so far")
    return Document(title, _html(title, summary, sections, pictures), _pdf(title, summary, sections, pictures), summary)


def supervision_document(report: Supervision) -> Document:
    title = f"政务信息资源共享监督考核报告 Supervision report — {report.period.label}"
    pictures = [charts.ranking(report), charts.kpis(report)]
    columns = [
        "排名 rank",
        "部门 agency",
        "综合 composite",
        "目录完整 catalogue %",
        "按时答复 answered on time %",
        "交付成功 deliveries ok %",
        "质量达标 quality %",
        "纠错天数 correction days",
        "前置库可用 front DB up %",
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
    idle = [[f"{s.name} ({s.agency})", _pct(s.catalogue_completeness)] for s in report.inactive]
    sections = [
        ("排名与指标 Ranking and KPIs", columns, rows),
        ("本季度无活动（不参与排名）No activity this quarter (not ranked)", ["agency", "catalogue %"], idle),
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
        sections=[(heading, columns, [[_cell(v) for v in row] for row in rows]) for heading, columns, rows in sections],
    )


def _cell(value) -> markup.Markup | str:
    if isinstance(value, LongText) and opening(value.text) != " ".join(value.text.split()):
        return _LONG_CELL.render(opening=opening(value.text), text=value.text)
    return str(value)


# The opening stays readable where a mail client ignores <details> (then both show, in full).
_LONG_CELL = markup.html(
    "<details class='long'><summary>{{ opening }}</summary><div class='whole'>{{ text }}</div></details>"
)

_PAGE = markup.html(
    """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2em; }
table { border-collapse: collapse; } th, td { border: 1px solid #ccc; padding: 3px 6px; font-size: 90%; }
th { background: #f3f3f3; } td { overflow-wrap: anywhere; }
details.long summary { cursor: pointer; } details.long .whole { white-space: pre-wrap; margin-top: 4px; }</style></head><body><h1>{{ title }}</h1>
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
        story.append(_pdf_table(columns, rows))
    document.build(story)
    return buffer.getvalue()


# The text width of an A4 page between the 15 mm margins.
_TEXT_WIDTH = A4[0] - 30 * mm


def _pdf_table(columns: list[str], rows: list[list]) -> Table:
    """A section's table; a column of long texts gets four shares of the width to the others' one,
    so an error wraps into a readable paragraph rather than a narrow column."""
    long = [any(isinstance(row[i], LongText) for row in rows) for i in range(len(columns))]
    share = _TEXT_WIDTH / sum(4 if wide else 1 for wide in long)
    data = [[Paragraph(markup.pdf_text(c), _BODY) for c in columns]]
    data += [[Paragraph(markup.pdf_text(str(v)), _BODY) for v in row] for row in rows]
    table = Table(
        data,
        colWidths=[share * (4 if wide else 1) for wide in long] if any(long) else None,
        repeatRows=1,
        splitInRow=1,  # a long error may continue on the next page
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table
