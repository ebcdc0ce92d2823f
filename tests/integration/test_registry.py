"""The registry on a real PostgreSQL: catalogue filings and agreements, including refusals
that must leave every table exactly as it was."""

from __future__ import annotations

import psycopg
import pytest

from govshare.catalog import load_catalog
from govshare.errors import AgreementBroken, AgreementNotActive, RequestRefused
from govshare.registry import agreements
from govshare.registry.catalog_store import apply_catalog
from govshare.registry.db import session
from tests.conftest import ROOT, run_cli

TABLES = ("catalog_filing", "agency", "data_element", "resource", "resource_item", "agreement", "delivery")


def snapshot(registry_url: str) -> dict[str, list]:
    """Every row of every registry table, to prove a refused action changed nothing."""
    url = registry_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        state = {t: conn.execute(f"SELECT to_jsonb(x)::text FROM govshare.{t} x ORDER BY 1").fetchall() for t in TABLES}
        state["sequence"] = conn.execute("SELECT last_value, is_called FROM govshare.agreement_number_seq").fetchall()
    return state


def request(**overrides) -> agreements.AgreementRequest:
    fields = dict(
        subscriber="hb_mzt",
        resource="gat_population_register",
        items=["person_id", "citizen_id", "name"],
        purpose="最低生活保障申请人身份核验",
        legal_basis="《社会救助暂行办法》",
        target_conn_id="sub_hb_mzt",
        target_table="population_basic",
    )
    return agreements.AgreementRequest(**{**fields, **overrides})


@pytest.fixture
def applied(registry):
    with session() as s:
        apply_catalog(s, load_catalog(ROOT / "include" / "catalog"), source="test", applied_by="test")
    return registry


def test_apply_files_a_version_and_an_unchanged_catalogue_files_nothing(registry):
    catalog = load_catalog(ROOT / "include" / "catalog")
    with session() as s:
        first = apply_catalog(s, catalog, source="test", applied_by="tester")
    with session() as s:
        second = apply_catalog(s, catalog, source="test", applied_by="tester")
    assert (first.version, first.changed) == (1, True)
    assert (second.version, second.changed) == (1, False)
    state = snapshot(registry)
    assert len(state["resource"]) == len(catalog.resources)
    assert len(state["resource_item"]) == sum(len(r.items) for r in catalog.resources.values())


def test_apply_cli_refuses_an_invalid_catalogue_and_changes_nothing(applied, tmp_path):
    before = snapshot(applied)
    bad = tmp_path / "catalog"
    bad.mkdir()
    for file in (ROOT / "include" / "catalog").glob("*.yaml"):
        (bad / file.name).write_text(file.read_text().replace("provider: hb_rst", "provider: hb_unknown"))
    done = run_cli("catalog", "apply", str(bad))
    assert done.returncode == 1
    assert "nothing was applied" in done.stderr
    assert snapshot(applied) == before


def test_apply_cli_files_a_changed_catalogue_and_warns_about_broken_agreements(applied, catalog_copy):
    with session() as s:
        created = agreements.create(s, request(items=["person_id", "citizen_id", "phone"]), "test")
        agreements.activate(s, created.code)
    population = catalog_copy / "catalog" / "hb_gat.yaml"
    population.write_text(
        population.read_text().replace(
            "      - {name: phone, title: 联系电话, type: varchar(20), personal: phone}\n", ""
        )
    )
    done = run_cli("catalog", "apply", str(catalog_copy / "catalog"))
    assert done.returncode == 0, done.stderr
    assert "filed catalogue version 2" in done.stdout
    assert f"active agreement {created.code}" in done.stderr and "phone" in done.stderr
    with session() as s, pytest.raises(AgreementBroken, match="phone"):
        agreements.plan_for(s, created.code)


