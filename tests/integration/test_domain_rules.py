"""Domain rules on valid and invalid values: the SQL functions inside PostgreSQL against the
Python implementations and the standards' published samples, and each rule run as a check on
a real staged table."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from govshare import clock
from govshare.exchange.address import DatabaseAddress
from govshare.exchange.plan import STAGING_SCHEMA
from govshare.quality import domain, reference
from govshare.quality.check import CheckContext, check
from govshare.quality.identifiers import (
    citizen_id,
    has_division_code_form,
    is_citizen_id,
    is_division_code,
    is_uscc,
    uscc,
)
from tests.integration.test_exchange import make_plan
from tests.unit.test_types_and_identifiers import (
    FULL_WIDTH,
    STDNUM_RIC,
    generated_citizen_ids,
    generated_usccs,
    stdnum_usccs,
)

VALID_IDS = ["11010519491231002X", "440524188001010014", citizen_id("130102", date(1985, 3, 7), 1)]
INVALID_IDS = [
    "110105194912310021",  # wrong check character
    "11010519491331002X",  # month 13
    "11010520990101002X",  # born in the future (and a wrong check character would not matter)
    "990105194912310027",  # no such province
    "1101051949123100",  # too short
    "11010519491231002x",  # lower-case x
    "11010519490230002X",  # 30 February
]
VALID_USCC = ["9144030071526726XG", "91330100799655058B", "91110108551385082Q", "91110000600037341L"]
VALID_USCC += ["11100000000013127D"]  # registered by the central government: 100000
INVALID_USCC = ["9144030071526726XH", "9144030071526726IG", "91440300715267", "9144030071526726xg"]
INVALID_USCC += ["91110000600037342P", "UK2KF7X3F9CJW1P2MT"]  # organisation code 60003734-2; no division


@pytest.fixture
def sub(make_database):
    url = make_database("rules")
    with psycopg.connect(url) as conn:
        domain.install(conn)
    return url


def sql_says(url: str, function: str, value: str, *args) -> bool:
    with psycopg.connect(url) as conn:
        extra = "".join(", %s" for _ in args)
        return conn.execute(f"SELECT {STAGING_SCHEMA}.{function}(%s{extra})", (value, *args)).fetchone()[0]


def test_citizen_id_numbers(sub):
    today = clock.today()
    for number in VALID_IDS:
        assert is_citizen_id(number) and sql_says(sub, "is_citizen_id", number, today), number
    for number in INVALID_IDS:
        assert not is_citizen_id(number) and not sql_says(sub, "is_citizen_id", number, today), number


def test_a_birth_date_is_judged_against_the_day_given():
    born_tomorrow = citizen_id("130102", clock.today() + timedelta(days=1), 1)
    assert not is_citizen_id(born_tomorrow)
    assert is_citizen_id(born_tomorrow, today=clock.today() + timedelta(days=1))


def test_the_rule_functions_are_what_their_labels_say(sub):
    """IMMUTABLE and PARALLEL SAFE are promises PostgreSQL acts on: a function that reads the
    clock or needs a subtransaction (an EXCEPTION block) breaks them, and fails in a parallel
    worker — which the test databases force on every query, large or small."""
    with psycopg.connect(sub) as conn:
        functions = conn.execute(
            "SELECT p.proname, p.provolatile, p.proparallel, lower(p.prosrc) FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %s ORDER BY 1",
            (STAGING_SCHEMA,),
        ).fetchall()
        assert [f[0] for f in functions] == ["is_citizen_id", "is_division_code", "is_uscc"]
        for name, volatility, parallel, source in functions:
            assert (volatility, parallel) == ("i", "s"), name
            for impure in ("exception", "current_date", "now()", "localtimestamp", "clock_timestamp", "random("):
                assert impure not in source, (name, impure)
        conn.execute("CREATE TABLE sample (v text)")
        conn.cursor().executemany("INSERT INTO sample VALUES (%s)", [(v,) for v in VALID_IDS + INVALID_IDS])
        counts = conn.execute(
            f"SELECT count(*) FILTER (WHERE {STAGING_SCHEMA}.is_citizen_id(v, %s)), "
            f"count(*) FILTER (WHERE {STAGING_SCHEMA}.is_uscc(v)), "
            f"count(*) FILTER (WHERE {STAGING_SCHEMA}.is_division_code(substr(v, 1, 6), '13')) FROM sample",
            (clock.today(),),
        ).fetchone()
        values = VALID_IDS + INVALID_IDS
        assert counts == (
            len(VALID_IDS),
            sum(map(is_uscc, values)),
            sum(has_division_code_form(v[:6], "13") for v in values),
        )
        plan = "\n".join(r[0] for r in conn.execute(f"EXPLAIN SELECT {STAGING_SCHEMA}.is_uscc(v) FROM sample"))
        assert "Gather" in plan  # it did run in a parallel worker


def test_unified_social_credit_codes(sub):
    for code in VALID_USCC:
        assert is_uscc(code) and sql_says(sub, "is_uscc", code), code
    for code in INVALID_USCC:
        assert not is_uscc(code) and not sql_says(sub, "is_uscc", code), code


def test_division_code_forms(sub):
    """The SQL function checks a code's form (the rule adds the list: the next test)."""
    assert sql_says(sub, "is_division_code", "130102", "13") and has_division_code_form("130102", "13")
    assert not sql_says(sub, "is_division_code", "110102", "13") and not has_division_code_form("110102", "13")
    assert not sql_says(sub, "is_division_code", "990102", "") and not has_division_code_form("990102")
    assert not sql_says(sub, "is_division_code", "13010", "") and not has_division_code_form("13010")


