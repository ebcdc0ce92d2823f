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
``citizen_id``, are the platform's clock (govshare.clock) when the check runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from govshare import clock
from govshare.catalog.model import CYCLE_HOURS
from govshare.errors import DomainRuleError
from govshare.exchange.plan import STAGING_SCHEMA
from govshare.quality.identifiers import BORN_AFTER, ID_WEIGHTS, PROVINCES, USCC_ALPHABET, USCC_WEIGHTS

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
HINT = "see the domain rules in govshare/quality/domain.py or the README (Quality rules)"


def check(rule: str, column: Any, args: dict) -> None:
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
    them in the check's one scan (``counted_apart``: in a query of its own, as it reads another table)."""

    expectation: str
    kwargs: dict
    where: sql.Composable | None
    counted: sql.Composable | None = None
    counted_apart: bool = False


def compile_rule(
    rule: str, column: str, args: dict, update_cycle: str | None = None, reference_table: str | None = None
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
        schema, table = reference_table.split(".")
        # NOT IN, not NOT EXISTS: the left side stays in the outer query, so the staged column
        # needs no table alias (GX names the batch itself) and cannot be mistaken for r's.
        where = sql.SQL(
            "{col} IS NOT NULL AND {col} NOT IN (SELECT r.{item} FROM {ref} r WHERE r.{item} IS NOT NULL)"
        ).format(col=col, ref=sql.Identifier(schema, table), item=sql.Identifier(args["item"]))
        return Compiled(
            *_unexpected(sql.SQL("SELECT * FROM {batch} WHERE ") + where), where, _count(where), counted_apart=True
        )
    function = {"citizen_id": "is_citizen_id", "uscc": "is_uscc", "division_code": "is_division_code"}[rule]
    call = sql.SQL("{}({}::text").format(sql.Identifier(SCHEMA, function), col)
    if rule == "citizen_id":
        call += sql.SQL(", {}::date").format(sql.Literal(clock.today().isoformat()))
    if rule == "division_code":
        call += sql.SQL(", {}").format(sql.Literal(str(args.get("province", ""))))
    where = sql.SQL("{} IS NOT NULL AND NOT {})").format(col, call)
    return Compiled(*_unexpected(sql.SQL("SELECT * FROM {batch} WHERE ") + where), where, _count(where))


def _unexpected(query: sql.Composable) -> tuple[str, dict]:
    # GX puts the staged table where {batch} stands; everything else was quoted by psycopg.
    return "unexpected_rows_expectation", {"unexpected_rows_query": query.as_string()}


def _count(where: sql.Composable) -> sql.Composable:
    return sql.SQL("count(*) FILTER (WHERE {})").format(where)


_PROVINCE_NUMBERS = ", ".join(sorted(PROVINCES))
_PROVINCE_LIST = ", ".join(f"'{p}'" for p in sorted(PROVINCES))


def _weighted(weights: tuple[int, ...], digit: Callable[[int], str]) -> str:
    """SQL summing ``digit(i)`` (the value at position i, from 1) times each position's weight,
    written out term by term."""
    return " + ".join(f"{digit(i)} * {w}" for i, w in enumerate(weights, start=1))


# PL/pgSQL, not LANGUAGE sql: PostgreSQL inlines a SQL function and then evaluates the argument
# afresh at every place the body names it (25 times a row for a char(18) column's cast to
# text), and it has no variables to keep the 17 digits in. Here the value arrives once and the
# digits become one bigint; integer arithmetic does the rest (2,000,000 IDs: 6.0 s as an
# inlined SQL function, 1.9 s so). No EXCEPTION block (PostgreSQL cannot run a subtransaction
# in a parallel worker, and large tables are checked in parallel) and no clock (the check
# passes today's date in, from govshare.clock), so IMMUTABLE and PARALLEL SAFE are true.
# ``ltrim(v, digits)`` is the ASCII-digit test: PostgreSQL's regex engine costs twice as much.
FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION {SCHEMA}.is_citizen_id(v text, today date) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    n bigint;  -- the first 17 digits
    y int; m int; d int;  -- the birth date's
BEGIN
    IF v IS NULL OR octet_length(v) <> 18 OR ltrim(v, '0123456789') NOT IN ('', 'X') THEN
        RETURN false;
    END IF;
    n := substr(v, 1, 17)::bigint;
    y := n / 10000000 % 10000;
    m := n / 100000 % 100;
    d := n / 1000 % 100;
    IF n / 1000000000000000 NOT IN ({_PROVINCE_NUMBERS}) OR y < {BORN_AFTER.year} OR m NOT BETWEEN 1 AND 12
        OR d NOT BETWEEN 1 AND (CASE WHEN m = 2 THEN CASE WHEN y % 4 = 0 AND (y % 100 <> 0 OR y % 400 = 0)
                                                          THEN 29 ELSE 28 END
                                     WHEN m IN (4, 6, 9, 11) THEN 30 ELSE 31 END) THEN
        RETURN false;
    END IF;
    RETURN make_date(y, m, d) <= today
        AND substr('10X98765432', ({
    _weighted(ID_WEIGHTS, lambda i: f"(n / {10 ** (17 - i)} % 10)")
})::int % 11 + 1, 1) = substr(v, 18, 1);
END
$$;

CREATE OR REPLACE FUNCTION {SCHEMA}.is_uscc(v text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN v IS NOT NULL AND v ~ '^[0-9A-HJ-NPQRTUWXY]{{18}}$'
        AND substr('{USCC_ALPHABET}', (31 - ({
    _weighted(USCC_WEIGHTS, lambda i: f"(strpos('{USCC_ALPHABET}', substr(v, {i}, 1)) - 1)")
}) % 31) % 31 + 1, 1) = substr(v, 18, 1);
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
    """The rule functions in the subscriber's database (idempotent; serialised by a lock)."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('govshare.quality.functions'))")
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(SCHEMA)))
    conn.execute(_DROPPED)
    conn.execute(FUNCTIONS)
    conn.commit()
