"""`govshare report`: quality reports of deliveries."""

from __future__ import annotations

from pathlib import Path

import click

from govshare.cli.output import acting, console, token_option
from govshare.lifecycle.service import act, read
from govshare.registry import deliveries, quality


@click.group("report")
def group() -> None:
    """Quality reports (monitoring and supervision reports come with the monitoring issue)."""


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
    scores = ", ".join(f"{k} {v:.2f}%" for k, v in report.scores.items() if v is not None)
    console.print(
        f"delivery {delivery_id} of {report.agreement_code}: {delivery.status}; checks {delivery.checks_passed} passed, "
        f"{delivery.checks_failed} failed, {delivery.checks_warned} warned; {scores}",
        highlight=False,
    )