def breaking(url: str, rule: str, values: list[str], **args) -> set[str]:
    """The values the compiled rule counts as breaking it, staged as char(n) as a delivery stages them."""
    where = domain.compile_rule(rule, "v", args).where
    width = max(len(v) for v in values)
    with psycopg.connect(url) as conn:
        conn.execute(f"CREATE TEMP TABLE staged (v char({width}))")
        with conn.cursor().copy("COPY staged (v) FROM STDIN") as copy:
            for value in values:
                copy.write_row((value,))
        return {r[0].rstrip() for r in conn.execute(sql.SQL("SELECT v FROM staged WHERE ") + where)}


def test_the_division_code_rule_accepts_only_codes_in_use(sub):
    codes = sorted(reference.divisions().codes)
    strays = ["139999", "130199", "130101", "130171", "990102", "13010", "13０１０２", "1301O2"]
    values = codes + strays
    assert breaking(sub, "division_code", values) == {v for v in values if not is_division_code(v)} == set(strays)
    in_hebei = {v for v in values if v.startswith("13") and v not in strays}
    assert breaking(sub, "division_code", values, province="13") == set(values) - in_hebei


def test_only_ascii_digits_are_digits_in_sql_as_in_python(sub):
    today = clock.today()
    for number in ("110105１９４９1231002X", "11010519491231002X".translate(FULL_WIDTH)):
        assert not is_citizen_id(number) and not sql_says(sub, "is_citizen_id", number, today)
    assert not has_division_code_form("13０１０２") and not sql_says(sub, "is_division_code", "13０１０２", "13")
    wide = "91110000600037341L".translate(FULL_WIDTH)
    assert not is_uscc(wide) and not sql_says(sub, "is_uscc", wide)
    assert breaking(sub, "division_code", ["130102", "13０１０２"], province="13") == {"13０１０２"}


