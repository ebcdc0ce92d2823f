"""Finding the processes a test started, whatever became of their parents and groups.

A test starts a command in a working directory of its own; every process the command starts
inherits it, also one that moved to another session or lost its parent, and Airflow's
processes keep it (unlike their environment, which ``setproctitle`` overwrites in /proc).
Looking processes up by it does not depend on how govshare tracks them, so it can check that.
"""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

import psutil


def started_in(folder: Path) -> list[psutil.Process]:
    """Live processes working in ``folder`` (zombies are dead: only their parent has not looked yet)."""
    wanted, found = str(folder.resolve()), []
    for process in psutil.process_iter():
        with suppress(psutil.Error):
            if process.status() != psutil.STATUS_ZOMBIE and process.cwd() == wanted:
                found.append(process)
    return found


def command(process: psutil.Process) -> list[str]:
    """Its command line, or [] if it has ended meanwhile."""
    try:
        return process.cmdline()
    except psutil.Error:
        return []


def describe(found: list[psutil.Process]) -> str:
    lines = []
    for process in found:
        with suppress(psutil.Error):
            lines.append(f"{process.pid} {' '.join(process.cmdline()).strip()[:120]}")
    return "\n".join(lines) or "nothing"


def kill_all(folder: Path) -> list[psutil.Process]:
    """SIGKILL whatever works in ``folder`` (a test's own cleanup, even when the code under test
    failed); returns what was still there."""
    found = started_in(folder)
    for process in found:
        with suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(found, timeout=10)
    return found
