"""A population register of a million rows, with defects planted for every rule of the shipped
suite, delivered through Airflow: each rule must count exactly what was planted.

At this size PostgreSQL plans the checks in parallel by itself (the test databases force it
everywhere else too), so a rule that cannot run in a parallel worker shows here as an error,
never as a pass.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import psycopg
import pytest

from govshare import clock
from govshare.quality.identifiers import citizen_id
from govshare.registry import deliveries
from govshare.registry.db import session
from tests.e2e.conftest import dagbag
from tests.helpers import active_agreement, columns_of, provider_now, request, shipped_catalog

pytestmark = [pytest.mark.airflow, pytest.mark.scale]

ROWS = 1_000_000
ITEMS = ["person_id", "citizen_id", "name", "gender", "birth_date", "region_code", "phone", "updated_at"]
REGIONS = ("130102", "130104", "130202", "130602", "131002")

# rule -> the rows planted to break it (each defect in rows of its own, so counts are exact)
PLANTED = {
    "key_not_null:person_id": 3,
    "key_unique:person_id": 8,  # four keys twice: every row sharing a key breaks uniqueness
    "not_null:citizen_id": 0,
    "not_null:name": 7,
    "not_null:gender": 2,
    "not_null:birth_date": 0,
    "not_null:region_code": 0,
    "not_null:updated_at": 0,
    "citizen_id_18_digits": 13,  # first-generation 15-digit numbers
    "gender_code": 11,
    "birth_date_plausible": 6,  # three before 1900, three born tomorrow
    "citizen_id_valid": 13 + 17,  # the 15-digit ones and 17 with a wrong check character
    "region_in_hebei": 19,
    "phone_is_mobile": 23,  # beside 50,000 missing phone numbers, which are allowed
    "updated_within_cycle": 0,
}


def register(rows: int):
    """Valid rows, then the planted defects in rows of their own."""
    rng = random.Random(11643)
    now = provider_now()
    defects = iter(range(1, rows + 1))

    def take(count: int) -> set[int]:
        return {next(defects) for _ in range(count)}

    null_key, duplicated, null_name, null_gender = take(3), sorted(take(4)), take(7), take(2)
    short_id, wrong_check, bad_gender, too_early, too_late = take(13), take(17), take(11), take(3), take(3)
    outside_hebei, bad_phone = take(19), take(23)
    for n in range(1, rows + 1):
        region = REGIONS[n % len(REGIONS)]
        born = date(1940, 1, 1) + timedelta(days=n % 25_000)
        number = citizen_id(region, born, n % 1000)
        if n in short_id:
            number = f"{region}{born:%y%m%d}{n % 1000:03d}"
        elif n in wrong_check:
            number = number[:17] + ("0" if number[17] != "0" else "1")
        birth = date(1899, 12, 31) if n in too_early else clock.today() + timedelta(days=1) if n in too_late else born
        phone = "12345" if n in bad_phone else None if n % 20 == 0 else f"13{rng.randrange(10**9):09d}"
        yield (
            None if n in null_key else n,
            number,
            None if n in null_name else f"居民{n}",
            None if n in null_gender else "未知" if n in bad_gender else "男女"[n % 2],
            birth,
            "110105" if n in outside_hebei else region,
            phone,
            now - timedelta(minutes=n % 1440),
        )
    for n in duplicated:  # the same person exported twice
        yield (
            n,
            citizen_id(REGIONS[n % 5], date(1940, 1, 1) + timedelta(days=n), n % 1000),
            f"居民{n}",
            "男",
            born,
            REGIONS[n % 5],
            None,
            now,
        )


@pytest.fixture
def big_world(airflow_db, applied, make_database, monkeypatch):
    front, subscriber = make_database("gat"), make_database("mzt")
    resource = shipped_catalog().resources["gat_population_register"]
    with psycopg.connect(front) as conn:
        # As an export script loads it: no key, no NOT NULL — that is how such defects get in.
        conn.execute(
            "CREATE SCHEMA exchange; CREATE TABLE exchange.population_register (person_id bigint, citizen_id char(18), "
            "name varchar(50), gender varchar(2), birth_date date, region_code char(6), address varchar(200), "
            "phone varchar(20), updated_at timestamp)"
        )
        columns = [i.name for i in resource.items if i.name != "address"]
        with conn.cursor().copy(f"COPY exchange.population_register ({', '.join(columns)}) FROM STDIN") as copy:
            for row in register(ROWS):
                copy.write_row(row)
    for conn_id, url in {"front_hb_gat": front, "sub_hb_mzt": subscriber}.items():
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", url)
    code = active_agreement(request(items=ITEMS, masking={"citizen_id": "none", "name": "none", "phone": "none"}))
    return code, subscriber


def test_a_million_rows_with_planted_defects_are_counted_exactly(big_world):
    code, subscriber = big_world
    run = dagbag().dags[code].test()
    with session() as s:
        delivery = deliveries.find(s, code, run.run_id)
    counted = {r["rule"]: r["unexpected_count"] for r in delivery.check_results}
    assert {r["rule"]: r["error"] for r in delivery.check_results if r["error"]} == {}  # every rule ran
    assert counted == PLANTED
    assert delivery.rows == ROWS + 4
    # gender_code, the key rules and the others are blocking: nothing reached the subscriber's table
    assert delivery.status == "failed" and run.state == "failed"
    assert columns_of(subscriber, "public", "population_basic") == []
