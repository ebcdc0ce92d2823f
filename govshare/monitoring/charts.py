"""Charts for the reports, drawn with matplotlib (headless) as PNG bytes.

Labels are Chinese first with English, as the pages are. They are drawn with the font the
PDF embeds (fonts/NotoSansSC-GB2312.ttf), which govshare ships: a server need have no CJK
font of its own.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on a worker

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from govshare.monitoring.figures import Monitoring, Supervision  # noqa: E402
from govshare.numbers import percent  # noqa: E402

FONT = Path(__file__).parent / "fonts" / "NotoSansSC-GB2312.ttf"  # the reports' one font
font_manager.fontManager.addfont(FONT)
matplotlib.rcParams["font.family"] = font_manager.FontProperties(fname=FONT).get_name()

GREEN, RED, BLUE, GREY = "#3a7", "#d44", "#37c", "#999"
# One colour per KPI, told apart in print and by most colour-blind readers (Okabe–Ito).
KPI_COLOURS = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9"]


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def _legend_below(figure: Figure, handles: list, ncol: int) -> None:
    """The legend under the plot, outside its data area: inside, it would cover bars."""
    figure.legend(handles=handles, loc="outside lower center", ncol=ncol, fontsize=7, frameon=False)


def _nothing_to_show(ax, message: str) -> None:
    """An empty chart says so, on an axis from 0 (matplotlib's default for no data is ±0.05)."""
    ax.set_ylim(0, 1)
    ax.set_xticks([])
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color=GREY)


def deliveries_by_day_figure(report: Monitoring) -> Figure:
    figure, ax = plt.subplots(figsize=(7, 3.1), layout="constrained")
    days = list(report.daily)
    ok = [report.daily[d][0] for d in days]
    failed = [report.daily[d][1] for d in days]
    # Bars at positions, labelled by day: text labels like "10-05" would be parsed as dates.
    at = range(len(days))
    ax.bar(at, ok, color=GREEN)
    ax.bar(at, failed, bottom=ok, color=RED)
    ax.set_xticks(at, [d.strftime("%m-%d") for d in days])
    ax.set_title(f"每日交付 Deliveries per day, {report.agency}, {report.period.label}")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(bottom=0)
    ax.tick_params(axis="x", labelrotation=60, labelsize=7)
    # Drawn from the colours, not the bars: an empty bar series lends its legend no colour.
    _legend_below(figure, [Patch(color=GREEN, label="成功 succeeded"), Patch(color=RED, label="失败 failed")], ncol=2)
    if not days:
        _nothing_to_show(
            ax, f"本期无交付 no deliveries in {report.period.label}" + (" so far" if report.running else "")
        )
    return figure


def deliveries_by_day(report: Monitoring) -> bytes:
    return _png(deliveries_by_day_figure(report))


def quality_trend(report: Monitoring) -> bytes:
    figure, ax = plt.subplots(figsize=(7, 2.8))
    days = [d for d, v in report.daily.items() if v[3]]
    rates = [100.0 * report.daily[d][2] / report.daily[d][3] for d in days]
    ax.plot(range(len(days)), rates, marker="o", color=BLUE)
    ax.set_xticks(range(len(days)), [d.strftime("%m-%d") for d in days])
    ax.set_ylim(0, 105)
    ax.set_ylabel("规则通过率 % rules passed")
    ax.set_title(f"数据质量 Quality: share of rules passed per day, {report.period.label}")
    ax.tick_params(axis="x", labelrotation=60, labelsize=7)
    if not days:
        ax.text(
            0.5,
            0.5,
            f"本期无检查 no checks in {report.period.label}",
            ha="center",
            va="center",
            transform=ax.transAxes,
            color=GREY,
        )
        ax.set_xticks([])
    return _png(figure)


def ranking(report: Supervision) -> bytes:
    ranked = report.ranking
    figure, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * max(1, len(ranked))))
    ax.barh([s.agency for s in ranked][::-1], [s.composite for s in ranked][::-1], color=BLUE)
    ax.set_xlim(0, 100)
    ax.set_xlabel("综合得分 composite score (mean of the KPIs, %)")
    ax.set_title(f"部门排名 Agencies ranked, {report.period.label}")
    for y, s in enumerate(ranked[::-1]):
        # Rounded down, as every share is: an agency short of full marks never reads 100.0.
        ax.text(s.composite + 1, y, percent(s.composite, 1).removesuffix("%"), va="center", fontsize=8)
    if not ranked:
        ax.set_yticks([])
        ax.text(50, 0, "本季度无活动 no activity this quarter", ha="center", va="center", color=GREY)
    return _png(figure)


KPIS = [
    ("catalogue_completeness", "目录完整 catalogue"),
    ("answered_on_time", "按时答复 answered on time"),
    ("delivery_success", "交付成功 deliveries ok"),
    ("quality_pass", "质量达标 quality"),
    ("availability", "前置库可用 front DB up"),
]


def kpis_figure(report: Supervision) -> Figure:
    """The ranked agencies' KPIs side by side; a KPI an agency has no figure for has no bar
    (drawing it as 0 would read as a failure)."""
    figure, ax = plt.subplots(figsize=(7, 3.4), layout="constrained")
    width = 0.8 / len(KPIS)
    ranked = report.ranking
    for i, ((attr, _), colour) in enumerate(zip(KPIS, KPI_COLOURS, strict=True)):
        values = [math.nan if getattr(s, attr) is None else getattr(s, attr) for s in ranked]
        ax.bar([x + i * width for x in range(len(ranked))], values, width, color=colour)
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(ranked))], [s.agency for s in ranked], fontsize=8)
    ax.set_ylim(0, 105)
    ax.set_ylabel("%")
    ax.set_title(f"各部门指标 KPIs per agency, {report.period.label}")
    handles = [Patch(color=colour, label=label) for (_, label), colour in zip(KPIS, KPI_COLOURS, strict=True)]
    _legend_below(figure, handles, ncol=3)  # two rows: five bilingual labels do not fit one
    if not ranked:
        _nothing_to_show(ax, "本季度无活动 no activity this quarter")
    return figure


def kpis(report: Supervision) -> bytes:
    return _png(kpis_figure(report))
