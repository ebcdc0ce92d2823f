"""`make bench` runs end to end (at a tiny size: its figures mean nothing here, only that it
measures what it says — every kind of run, each task and task process, the DAG file — and ends
with the line of ratios the bars are read from)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.bench


def test_the_delivery_benchmark_reports_every_run_and_ends_with_its_ratios():
    done = subprocess.run(
        [sys.executable, "-m", "bench.delivery", "--rows", "2000", "--repeat", "3", "--parse", "5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    for run in (
        "pipe (psql)",
        "delivery (dags test)",
        "floor (dags test)",
        "delivery (scheduler)",
        "floor (scheduler)",
    ):
        assert re.search(rf"^{re.escape(run)} +[\d.]+ +[\d.]+  [\d.]+ [\d.]+ [\d.]+$", out, re.M), run
    for what in ("delivery", "floor"):  # each of the four tasks timed, and its process measured
        assert re.search(rf"tasks of {what} \(scheduler\), min/median s: stage [\d./]+, check [\d./]+, publish", out)
        assert re.search(rf"peak RSS of {what} \(scheduler\), MB: (\w+ [1-9]\d*(, )?){{4}}$", out, re.M)
    assert re.search(r"^parse_serialise_s=[\d.]+ \(bar 4\) one_dag_s=[\d.]+ \(bar 0.3\)$", out, re.M)
    # Every delivery left all its rows in the target (the bench stops otherwise), and the last
    # line has each ratio (data and check only at a million rows or more).
    last = out.strip().splitlines()[-1]
    assert re.fullmatch(
        r"data/pipe=n/a fixed/floor=[\d.]+ check/pipe=n/a small/floor=[\d.]+@2,000rows rss_max_mb=[1-9]\d*", last
    ), last
