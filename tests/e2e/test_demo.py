"""The main job a newcomer runs first (`make demo`): end to end, in a process of its own, with a
registry, an Airflow metadata DB and an Airflow home of the test's (so neither a developer's own
demo state nor the other tests' Airflow DB is touched; the demo's sample databases on the server
are rebuilt by every demo run anyway)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.airflow


def test_the_demo_runs_end_to_end_and_says_how_to_look_at_it(make_database, tmp_path):
    registry, airflow = (
        make_database(name).replace("postgresql://", "postgresql+psycopg://", 1) for name in ("demo_reg", "demo_af")
    )
    home = tmp_path / "airflow"
    home.mkdir()
    env = {
        **os.environ,
        "GOVSHARE_REGISTRY_URL": registry,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": airflow,
    }
    done = subprocess.run(
        [sys.executable, "-m", "govshare.cli", "demo", "--scale", "0.1"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    said = done.stdout
    for step in range(1, 11):
        assert f"[{step}/10]" in said
    assert "scjg_enterprise_register: published" in said
    assert "AGR-0003 failed on purpose" in said and "demo finished" in said
    staff = json.loads((tmp_path / "demo-staff.json").read_text())
    assert set(staff) == {"li.na", "zhao.lei", "wu.min", "zhou.qiang", "chen.jing"}
    assert all(password not in said for password in staff.values())  # never printed
    assert "/govshare/ui/" in said
    [mailbox] = (tmp_path / "mail").iterdir()  # this run's own folder: a rerun keeps it
    assert list(mailbox.glob("*.eml")) and f"mail/{mailbox.name}/" in said
    assert "rows staged" in said and "of earlier demo runs" not in said  # a first run
