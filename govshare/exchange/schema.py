"""The schema contract: the provider's table must still look the way the catalogue says."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from govshare.errors import Drift, SchemaDrift
from govshare.exchange.plan import Column, DeliveryPlan

if TYPE_CHECKING:
    from govshare.exchange.sources import Source


def drift(
    catalogued: Sequence[Column], actual: dict[str, str] | None, table: str, dialect: str = "postgresql"
) -> list[Drift]:
    """Every difference between the catalogued items and the table (its columns as the
    dialect spells their types), most telling first."""
    if actual is None:
        return [Drift(table, "table_missing")]
    expected = {c.name: c.type.spelled(dialect) for c in catalogued}
    missing = [name for name in expected if name not in actual]
    added = [name for name in actual if name not in expected]
    drifts = [
        Drift(name, "retyped", expected[name], actual[name])
        for name in expected
        if name in actual and actual[name] != expected[name]
    ]
    # One column gone and one of the same type appeared: almost certainly a rename.
    if len(missing) == 1 and len(added) == 1 and expected[missing[0]] == actual[added[0]]:
        return [Drift(missing[0], "renamed", expected[missing[0]], added[0]), *drifts]
    drifts += [Drift(name, "missing", catalogued=expected[name]) for name in missing]
    drifts += [Drift(name, "added", actual=actual[name]) for name in added]
    return drifts


def require_fit(plan: DeliveryPlan, src: Source) -> None:
    """SchemaDrift unless the provider's table, as ``src`` (an open source) sees it now, fits
    the catalogue."""
    drifts = drift(plan.catalogued, src.columns(plan.source_schema, plan.source_table), plan.source, src.dialect)
    if drifts:
        raise SchemaDrift(plan.source, drifts)
