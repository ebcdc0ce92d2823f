"""The check's one scan (govshare.quality.fused) counts every rule exactly as Great
Expectations does, on a staged table with planted defects of every kind; it reads the table
once for all row-level rules; a rule whose SQL fails is reported alone; and a check whose
rules the scan models never imports Great Expectations."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta

import psycopg
import pytest
from psycopg import sql

from govshare import clock
from govshare.exchange.address import DatabaseAddress
from govshare.exchange.plan import STAGING_SCHEMA
from govshare.quality import domain, fused, gx
from govshare.quality.check import CheckContext, check, runnables
from govshare.quality.identifiers import citizen_id, uscc
from govshare.quality.rules import Rule, derived
from tests.conftest import ROOT
from tests.integration.test_exchange import make_plan

TABLE = "planted"
ROWS = 2000
COLUMNS = (
    "person_id bigint, citizen_id char(18), name varchar(50), gender varchar(2), birth_date date, "
    "region_code char(6), phone varchar(20), monthly_base numeric(12,2), org_code char(18), "
    "kind smallint, part_a int, part_b text, updated_at timestamp"
)


def _row(i: int) -> tuple:
    """Row i, with defects planted at regular strides (a row can break several rules)."""
    born = date(1950, 1, 1) + timedelta(days=i * 7)
    return (
        None if i % 997 == 5 else (i if i % 401 != 3 else i - 1),  # 2 null keys, repeated keys
        "BADID" if i % 97 == 1 else citizen_id("130102" if i % 89 else "110105", born, i % 1000),
        None if i % 61 == 2 else f"name{i}",
        ["男", "女", "未知"][0 if i % 53 == 0 else 2 if i % 71 == 1 else i % 2],
        date(1880, 1, 1) if i % 83 == 4 else clock.today() + timedelta(days=3) if i % 113 == 6 else born,
        "139999" if i % 79 == 3 else "110102" if i % 67 == 5 else "130102",
        None if i % 5 == 0 else "12345" if i % 59 == 7 else f"13{i % 10}{i:08d}",
        -1 if i % 91 == 8 else 0 if i % 43 == 9 else 20000 if i % 101 == 10 else (i % 9000) + 0.5,
        None
        if i % 7 == 0
        else uscc("130102", f"{i:08d}")[:17] + ("0" if i % 37 == 11 else uscc("130102", f"{i:08d}")[17]),
        i % 5,
        None if i % 211 == 12 else 7 if i % 409 == 14 else i // 2,  # (7, x/y) repeats
        None if i % 307 == 13 else ("x" if i % 2 else "y"),
        datetime(2020, 1, 1) + timedelta(minutes=i),
    )


def _suite() -> list[Rule]:
    def r(name, expectation, **kwargs):
        return Rule(name, f"expect_{expectation}", kwargs)

    def d(name, rule, **kwargs):
        return Rule(name, f"govshare:{rule}", kwargs)

    return [
        r("name_mostly", "column_values_to_not_be_null", column="name", mostly=0.9),
        r("pair_unique", "compound_columns_to_be_unique", column_list=["part_a", "part_b"]),
        r("gender_set", "column_values_to_be_in_set", column="gender", value_set=["男", "女"]),
        r("gender_mostly", "column_values_to_be_in_set", column="gender", value_set=["男", "女"], mostly=0.99),
        r("kind_set", "column_values_to_be_in_set", column="kind", value_set=[0, 1, 2, 3, 4]),
        r("base_range", "column_values_to_be_between", column="monthly_base", min_value=0, max_value=10000),
        r("base_strict", "column_values_to_be_between", column="monthly_base", min_value=0, strict_min=True),
        r("base_max", "column_values_to_be_between", column="monthly_base", max_value=15000, strict_max=True),
        r(
            "born_range",
            "column_values_to_be_between",
            column="birth_date",
            min_value="1900-01-01",
            max_value="2030-01-01",
        ),
        r("phone_form", "column_values_to_match_regex", column="phone", regex=r"^1[3-9]\d{9}$"),
        r("phone_mostly", "column_values_to_match_regex", column="phone", regex=r"^1[3-9][0-9]{9}$", mostly=0.5),
        r("id_form", "column_values_to_match_regex", column="citizen_id", regex=domain.CITIZEN_ID_FORM),
        r("key_unique_mostly", "column_values_to_be_unique", column="person_id", mostly=0.99),
        d("id_valid", "citizen_id", column="citizen_id"),
        d("org_valid", "uscc", column="org_code"),
        d("region_hebei", "division_code", column="region_code", province="13"),
        d("mobile", "mobile", column="phone"),  # phone_form spells it apart: GX runs identical rules once
        d("born_past", "date_range", column="birth_date", min="1900-01-01", max="today"),
        d("gender_values", "value_set", column="gender", values=["男", "女", "未说明"]),
        d("fresh", "timeliness", column="updated_at"),
        d("id_known", "reference", column="citizen_id", resource="gat_population_register", item="citizen_id"),
    ]


@pytest.fixture
def staged(make_database):
    url = make_database("fused")
    with psycopg.connect(url) as conn:
        domain.install(conn)
        conn.execute(f"CREATE TABLE {STAGING_SCHEMA}.{TABLE} ({COLUMNS})")
        rows = [_row(i) for i in range(1, ROWS + 1)]
        with conn.cursor().copy(f"COPY {STAGING_SCHEMA}.{TABLE} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.execute("CREATE TABLE public.people (citizen_id char(18))")
        conn.execute(
            f"INSERT INTO public.people SELECT citizen_id FROM {STAGING_SCHEMA}.{TABLE} WHERE person_id % 3 > 0"
        )
        conn.execute(f"ANALYZE {STAGING_SCHEMA}.{TABLE}")
    plan = make_plan(["person_id", "citizen_id", "name", "gender", "birth_date"])
    context = CheckContext(
        rows=ROWS, update_cycle="daily", references={("gat_population_register", "citizen_id"): "public.people"}
    )
    checks, skipped = runnables(derived(plan) + _suite(), sql.Identifier(STAGING_SCHEMA, TABLE), context)
    assert not skipped
    return url, checks


def _outcomes(results) -> dict:
    return {r.rule: (r.success, r.element_count, r.unexpected_count, r.error) for r in results}


def test_the_scan_counts_every_rule_as_great_expectations_does(staged):
    url, checks = staged
    table = sql.Identifier(STAGING_SCHEMA, TABLE)
    counted = [fused.compile(c, table) for c in checks]
    assert all(counted), [c.rule.name for c, n in zip(checks, counted, strict=True) if n is None]
    with psycopg.connect(url, options="-c timezone=Asia/Shanghai") as conn:
        ours = _outcomes(fused.run(conn, counted, table, ROWS))
    theirs = _outcomes(gx.run(checks, DatabaseAddress.from_url(url), STAGING_SCHEMA, TABLE, ROWS))
    assert ours == theirs
    # Both could be wrong alike: a few counts, planted by hand.
    assert ours["key_not_null:person_id"][2] == sum(1 for i in range(1, ROWS + 1) if i % 997 == 5)
    assert ours["gender_set"][2] == sum(1 for i in range(1, ROWS + 1) if i % 53 != 0 and i % 71 == 1)
    assert ours["id_valid"][2] > 0 and ours["fresh"][:3] == (False, ROWS, 1)
    failing = {rule for rule, (success, *_rest) in ours.items() if not success}
    assert {"name_mostly", "phone_mostly", "kind_set"}.isdisjoint(failing)  # within `mostly`, or clean
    assert {"gender_set", "base_range", "phone_form", "pair_unique", "id_known", "region_hebei"} <= failing
    assert ours["id_form"][2] == sum(1 for i in range(1, ROWS + 1) if i % 97 == 1)  # BADID


class Counting(psycopg.Connection):
    """A connection that keeps every statement it runs."""

    statements: list[str]

    def execute(self, query, *args, **kwargs):
        self.statements.append(query.as_string(self) if isinstance(query, sql.Composable) else str(query))
        return super().execute(query, *args, **kwargs)


def test_every_row_level_rule_is_counted_in_one_read_of_the_table(staged):
    url, checks = staged
    table = sql.Identifier(STAGING_SCHEMA, TABLE)
    counted = [fused.compile(c, table) for c in checks]
    with Counting.connect(url, options="-c timezone=Asia/Shanghai") as conn:
        conn.statements = []
        fused.run(conn, counted, table, ROWS)
    reads = [s for s in conn.statements if f'"{TABLE}"' in s]
    # The scan; a GROUP BY for the key (asked by key_unique and key_unique_mostly: once) and one
    # for the compound pair; the reference lookup. Nothing twice.
    assert len(reads) == 1 + 2 + 1, reads
    assert len(set(reads)) == len(reads)


def test_a_rule_that_cannot_run_is_reported_alone(staged):
    url, checks = staged
    table = sql.Identifier(STAGING_SCHEMA, TABLE)
    broken = Rule("bad_regex", "expect_column_values_to_match_regex", {"column": "phone", "regex": "(unclosed"})
    [bad] = runnables([broken], table, CheckContext(rows=ROWS))[0]
    with psycopg.connect(url, options="-c timezone=Asia/Shanghai") as conn:
        alone = fused.run(conn, [fused.compile(c, table) for c in checks], table, ROWS)
        results = fused.run(conn, [fused.compile(c, table) for c in [*checks, bad]], table, ROWS)
    assert "regular expression" in results[-1].error and results[-1].unexpected_count is None
    assert not results[-1].success
    assert results[:-1] == alone  # every other rule counted as without it


def test_a_modelled_suite_needs_no_great_expectations():
    probe = (
        "import sys; from pathlib import Path; from govshare.quality import rules; "
        "from tests.integration.test_exchange import make_plan; "
        "rules.for_plan(make_plan(), Path('include/quality')); "
        "print('great_expectations' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_a_rule_the_scan_does_not_model_runs_in_great_expectations(make_database, tmp_path):
    url = make_database("mixed")
    plan = make_plan(["person_id", "citizen_id", "gender"])
    table = plan.staging_table("run")
    with psycopg.connect(url) as conn:
        conn.execute(f"CREATE SCHEMA {STAGING_SCHEMA}")
        conn.execute(
            f"CREATE TABLE {STAGING_SCHEMA}.{table} (person_id bigint, citizen_id char(18), gender varchar(2))"
        )
        rows = [(i, _row(i)[1], "男" if i % 3 else "?") for i in range(1, 31)]
        conn.cursor().executemany(f"INSERT INTO {STAGING_SCHEMA}.{table} VALUES (%s, %s, %s)", rows)
    (tmp_path / "gat_population_register.yaml").write_text(
        "resource: gat_population_register\nrules:\n"
        "  - {name: id_length, expect: column_value_lengths_to_equal, column: citizen_id, value: 18}\n"
        "  - {name: gender_set, expect: column_values_to_be_in_set, column: gender, value_set: [男, 女]}\n"
    )
    report = check(plan, DatabaseAddress.from_url(url), "run", tmp_path, CheckContext(rows=30))
    outcomes = _outcomes(report.results)
    bad_ids = sum(1 for _, number, _ in rows if len(number.strip()) != 18)
    assert outcomes["id_length"] == (bad_ids == 0, 30, bad_ids, None)
    assert outcomes["gender_set"] == (False, 30, 10, None)
    assert [r.rule for r in report.results][-2:] == ["id_length", "gender_set"]  # the suite's order
