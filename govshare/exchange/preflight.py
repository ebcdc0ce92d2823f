"""Before anything moves: both databases answer, and the provider's table fits the catalogue."""

from __future__ import annotations

from govshare.exchange import schema, staging
from govshare.exchange.address import DatabaseAddress
from govshare.exchange.connect import connect
from govshare.exchange.failures import reported
from govshare.exchange.plan import DeliveryPlan
from govshare.exchange.sources import open_source


def preflight(plan: DeliveryPlan, source: DatabaseAddress, subscriber: DatabaseAddress) -> None:
    """Raise DatabaseUnreachable, SchemaDrift, or ExchangeFailed for a target table the
    platform did not make; on success the staging area exists."""
    with reported("preflight"):
        with open_source(source, plan.source_conn_id) as src:
            schema.require_fit(plan, src)
        with connect(subscriber, "subscriber", plan.target_conn_id) as conn:
            staging.prepare(conn)
            staging.refuse_foreign(conn, plan, "preflight")
