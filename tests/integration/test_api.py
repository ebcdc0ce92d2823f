"""The agencies' REST API: property-based tests against its published OpenAPI schema, and the
refusals that matter — no token, a revoked token, another agency's agreement."""

from __future__ import annotations

import functools
import json

import pytest
import schemathesis
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from govshare import identity
from govshare.api.app import app
from govshare.registry.db import session
from tests.conftest import ROOT
from tests.helpers import active_agreement, operator, request

schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture
def tokens(applied) -> dict[str, str]:
    """A filed catalogue, one active agreement (AGR-0001: hb_gat → hb_mzt), and tokens."""
    active_agreement(request())
    with session() as s:
        return {a: identity.create_token(s, a, operator()) for a in ("hb_mzt", "hb_gat", "hb_scjg", "hb_sjj")}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@schema.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_operation_conforms_to_the_published_schema(case, tokens):
    # Every answer — to valid and to invalid requests — is documented, well-formed, never a 500.
    # Left out: negative_data_rejection counts unknown query parameters (which HTTP APIs ignore)
    # and our injected token as "invalid requests accepted"; positive_data_acceptance counts the
    # workflow's own refusals (unknown resource, wrong state: documented 4xx) as failures.
    case.call_and_validate(
        headers=bearer(tokens["hb_mzt"]), excluded_checks=[negative_data_rejection, positive_data_acceptance]
    )


def test_the_published_schema_is_the_served_one():
    published = json.loads((ROOT / "docs" / "api" / "openapi.json").read_text())
    assert published == json.loads(json.dumps(app.openapi())), (
        "regenerate: python -m govshare.api > docs/api/openapi.json"
    )


# Every route of the app but the schema and its viewers, read off the app itself so that a new
# endpoint cannot be left out (sample values for the path parameters).
_SAMPLE = {"{code}": "AGR-0001", "{action}": "accept", "{delivery_id}": "1"}
ENDPOINTS = [
    (method.lower(), functools.reduce(lambda path, kv: path.replace(*kv), _SAMPLE.items(), route.path))
    for route in app.routes
    if isinstance(route, APIRoute) and route.include_in_schema  # the docs page is public, like the schema
    for method in sorted(route.methods)
]


