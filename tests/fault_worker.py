"""A delivery step run as its own process, so a test can kill it with SIGKILL mid-way, the way
a Celery worker dies. Usage: python -m tests.fault_worker STEP RUN_ID SOURCE_URL SUBSCRIBER_URL"""

from __future__ import annotations

import sys

from govshare.exchange.address import DatabaseAddress
from govshare.exchange.publish import publish
from govshare.exchange.stage import stage
from tests.integration.test_exchange import make_plan


def main(step: str, run_id: str, source_url: str, subscriber_url: str) -> None:
    plan = make_plan()
    source, subscriber = DatabaseAddress.from_url(source_url), DatabaseAddress.from_url(subscriber_url)
    print("started", flush=True)
    if step == "stage":
        stage(plan, source, subscriber, run_id)
    else:
        publish(plan, subscriber, run_id)
    print("finished", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:5])
