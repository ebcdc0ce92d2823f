"""The exchange engine on real PostgreSQL servers, without Airflow: preflight, stage, check,
publish — exact columns, exact content, atomic swap, idempotent publish, loud drift."""

from __future__ import annotations

import time

import psycopg
import pytest

from govshare.catalog.types import CatalogType
from govshare.errors import ChecksFailed, DatabaseUnreachable, ExchangeFailed, SchemaDrift
from govshare.exchange.address import DatabaseAddress
from govshare.exchange.masking import effective
from govshare.exchange.plan import STAGING_SCHEMA, Column, DeliveryPlan
from govshare.exchange.preflight import preflight
from govshare.exchange.publish import publish
from govshare.exchange.stage import ROUGH_STATISTICS, stage
from tests.helpers import checksum, columns_of, deliver, execute, population_front_db, shipped_catalog

ITEMS = ["person_id", "citizen_id", "name", "gender", "birth_date", "region_code", "updated_at"]


def make_plan(items=ITEMS, masks: dict | None = None, **options) -> DeliveryPlan:
    """The population register delivered to hb_mzt; ``masks`` as an agreement states them
    (unnamed personal items get their defaults); no masks at all unless given."""
    resource = shipped_catalog().resources["gat_population_register"]
    cols = tuple(
        Column(
            i.name,
            CatalogType.parse(i.type),
            i.nullable,
            i.personal,
            effective(
                i.personal, (masks or {}).get(i.name, None if masks is not None else "none"), i.name == "person_id"
            ),
        )
        for i in resource.items
    )
    return DeliveryPlan(
        agreement_code="AGR-0001",
        resource_code=resource.code,
        provider_code="hb_gat",
        subscriber_code="hb_mzt",
        source_conn_id="front_hb_gat",
        source_schema="exchange",
        source_table="population_register",
        columns=tuple(c for c in cols if c.name in items),
        catalogued=cols,
        key=("person_id",),
        target_conn_id="sub_hb_mzt",
        target_schema="public",
        target_table="population_basic",
        **options,
    )


@pytest.fixture
def dbs(make_database):
    provider, subscriber = make_database("front"), make_database("sub")
    population_front_db(provider, 800)
    return provider, subscriber, DatabaseAddress.from_url(provider), DatabaseAddress.from_url(subscriber)


def test_delivers_exactly_the_authorised_columns_and_content(dbs):
    provider, subscriber, source, target = dbs
    plan = make_plan()
    staged, report, published = deliver(plan, source, target, "run-1")
    assert staged.rows == 800 and staged.bytes > 0
    assert columns_of(subscriber, "public", "population_basic") == ITEMS  # no address, no phone
    assert checksum(subscriber, ("public", "population_basic"), ITEMS, ["person_id"]) == checksum(
        provider, ("exchange", "population_register"), ITEMS, ["person_id"]
    )
    assert (published.rows, published.already_published) == (800, False)
    # the sample's 15-digit ID number is reported by a warn rule, and does not block
    assert {r.rule for r in report.warned} == {"citizen_id_18_digits", "citizen_id_valid"} and not report.failed
    with psycopg.connect(subscriber) as conn:
        key = conn.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'public.population_basic'::regclass AND i.indisprimary"
        ).fetchall()
        leftovers = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = %s AND tablename LIKE 'stage\\_%%'", (STAGING_SCHEMA,)
        ).fetchone()[0]
    assert key == [("person_id",)] and leftovers == 0


def test_failed_check_leaves_the_target_as_it_was(dbs):
    provider, subscriber, source, target = dbs
    plan = make_plan()
    deliver(plan, source, target, "run-1")
    before = checksum(subscriber, ("public", "population_basic"), ITEMS, ["person_id"])
    execute(provider, "ALTER TABLE exchange.population_register DROP CONSTRAINT population_register_pkey")
    execute(
        provider,
        "INSERT INTO exchange.population_register SELECT * FROM exchange.population_register WHERE person_id <= 3",
    )
    execute(provider, "UPDATE exchange.population_register SET gender = '未知' WHERE person_id = 10")
    with pytest.raises(ChecksFailed) as failed:
        deliver(plan, source, target, "run-2")
    assert failed.value.failed == ["key_unique:person_id (6 of 803 rows)", "gender_code (1 of 803 rows)"]
    assert checksum(subscriber, ("public", "population_basic"), ITEMS, ["person_id"]) == before


