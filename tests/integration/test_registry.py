"""The registry on a real PostgreSQL: catalogue filings and requests, including refusals that
must leave every table as it was (but for the audit entry recording the refusal)."""

from __future__ import annotations

import psycopg
import pytest

from govshare.catalog import load_catalog
from govshare.delivery.plan import plan_for
from govshare.errors import AgreementBroken, AgreementNotActive, NotAllowed, RequestRefused
from govshare.lifecycle import service
from govshare.registry import agreements
from govshare.registry.catalog_store import apply_catalog
from govshare.registry.db import session
from tests.conftest import ROOT, run_cli
from tests.helpers import active_agreement, agency, request

TABLES = (
    "catalog_filing",
    "agency",
    "data_element",
    "resource",
    "resource_item",
    "agreement",
    "delivery",
    "agreement_transition",
    "joint_vote",
    "agency_token",
    "notification",
)


def snapshot(registry_url: str) -> dict[str, list]:
    """Every row of every registry table but the audit log, to prove a refusal changed nothing."""
    url = registry_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        state = {t: conn.execute(f"SELECT to_jsonb(x)::text FROM govshare.{t} x ORDER BY 1").fetchall() for t in TABLES}
        state["sequence"] = conn.execute("SELECT last_value, is_called FROM govshare.agreement_number_seq").fetchall()
    return state


def audit_tail(registry_url: str, n: int = 1) -> list[tuple]:
    url = registry_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT actor, action, subject, detail FROM govshare.audit_entry ORDER BY seq DESC LIMIT %s", (n,)
        ).fetchall()


def test_apply_files_a_version_and_an_unchanged_catalogue_files_nothing(registry):
    catalog = load_catalog(ROOT / "include" / "catalog")
    with session() as s:
        first = apply_catalog(s, catalog, source="test", applied_by="tester")
    with session() as s:
        second = apply_catalog(s, catalog, source="test", applied_by="tester")
    assert (first.version, first.changed) == (1, True)
    assert first.changes == ["first filing: 9 agencies, 8 elements, 4 resources"]
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
    assert "unknown agency 'hb_unknown'" in done.stderr  # each problem is listed
    assert "nothing was applied" in done.stderr
    assert snapshot(applied) == before


def without_phone(include):
    """The population register without its phone item (and the quality rule about it)."""
    suite = include / "quality" / "gat_population_register.yaml"
    suite.write_text("".join(line for line in suite.read_text().splitlines(True) if "phone_is_mobile" not in line))
    population = include / "catalog" / "hb_gat.yaml"
    population.write_text(
        population.read_text().replace(
            "      - {name: phone, title: 联系电话, type: varchar(20), personal: phone}\n", ""
        )
    )
    return population


def test_apply_cli_files_the_diff(applied, catalog_copy):
    population = without_phone(catalog_copy)
    population.write_text(
        population.read_text().replace(
            "update_cycle: daily\n    national_code: 101/00001",
            "update_cycle: hourly\n    national_code: 101/00001",
        )
    )
    done = run_cli("catalog", "apply", str(catalog_copy / "catalog"))
    assert done.returncode == 0, done.stderr
    assert "filed catalogue version 2" in done.stdout
    assert "resource gat_population_register: update_cycle daily → hourly" in done.stdout
    assert "resource gat_population_register: item phone removed" in done.stdout
    shown = run_cli("catalog", "filings", "--version", "2")
    assert "item phone removed" in shown.stdout


def test_request_and_plan(applied):
    with session() as s:
        created = service.request(s, agency("hb_mzt"), request(items=["name", "person_id", "citizen_id"]))
        assert (created.code, created.status) == ("AGR-0001", "draft")
        assert created.items == ["person_id", "citizen_id", "name"]  # catalogue order
    with session() as s, pytest.raises(AgreementNotActive):
        plan_for(s, "AGR-0001")
    code = active_agreement(request(target_table="other"))
    with session() as s:
        plan = plan_for(s, code)
    assert [c.name for c in plan.columns] == ["person_id", "citizen_id", "name"]
    assert len(plan.catalogued) == 9 and plan.key == ("person_id",)
    assert (plan.source_conn_id, plan.source, plan.target) == (
        "front_hb_gat",
        "exchange.population_register",
        "public.other",
    )


