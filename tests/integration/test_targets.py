"""A target belongs to its subscriber: requests naming another agency's database, a schema or
table the platform keeps, are refused and change nothing; a delivery never replaces or merges
into a table the platform did not make, unless an operator adopted it (audited)."""

from __future__ import annotations

import psycopg
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govshare import identity
from govshare.api.app import app
from govshare.catalog.validate import validate
from govshare.delivery.plan import plan_for
from govshare.errors import ExchangeFailed, RequestRefused
from govshare.exchange.address import DatabaseAddress
from govshare.exchange.preflight import preflight
from govshare.exchange.publish import publish
from govshare.exchange.stage import stage
from govshare.lifecycle import service
from govshare.registry import agreements
from govshare.registry.db import session
from tests.conftest import run_cli
from tests.helpers import active_agreement, agency, execute, operator, population_front_db, request
from tests.integration.test_exchange import make_plan
from tests.integration.test_registry import audit_tail, snapshot


@pytest.fixture
def client(applied):
    with session() as s:
        token = identity.create_token(s, "hb_mzt", operator())
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


def registry_state(url: str) -> dict:
    """The registry but for the token's last use, which every request updates."""
    return {table: rows for table, rows in snapshot(url).items() if table != "agency_token"}


def body(**target) -> dict:
    return {
        "resource_code": "gat_population_register",
        "items": ["person_id", "citizen_id", "name"],
        "purpose": "最低生活保障申请人身份核验",
        "legal_basis": "《社会救助暂行办法》",
        **target,
    }


HOSTILE = [
    # another agency's database: hb_rst's own table would be replaced
    (dict(target_conn_id="sub_hb_rst", target_table="hb_rst_own_table"), "is not a database of 'hb_mzt'"),
    # the platform's bookkeeping beside every delivery
    (dict(target_conn_id="sub_hb_mzt", target_schema="govshare_staging", target_table="watermark"), "platform's"),
    (dict(target_conn_id="sub_hb_mzt", target_schema="govshare_staging", target_table="publication"), "platform's"),
    (dict(target_conn_id="sub_hb_mzt", target_schema="govshare", target_table="agreement"), "platform's"),
    (dict(target_conn_id="sub_hb_mzt", target_schema="pg_catalog", target_table="pg_class"), "PostgreSQL's"),
    # a schema the subscriber did not declare, a provider's front DB, the corrections beside a table
    (dict(target_conn_id="sub_hb_mzt", target_schema="finance", target_table="x"), "is not declared for"),
    (dict(target_conn_id="front_hb_gat", target_table="x"), "is not a database of 'hb_mzt'"),
    (dict(target_conn_id="sub_hb_mzt", target_table="population_basic__corrections"), "are the platform's"),
]


@pytest.mark.parametrize(
    ("target", "message"),
    HOSTILE,
    ids=[f"{t.get('target_conn_id')}:{t.get('target_schema', 'public')}.{t['target_table']}" for t, _ in HOSTILE],
)
def test_a_request_for_a_target_not_the_subscribers_is_refused_and_changes_nothing(client, applied, target, message):
    before = registry_state(applied)
    answer = client.post("/agreements", json=body(**target))
    assert answer.status_code == 422 and message in answer.json()["error"], answer.json()
    assert answer.json()["fix"]
    assert registry_state(applied) == before


_SCHEMAS = st.sampled_from(
    ["public", "govshare", "govshare_staging", "govshare_x", "pg_catalog", "pg_toast", "information_schema", "finance"]
)
_CONNS = st.sampled_from(
    ["sub_hb_mzt", "sub_hb_rst", "sub_sjz_mzj", "front_hb_gat", "front_hb_rst", "govshare_smtp", "sub_hb_mzt_2"]
)
_TABLES = st.one_of(
    st.sampled_from(["watermark", "publication", "staged", "agreement", "x__corrections", "population_basic"]),
    st.from_regex(r"\A[a-z][a-z0-9_]{0,20}\Z"),
)


@given(conn_id=_CONNS, schema=_SCHEMAS, table=_TABLES)
@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_only_the_subscribers_own_declared_schemas_are_accepted(client, conn_id, schema, table):
    answer = client.post(
        "/agreements", json=body(target_conn_id=conn_id, target_schema=schema, target_table=table, submit=False)
    )
    own = conn_id == "sub_hb_mzt" and schema == "public" and not table.endswith("__corrections")
    if not own:
        assert answer.status_code == 422, (conn_id, schema, table, answer.json())
    elif answer.status_code != 201:  # the one other refusal: another draft already writes that table
        assert "already receives agreement" in answer.json()["error"]


