"""Domain rules for Chinese government data, each one line of YAML in a quality suite:

.. code-block:: yaml

    - {name: id_ok,     rule: citizen_id,    column: citizen_id}        # GB 11643
    - {name: uscc_ok,   rule: uscc,          column: uscc}              # GB 32100
    - {name: region_ok, rule: division_code, column: region_code, province: "13"}   # GB/T 2260
    - {name: mobile_ok, rule: mobile,        column: phone}
    - {name: born_ok,   rule: date_range,    column: birth_date, min: "1900-01-01", max: today}
    - {name: status_ok, rule: value_set,     column: status, values: [存续, 在业, 注销]}
    - {name: rep_known, rule: reference,     column: legal_rep_citizen_id,
       resource: gat_population_register, item: citizen_id}
    - {name: fresh,     rule: timeliness,    column: updated_at}        # within the update cycle

Every rule runs as SQL inside the subscriber's database: the check characters are computed by
small SQL functions govshare installs in the ``govshare_staging`` schema (the same algorithms
as govshare.quality.identifiers, which the tests hold them to). ``reference`` looks the values
up in the subscriber's own delivered copy of the referenced resource (it is skipped when the
subscriber has none, or only a masked one); ``timeliness`` compares the newest value with the
resource's declared update cycle (plus ``grace_hours``), reading timestamps as Asia/Shanghai.
``today`` as a ``date_range`` bound, and "now" for ``timeliness`` and for birth dates in
``citizen_id``, are the platform's clock (govshare.clock) when the check runs; ``citizen_id``
accepts births from 1800-01-01 (identifiers.BORN_AFTER). ``division_code`` accepts only the
GB/T 2260 codes in use in the list govshare ships (govshare.quality.reference), which
``install`` copies into the subscriber's database beside the functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import psycopg
from psycopg import sql

from govshare import clock
from govshare.catalog.model import CYCLE_HOURS
from govshare.errors import DomainRuleError
from govshare.exchange.plan import STAGING_SCHEMA
from govshare.quality.identifiers import (
    BORN_AFTER,
    ID_WEIGHTS,
    NATIONAL_REGION,
    ORG_WEIGHTS,
    PROVINCES,
    USCC_ALPHABET,
    USCC_WEIGHTS,
)
from govshare.quality.reference import divisions

RULES = ("citizen_id", "uscc", "division_code", "mobile", "date_range", "value_set", "reference", "timeliness")
_ARGS = {
    "citizen_id": set(),
    "uscc": set(),
    "division_code": {"province"},
    "mobile": set(),
    "date_range": {"min", "max"},
    "value_set": {"values"},
    "reference": {"resource", "item"},
    "timeliness": {"grace_hours"},
}
_REQUIRED = {"value_set": {"values"}, "reference": {"resource", "item"}}
SCHEMA = STAGING_SCHEMA  # the rule functions live beside the staged data they check
DIVISION_TABLE = "division_codes"  # the GB/T 2260 codes in use, in SCHEMA
HINT = "see the domain rules in govshare/quality/domain.py or the README (Quality rules)"


def check(rule: str, column: Any, args: dict[str, Any]) -> None:
    """DomainRuleError unless ``rule`` with ``args`` is well-formed."""
    if rule not in RULES:
        raise DomainRuleError(f"unknown rule {rule!r}: use one of {', '.join(RULES)}")
    if not isinstance(column, str) or not column:
        raise DomainRuleError(f"rule {rule} needs `column:`")
    unknown = set(args) - _ARGS[rule]
    if unknown:
        raise DomainRuleError(
            f"rule {rule} takes {', '.join(sorted(_ARGS[rule])) or 'no arguments'}, not {', '.join(sorted(unknown))}"
        )
    missing = _REQUIRED.get(rule, set()) - set(args)
    if missing:
        raise DomainRuleError(f"rule {rule} needs {', '.join(sorted(missing))}")
    if rule == "value_set" and not (isinstance(args["values"], list) and args["values"]):
        raise DomainRuleError("value_set needs a non-empty list of values")
    if rule == "division_code" and "province" in args and str(args["province"]) not in PROVINCES:
        raise DomainRuleError(f'province {args["province"]!r} is not a GB/T 2260 province code (e.g. "13")')
    if rule == "date_range" and not ({"min", "max"} & set(args)):
        raise DomainRuleError("date_range needs min, max or both")


@dataclass(frozen=True)
class Compiled:
    """A domain rule as it runs: either a built-in expectation, or SQL returning the rows that
    break it (GX's unexpected-rows expectation). ``where`` selects those rows in the staged
    table (for report samples); ``counted`` is the aggregate over the staged table that counts
    them in the check's one scan (``counted_apart``: in a query of its own, as it reads another
    table; ``lateral``: a join to the staged table that ``counted`` reads, in the scan's FROM)."""

    expectation: str
    kwargs: dict[str, Any]
    where: sql.Composable | None
    counted: sql.Composable | None = None
    counted_apart: bool = False
    lateral: sql.Composable | None = None


def compile_rule(
    rule: str, column: str, args: dict[str, Any], update_cycle: str | None = None, reference_table: str | None = None
) -> Compiled:
    col = sql.Identifier(column)
    if rule == "date_range":
        bounds = {k: clock.today().isoformat() if args.get(k) == "today" else args.get(k) for k in ("min", "max")}
        kwargs = {"column": column, **{f"{k}_value": v for k, v in bounds.items() if v}}
        return Compiled("expect_column_values_to_be_between", kwargs, None)
    if rule == "value_set":
        return Compiled("expect_column_values_to_be_in_set", {"column": column, "value_set": args["values"]}, None)
    if rule == "mobile":
        return Compiled("expect_column_values_to_match_regex", {"column": column, "regex": r"^1[3-9][0-9]{9}$"}, None)
    if rule == "timeliness":
        hours = CYCLE_HOURS[update_cycle or "daily"] + float(args.get("grace_hours", 0))
        # "Now" is the platform's clock in Beijing wall-clock time (GX's session reads naive
        # timestamps as Asia/Shanghai), never the subscriber server's own.
        stale = sql.SQL("{newest} IS NULL OR {newest} < {now}::timestamp - make_interval(secs => {secs})").format(
            newest=sql.SQL("max({})").format(col),
            now=sql.Literal(clock.wall_clock().isoformat()),
            secs=sql.Literal(hours * 3600),
        )
        query = sql.SQL("SELECT max({}) FROM {{batch}} HAVING {}").format(col, stale)
        counted = sql.SQL("CASE WHEN {} THEN 1 ELSE 0 END").format(stale)
        return Compiled(*_unexpected(query), where=None, counted=counted)
    if rule == "reference":
        # check.runnables skips a reference rule the subscriber has no copy for: never None here.
        assert reference_table is not None, "a reference rule needs the subscriber's copy of what it refers to"
        schema, table = reference_table.split(".")
        # NOT IN, not NOT EXISTS: the left side stays in the outer query, so the staged column
        # needs no table alias (GX names the batch itself) and cannot be mistaken for r's.
        where = sql.SQL(
            "{col} IS NOT NULL AND {col} NOT IN (SELECT r.{item} FROM {ref} r WHERE r.{item} IS NOT NULL)"
        ).format(col=col, ref=sql.Identifier(schema, table), item=sql.Identifier(args["item"]))
        return Compiled(
            *_unexpected(sql.SQL("SELECT * FROM {batch} WHERE ") + where), where, _count(where), counted_apart=True
        )
    where = sql.SQL("{} IS NOT NULL AND ").format(col) + _breaks_identifier(rule, col, args)
    compiled = Compiled(*_unexpected(sql.SQL("SELECT * FROM {batch} WHERE ") + where), where, _count(where))
    return _counted_inline(compiled, column) if rule == "citizen_id" else compiled


def _counted_inline(compiled: Compiled, column: str) -> Compiled:
    """A citizen_id rule counted in the scan without calling is_citizen_id: the ID's digits
    (``citizen_id_digits``) are read by the same tests as the function's body (the population
    suite's scan of 2,000,000 rows: 6.1 s against 6.5 s calling the function,
    bench/inline_id_bench.py; the scan stays parallel)."""
    lateral, n, last = citizen_id_digits(column)
    breaks = sql.SQL(_citizen_id_breaks("{n}", "{last}", "{today}")).format(
        n=n, last=last, today=sql.SQL("{}::date").format(sql.Literal(clock.today().isoformat()))
    )
    where = sql.SQL("{} IS NOT NULL AND ({} IS NULL OR {})").format(sql.Identifier(column), n, breaks)
    return replace(compiled, counted=_count(where), lateral=lateral)


def citizen_id_digits(column: str) -> tuple[sql.Composable, sql.Composable, sql.Composable]:
    """A lateral subquery that turns each ID in ``column`` into its first 17 digits as one
    bigint, ``N`` (NULL unless the value has the ID's form, CITIZEN_ID_FORM), and its 18th
    character, ``C``: the join and the two names. Every rule of the scan that reads the same
    column's digits shares the one join (govshare.quality.fused). The subquery's names cannot
    be a catalogue column's (those are lower case)."""
    digits = sql.Identifier(f"ID {column}")
    v = sql.SQL("{}::text").format(sql.Identifier(column))
    lateral = sql.SQL(
        'LEFT JOIN LATERAL (SELECT CASE WHEN {form} THEN substr({v}, 1, 17)::bigint END AS "N",'
        ' substr({v}, 18, 1) AS "C") AS {digits} ON true'
    ).format(form=sql.SQL(_citizen_id_form("{v}")).format(v=v), v=v, digits=digits)
    n, last = (sql.SQL("{}.{}").format(digits, sql.Identifier(name)) for name in ("N", "C"))
    return lateral, n, last


def _breaks_identifier(rule: str, col: sql.Composable, args: dict[str, Any]) -> sql.Composable:
    """The condition a non-null value breaks: its rule function says no, or (a division code)
    it is not in the list of codes in use, or not under the province asked for."""
    if rule == "division_code":
        # An uncorrelated NOT IN over a small table is a hashed subplan: each process of the
        # scan (parallel workers too) hashes the 3,000-odd codes once, then probes once a row
        # (2,000,000 rows: 0.4 s; with is_division_code's form check as well, 0.8 s, and the
        # list holds only well-formed codes). No NULL codes, so NOT IN is safe.
        listed = sql.SQL("{}::text NOT IN (SELECT code FROM {})").format(col, sql.Identifier(SCHEMA, DIVISION_TABLE))
        if not args.get("province"):
            return listed
        return sql.SQL("({} OR left({}::text, 2) <> {})").format(listed, col, sql.Literal(str(args["province"])))
    function = {"citizen_id": "is_citizen_id", "uscc": "is_uscc"}[rule]
    call = sql.SQL("{}({}::text").format(sql.Identifier(SCHEMA, function), col)
    if rule == "citizen_id":
        call += sql.SQL(", {}::date").format(sql.Literal(clock.today().isoformat()))
    return sql.SQL("NOT {})").format(call)


def _unexpected(query: sql.Composable) -> tuple[str, dict[str, Any]]:
    # GX puts the staged table where {batch} stands; everything else was quoted by psycopg.
    return "unexpected_rows_expectation", {"unexpected_rows_query": query.as_string()}


def _count(where: sql.Composable) -> sql.Composable:
    return sql.SQL("count(*) FILTER (WHERE {})").format(where)


_PROVINCE_NUMBERS = ", ".join(sorted(PROVINCES))
_PROVINCE_LIST = ", ".join(f"'{p}'" for p in sorted(PROVINCES))
_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # a GB 11714 character's value is its place here


def _consecutive(alphabet: str) -> str:
    """The characters from "0" on, one per letter of ``alphabet``: translate() to these, and a
    character's byte minus 48 is its place in the alphabet (one get_byte instead of substr and
    strpos: 2,000,000 codes in 4 s instead of 6 s, as fast as the check before it checked the
    organisation code). None of them is a quote (the alphabets have under 39 letters)."""
    return "".join(chr(48 + i) for i in range(len(alphabet)))


def _weighted(weights: tuple[int, ...], digit: Callable[[int], str]) -> str:
    """SQL summing ``digit(i)`` (the value at position i, from 1) times each position's weight,
    written out term by term."""
    return " + ".join(f"{digit(i)} * {w}" for i, w in enumerate(weights, start=1))


# The form of an 18-character citizen ID, as a regex; _citizen_id_form is the same test.
CITIZEN_ID_FORM = "^[0-9]{17}[0-9X]$"


def _citizen_id_form(v: str) -> str:
    """SQL true when the text ``v`` matches CITIZEN_ID_FORM: 17 ASCII digits and a digit or X
    (``ltrim(v, digits)`` is the digit test: PostgreSQL's regex engine costs twice as much)."""
    return f"octet_length({v}) = 18 AND ltrim({v}, '0123456789') IN ('', 'X')"


def _citizen_id_breaks(n: str, last: str, today: str) -> str:
    """SQL true when an ID of the right form breaks GB 11643, given ``n``, its first 17 digits
    as one bigint, ``last``, its 18th character, and ``today``: an unknown province, a birth
    date that is not a date, before BORN_AFTER or after today, or a wrong check character.
    CASE, not OR, keeps make_date from seeing an impossible date (OR's order is not promised)."""
    y, m, d = f"({n} / 10000000 % 10000)", f"({n} / 100000 % 100)", f"({n} / 1000 % 100)"
    leap = f"{y} % 4 = 0 AND ({y} % 100 <> 0 OR {y} % 400 = 0)"
    days = f"CASE WHEN {m} = 2 THEN CASE WHEN {leap} THEN 29 ELSE 28 END WHEN {m} IN (4, 6, 9, 11) THEN 30 ELSE 31 END"
    checksum = _weighted(ID_WEIGHTS, lambda i: f"({n} / {10 ** (17 - i)} % 10)")
    return (
        f"CASE WHEN {n} / 1000000000000000 NOT IN ({_PROVINCE_NUMBERS}) OR {y} < {BORN_AFTER.year}"
        f" OR {m} NOT BETWEEN 1 AND 12 OR {d} NOT BETWEEN 1 AND ({days}) THEN true"
        f" ELSE make_date({y}::int, {m}::int, {d}::int) > {today}"
        f" OR substr('10X98765432', ({checksum})::int % 11 + 1, 1) <> {last} END"
    )


# PL/pgSQL, not LANGUAGE sql: PostgreSQL inlines a SQL function and then evaluates the argument
# afresh at every place the body names it (25 times a row for a char(18) column's cast to
# text), and it has no variables to keep the 17 digits in. Here the value arrives once and the
# digits become one bigint; integer arithmetic does the rest (2,000,000 IDs: 6.0 s as an
# inlined SQL function, 1.9 s so). No EXCEPTION block (PostgreSQL cannot run a subtransaction
# in a parallel worker, and large tables are checked in parallel) and no clock (the check
# passes today's date in, from govshare.clock), so IMMUTABLE and PARALLEL SAFE are true.
# The scan counts citizen IDs with the same tests written inline (_counted_inline): the
# function picks the sample rows and serves Great Expectations.
FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION {SCHEMA}.is_citizen_id(v text, today date) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    n bigint;  -- the first 17 digits
BEGIN
    IF v IS NULL OR NOT ({_citizen_id_form("v")}) THEN
        RETURN false;
    END IF;
    n := substr(v, 1, 17)::bigint;
    RETURN NOT ({_citizen_id_breaks("n", "substr(v, 18, 1)", "today")});
END
$$;

CREATE OR REPLACE FUNCTION {SCHEMA}.is_uscc(v text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    r int;  -- the registering authority's division code, positions 3-8
    u bytea;  -- each character as 48 + its place in the USCC alphabet
    o bytea;  -- the organisation code's first 8, each as 48 + its GB 11714 value
BEGIN
    -- All 18 in the alphabet (rtrim leaves nothing), one byte each, positions 3-8 digits;
    -- position 17 is [0-9X] when its check below holds.
    IF v IS NULL OR octet_length(v) <> 18 OR rtrim(v, '{USCC_ALPHABET}') <> ''
        OR ltrim(substr(v, 3, 6), '0123456789') <> '' THEN
        RETURN false;
    END IF;
    r := substr(v, 3, 6)::int;
    IF r / 10000 NOT IN ({_PROVINCE_NUMBERS}) AND r <> {int(NATIONAL_REGION)} THEN
        RETURN false;
    END IF;
    u := convert_to(translate(v, '{USCC_ALPHABET}', '{_consecutive(USCC_ALPHABET)}'), 'SQL_ASCII');
    o := convert_to(translate(substr(v, 9, 8), '{_BASE36}', '{_consecutive(_BASE36)}'), 'SQL_ASCII');
    -- GB 11714: the organisation code's check character (10 is X, 11 is 0); then GB 32100's,
    -- which holds when the weighted sum plus the check character's place is a multiple of 31.
    RETURN substr('0123456789X0', 12 - ({_weighted(ORG_WEIGHTS, lambda i: f"get_byte(o, {i - 1})")}
                                       - {48 * sum(ORG_WEIGHTS)}) % 11, 1) = substr(v, 17, 1)
        AND ({_weighted(USCC_WEIGHTS, lambda i: f"get_byte(u, {i - 1})")}
             - {48 * sum(USCC_WEIGHTS)} + get_byte(u, 17) - 48) % 31 = 0;
END
$$;

CREATE OR REPLACE FUNCTION {SCHEMA}.is_division_code(v text, province text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN v IS NOT NULL AND octet_length(v) = 6 AND ltrim(v, '0123456789') = ''
        AND substr(v, 1, 2) IN ({_PROVINCE_LIST}) AND (province = '' OR substr(v, 1, 2) = province);
END
$$;
"""
# Earlier versions: the citizen_id function took one argument (and read current_date).
_DROPPED = f"DROP FUNCTION IF EXISTS {SCHEMA}.is_citizen_id(text);"


def install(conn: psycopg.Connection) -> None:
    """The rule functions and the division code list in the subscriber's database
    (idempotent; serialised by a lock)."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('govshare.quality.functions'))")
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(SCHEMA)))
    conn.execute(_DROPPED)
    conn.execute(FUNCTIONS)
    _install_divisions(conn)
    conn.commit()


