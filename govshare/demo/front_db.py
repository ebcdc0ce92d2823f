"""Building a provider's front-end exchange table from its catalogue entry (demo and tests)."""

from __future__ import annotations

from collections.abc import Iterable

import psycopg
from psycopg import sql

from govshare.catalog.model import Resource
from govshare.catalog.types import CatalogType


def create_table(conn: psycopg.Connection, resource: Resource, keyed: bool = True) -> None:
    """(Re)create the table exactly as catalogued; ``keyed=False`` leaves out the primary key,
    as front tables filled by export scripts often do."""
    schema, table = resource.front_db.schema_, resource.front_db.table
    columns = [
        sql.SQL("{} {}{}").format(
            sql.Identifier(i.name),
            sql.SQL(CatalogType.parse(i.type).postgres()),
            sql.SQL("" if i.nullable else " NOT NULL"),
        )
        for i in resource.items
    ]
    if keyed:
        key = sql.SQL(", ").join(map(sql.Identifier, resource.primary_key))
        columns.append(sql.SQL("PRIMARY KEY ({})").format(key))
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(schema, table)))
    conn.execute(sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(schema, table), sql.SQL(", ").join(columns)))


def fill(conn: psycopg.Connection, resource: Resource, rows: Iterable[tuple]) -> None:
    target = sql.Identifier(resource.front_db.schema_, resource.front_db.table)
    columns = sql.SQL(", ").join(sql.Identifier(i.name) for i in resource.items)
    with conn.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(target, columns)) as copy:
        for row in rows:
            copy.write_row(row)
