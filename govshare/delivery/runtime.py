"""What a delivery needs from whatever runs it, and nothing else.

The delivery service itself knows no Airflow: Airflow's task processes, `govshare delivery
run` and the bench each hand it a ``Runtime`` — where a connection id's database is, the
pseudonym key, how to send the agreement's queued emails, and where metrics go.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import SecretBytes

from govshare.exchange.address import DatabaseAddress
from govshare.registry import models as m


class Metrics(Protocol):
    def delivery(self, delivery: m.Delivery, provider: str, subscriber: str) -> None: ...

    def anomaly(self, kind: str, agreement_code: str) -> None: ...


class NoMetrics:
    """For runs nobody scrapes (the bench, tests)."""

    def delivery(self, delivery: m.Delivery, provider: str, subscriber: str) -> None:
        pass

    def anomaly(self, kind: str, agreement_code: str) -> None:
        pass


def _no_mail(agreement_code: str) -> None:
    """Leave the emails queued: the platform_notifications DAG sends them."""


@dataclass(frozen=True)
class Runtime:
    address: Callable[[str], DatabaseAddress]  # connection id -> database address (credentials included)
    pseudonym_key: Callable[[], SecretBytes]  # read only by runs that pseudonymise
    send_mail: Callable[[str], None] = _no_mail  # sends one agreement's queued emails now
    metrics: Metrics = field(default_factory=NoMetrics)
