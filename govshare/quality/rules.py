"""Quality rules: the ones every delivery owes its catalogue, and the ones in include/quality.

A suite file names its resource and lists rules; each rule is one Great Expectations 1.x
expectation written without its ``expect_`` prefix, plus govshare's own fields:

.. code-block:: yaml

    resource: rst_social_insurance
    rules:
      - name: monthly_base_in_range        # unique within the file
        expect: column_values_to_be_between
        column: monthly_base
        min_value: 0
        max_value: 100000
        severity: block                     # block (default): publish stops; warn: publish, report
        dimension: accuracy                 # completeness | accuracy | consistency | timeliness | uniqueness
        description: 月缴费基数应在合理范围内
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from psycopg import sql

from govshare.catalog.loader import Document, load, yaml_files
from govshare.catalog.model import Catalog
from govshare.catalog.problems import Problem
from govshare.errors import DomainRuleError, SuiteInvalid
from govshare.exchange.plan import DeliveryPlan
from govshare.quality import domain, fused

Severity = Literal["block", "warn"]
DIMENSIONS = ("completeness", "accuracy", "consistency", "timeliness", "uniqueness")
SEVERITIES = ("block", "warn")
_OWN_FIELDS = {"name", "expect", "rule", "severity", "dimension", "description"}
DOMAIN_PREFIX = "govshare:"
_COLUMN_ARGS = ("column", "column_A", "column_B", "column_list")
EXPECT_HINT = (
    "use a Great Expectations 1.x expectation name without 'expect_' (e.g. column_values_to_be_between) "
    "with its arguments; see https://greatexpectations.io/expectations"
)


@dataclass(frozen=True)
class Rule:
    name: str
    expectation: str  # snake_case GX expectation type, e.g. "expect_column_values_to_not_be_null"
    kwargs: dict[str, Any] = field(hash=False)
    severity: Severity = "block"
    dimension: str = "accuracy"
    description: str = ""
    origin: str = "catalogue"

    @property
    def domain(self) -> str | None:
        """The domain rule's name (see govshare.quality.domain), or None for a GX expectation."""
        return self.expectation.removeprefix(DOMAIN_PREFIX) if self.expectation.startswith(DOMAIN_PREFIX) else None

    @property
    def columns(self) -> list[str]:
        found: list[str] = []
        for arg in _COLUMN_ARGS:
            value = self.kwargs.get(arg)
            found += value if isinstance(value, list) else ([value] if value else [])
        return found


def derived(plan: DeliveryPlan) -> list[Rule]:
    """Rules the catalogue implies for every delivery: the key is unique and complete, and
    non-nullable items are filled. Each says what it means, as the suite's own rules do."""
    key = "+".join(plan.key)
    rules = [
        Rule(
            f"key_not_null:{k}",
            "expect_column_values_to_not_be_null",
            {"column": k},
            dimension="completeness",
            description=f"主键 {k} 不得为空 the key {k} is always filled",
        )
        for k in plan.key
    ]
    unique: tuple[str, dict[str, Any]] = (
        ("expect_column_values_to_be_unique", {"column": key})
        if len(plan.key) == 1
        else ("expect_compound_columns_to_be_unique", {"column_list": list(plan.key)})
    )
    expectation, kwargs = unique
    rules.append(
        Rule(
            f"key_unique:{key}",
            expectation,
            kwargs,
            dimension="uniqueness",
            description=f"主键 {key} 不得重复 no two records share the key {key}",
        )
    )
    rules += [
        Rule(
            f"not_null:{c.name}",
            "expect_column_values_to_not_be_null",
            {"column": c.name},
            dimension="completeness",
            description=f"{c.name} 不得为空 {c.name} is always filled (the catalogue says it is not nullable)",
        )
        for c in plan.columns
        if not c.nullable and c.name not in plan.key
    ]
    return rules


def suite_file(quality_dir: Path, resource_code: str) -> Path:
    return quality_dir / f"{resource_code}.yaml"


def for_plan(plan: DeliveryPlan, quality_dir: Path) -> tuple[list[Rule], list[tuple[Rule, str]]]:
    """(rules to run, suite rules skipped with why): a suite rule is skipped when a column it
    checks is not delivered, or is delivered masked — its rule speaks of the raw values."""
    path = suite_file(quality_dir, plan.resource_code)
    suite: list[Rule] = []
    if path.exists():
        document, problems = load(path)
        if document is not None:
            numbered, problems = _rules(document, problems)
            suite = [rule for _, rule in numbered]
        if problems:
            # `govshare catalog validate` catches these before they reach a run.
            raise SuiteInvalid(path, problems)
    delivered = {c.name for c in plan.columns}
    raw = {c.name for c in plan.columns if c.mask.kind == "none"}
    applicable, skipped = [], []
    for rule in suite:
        if not set(rule.columns) <= delivered:
            skipped.append((rule, "a column it checks is not in this agreement"))
        elif not set(rule.columns) <= raw:
            skipped.append((rule, "a column it checks is delivered masked"))
        else:
            applicable.append(rule)
    return derived(plan) + applicable, skipped


