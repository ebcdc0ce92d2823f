"""The engine and the delivery service type-check strictly (pyproject.toml [tool.mypy])."""

from __future__ import annotations

import subprocess
import sys
import tomllib

from tests.conftest import ROOT

# The engine is both its halves, moving data and checking it (the layers in
# [tool.importlinter]); the delivery service runs it.
STRICT = ("govshare.exchange", "govshare.quality", "govshare.delivery")


def test_the_engine_and_the_delivery_service_type_check():
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_mypy_is_strict_on_the_whole_engine_and_the_delivery_service():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    missing = [package for package in STRICT if package not in config["packages"]]
    assert not missing, f"[tool.mypy] packages leaves out {', '.join(missing)}"
    assert config["strict"] is True