def test_the_division_list_is_loaded_once_and_again_when_it_changes(sub):
    listed = reference.divisions()
    table = f"{STAGING_SCHEMA}.{domain.DIVISION_TABLE}"

    def state(conn) -> tuple:
        return conn.execute(
            f"SELECT %s::regclass::oid, obj_description(%s::regclass, 'pg_class'), count(*) FROM {table}",
            (table, table),
        ).fetchone()

    with psycopg.connect(sub) as conn:
        first = state(conn)
        assert first[1:] == (listed.version, len(listed.rows)) and listed.version.startswith(reference.AS_OF)
        domain.install(conn)
        assert state(conn) == first  # the same version: left as it is
        conn.execute(f"COMMENT ON TABLE {table} IS 'an earlier list'")
        conn.execute(f"DELETE FROM {table} WHERE code = '130102'")
        conn.commit()
        domain.install(conn)
        again = state(conn)
        assert again[1:] == first[1:] and again[0] != first[0]
        assert conn.execute(f"SELECT name FROM {table} WHERE code = '130102'").fetchone() == ("长安区",)


def test_the_division_rule_is_a_hashed_lookup_inside_the_parallel_scan_of_two_million_rows(make_database):
    """The list is a hashed subplan each parallel worker builds for itself: the workers count
    their rows and hand the leader one partial count each, as for every other rule of the scan."""
    url = make_database("parallel")
    with psycopg.connect(url) as conn:
        domain.install(conn)
        conn.execute(
            f"CREATE TABLE {STAGING_SCHEMA}.big AS SELECT (ARRAY['130102', '139999', '130199', '110102'])"
            "[1 + g % 4]::char(6) AS region_code FROM generate_series(1, 2000000) g"
        )
        conn.execute(f"ANALYZE {STAGING_SCHEMA}.big")
        for setting in ("parallel_setup_cost", "parallel_tuple_cost", "min_parallel_table_scan_size"):
            conn.execute(f"SET {setting} = 0")
        rule = domain.compile_rule("division_code", "region_code", {"province": "13"})
        scan = sql.SQL("SELECT {} FROM {}").format(rule.counted, sql.Identifier(STAGING_SCHEMA, "big"))
        plan = "\n".join(r[0] for r in conn.execute(sql.SQL("EXPLAIN (VERBOSE) ") + scan))
        assert "hashed SubPlan" in plan and "Partial Aggregate" in plan and "Parallel Seq Scan" in plan, plan
        assert plan.index("Gather") < plan.index("Partial Aggregate")  # counted in the workers
        assert conn.execute(scan).fetchone() == (1500000,)


def test_citizen_ids_are_counted_inline_inside_the_parallel_scan(make_database):
    """The scan reads each ID's digits once from a lateral subquery that the planner folds into
    the scan: no function call, and the workers still count their own rows."""
    url = make_database("parallel_ids")
    ids = [VALID_IDS[0], INVALID_IDS[0], INVALID_IDS[4]]
    with psycopg.connect(url) as conn:
        domain.install(conn)
        conn.execute(
            f"CREATE TABLE {STAGING_SCHEMA}.big AS SELECT (%s::text[])[1 + g %% 3]::char(18) AS citizen_id"
            " FROM generate_series(1, 300000) g",
            (ids,),
        )
        conn.execute(f"ANALYZE {STAGING_SCHEMA}.big")
        for setting in ("parallel_setup_cost", "parallel_tuple_cost", "min_parallel_table_scan_size"):
            conn.execute(f"SET {setting} = 0")
        rule = domain.compile_rule("citizen_id", "citizen_id", {})
        scan = sql.SQL("SELECT {} FROM {} {}").format(rule.counted, sql.Identifier(STAGING_SCHEMA, "big"), rule.lateral)
        plan = "\n".join(r[0] for r in conn.execute(sql.SQL("EXPLAIN (VERBOSE) ") + scan))
        assert "Partial Aggregate" in plan and "Parallel Seq Scan" in plan and "is_citizen_id" not in plan, plan
        assert plan.index("Gather") < plan.index("Partial Aggregate")
        assert conn.execute(scan).fetchone() == (200000,)


