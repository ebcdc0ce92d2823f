"""The engine and the delivery service type-check strictly (pyproject.toml [tool.mypy])."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_the_engine_and_the_delivery_service_type_check():
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
