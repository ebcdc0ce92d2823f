"""`govshare report`: quality reports of deliveries."""

from __future__ import annotations

from pathlib import Path

import click

from govshare.cli.output import acting, console, token_option
from govshare.errors import NotFound
from govshare.lifecycle.service import act, read
from govshare.numbers import percent
from govshare.registry import deliveries, quality
from govshare.registry import models as m
from govshare.registry.db import session


@click.group("report")
def group() -> None:
    """Quality, monitoring and supervision reports."""


@group.command("quality")
@click.argument("delivery_id", type=int)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the HTML report to this file.")
@token_option
def quality_report(delivery_id: int, out: Path | None, token) -> None:
    """The quality report of one delivery (to a file, or its summary here)."""
    actor = acting(token)

    def fetch(s):
        report = quality.get(s, delivery_id)
        read(s, actor, report.agreement_code)  # only the agreement's parties (and operators) may read it
        return report, deliveries.by_id(s, delivery_id)

    report, delivery = act(actor, "report.read", f"delivery:{delivery_id}", fetch)
    if out:
        out.write_text(report.html, encoding="utf-8")
        console.print(f"wrote the quality report of delivery {delivery_id} to {out}")
    console.print(
        f"delivery {delivery_id} of {report.agreement_code}: {delivery.status}; checks {delivery.checks_passed} passed, "
        f"{delivery.checks_failed} failed, {delivery.checks_warned} warned; {scores_line(report.scores)}",
        highlight=False,
    )


def scores_line(scores: dict[str, float | None]) -> str:
    """The conformance scores as the summary line writes them: rounded down (govshare.numbers),
    so a dimension with one bad value reads 99.99%, never 100.00%; unchecked ones are left out."""
    return ", ".join(f"{k} {percent(v)}" for k, v in scores.items() if v is not None)


def _write(document, out: Path, stem: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.html").write_text(document.html, encoding="utf-8")
    (out / f"{stem}.pdf").write_bytes(document.pdf)
    console.print(f"wrote {out / (stem + '.html')} and {out / (stem + '.pdf')}", highlight=False)


def _produce(what: str, make) -> object:
    """Run ``make`` with a progress line: the figures, the charts and the PDF take a while."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True
    ) as progress:
        progress.add_task(f"{what}: reading the registry, drawing charts, writing the PDF…", total=None)
        return make()


@group.command("monitoring")
@click.option("--agency", required=True, help="Agency code.")
@click.option("--month", required=True, help="e.g. 2026-10")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"), show_default=True)
@click.option("--send", is_flag=True, help="Also email it to the agency (through the outbox).")
def monitoring_report(agency: str, month: str, out: Path, send: bool) -> None:
    """An agency's monitoring report for a month (article 17): HTML and PDF."""
    from govshare.monitoring import send as reports
    from govshare.monitoring.figures import Period

    period = _period(Period.month, month, "--month", "2026-10")
    with session() as s:
        if s.get(m.Agency, agency) is None:
            raise NotFound(f"unknown agency '{agency}'", "use a code from `govshare catalog agencies`")
        document = _produce(
            f"monitoring report {agency} {period.label}", lambda: reports.monitoring(s, agency, period, send)
        )
    _write(document, out, f"monitoring-{agency}-{period.label}")
    for line in document.summary[1:]:
        console.print(line, highlight=False, markup=False)


@group.command("supervision")
@click.option("--quarter", required=True, help="e.g. 2026Q3")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"), show_default=True)
@click.option("--send", is_flag=True, help="Also email it to the competent departments.")
def supervision_report(quarter: str, out: Path, send: bool) -> None:
    """The supervision report for a quarter (article 21): KPIs per agency and a ranking."""
    from govshare.monitoring import send as reports
    from govshare.monitoring.figures import Period

    period = _period(Period.quarter, quarter, "--quarter", "2026Q3")
    with session() as s:
        document = _produce(f"supervision report {period.label}", lambda: reports.supervision(s, period, send))
    _write(document, out, f"supervision-{period.label}")
    for line in document.summary[1:]:
        console.print(line, highlight=False, markup=False)


def _period(parse, text: str, option: str, example: str):
    try:
        return parse(text)
    except (ValueError, IndexError):
        raise click.BadParameter(f"{text!r} is not a period like {example}", param_hint=option) from None