def breaking_rows(rule: Rule, table: sql.Composable) -> sql.Composable | None:
    """For the common expectations, the SQL condition selecting the rows that break ``rule``."""
    kwargs = rule.kwargs
    if rule.expectation == "expect_column_values_to_not_be_null":
        return sql.SQL("{} IS NULL").format(sql.Identifier(kwargs["column"]))
    if rule.expectation in ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"):
        cols = sql.SQL(", ").join(map(sql.Identifier, kwargs.get("column_list") or [kwargs["column"]]))
        return sql.SQL("({cols}) IN (SELECT {cols} FROM {t} GROUP BY {cols} HAVING count(*) > 1)").format(
            cols=cols, t=table
        )
    column = sql.Identifier(kwargs.get("column", "")) if "column" in kwargs else None
    if rule.expectation == "expect_column_values_to_be_in_set":
        values = sql.SQL(", ").join(sql.Literal(v) for v in kwargs["value_set"])
        return sql.SQL("{c} IS NOT NULL AND {c}::text NOT IN ({v})").format(c=column, v=values)
    if rule.expectation == "expect_column_values_to_be_between":
        bounds = [
            sql.SQL("{} < {}").format(column, sql.Literal(kwargs["min_value"]))
            if kwargs.get("min_value") is not None
            else None,
            sql.SQL("{} > {}").format(column, sql.Literal(kwargs["max_value"]))
            if kwargs.get("max_value") is not None
            else None,
        ]
        return sql.SQL("(") + sql.SQL(" OR ").join(b for b in bounds if b is not None) + sql.SQL(")")
    if rule.expectation == "expect_column_values_to_match_regex":
        return sql.SQL("{c} IS NOT NULL AND {c}::text !~ {r}").format(c=column, r=sql.Literal(kwargs["regex"]))
    return None


def validate_suites(quality_dir: Path, catalog: Catalog | None) -> list[Problem]:
    """Every problem in the suite files, for ``govshare catalog validate``."""
    problems: list[Problem] = []
    for path in yaml_files(quality_dir) if quality_dir.is_dir() else []:
        document, load_problems = load(path)
        problems += load_problems
        if document is None:
            continue
        rules, rule_problems = _rules(document, [])
        problems += rule_problems
        problems += _gx_problems(document, rules)
        problems += _against_catalog(document, rules, catalog)
    return problems


def _gx_problems(document: Document, rules: list[tuple[int, Rule]]) -> list[Problem]:
    """Great Expectations' own judgement of the rules the scan models (loading a suite for a
    check only asks fused.argument_problem, so as not to import GX)."""
    from govshare.quality import gx

    found = []
    for index, rule in rules:
        if rule.domain is None and fused.models(rule.expectation, rule.kwargs):
            if error := gx.check_expectation(rule.expectation, rule.kwargs):
                found.append(document.problem(("rules", index, "expect"), f"rule '{rule.name}': {error}", EXPECT_HINT))
    return found


def _rules(document: Document, problems: list[Problem]) -> tuple[list[tuple[int, Rule]], list[Problem]]:
    """The valid rules of a suite file with their position in it, and the problems of the rest."""
    problems = list(problems)
    data = document.data
    if not isinstance(data, dict) or set(data) - {"resource", "rules"}:
        return [], problems + [
            document.problem((), "a suite file has exactly `resource:` and `rules:`", "see include/quality/README.md")
        ]
    if document.path.stem != data.get("resource"):
        problems.append(
            document.problem(
                ("resource",),
                f"the file is named {document.path.name} but its resource is {data.get('resource')!r}",
                f"name the file after its resource: {data.get('resource')}.yaml",
            )
        )
    entries = data.get("rules")
    if not isinstance(entries, list) or not entries:
        return [], problems + [document.problem(("rules",), "`rules` must be a non-empty list", "add rules")]
    rules: list[tuple[int, Rule]] = []
    names: set[str] = set()
    for index, entry in enumerate(entries):
        if (rule := _rule(document, index, entry, names, problems)) is not None:
            rules.append((index, rule))
    return rules, problems


