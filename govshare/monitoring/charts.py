"""Charts for the reports, drawn with matplotlib (headless) as PNG bytes.

Labels are in English and digits: the charts must render on any server, and CJK fonts are
not a given there; the reports' text around them is bilingual.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display on a worker

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from govshare.monitoring.figures import Monitoring, Supervision  # noqa: E402

GREEN, RED, BLUE, GREY = "#3a7", "#d44", "#37c", "#999"


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def deliveries_by_day(report: Monitoring) -> bytes:
    figure, ax = plt.subplots(figsize=(7, 2.8))
    days = list(report.daily)
    ok = [report.daily[d][0] for d in days]
    failed = [report.daily[d][1] for d in days]
    # Bars at positions, labelled by day: text labels like "10-05" would be parsed as dates.
    at = range(len(days))
    ax.bar(at, ok, color=GREEN, label="succeeded")
    ax.bar(at, failed, bottom=ok, color=RED, label="failed")
    ax.set_xticks(at, [d.strftime("%m-%d") for d in days])
    ax.set_title(f"Deliveries per day, {report.agency}, {report.period.label}")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper right", fontsize=8)
    ax.tick_params(axis="x", labelrotation=60, labelsize=7)
    if not days:
        ax.text(0.5, 0.5, "no deliveries", ha="center", va="center", transform=ax.transAxes, color=GREY)
    return _png(figure)


def quality_trend(report: Monitoring) -> bytes:
    figure, ax = plt.subplots(figsize=(7, 2.8))
    days = [d for d, v in report.daily.items() if v[3]]
    rates = [100.0 * report.daily[d][2] / report.daily[d][3] for d in days]
    ax.plot(range(len(days)), rates, marker="o", color=BLUE)
    ax.set_xticks(range(len(days)), [d.strftime("%m-%d") for d in days])
    ax.set_ylim(0, 105)
    ax.set_ylabel("% rules passed")
    ax.set_title(f"Quality: share of rules passed per day, {report.period.label}")
    ax.tick_params(axis="x", labelrotation=60, labelsize=7)
    if not days:
        ax.text(0.5, 0.5, "no checks", ha="center", va="center", transform=ax.transAxes, color=GREY)
    return _png(figure)


def ranking(report: Supervision) -> bytes:
    ranked = [s for s in report.ranking if s.composite is not None]
    figure, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * max(1, len(ranked))))
    ax.barh([s.agency for s in ranked][::-1], [s.composite for s in ranked][::-1], color=BLUE)
    ax.set_xlim(0, 100)
    ax.set_xlabel("composite score (mean of the KPIs, %)")
    ax.set_title(f"Agencies ranked, {report.period.label}")
    for y, s in enumerate(ranked[::-1]):
        ax.text(s.composite + 1, y, f"{s.composite:.1f}", va="center", fontsize=8)
    return _png(figure)


def kpis(report: Supervision) -> bytes:
    names = [
        ("catalogue_completeness", "catalogue"),
        ("answered_on_time", "answered on time"),
        ("delivery_success", "deliveries ok"),
        ("quality_pass", "quality"),
        ("availability", "front DB up"),
    ]
    figure, ax = plt.subplots(figsize=(7, 3))
    width = 0.8 / len(names)
    agencies = [s.agency for s in report.scores]
    for i, (attr, label) in enumerate(names):
        values = [getattr(s, attr) or 0 for s in report.scores]
        ax.bar([x + i * width for x in range(len(agencies))], values, width, label=label)
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(agencies))], agencies, fontsize=8)
    ax.set_ylim(0, 105)
    ax.legend(fontsize=7, ncol=3, loc="lower right")
    ax.set_title(f"KPIs per agency, {report.period.label}")
    return _png(figure)