def test_create_activate_and_plan(applied):
    with session() as s:
        created = agreements.create(s, request(items=["name", "person_id", "citizen_id"]), "tester")
        assert (created.code, created.status) == ("AGR-0001", "draft")
        assert created.items == ["person_id", "citizen_id", "name"]  # catalogue order
    with session() as s, pytest.raises(AgreementNotActive):
        agreements.plan_for(s, "AGR-0001")
    with session() as s:
        agreements.activate(s, "AGR-0001")
    with session() as s:
        plan = agreements.plan_for(s, "AGR-0001")
    assert [c.name for c in plan.columns] == ["person_id", "citizen_id", "name"]
    assert len(plan.catalogued) == 9 and plan.key == ("person_id",)
    assert (plan.source_conn_id, plan.source, plan.target) == (
        "front_hb_gat",
        "exchange.population_register",
        "public.population_basic",
    )


REFUSALS = [
    (dict(items=["person_id", "salary"]), "has no item(s) salary", "request only its items: person_id, citizen_id"),
    (dict(resource="rst_medical_records", items=["case_id"]), "is not_shared", "joint decision"),
    (dict(subscriber="hb_nowhere"), "unknown agency 'hb_nowhere'", "use a catalogued agency code"),
    (dict(resource="gat_nothing"), "unknown resource 'gat_nothing'", "govshare catalog resources"),
    (dict(items=["citizen_id", "name"]), "must include the resource's primary key", "add person_id"),
    (dict(subscriber="hb_gat"), "provides 'gat_population_register' itself", "needs no agreement"),
    (dict(subscriber="hb_sjj"), "is a competent_department and cannot subscribe", "only departments"),
    (dict(schedule="every day"), "neither a preset nor a cron expression", "@daily"),
    (dict(purpose="  "), "purpose and legal basis are required", "article 15"),
    (dict(target_table="Population; DROP TABLE x"), "is not a safe SQL name", "lowercase letters"),
]


@pytest.mark.parametrize(("overrides", "message", "hint"), REFUSALS, ids=[r[1][:30] for r in REFUSALS])
def test_refused_requests_explain_and_change_nothing(applied, overrides, message, hint):
    before = snapshot(applied)
    with pytest.raises(RequestRefused) as refused, session() as s:
        agreements.create(s, request(**overrides), "tester")
    assert message in refused.value.message
    assert hint in refused.value.hint
    assert snapshot(applied) == before


def test_two_agreements_cannot_write_one_table(applied):
    with session() as s:
        agreements.create(s, request(), "tester")
    before = snapshot(applied)
    with pytest.raises(RequestRefused, match="already receives agreement AGR-0001"), session() as s:
        agreements.create(s, request(resource="scjg_enterprise_register", items=["uscc"]), "tester")
    assert snapshot(applied) == before


def test_cli_refusal_prints_error_and_fix_and_exits_1(applied):
    before = snapshot(applied)
    done = run_cli(
        "agreement",
        "create",
        "--subscriber",
        "hb_mzt",
        "--resource",
        "rst_medical_records",
        "--items",
        "case_id,diagnosis",
        "--purpose",
        "x",
        "--legal-basis",
        "y",
        "--target-conn",
        "sub_hb_mzt",
        "--target-table",
        "diagnosis",
    )
    assert done.returncode == 1
    assert "error: resource 'rst_medical_records' is not_shared" in done.stderr
    assert "fix:" in done.stderr and "Traceback" not in done.stderr
    assert snapshot(applied) == before


def test_cli_create_activate_list(applied):
    done = run_cli(
        "agreement",
        "create",
        "--subscriber",
        "hb_mzt",
        "--resource",
        "scjg_enterprise_register",
        "--items",
        "uscc,name,status",
        "--purpose",
        "家庭经济状况核对",
        "--legal-basis",
        "《社会救助暂行办法》",
        "--target-conn",
        "sub_hb_mzt",
        "--target-table",
        "enterprise_basic",
        "--schedule",
        "0 2 * * *",
    )
    assert done.returncode == 0, done.stderr
    assert "created agreement AGR-0001 (draft)" in done.stdout
    assert run_cli("agreement", "activate", "AGR-0001").returncode == 0
    listed = run_cli("agreement", "list", "--status", "active")
    assert "AGR-0001" in listed.stdout and "0 2 * * *" in listed.stdout
    missing = run_cli("agreement", "activate", "AGR-9999")
    assert missing.returncode == 1 and "no agreement 'AGR-9999'" in missing.stderr
