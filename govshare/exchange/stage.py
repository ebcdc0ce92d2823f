"""Streaming the authorised rows and columns from the provider's front DB into a staging table.

What is read: the agreement's items only, masked in the provider's own query where the mask
allows (``masking``), the rows its filter grants (``filters``), and for an incremental
agreement only those at or after the last published watermark minus the overlap. All of it in
one read-only snapshot of the provider, so the rows, the new watermark and (for key-diff
deletions) the provider's key count and, when that shows a deletion, its keys agree with each
other.

How it moves: PostgreSQL to PostgreSQL, binary COPY end to end — blocks go from one socket to
the other without being decoded. When the platform itself must touch values (pseudonyms) or
the provider is MySQL, rows stream one by one through Python into a binary COPY. Memory stays
flat either way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

import psycopg
from psycopg import sql
from psycopg.abc import Buffer
from pydantic import SecretBytes

from govshare.catalog.types import CatalogType
from govshare.errors import ConfigurationError
from govshare.exchange import filters, masking, schema, staging
from govshare.exchange.address import DatabaseAddress
from govshare.exchange.connect import connect, scalar
from govshare.exchange.failures import reported
from govshare.exchange.plan import Column, DeliveryPlan
from govshare.exchange.sources import PostgresSource, Source, open_source

Connection = psycopg.Connection[Any]

_PG_TYPE = {
    "text": "text",
    "varchar": "varchar",
    "char": "bpchar",
    "smallint": "int2",
    "integer": "int4",
    "bigint": "int8",
    "double": "float8",
    "boolean": "bool",
    "date": "date",
    "timestamp": "timestamp",
    "timestamptz": "timestamptz",
    "numeric": "numeric",
}


@dataclass(frozen=True)
class StageResult:
    table: str
    rows: int
    bytes: int  # size of the staged rows in the subscriber's database
    seconds: float
    watermark_from: str | None = None  # incremental: the extract started here (overlap included)
    watermark_to: str | None = None  # and reached this
    keys: int | None = None  # incremental: how many keys the provider has
    keys_listed: bool = False  # whether they had to be shipped (the counts showed a deletion or a gap)
    late_rows: int = 0  # incremental: rows found missing behind the watermark (all granted rows were then read)
    newest: date | datetime | None = None  # the newest value of the resource's update column among the granted rows


def stage(
    plan: DeliveryPlan,
    source: DatabaseAddress,
    subscriber: DatabaseAddress,
    run_id: str,
    pseudonym_key: SecretBytes | None = None,
) -> StageResult:
    started = time.monotonic()
    _require_key(plan, pseudonym_key)
    name = plan.staging_table(run_id)
    target = staging.table(name)
    with (
        reported("stage"),
        connect(subscriber, "subscriber", plan.target_conn_id) as dst,
        open_source(source, plan.source_conn_id) as src,
    ):
        # The table cannot change under the read from here on (held until the read ends), and
        # its shape is checked again here: preflight ran in another transaction, perhaps long ago
        # (a retry of this task alone), and a column retyped since would be read as the old type.
        src.hold(plan.source_schema, plan.source_table)
        schema.require_fit(plan, src)
        staging.prepare(dst)
        staging.refuse_foreign(dst, plan, "stage")
        order = staging.next_order(dst)  # taken once the provider's snapshot is: runs are numbered as they read
        last = staging.last_published(dst, plan.agreement_code)
        start = _lower_bound(plan, last.value)
        granted, granted_params = filters.where(plan.row_filter)
        delta, delta_params = _delta(plan, src, start, last, granted, granted_params)
        reached = _max_of(src, plan, _watermark(plan), delta, delta_params) if plan.mode == "incremental" else None
        _create_staging(dst, plan, name, target)
        rows = _load(plan, plan.columns, src, dst, target, delta, delta_params, pseudonym_key)
        keys, listed, late = None, False, 0
        expected = _keys_after_merge(dst, plan, name, last.keys) if plan.mode == "incremental" else None
        if expected is not None:  # else the first delivery is swapped in whole
            keys = _count(src, plan, granted, granted_params)
            if keys != expected:  # keys were deleted, or rows arrived behind the watermark: find out which
                _load_keys(plan, src, dst, name, granted, granted_params, pseudonym_key)
                listed = True
                late = _missing(dst, plan, name)
            if late:
                rows, reached = _reread(plan, src, dst, target, granted, granted_params, pseudonym_key)
        newest = _newest(plan, src, start, reached, granted, granted_params)
        mark = _text(reached) if reached is not None else last.value
        held = staging.Staged(rows, mark, keys, listed, order, src.snapshot() if plan.mode == "incremental" else None)
        staging.record_staged(dst, name, plan.agreement_code, run_id, held)
        _analyze(dst, target)
        size = int(scalar(dst, "SELECT pg_table_size(%s::regclass)", (target.as_string(dst),)))
        dst.commit()
    return StageResult(
        name,
        rows,
        size,
        time.monotonic() - started,
        watermark_from=_text(start) if start is not None else None,
        watermark_to=mark,
        keys=keys,
        keys_listed=listed,
        late_rows=late,
        newest=newest,
    )


def _require_key(plan: DeliveryPlan, pseudonym_key: SecretBytes | None) -> None:
    if plan.pseudonymised and not pseudonym_key:
        raise ConfigurationError(
            f"agreement {plan.agreement_code} pseudonymises items but no pseudonym key is configured",
            "define the Airflow connection 'govshare_pseudonym_key' with the key as its password",
        )


def _delta(
    plan: DeliveryPlan,
    src: Source,
    start: Any,
    last: staging.LastPublished,
    granted: list[sql.Composable],
    params: list[Any],
) -> tuple[list[sql.Composable], list[Any]]:
    """The conditions of this run's extract: the granted rows and, for an incremental run after
    the first, only those changed since the last one."""
    delta, delta_params = list(granted), list(params)
    if plan.mode == "incremental" and last.value is not None:
        changed, changed_params = _changed_since(plan, src, start, last.snapshot)
        delta.append(changed)
        delta_params += changed_params
    return delta, delta_params


def _create_staging(dst: Connection, plan: DeliveryPlan, name: str, target: sql.Identifier) -> None:
    staging.drop(dst, name)  # a retry starts clean
    # No autovacuum while the run holds the table: it would vacuum and analyze the fresh rows
    # in the middle of the check, on the same cores (publish turns it back on for a table it
    # swaps in). An incremental target is later updated in place: leave room on each page so
    # the updates stay on it (HOT) and the key index is not touched.
    options = "autovacuum_enabled = false" + (", fillfactor = 90" if plan.mode == "incremental" else "")
    dst.execute(
        sql.SQL("CREATE TABLE {} ({}) WITH ({})").format(target, staging.definition(plan.columns), sql.SQL(options))
    )


ROUGH_STATISTICS = 10  # the staged table's statistics target: 3,000 sampled rows instead of 30,000


def _analyze(dst: Connection, target: sql.Identifier) -> None:
    """Rough statistics of the staged rows, for the plans of the check, the merge and the
    subscriber's first queries of a swapped-in table: 0.03 s at 2,000,000 rows where the full
    sample takes 0.35-0.4 s. Autovacuum still analyzes a swapped-in table in full, off the
    delivery's time: the rows loaded in this transaction count as changed only at its commit,
    after the ANALYZE, so they remain to be analyzed."""
    dst.execute(sql.SQL("SET LOCAL default_statistics_target = {}").format(sql.Literal(ROUGH_STATISTICS)))
    dst.execute(sql.SQL("ANALYZE {}").format(target))


def _reread(
    plan: DeliveryPlan,
    src: Source,
    dst: Connection,
    target: sql.Identifier,
    granted: list[sql.Composable],
    params: list[Any],
    pseudonym_key: SecretBytes | None,
) -> tuple[int, Any]:
    """Rows the subscriber lacks although they are older than the watermark (a late commit, or
    a row stamped in the past): read everything granted, so none is lost. (rows, watermark)"""
    dst.execute(sql.SQL("TRUNCATE {}").format(target))
    rows = _load(plan, plan.columns, src, dst, target, granted, params, pseudonym_key)
    return rows, _max_of(src, plan, _watermark(plan), granted, params)


def _newest(
    plan: DeliveryPlan, src: Source, start: Any, reached: Any, granted: list[sql.Composable], params: list[Any]
) -> Any:
    """The newest value of the resource's update column among the granted rows (for freshness)."""
    if not plan.update_column:
        return None
    # Usually the watermark is the update column: then the extract's newest row, when it is
    # past the lower bound, is the newest granted row.
    same = plan.update_column == plan.watermark and reached is not None and (start is None or reached >= start)
    return reached if same else _max_of(src, plan, plan.update_column, granted, params)


