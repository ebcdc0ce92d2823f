"""The exchange engine's delivery options on real PostgreSQL: masking, row filters, incremental
merges with late commits and boundary rows, key-diff deletions, the empty-source rule,
provider timeouts and error messages that carry no data."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta

import psycopg
import pytest
from pydantic import SecretBytes

from govshare.errors import EmptySource, ExchangeFailed, SchemaDrift
from govshare.exchange.address import DatabaseAddress
from govshare.exchange.failures import reported
from govshare.exchange.filters import Condition
from govshare.exchange.masking import pseudonym, subscriber_key
from govshare.exchange.preflight import preflight
from govshare.exchange.publish import publish
from govshare.exchange.sources import open_source
from govshare.exchange.stage import stage
from tests.helpers import ID_NUMBER, MOBILE, checksum, deliver, execute, population_front_db, provider_now, query
from tests.integration.test_exchange import ITEMS, make_plan

ALL = ITEMS[:6] + ["address", "phone", "updated_at"]
KEY = b"k" * 48
SECRET_KEY = SecretBytes(KEY)


@pytest.fixture
def dbs(make_database):
    provider, subscriber = make_database("front"), make_database("sub")
    people = population_front_db(provider, 600)
    return provider, subscriber, DatabaseAddress.from_url(provider), DatabaseAddress.from_url(subscriber), people


def target_rows(url: str, columns: list[str]) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            f"SELECT {', '.join(columns)} FROM public.population_basic ORDER BY person_id"  # test-owned names
        ).fetchall()


def everything_in(url: str) -> str:
    """Every value of every table in the database, as one text, to scan for raw values."""
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
        return "\n".join(str(conn.execute(f"SELECT * FROM {t}").fetchall()) for (t,) in tables)


def test_default_masks_leave_no_raw_id_or_phone_in_the_subscriber_db(dbs):
    provider, subscriber, source, target, people = dbs
    plan = make_plan(ALL, masks={})  # an agreement that names no masks: the defaults apply
    deliver(plan, source, target, "run-1")
    rows = dict((r[0], r[1:]) for r in target_rows(subscriber, ["person_id", "citizen_id", "name", "address", "phone"]))
    for person in people[:50]:
        person_id, citizen_id, name, _, _, _, address, phone, _ = person
        masked_id, masked_name, masked_address, masked_phone = rows[person_id]
        if len(citizen_id.strip()) == 18:
            assert masked_id == citizen_id[:6] + "*" * 8 + citizen_id[-4:]
        assert masked_name == name[0] + "*" * (len(name) - 1)
        assert masked_address == address[:10]
        assert masked_phone == (phone[:3] + "****" + phone[-4:] if phone else None)
    scanned = everything_in(subscriber)
    assert not ID_NUMBER.search(scanned) and not MOBILE.search(scanned)
    assert not any(p[1] in scanned for p in people)


def test_pseudonyms_let_one_subscriber_join_but_not_two(dbs):
    provider, subscriber, source, target, people = dbs
    plan = make_plan(["person_id", "citizen_id"], masks={"citizen_id": "hmac"})
    deliver(plan, source, target, "run-1", KEY)
    rows = dict(target_rows(subscriber, ["person_id", "citizen_id"]))
    mzt = subscriber_key(SECRET_KEY, "hb_mzt")
    assert rows[people[0][0]] == pseudonym(mzt, people[0][1])
    assert rows[people[0][0]] != pseudonym(subscriber_key(SECRET_KEY, "hb_rst"), people[0][1])
    assert not any(p[1] in everything_in(subscriber) for p in people)
    with pytest.raises(Exception, match="no pseudonym key is configured"):
        stage(plan, source, target, "run-2", None)


def test_row_filter_delivers_only_the_granted_rows(dbs):
    provider, subscriber, source, target, people = dbs
    granted = (Condition("region_code", "prefix", "1301"), Condition("gender", "in", ("女",)))
    deliver(make_plan(row_filter=granted), source, target, "run-1")
    expected = sorted(p[0] for p in people if p[5].startswith("1301") and p[4] and p[3] == "女")
    assert [r[0] for r in target_rows(subscriber, ["person_id"])] == expected
    assert 0 < len(expected) < len(people) / 2
    # the value is bound, not formatted into SQL: a quote in it is just a character
    hostile = (Condition("region_code", "eq", "1301'; DROP TABLE exchange.population_register; --"),)
    with pytest.raises(EmptySource):
        deliver(make_plan(row_filter=hostile), source, target, "run-2")
    assert checksum(provider, ("exchange", "population_register"), ITEMS, ["person_id"])[0] == 600


def incremental(**options):
    return make_plan(mode="incremental", watermark="updated_at", overlap=600, deletions="key_diff", **options)


def test_incremental_merges_changes_deletes_and_advances_the_watermark(dbs):
    provider, subscriber, source, target, people = dbs
    plan = incremental()
    first, _, published = deliver(plan, source, target, "run-1")
    assert first.rows == 600 and first.watermark_from is None and published.merged == 600
    execute(
        provider,
        "UPDATE exchange.population_register SET name = name || '改', updated_at = %s WHERE person_id <= 6",
        (provider_now(),),
    )
    execute(provider, "DELETE FROM exchange.population_register WHERE person_id IN (7, 8)")
    execute(
        provider,
        "INSERT INTO exchange.population_register SELECT person_id + 1000, citizen_id, name, gender, "
        "birth_date, region_code, address, phone, %s FROM exchange.population_register "
        "WHERE person_id = 9",
        (provider_now(),),
    )
    second, _, merged = deliver(plan, source, target, "run-2")
    # six changed and one new row, plus the unchanged ones inside the overlap window
    assert 7 <= second.rows < 100
    assert second.watermark_from < first.watermark_to < second.watermark_to
    assert (merged.merged, merged.deleted) == (7, 2)  # unchanged rows are not rewritten
    assert checksum(subscriber, ("public", "population_basic"), ITEMS, ["person_id"]) == checksum(
        provider, ("exchange", "population_register"), ITEMS, ["person_id"]
    )


def test_key_diff_compares_pseudonymised_keys_as_delivered(dbs):
    provider, subscriber, source, target, people = dbs
    plan = incremental(masks={"person_id": "hmac"})
    deliver(plan, source, target, "run-1", KEY)
    execute(provider, "DELETE FROM exchange.population_register WHERE person_id IN (5, 6)")
    removed, _, merged = deliver(plan, source, target, "run-2", KEY)
    assert (removed.keys, removed.keys_listed, merged.deleted) == (598, True, 2)
    delivered = {row[0] for row in target_rows(subscriber, ["person_id"])}
    mzt = subscriber_key(SECRET_KEY, "hb_mzt")
    assert delivered == {pseudonym(mzt, p[0]) for p in people if p[0] not in (5, 6)}


def test_keys_are_shipped_only_when_something_was_deleted(dbs):
    provider, subscriber, source, target, _ = dbs
    plan = incremental()
    first, _, _ = deliver(plan, source, target, "run-1")
    assert (first.keys, first.keys_listed) == (None, False)  # swapped in whole: nothing to compare with
    execute(
        provider,
        "UPDATE exchange.population_register SET name = '改', updated_at = %s WHERE person_id = 3",
        (provider_now(),),
    )
    execute(
        provider,
        "INSERT INTO exchange.population_register SELECT 9001, citizen_id, name, gender, birth_date, "
        "region_code, address, phone, %s FROM exchange.population_register WHERE person_id = 4",
        (provider_now(),),
    )
    changed, _, merged = deliver(plan, source, target, "run-2")
    assert (changed.keys, changed.keys_listed, merged.deleted) == (601, False, 0)  # counts agree: no deletions
    execute(provider, "DELETE FROM exchange.population_register WHERE person_id IN (5, 6)")
    execute(provider, "UPDATE exchange.population_register SET updated_at = %s WHERE person_id = 7", (provider_now(),))
    removed, _, merged = deliver(plan, source, target, "run-3")
    assert (removed.keys, removed.keys_listed, merged.deleted) == (599, True, 2)
    assert checksum(subscriber, ("public", "population_basic"), ITEMS, ["person_id"]) == checksum(
        provider, ("exchange", "population_register"), ITEMS, ["person_id"]
    )
    held = "SELECT keys FROM govshare_staging.watermark WHERE agreement_code = %s"
    assert query(subscriber, held, (plan.agreement_code,)) == [(599,)]
    # With the recorded count lost, stage counts the target instead and still finds a deletion.
    execute(subscriber, "UPDATE govshare_staging.watermark SET keys = NULL")
    execute(provider, "DELETE FROM exchange.population_register WHERE person_id = 10")
    counted, _, merged = deliver(plan, source, target, "run-4")
    assert (counted.keys, counted.keys_listed, merged.deleted) == (598, True, 1)
    assert query(subscriber, held, (plan.agreement_code,)) == [(598,)]


def test_a_deletion_shows_even_after_a_row_was_written_behind_the_watermark(dbs):
    provider, subscriber, source, target, _ = dbs
    plan = incremental()
    deliver(plan, source, target, "run-1")
    # A row the watermark can never bring (its updated_at is old), and two deletions: the key
    # list is shipped, the deletions are published, the target stays one row short.
    execute(
        provider,
        "INSERT INTO exchange.population_register SELECT 9002, citizen_id, name, gender, birth_date, "
        "region_code, address, phone, '2001-01-01' FROM exchange.population_register WHERE person_id = 4",
    )
    execute(provider, "DELETE FROM exchange.population_register WHERE person_id IN (5, 6)")
    short, _, merged = deliver(plan, source, target, "run-2")
    assert (short.keys, short.keys_listed, merged.deleted) == (599, True, 2)
    # Had the target's count (598) been recorded, one more deletion would make the counts agree.
    execute(provider, "DELETE FROM exchange.population_register WHERE person_id = 7")
    later, _, merged = deliver(plan, source, target, "run-3")
    assert (later.keys, later.keys_listed, merged.deleted) == (598, True, 1)
    assert 7 not in dict(target_rows(subscriber, ["person_id", "name"]))


def test_a_row_committed_late_is_caught_by_the_overlap(dbs):
    provider, subscriber, source, target, _ = dbs
    plan = incremental()
    deliver(plan, source, target, "run-1")
    late = psycopg.connect(provider)  # a provider transaction that started before the extract...
    late.execute(
        "UPDATE exchange.population_register SET name = '迟到', updated_at = %s WHERE person_id = 42", (provider_now(),)
    )
    time.sleep(0.05)
    execute(provider, "UPDATE exchange.population_register SET updated_at = %s WHERE person_id = 43", (provider_now(),))
    deliver(plan, source, target, "run-2")  # ...is not visible to this run, which moves past it
    late.commit()  # ...and commits afterwards, with an updated_at older than the new watermark
    late.close()
    deliver(plan, source, target, "run-3")
    assert dict(target_rows(subscriber, ["person_id", "name"]))[42] == "迟到"


def test_a_transaction_held_open_longer_than_the_overlap_still_arrives(dbs):
    provider, subscriber, source, target, _ = dbs
    plan = incremental()  # the default overlap: 600 s
    deliver(plan, source, target, "run-1")
    late = psycopg.connect(provider)  # open for 20 minutes: it stamps its rows with its start
    late.execute(
        "UPDATE exchange.population_register SET name = '迟到', updated_at = %s WHERE person_id = 42",
        (provider_now() - timedelta(minutes=20),),
    )
    execute(provider, "UPDATE exchange.population_register SET updated_at = %s WHERE person_id = 43", (provider_now(),))
    deliver(plan, source, target, "run-2")  # cannot see it; the watermark moves past it
    late.commit()
    late.close()
    _, _, merged = deliver(plan, source, target, "run-3")
    assert merged.merged == 1  # found by the transaction that wrote it, not by its stamp
    assert dict(target_rows(subscriber, ["person_id", "name"]))[42] == "迟到"


def test_a_row_stamped_behind_the_watermark_arrives(dbs):
    provider, subscriber, source, target, _ = dbs
    plan = make_plan(mode="incremental", watermark="updated_at", overlap=600)
    first, _, _ = deliver(plan, source, target, "run-1")
    stamped = datetime.fromisoformat(first.watermark_to) - timedelta(minutes=20)  # behind the watermark - overlap
    execute(
        provider,
        "UPDATE exchange.population_register SET name = '旧戳', updated_at = %s WHERE person_id = 7",
        (stamped,),
    )
    execute(
        provider,
        "INSERT INTO exchange.population_register SELECT 9100, citizen_id, name, gender, birth_date, region_code, "
        "address, phone, %s FROM exchange.population_register WHERE person_id = 8",
        (stamped,),
    )
    _, _, merged = deliver(plan, source, target, "run-2")
    assert merged.merged == 2
    delivered = dict(target_rows(subscriber, ["person_id", "name"]))
    assert delivered[7] == "旧戳" and 9100 in delivered


def test_rows_on_the_watermark_boundary_are_delivered_again(dbs):
    provider, subscriber, source, target, _ = dbs
    plan = make_plan(mode="incremental", watermark="updated_at", overlap=0)
    first, _, _ = deliver(plan, source, target, "run-1")
    # a change that keeps exactly the watermark's timestamp (clocks have a resolution)
    execute(
        provider, "UPDATE exchange.population_register SET name = '边界' WHERE updated_at = %s", (first.watermark_to,)
    )
    second, _, merged = deliver(plan, source, target, "run-2")
    assert second.rows >= 1 and merged.merged >= 1
    assert "边界" in [r[1] for r in target_rows(subscriber, ["person_id", "name"])]


def test_a_rerun_of_a_published_incremental_run_changes_nothing(dbs):
    provider, subscriber, source, target, _ = dbs
    plan = incremental()
    deliver(plan, source, target, "run-1")
    before = checksum(subscriber, ("public", "population_basic"), ITEMS, ["person_id"])
    execute(
        provider,
        "UPDATE exchange.population_register SET name = '再', updated_at = %s WHERE person_id = 1",
        (provider_now(),),
    )
    stage(plan, source, target, "run-2")
    publish(plan, target, "run-2")
    after = checksum(subscriber, ("public", "population_basic"), ITEMS, ["person_id"])
    assert publish(plan, target, "run-2").already_published  # Airflow retried the task
    assert checksum(subscriber, ("public", "population_basic"), ITEMS, ["person_id"]) == after != before


def test_an_empty_source_never_empties_the_target_unless_allowed(dbs):
    provider, subscriber, source, target, _ = dbs
    deliver(make_plan(), source, target, "run-1")
    before = checksum(subscriber, ("public", "population_basic"), ITEMS, ["person_id"])
    execute(provider, "DELETE FROM exchange.population_register")
    with pytest.raises(EmptySource, match="returned no rows; the subscriber's table was kept"):
        deliver(make_plan(), source, target, "run-2")
    assert checksum(subscriber, ("public", "population_basic"), ITEMS, ["person_id"]) == before
    with pytest.raises(EmptySource, match="the key list"):
        deliver(incremental(), source, target, "run-3")  # key-diff would delete every row
    deliver(make_plan(empty_source_ok=True), source, target, "run-4")
    assert checksum(subscriber, ("public", "population_basic"), ITEMS, ["person_id"])[0] == 0


def test_a_locked_provider_table_fails_the_run_instead_of_hanging_it(dbs):
    provider, subscriber, source, target, _ = dbs
    source = replace(source, lock_timeout=1)
    locker = psycopg.connect(provider)
    locker.execute("LOCK TABLE exchange.population_register IN ACCESS EXCLUSIVE MODE")
    try:
        with pytest.raises(ExchangeFailed) as failed:
            stage(make_plan(), source, target, "run-1")
        assert failed.value.retryable and "locked by another session" in failed.value.message
    finally:
        locker.close()


def test_a_runaway_provider_query_is_stopped_by_the_statement_limit(dbs):
    provider, subscriber, source, target, _ = dbs
    source = replace(source, statement_timeout=1)
    # The catalogued table becomes a view that takes seconds per row: a query that would run for an hour.
    execute(provider, "ALTER TABLE exchange.population_register RENAME TO population_base")
    execute(
        provider,
        "CREATE FUNCTION exchange.slowly() RETURNS boolean VOLATILE LANGUAGE plpgsql "
        "AS $$ BEGIN PERFORM pg_sleep(5); RETURN true; END $$",
    )
    execute(
        provider,
        "CREATE VIEW exchange.population_register AS SELECT * FROM exchange.population_base WHERE exchange.slowly()",
    )
    with pytest.raises(ExchangeFailed) as failed:
        stage(make_plan(), source, target, "run-1")
    assert failed.value.retryable and "ran past its time limit" in failed.value.message
    assert query(subscriber, "SELECT to_regnamespace('govshare_staging')") == [(None,)]  # nothing written there


def test_database_errors_are_reported_without_the_values_in_them(dbs):
    _, subscriber, _, _, people = dbs
    raw = people[0][1]
    with pytest.raises(ExchangeFailed) as failed, reported("stage"), psycopg.connect(subscriber) as conn:
        conn.execute(f"SELECT '{raw}'::integer")  # PostgreSQL quotes the value back in its message
    assert raw not in str(failed.value) and "out of range for type integer" in str(failed.value)
    assert failed.value.__cause__ is None and failed.value.__suppress_context__


def test_concurrent_publishes_of_one_target_do_not_interleave(dbs):
    provider, subscriber, source, target, _ = dbs
    plan = make_plan()
    for run in ("run-a", "run-b"):
        stage(plan, source, target, run)
    errors = []

    def go(run):
        try:
            publish(plan, target, run)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(run,)) for run in ("run-a", "run-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Whichever took the lock first published; run-a read the provider first, so after run-b it is refused.
    assert len(errors) <= 1
    assert all(isinstance(e, ExchangeFailed) and "run-b read the provider after this run" in str(e) for e in errors)
    assert checksum(subscriber, ("public", "population_basic"), ITEMS, ["person_id"]) == checksum(
        provider, ("exchange", "population_register"), ITEMS, ["person_id"]
    )


def test_a_run_that_read_older_data_never_publishes_over_a_newer_one(dbs):
    provider, subscriber, source, target, _ = dbs
    plan = incremental()
    deliver(plan, source, target, "run-0")
    stage(plan, source, target, "run-a")
    execute(
        provider,
        "UPDATE exchange.population_register SET name = '新值', updated_at = %s WHERE person_id <= 100",
        (provider_now(),),
    )
    stage(plan, source, target, "run-b")
    publish(plan, target, "run-b")
    newer = checksum(subscriber, ("public", "population_basic"), ITEMS, ["person_id"])
    with psycopg.connect(subscriber) as conn:
        mark = conn.execute("SELECT value FROM govshare_staging.watermark").fetchone()
    with pytest.raises(ExchangeFailed, match="run run-b read the provider after this run") as refused:
        publish(plan, target, "run-a")
    assert not refused.value.retryable
    assert checksum(subscriber, ("public", "population_basic"), ITEMS, ["person_id"]) == newer
    with psycopg.connect(subscriber) as conn:
        assert conn.execute("SELECT value FROM govshare_staging.watermark").fetchone() == mark  # not moved back
        assert conn.execute("SELECT count(*) FROM public.population_basic WHERE name = '新值'").fetchone()[0] == 100


def test_a_column_retyped_after_preflight_is_caught_by_the_stage_itself(dbs):
    provider, subscriber, source, target, _ = dbs
    plan = incremental()
    deliver(plan, source, target, "run-1")
    before = checksum(subscriber, ("public", "population_basic"), ITEMS, ["person_id"])
    preflight(plan, source, target)
    # the same binary layout: COPY would take it, every timestamp read in another zone
    execute(provider, "ALTER TABLE exchange.population_register ALTER COLUMN updated_at TYPE timestamptz")
    with pytest.raises(SchemaDrift, match="updated_at"):
        stage(plan, source, target, "run-2")  # what a retry of the stage task alone does
    assert checksum(subscriber, ("public", "population_basic"), ITEMS, ["person_id"]) == before


def test_a_table_altered_while_it_is_read_waits_for_the_read(dbs):
    provider, subscriber, source, target, _ = dbs
    plan = make_plan()
    with open_source(source, plan.source_conn_id) as src:
        src.hold(plan.source_schema, plan.source_table)
        with psycopg.connect(provider) as alter:
            alter.execute("SET lock_timeout = '200ms'")
            with pytest.raises(psycopg.errors.LockNotAvailable):
                alter.execute("ALTER TABLE exchange.population_register ALTER COLUMN updated_at TYPE timestamptz")
