"""The corrections API answers with the registry's names for a correction's fields: the same
``resource_code``, ``provider_code`` and ``subscriber_code`` as an agreement's (issue 12)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from govshare import identity
from govshare.api.app import app
from govshare.registry import models as m
from govshare.registry.db import session
from tests.helpers import active_agreement, operator, request

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
