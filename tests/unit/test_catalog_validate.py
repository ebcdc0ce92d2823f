"""Catalogue validation: one fixture per kind of mistake, each message checked for file, line,
place in the document, what is wrong and the fix."""

from __future__ import annotations

import shutil

import pytest

from govshare.catalog import load_catalog, validate
from govshare.errors import CatalogInvalid
from tests.conftest import FIXTURES, ROOT, run_cli

CATALOGS = FIXTURES / "catalogs"


def only_problem(name: str):
    catalog, problems = validate(CATALOGS / name)
    assert catalog is None
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def test_shipped_catalogue_and_fixture_are_valid():
    for path in (ROOT / "include" / "catalog", CATALOGS / "valid.yaml"):
        catalog, problems = validate(path)
        assert problems == []
        assert catalog is not None and catalog.resources


def test_unknown_agency():
    problem = only_problem("unknown_agency.yaml")
    assert (problem.file.name, problem.line, problem.location) == ("unknown_agency.yaml", 21, "resources[0].provider")
    assert problem.message == "unknown agency 'prov_x'"
    assert "prov_a, prov_b" in problem.hint


def test_element_claimed_by_two_agencies():
    problem = only_problem("two_authorities.yaml")
    assert (problem.line, problem.location) == (18, "elements[2].authority")
    assert "'citizen_id' is claimed as authoritative by 'prov_b' here and by 'prov_a'" in problem.message
    assert "two_authorities.yaml:16" in problem.message  # where the first claim is
    assert "一数一源" in problem.message


def test_item_copying_another_agencys_element_must_say_so():
    problem = only_problem("undeclared_copy.yaml")
    assert (problem.line, problem.location) == (30, "resources[0].items[1].element")
    assert "authoritative source is 'prov_a', not the provider 'prov_b'" in problem.message
    assert problem.hint.startswith("declare `copy_of: prov_a`")


def test_duplicate_code():
    problem = only_problem("duplicate_code.yaml")
    assert (problem.line, problem.location) == (31, "resources[1].code")
    assert "resource code 'b_licences' is already defined at" in problem.message
    assert "duplicate_code.yaml:19" in problem.message


def test_unknown_type():
    problem = only_problem("unknown_type.yaml")
    assert (problem.line, problem.location) == (29, "resources[0].items[0].type")
    assert problem.message == "unknown type 'string'"
    assert "varchar(n)" in problem.hint and "numeric(p,s)" in problem.hint


def test_unsafe_identifiers_are_all_reported_at_once():
    catalog, problems = validate(CATALOGS / "unsafe_identifier.yaml")
    assert catalog is None
    assert [(p.line, p.location) for p in problems] == [
        (26, "resources[0].front_db.table"),
        (30, "resources[0].items[1].name"),
    ]
    assert "'licences; drop table x' is not a safe SQL name" in problems[0].message
    assert "lowercase letters, digits and underscores" in problems[0].hint


def test_a_bad_connection_id_or_email_is_quoted_in_the_message(tmp_path):
    text = (CATALOGS / "valid.yaml").read_text()
    text = text.replace("email: a@example.gov.cn", "email: not-an-address", 1)
    text = text.replace("conn_id: front_b", 'conn_id: "front b!"', 1)
    (tmp_path / "c.yaml").write_text(text)
    _, problems = validate(tmp_path)
    messages = {p.location: p.message for p in problems}
    assert messages == {
        "agencies[0].contacts[0].email": "'not-an-address' is not an email address",
        "resources[0].front_db.conn_id": "'front b!' is not a valid Airflow connection id",
    }


def test_the_models_quote_the_value_in_their_own_messages():
    from pydantic import ValidationError

    from govshare.catalog.model import FrontTable

    with pytest.raises(ValidationError) as raised:
        FrontTable(conn_id="front b!", schema="Exchange", table="t")
    assert [e["msg"] for e in raised.value.errors()] == [
        "'front b!' is not a valid Airflow connection id",
        "'Exchange' is not a safe name",
    ]


