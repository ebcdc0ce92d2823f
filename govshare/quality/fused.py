"""A suite run as one scan of the staged table.

Great Expectations compiles each expectation to queries of its own, so a suite of twenty rules
reads the staged table twenty-odd times (some rules more than once, and a sample query even
for rules that found nothing). Here every row-level rule becomes one aggregate of a single
``SELECT``: ``count(*) FILTER (WHERE <the row breaks the rule>)``, beside the counts each rule
is judged against, so PostgreSQL reads the table once, in parallel. Uniqueness needs a
``GROUP BY`` of its own and references a lookup in another table: each is one more query.

The counts follow Great Expectations' own definitions, so a report reads the same whichever
runs a rule (tests/integration/test_fused_checks.py holds the two to it on the shipped suites):
a column map expectation judges the non-null values (``mostly`` of them must conform), the
not-null expectation judges every row, uniqueness counts every row of a repeated value, and
a domain rule counts the rows that break it (it passes only at zero). A rule this module
does not know — any other expectation, or an argument it does not model — is left to Great
Expectations (``compile`` returns None for it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from govshare.exchange.failures import sanitise
from govshare.quality.domain import CITIZEN_ID_FORM, citizen_id_digits
from govshare.quality.runnable import CheckResult, Runnable

# The arguments each expectation is modelled with; any other argument leaves the rule to GX.
_MODELLED = {
    "expect_column_values_to_not_be_null": {"column", "mostly"},
    "expect_column_values_to_be_in_set": {"column", "value_set", "mostly"},
    "expect_column_values_to_be_between": {"column", "min_value", "max_value", "strict_min", "strict_max", "mostly"},
    "expect_column_values_to_match_regex": {"column", "regex", "mostly"},
    "expect_column_values_to_be_unique": {"column", "mostly"},
    "expect_compound_columns_to_be_unique": {"column_list", "mostly"},
}
ONE = sql.SQL("1")


def models(expectation: str, kwargs: dict[str, Any]) -> bool:
    """Whether the scan counts this expectation with these arguments (else GX runs it)."""
    return expectation in _MODELLED and set(kwargs) <= _MODELLED[expectation]


def argument_problem(expectation: str, kwargs: dict[str, Any]) -> str | None:
    """What is wrong with a modelled rule's arguments, or None: checked here so that loading a
    suite for a check needs no Great Expectations (``catalog validate`` asks GX as well)."""
    needed = {"column_list"} if expectation == "expect_compound_columns_to_be_unique" else {"column"}
    needed |= {"value_set"} & _MODELLED[expectation] | {"regex"} & _MODELLED[expectation]
    if missing := sorted(needed - set(kwargs)):
        return f"{', '.join(missing)}: field required"
    problems = [
        "column: must be a column name" if "column" in kwargs and not _name(kwargs["column"]) else None,
        "column_list: must be a list of column names"
        if "column_list" in kwargs
        and not (
            isinstance(kwargs["column_list"], list) and all(map(_name, kwargs["column_list"])) and kwargs["column_list"]
        )
        else None,
        "mostly: must be a number from 0 to 1"
        if "mostly" in kwargs and not (_number(kwargs["mostly"]) and 0 <= kwargs["mostly"] <= 1)
        else None,
        "value_set: must be a non-empty list"
        if "value_set" in kwargs and not (isinstance(kwargs["value_set"], list) and kwargs["value_set"])
        else None,
        "regex: must be text" if "regex" in kwargs and not isinstance(kwargs["regex"], str) else None,
        *_bound_problems(expectation, kwargs),
    ]
    return "; ".join(p for p in problems if p) or None


def _bound_problems(expectation: str, kwargs: dict[str, Any]) -> list[str]:
    if expectation != "expect_column_values_to_be_between":
        return []
    bounds = [kwargs.get("min_value"), kwargs.get("max_value")]
    if all(b is None for b in bounds):
        return ["min_value and max_value cannot both be None"]
    wrong = [
        n
        for n in ("min_value", "max_value")
        if kwargs.get(n) is not None and not isinstance(kwargs[n], (int, float, str))
    ]
    wrong += [n for n in ("strict_min", "strict_max") if n in kwargs and not isinstance(kwargs[n], bool)]
    return [f"{n}: must be a {'yes/no' if n.startswith('strict') else 'number, date or text'}" for n in wrong]


def _name(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class Counted:
    """How one rule is counted.

    unexpected: an aggregate over the staged table giving the rows that break the rule, or
        None when ``apart`` gives it (uniqueness).
    judged: an aggregate giving the rows the rule judges (None: every row; the rule then
        passes only when nothing breaks it, as Great Expectations' unexpected-rows rules do).
    apart: a whole query of its own giving the unexpected count (uniqueness, references).
    unique_on: the columns a uniqueness rule judges, in any order (a unique index on them answers it).
    lateral: a join to the staged table that ``unexpected`` reads (in the scan's FROM).
    """

    check: Runnable
    unexpected: sql.Composable | None
    judged: sql.Composable | None = None
    apart: sql.Composed | None = None
    mostly: float = 1.0
    unique_on: frozenset[str] = frozenset()
    lateral: sql.Composable | None = None


def compile(check: Runnable, table: sql.Composable) -> Counted | None:
    """The rule as counted in the scan, or None if Great Expectations must run it."""
    if check.counted is not None:  # a domain rule: it says how it is counted
        if check.counted_apart:
            return Counted(check, None, apart=sql.SQL("SELECT {} FROM {}").format(check.counted, table))
        return Counted(check, check.counted, lateral=check.lateral)
    kwargs, expectation = check.kwargs, check.expectation
    if not models(expectation, kwargs):
        return None
    mostly = float(kwargs.get("mostly", 1.0))
    if expectation == "expect_compound_columns_to_be_unique":
        return _unique(tuple(kwargs["column_list"]), table, check, mostly)
    column = sql.Identifier(kwargs["column"])
    nonnull = sql.SQL("count({})").format(column)
    if expectation == "expect_column_values_to_not_be_null":
        return Counted(check, _filter(sql.SQL("{} IS NULL").format(column)), sql.SQL("count(*)"), mostly=mostly)
    if expectation == "expect_column_values_to_be_unique":
        return _unique((kwargs["column"],), table, check, mostly)
    if expectation == "expect_column_values_to_match_regex" and kwargs["regex"] == CITIZEN_ID_FORM:
        # The citizen ID's form, read from the digits join the citizen_id rule reads anyway:
        # no regex run (2,000,000 IDs: 1.1 s of a 4.4 s scan as a regex).
        lateral, n, _ = citizen_id_digits(kwargs["column"])
        counted = _filter(sql.SQL("{} IS NOT NULL AND {} IS NULL").format(column, n))
        return Counted(check, counted, nonnull, mostly=mostly, lateral=lateral)
    breaks = _breaks(expectation, column, kwargs)
    return Counted(check, _filter(sql.SQL("{} IS NOT NULL AND ").format(column) + breaks), nonnull, mostly=mostly)


def _breaks(expectation: str, column: sql.Composable, kwargs: dict[str, Any]) -> sql.Composable:
    """The condition a non-null value breaks, in Great Expectations' terms."""
    if expectation == "expect_column_values_to_be_in_set":
        values = sql.SQL(", ").join(sql.Literal(v) for v in kwargs["value_set"])
        return sql.SQL("{} NOT IN ({})").format(column, values)
    if expectation == "expect_column_values_to_match_regex":
        return sql.SQL("{}::text !~ {}").format(column, sql.Literal(kwargs["regex"]))
    bounds = []
    for bound, strict, inside in (("min_value", "strict_min", ">"), ("max_value", "strict_max", "<")):
        if kwargs.get(bound) is not None:
            operator = inside if kwargs.get(strict) else inside + "="
            bounds.append(sql.SQL("{} {} {}").format(column, sql.SQL(operator), sql.Literal(kwargs[bound])))
    return sql.SQL("NOT ({})").format(sql.SQL(" AND ").join(bounds) if bounds else sql.SQL("true"))


def _unique(on: tuple[str, ...], table: sql.Composable, check: Runnable, mostly: float) -> Counted:
    """Every row whose value (or combination) repeats. As in Great Expectations, a row that is
    all null is not judged, and one with any null never counts as a repeat (null equals nothing:
    a unique index, which also lets rows with a null through, agrees)."""
    columns = [sql.Identifier(c) for c in on]
    names = sql.SQL(", ").join(columns)
    judged = sql.SQL(" OR ").join(sql.SQL("{} IS NOT NULL").format(c) for c in columns)
    complete = sql.SQL(" AND ").join(sql.SQL("{} IS NOT NULL").format(c) for c in columns)
    repeated = sql.SQL(
        "SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {t} WHERE {w} GROUP BY {c} HAVING count(*) > 1) d"
    ).format(t=table, w=complete, c=names)
    return Counted(check, None, _filter(judged), apart=repeated, mostly=mostly, unique_on=frozenset(on))


def _filter(condition: sql.Composable) -> sql.Composable:
    return sql.SQL("count(*) FILTER (WHERE {})").format(condition)


def run(
    conn: psycopg.Connection[Any],
    counted: list[Counted],
    table: sql.Composable,
    rows: int,
    unique: frozenset[str] = frozenset(),
) -> list[CheckResult]:
    """Count every rule: one scan for all in-scan aggregates, one query per rule counted apart
    (none for uniqueness on ``unique``, columns a unique index on the table already proves).
    A rule whose SQL fails is reported as not evaluated, the others still counted."""
    figures: dict[int, tuple[int | None, int | None, str | None]] = {}  # index -> (unexpected, judged, error)
    aggregates = [(i, c) for i, c in enumerate(counted) if c.unexpected is not None or c.judged is not None]
    found = _scan(conn, [_pair(c) for _, c in aggregates], _joined(conn, table, [c for _, c in aggregates]))
    for (i, _), figure in zip(aggregates, found, strict=True):
        figures[i] = figure
    apart: dict[str, tuple[Any, str | None]] = {}  # two rules asking the same query share its answer
    for i, c in enumerate(counted):
        if c.apart is not None:
            judged, error = figures.get(i, (None, None, None))[1:]
            if c.unique_on and c.unique_on == unique:
                figures[i] = (0, judged, error)
                continue
            key = c.apart.as_string(conn)
            unexpected, apart_error = apart[key] if key in apart else apart.setdefault(key, _one(conn, c.apart))
            figures[i] = (unexpected, judged, error or apart_error)
    return [_result(c, rows, *figures[i]) for i, c in enumerate(counted)]


def _joined(conn: psycopg.Connection[Any], table: sql.Composable, counted: list[Counted]) -> sql.Composable:
    """The staged table with the joins the aggregates read, each once (two rules on one column share it)."""
    laterals = {c.lateral.as_string(conn): c.lateral for c in counted if c.lateral is not None}
    return sql.SQL(" ").join([table, *laterals.values()])


def _pair(c: Counted) -> tuple[sql.Composable, sql.Composable]:
    return c.unexpected or sql.SQL("NULL::bigint"), c.judged or sql.SQL("NULL::bigint")


def _scan(
    conn: psycopg.Connection[Any], pairs: list[tuple[sql.Composable, sql.Composable]], table: sql.Composable
) -> list[tuple[int | None, int | None, str | None]]:
    """The aggregates of every rule in one SELECT; if it fails, each rule alone, to tell
    which rules cannot run (only then is the table read more than once)."""
    if not pairs:
        return []
    columns = sql.SQL(", ").join(sql.SQL("{}, {}").format(u, j) for u, j in pairs)
    try:
        with conn.transaction():
            row = conn.execute(sql.SQL("SELECT {} FROM {}").format(columns, table)).fetchone()
    except psycopg.OperationalError:
        raise  # the connection, not a rule: the step is retried
    except psycopg.Error:
        return [_alone(conn, u, j, table) for u, j in pairs]
    assert row is not None  # an aggregate query always returns its one row
    return [(row[2 * k], row[2 * k + 1], None) for k in range(len(pairs))]


def _alone(
    conn: psycopg.Connection[Any], unexpected: sql.Composable, judged: sql.Composable, table: sql.Composable
) -> tuple[int | None, int | None, str | None]:
    counted, error = _one(conn, sql.SQL("SELECT {}, {} FROM {}").format(unexpected, judged, table), both=True)
    return (*counted, None) if error is None else (None, None, error)


def _one(conn: psycopg.Connection[Any], query: sql.Composed, both: bool = False) -> tuple[Any, str | None]:
    try:
        with conn.transaction():
            row = conn.execute(query).fetchone()
    except psycopg.OperationalError:
        raise  # the connection, not a rule: the step is retried
    except psycopg.Error as exc:
        # The database's own words, first line only and nothing quoted (values can be personal).
        return ((None, None) if both else None), sanitise(str(exc).strip().splitlines()[0] if str(exc) else repr(exc))
    assert row is not None
    return (tuple(row[:2]) if both else row[0]), None


def _result(c: Counted, rows: int, unexpected: int | None, judged: int | None, error: str | None) -> CheckResult:
    rule = c.check.rule
    if error is None and unexpected is None:
        error = "the rule's count came back empty"
    if error is not None or unexpected is None:  # no count is the error just above
        success = False
    elif c.judged is None:  # counted as Great Expectations' unexpected-rows rules: none may break it
        success = unexpected == 0
    else:
        success = not judged or (judged - unexpected) / judged >= c.mostly
    return CheckResult.of(rule, success, rows, int(unexpected) if unexpected is not None else None, error)