def _rule(document: Document, index: int, entry: Any, names: set[str], problems: list[Problem]) -> Rule | None:
    """One entry of a suite as a rule, or None (its problems added to ``problems``)."""
    loc = ("rules", index)
    if not isinstance(entry, dict):
        problems.append(document.problem(loc, "a rule must be a mapping", "write `- name: ...` with its fields"))
        return None
    name = entry.get("name")
    if not isinstance(name, str) or not re.match(r"^[a-z][a-z0-9_]*$", name):
        problems.append(
            document.problem(loc + ("name",), f"rule name {name!r} is missing or not snake_case", "name it")
        )
        return None
    if name in names:
        problems.append(document.problem(loc + ("name",), f"rule '{name}' appears twice", "rename one"))
    names.add(name)
    severity = entry.get("severity", "block")
    dimension = entry.get("dimension", "accuracy")
    if severity not in SEVERITIES:
        problems.append(
            document.problem(loc + ("severity",), f"rule '{name}': unknown severity {severity!r}", "use block or warn")
        )
    if dimension not in DIMENSIONS:
        problems.append(
            document.problem(
                loc + ("dimension",),
                f"rule '{name}': unknown dimension {dimension!r}",
                f"use one of {', '.join(DIMENSIONS)}",
            )
        )
    kwargs = {k: v for k, v in entry.items() if k not in _OWN_FIELDS}
    expectation = _expectation(document, loc, name, entry, kwargs, problems)
    if expectation is None:
        return None
    description = str(entry.get("description", ""))
    return Rule(
        name,
        expectation,
        kwargs,
        severity=severity,
        dimension=dimension,
        description=description,
        origin=document.path.name,
    )


def _expectation(
    document: Document,
    loc: tuple[str | int, ...],
    name: str,
    entry: dict[str, Any],
    kwargs: dict[str, Any],
    problems: list[Problem],
) -> str | None:
    """The expectation a rule runs — a govshare domain rule or a Great Expectations one, checked
    against its arguments — or None (with the problem added)."""
    if ("expect" in entry) == ("rule" in entry):
        problems.append(
            document.problem(
                loc,
                f"rule '{name}' needs exactly one of `expect:` and `rule:`",
                "use `rule:` for a govshare domain rule, `expect:` for a Great Expectations expectation",
            )
        )
        return None
    if "rule" in entry:
        try:
            domain.check(entry["rule"], kwargs.get("column"), {k: v for k, v in kwargs.items() if k != "column"})
        except DomainRuleError as exc:
            problems.append(document.problem(loc + ("rule",), f"rule '{name}': {exc}", domain.HINT))
            return None
        return f"{DOMAIN_PREFIX}{entry['rule']}"
    expectation = f"expect_{entry['expect']}"
    if fused.models(expectation, kwargs):
        error = fused.argument_problem(expectation, kwargs)
    else:
        from govshare.quality import gx  # Great Expectations is heavy: only for what the scan does not model

        error = gx.check_expectation(expectation, kwargs)
    if error:
        problems.append(document.problem(loc + ("expect",), f"rule '{name}': {error}", EXPECT_HINT))
        return None
    return expectation


def _against_catalog(document: Document, rules: list[tuple[int, Rule]], catalog: Catalog | None) -> list[Problem]:
    if catalog is None:
        return []
    code = document.data.get("resource") if isinstance(document.data, dict) else None
    resource = catalog.resources.get(code) if isinstance(code, str) else None  # codes are text
    if resource is None:
        return [document.problem(("resource",), f"unknown resource {code!r}", "use the code of a catalogued resource")]
    problems = []
    for index, rule in rules:
        for column in rule.columns:
            if resource.item(column) is None:
                problems.append(
                    document.problem(
                        ("rules", index),
                        f"rule '{rule.name}' checks column '{column}', which resource '{code}' does not have",
                        f"use one of its items: {', '.join(i.name for i in resource.items)}",
                    )
                )
        if rule.domain == "reference":
            target = catalog.resources.get(rule.kwargs["resource"])
            if target is None or target.item(rule.kwargs["item"]) is None:
                problems.append(
                    document.problem(
                        ("rules", index),
                        f"rule '{rule.name}' refers to {rule.kwargs['resource']}.{rule.kwargs['item']}, "
                        "which the catalogue does not have",
                        "name a catalogued resource and one of its items",
                    )
                )
        if rule.domain == "timeliness" and (item := resource.item(rule.kwargs["column"])) is not None:
            if item.type.split("(")[0] not in ("timestamp", "timestamptz", "date"):
                problems.append(
                    document.problem(
                        ("rules", index),
                        f"rule '{rule.name}': timeliness needs a timestamp or date column, not {item.type}",
                        "name the item that records when a row was last updated",
                    )
                )
    return problems
