"""Make sure a Chromium is there for the browser tests (tests/e2e/test_ui.py).

Order: ``GOVSHARE_CHROMIUM`` if set, else ``/usr/bin/chromium``; if neither exists and this
runs as root on a Debian-like system, Debian's ``chromium`` package is installed with apt-get.
Playwright drives that browser; it never downloads one of its own.

Run with the project's Python: ``.venv/bin/python scripts/ensure_browser.py``. It prints one
line when it installed something and nothing when there was nothing to do. When it cannot
provide a browser it says what to do and exits 0 anyway: the rest of the suite still runs,
and the browser tests fail with the same advice.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from govshare.settings import setting

DEFAULT = Path("/usr/bin/chromium")
ADVICE = "install Debian's chromium package (apt-get install chromium) or set GOVSHARE_CHROMIUM to a Chromium binary"


def main() -> None:
    configured = setting("chromium")
    browser = configured or DEFAULT
    if browser.exists():
        return
    if configured or os.geteuid() != 0 or shutil.which("apt-get") is None:
        print(f"ensure_browser: no Chromium at {browser}; the browser tests will fail: {ADVICE}", file=sys.stderr)
        return
    print("ensure_browser: installing Debian's chromium package for the browser tests (a minute or two)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        done = subprocess.run(command, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            print(f"ensure_browser: {' '.join(command)} failed: {' / '.join(tail)}; {ADVICE}", file=sys.stderr)
            return


if __name__ == "__main__":
    main()