REFUSALS = [
    (dict(items=["person_id", "salary"]), "has no item(s) salary", "request only its items: person_id, citizen_id"),
    (dict(resource_code="gat_nothing"), "unknown resource 'gat_nothing'", "govshare catalog resources"),
    (dict(items=["citizen_id", "name"]), "must include the resource's primary key", "add person_id"),
    (dict(schedule="every day"), "neither a preset nor a cron expression", "@daily"),
    (dict(purpose="  "), "purpose and legal basis are required", "article 15"),
    (dict(target_table="Population; DROP TABLE x"), "is not a safe SQL name", "lowercase letters"),
]


@pytest.mark.parametrize(("overrides", "message", "hint"), REFUSALS, ids=[r[1][:30] for r in REFUSALS])
def test_refused_requests_explain_change_nothing_and_are_audited(applied, overrides, message, hint):
    before = snapshot(applied)
    actor = agency("hb_mzt")
    with pytest.raises(RequestRefused) as refused:
        service.act(actor, "draft", "agency:hb_mzt", lambda s: service.request(s, actor, request(**overrides)))
    assert message in refused.value.message
    assert hint in refused.value.hint
    assert snapshot(applied) == before
    [(who, action, subject, detail)] = audit_tail(applied)
    assert (who, action, subject, detail["action"]) == ("agency:hb_mzt", "denied", "agency:hb_mzt", "draft")
    assert message in detail["reason"]


@pytest.mark.parametrize(
    ("acting", "subscriber", "resource", "message"),
    [
        ("hb_mzt", "hb_nowhere", "gat_population_register", "may not request data for 'hb_nowhere'"),
        ("hb_gat", "hb_gat", "gat_population_register", "provides 'gat_population_register' itself"),
        ("hb_sjj", "hb_sjj", "gat_population_register", "is a competent_department and cannot subscribe"),
        ("hb_scjg", "hb_mzt", "gat_population_register", "may not request data for 'hb_mzt'"),
    ],
)
def test_who_may_request(applied, acting, subscriber, resource, message):
    before = snapshot(applied)
    actor = agency(acting)
    with pytest.raises((RequestRefused, NotAllowed)) as refused:
        service.act(
            actor,
            "draft",
            f"agency:{acting}",
            lambda s: service.request(s, actor, request(subscriber_code=subscriber, resource_code=resource)),
        )
    assert message in refused.value.message
    assert snapshot(applied) == before


def test_two_agreements_cannot_write_one_table(applied):
    with session() as s:
        service.request(s, agency("hb_mzt"), request())
    before = snapshot(applied)
    with pytest.raises(RequestRefused, match="already receives agreement AGR-0001"), session() as s:
        service.request(s, agency("hb_mzt"), request(resource_code="scjg_enterprise_register", items=["uscc"]))
    assert snapshot(applied) == before


def test_a_changed_personal_data_category_suspends_rather_than_unmasks(applied, catalog_copy):
    code = active_agreement(request(items=["person_id", "citizen_id", "phone"]))
    population = catalog_copy / "catalog" / "hb_gat.yaml"
    text = population.read_text()
    phone = "      - {name: phone, title: 联系电话, type: varchar(20), personal: phone}\n"
    assert phone in text
    population.write_text(text.replace(phone, phone.replace(", personal: phone", "")))
    done = run_cli("catalog", "apply", str(catalog_copy / "catalog"))
    assert done.returncode == 0, done.stderr
    assert (
        f"suspended agreement {code}: agreed item phone's personal-data category changed from phone to" in done.stderr
    )
    with session() as s:
        assert agreements.get(s, code).status == "suspended"


def test_a_catalogue_change_can_break_an_agreement(applied, catalog_copy):
    code = active_agreement(request(items=["person_id", "citizen_id", "phone"]))
    without_phone(catalog_copy)
    done = run_cli("catalog", "apply", str(catalog_copy / "catalog"))
    assert done.returncode == 0, done.stderr
    assert f"suspended agreement {code}: agreed item phone was removed" in done.stderr
    with session() as s:
        assert agreements.get(s, code).status == "suspended"
        with pytest.raises(AgreementNotActive):
            plan_for(s, code)
    with session() as s, pytest.raises(RequestRefused, match="has no item"):
        service.resume(s, agency("hb_sjj"), code)  # it cannot come back while the item is gone
    with session() as s, pytest.raises(AgreementBroken):
        agreements.get(s, code).status = "active"  # even if forced active, no plan is made for it
        s.flush()
        plan_for(s, code)
