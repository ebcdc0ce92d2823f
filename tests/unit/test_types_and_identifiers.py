"""Catalogue types and the national identifier check characters."""

from __future__ import annotations

from datetime import date

import pytest

from govshare.catalog.types import CatalogType
from govshare.errors import UnknownType
from govshare.quality.identifiers import citizen_id, is_citizen_id, is_uscc, uscc


@pytest.mark.parametrize(
    ("text", "postgres"),
    [
        ("char(18)", "character(18)"),
        ("varchar(50)", "character varying(50)"),
        ("numeric(18,2)", "numeric(18,2)"),
        ("numeric(10)", "numeric(10,0)"),
        ("timestamp", "timestamp without time zone"),
        ("timestamptz", "timestamp with time zone"),
        ("BIGINT", "bigint"),
    ],
)
def test_types_spell_as_postgres_reports_them(text, postgres):
    assert CatalogType.parse(text).postgres() == postgres


@pytest.mark.parametrize("text", ["string", "varchar", "char(0)", "numeric(2,5)", "text(5)", "int; drop table x"])
def test_unknown_types_are_refused(text):
    with pytest.raises(UnknownType):
        CatalogType.parse(text)


@pytest.mark.parametrize(
    "number",
    ["11010519491231002X", "440524188001010014"],  # GB 11643-1999's own examples
)
def test_published_citizen_id_samples_are_valid(number):
    assert is_citizen_id(number)


@pytest.mark.parametrize(
    "number",
    ["110105194912310021", "11010519491331002X", "1101051949123100", "11010519491231002x"],
)
def test_wrong_check_char_date_length_or_case_is_invalid(number):
    assert not is_citizen_id(number)


def test_generated_citizen_ids_are_valid():
    assert is_citizen_id(citizen_id("130102", date(1985, 3, 7), 123))


@pytest.mark.parametrize(
    "code",
    ["9144030071526726XG", "91330100799655058B", "91110108551385082Q"],  # published enterprise codes
)
def test_published_unified_social_credit_codes_are_valid(code):
    assert is_uscc(code)


@pytest.mark.parametrize("code", ["9144030071526726XH", "9144030071526726IG", "9144030071526726X"])
def test_wrong_uscc_is_invalid(code):
    assert not is_uscc(code)


def test_generated_uscc_are_valid():
    assert is_uscc(uscc("130102", "12345678"))