def _install_divisions(conn: psycopg.Connection) -> None:
    """The shipped GB/T 2260 list as a table, loaded only when missing or of another version
    (kept as the table's comment): every check calls install, and this costs it one query."""
    listed = divisions()
    name = f"{SCHEMA}.{DIVISION_TABLE}"
    found = conn.execute("SELECT obj_description(to_regclass(%s), 'pg_class')", (name,)).fetchone()
    if found is not None and found[0] == listed.version:
        return
    table = sql.Identifier(SCHEMA, DIVISION_TABLE)
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
    # parallel_workers = 0: a list this small is never worth a parallel scan, and a subplan
    # that is one (a Gather) cannot run inside the check's parallel workers, which would then
    # hand every staged row to the leader to count (forced parallel plans, as in the tests, do that).
    conn.execute(
        sql.SQL("CREATE TABLE {} (code text PRIMARY KEY, name text NOT NULL) WITH (parallel_workers = 0)").format(table)
    )
    with conn.cursor().copy(sql.SQL("COPY {} (code, name) FROM STDIN").format(table)) as copy:
        for row in listed.rows:
            copy.write_row(row)
    conn.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(table, sql.Literal(listed.version)))
    conn.execute(sql.SQL("ANALYZE {}").format(table))  # the planner then knows the list fits a hash
