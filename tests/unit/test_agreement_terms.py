"""An agreement's terms are declared once (govshare.registry.terms): the registry's columns, the
API's bodies and the CLI's options follow them field by field, and their grammar is the engine's."""

from __future__ import annotations

import dataclasses

import pytest
from pydantic import ValidationError

from govshare.api.schemas import AgreementIn, AgreementOut
from govshare.catalog import load_catalog
from govshare.cli.agreement import REQUEST_TERMS, draft, flag, submit
from govshare.delivery.plan import plan_for
from govshare.exchange.plan import DeliveryPlan
from govshare.registry import agreements
from govshare.registry import models as m
from govshare.registry.catalog_store import apply_catalog
from govshare.registry.db import session
from govshare.registry.terms import AgreementTerms, terms_of
from tests.helpers import active_agreement, request

TERMS = list(AgreementTerms.model_fields)
PLAN = [f.name for f in dataclasses.fields(DeliveryPlan)]
IN_THE_PLAN = [t for t in TERMS if t in PLAN]  # the terms the plan carries under their own name
# The terms that reach the plan as its columns: the items granted, each with its mask.
AS_COLUMNS = {"items", "masking"}
# The terms that say why and when an agreement delivers, not what a delivery moves.
NOT_DELIVERED = {"purpose", "legal_basis", "schedule", "start_date", "end_date"}
# The plan's fields that are no term: the agreement's record beyond its terms, and the resource's
# own facts from the catalogue.
OF_THE_RECORD = {"agreement_code", "corrections", "target_adopted"}
OF_THE_RESOURCE = {
    "provider_code",
    "source_conn_id",
    "source_schema",
    "source_table",
    "catalogued",
    "key",
    "update_column",
}
ASKED = dict(
    subscriber_code="hb_mzt",
    resource_code="gat_population_register",
    items=["person_id"],
    purpose="p",
    legal_basis="b",
    target_conn_id="sub_hb_mzt",
    target_table="t",
)


def test_every_term_has_a_column_of_its_name():
    columns = set(m.Agreement.__table__.columns.keys())
    assert [t for t in TERMS if t not in columns] == []


def test_the_api_bodies_are_the_terms():
    assert list(AgreementIn.model_fields) == [t for t in TERMS if t != "subscriber_code"] + ["submit"]
    assert list(AgreementOut.model_fields)[: len(TERMS)] == TERMS
    for term in AgreementIn.model_fields.keys() - {"submit"}:
        assert AgreementIn.model_fields[term].description == AgreementTerms.model_fields[term].description


@pytest.mark.parametrize("command", [draft, submit], ids=["draft", "submit"])
def test_the_cli_options_are_the_terms(command):
    options = {p.name: p for p in command.params if p.name != "token" and p.param_type_name == "option"}
    assert list(options) == REQUEST_TERMS == [t for t in TERMS if t != "subscriber_code"]
    for term, option in options.items():
        assert option.opts == [flag(term)]
        assert AgreementTerms.model_fields[term].description in option.help


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (dict(masking={"citizen_id": "blur"}), "unknown mask 'blur'"),
        (dict(row_filter=[{"item": "region_code", "op": "like", "value": "13%"}]), "unknown filter operator 'like'"),
        (dict(row_filter=[{"item": "status", "op": "between", "value": ["a"]}]), "'between' takes a list of two"),
        (dict(mode="stream"), "'snapshot' or 'incremental'"),
        (dict(deletions="soft"), "'none' or 'key_diff'"),
        (dict(overlap=-1), "greater than or equal to 0"),
        (dict(purpose="a\x00b"), "must not contain NUL"),
        (dict(items=[]), "at least 1 item"),
    ],
)
def test_the_terms_refuse_what_no_catalogue_could_accept(given, message):
    with pytest.raises(ValidationError) as invalid:
        AgreementTerms(**ASKED | given)
    assert message in str(invalid.value)


def test_the_row_filter_reads_as_the_engine_reads_it():
    terms = AgreementTerms(**ASKED, row_filter=[{"item": "status", "op": "in", "value": ["存续", "在业"]}])
    [condition] = terms.conditions()
    assert (condition.item, condition.op, condition.value) == ("status", "in", ("存续", "在业"))


def test_every_plan_field_that_is_a_term_bears_the_term_s_name():
    # A term renamed on its way into the plan (watermark_column, subscriber) leaves both lists.
    assert sorted(set(TERMS) - set(IN_THE_PLAN)) == sorted(AS_COLUMNS | NOT_DELIVERED)
    assert sorted(set(PLAN) - set(IN_THE_PLAN)) == sorted({"columns"} | OF_THE_RECORD | OF_THE_RESOURCE)


@pytest.fixture
def second_schema(applied, catalog_copy):
    """hb_mzt's database declares a schema besides public, so an agreement can name a target
    schema other than the default."""
    path = catalog_copy / "catalog" / "hb_mzt.yaml"
    declared = path.read_text(encoding="utf-8")
    assert "schemas: [public]" in declared
    path.write_text(declared.replace("schemas: [public]", "schemas: [public, civil_affairs]", 1), encoding="utf-8")
    with session() as s:
        apply_catalog(s, load_catalog(catalog_copy / "catalog"), source="test", applied_by="test")


def test_the_plan_takes_each_term_from_the_agreement_s_term_of_that_name(second_schema):
    code = active_agreement(
        request(
            items=["person_id", "citizen_id", "name", "region_code", "updated_at"],
            target_schema="civil_affairs",
            mode="incremental",
            watermark="updated_at",
            overlap=3600,
            deletions="key_diff",
            empty_source_ok=True,
            row_filter=[{"item": "region_code", "op": "in", "value": ["130100", "130200"]}],
            masking={"name": "keep:1,1"},
        )
    )
    with session() as s:
        terms = terms_of(agreements.get(s, code))
        plan = plan_for(s, code)
    # Each term asked is other than its default, so a plan that took the default would not pass.
    fields = AgreementTerms.model_fields
    defaults = {t: f.get_default(call_default_factory=True) for t, f in fields.items() if not f.is_required()}
    assert [t for t in IN_THE_PLAN if t in defaults and getattr(terms, t) == defaults[t]] == []
    assert {t: getattr(plan, t) for t in IN_THE_PLAN} == {t: getattr(terms, t) for t in IN_THE_PLAN} | {
        "row_filter": terms.conditions()  # the engine's reading of the same conditions
    }
    assert [c.name for c in plan.columns] == terms.items
    assert {c.name: str(c.mask) for c in plan.columns if c.name in terms.masking} == terms.masking
