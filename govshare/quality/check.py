"""The check step of a delivery: run every applicable rule on the staged table."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from govshare.errors import ChecksFailed
from govshare.exchange.address import DatabaseAddress
from govshare.exchange.plan import STAGING_SCHEMA, DeliveryPlan
from govshare.quality import rules as quality_rules


@dataclass
class CheckReport:
    results: list = field(default_factory=list)  # gx.CheckResult
    skipped: list[str] = field(default_factory=list)  # suite rules whose columns are not delivered

    @property
    def passed(self) -> int:
        return sum(r.success for r in self.results)

    @property
    def failed(self) -> list:
        return [r for r in self.results if not r.success and r.severity == "block"]

    @property
    def warned(self) -> list:
        return [r for r in self.results if not r.success and r.severity == "warn"]

    def raise_if_blocked(self, rows: int) -> None:
        if self.failed:
            raise ChecksFailed([_describe(r) for r in self.failed], rows)


def check(plan: DeliveryPlan, subscriber: DatabaseAddress, run_id: str, quality_dir: Path) -> CheckReport:
    from govshare.quality import gx  # heavy: loaded by the check task only, never at DAG parse time

    rules, skipped = quality_rules.for_plan(plan, quality_dir)
    results = gx.run(rules, subscriber, STAGING_SCHEMA, plan.staging_table(run_id))
    return CheckReport(results, [r.name for r in skipped])


def _describe(result) -> str:
    if result.error:
        return f"{result.rule} could not run ({result.error})"
    return f"{result.rule} ({result.unexpected_count:,} of {result.element_count:,} rows)"
