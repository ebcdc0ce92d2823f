"""Before anything moves: both databases answer, and the provider's table fits the catalogue."""

from __future__ import annotations

from govshare.errors import SchemaDrift
from govshare.exchange import schema, staging
from govshare.exchange.address import DatabaseAddress
from govshare.exchange.connect import connect
from govshare.exchange.failures import reported
from govshare.exchange.plan import DeliveryPlan
from govshare.exchange.sources import open_source


def preflight(plan: DeliveryPlan, source: DatabaseAddress, subscriber: DatabaseAddress) -> None:
    """Raise DatabaseUnreachable or SchemaDrift; on success the staging area exists."""
    with reported("preflight"):
        with open_source(source, plan.source_conn_id) as src:
            actual = src.columns(plan.source_schema, plan.source_table)
        drifts = schema.drift(plan.catalogued, actual, plan.source, source.dialect)
        if drifts:
            raise SchemaDrift(plan.source, drifts)
        with connect(subscriber, "subscriber", plan.target_conn_id) as conn:
            staging.prepare(conn)
