"""Publishing checked data into the subscriber's table, in ONE transaction.

- ``snapshot``: the staging table is swapped in as the target (key built first, grants carried
  over). Readers see the old delivery or the new one, never a mix.
- ``incremental``: the staged rows are merged by key (inserted, or updated where they differ);
  with key-diff deletions, target rows whose key the provider no longer has are deleted (stage
  ships the provider's keys only when the key counts show a deletion); the new watermark is
  saved. The first delivery of an incremental agreement swaps like a snapshot.

Either way the run is written to the ``publication`` ledger inside the same transaction, so a
retried publish finds itself there and does nothing (and reports what it did), and a publish
killed halfway leaves the target exactly as it was (PostgreSQL rolls the transaction back). A
transaction-level advisory lock on the target keeps two publishes of one table from
interleaving, and a run that read the provider before one already published is refused: it
would put older values over newer ones. An existing table the platform did not make is never
replaced or merged into, unless an operator adopted it for the agreement.

An empty extract never empties a target unless the agreement says an empty source is
legitimate: a provider whose export broke looks exactly like one with no data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from govshare.errors import EmptySource, ExchangeFailed, GovshareError
from govshare.exchange import staging
from govshare.exchange.address import DatabaseAddress
from govshare.exchange.connect import connect
from govshare.exchange.failures import reported
from govshare.exchange.plan import STAGING_SCHEMA, DeliveryPlan

_PRIVILEGES = {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"}


@dataclass(frozen=True)
class PublishResult:
    rows: int  # rows this delivery brought
    merged: int = 0  # incremental: rows inserted or changed
    deleted: int = 0  # key-diff: rows deleted
    already_published: bool = False


def publish(plan: DeliveryPlan, subscriber: DatabaseAddress, run_id: str) -> PublishResult:
    stage_name = plan.staging_table(run_id)
    target = sql.Identifier(plan.target_schema, plan.target_table)
    with reported("publish"), connect(subscriber, "subscriber", plan.target_conn_id) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"govshare.publish:{plan.target}",))
        if (done := staging.published(conn, plan.agreement_code, run_id)) is not None:
            return PublishResult(done.rows, done.merged or 0, done.deleted or 0, already_published=True)
        held = staging.staged(conn, stage_name) if staging.exists(conn, staging.table(stage_name)) else None
        if held is None:
            raise GovshareError(
                f"staging table {STAGING_SCHEMA}.{stage_name} is gone, so there is nothing to publish",
                "clear the run from the stage task on so the data is staged and checked again",
            )
        if newer := staging.newer_publication(conn, plan.agreement_code, held.order):
            raise ExchangeFailed(
                "publish",
                f"run {newer} read the provider after this run and has published already; publishing this run "
                f"would put older values over newer ones in {plan.target}, which was kept as it was",
                "nothing to do: the newer run delivered the data (run this one again from preflight to deliver "
                "the provider's data as it is now)",
                retryable=False,
            )
        rows, merged, deleted = held.rows, held.rows, 0
        keys_now: int | None = held.rows  # the provider's key count
        staging.refuse_foreign(conn, plan, "publish")
        if plan.mode == "snapshot" or not staging.exists(conn, target):
            _refuse_empty(plan, rows, what="the extract")
            _swap(conn, plan, stage_name, target)
        else:
            merged = _merge(conn, plan, stage_name, target)
            keys_now = held.keys
            if held.keys_listed and plan.deletions == "key_diff":  # the keys show a deletion: delete it too
                _refuse_empty(plan, held.keys, what="the key list")
                deleted = _delete_missing(conn, plan, stage_name, target)
        if plan.mode == "incremental" and held.watermark is not None:
            reached = staging.LastPublished(held.watermark, keys_now, held.snapshot)
            staging.record_published(conn, plan.agreement_code, run_id, reached)
        _write_corrections(conn, plan)
        done = staging.Publication(rows, merged, deleted)
        staging.record_publication(conn, plan.agreement_code, run_id, plan.target, done, held.order)
        staging.drop(conn, stage_name)
        conn.execute(sql.SQL("DELETE FROM {} WHERE staging_table = %s").format(staging.table("staged")), (stage_name,))
        conn.commit()
    return PublishResult(rows, merged, deleted)


def _refuse_empty(plan: DeliveryPlan, rows: int | None, what: str) -> None:
    if not rows and not plan.empty_source_ok:
        raise EmptySource(
            f"{what} from {plan.source} returned no rows; the subscriber's table was kept as it was",
            "if the provider's table is really empty, the agreement must allow an empty source",
        )


def _swap(conn: psycopg.Connection, plan: DeliveryPlan, stage_name: str, target: sql.Identifier) -> None:
    stage_table = staging.table(stage_name)
    grants = conn.execute(
        """SELECT grantee, privilege_type FROM information_schema.role_table_grants
           WHERE table_schema = %s AND table_name = %s AND grantee <> current_user""",
        (plan.target_schema, plan.target_table),
    ).fetchall()
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(plan.target_schema)))
    # The check usually built the key index already (it proved the key's uniqueness rule with
    # it); it becomes the primary key while only the staging table is locked, and readers of
    # the target wait just for the renames below.
    if not staging.index_key(conn, stage_name, plan.key):
        raise ExchangeFailed(
            "publish",
            f"the staged rows repeat keys ({', '.join(plan.key)}), so they cannot replace {plan.target}, "
            "which was kept as it was",
            "the check's key rule reports which keys repeat: the provider must correct them",
            retryable=False,
        )
    index = sql.Identifier(staging.key_index(stage_name))
    conn.execute(
        sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY USING INDEX {}").format(stage_table, index, index)
    )
    try:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(target))
    except psycopg.errors.DependentObjectsStillExist as exc:
        # The detail names the views or foreign keys ("view x depends on table y"), never data.
        detail = "; ".join((exc.diag.message_detail or "").splitlines())
        raise ExchangeFailed(
            "publish",
            f"the subscriber's table {plan.target} cannot be replaced, other objects depend on it ({detail}); "
            "it was kept as it was",
            "a snapshot delivery swaps in a new table: drop the dependent objects before a delivery and "
            "recreate them after, or build them on a copy of the table",
            retryable=False,
        ) from None
    conn.execute(sql.SQL("ALTER TABLE {} SET SCHEMA {}").format(stage_table, sql.Identifier(plan.target_schema)))
    conn.execute(
        sql.SQL("ALTER TABLE {} RENAME TO {}").format(
            sql.Identifier(plan.target_schema, stage_name), sql.Identifier(plan.target_table)
        )
    )
    conn.execute(
        sql.SQL("ALTER TABLE {} RENAME CONSTRAINT {} TO {}").format(
            target, sql.Identifier(staging.key_index(stage_name)), sql.Identifier(f"{plan.target_table[:50]}_pkey")
        )
    )
    _settle(conn, plan, target, grants)


def _settle(
    conn: psycopg.Connection, plan: DeliveryPlan, target: sql.Identifier, grants: list[tuple[str, str]]
) -> None:
    """The swapped-in table as the subscriber's: the old table's grants, a comment naming
    where it came from, and autovacuum, which stage kept off the staged table, back on (it
    then vacuums and analyzes the table in full like any other)."""
    conn.execute(sql.SQL("ALTER TABLE {} RESET (autovacuum_enabled)").format(target))
    for grantee, privilege in grants:
        if privilege in _PRIVILEGES:  # the privilege name is SQL syntax: only known words pass
            role = sql.SQL("PUBLIC") if grantee == "PUBLIC" else sql.Identifier(grantee)
            conn.execute(sql.SQL("GRANT {} ON {} TO {}").format(sql.SQL(privilege), target, role))
    conn.execute(
        sql.SQL("COMMENT ON TABLE {} IS {}").format(
            target,
            sql.Literal(
                f"govshare: resource {plan.resource_code} from {plan.provider_code}, agreement {plan.agreement_code}"
            ),
        )
    )


def _merge(conn: psycopg.Connection, plan: DeliveryPlan, stage_name: str, target: sql.Identifier) -> int:
    names = [c.name for c in plan.columns]
    values = [n for n in names if n not in plan.key]
    columns = sql.SQL(", ").join(map(sql.Identifier, names))
    key = sql.SQL(", ").join(map(sql.Identifier, plan.key))
    update: sql.Composable
    if values:
        update = sql.SQL("DO UPDATE SET {} WHERE ({}) IS DISTINCT FROM ({})").format(
            sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(n)) for n in values),
            sql.SQL(", ").join(sql.SQL("{}.{}").format(target, sql.Identifier(n)) for n in values),
            sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(sql.Identifier(n)) for n in values),
        )
    else:
        update = sql.SQL("DO NOTHING")
    cur = conn.execute(
        # In key order: the target's pages are visited in sequence rather than at random.
        sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ORDER BY {} ON CONFLICT ({}) {}").format(
            target, columns, columns, staging.table(stage_name), key, key, update
        )
    )
    return int(cur.rowcount)


def _delete_missing(conn: psycopg.Connection[Any], plan: DeliveryPlan, stage_name: str, target: sql.Identifier) -> int:
    match = sql.SQL(" AND ").join(sql.SQL("k.{0} = t.{0}").format(sql.Identifier(k)) for k in plan.key)
    cur = conn.execute(
        sql.SQL("DELETE FROM {} t WHERE NOT EXISTS (SELECT 1 FROM {} k WHERE {})").format(
            target, staging.table(staging.keys_table(stage_name)), match
        )
    )
    return int(cur.rowcount)


def _write_corrections(conn: psycopg.Connection, plan: DeliveryPlan) -> None:
    """The open corrections beside the delivered table, so the subscriber sees which values are in doubt."""
    side = sql.Identifier(plan.target_schema, plan.corrections_table)
    if not plan.corrections and not staging.exists(conn, side):
        return
    keys = plan.key_columns  # record keys as the subscriber sees them
    conn.execute(
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} ({}, correction text NOT NULL, item text NOT NULL, status text NOT NULL)"
        ).format(side, staging.definition(keys))
    )
    conn.execute(sql.SQL("DELETE FROM {}").format(side))
    insert = sql.SQL("INSERT INTO {} ({}, correction, item, status) VALUES ({}, %s, %s, %s)").format(
        side, sql.SQL(", ").join(sql.Identifier(k.name) for k in keys), sql.SQL(", ").join(sql.SQL("%s") for _ in keys)
    )
    with conn.cursor() as cur:
        cur.executemany(
            insert,
            [[*(record[k.name] for k in keys), code, item, status] for record, code, item, status in plan.corrections],
        )
