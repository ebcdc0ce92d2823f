"""The package keeps its layers (pyproject.toml [tool.importlinter]): entry points above the
Airflow layer above the services above the registry above the engine above the catalogue above
the base vocabulary, and only the Airflow layer imports Airflow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_every_import_points_down():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