def test_yaml_syntax_error_names_the_line():
    problem = only_problem("bad_syntax.yaml")
    assert problem.line == 4 and problem.message.startswith("not valid YAML")


def test_every_problem_across_files_is_reported(tmp_path):
    for name in ("unknown_agency.yaml", "unknown_type.yaml"):
        shutil.copy(CATALOGS / name, tmp_path / name)
    # Both files define the same agencies and elements, so those duplicates are reported too.
    _, problems = validate(tmp_path)
    messages = [p.message for p in problems]
    assert "unknown agency 'prov_x'" in messages
    assert "unknown type 'string'" in messages
    assert any("agency code 'prov_a' is already defined" in m for m in messages)


def test_misspelt_field_lists_the_allowed_ones(tmp_path):
    text = (CATALOGS / "valid.yaml").read_text().replace("nullable: false}", "nulable: false}", 1)
    (tmp_path / "c.yaml").write_text(text)
    _, problems = validate(tmp_path)
    assert [p.location for p in problems] == ["resources[0].items[0].nulable"]
    assert problems[0].message == "unknown field 'nulable'"
    assert "nullable" in problems[0].hint and "copy_of" in problems[0].hint


def test_unquoted_region_code_is_explained(tmp_path):
    text = (CATALOGS / "valid.yaml").read_text().replace('region_code: "130000"', "region_code: 130000", 1)
    (tmp_path / "c.yaml").write_text(text)
    _, problems = validate(tmp_path)
    assert [(p.line, p.location) for p in problems] == [(7, "agencies[0].region_code")]
    assert "quote the value" in problems[0].hint


def test_load_catalog_raises_with_all_problems():
    with pytest.raises(CatalogInvalid) as raised:
        load_catalog(CATALOGS / "unsafe_identifier.yaml")
    assert len(raised.value.problems) == 2


@pytest.mark.parametrize("name", ["unknown_agency.yaml", "two_authorities.yaml", "unsafe_identifier.yaml"])
def test_cli_exits_1_and_prints_file_line_and_fix(name):
    done = run_cli("catalog", "validate", str(CATALOGS / name))
    assert done.returncode == 1
    assert f"{name}:" in done.stderr and "fix:" in done.stderr and "problem(s)" in done.stderr


def test_cli_exits_0_on_the_shipped_catalogue():
    done = run_cli("catalog", "validate")
    assert done.returncode == 0, done.stderr
    assert "catalogue OK" in done.stdout and "quality suites" in done.stdout


def test_a_knock_on_problem_points_to_the_first_one_instead_of_spreading_it():
    # Each first mistake is reported with its own fix; what depends on it says where that is,
    # and never advises to copy the mistaken value (`use type char18`, `copy_of: prov_bb`).
    _, problems = validate(CATALOGS / "knock_on.yaml")
    fixes = {p.location: p.hint for p in problems}
    where = f"{CATALOGS / 'knock_on.yaml'}"
    assert fixes["resources[0].items[1].type"].startswith(
        f"see the problem with the type of element 'citizen_id' at {where}:18"
    )
    assert fixes["resources[0].items[0].element"].startswith(
        f"see the problem with the authority of element 'licence_no' at {where}:19"
    )
    assert fixes["resources[0].update_column"] == f"see the problem with the type of item 'changed_at' at {where}:35"
    assert not any("char18" in fix or "prov_bb" in fix for fix in fixes.values()), fixes
    # b_permits is broken (its own problem is reported): naming it as related is no second problem
    assert "resources[0].related[0]" not in fixes
    assert sorted(fixes) == [
        "elements[0].type",
        "elements[1].authority",
        "resources[0].items[0].element",
        "resources[0].items[1].type",
        "resources[0].items[2].type",
        "resources[0].update_column",
        "resources[1].items[0].nullable",
    ]
