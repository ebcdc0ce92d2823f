"""A quality suite that does not load stops the delivery's check with a govshare error naming
the file and each of its problems (`govshare catalog validate` catches them before a run)."""

from __future__ import annotations

import pytest

from govshare.catalog.types import CatalogType
from govshare.errors import SuiteInvalid
from govshare.exchange.plan import Column, DeliveryPlan
from govshare.quality.rules import for_plan


def test_a_broken_suite_names_its_file_and_every_problem(tmp_path):
    cols = (Column("id", CatalogType.parse("bigint"), False), Column("a", CatalogType.parse("text"), True))
    plan = DeliveryPlan("AGR-1", "res", "p", "s", "c", "x", "t", cols, cols, ("id",), "c2", "public", "t")
    suite = tmp_path / "res.yaml"
    suite.write_text(
        "resource: res\nrules:\n"
        "  - {name: a_set, expect: column_values_to_be_in_set, column: a}\n"
        "  - {name: Not-Snake, expect: column_values_to_not_be_null, column: a}\n"
    )
    with pytest.raises(SuiteInvalid) as broken:
        for_plan(plan, tmp_path)
    assert broken.value.path == suite
    assert [(p.location, p.line) for p in broken.value.problems] == [("rules[0].expect", 3), ("rules[1].name", 4)]
    assert broken.value.message == (
        f"the quality suite {suite} has 2 problem(s): rules[0].expect (line 3): rule 'a_set': value_set: field "
        "required; rules[1].name (line 4): rule name 'Not-Snake' is missing or not snake_case"
    )
    assert "`govshare catalog validate`" in broken.value.hint
