"""Publishing checked data: one transaction swaps the staging table in as the target.

Readers of the target see either the old delivery or the new one, never a mix, and a
failure anywhere before COMMIT leaves the old one in place. The swap is recorded in the
``publication`` ledger inside the same transaction, which makes a retried publish a no-op.
Grants on the old table are carried over, so the subscriber's readers keep their access.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import sql

from govshare.errors import GovshareError
from govshare.exchange import staging
from govshare.exchange.address import DatabaseAddress
from govshare.exchange.connect import connect
from govshare.exchange.plan import STAGING_SCHEMA, DeliveryPlan

_PRIVILEGES = {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"}


@dataclass(frozen=True)
class PublishResult:
    rows: int
    already_published: bool


def publish(plan: DeliveryPlan, subscriber: DatabaseAddress, run_id: str) -> PublishResult:
    stage_name = plan.staging_table(run_id)
    stage_table = staging.table(stage_name)
    target = sql.Identifier(plan.target_schema, plan.target_table)
    with connect(subscriber, "subscriber", plan.target_conn_id) as conn:
        # Two runs publishing into one table must not interleave; the lock ends with the transaction.
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"govshare.publish:{plan.target}",))
        if staging.published(conn, plan.agreement_code, run_id):
            return PublishResult(_count(conn, target), already_published=True)
        if not staging.exists(conn, stage_name):
            raise GovshareError(
                f"staging table {STAGING_SCHEMA}.{stage_name} is gone, so there is nothing to publish",
                "clear the run from the stage task on so the data is staged and checked again",
            )
        grants = conn.execute(
            """SELECT grantee, privilege_type FROM information_schema.role_table_grants
               WHERE table_schema = %s AND table_name = %s AND grantee <> current_user""",
            (plan.target_schema, plan.target_table),
        ).fetchall()
        key_name = f"{plan.target_table[:50]}_pkey"
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(plan.target_schema)))
        # Build the key index while only the staging table is locked; readers of the target wait
        # just for the renames below.
        conn.execute(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY ({})").format(
                stage_table,
                sql.Identifier(f"{stage_name}_pkey"),
                sql.SQL(", ").join(sql.Identifier(k) for k in plan.key),
            )
        )
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(target))
        conn.execute(sql.SQL("ALTER TABLE {} SET SCHEMA {}").format(stage_table, sql.Identifier(plan.target_schema)))
        conn.execute(
            sql.SQL("ALTER TABLE {} RENAME TO {}").format(
                sql.Identifier(plan.target_schema, stage_name), sql.Identifier(plan.target_table)
            )
        )
        conn.execute(
            sql.SQL("ALTER TABLE {} RENAME CONSTRAINT {} TO {}").format(
                target, sql.Identifier(f"{stage_name}_pkey"), sql.Identifier(key_name)
            )
        )
        for grantee, privilege in grants:
            if privilege in _PRIVILEGES:  # the privilege name is SQL syntax: only known words pass
                role = sql.SQL("PUBLIC") if grantee == "PUBLIC" else sql.Identifier(grantee)
                conn.execute(sql.SQL("GRANT {} ON {} TO {}").format(sql.SQL(privilege), target, role))
        conn.execute(
            sql.SQL("COMMENT ON TABLE {} IS {}").format(
                target,
                sql.Literal(
                    f"govshare: resource {plan.resource_code} from {plan.provider_code}, "
                    f"agreement {plan.agreement_code}, run {run_id}"
                ),
            )
        )
        rows = _count(conn, target)
        conn.execute(
            sql.SQL("INSERT INTO {} (agreement_code, run_id, target, rows) VALUES (%s, %s, %s, %s)").format(
                sql.Identifier(STAGING_SCHEMA, staging.LEDGER)
            ),
            (plan.agreement_code, run_id, plan.target, rows),
        )
        conn.commit()
    return PublishResult(rows, already_published=False)


def _count(conn, table: sql.Identifier) -> int:
    return conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()[0]
