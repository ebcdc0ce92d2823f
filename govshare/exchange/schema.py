"""The schema contract: the provider's table must still look the way the catalogue says."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg

from govshare.errors import Drift
from govshare.exchange.plan import Column


def actual_columns(conn: psycopg.Connection, schema: str, table: str) -> dict[str, str] | None:
    """Column name -> type as ``format_type()`` spells it, in table order; None if no such table."""
    rows = conn.execute(
        """
        SELECT a.attname, format_type(a.atttypid, a.atttypmod)
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
        """,
        (schema, table),
    ).fetchall()
    return {name: type_ for name, type_ in rows} if rows else None


def drift(catalogued: Sequence[Column], actual: dict[str, str] | None, table: str) -> list[Drift]:
    """Every difference between the catalogued items and the table, most telling first."""
    if actual is None:
        return [Drift(table, "table_missing")]
    expected = {c.name: c.type.postgres() for c in catalogued}
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