def test_sql_and_python_agree_on_thousands_of_numbers_python_stdnum_judged_too(sub):
    """The generated numbers and variants the unit tests compare with python-stdnum, and
    stdnum's own valid samples: the SQL functions say what the Python ones say of each."""
    rng = random.Random(160)
    ids = [n for _, n in generated_citizen_ids(rng, 3000)] + STDNUM_RIC + ["11010519491231002x"]
    codes = [c for _, c in generated_usccs(rng, 600)] + stdnum_usccs()
    with psycopg.connect(sub) as conn:
        said = dict(
            conn.execute(
                f"SELECT v, {STAGING_SCHEMA}.is_citizen_id(v, %s) FROM unnest(%s::text[]) v", (clock.today(), ids)
            ).fetchall()
        )
        assert [n for n in ids if said[n] != is_citizen_id(n)] == []
        # The scan counts citizen IDs without the function (the same tests, inline): per value, too.
        rule = domain.compile_rule("citizen_id", "citizen_id", {})
        assert rule.lateral is not None
        conn.execute("CREATE TEMP TABLE ids AS SELECT DISTINCT v AS citizen_id FROM unnest(%s::text[]) v", (ids,))
        counted = sql.SQL("SELECT citizen_id, {} FROM ids {} GROUP BY citizen_id").format(rule.counted, rule.lateral)
        broken = {n for n, count in conn.execute(counted) if count}
        assert [n for n in set(ids) if (n in broken) == is_citizen_id(n)] == []
        said = dict(conn.execute(f"SELECT v, {STAGING_SCHEMA}.is_uscc(v) FROM unnest(%s::text[]) v", (codes,)))
        assert [c for c in codes if said[c] != is_uscc(c)] == []
        assert sum(said.values()) >= 800  # valid ones among them, not only broken


def test_the_citizen_id_form_read_from_the_digits_is_the_regex(sub):
    """A regex rule of the ID's form is counted from the digits join, with no regex run: per
    value, it says what PostgreSQL's regex says, on IDs and their near misses."""
    ids = [n for _, n in generated_citizen_ids(random.Random(11), 300)] + VALID_IDS + INVALID_IDS
    near = ["11010519491231002x", "1101051949123100X2", "11010519491231002", "1101051949123100211"]
    near += [
        "11010519491231002X\n",
        " 11010519491231002X",
        "11010519491231002X ",
        "11010519491231002X".translate(FULL_WIDTH),
        "",
    ]
    lateral, n, _ = domain.citizen_id_digits("citizen_id")
    with psycopg.connect(sub) as conn:
        conn.execute("CREATE TEMP TABLE ids AS SELECT v AS citizen_id FROM unnest(%s::text[]) v", (ids + near,))
        query = sql.SQL("SELECT citizen_id, {} IS NOT NULL, citizen_id ~ {} FROM ids {}").format(
            n, sql.Literal(domain.CITIZEN_ID_FORM), lateral
        )
        read = conn.execute(query).fetchall()
    assert [v for v, form, regex in read if form != regex] == []
    assert sum(form for _, form, _ in read) >= 300 and {v for v, form, _ in read if not form} >= set(near)


def test_sql_and_python_agree_on_a_thousand_generated_values(sub):
    rng = random.Random(7)
    values = []
    for _ in range(500):
        number = citizen_id(
            rng.choice(["130102", "110105", "440524"]),
            date(1930, 1, 1) + timedelta(days=rng.randrange(30000)),
            rng.randrange(1000),
        )
        values.append(number if rng.random() < 0.5 else number[:17] + rng.choice("0123456789X"))
    codes = [uscc("130102", f"{rng.randrange(10**8):08d}") for _ in range(300)]
    codes += [c[:17] + rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for c in codes[:200]]
    with psycopg.connect(sub) as conn:
        for number in values:
            found = conn.execute(f"SELECT {STAGING_SCHEMA}.is_citizen_id(%s, %s)", (number, clock.today())).fetchone()
            assert found[0] == is_citizen_id(number)
        for code in codes:
            assert conn.execute(f"SELECT {STAGING_SCHEMA}.is_uscc(%s)", (code,)).fetchone()[0] == is_uscc(code)