def _watermark(plan: DeliveryPlan) -> str:
    """An incremental plan's watermark item (the agreement's terms require one)."""
    return cast(str, plan.watermark)


def _from_source(plan: DeliveryPlan, select: sql.Composable, where: list[sql.Composable]) -> sql.Composed:
    """``SELECT <select> FROM`` the provider's table, under the conditions ``where``."""
    query = sql.SQL("SELECT {} FROM {}").format(select, sql.Identifier(plan.source_schema, plan.source_table))
    return query + sql.SQL(" WHERE ") + sql.SQL(" AND ").join(where) if where else query


def _select(
    plan: DeliveryPlan, columns: tuple[Column, ...], dialect: str, where: list[sql.Composable]
) -> sql.Composable:
    exprs: list[sql.Composable] = []
    for column in columns:
        ident = sql.Identifier(column.name)
        if column.mask.in_sql:
            # Cast back to the catalogue type so the binary COPY can pass the value straight through.
            masked = masking.sql_expression(ident, column.mask, dialect)
            exprs.append(
                masked
                if dialect == "mysql"
                else sql.SQL("CAST({} AS {})").format(masked, sql.SQL(column.type.postgres()))
            )
        else:
            exprs.append(ident)
    return _from_source(plan, sql.SQL(", ").join(exprs), where)