def test_publish_is_idempotent_and_keeps_grants(dbs):
    provider, subscriber, source, target = dbs
    plan = make_plan()
    deliver(plan, source, target, "run-1")
    execute(subscriber, "DROP ROLE IF EXISTS gs_test_reader")
    execute(subscriber, "CREATE ROLE gs_test_reader")
    try:
        execute(subscriber, "GRANT SELECT ON public.population_basic TO gs_test_reader")
        again = publish(plan, target, "run-1")  # a retried publish of the same run
        assert again.already_published and again.rows == 800
        execute(provider, "DELETE FROM exchange.population_register WHERE person_id > 700")
        deliver(plan, source, target, "run-2")
        assert checksum(subscriber, ("public", "population_basic"), ITEMS, ["person_id"])[0] == 700
        with psycopg.connect(subscriber) as conn:
            assert conn.execute(
                "SELECT has_table_privilege('gs_test_reader', 'public.population_basic', 'SELECT')"
            ).fetchone()[0]
    finally:
        execute(subscriber, "DROP OWNED BY gs_test_reader")
        execute(subscriber, "DROP ROLE gs_test_reader")


def test_the_staged_table_is_analyzed_roughly_and_the_published_one_left_to_autovacuum(dbs):
    """Stage keeps autovacuum off its table and gives every column rough statistics; the
    swapped-in target is autovacuum's again, with all its rows still counted as changed, so
    autovacuum analyzes it in full."""
    provider, subscriber, source, target = dbs
    plan = make_plan()
    staged = stage(plan, source, target, "run-1")
    with psycopg.connect(subscriber) as conn:
        table = f"{STAGING_SCHEMA}.{staged.table}"
        assert conn.execute("SELECT reloptions FROM pg_class WHERE oid = %s::regclass", (table,)).fetchone() == (
            ["autovacuum_enabled=false"],
        )
        analyzed = conn.execute(
            "SELECT attname, array_length(histogram_bounds::text::text[], 1) FROM pg_stats"
            " WHERE schemaname = %s AND tablename = %s",
            (STAGING_SCHEMA, staged.table),
        ).fetchall()
    assert {name for name, _ in analyzed} == set(ITEMS)
    assert max(buckets or 0 for _, buckets in analyzed) <= ROUGH_STATISTICS + 1
    publish(plan, target, "run-1")  # builds the key index the check would have
    with psycopg.connect(subscriber, autocommit=True) as conn:
        assert conn.execute(
            "SELECT reloptions FROM pg_class WHERE oid = 'public.population_basic'::regclass"
        ).fetchone() == (None,)
        changed = 0
        for _ in range(100):  # the stage's server process reports its counts as it ends
            conn.execute("SELECT pg_stat_clear_snapshot()")
            changed = conn.execute(
                "SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relid = 'public.population_basic'::regclass"
            ).fetchone()[0]
            if changed:
                break
            time.sleep(0.1)
    assert changed == 800


def test_a_view_on_the_target_fails_the_swap_by_name_and_keeps_the_target(dbs):
    provider, subscriber, source, target = dbs
    plan = make_plan()
    deliver(plan, source, target, "run-1")
    execute(
        subscriber, "CREATE VIEW public.population_women AS SELECT * FROM public.population_basic WHERE gender = '女'"
    )
    before = checksum(subscriber, ("public", "population_basic"), ITEMS, ["person_id"])
    execute(provider, "DELETE FROM exchange.population_register WHERE person_id > 700")
    with pytest.raises(ExchangeFailed) as failed:
        deliver(plan, source, target, "run-2")
    assert "view population_women depends on table population_basic" in str(failed.value)
    assert "it was kept as it was" in str(failed.value) and not failed.value.retryable
    assert checksum(subscriber, ("public", "population_basic"), ITEMS, ["person_id"]) == before


@pytest.mark.parametrize(
    ("alteration", "expected"),
    [
        ("ADD COLUMN religion text", "column religion (text) is in the table but not in the catalogue"),
        ("DROP COLUMN phone", "column phone (character varying(20)) is in the catalogue but not in the table"),
        (
            "ALTER COLUMN citizen_id TYPE varchar(18)",
            "column citizen_id is character varying(18) in the table but character(18) in the catalogue",
        ),
        ("RENAME COLUMN name TO full_name", "column name looks renamed to full_name"),
    ],
)
def test_schema_drift_fails_before_loading_and_names_the_change(dbs, alteration, expected):
    provider, subscriber, source, target = dbs
    execute(provider, f"ALTER TABLE exchange.population_register {alteration}")
    with pytest.raises(SchemaDrift) as drift:
        preflight(make_plan(), source, target)
    assert expected in str(drift.value)
    assert "exchange.population_register" in str(drift.value)
    with psycopg.connect(subscriber) as conn:  # nothing was created on the subscriber side
        assert conn.execute("SELECT to_regnamespace(%s)", (STAGING_SCHEMA,)).fetchone()[0] is None


def test_unreachable_database_is_named_without_its_password(dbs):
    _, _, source, target = dbs
    wrong = DatabaseAddress("127.0.0.1", 1, "nowhere", "someone", password="s3cret-pw")
    with pytest.raises(DatabaseUnreachable) as down:
        preflight(make_plan(), wrong, target)
    message = str(down.value)
    assert "provider database (connection 'front_hb_gat')" in message
    assert "s3cret-pw" not in message and "s3cret-pw" not in repr(wrong)
