"""The delivery service's runtime inside Airflow: connections and the pseudonym key from
Airflow's connections, emails through its SMTP connection, metrics through its StatsD/OTel."""

from __future__ import annotations

import logging

from govshare.airflow import metrics
from govshare.airflow.connections import address, pseudonym_key
from govshare.delivery.runtime import Runtime

log = logging.getLogger("govshare.delivery")


def send_mail(agreement_code: str) -> None:
    from govshare.airflow.mail import send_pending  # the SMTP provider: only when mail goes out

    result = send_pending(agreement_code=agreement_code)
    if not result.no_connection:
        log.info("emails: %d sent, %d to retry, %d failed", result.sent, result.retrying, result.failed)


AIRFLOW = Runtime(address=address, pseudonym_key=pseudonym_key, send_mail=send_mail, metrics=metrics)
