"""The quality report of one delivery, as a self-contained HTML page (no scripts, no external
files), so it reads the same in a browser, the Airflow UI and a mail client.

It shows: the delivery's summary, a score per quality dimension (the share of checked values
that conform), every rule with its counts, a few rows breaking each failed rule (personal
items masked), and the trend over the agreement's last deliveries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from html import escape

from govshare.quality.rules import DIMENSIONS

DIMENSION_NAMES = {
    "completeness": "完整性 completeness",
    "accuracy": "准确性 accuracy",
    "consistency": "一致性 consistency",
    "timeliness": "及时性 timeliness",
    "uniqueness": "唯一性 uniqueness",
}


@dataclass(frozen=True)
class Past:
    """One earlier delivery of the agreement, for the trend."""

    when: datetime | None
    status: str
    passed: int
    failed: int
    warned: int
    rows: int | None


def scores(results: list) -> dict[str, float | None]:
    """Per dimension, the percentage of checked values that conform (None: nothing checked)."""
    checked: dict[str, int] = defaultdict(int)
    broken: dict[str, int] = defaultdict(int)
    for r in results:
        if r.element_count:
            checked[r.dimension] += r.element_count
            broken[r.dimension] += min(r.unexpected_count or 0, r.element_count)
    return {d: (100.0 * (1 - broken[d] / checked[d]) if checked[d] else None) for d in DIMENSIONS}


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
        f"交付 Delivery {delivery.id}, run {delivery.run_id}: {status}",
        f"行数 Rows checked: {delivery.rows or 0:,}",
        f"规则 Rules: {report.passed} passed, {len(report.failed)} failed (blocking), {len(report.warned)} warned"
        + (f", {len(report.errored)} could not run" if report.errored else ""),
    ]
    for r in report.errored:
        lines.append(f"  - [{r.severity}] {r.rule}: 未能执行 could not run — {r.error}")
    for r in report.failed + report.warned:
        lines.append(
            f"  - [{r.severity}] {r.rule}: {r.unexpected_count or 0:,} of {r.element_count or 0:,} rows — {r.description}"
        )
    return lines


def render(card, delivery, report, trend: list[Past], link: str | None = None) -> str:
    rows = delivery.rows or 0
    dimension_rows = "".join(
        f"<tr><td>{escape(DIMENSION_NAMES[d])}</td><td>{'—' if score is None else f'{score:.2f}%'}</td>"
        f"<td>{_bar(score)}</td></tr>"
        for d, score in scores(report.results).items()
    )
    rule_rows = "".join(
        f"<tr class='{'ok' if r.success else 'block' if r.error else r.severity}'><td>{escape(r.rule)}</td><td>{escape(r.description)}</td>"
        f"<td>{escape(DIMENSION_NAMES.get(r.dimension, r.dimension))}</td><td>{escape(r.severity)}</td>"
        f"<td>{'通过 passed' if r.success else ('未通过 failed' if not r.error else '未能执行 could not run')}</td>"
        + (
            f"<td colspan='2'>{escape(r.error)}</td></tr>"
            if r.error
            else f"<td class='n'>{r.unexpected_count or 0:,}</td><td class='n'>{r.element_count or 0:,}</td></tr>"
        )
        for r in report.results
    )
    skipped = "".join(f"<li>{escape(name)}: {escape(why)}</li>" for name, why in report.skipped)
    samples = "".join(_samples(name, rows_) for name, rows_ in report.samples.items() if rows_)
    trend_rows = "".join(
        f"<tr><td>{p.when:%Y-%m-%d %H:%M}</td><td>{escape(p.status)}</td><td class='n'>{p.rows or 0:,}</td>"
        f"<td class='n'>{p.passed}</td><td class='n'>{p.failed}</td><td class='n'>{p.warned}</td>"
        f"<td>{_bar(100.0 * p.passed / (p.passed + p.failed + p.warned) if p.passed + p.failed + p.warned else None)}</td></tr>"
        for p in trend
        if p.when
    )
    summary = "".join(f"<p>{escape(line)}</p>" for line in summary_lines(card, delivery, report)[:4])
    link_html = f"<p>在线查看 Online: <a href='{escape(link)}'>{escape(link)}</a></p>" if link else ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>数据质量报告 Quality report — {escape(card.code)} delivery {delivery.id}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }} th, td {{ border: 1px solid #ccc; padding: 4px 8px; }}
th {{ background: #f3f3f3; }} td.n {{ text-align: right; }} tr.block td {{ background: #fde2e1; }}
tr.warn td {{ background: #fff4d6; }} .bar {{ display: inline-block; height: 10px; background: #3a7; }}
.barbox {{ display: inline-block; width: 120px; background: #eee; }}
</style></head><body>
<h1>数据质量报告 Data quality report</h1>
{summary}{link_html}
<h2>质量维度 Dimensions</h2>
<table><tr><th>维度 dimension</th><th>符合率 conforming</th><th></th></tr>{dimension_rows}</table>
<h2>规则 Rules ({len(report.results)}) — {rows:,} rows</h2>
<table><tr><th>rule</th><th>说明 meaning</th><th>dimension</th><th>severity</th><th>result</th>
<th>不符行数 rows breaking it</th><th>检查行数 rows checked</th></tr>{rule_rows}</table>
{f"<p>未执行 Not run:</p><ul>{skipped}</ul>" if skipped else ""}
{f"<h2>问题数据示例 Samples of rows breaking a rule (personal items masked)</h2>{samples}" if samples else ""}
<h2>趋势 Trend over the agreement's last deliveries</h2>
<table><tr><th>when</th><th>status</th><th>rows</th><th>passed</th><th>failed</th><th>warned</th><th>pass rate</th></tr>
{trend_rows}</table>
<p style="color:#666">govshare — 政务信息资源共享平台</p>
</body></html>
"""


def _bar(percent: float | None) -> str:
    if percent is None:
        return ""
    return f"<span class='barbox'><span class='bar' style='width:{max(0.0, min(100.0, percent)):.0f}%'></span></span>"


def _samples(rule: str, rows: list[dict]) -> str:
    columns = list(rows[0])
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(r[c]))}</td>" for c in columns) + "</tr>" for r in rows)
    return f"<h3>{escape(rule)}</h3><table><tr>{head}</tr>{body}</table>"
