"""A MySQL/MariaDB front DB: the same delivery, the same masks and filters, the same drift check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from govshare.demo import sample_data
from govshare.errors import SchemaDrift
from govshare.exchange.address import DatabaseAddress
from govshare.exchange.filters import Condition
from govshare.exchange.preflight import preflight
from tests.helpers import deliver, mysql_connect, mysql_front_table, mysql_url, provider_now, shipped_catalog
from tests.integration.test_exchange import ITEMS, make_plan


@pytest.fixture
def mysql_world(mysql_database, make_database):
    resource = shipped_catalog().resources["gat_population_register"]
    people = list(sample_data.population(300))
    mysql_front_table(mysql_database, resource, people)
    host = mysql_url().rstrip("/")
    source = DatabaseAddress.from_url(f"{host}/{mysql_database}").__class__(
        **{
            **DatabaseAddress.from_url(f"{host.replace('mysql://', 'postgresql://')}/{mysql_database}").__dict__,
            "port": int(host.rsplit(":", 1)[1]),
            "dialect": "mysql",
        }
    )
    subscriber = make_database("sub")
    return people, source, subscriber, DatabaseAddress.from_url(subscriber), mysql_database


def plan_for(database: str, **options):
    from dataclasses import replace

    return replace(make_plan(**options), source_schema=database)


def test_a_mysql_table_is_delivered_exactly(mysql_world):
    people, source, subscriber, target, database = mysql_world
    deliver(plan_for(database), source, target, "run-1")
    with psycopg.connect(subscriber) as conn:
        delivered = conn.execute(
            f"SELECT {', '.join(ITEMS)} FROM public.population_basic ORDER BY person_id"
        ).fetchall()
    expected = [(p[0], p[1].ljust(18), p[2], p[3], p[4], p[5], p[8]) for p in people]
    assert delivered == expected


def test_masks_and_filters_work_on_mysql_too(mysql_world):
    people, source, subscriber, target, database = mysql_world
    plan = plan_for(database, masks={}, row_filter=(Condition("region_code", "prefix", "1301"),))
    deliver(plan, source, target, "run-1")
    with psycopg.connect(subscriber) as conn:
        rows = conn.execute("SELECT person_id, citizen_id, name FROM public.population_basic ORDER BY 1").fetchall()
    expected = [p for p in people if p[5].startswith("1301")]
    assert [r[0] for r in rows] == [p[0] for p in expected]
    for (_, masked_id, masked_name), person in zip(rows, expected, strict=True):
        if len(person[1]) == 18:
            assert masked_id == person[1][:6] + "*" * 8 + person[1][-4:]
        assert masked_name == person[2][0] + "*" * (len(person[2]) - 1)


def test_incremental_from_mysql(mysql_world):
    people, source, subscriber, target, database = mysql_world
    plan = plan_for(database, mode="incremental", watermark="updated_at", overlap=600, deletions="key_diff")
    deliver(plan, source, target, "run-1")
    with mysql_connect(database) as conn, conn.cursor() as cur:
        cur.execute(
            'UPDATE population_register SET name = "改名", updated_at = %s WHERE person_id = 5', (provider_now(),)
        )
        cur.execute("DELETE FROM population_register WHERE person_id = 6")
    _, _, published = deliver(plan, source, target, "run-2")
    assert (published.merged, published.deleted) == (1, 1)
    with psycopg.connect(subscriber) as conn:
        names = dict(conn.execute("SELECT person_id, name FROM public.population_basic").fetchall())
    assert names[5] == "改名" and 6 not in names and len(names) == 299


def test_drift_in_a_mysql_table_is_caught(mysql_world):
    _, source, _, target, database = mysql_world
    with mysql_connect(database) as conn, conn.cursor() as cur:
        cur.execute("ALTER TABLE population_register MODIFY citizen_id varchar(18) NOT NULL")
    with pytest.raises(SchemaDrift, match="citizen_id is varchar\\(18\\) in the table but char\\(18\\)"):
        preflight(plan_for(database), source, target)


def test_a_mysql_row_stamped_behind_the_watermark_is_found_by_the_key_count(mysql_world):
    """InnoDB rows do not say which transaction wrote them: a new row stamped in the past is
    found because the provider then has a key the subscriber lacks."""
    people, source, subscriber, target, database = mysql_world
    plan = plan_for(database, mode="incremental", watermark="updated_at", overlap=600)
    first, _, _ = deliver(plan, source, target, "run-1")
    stamped = datetime.fromisoformat(first.watermark_to) - timedelta(minutes=20)  # behind the watermark - overlap
    with mysql_connect(database) as conn, conn.cursor() as cur:
        cur.execute("SET time_zone = '+00:00'")  # as the platform reads it: the instant, in UTC
        cur.execute(
            "INSERT INTO population_register SELECT 9100, citizen_id, name, gender, birth_date, region_code, "
            "address, phone, %s FROM population_register WHERE person_id = 8",
            (stamped.astimezone(UTC).replace(tzinfo=None),),
        )
    staged, _, _ = deliver(plan, source, target, "run-2")
    assert (staged.late_rows, staged.rows) == (1, 301)  # every granted row was read again
    with psycopg.connect(subscriber) as conn:
        names = dict(conn.execute("SELECT person_id, name FROM public.population_basic").fetchall())
    assert 9100 in names and len(names) == 301