def _load(
    plan: DeliveryPlan,
    columns: tuple[Column, ...],
    src: Source,
    dst: Connection,
    target: sql.Identifier,
    where: list[sql.Composable],
    params: list[Any],
    pseudonym_key: SecretBytes | None,
) -> int:
    """Stream ``columns`` of the granted rows, masked, into the staging table ``target``."""
    names = sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
    load = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(target, names)
    query = _select(plan, columns, src.dialect, where)
    transform = _pseudonymiser(plan, columns, pseudonym_key)
    with dst.cursor() as cur:
        with cur.copy(load) as into:
            if isinstance(src, PostgresSource) and transform is None:
                with src.binary_copy(query, params) as out:
                    _relay(out, into)
            else:
                into.set_types([_pg_type(c.delivered_type, writing=True) for c in columns])
                for row in src.rows(query, params, [_pg_type(c.type) for c in columns]):
                    into.write_row(transform(row) if transform else row)
        return int(cur.rowcount)


RELAY_BYTES = 32 * 1024


def _relay(out: Iterable[Buffer], into: psycopg.Copy) -> None:
    """Pass COPY data from provider to subscriber in ~32 KB writes. libpq hands over one row
    per read, and writing each on its own costs a trip through psycopg per row; much larger
    writes are slower again (psycopg slices them, and libpq copes badly with big buffers).
    32 KB is psycopg's own COPY buffer size. Relaying 10 M keys: 1 MB writes 13-17 s, 32 KB 9 s."""
    pending: list[Buffer] = []
    size = 0
    for block in out:
        pending.append(block)
        size += len(block)
        if size >= RELAY_BYTES:
            into.write(b"".join(pending))
            pending.clear()
            size = 0
    if pending:
        into.write(b"".join(pending))


def _load_keys(
    plan: DeliveryPlan,
    src: Source,
    dst: Connection,
    name: str,
    where: list[sql.Composable],
    params: list[Any],
    pseudonym_key: SecretBytes | None,
) -> None:
    """Every key the provider holds under the agreement's filter, for key-diff deletions —
    masked as the delivered keys are, so that they compare with the target's (and a
    pseudonymised key never reaches the subscriber raw)."""
    keys = plan.key_columns
    target = staging.table(staging.keys_table(name))
    dst.execute(sql.SQL("CREATE TABLE {} ({})").format(target, staging.definition(keys)))
    _load(plan, keys, src, dst, target, where, params, pseudonym_key)
    names = sql.SQL(", ").join(sql.Identifier(k.name) for k in keys)
    dst.execute(sql.SQL("CREATE INDEX ON {} ({})").format(target, names))


def _pseudonymiser(
    plan: DeliveryPlan, columns: tuple[Column, ...], master_key: SecretBytes | None
) -> Callable[[tuple[Any, ...]], tuple[Any, ...]] | None:
    positions = [i for i, c in enumerate(columns) if c.mask.kind == "hmac"]
    if not positions or master_key is None:  # stage() refused a pseudonymising plan without a key
        return None
    key = masking.subscriber_key(master_key, plan.subscriber_code)

    def transform(row: tuple[Any, ...]) -> tuple[Any, ...]:
        values = list(row)
        for i in positions:
            values[i] = masking.pseudonym(key, values[i])
        return tuple(values)

    return transform


