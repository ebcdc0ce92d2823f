"""An agreement's terms are declared once (govshare.registry.terms): the registry's columns, the
API's bodies and the CLI's options follow them field by field, and their grammar is the engine's."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from govshare.api.schemas import AgreementIn, AgreementOut
from govshare.cli.agreement import REQUEST_TERMS, draft, flag, submit
from govshare.registry import models as m
from govshare.registry.terms import AgreementTerms

TERMS = list(AgreementTerms.model_fields)
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
