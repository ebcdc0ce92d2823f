"""What one agreement's delivery needs to know, and nothing else.

The control plane builds a ``DeliveryPlan`` from the registry; the exchange engine only ever
sees the plan and two database addresses. That keeps the engine free of the registry and of
Airflow, and makes the plan the single statement of what is authorised to move.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from govshare.catalog.types import CatalogType

STAGING_SCHEMA = "govshare_staging"


def staging_table_name(agreement_code: str, run_id: str) -> str:
    """A staging table name unique to an agreement and run, within PostgreSQL's 63 bytes."""
    slug = re.sub(r"[^a-z0-9]+", "_", agreement_code.lower()).strip("_")[:32]
    digest = hashlib.sha256(run_id.encode()).hexdigest()[:12]
    return f"stage_{slug}_{digest}"


@dataclass(frozen=True)
class Column:
    name: str
    type: CatalogType
    nullable: bool
    personal: str = "none"


@dataclass(frozen=True)
class DeliveryPlan:
    """An agreement turned into a delivery.

    columns: the authorised items, in catalogue order — the only columns ever selected.
    catalogued: every item of the resource, to detect drift in the provider's table.
    key: the resource's primary key (always among ``columns``).
    """

    agreement_code: str
    resource_code: str
    provider_code: str
    subscriber_code: str
    source_conn_id: str
    source_schema: str
    source_table: str
    columns: tuple[Column, ...]
    catalogued: tuple[Column, ...]
    key: tuple[str, ...]
    target_conn_id: str
    target_schema: str
    target_table: str
    mode: str = "snapshot"

    def staging_table(self, run_id: str) -> str:
        return staging_table_name(self.agreement_code, run_id)

    @property
    def source(self) -> str:
        return f"{self.source_schema}.{self.source_table}"

    @property
    def target(self) -> str:
        return f"{self.target_schema}.{self.target_table}"
