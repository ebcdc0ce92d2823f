"""Quality suites: the rules the catalogue implies and the checks of suite files."""

from __future__ import annotations

from govshare.catalog import load_catalog
from govshare.catalog.types import CatalogType
from govshare.exchange.plan import Column, DeliveryPlan
from govshare.quality.rules import derived, for_plan, validate_suites
from tests.conftest import ROOT


def plan(columns, key=("id",)) -> DeliveryPlan:
    cols = tuple(Column(n, CatalogType.parse(t), nullable) for n, t, nullable in columns)
    return DeliveryPlan("AGR-1", "res", "p", "s", "c", "x", "t", cols, cols, key, "c2", "public", "t")


def test_catalogue_implies_key_and_not_null_checks():
    rules = derived(plan([("id", "bigint", False), ("a", "text", False), ("b", "text", True)]))
    assert [(r.name, r.expectation, r.severity) for r in rules] == [
        ("key_not_null:id", "expect_column_values_to_not_be_null", "block"),
        ("key_unique:id", "expect_column_values_to_be_unique", "block"),
        ("not_null:a", "expect_column_values_to_not_be_null", "block"),
    ]


def test_compound_key_uses_compound_uniqueness():
    rules = derived(plan([("x", "integer", False), ("y", "integer", False)], key=("x", "y")))
    assert ("key_unique:x+y", "expect_compound_columns_to_be_unique") in [(r.name, r.expectation) for r in rules]


def test_suite_rules_on_undelivered_columns_are_skipped(tmp_path):
    (tmp_path / "res.yaml").write_text(
        "resource: res\nrules:\n"
        "  - {name: a_set, expect: column_values_to_be_in_set, column: a, value_set: [x]}\n"
        "  - {name: b_set, expect: column_values_to_be_in_set, column: b, value_set: [x], severity: warn}\n"
    )
    rules, skipped = for_plan(plan([("id", "bigint", False), ("a", "text", True)]), tmp_path)
    assert [(r.name, why) for r, why in skipped] == [("b_set", "a column it checks is not in this agreement")]
    assert "a_set" in [r.name for r in rules]


def test_shipped_suites_are_valid():
    catalog = load_catalog(ROOT / "include" / "catalog")
    assert validate_suites(ROOT / "include" / "quality", catalog) == []


def test_malformed_suite_names_file_and_rule(tmp_path):
    catalog = load_catalog(ROOT / "include" / "catalog")
    (tmp_path / "rst_social_insurance.yaml").write_text(
        "resource: rst_social_insurance\nrules:\n"
        "  - {name: typo, expect: column_values_to_be_betwen, column: monthly_base, min_value: 0}\n"
        "  - {name: no_column, expect: column_values_to_not_be_null, column: salary}\n"
        "  - {name: bad_severity, expect: column_values_to_not_be_null, column: status, severity: fatal}\n"
        "  - {name: bad_args, expect: column_values_to_be_between, column: monthly_base, min_value: [1]}\n"
    )
    problems = validate_suites(tmp_path, catalog)
    by_line = {p.line: p for p in problems}
    assert "unknown expectation 'column_values_to_be_betwen'" in by_line[3].message
    assert "rule 'no_column' checks column 'salary'" in by_line[4].message
    assert "unknown severity 'fatal'" in by_line[5].message
    assert "rule 'bad_args'" in by_line[6].message and by_line[6].location == "rules[3].expect"
    assert all(p.file.name == "rst_social_insurance.yaml" for p in problems)
