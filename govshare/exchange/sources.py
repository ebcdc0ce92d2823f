"""Providers' front-end databases: PostgreSQL and MySQL/MariaDB, read in one consistent,
read-only snapshot, with timeouts so that a locked or runaway query fails the run instead of
hanging it.

The SQL is composed once with psycopg's ``sql`` module for both dialects: MySQL sessions run
with ``ANSI_QUOTES`` so double-quoted identifiers mean the same there, and both drivers take
``%s`` placeholders with the values bound by the driver.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import IsolationLevel, sql

from govshare.catalog.types import normalise_mysql
from govshare.errors import DatabaseUnreachable
from govshare.exchange.address import DatabaseAddress
from govshare.exchange.connect import connect

# A statement psycopg runs: plain SQL, or SQL composed with identifiers.
Query = sql.SQL | sql.Composed


class PostgresSource:
    dialect = "postgresql"

    def __init__(self, conn: psycopg.Connection):
        self.conn = conn

    def columns(self, schema: str, table: str) -> dict[str, str] | None:
        rows = self.conn.execute(
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

    def hold(self, schema: str, table: str) -> None:
        """Keep the table from being altered or dropped until this snapshot ends. Taken before
        the shape is checked; a missing table is left for that check to report."""
        relation = sql.Identifier(schema, table)
        found = self.conn.execute(
            "SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", (relation.as_string(self.conn),)
        ).fetchone()
        if found:
            self.conn.execute(sql.SQL("LOCK TABLE {} IN ACCESS SHARE MODE").format(relation))
            self.rows_carry_writers = found[0] in ("r", "p", "m")  # a view's rows have no xmin

    rows_carry_writers = False

    def snapshot(self) -> str | None:
        """This read's snapshot (which transactions it sees), for the next extract."""
        return str(self.scalar(sql.SQL("SELECT txid_current_snapshot()::text"), []))

    def written_since(self, snapshot: str) -> tuple[sql.Composable, list[Any]] | None:
        """A condition on the table's rows: written by a transaction that ``snapshot`` did not
        see (in flight then, or begun after). Rows carry their writer's 32-bit id (xmin); the
        snapshot's ids are 64-bit, of which the low 32 bits are that id."""
        if not self.rows_carry_writers:
            return None
        xmin, xmax, in_flight = snapshot.split(":")
        low = [str(int(x) % 2**32) for x in in_flight.split(",") if x]
        condition = sql.SQL("(xmin = ANY(%s::text[]::xid[]) OR age(xmin) <= age(%s::text::xid))")
        return condition, [low, str(int(xmax) % 2**32)]

    def scalar(self, query: Query, params: list[Any]) -> Any:
        found = self.conn.execute(query, params).fetchone()
        return found[0] if found else None

    @contextmanager
    def binary_copy(self, query: sql.Composable, params: list[Any]) -> Iterator[psycopg.Copy]:
        """COPY of ``query`` in PostgreSQL's binary format. (COPY takes no server-side
        parameters: psycopg merges them into the statement client-side, quoted as literals.)"""
        statement = sql.SQL("COPY ({}) TO STDOUT (FORMAT BINARY)").format(query)
        with self.conn.cursor() as cur, cur.copy(statement, params) as copy:
            yield copy

    def rows(self, query: sql.Composable, params: list[Any], pg_types: list[str]) -> Iterator[tuple[Any, ...]]:
        with self.binary_copy(query, params) as copy:
            copy.set_types(pg_types)
            yield from copy.rows()


class MySQLSource:
    dialect = "mysql"

    def __init__(self, conn: Any):  # a pymysql connection (pymysql has no type hints)
        self.conn = conn

    def columns(self, schema: str, table: str) -> dict[str, str] | None:
        with self.conn.cursor() as cur:
            cur.execute(
                "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS "
                "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION",
                (schema, table),
            )
            rows = cur.fetchall()
        return {name: normalise_mysql(type_) for name, type_ in rows} if rows else None

    def hold(self, schema: str, table: str) -> None:
        """Take the table's metadata lock for the rest of the transaction: an ALTER TABLE
        waits until the extract ends (and one that came before is seen by the next query). A
        missing table is left for the shape check to report."""
        import pymysql

        with self.conn.cursor() as cur:
            try:
                cur.execute(sql.SQL("SELECT 1 FROM {} LIMIT 0").format(sql.Identifier(schema, table)).as_string())
            except pymysql.err.ProgrammingError:
                pass

    def snapshot(self) -> None:
        return None  # InnoDB rows do not say which transaction wrote them

    def written_since(self, snapshot: str) -> None:
        return None

    def scalar(self, query: Query, params: list[Any]) -> Any:
        with self.conn.cursor() as cur:
            cur.execute(query.as_string(), params)
            return cur.fetchone()[0]

    def rows(self, query: sql.Composable, params: list[Any], pg_types: list[str]) -> Iterator[tuple[Any, ...]]:
        import pymysql.cursors

        adapt = [_MYSQL_TO_PG.get(t) for t in pg_types]
        with self.conn.cursor(pymysql.cursors.SSCursor) as cur:  # unbuffered: rows stream, memory stays flat
            cur.execute(query.as_string(), params)
            while batch := cur.fetchmany(10_000):
                for row in batch:
                    yield tuple(f(v) if f and v is not None else v for f, v in zip(adapt, row, strict=True))


# MySQL hands booleans back as 0/1 and TIMESTAMP values as naive UTC (the session's zone).
_MYSQL_TO_PG = {"bool": bool, "timestamptz": lambda v: v.replace(tzinfo=UTC) if isinstance(v, datetime) else v}


Source = PostgresSource | MySQLSource


@contextmanager
def open_source(address: DatabaseAddress, conn_id: str) -> Iterator[Source]:
    """The provider's database in a consistent, read-only snapshot for the whole extract."""
    if address.dialect == "mysql":
        conn = _mysql(address, conn_id)
        try:
            with conn.cursor() as cur:
                cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
            yield MySQLSource(conn)
        finally:
            conn.close()
        return
    options = f"-c statement_timeout={address.statement_timeout * 1000} -c lock_timeout={address.lock_timeout * 1000}"
    with connect(address, "provider", conn_id, options=options) as conn:
        conn.isolation_level = IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        yield PostgresSource(conn)


def _mysql(address: DatabaseAddress, conn_id: str) -> Any:
    import pymysql

    flavour_timeouts = (
        # MariaDB and MySQL name the statement time limit differently; setting the other's fails.
        f"SET SESSION lock_wait_timeout = {address.lock_timeout}, innodb_lock_wait_timeout = {address.lock_timeout}"
    )
    try:
        conn = pymysql.connect(
            host=address.host,
            port=address.port,
            user=address.user,
            password=address.password or "",
            database=address.dbname or None,
            charset="utf8mb4",
            connect_timeout=10,
            init_command="SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES'), time_zone = '+00:00'",
        )
    except pymysql.err.OperationalError as exc:
        raise DatabaseUnreachable("provider", conn_id, str(exc.args[-1]) if exc.args else type(exc).__name__) from None
    with conn.cursor() as cur:
        cur.execute(flavour_timeouts)
        cur.execute("SELECT VERSION()")
        mariadb = "mariadb" in cur.fetchone()[0].lower()
        if mariadb:
            cur.execute(f"SET SESSION max_statement_time = {address.statement_timeout}")
        else:
            cur.execute(f"SET SESSION max_execution_time = {address.statement_timeout * 1000}")
    return conn
