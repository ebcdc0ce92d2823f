"""Row filters: an agreement may grant only some rows, e.g. a city's civil affairs bureau
receives only its own region's people (article 15: obtain only what is authorised).

A filter is a list of conditions, all of which must hold; each names an item of the resource,
an operator and a value. They become a WHERE clause of the provider's query with the values
as bound parameters — never formatted into the SQL.

    [{"item": "region_code", "op": "prefix", "value": "1301"},
     {"item": "status", "op": "in", "value": ["存续", "在业"]}]

Operators: ``eq``, ``ne``, ``in`` (a list), ``prefix`` (text starts with), ``gte``, ``lte``,
``between`` (a two-element list, both ends included).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import sql

from govshare.errors import FilterError

OPERATORS = ("eq", "ne", "in", "prefix", "gte", "lte", "between")
# How to write a condition, for the people who do: a refusal's hint, a field's description.
CONDITION_FORM = (
    "a condition names an item, an operator and a value; operators: eq, ne, in (a list), "
    "prefix (text starts with), gte, lte, between (a two-element list, both ends included)"
)
_COMPARE = {"eq": "=", "ne": "<>", "gte": ">=", "lte": "<="}


@dataclass(frozen=True)
class Condition:
    item: str
    op: str
    value: Any

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> Condition:
        if not isinstance(raw, dict) or set(raw) != {"item", "op", "value"}:
            raise FilterError("a condition has exactly item, op and value")
        item, op, value = raw["item"], raw["op"], raw["value"]
        if op not in OPERATORS:
            raise FilterError(f"unknown filter operator {op!r}: use one of {', '.join(OPERATORS)}")
        if op == "in" and not (isinstance(value, list) and value):
            raise FilterError("'in' takes a non-empty list of values")
        if op == "between" and not (isinstance(value, list) and len(value) == 2):
            raise FilterError("'between' takes a list of two values")
        if op == "prefix" and not (isinstance(value, str) and value):
            raise FilterError("'prefix' takes a non-empty text value")
        if op not in ("in", "between") and isinstance(value, (list, dict)):
            raise FilterError(f"'{op}' takes a single value")
        return cls(str(item), op, tuple(value) if isinstance(value, list) else value)

    def as_json(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "op": self.op,
            "value": list(self.value) if isinstance(self.value, tuple) else self.value,
        }

    def __str__(self) -> str:
        return f"{self.item} {self.op} {self.as_json()['value']!r}"


def parse_all(raw: list[dict[str, Any]] | None) -> tuple[Condition, ...]:
    return tuple(Condition.parse(r) for r in raw or [])


def where(conditions: tuple[Condition, ...]) -> tuple[list[sql.Composable], list[Any]]:
    """SQL conditions with %s placeholders, and their parameters (for psycopg and PyMySQL alike)."""
    clauses: list[sql.Composable] = []
    params: list[Any] = []
    for condition in conditions:
        column = sql.Identifier(condition.item)
        if condition.op in _COMPARE:
            clauses.append(sql.SQL("{} {} %s").format(column, sql.SQL(_COMPARE[condition.op])))
            params.append(condition.value)
        elif condition.op == "in":
            marks = sql.SQL(", ").join(sql.SQL("%s") for _ in condition.value)
            clauses.append(sql.SQL("{} IN ({})").format(column, marks))
            params += list(condition.value)
        elif condition.op == "between":
            clauses.append(sql.SQL("{} BETWEEN %s AND %s").format(column))
            params += list(condition.value)
        else:  # prefix: LIKE with the value's own wildcards escaped
            escaped = condition.value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            clauses.append(sql.SQL("{} LIKE %s").format(column))
            params.append(escaped + "%")
    return clauses, params
