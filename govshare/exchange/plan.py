"""What one agreement's delivery needs to know, and nothing else.

The control plane builds a ``DeliveryPlan`` from the registry; the exchange engine only ever
sees the plan and two database addresses. That keeps the engine free of the registry and of
Airflow, and makes the plan the single statement of what is authorised to move.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from govshare.catalog.types import CatalogType
from govshare.exchange.filters import Condition
from govshare.exchange.masking import Mask

STAGING_SCHEMA = "govshare_staging"
# The open corrections of a delivered table sit beside it under this suffix (publish writes them).
CORRECTIONS_SUFFIX = "__corrections"


def staging_table_name(agreement_code: str, run_id: str) -> str:
    """A staging table name unique to an agreement and run, within PostgreSQL's 63 bytes."""
    slug = re.sub(r"[^a-z0-9]+", "_", agreement_code.lower()).strip("_")[:32]
    digest = hashlib.sha256(run_id.encode()).hexdigest()[:12]
    return f"stage_{slug}_{digest}"


MODES = ("snapshot", "incremental")
DELETIONS = ("none", "key_diff")
WATERMARK_TYPES = ("timestamp", "timestamptz", "date", "smallint", "integer", "bigint")


@dataclass(frozen=True)
class Column:
    name: str
    type: CatalogType
    nullable: bool
    personal: str = "none"
    mask: Mask = Mask("none")

    @property
    def delivered_type(self) -> CatalogType:
        """The type in the subscriber's tables (a pseudonym is text whatever it replaced)."""
        return self.mask.output_type(self.type)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": str(self.type),
            "nullable": self.nullable,
            "personal": self.personal,
            "mask": str(self.mask),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Column:
        return cls(
            data["name"], CatalogType.parse(data["type"]), data["nullable"], data["personal"], Mask.parse(data["mask"])
        )


@dataclass(frozen=True)
class DeliveryPlan:
    """An agreement turned into a delivery.

    columns: the authorised items, in catalogue order, with their masks — the only columns
        ever selected.
    catalogued: every item of the resource, to detect drift in the provider's table.
    key: the resource's primary key (always among ``columns``).
    mode: ``snapshot`` (the target is replaced by a fresh copy) or ``incremental`` (rows
        changed since the last published watermark are merged by key).
    watermark: for incremental, the item whose value only grows when a row changes.
    overlap: how far before the last watermark the next extract starts, so rows committed
        late are not missed (seconds for timestamps, days for dates, units for integers).
    deletions: ``key_diff`` also removes target rows whose key the provider no longer has.
    empty_source_ok: an empty extract may empty the target (otherwise it fails the run).
    row_filter: the rows the agreement grants (all conditions must hold).
    corrections: open corrections of delivered values — (record key, correction code, item,
        status) — which publish writes beside the target so the subscriber sees them.
    update_column: the resource's item recording when a row last changed, for freshness.
    target_adopted: an operator let this agreement take over an existing table the platform
        did not create (otherwise such a table is refused, never replaced or merged into).
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
    watermark: str | None = None
    overlap: int = 0
    deletions: str = "none"
    empty_source_ok: bool = False
    row_filter: tuple[Condition, ...] = ()
    corrections: tuple[tuple[dict[str, Any], str, str, str], ...] = ()
    update_column: str | None = None
    target_adopted: bool = False

    def staging_table(self, run_id: str) -> str:
        return staging_table_name(self.agreement_code, run_id)

    @property
    def pseudonymised(self) -> bool:
        return any(c.mask.kind == "hmac" for c in self.columns)

    @property
    def key_columns(self) -> tuple[Column, ...]:
        """The key items as delivered (a pseudonymised key is delivered as its pseudonym)."""
        delivered = {c.name: c for c in self.columns}
        return tuple(delivered[k] for k in self.key)

    def column(self, name: str) -> Column:
        return next(c for c in self.catalogued if c.name == name)

    @property
    def corrections_table(self) -> str:
        return f"{self.target_table[:50]}{CORRECTIONS_SUFFIX}"

    @property
    def source(self) -> str:
        return f"{self.source_schema}.{self.source_table}"

    @property
    def target(self) -> str:
        return f"{self.target_schema}.{self.target_table}"

    def as_json(self) -> dict[str, Any]:
        """The plan as JSON, kept with the delivery record: every step of a run reads the plan
        its preflight authorised, so a run moves exactly what one reading of the agreement allowed."""
        data = asdict(self)
        data["columns"] = [c.as_json() for c in self.columns]
        data["catalogued"] = [c.as_json() for c in self.catalogued]
        data["row_filter"] = [c.as_json() for c in self.row_filter]
        data["corrections"] = [list(c) for c in self.corrections]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DeliveryPlan:
        known = {f.name for f in fields(cls)}
        plan = cls(**{k: v for k, v in data.items() if k in known})
        return replace(
            plan,
            columns=tuple(Column.from_json(c) for c in data["columns"]),
            catalogued=tuple(Column.from_json(c) for c in data["catalogued"]),
            key=tuple(data["key"]),
            row_filter=tuple(Condition.parse(c) for c in data["row_filter"]),
            corrections=tuple((c[0], c[1], c[2], c[3]) for c in data["corrections"]),
        )
