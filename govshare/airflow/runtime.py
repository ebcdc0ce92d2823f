"""The delivery service's runtimes on Airflow: connections and the pseudonym key from Airflow's
connections, emails through its SMTP connection, metrics through its StatsD/OTel — inside a
task (``IN_A_TASK``), or from a command outside any task (``OUTSIDE_A_TASK``)."""

from __future__ import annotations

import logging
from functools import partial

from govshare.airflow import connections, metrics
from govshare.delivery.runtime import Runtime

log = logging.getLogger("govshare.delivery")


def send_mail(agreement_code: str) -> None:
    from govshare.airflow.mail import send_pending  # the SMTP provider: only when mail goes out

    result = send_pending(agreement_code=agreement_code)
    if not result.no_connection:
        log.info("emails: %d sent, %d to retry, %d failed", result.sent, result.retrying, result.failed)


IN_A_TASK = Runtime(
    address=connections.address, pseudonym_key=connections.pseudonym_key, send_mail=send_mail, metrics=metrics
)
OUTSIDE_A_TASK = Runtime(
    address=partial(connections.address, lookup=connections.outside_a_task),
    pseudonym_key=partial(connections.pseudonym_key, lookup=connections.outside_a_task),
    send_mail=send_mail,
    metrics=metrics,
)
