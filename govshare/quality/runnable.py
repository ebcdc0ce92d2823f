"""A rule as it runs: what the check hands Great Expectations. Its own module so that gx.py,
which runs it, need not import rules.py, which imports gx.py to validate suites."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from psycopg import sql

if TYPE_CHECKING:
    from govshare.quality.rules import Rule


@dataclass(frozen=True)
class Runnable:
    """A rule as it runs on one staged table: the GX expectation and its arguments, and the
    SQL condition that picks the rows breaking it (for the report's samples), if there is one."""

    rule: Rule
    expectation: str
    kwargs: dict = field(hash=False)
    breaking: sql.Composable | None = None
