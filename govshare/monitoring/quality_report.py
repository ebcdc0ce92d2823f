"""The quality report of one delivery, as a self-contained HTML page (no scripts, no external
files), so it reads the same in a browser, the Airflow UI and a mail client.

It shows: the delivery's summary, a score per quality dimension (the share of checked values
that conform), every rule with its counts, a few rows breaking each failed rule (personal
items masked), and the trend over the agreement's last deliveries.
"""

from __future__ import annotations

from collections import defaultdict

from govshare import markup
from govshare.clock import TIMEZONE
from govshare.numbers import percent
from govshare.quality.reference import division_basis
from govshare.quality.rules import DIMENSIONS, DOMAIN_PREFIX
from govshare.registry.quality import Past

DIMENSION_NAMES = {
    "completeness": "完整性 completeness",
    "accuracy": "准确性 accuracy",
    "consistency": "一致性 consistency",
    "timeliness": "及时性 timeliness",
    "uniqueness": "唯一性 uniqueness",
}


def scores(results: list) -> dict[str, float | None]:
    """Per dimension, the percentage of checked values that conform (None: nothing checked)."""
    checked: dict[str, int] = defaultdict(int)
    broken: dict[str, int] = defaultdict(int)
    for r in results:
        if r.element_count:
            checked[r.dimension] += r.element_count
            broken[r.dimension] += min(r.unexpected_count or 0, r.element_count)
    return {d: (100.0 * (1 - broken[d] / checked[d]) if checked[d] else None) for d in DIMENSIONS}


def basis(result) -> str:
    """The official list a rule checked values against, if it names one ("" otherwise)."""
    return division_basis() if result.expectation == f"{DOMAIN_PREFIX}division_code" else ""


def tally(report) -> str:
    """How the rules came out, in the same words in the report, the email's body and its subject."""
    return f"{len(report.failed)} failed (blocking), {len(report.warned)} warned" + (
        f", {len(report.errored)} could not run" if report.errored else ""
    )


def run_line(delivery) -> str:
    """The delivery and its Airflow run: the run's start in Beijing time (the run id, which
    Airflow writes in UTC, follows as the name to look the run up by)."""
    started = delivery.started_at.astimezone(TIMEZONE)
    return f"交付 Delivery {delivery.id}, run of {started:%Y-%m-%d %H:%M} 北京时间 Beijing time ({delivery.run_id})"


def summary_lines(card, delivery, report) -> list[str]:
    """The summary as plain lines (the email's text part uses these too)."""
    if report.errored:
        status = "检查未能执行，未发布 checks could not run: not published"
    elif report.failed:
        status = "被阻止，未发布 blocked: not published"
    else:
        status = "检查通过，发布 passed: published"
    lines = [
        f"共享协议 Agreement {card.code}: {card.resource_name} ({card.provider_code} → {card.subscriber_code})",
        f"{run_line(delivery)}: {status}",
        f"行数 Rows staged and checked: {delivery.rows or 0:,}",
        f"规则 Rules: {report.passed} passed, {tally(report)}",
    ]
    for r in report.errored:
        lines.append(f"  - [{r.severity}] {r.rule}: 未能执行 could not run — {r.error}")
    for r in report.failed + report.warned:
        counts = f"{r.unexpected_count or 0:,} of {r.element_count or 0:,} rows"
        meaning = "; ".join(part for part in (r.description, basis(r)) if part)
        lines.append(f"  - [{r.severity}] {r.rule}: {counts}" + (f" — {meaning}" if meaning else ""))
    return lines


def render(card, delivery, report, trend: list[Past], link: str | None = None) -> str:
    def outcome(r) -> str:
        return "通过 passed" if r.success else ("未通过 failed" if not r.error else "未能执行 could not run")

    def ran(p: Past) -> int:
        return p.passed + p.failed + p.warned

    return _PAGE.render(
        card=card,
        delivery=delivery,
        link=link,
        summary=summary_lines(card, delivery, report)[:4],
        rows=f"{delivery.rows or 0:,}",
        dimensions=[(DIMENSION_NAMES[d], percent(score), _width(score)) for d, score in scores(report.results).items()],
        rules=[
            {
                "kind": "ok" if r.success else "block" if r.error else r.severity,
                "rule": r.rule,
                "description": r.description,
                "basis": basis(r),
                "dimension": DIMENSION_NAMES.get(r.dimension, r.dimension),
                "severity": r.severity,
                "outcome": outcome(r),
                "error": r.error,
                "unexpected": f"{r.unexpected_count or 0:,}",
                "checked": f"{r.element_count or 0:,}",
            }
            for r in report.results
        ],
        skipped=report.skipped,
        samples=[
            (rule, list(rows[0]), [[str(row[c]) for c in rows[0]] for row in rows])
            for rule, rows in report.samples.items()
            if rows
        ],
        trend=[
            {
                "when": f"{p.when.astimezone(TIMEZONE):%Y-%m-%d %H:%M}",
                "status": p.status,
                "rows": f"{p.rows or 0:,}",
                "passed": p.passed,
                "failed": p.failed,
                "warned": p.warned,
                "width": _width(100.0 * p.passed / ran(p) if ran(p) else None),
            }
            for p in trend
            if p.when
        ],
    )


