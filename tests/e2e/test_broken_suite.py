"""A quality suite broken after `govshare catalog validate` passed (edited in place): the
delivery's check step stops with the suite's own error, the record says which file and which
rule, and the subscriber's table is left as it was."""

from __future__ import annotations

import pytest

from govshare.airflow.runtime import OUTSIDE_A_TASK
from govshare.delivery.run import DeliveryRun
from govshare.errors import DeliveryUnsuccessful
from govshare.registry import deliveries
from govshare.registry.db import session
from tests.helpers import active_agreement, previous_delivery, query, request

pytestmark = pytest.mark.airflow


def test_a_broken_suite_fails_the_check_and_names_its_problem(world, catalog_copy, monkeypatch):
    suite = catalog_copy / "quality" / "gat_population_register.yaml"
    suite.write_text(
        suite.read_text() + "  - {name: gender_known, expect: column_values_to_be_in_set, column: gender}\n"
    )
    monkeypatch.setenv("GOVSHARE_QUALITY_DIR", str(suite.parent))
    code = active_agreement(request())
    previous_delivery(world["subscriber"], code, "population_basic", "person_id")
    with pytest.raises(DeliveryUnsuccessful):
        DeliveryRun(code, "manual__suite", OUTSIDE_A_TASK).run()
    with session() as s:
        delivery = deliveries.find(s, code, "manual__suite")
    assert delivery.status == "failed"
    assert delivery.error.startswith(f"check: the quality suite {suite} has 1 problem(s): rules[")
    assert "rule 'gender_known': value_set: field required — " in delivery.error
    assert "`govshare catalog validate`" in delivery.error
    assert query(world["subscriber"], "SELECT * FROM public.population_basic") == [(1, "previous delivery")]
