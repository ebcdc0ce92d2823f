"""The check step of a delivery: every applicable rule on the staged table, inside the
subscriber's database, and a few of the rows that break each failed rule (personal items
masked) for the quality report."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from govshare.errors import ChecksCouldNotRun, ChecksFailed
from govshare.exchange import masking, staging
from govshare.exchange.address import DatabaseAddress
from govshare.exchange.connect import connect
from govshare.exchange.failures import reported
from govshare.exchange.plan import STAGING_SCHEMA, Column, DeliveryPlan
from govshare.quality import domain, fused
from govshare.quality import rules as quality_rules
from govshare.quality.runnable import CheckResult, Runnable

SAMPLES_PER_RULE = 5
# One breaking row as the report shows it: column -> its value, masked and as text (None: NULL).
Sample = dict[str, str | None]


@dataclass(frozen=True)
class CheckContext:
    """What the rules need to know beyond the staged table.

    rows: how many rows were staged.
    update_cycle: the resource's declared update cycle (for timeliness).
    references: (resource, item) -> "schema.table" of the subscriber's own unmasked copy of
        that item, for reference rules.
    """

    rows: int
    update_cycle: str | None = None
    references: dict[tuple[str, str], str] = field(default_factory=dict)


@dataclass
class CheckReport:
    results: list[CheckResult] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (rule, why it did not run)
    samples: dict[str, list[Sample]] = field(default_factory=dict)  # rule -> rows breaking it, masked

    @property
    def passed(self) -> int:
        return sum(r.success for r in self.results)

    @property
    def errored(self) -> list[CheckResult]:
        """Rules that could not run. Each blocks the publish whatever its severity: a rule never
        evaluated says nothing about the data."""
        return [r for r in self.results if r.error]

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if not r.success and not r.error and r.severity == "block"]

    @property
    def warned(self) -> list[CheckResult]:
        return [r for r in self.results if not r.success and not r.error and r.severity == "warn"]

    @property
    def blocked(self) -> bool:
        return bool(self.errored or self.failed)

    def raise_if_blocked(self, rows: int, delivery_id: int | None = None, report_link: str | None = None) -> None:
        """Stop the delivery if a check could not run or a blocking rule failed (the delivery
        and its report, when known, are named in the error)."""
        failed = [_describe(r) for r in self.failed]
        if self.errored:
            errored = [_describe(r) for r in self.errored]
            raise ChecksCouldNotRun(errored, failed, rows, delivery_id=delivery_id, report_link=report_link)
        if self.failed:
            raise ChecksFailed(failed, rows, delivery_id=delivery_id, report_link=report_link)


def check(
    plan: DeliveryPlan, subscriber: DatabaseAddress, run_id: str, quality_dir: Path, context: CheckContext
) -> CheckReport:
    """Every applicable rule on the staged table: those govshare.quality.fused models in one
    scan, any other through Great Expectations (imported only then); then samples of the rows
    breaking each rule that failed."""
    rules, skipped = quality_rules.for_plan(plan, quality_dir)
    table = staging.table(plan.staging_table(run_id))
    checks, unrunnable = runnables(rules, table, context)
    with reported("check"):
        # Naive timestamps in government data are Beijing time: the session says so for timeliness.
        with connect(subscriber, "subscriber", plan.target_conn_id, options="-c timezone=Asia/Shanghai") as conn:
            domain.install(conn)
            counted = {c.rule.name: fused.compile(c, table) for c in checks}
            # The key's uniqueness is proved by building the index publish needs anyway.
            key = frozenset(plan.key)
            asks = any(c is not None and c.unique_on == key for c in counted.values())
            unique = key if asks and staging.index_key(conn, plan.staging_table(run_id), plan.key) else frozenset()
            found = fused.run(conn, [c for c in counted.values() if c is not None], table, context.rows, unique)
            results = {r.rule: r for r in found}
            if by_gx := [c for c in checks if counted[c.rule.name] is None]:
                from govshare.quality import gx  # heavy: only for rules the scan does not model

                found = gx.run(by_gx, subscriber, STAGING_SCHEMA, plan.staging_table(run_id), context.rows)
                results.update((r.rule, r) for r in found)
            ordered = [results[c.rule.name] for c in checks]
            failed = {r.rule for r in ordered if not r.success and not r.error}  # samples of what ran
            samples = {
                c.rule.name: _samples(conn, plan, table, c)
                for c in checks
                if c.rule.name in failed and c.breaking is not None
            }
    return CheckReport(ordered, [(rule.name, why) for rule, why in skipped] + unrunnable, samples)


def runnables(
    rules: list[quality_rules.Rule], table: sql.Composable, context: CheckContext
) -> tuple[list[Runnable], list[tuple[str, str]]]:
    """Each rule as it runs on this table (domain rules compiled), and the reference rules
    that cannot run here, with why."""
    checks: list[Runnable] = []
    skipped: list[tuple[str, str]] = []
    for rule in rules:
        if rule.domain is None:
            checks.append(Runnable(rule, rule.expectation, rule.kwargs, quality_rules.breaking_rows(rule, table)))
            continue
        args = {k: v for k, v in rule.kwargs.items() if k != "column"}
        # Only a reference rule reads another table (domain.check made sure it names one).
        reference = context.references.get((args["resource"], args["item"])) if rule.domain == "reference" else None
        if rule.domain == "reference" and reference is None:
            skipped.append((rule.name, f"the subscriber has no unmasked copy of {args['resource']}.{args['item']}"))
            continue
        compiled = domain.compile_rule(rule.domain, rule.kwargs["column"], args, context.update_cycle, reference)
        breaking = (
            compiled.where
            if compiled.where is not None
            else quality_rules.breaking_rows(
                quality_rules.Rule(rule.name, compiled.expectation, compiled.kwargs), table
            )
        )
        checks.append(
            Runnable(
                rule,
                compiled.expectation,
                compiled.kwargs,
                breaking,
                compiled.counted,
                compiled.counted_apart,
                compiled.lateral,
            )
        )
    return checks, skipped


def _samples(conn: psycopg.Connection[Any], plan: DeliveryPlan, table: sql.Composable, check: Runnable) -> list[Sample]:
    """A few breaking rows: the key and the checked columns, personal items always masked
    (with their category's default even where the agreement delivers them raw)."""
    names = list(dict.fromkeys([*plan.key, *[c for c in check.rule.columns if c in {x.name for x in plan.columns}]]))
    query = sql.SQL("SELECT {} FROM {} WHERE {} LIMIT {}").format(
        sql.SQL(", ").join(map(sql.Identifier, names)), table, check.breaking, sql.Literal(SAMPLES_PER_RULE)
    )
    columns = {c.name: c for c in plan.columns}
    shown: list[Sample] = []
    for row in conn.execute(query).fetchall():
        shown.append({name: _safe(columns[name], value) for name, value in zip(names, row, strict=True)})
    return shown


def _safe(column: Column, value: object) -> str | None:
    if value is None:
        return None
    mask = column.mask if column.mask.kind != "none" else masking.effective(column.personal, None)
    return masking.apply(mask, value) if mask.kind != "none" else str(value)


def _describe(result: CheckResult) -> str:
    if result.error:
        return f"{result.rule} could not run ({result.error})"
    return f"{result.rule} ({result.unexpected_count:,} of {result.element_count:,} rows)"