def test_the_catalogue_says_whose_databases_are_whose(catalog_copy):
    folder = catalog_copy / "catalog"
    rst = folder / "hb_rst.yaml"
    declared = "      - conn_id: sub_hb_rst\n        schemas: [public]\n"
    original = rst.read_text()
    rst.write_text(
        original.replace(declared, "      - conn_id: sub_hb_rst\n        schemas: [public, govshare_staging]\n")
    )
    _, problems = validate(folder)
    assert [p.message for p in problems] == ["schema 'govshare_staging' is reserved for the platform or PostgreSQL"]
    assert str(problems[0].file).endswith("hb_rst.yaml")
    rst.write_text(original.replace(declared, "      - conn_id: sub_hb_mzt\n      - conn_id: front_hb_gat\n"))
    _, problems = validate(folder)
    said = sorted(p.message for p in problems)
    assert len(said) == 2 and "'front_hb_gat' is the front DB of resource 'gat_population_register'" in said[0]
    assert said[1].startswith("database 'sub_hb_mzt' is already declared at") and "hb_mzt.yaml" in said[1]


def test_withdrawing_a_database_from_the_catalogue_suspends_its_agreements(applied, catalog_copy):
    code = active_agreement(request())
    mzt = catalog_copy / "catalog" / "hb_mzt.yaml"
    mzt.write_text(mzt.read_text().replace("      - conn_id: sub_hb_mzt\n", "      - conn_id: sub_hb_mzt_new\n"))
    done = run_cli("catalog", "apply", str(catalog_copy / "catalog"))
    assert done.returncode == 0, done.stderr
    assert f"suspended agreement {code}" in done.stderr and "'sub_hb_mzt' is not a database of 'hb_mzt'" in done.stderr
    with session() as s:
        assert agreements.get(s, code).status == "suspended"


@pytest.fixture
def foreign_table(make_database):
    """A subscriber database in which the agency keeps a table of its own, named like the target."""
    provider, subscriber = make_database("front"), make_database("sub")
    population_front_db(provider, 200)
    execute(
        subscriber,
        "CREATE TABLE public.population_basic (note text); INSERT INTO public.population_basic VALUES ('mine')",
    )
    return DatabaseAddress.from_url(provider), subscriber, DatabaseAddress.from_url(subscriber)


def own_rows(subscriber: str) -> list:
    with psycopg.connect(subscriber) as conn:
        return conn.execute("SELECT * FROM public.population_basic").fetchall()


@pytest.mark.parametrize("mode", ["snapshot", "incremental"])
def test_a_table_the_platform_did_not_make_is_never_replaced(foreign_table, mode):
    source, subscriber, target = foreign_table
    plan = make_plan(mode=mode, watermark="updated_at" if mode == "incremental" else None)
    with pytest.raises(
        ExchangeFailed, match="already has a table public.population_basic that govshare did not create"
    ) as refused:
        preflight(plan, source, target)
    assert "govshare agreement adopt-target" in refused.value.hint and not refused.value.retryable
    with pytest.raises(ExchangeFailed, match="stage failed: the subscriber's database already has a table"):
        stage(plan, source, target, "run-1")  # a retry of stage alone, past the preflight
    execute(subscriber, "ALTER TABLE public.population_basic RENAME TO mine")
    stage(plan, source, target, "run-2")
    execute(subscriber, "ALTER TABLE public.mine RENAME TO population_basic")  # it appeared after the stage
    with pytest.raises(ExchangeFailed, match="publish failed: the subscriber's database already has a table"):
        publish(plan, target, "run-2")
    assert own_rows(subscriber) == [("mine",)]


def test_an_operator_may_adopt_the_table_for_the_agreement_and_it_is_audited(applied, foreign_table):
    source, subscriber, target = foreign_table
    code = active_agreement(request(target_table="population_basic"))
    with pytest.raises(RequestRefused, match="must state why"), session() as s:
        service.adopt_target(s, operator(), code, "  ")
    with pytest.raises(Exception, match="may not adopt"), session() as s:
        service.adopt_target(s, agency("hb_mzt"), code, "我们的旧表")
    done = run_cli("agreement", "adopt-target", code, "--reason", "民政厅来函：以新交付替换旧表")
    assert done.returncode == 0, done.stderr
    [*_, (who, action, subject, detail)] = audit_tail(applied, 1)
    assert (action, subject, detail["target"]) == (
        "agreement.adopt_target",
        f"agreement:{code}",
        "sub_hb_mzt:public.population_basic",
    )
    assert who.startswith("operator:") and "民政厅来函" in detail["reason"]
    with session() as s:
        plan = plan_for(s, code)
    assert plan.target_adopted
    preflight(plan, source, target)
    stage(plan, source, target, "run-1")
    publish(plan, target, "run-1")
    assert len(own_rows(subscriber)) == 200