def test_the_endpoint_list_is_the_whole_api():
    assert len(ENDPOINTS) == 22 and ("post", "/corrections/AGR-0001/accept") in ENDPOINTS
    assert not any("{" in path for _, path in ENDPOINTS)


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_every_endpoint_requires_a_token(tokens, method, path):
    client = TestClient(app)
    for headers in ({}, bearer("gs_not-a-real-token"), {"Authorization": "Basic YWRtaW46YWRtaW4="}):
        response = client.request(method, path, headers=headers, json={})
        assert response.status_code == 401, (path, headers, response.text)
        assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header",
    ["Bearer {} ", "Bearer {}\t", "Bearer  {}", "Bearer {}\u00a0", "Bearer {}x"],
)
def test_a_token_must_be_sent_exactly_as_issued(tokens, header):
    client = TestClient(app)
    token = tokens["hb_mzt"]
    assert client.get("/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    for path in ("/me", "/reports"):
        refused = client.get(path, headers={"Authorization": header.format(token).encode("latin-1")})
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer", (path, refused.text)
        assert refused.json()["error"] in (
            "missing, unknown or revoked token",
            "the token must be sent exactly as issued, with no space, tab or line break around it",
        )
    spaced = client.get("/me", headers={"Authorization": f"Bearer {token} "}).json()
    assert spaced == {
        "error": "the token must be sent exactly as issued, with no space, tab or line break around it",
        "fix": "send `Authorization: Bearer <agency token>`: one space after Bearer, nothing after the token",
    }


def test_a_revoked_token_stops_working_at_once(tokens):
    client = TestClient(app)
    assert client.get("/me", headers=bearer(tokens["hb_mzt"])).json()["agency"] == "hb_mzt"
    with session() as s:
        identity.revoke_tokens(s, "hb_mzt", operator())
    assert client.get("/me", headers=bearer(tokens["hb_mzt"])).status_code == 401


def test_agencies_see_only_their_agreements(tokens):
    client = TestClient(app)
    assert [a["code"] for a in client.get("/agreements", headers=bearer(tokens["hb_gat"])).json()] == ["AGR-0001"]
    assert client.get("/agreements", headers=bearer(tokens["hb_scjg"])).json() == []
    hidden = client.get("/agreements/AGR-0001", headers=bearer(tokens["hb_scjg"]))
    assert hidden.status_code == 404 and "visible to agency:hb_scjg" in hidden.json()["error"]


def test_wrong_agency_actions_are_refused(tokens):
    client = TestClient(app)
    # the subscriber tries to suspend; the provider tries to revoke: neither may
    suspended = client.post("/agreements/AGR-0001/suspend", headers=bearer(tokens["hb_mzt"]), json={"reason": "x"})
    assert suspended.status_code == 403 and "may not suspend" in suspended.json()["error"]
    revoked = client.post("/agreements/AGR-0001/revoke", headers=bearer(tokens["hb_gat"]), json={"reason": "x"})
    assert revoked.status_code == 403
    # hb_scjg may not even learn the agreement exists
    assert (
        client.post("/agreements/AGR-0001/revoke", headers=bearer(tokens["hb_scjg"]), json={"reason": "x"}).status_code
        == 404
    )
    # an agency cannot request data on another agency's behalf: the subscriber is the token's agency
    body = {
        "resource_code": "scjg_enterprise_register",
        "items": ["uscc"],
        "purpose": "p",
        "legal_basis": "b",
        "target_conn_id": "sub_hb_mzt",
        "target_table": "enterprises",
    }
    created = client.post("/agreements", headers=bearer(tokens["hb_gat"]), json=body)
    assert created.status_code == 422  # the request is hb_gat's own, and sub_hb_mzt is not its database
    assert "'sub_hb_mzt' is not a database of 'hb_gat' (none declared)" in created.json()["error"]


# hb_mzt asks rst for two items of its social insurance records, into its own database.
INSURANCE_REQUEST = {
    "resource_code": "rst_social_insurance",
    "items": ["record_id", "status"],
    "purpose": "家庭经济状况核对",
    "legal_basis": "《社会救助暂行办法》",
    "target_conn_id": "sub_hb_mzt",
    "target_table": "insurance",
}


def test_the_workflow_over_http(tokens):
    client = TestClient(app)
    created = client.post("/agreements", headers=bearer(tokens["hb_mzt"]), json=INSURANCE_REQUEST).json()
    assert created["status"] == "submitted" and created["due_date"]
    code = created["code"]
    wrong_state = client.post(f"/agreements/{code}/file", headers=bearer(tokens["hb_sjj"]), json={})
    assert wrong_state.status_code == 409 and wrong_state.json()["fix"].startswith("possible now:")
    with session() as s:
        rst = identity.create_token(s, "hb_rst", operator())
    blank = client.post(f"/agreements/{code}/review", headers=bearer(rst), json={"agree": False, "statement": " "})
    # the service's fix says "add --statement" on the command line; over HTTP it names the field
    assert blank.status_code == 422 and blank.json()["fix"] == 'add the field "statement"'
    refused = client.post(
        f"/agreements/{code}/review", headers=bearer(rst), json={"agree": False, "statement": "缴费信息敏感"}
    )
    assert refused.json()["status"] == "refused"
    escalated = client.post(f"/agreements/{code}/escalate", headers=bearer(tokens["hb_mzt"]), json={"reason": "确需"})
    assert escalated.json()["status"] == "coordination"
    settled = client.post(
        f"/agreements/{code}/coordinate", headers=bearer(tokens["hb_sjj"]), json={"reason": "限定用途"}
    )
    filed = client.post(f"/agreements/{code}/file", headers=bearer(tokens["hb_sjj"]), json={})
    assert settled.json()["status"] == "agreed" and filed.json()["filing_number"].startswith("冀共享备")
    assert [s["to_status"] for s in filed.json()["history"]] == [
        "submitted",
        "refused",
        "coordination",
        "agreed",
        "filed",
    ]


def test_codes_in_any_case_and_unknown_filter_values_named(tokens):
    client = TestClient(app)
    mzt = bearer(tokens["hb_mzt"])
    shown = client.get("/agreements/agr-0001", headers=mzt)
    assert shown.status_code == 200 and shown.json()["code"] == "AGR-0001"
    bogus = client.get("/agreements", params={"status": "bogus"}, headers=mzt)
    assert bogus.status_code == 422 and "(sent: 'bogus')" in bogus.json()["error"]
    assert "'active'" in bogus.json()["error"]
    unknown = client.get("/agreements/AGR-9999", headers=mzt)
    assert unknown.status_code == 404 and unknown.json() == {
        "error": "no agreement 'AGR-9999' visible to agency:hb_mzt",
        "fix": "list yours with GET /govshare/agreements",
    }


def test_the_api_gives_its_own_fixes_and_only_the_callers_moves(tokens):
    client = TestClient(app)
    mzt, sjj = bearer(tokens["hb_mzt"]), bearer(tokens["hb_sjj"])
    blank = client.post("/agreements/AGR-0001/suspend", headers=sjj, json={"reason": " "})
    assert blank.status_code == 422 and blank.json()["fix"] == 'add the field "reason"'
    wrong_key = {"agreement": "agr-0001", "key": {"name": "x"}, "item": "name", "problem": "p", "evidence": "e"}
    refused = client.post("/corrections", headers=mzt, json=wrong_key)
    assert refused.status_code == 422, refused.text
    assert refused.json()["fix"] == 'add the field "key"; give the value of each key item: person_id'
    # a subscriber may only revoke an active agreement: it is not told it may suspend or expire it
    resumed = client.post("/agreements/AGR-0001/resume", headers=mzt, json={"reason": "x"})
    assert resumed.status_code == 409 and resumed.json()["fix"] == "possible now: revoke"
    for answer in (blank, refused, resumed):
        assert "--" not in answer.json()["fix"] and "govshare " not in answer.json()["fix"]


def test_malformed_requests_get_422_as_documented(tokens):
    client = TestClient(app)
    headers = {**bearer(tokens["hb_mzt"]), "Content-Type": "application/json"}
    malformed = client.post("/agreements", headers=headers, content=b"{not json")
    assert malformed.status_code == 422 and malformed.json()["error"].startswith("invalid request:")
    undecodable = client.post("/agreements", headers=headers, content=b"\xff\xfe{")
    assert undecodable.status_code == 422 and undecodable.json()["error"].startswith("invalid request:")
    documented = {
        status for path in app.openapi()["paths"].values() for op in path.values() for status in op["responses"]
    }
    assert "400" not in documented and "422" in documented


def test_a_schedule_out_of_range_names_the_field(tokens):
    client = TestClient(app)
    body = {**INSURANCE_REQUEST, "schedule": "0 25 * * *"}
    refused = client.post("/agreements", headers=bearer(tokens["hb_mzt"]), json=body)
    assert refused.status_code == 422
    assert refused.json()["error"] == "schedule '0 25 * * *' is not a cron expression: hour 25 is out of range 0–23"