def _width(percent: float | None) -> str | None:
    """A bar's width for a percentage (None: no bar)."""
    return None if percent is None else f"{max(0.0, min(100.0, percent)):.0f}%"


_PAGE = markup.html(
    """<!DOCTYPE html>
{%- macro bar(width) -%}
{% if width %}<span class='barbox'><span class='bar' style='width:{{ width }}'></span></span>{% endif %}
{%- endmacro %}
<html lang="zh-CN"><head><meta charset="utf-8">
<title>数据质量报告 Quality report — {{ card.code }} delivery {{ delivery.id }}</title>
<style>
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; } th, td { border: 1px solid #ccc; padding: 4px 8px; }
th { background: #f3f3f3; } td.n { text-align: right; } tr.block td { background: #fde2e1; }
tr.warn td { background: #fff4d6; } .bar { display: inline-block; height: 10px; background: #3a7; }
.barbox { display: inline-block; width: 120px; background: #eee; }
</style></head><body>
<h1>数据质量报告 Data quality report</h1>
{% for line in summary %}<p>{{ line }}</p>{% endfor %}
{%- if link %}<p>在线查看 Online: <a href='{{ link }}'>{{ link }}</a></p>{% endif %}
<h2>质量维度 Dimensions</h2>
<table><tr><th>维度 dimension</th><th>符合率 conforming</th><th></th></tr>
{%- for name, score, width in dimensions %}
<tr><td>{{ name }}</td><td>{{ score }}</td><td>{{ bar(width) }}</td></tr>
{%- endfor %}</table>
<h2>规则 Rules ({{ rules | length }}) — {{ rows }} rows checked</h2>
<table><tr><th>rule</th><th>说明 meaning</th><th>dimension</th><th>severity</th><th>result</th>
<th>不符行数 rows breaking it</th><th>检查行数 rows checked</th></tr>
{%- for r in rules %}
<tr class='{{ r.kind }}'><td>{{ r.rule }}</td><td>{{ r.description }}
{%- if r.basis %}<br><small>依据 checked against: {{ r.basis }}</small>{% endif %}</td><td>{{ r.dimension }}</td>
<td>{{ r.severity }}</td><td>{{ r.outcome }}</td>
{%- if r.error %}<td colspan='2'>{{ r.error }}</td></tr>
{%- else %}<td class='n'>{{ r.unexpected }}</td><td class='n'>{{ r.checked }}</td></tr>{% endif %}
{%- endfor %}</table>
{%- if skipped %}
<p>未执行 Not run:</p><ul>{% for name, why in skipped %}<li>{{ name }}: {{ why }}</li>{% endfor %}</ul>
{%- endif %}
{%- if samples %}
<h2>问题数据示例 Samples of rows breaking a rule (personal items masked)</h2>
{%- for rule, columns, rows in samples %}
<h3>{{ rule }}</h3><table><tr>{% for c in columns %}<th>{{ c }}</th>{% endfor %}</tr>
{%- for row in rows %}<tr>{% for value in row %}<td>{{ value }}</td>{% endfor %}</tr>{% endfor %}</table>
{%- endfor %}
{%- endif %}
<h2>趋势 Trend over the agreement's last deliveries</h2>
<table><tr><th>when (北京时间)</th><th>status</th><th>rows staged</th><th>passed</th><th>failed</th><th>warned</th><th>pass rate</th></tr>
{%- for p in trend %}
<tr><td>{{ p.when }}</td><td>{{ p.status }}</td><td class='n'>{{ p.rows }}</td><td class='n'>{{ p.passed }}</td>
<td class='n'>{{ p.failed }}</td><td class='n'>{{ p.warned }}</td><td>{{ bar(p.width) }}</td></tr>
{%- endfor %}</table>
<p style="color:#666">govshare — 政务信息资源共享平台</p>
</body></html>
"""
)
