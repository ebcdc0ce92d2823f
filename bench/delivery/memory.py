"""Each task process's peak RSS under the scheduler.

A Celery worker runs each task in a process it forks, which Airflow names
``airflow worker -- <task instance id>`` (setproctitle). While runs go on, a thread lists the
worker's descendants a few times a second and keeps, per task instance, the largest VmHWM
(the kernel's own high-water mark of the process's resident set, so a peak between two looks
is not missed: only growth in the last look's interval before the process ends could be)."""

from __future__ import annotations

import threading

import psutil

TITLE = "airflow worker -- "


def high_water_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


class TaskMemory:
    """``peaks``: task instance id → peak RSS in MB of the process that ran it."""

    def __init__(self, leaders: list[int], interval: float = 0.02):  # a floor task now lives 0.1 s
        self.leaders, self.interval = leaders, interval
        self.peaks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> TaskMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            for process in self._descendants():
                try:
                    title = " ".join(process.cmdline())
                except psutil.Error:
                    continue
                if title.startswith(TITLE) and (mb := high_water_mb(process.pid)) is not None:
                    ti = title.removeprefix(TITLE).strip()
                    self.peaks[ti] = max(self.peaks.get(ti, 0.0), mb)

    def _descendants(self) -> list[psutil.Process]:
        found = []
        for pid in self.leaders:
            try:
                found += psutil.Process(pid).children(recursive=True)
            except psutil.Error:
                pass
        return found
