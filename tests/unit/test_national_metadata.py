"""The national catalogue's core fields and what an open resource may show the public: each
mistake named with file, line, place and fix, on a copy of the shipped catalogue."""

from __future__ import annotations

import pytest

from govshare.catalog import validate

SCJG = "catalog/hb_scjg.yaml"


def problems_after(catalog_copy, old: str, new: str, file: str = SCJG) -> list:
    path = catalog_copy / file
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
    catalog, found = validate(catalog_copy / "catalog")
    assert catalog is None
    return found


def only(found: list):
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


def test_a_personal_item_of_an_open_resource_must_be_omitted_or_masked(catalog_copy):
    problem = only(problems_after(catalog_copy, "personal: id_number, public: omit}", "personal: id_number}"))
    assert problem.location == "resources[0].items[3].public" and problem.file.name == "hb_scjg.yaml"
    assert "'legal_rep_citizen_id' is personal (id_number)" in problem.message
    assert "public: omit" in problem.hint
    found = problems_after(catalog_copy, "personal: name, public: name}", "personal: name, public: publish}")
    assert [p.location for p in found] == ["resources[0].items[2].public", "resources[0].items[3].public"]


@pytest.mark.parametrize(
    ("old", "new", "where", "words"),
    [
        ("national_code: 101/00002", "national_code: 301/00002", "resources[0].national_code", "starts with 3"),
        ("national_code: 101/00002", "national_code: 101-2", "resources[0].national_code", "national form"),
        (
            "national_code: 101/00002",
            "national_code: 101/00001",
            "resources[0].national_code",
            "gat_population_register",
        ),
        ("related: [rst_social_insurance]", "related: [rst_nothing]", "resources[0].related[0]", "not a resource"),
        ("    open_type: open\n", "    open_type: conditional_open\n", "resources[0].open_type", "open_condition"),
        ('    credit_code: "11130000000001046W"', "    credit_code: abc", "agencies[0].credit_code", "credit code"),
        ("public: name}", "public: hmac}", "resources[0].items[2].public", "public release"),
        ("{name: uscc, title", "{name: uscc, public: omit, title", "resources[0].items[0].public", "primary key"),
    ],
)
def test_national_metadata_mistakes_are_named(catalog_copy, old, new, where, words):
    problem = only([p for p in problems_after(catalog_copy, old, new) if p.file.name == "hb_scjg.yaml"])
    assert problem.location == where and problem.line
    assert words in problem.message + problem.hint, str(problem)


def test_an_open_resource_needs_its_release_date(catalog_copy):
    found = problems_after(catalog_copy, "    released_on: 2026-01-08\n", "")
    assert "lacks `released_on`" in only(found).message


def test_an_open_resource_needs_a_provider_credit_code(catalog_copy):
    found = problems_after(
        catalog_copy, '    credit_code: "11130000000001046W"          # sample code, check character valid\n', ""
    )
    problem = only(found)
    assert problem.location == "resources[0].provider" and "credit_code" in problem.hint


def test_a_resource_not_shared_cannot_be_open(catalog_copy):
    found = problems_after(
        catalog_copy,
        "    share_type: unconditional\n    open_type: open",
        "    share_type: not_shared\n    share_condition: 法律规定\n    open_type: open",
    )
    assert any(p.location == "resources[0].open_type" and "not shared" in p.message for p in found)


def test_a_conditionally_shared_resource_cannot_be_open_without_condition(catalog_copy):
    found = problems_after(
        catalog_copy,
        "    share_type: unconditional\n    open_type: open",
        "    share_type: conditional\n    share_condition: 仅限市场监管使用\n    open_type: open",
    )
    problem = only([p for p in found if p.location == "resources[0].open_type"])
    assert "only on a condition" in problem.message and "conditional_open" in problem.hint


@pytest.mark.parametrize(
    ("old", "new", "item", "words"),
    [
        # a truncation to the whole length publishes every value as it is
        ("personal: id_number, public: omit}", "personal: id_number, public: truncate:18}", 3, "keeps all of it"),
        ("personal: name, public: name}", "personal: name, public: truncate:50}", 2, "keeps all of it"),
        # a text mask on a date would only fail when the publication runs
        ("type: date, nullable: false}", "type: date, nullable: false, personal: other, public: name}", 5, "text"),
    ],
)
def test_a_public_mask_must_hide_something(catalog_copy, old, new, item, words):
    problem = only(problems_after(catalog_copy, old, new))
    assert problem.location == f"resources[0].items[{item}].public" and words in problem.message, str(problem)


def test_a_truncation_shorter_than_the_item_is_a_mask(catalog_copy):
    path = catalog_copy / SCJG
    path.write_text(path.read_text().replace("personal: name, public: name}", "personal: name, public: truncate:1}"))
    catalog, found = validate(catalog_copy / "catalog")
    assert found == [] and catalog is not None
