"""The corrections API answers with the registry's names for a correction's fields: the same
``resource_code``, ``provider_code`` and ``subscriber_code`` as an agreement's (issue 12)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from govshare import corrections, identity
from govshare.api.app import app
from govshare.registry import deliveries
from govshare.registry import models as m
from govshare.registry.db import session
from govshare.registry.deliveries import DeliveryStatus
from tests.helpers import active_agreement, agency, operator, request

DOUBT = {
    "agreement": "agr-0001",
    "key": {"person_id": "42"},
    "item": "name",
    "problem": "姓名与户籍登记不符",
    "evidence": "户籍档案 2026-03-02",
}


def test_a_correction_names_the_agreement_s_parties_as_the_agreement_does(applied):
    code = active_agreement(request())
    with session() as s:
        headers = {"Authorization": f"Bearer {identity.create_token(s, 'hb_mzt', operator())}"}
    client = TestClient(app)
    filed = client.post("/corrections", headers=headers, json=DOUBT)
    assert filed.status_code == 201, filed.text
    correction = filed.json()
    agreement = client.get(f"/agreements/{code}", headers=headers).json()
    parties = ("resource_code", "provider_code", "subscriber_code")
    assert (
        [correction[f] for f in parties]
        == [agreement[f] for f in parties]
        == [
            "gat_population_register",
            "hb_gat",
            "hb_mzt",
        ]
    )
    assert not {"resource", "provider", "subscriber"} & set(correction)
    with session() as s:
        recorded = s.get(m.Correction, correction["code"])
        assert (correction["agreement"], correction["key"], correction["authority"], correction["status"]) == (
            recorded.agreement_code,
            recorded.record_key,
            recorded.authority_code,
            recorded.status,
        )
    assert [step["action"] for step in correction["history"]] == ["file"]
    assert client.get(f"/corrections/{correction['code']}", headers=headers).json() == correction
    assert client.get("/corrections", headers=headers).json() == [correction]


def test_a_correction_filed_from_a_delivery_names_it_and_only_a_delivery_that_delivered(applied):
    code = active_agreement(request())
    other = active_agreement(request(target_table="people_again"))
    with session() as s:
        headers = {"Authorization": f"Bearer {identity.create_token(s, 'hb_mzt', operator())}"}
        delivered = deliveries.begin(s, code, "scheduled__1")
        delivered.status = DeliveryStatus.SUCCEEDED
        blocked = deliveries.begin(s, code, "scheduled__2")
        blocked.status = DeliveryStatus.FAILED
        elsewhere = deliveries.begin(s, other, "scheduled__1")
        elsewhere.status = DeliveryStatus.SUCCEEDED
        s.flush()
        ids = delivered.id, blocked.id, elsewhere.id
    client = TestClient(app)
    refused = {
        ids[1]: (422, f"delivery {ids[1]} delivered no records (failed)"),
        ids[2]: (404, f"no delivery {ids[2]} of agreement {code.upper()}"),
        999999: (404, f"no delivery 999999 of agreement {code.upper()}"),
    }
    for delivery, (status, message) in refused.items():
        answer = client.post("/corrections", headers=headers, json={**DOUBT, "agreement": code, "delivery": delivery})
        assert (answer.status_code, message in answer.text) == (status, True), answer.text
    with session() as s:
        assert s.query(m.Correction).count() == 0  # a refusal files nothing
    assert client.post("/corrections", headers=headers, json={**DOUBT, "delivery": 0}).status_code == 422
    filed = client.post("/corrections", headers=headers, json={**DOUBT, "agreement": code, "delivery": ids[0]})
    assert filed.status_code == 201, filed.text
    assert filed.json()["delivery"] == ids[0]
    with session() as s:
        assert s.get(m.Correction, filed.json()["code"]).delivery_id == ids[0]
        assert [c.code for c in corrections.visible(s, agency("hb_mzt"), ids[0])] == [filed.json()["code"]]
        assert corrections.visible(s, agency("hb_mzt"), ids[2]) == []
    without = client.post("/corrections", headers=headers, json={**DOUBT, "agreement": code})
    assert without.status_code == 201 and without.json()["delivery"] is None
