"""Great Expectations, wrapped: the only module that imports it.

Checks run inside the subscriber's database: GX compiles each expectation to SQL against the
staging table, so no rows are loaded into Python. Results keep counts only; GX's samples of
unexpected values are switched off because they would carry personal data into logs and the
registry.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # no phoning home from a government network
logging.getLogger("great_expectations").setLevel(logging.WARNING)  # its INFO lines drown the task log

import great_expectations as gx  # noqa: E402
import great_expectations.expectations as gxe  # noqa: E402
from great_expectations.core.expectation_validation_result import ExpectationValidationResult  # noqa: E402
from great_expectations.data_context.types.base import (  # noqa: E402
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.expectations.expectation import Expectation  # noqa: E402
from pydantic import ValidationError  # noqa: E402

from govshare.exchange.address import DatabaseAddress  # noqa: E402
from govshare.exchange.failures import sanitise  # noqa: E402
from govshare.quality.runnable import CheckResult, Runnable  # noqa: E402

if TYPE_CHECKING:
    from govshare.quality.rules import Rule

_RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 0, "include_unexpected_rows": False}


def expectation_class(expectation: str) -> type[Expectation] | None:
    name = "".join(part.capitalize() for part in expectation.split("_"))
    found = getattr(gxe, name, None)
    return found if isinstance(found, type) and issubclass(found, Expectation) else None


def check_expectation(expectation: str, kwargs: dict[str, Any]) -> str | None:
    """None if GX accepts the expectation with these arguments, else what is wrong."""
    cls = expectation_class(expectation)
    if cls is None:
        return f"unknown expectation '{expectation.removeprefix('expect_')}'"
    try:
        cls(**kwargs)
    except ValidationError as exc:
        return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in exc.errors())
    except (TypeError, ValueError) as exc:
        return str(exc)
    return None


def run(checks: list[Runnable], address: DatabaseAddress, schema: str, table: str, rows: int) -> list[CheckResult]:
    """Validate the staged table against every check; counts only, no values."""
    context = gx.get_context(
        mode="ephemeral",
        project_config=DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(),
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
        ),
    )
    # Naive timestamps in government data are Beijing time: the session says so for timeliness.
    url = address.sqlalchemy_url(options="-c timezone=Asia/Shanghai").render_as_string(hide_password=False)
    source = context.data_sources.add_postgres("subscriber", connection_string=url)
    asset = source.add_table_asset("staged", table_name=table, schema_name=schema)
    batch = asset.add_batch_definition_whole_table("all").get_batch()
    suite = gx.ExpectationSuite(name="delivery")
    for check in checks:
        suite.add_expectation(_expectation(check))
    outcome = batch.validate(suite, result_format=_RESULT_FORMAT)
    # GX runs two identical expectations once, whatever their meta: the other one gets no result
    # (as does a rule whose result comes back without the expectation it answers).
    found = {
        item.expectation_config.meta["rule"]: item for item in outcome.results if item.expectation_config is not None
    }
    return [_result(check.rule, found.get(check.rule.name), rows) for check in checks]


def _expectation(check: Runnable) -> Expectation:
    """The check as a GX expectation, named after its rule in its meta."""
    cls = expectation_class(check.expectation)
    # Loading the suite checked every expectation's name (check_expectation), and domain rules
    # compile to expectations GX has: a missing one is a bug here, not in the suite.
    assert cls is not None, f"Great Expectations has no expectation {check.expectation}"
    return cls(**check.kwargs, meta={"rule": check.rule.name})


def _result(rule: Rule, item: ExpectationValidationResult | None, rows: int) -> CheckResult:
    whole_rows = item is not None and "observed_value" in item.result  # unexpected-rows checks count rows themselves
    unexpected = item.result.get("observed_value" if whole_rows else "unexpected_count") if item else None
    # GX's own message can quote values: only its first line is kept, minus anything quoted.
    # A failure without a count was not evaluated either, whatever GX says of it.
    error = _failure(item.exception_info) if item else None
    if error is None and (item is None or not item.success) and unexpected is None:
        error = "Great Expectations returned no result for this rule"
    counted = rows if whole_rows else item.result.get("element_count") if item else None
    return CheckResult.of(rule, bool(item and item.success) and error is None, counted, unexpected, error)


def _failure(info: dict[str, Any] | None) -> str | None:
    """GX's reason a check could not run (its exception info is flat, or keyed by metric)."""
    if not info:
        return None
    found = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    for entry in found:
        if entry.get("raised_exception"):
            return sanitise(str(entry.get("exception_message") or "the check raised an error"))
    return None
