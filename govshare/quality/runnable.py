"""A rule as it runs, and what came of it. Its own module so that neither executor
(govshare.quality.fused, the one scan; govshare.quality.gx, Great Expectations) need import
rules.py, which imports gx.py to validate suites."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from psycopg import sql

if TYPE_CHECKING:
    from govshare.quality.rules import Rule


@dataclass(frozen=True)
class Runnable:
    """A rule as it runs on one staged table: the GX expectation and its arguments; the SQL
    condition that picks the rows breaking it (for the report's samples), if there is one;
    and, for a domain rule, the aggregate over the staged table that counts them (``apart``:
    in a query of its own, because it reads another table; ``lateral``: the join it reads)."""

    rule: Rule
    expectation: str
    kwargs: dict[str, Any] = field(hash=False)
    breaking: sql.Composable | None = None
    counted: sql.Composable | None = None
    counted_apart: bool = False
    lateral: sql.Composable | None = None


@dataclass(frozen=True)
class CheckResult:
    """One rule's outcome, as reports, emails and the registry read it (counts, never values)."""

    rule: str
    expectation: str
    columns: list[str]
    severity: str
    dimension: str
    description: str
    origin: str
    success: bool
    element_count: int | None
    unexpected_count: int | None
    error: str | None = None

    @classmethod
    def of(
        cls, rule: Rule, success: bool, element_count: int | None, unexpected_count: int | None, error: str | None
    ) -> CheckResult:
        """The outcome of ``rule``, whichever executor counted it."""
        return cls(
            rule=rule.name,
            expectation=rule.expectation,
            columns=rule.columns,
            severity=rule.severity,
            dimension=rule.dimension,
            description=rule.description,
            origin=rule.origin,
            success=success,
            element_count=element_count,
            unexpected_count=unexpected_count,
            error=error,
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
