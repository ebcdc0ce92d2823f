"""The schema contract (drift between catalogue and provider table) and delivery plans."""

from __future__ import annotations

from govshare.catalog.types import CatalogType
from govshare.exchange.plan import Column, staging_table_name
from govshare.exchange.schema import drift

CATALOGUED = (
    Column("person_id", CatalogType.parse("bigint"), False),
    Column("citizen_id", CatalogType.parse("char(18)"), False),
    Column("name", CatalogType.parse("varchar(50)"), False),
)
ACTUAL = {"person_id": "bigint", "citizen_id": "character(18)", "name": "character varying(50)"}


def test_matching_table_has_no_drift():
    assert drift(CATALOGUED, dict(ACTUAL), "x.t") == []


def test_missing_table():
    assert [str(d) for d in drift(CATALOGUED, None, "x.t")] == ["table x.t does not exist"]


def test_added_column():
    found = drift(CATALOGUED, {**ACTUAL, "phone": "text"}, "x.t")
    assert [(d.column, d.change) for d in found] == [("phone", "added")]
    assert "in the table but not in the catalogue" in str(found[0])


def test_dropped_column():
    actual = {k: v for k, v in ACTUAL.items() if k != "name"}
    assert [(d.column, d.change) for d in drift(CATALOGUED, actual, "x.t")] == [("name", "missing")]


def test_retyped_column_names_both_types():
    found = drift(CATALOGUED, {**ACTUAL, "citizen_id": "character varying(18)"}, "x.t")
    assert [(d.column, d.change) for d in found] == [("citizen_id", "retyped")]
    assert str(found[0]) == (
        "column citizen_id is character varying(18) in the table but character(18) in the catalogue"
    )


def test_renamed_column_is_recognised():
    actual = {"person_id": "bigint", "id_number": "character(18)", "name": "character varying(50)"}
    found = drift(CATALOGUED, actual, "x.t")
    assert [(d.column, d.change, d.actual) for d in found] == [("citizen_id", "renamed", "id_number")]


def test_staging_names_fit_postgres_and_differ_per_run():
    a = staging_table_name("AGR-0001", "manual__2026-11-26T06:42:59+00:00")
    b = staging_table_name("AGR-0001", "scheduled__2026-11-26T16:00:00+00:00")
    assert a != b and a.startswith("stage_agr_0001_")
    assert len(staging_table_name("X" * 200, "r")) <= 63


def test_a_plan_survives_the_delivery_record_unchanged():
    """Every step after preflight reads the plan back from the delivery record's JSON."""
    import json

    from govshare.exchange.filters import Condition
    from govshare.exchange.masking import Mask
    from govshare.exchange.plan import DeliveryPlan

    columns = (
        Column("person_id", CatalogType.parse("bigint"), False),
        Column("citizen_id", CatalogType.parse("char(18)"), False, "sensitive", Mask.parse("keep:6,4")),
        Column("name", CatalogType.parse("varchar(50)"), True, "general", Mask.parse("hmac")),
        Column("income", CatalogType.parse("numeric(18,2)"), True),
    )
    plan = DeliveryPlan(
        agreement_code="AGR-0007",
        resource_code="gat_population_register",
        provider_code="hb_gat",
        subscriber_code="hb_mzt",
        source_conn_id="front_hb_gat",
        source_schema="exchange",
        source_table="population_register",
        columns=columns,
        catalogued=(*columns, Column("phone", CatalogType.parse("varchar(20)"), True, "general")),
        key=("person_id",),
        target_conn_id="sub_hb_mzt",
        target_schema="public",
        target_table="population_basic",
        mode="incremental",
        watermark="updated_at",
        overlap=600,
        deletions="key_diff",
        row_filter=(Condition("region_code", "prefix", "1301"), Condition("gender", "in", ("1", "2"))),
        corrections=(({"person_id": 7}, "COR-0001", "name", "张三"),),
        update_column="updated_at",
        target_adopted=True,
    )
    assert DeliveryPlan.from_json(json.loads(json.dumps(plan.as_json()))) == plan
