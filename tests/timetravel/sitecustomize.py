"""Moves this Python process's clock by GOVSHARE_CLOCK_SHIFT seconds, from its first line on.

The suite on another date (GOVSHARE_TEST_DATE, see tests/conftest.py) puts this folder on
PYTHONPATH, so every process the tests start — the `govshare` CLI, Airflow's api-server,
`airflow dags test` — lives on the same moved date as pytest itself: Python's clock (datetime,
time.time; Airflow's with it) is moved by time-machine. The shift is fixed, so processes
started at different moments agree on the time, and the clock keeps ticking. PostgreSQL keeps
the real time, which govshare never reads.
"""

import os
from datetime import UTC, datetime, timedelta

SHIFT = "GOVSHARE_CLOCK_SHIFT"  # seconds


def travel_by_shift() -> None:
    raw = os.environ.get(SHIFT, "").strip()
    if raw:
        import time_machine

        time_machine.travel(datetime.now(UTC) + timedelta(seconds=float(raw)), tick=True).start()


travel_by_shift()