@pytest.mark.parametrize(
    ("rule", "args", "bad"),
    [
        ("citizen_id", {}, 2),
        ("division_code", {"province": "13"}, 1),
        ("mobile", {}, 1),
        ("date_range", {"min": "1900-01-01", "max": "2026-12-31"}, 2),  # 1880 and 2030
        ("date_range", {"max": "today"}, 1),  # row 3, born after today
        ("value_set", {"values": ["男", "女"]}, 1),
        ("timeliness", {"grace_hours": 1}, 1),
        ("reference", {"resource": "gat_population_register", "item": "citizen_id"}, 1),
    ],
)
def test_each_domain_rule_runs_as_a_check(make_database, tmp_path: Path, rule, args, bad):
    url = make_database("staged")
    plan = make_plan(["person_id", "citizen_id", "gender", "birth_date", "region_code", "phone", "updated_at"])
    table = plan.staging_table("run")
    now = clock.wall_clock() if rule != "timeliness" else datetime(2020, 1, 1)
    future = max(date(2030, 1, 1), clock.today() + timedelta(days=1))  # after today on any date
    rows = [
        (1, "11010519491231002X", "男", date(1949, 12, 31), "130102", "13812345678", now),
        (2, "440524188001010014", "女", date(1880, 1, 1), "130104", "15912345678", now),
        (3, "110105194912310021", "未知", future, "110102", "12345", now),  # breaks each rule
        (4, "BAD", "男", date(1990, 1, 1), "130105", None, now),
    ]
    column = {
        "citizen_id": "citizen_id",
        "division_code": "region_code",
        "mobile": "phone",
        "date_range": "birth_date",
        "value_set": "gender",
        "timeliness": "updated_at",
        "reference": "citizen_id",
    }[rule]
    with psycopg.connect(url) as conn:
        conn.execute(f"CREATE SCHEMA {STAGING_SCHEMA}")
        conn.execute(
            f"CREATE TABLE {STAGING_SCHEMA}.{table} (person_id bigint, citizen_id char(18), gender varchar(2), "
            "birth_date date, region_code char(6), phone varchar(20), updated_at timestamp)"
        )
        conn.cursor().executemany(f"INSERT INTO {STAGING_SCHEMA}.{table} VALUES (%s, %s, %s, %s, %s, %s, %s)", rows)
        conn.execute("CREATE TABLE public.people (citizen_id char(18))")
        conn.cursor().executemany("INSERT INTO public.people VALUES (%s)", [(rows[0][1],), (rows[1][1],), ("BAD",)])
    flow = ", ".join(f"{k}: {v!r}" if not isinstance(v, list) else f"{k}: [{', '.join(v)}]" for k, v in args.items())
    (tmp_path / "gat_population_register.yaml").write_text(
        "resource: gat_population_register\nrules:\n"
        f"  - {{name: the_rule, rule: {rule}, column: {column}{', ' + flow if flow else ''}}}\n"
    )
    context = CheckContext(
        rows=4, update_cycle="daily", references={("gat_population_register", "citizen_id"): "public.people"}
    )
    report = check(plan, DatabaseAddress.from_url(url), "run", tmp_path, context)
    [result] = [r for r in report.results if r.rule == "the_rule"]
    assert (result.success, result.unexpected_count) == (False, bad), result
    if rule != "timeliness":
        samples = report.samples["the_rule"]
        assert len(samples) == bad and 3 in [int(s["person_id"]) for s in samples]
        assert all(s.get("citizen_id") in (None, "BAD") or "*" in s["citizen_id"] for s in samples)  # masked
