"""Commands started so that stopping them stops everything they started.

Signalling a command's first process is not enough: ``airflow standalone`` or a Celery worker
starts others, and those are orphaned and run on (the 32 LocalExecutor workers of issue 10).
So each command started here runs in a **session** of its own, of which it leads the first
process group: a terminal's Ctrl-C does not reach it behind its supervisor's back, one
``killpg`` reaches its ordinary descendants, and the session holds the rest — Airflow moves
every task into a process group of its own (so that it can signal the task's subprocesses),
but a process cannot leave its session except by ``setsid``, which Airflow and Celery do not
call. (The environment is no use as a mark: ``setproctitle``, which Airflow and Celery call,
overwrites what /proc shows of it.)

For what leaves even the session, a supervisor calls ``adopt_orphans`` first: on Linux, every
process orphaned below it is then handed to it rather than to init, and ``stop_strays`` ends
those at the end.

``stop`` signals the group, then what is left of the session, and SIGKILLs what is still
there after a grace period.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import psutil

PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h


@dataclass
class Started:
    """A command started by ``start``: its first process, which leads its session and group."""

    name: str
    process: subprocess.Popen
    log: Path | None = None
    killed: list[int] = field(default_factory=list)  # pids that had to be SIGKILLed by ``stop``

    @property
    def pid(self) -> int:
        return self.process.pid

    def poll(self) -> int | None:
        return self.process.poll()


def start(name: str, command: Sequence[str], env: Mapping[str, str], log: Path | None = None, **popen) -> Started:
    """Start ``command`` in a session of its own; its output goes to ``log`` (appended) or,
    without one, to this process's own stdout and stderr."""
    out = None
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        out = log.open("ab")
    try:
        process = subprocess.Popen(
            list(command),
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
            start_new_session=True,
            **popen,
        )
    finally:
        if out is not None:
            out.close()  # the child has its own copy
    return Started(name, process, log)


def adopt_orphans() -> bool:
    """Make this process the one that inherits every process orphaned below it (Linux's child
    subreaper), so that ``stop_strays`` can find them; False where that does not exist."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


Live = list[tuple[psutil.Process, int, int]]  # process, its group, its session


def _live() -> Live:
    """Every live process (a zombie is dead already) with its group and session."""
    found = []
    for process in psutil.process_iter():
        with suppress(psutil.Error, OSError):
            if process.status() != psutil.STATUS_ZOMBIE:
                found.append((process, os.getpgid(process.pid), os.getsid(process.pid)))
    return found


def group_of(started: Started, live: Live | None = None) -> list[psutil.Process]:
    return [p for p, pgid, _ in (_live() if live is None else live) if pgid == started.pid]


def remaining(started: Started, live: Live | None = None) -> list[psutil.Process]:
    """What is still alive of ``started``: every process in its session (or its group)."""
    started.process.poll()  # reap the leader, else it lingers as a zombie of ours
    return [p for p, pgid, sid in (_live() if live is None else live) if started.pid in (pgid, sid)]


def _signal(processes: Iterable[psutil.Process], signum: int) -> None:
    for process in processes:
        with suppress(psutil.Error):
            process.send_signal(signum)


def _wait(alive: Callable[[Live], bool], seconds: float) -> None:
    """Until ``alive(live processes)`` is false, or ``seconds`` passed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and alive(_live()):
        time.sleep(0.2)


def stop(stage: Iterable[Started], signum: int = signal.SIGTERM, grace: float = 20.0) -> None:
    """Stop each command with ``signum``, then what it left behind; SIGKILL for whatever is still
    alive after that (its pid is noted in ``killed``).

    The signal goes to each command's group first, so that a command which stops its own
    children in order (the cluster) can do so; once the groups have ended (or ``grace`` seconds
    passed), to every process left in their sessions; ``grace`` seconds later, SIGKILL."""
    stage = list(stage)
    for started in stage:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(started.pid, signum)
    _wait(lambda live: any(group_of(s, live) for s in stage), grace)
    live = _live()
    for started in stage:
        _signal(remaining(started, live), signum)
    _wait(lambda live: any(remaining(s, live) for s in stage), grace)
    live = _live()
    for started in stage:
        left = remaining(started, live)
        if left:
            started.killed.extend(p.pid for p in left)
            _signal(left, signal.SIGKILL)
    psutil.wait_procs([p for s in stage for p in remaining(s)], timeout=10)


def kill(started: Started) -> None:
    """SIGKILL at once, the whole session: a machine that dies, not one that stops."""
    stop([started], signal.SIGKILL, grace=0)


def stop_strays(signum: int = signal.SIGTERM, grace: float = 20.0) -> list[int]:
    """After everything started here was stopped: end the orphans handed to this process (see
    ``adopt_orphans``) and whatever they started, and reap them. Returns their pids. Only call
    it when no subprocess of this process is still meant to run."""
    me = psutil.Process()
    strays = []
    for child in me.children():
        with suppress(psutil.Error):
            strays.extend([child, *child.children(recursive=True)])
    _signal(strays, signum)
    _, alive = psutil.wait_procs(strays, timeout=grace)  # reaps those that are our children
    _signal(alive, signal.SIGKILL)
    psutil.wait_procs(alive, timeout=10)
    return [p.pid for p in strays]


def reap(keep: Iterable[Started] = ()) -> None:
    """Collect the exit status of orphans handed to this process that have ended (zombies),
    except those of ``keep``, whose ``poll`` wants it. Only call it where no other subprocess of
    this process (subprocess.run) may be ending meanwhile: it would lose its exit code."""
    kept = {s.pid for s in keep}
    for child in psutil.Process().children():
        with suppress(psutil.Error, ChildProcessError):
            if child.pid not in kept and child.status() == psutil.STATUS_ZOMBIE:
                os.waitpid(child.pid, os.WNOHANG)
