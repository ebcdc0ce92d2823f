"""Domain rules for Chinese government data, each one line of YAML in a quality suite:

.. code-block:: yaml

    - {name: id_ok,     rule: citizen_id,    column: citizen_id}        # GB 11643
    - {name: uscc_ok,   rule: uscc,          column: uscc}              # GB 32100
    - {name: region_ok, rule: division_code, column: region_code, province: "13"}   # GB/T 2260
    - {name: mobile_ok, rule: mobile,        column: phone}
    - {name: born_ok,   rule: date_range,    column: birth_date, min: "1900-01-01", max: "2026-12-31"}
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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from govshare.catalog.model import CYCLE_HOURS
from govshare.exchange.plan import STAGING_SCHEMA
from govshare.quality.identifiers import PROVINCES

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


class DomainRuleError(ValueError):
    pass


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
    """A domain rule as GX runs it: either a built-in expectation, or SQL returning the
    rows that break it. ``where`` selects those rows in the staged table (for report samples)."""

    expectation: str
    kwargs: dict
    where: sql.Composable | None


def compile_rule(
    rule: str, column: str, args: dict, update_cycle: str | None = None, reference_table: str | None = None
) -> Compiled:
    col = sql.Identifier(column)
    if rule == "date_range":
        kwargs = {
            "column": column,
            **{f"{k}_value": v for k, v in (("min", args.get("min")), ("max", args.get("max"))) if v},
        }
        return Compiled("expect_column_values_to_be_between", kwargs, None)
    if rule == "value_set":
        return Compiled("expect_column_values_to_be_in_set", {"column": column, "value_set": args["values"]}, None)
    if rule == "mobile":
        return Compiled("expect_column_values_to_match_regex", {"column": column, "regex": r"^1[3-9][0-9]{9}$"}, None)
    if rule == "timeliness":
        hours = CYCLE_HOURS[update_cycle or "daily"] + float(args.get("grace_hours", 0))
        query = sql.SQL(
            "SELECT newest FROM (SELECT max({col}) AS newest FROM {{batch}}) latest "
            "WHERE newest IS NULL OR newest < localtimestamp - make_interval(secs => {secs})"
        ).format(col=col, secs=sql.Literal(hours * 3600))
        return _unexpected(query, None)
    if rule == "reference":
        schema, table = reference_table.split(".")
        # NOT IN, not NOT EXISTS: the left side stays in the outer query, so the staged column
        # needs no table alias (GX names the batch itself) and cannot be mistaken for r's.
        where = sql.SQL(
            "{col} IS NOT NULL AND {col} NOT IN (SELECT r.{item} FROM {ref} r WHERE r.{item} IS NOT NULL)"
        ).format(col=col, ref=sql.Identifier(schema, table), item=sql.Identifier(args["item"]))
        return _unexpected(sql.SQL("SELECT * FROM {batch} WHERE ") + where, where)
    function = {"citizen_id": "is_citizen_id", "uscc": "is_uscc", "division_code": "is_division_code"}[rule]
    call = sql.SQL("{}({}::text").format(sql.Identifier(SCHEMA, function), col)
    if rule == "division_code":
        call += sql.SQL(", {}").format(sql.Literal(str(args.get("province", ""))))
    where = sql.SQL("{} IS NOT NULL AND NOT {})").format(col, call)
    return _unexpected(sql.SQL("SELECT * FROM {batch} WHERE ") + where, where)


def _unexpected(query: sql.Composable, where: sql.Composable | None) -> Compiled:
    # GX puts the staged table where {batch} stands; everything else was quoted by psycopg.
    return Compiled("unexpected_rows_expectation", {"unexpected_rows_query": query.as_string()}, where)


_PROVINCE_LIST = ", ".join(f"'{p}'" for p in sorted(PROVINCES))
FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION {SCHEMA}.is_citizen_id(v text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    weights int[] := ARRAY[7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    total int := 0;
    born date;
BEGIN
    IF v IS NULL OR v !~ '^[0-9]{{17}}[0-9X]$' OR substr(v, 1, 2) NOT IN ({_PROVINCE_LIST}) THEN
        RETURN false;
    END IF;
    BEGIN
        born := to_date(substr(v, 7, 8), 'YYYYMMDD');
    EXCEPTION WHEN others THEN
        RETURN false;
    END;
    -- to_date rolls 0230 over into March: only a date that prints back the same is real
    IF to_char(born, 'YYYYMMDD') <> substr(v, 7, 8) OR born > current_date OR born < DATE '1800-01-01' THEN
        RETURN false;
    END IF;
    FOR i IN 1..17 LOOP
        total := total + substr(v, i, 1)::int * weights[i];
    END LOOP;
    RETURN substr('10X98765432', total % 11 + 1, 1) = substr(v, 18, 1);
END $$;

CREATE OR REPLACE FUNCTION {SCHEMA}.is_uscc(v text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    alphabet text := '0123456789ABCDEFGHJKLMNPQRTUWXY';
    weights int[] := ARRAY[1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    total int := 0;
BEGIN
    IF v IS NULL OR v !~ '^[0-9A-HJ-NPQRTUWXY]{{18}}$' THEN
        RETURN false;
    END IF;
    FOR i IN 1..17 LOOP
        total := total + (strpos(alphabet, substr(v, i, 1)) - 1) * weights[i];
    END LOOP;
    RETURN substr(alphabet, (31 - total % 31) % 31 + 1, 1) = substr(v, 18, 1);
END $$;

CREATE OR REPLACE FUNCTION {SCHEMA}.is_division_code(v text, province text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT v ~ '^[0-9]{{6}}$' AND substr(v, 1, 2) IN ({_PROVINCE_LIST})
        AND (province = '' OR substr(v, 1, 2) = province)
$$;
"""


def install(conn: psycopg.Connection) -> None:
    """The rule functions in the subscriber's database (idempotent; serialised by a lock)."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('govshare.quality.functions'))")
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(SCHEMA)))
    conn.execute(FUNCTIONS)
    conn.commit()