def _count(src: Source, plan: DeliveryPlan, where: list[sql.Composable], params: list[Any]) -> int:
    return int(src.scalar(_from_source(plan, sql.SQL("count(*)"), where), params))


def _keys_after_merge(dst: Connection, plan: DeliveryPlan, name: str, delivered: int | None) -> int | None:
    """How many keys the provider has now if it deleted nothing: as many as at the last publish
    (``delivered``, as recorded then; the target is counted when that is unknown) plus the
    staged keys the target lacks. The count, the extract and the provider's key count come from
    one snapshot of the provider, so if it now has exactly this many keys none was deleted and
    they need not be shipped. None when there is no target yet.

    The provider's count is recorded, not the target's: were the target ever short of a row (one
    written behind the watermark), the target's count would let a later deletion of the same
    number of rows go unseen; with the provider's, a deletion always shows."""
    target = sql.Identifier(plan.target_schema, plan.target_table)
    if not staging.exists(dst, target):
        return None
    if delivered is None:
        delivered = int(scalar(dst, sql.SQL("SELECT count(*) FROM {}").format(target)))
    match = sql.SQL(" AND ").join(sql.SQL("t.{0} = s.{0}").format(sql.Identifier(k)) for k in plan.key)
    fresh = scalar(
        dst,
        sql.SQL("SELECT count(*) FROM {s} s WHERE NOT EXISTS (SELECT 1 FROM {t} t WHERE {m})").format(
            t=target, s=staging.table(name), m=match
        ),
    )
    return delivered + int(fresh)


def _changed_since(
    plan: DeliveryPlan, src: Source, start: Any, snapshot: str | None
) -> tuple[sql.Composable, list[Any]]:
    """What an incremental extract reads: rows at or after the watermark's lower bound and,
    where the provider can tell (a PostgreSQL table), every row written by a transaction the
    last extract could not see — whatever its watermark says (a transaction held open longer
    than the overlap stamps its rows with its start)."""
    since = src.written_since(snapshot) if snapshot else None
    at: tuple[sql.Composable, list[Any]] = (sql.SQL("{} >= %s").format(sql.Identifier(_watermark(plan))), [start])
    if since is None:
        return at
    return sql.SQL("({} OR {})").format(at[0], since[0]), at[1] + since[1]


def _missing(dst: Connection, plan: DeliveryPlan, name: str) -> int:
    """How many of the provider's keys neither the target nor this extract has."""
    target = sql.Identifier(plan.target_schema, plan.target_table)

    def lacks(other: sql.Composable) -> sql.Composable:
        match = sql.SQL(" AND ").join(sql.SQL("o.{0} = k.{0}").format(sql.Identifier(k)) for k in plan.key)
        return sql.SQL("NOT EXISTS (SELECT 1 FROM {} o WHERE {})").format(other, match)

    query = sql.SQL("SELECT count(*) FROM {} k WHERE {} AND {}").format(
        staging.table(staging.keys_table(name)), lacks(target), lacks(staging.table(name))
    )
    return int(scalar(dst, query))


def _max_of(src: Source, plan: DeliveryPlan, column: str, where: list[sql.Composable], params: list[Any]) -> Any:
    return src.scalar(_from_source(plan, sql.SQL("MAX({})").format(sql.Identifier(column)), where), params)


def _lower_bound(plan: DeliveryPlan, last: str | None) -> date | datetime | int | None:
    """Where an incremental extract starts: the last published watermark minus the overlap."""
    if plan.mode != "incremental" or last is None:
        return None
    kind = plan.column(_watermark(plan)).type.name
    if kind in ("timestamp", "timestamptz"):
        return datetime.fromisoformat(last) - timedelta(seconds=plan.overlap)
    if kind == "date":
        return date.fromisoformat(last) - timedelta(days=plan.overlap)
    return int(last) - plan.overlap


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, (date, datetime)) else str(value)


def _pg_type(type_: CatalogType, writing: bool = False) -> str:
    # psycopg has no binary dumpers for char/varchar; their binary form is text's, so send text.
    if writing and type_.name in ("char", "varchar"):
        return "text"
    return _PG_TYPE[type_.name]
