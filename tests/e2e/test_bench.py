"""The benchmark runs end to end (at a tiny size: its figures mean nothing here, only that it
measures the delivery it claims to and that its incremental runs deliver what changed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.bench


def test_the_benchmark_measures_every_variant_and_the_incremental_runs_deliver_what_changed(tmp_path):
    raw = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.exchange", "--rows", "3000", "--pandas-rows", "1000", "--warm-rows", "300"]
        + ["--skip-dlt", "--incremental", "--incremental-rows", "5000", "--json", str(raw)]
        + ["--db-prefix", f"gsbench_t{os.getpid()}"],  # apart from any other run on this server
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for line in ("A  psql COPY", "B  engine snapshot", "C  engine, 2 masks", "E  pandas", "B/A throughput"):
        assert line in done.stdout
    assert done.stdout.count("key_diff target equals provider: True") == 2
    assert done.stdout.count("rows the provider deleted, as it should") == 2
    assert "dropped the benchmark databases" in done.stderr
    results = json.loads(raw.read_text())
    assert results["main"]["B"]["rows"] == 3000 and results["main"]["C"]["rows"] == 1500  # the filter keeps men
    assert [r["published"][1:] for k, r in results["incremental"]["delta"].items() if k.startswith("key_diff")] == [
        [50, 0],
        [50, 1],
    ]
