"""Sharing agreements in the registry: what a request must satisfy, and turning an active
agreement into a delivery plan. (Who may move an agreement through its lifecycle is
govshare.lifecycle's business.)

An agreement is the only grant (article 14): it names the subscriber, the resource, the items,
the duty they serve (purpose and legal basis, article 15) and where the data goes. Every
request is checked against the current catalogue; a refused request leaves the registry as
it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from govshare import clock, corrections
from govshare.catalog.model import CONN_ID, NAME_RULE, RESERVED_SCHEMA, SAFE_NAME
from govshare.catalog.types import CatalogType
from govshare.errors import AgreementBroken, AgreementNotActive, NotFound, RequestRefused
from govshare.exchange import filters, masking
from govshare.exchange.plan import CORRECTIONS_SUFFIX, DELETIONS, MODES, WATERMARK_TYPES, Column, DeliveryPlan
from govshare.registry import models as m
from govshare.registry.catalog_store import current_version
from govshare.registry.statuses import FINAL_AGREEMENT_STATUSES, AgreementStatus

SCHEDULE_PRESETS = ("@hourly", "@daily", "@weekly", "@monthly", "@yearly")
SUBSCRIBER_KINDS = ("department",)


class AgreementRequest(BaseModel):
    """What a subscriber asks for. Field meanings as on ``models.Agreement``."""

    model_config = ConfigDict(extra="forbid")

    subscriber: str
    resource: str
    items: list[str] = Field(min_length=1)
    purpose: str
    legal_basis: str
    schedule: str = "@daily"
    target_conn_id: str
    target_schema: str = "public"
    target_table: str
    delivery_mode: str = "snapshot"
    start_date: date | None = None
    end_date: date | None = None
    watermark: str | None = None
    overlap: int | None = None  # default: 600 s for timestamps, 1 day for dates, 0 for integers
    deletions: str = "none"
    empty_source_ok: bool = False
    row_filter: list[dict] = Field(default_factory=list)
    masking: dict[str, str] = Field(default_factory=dict)


DEFAULT_OVERLAP = {"timestamp": 600, "timestamptz": 600, "date": 1}


def create(session: Session, request: AgreementRequest, created_by: str) -> m.Agreement:
    """Record a new agreement in status ``draft``, or refuse with the reason."""
    resource = _check_request(session, request)
    number = session.execute(select(m.agreement_number.next_value())).scalar_one()
    agreement = m.Agreement(
        code=f"AGR-{number:04d}",
        subscriber_code=request.subscriber,
        resource_code=resource.code,
        items=[i.name for i in resource.items if i.name in request.items],  # catalogue order
        purpose=request.purpose.strip(),
        legal_basis=request.legal_basis.strip(),
        schedule=request.schedule,
        start_date=request.start_date or clock.today(),
        end_date=request.end_date,
        delivery_mode=request.delivery_mode,
        watermark_column=request.watermark,
        watermark_overlap=request.overlap
        if request.overlap is not None
        else DEFAULT_OVERLAP.get(resource.item(request.watermark).type if request.watermark else "", 0),
        deletions=request.deletions,
        empty_source_ok=request.empty_source_ok,
        row_filter=[c.as_json() for c in filters.parse_all(request.row_filter)],
        masking=dict(request.masking),
        target_conn_id=request.target_conn_id,
        target_schema=request.target_schema,
        target_table=request.target_table,
        status=AgreementStatus.DRAFT,
        catalog_version=current_version(session) or 0,
        created_by=created_by,
    )
    session.add(agreement)
    session.flush()
    return agreement


def check_fits_catalog(session: Session, agreement: m.Agreement) -> None:
    """RequestRefused unless the agreement would still be accepted under the current catalogue
    (checked again at activation and resumption: the catalogue may have changed meanwhile)."""
    _check_request(
        session, _as_request(agreement), exclude=agreement.code, released=joint_approved(session, agreement.code)
    )


def joint_approved(session: Session, code: str) -> bool:
    """Whether a joint decision approved this agreement: the one way a not_shared resource flows."""
    query = select(m.Transition.id).where(
        m.Transition.agreement_code == code, m.Transition.to_status == AgreementStatus.APPROVED
    )
    return session.scalars(query).first() is not None


def get(session: Session, code: str, for_update: bool = False) -> m.Agreement:
    query = select(m.Agreement).where(m.Agreement.code == code)
    agreement = session.scalars(query.with_for_update() if for_update else query).first()
    if agreement is None:
        raise NotFound(f"no agreement '{code}'", "list agreements with `govshare agreement list`")
    return agreement


def listing(session: Session, status: str | None = None) -> list[m.Agreement]:
    query = select(m.Agreement).order_by(m.Agreement.code)
    if status:
        query = query.where(m.Agreement.status == status)
    return list(session.scalars(query))


def plan_for(session: Session, code: str) -> DeliveryPlan:
    """The delivery an active agreement authorises, checked against the current catalogue."""
    agreement = get(session, code)
    if agreement.status != AgreementStatus.ACTIVE:
        raise AgreementNotActive(
            f"agreement {code} is {agreement.status}, not active: nothing is delivered",
            "only active agreements deliver; see `govshare agreement show` for its history",
        )
    resource = session.get(m.Resource, agreement.resource_code)
    if resource is None:
        raise AgreementBroken(
            f"agreement {code} names resource '{agreement.resource_code}', which the catalogue no longer has",
            "the provider re-files the resource, or the agreement is renegotiated",
        )
    missing = [name for name in agreement.items if resource.item(name) is None]
    if missing:
        raise AgreementBroken(
            f"agreement {code} names items the catalogue no longer has in {resource.code}: {', '.join(missing)}",
            "the provider re-files the items, or the agreement is renegotiated",
        )
    if resource.share_type == "not_shared" and not joint_approved(session, code):
        raise AgreementBroken(
            f"resource {resource.code} is now not_shared; agreement {code} cannot deliver it",
            "the agreement must be reviewed under the new share type",
        )
    if lost := target_problem(session, agreement):
        raise AgreementBroken(
            f"agreement {code} cannot deliver to {agreement.target_conn_id}: {lost}",
            "the subscriber declares the database again, or the agreement is renegotiated",
        )
    return DeliveryPlan(
        agreement_code=agreement.code,
        resource_code=resource.code,
        provider_code=resource.provider_code,
        subscriber_code=agreement.subscriber_code,
        source_conn_id=resource.conn_id,
        source_schema=resource.schema_name,
        source_table=resource.table_name,
        columns=tuple(
            _column(i, item_mask(agreement, resource, i)) for i in resource.items if i.name in agreement.items
        ),
        catalogued=tuple(_column(i) for i in resource.items),
        key=tuple(resource.primary_key),
        target_conn_id=agreement.target_conn_id,
        target_schema=agreement.target_schema,
        target_table=agreement.target_table,
        target_adopted=agreement.target_adopted_by is not None,
        mode=agreement.delivery_mode,
        watermark=agreement.watermark_column,
        overlap=agreement.watermark_overlap,
        deletions=agreement.deletions,
        empty_source_ok=agreement.empty_source_ok,
        row_filter=filters.parse_all(agreement.row_filter),
        corrections=corrections.open_corrections(session, code),
        update_column=resource.update_column,
    )


def item_mask(agreement: m.Agreement, resource: m.Resource, item: m.ResourceItem) -> masking.Mask:
    """The mask an agreement's item is delivered with: what the agreement declares, else the
    default of the item's personal-data category (a pseudonym for a personal key)."""
    return masking.effective(item.personal, agreement.masking.get(item.name), item.name in resource.primary_key)


def _column(item: m.ResourceItem, mask: masking.Mask | None = None) -> Column:
    mask = mask or masking.effective(item.personal, None)  # catalogued columns: the category's default
    return Column(item.name, CatalogType.parse(item.type), item.nullable, item.personal, mask)


def _as_request(agreement: m.Agreement) -> AgreementRequest:
    return AgreementRequest(
        subscriber=agreement.subscriber_code,
        resource=agreement.resource_code,
        items=list(agreement.items),
        purpose=agreement.purpose,
        legal_basis=agreement.legal_basis,
        schedule=agreement.schedule,
        target_conn_id=agreement.target_conn_id,
        target_schema=agreement.target_schema,
        target_table=agreement.target_table,
        delivery_mode=agreement.delivery_mode,
        start_date=agreement.start_date,
        end_date=agreement.end_date,
        watermark=agreement.watermark_column,
        overlap=agreement.watermark_overlap,
        deletions=agreement.deletions,
        empty_source_ok=agreement.empty_source_ok,
        row_filter=list(agreement.row_filter),
        masking=dict(agreement.masking),
    )


def _check_request(
    session: Session, request: AgreementRequest, exclude: str | None = None, released: bool = True
) -> m.Resource:
    """The requested resource, or RequestRefused naming the first thing that is not allowed.

    ``released=False`` refuses a not_shared resource: before a joint decision has released it,
    such a request may be made (the workflow refuses it and leads to coordination) but never
    activated.
    """
    subscriber = session.get(m.Agency, request.subscriber)
    if subscriber is None:
        known = ", ".join(session.scalars(select(m.Agency.code).order_by(m.Agency.code)))
        raise RequestRefused(f"unknown agency '{request.subscriber}'", f"use a catalogued agency code ({known})")
    if subscriber.kind not in SUBSCRIBER_KINDS:
        raise RequestRefused(
            f"agency '{subscriber.code}' is a {subscriber.kind} and cannot subscribe to data",
            "only departments (政务部门) request resources for their duties",
        )
    resource = session.get(m.Resource, request.resource)
    if resource is None:
        raise RequestRefused(
            f"unknown resource '{request.resource}'", "list resources with `govshare catalog resources`"
        )
    if resource.provider_code == subscriber.code:
        raise RequestRefused(
            f"'{subscriber.code}' provides '{resource.code}' itself", "an agency needs no agreement for its own data"
        )
    if resource.share_type == "not_shared" and not released:
        raise RequestRefused(
            f"resource '{resource.code}' is not_shared ({resource.share_condition})",
            "not_shared resources are released only by a joint decision of the competent, staffing and "
            "secrecy departments citing a legal basis (article 13)",
        )
    unknown = [name for name in request.items if resource.item(name) is None]
    if unknown:
        available = ", ".join(i.name for i in resource.items)
        raise RequestRefused(
            f"resource '{resource.code}' has no item(s) {', '.join(unknown)}", f"request only its items: {available}"
        )
    if len(set(request.items)) != len(request.items):
        raise RequestRefused("an item is requested twice", "list each item once")
    missing_key = [k for k in resource.primary_key if k not in request.items]
    if missing_key:
        raise RequestRefused(
            f"the items must include the resource's primary key ({', '.join(resource.primary_key)})",
            f"add {', '.join(missing_key)}: deliveries and corrections identify records by it",
        )
    if not request.purpose.strip() or not request.legal_basis.strip():
        raise RequestRefused(
            "purpose and legal basis are required",
            "state the duty the data serves and the law or regulation that assigns it (article 15)",
        )
    if request.schedule not in SCHEDULE_PRESETS and not (
        len(request.schedule.split()) == 5 and croniter.is_valid(request.schedule)
    ):
        raise RequestRefused(
            f"schedule {request.schedule!r} is neither a preset nor a cron expression",
            f"use one of {', '.join(SCHEDULE_PRESETS)} or five cron fields such as '0 2 * * *'",
        )
    if request.end_date and request.end_date < (request.start_date or request.end_date):
        raise RequestRefused("the end date is before the start date", "correct --start-date or --end-date")
    _check_delivery(resource, request)
    if not CONN_ID.match(request.target_conn_id):
        raise RequestRefused(
            f"{request.target_conn_id!r} is not a valid Airflow connection id", "use letters, digits, _ . -"
        )
    for field, value in (("target_schema", request.target_schema), ("target_table", request.target_table)):
        if not SAFE_NAME.match(value):
            raise RequestRefused(f"{field} {value!r} is not a safe SQL name", NAME_RULE)
    _check_target(subscriber, request)
    clash = session.scalars(
        select(m.Agreement.code).where(
            m.Agreement.target_conn_id == request.target_conn_id,
            m.Agreement.target_schema == request.target_schema,
            m.Agreement.target_table == request.target_table,
            m.Agreement.status.not_in([s.value for s in FINAL_AGREEMENT_STATUSES]),
            m.Agreement.code != (exclude or ""),
        )
    ).first()
    if clash:
        raise RequestRefused(
            f"{request.target_schema}.{request.target_table} on '{request.target_conn_id}' already receives "
            f"agreement {clash}",
            "choose another target table: two agreements writing one table would overwrite each other",
        )
    return resource


def _check_target(subscriber: m.Agency, request: AgreementRequest) -> None:
    """Deliveries go only into the subscriber's own declared databases and schemas, and never
    into what the platform keeps there (deny by default)."""
    declared = {d["conn_id"]: d["schemas"] for d in subscriber.databases}
    if request.target_conn_id not in declared:
        mine = ", ".join(sorted(declared)) or "none declared"
        raise RequestRefused(
            f"'{request.target_conn_id}' is not a database of '{subscriber.code}' ({mine}): data is delivered only "
            "into the subscriber's own databases",
            f"name one of {subscriber.code}'s databases as target_conn_id, or have it declared under the agency's "
            "`databases:` in the catalogue",
        )
    if RESERVED_SCHEMA.match(request.target_schema):
        raise RequestRefused(
            f"schema '{request.target_schema}' is the platform's or PostgreSQL's own, not the subscriber's",
            "deliver into a schema of the subscriber's own, such as public",
        )
    if request.target_schema not in declared[request.target_conn_id]:
        raise RequestRefused(
            f"schema '{request.target_schema}' is not declared for '{request.target_conn_id}' "
            f"({', '.join(declared[request.target_conn_id])})",
            "choose a declared schema, or add it to the database's `schemas:` in the catalogue",
        )
    if request.target_table.endswith(CORRECTIONS_SUFFIX):
        raise RequestRefused(
            f"table names ending in {CORRECTIONS_SUFFIX} are the platform's (the open corrections beside a "
            "delivered table)",
            "choose another target table",
        )


def target_problem(session: Session, agreement: m.Agreement) -> str | None:
    """Why the agreement's target is no longer the subscriber's to receive into, or None."""
    subscriber = session.get(m.Agency, agreement.subscriber_code)
    if subscriber is None:
        return f"subscriber {agreement.subscriber_code} was withdrawn from the catalogue"
    try:
        _check_target(subscriber, _as_request(agreement))
    except RequestRefused as refused:
        return refused.message
    return None


@dataclass(frozen=True)
class AgreementCard:
    """An agreement with the names a person reads: what the DAG docs and the CLI show."""

    code: str
    status: str
    subscriber_code: str
    subscriber_name: str
    provider_code: str
    provider_name: str
    resource_code: str
    resource_name: str
    share_type: str
    share_condition: str
    items: tuple[tuple[str, str, str, str], ...]  # (name, title, personal category, mask applied)
    purpose: str
    legal_basis: str
    schedule: str
    start_date: date
    delivery_mode: str
    target_conn_id: str
    target: str
    catalog_version: int
    delivery: str = ""  # mode, watermark, deletions and empty-source rule, in words
    row_filter: str = ""  # the rows granted, in words ("" for all)


def cards(session: Session, status: str | None = "active", code: str | None = None) -> list[AgreementCard]:
    """Agreements joined with their parties and resource, sorted by code for stable DAGs."""
    query = select(m.Agreement).order_by(m.Agreement.code)
    if status:
        query = query.where(m.Agreement.status == status)
    if code:
        query = query.where(m.Agreement.code == code)
    agencies = {a.code: a.name for a in session.scalars(select(m.Agency))}
    result = []
    for agreement in session.scalars(query):
        resource = session.get(m.Resource, agreement.resource_code)
        provider = resource.provider_code if resource else "?"
        items = tuple(
            (
                name,
                item.title,
                item.personal,
                str(item_mask(agreement, resource, item)),
            )
            if (item := resource.item(name) if resource else None)
            else (name, "?", "?", "?")
            for name in agreement.items
        )
        result.append(
            AgreementCard(
                code=agreement.code,
                status=agreement.status,
                subscriber_code=agreement.subscriber_code,
                subscriber_name=agencies.get(agreement.subscriber_code, "?"),
                provider_code=provider,
                provider_name=agencies.get(provider, "?"),
                resource_code=agreement.resource_code,
                resource_name=resource.name if resource else "(withdrawn from the catalogue)",
                share_type=resource.share_type if resource else "?",
                share_condition=resource.share_condition if resource else "",
                items=items,
                purpose=agreement.purpose,
                legal_basis=agreement.legal_basis,
                schedule=agreement.schedule,
                start_date=agreement.start_date,
                delivery_mode=agreement.delivery_mode,
                target_conn_id=agreement.target_conn_id,
                target=f"{agreement.target_schema}.{agreement.target_table}",
                catalog_version=agreement.catalog_version,
                delivery=_delivery_words(agreement),
                row_filter="; ".join(str(c) for c in filters.parse_all(agreement.row_filter)),
            )
        )
    return result


def _check_delivery(resource: m.Resource, request: AgreementRequest) -> None:
    """Delivery mode, watermark, deletions, row filter and masks: RequestRefused if any is wrong."""
    if request.delivery_mode not in MODES:
        raise RequestRefused(
            f"delivery mode {request.delivery_mode!r} is not available", f"use one of {', '.join(MODES)}"
        )
    if request.delivery_mode == "incremental":
        item = resource.item(request.watermark or "")
        if item is None:
            raise RequestRefused(
                "an incremental delivery needs a watermark: an item whose value grows whenever a row changes",
                f"name one of {', '.join(i.name for i in resource.items if i.type.split('(')[0] in WATERMARK_TYPES)}",
            )
        if CatalogType.parse(item.type).name not in WATERMARK_TYPES or item.nullable:
            raise RequestRefused(
                f"item {item.name} ({item.type}{', nullable' if item.nullable else ''}) cannot be a watermark",
                "use a non-nullable timestamp, date or integer item (a row without one would never be delivered)",
            )
    elif request.watermark or request.deletions != "none":
        raise RequestRefused(
            "a watermark and deletions apply to incremental deliveries only",
            "a snapshot replaces the whole table, deleted rows included; leave them out or choose incremental",
        )
    if request.deletions not in DELETIONS:
        raise RequestRefused(f"unknown deletions setting {request.deletions!r}", f"use one of {', '.join(DELETIONS)}")
    if request.overlap is not None and request.overlap < 0:
        raise RequestRefused("the watermark overlap cannot be negative", "give the overlap in seconds, days or units")
    try:
        conditions = filters.parse_all(request.row_filter)
    except filters.FilterError as exc:
        raise RequestRefused(f"row filter: {exc}", filters.__doc__.split("\n\n")[1].strip()) from None
    for condition in conditions:
        if resource.item(condition.item) is None:
            raise RequestRefused(
                f"row filter names {condition.item!r}, which resource {resource.code} does not have",
                f"filter on one of its items: {', '.join(i.name for i in resource.items)}",
            )
    for name, spec in request.masking.items():
        item = resource.item(name)
        if item is None or name not in request.items:
            raise RequestRefused(
                f"a mask is given for {name!r}, which is not a requested item", "mask requested items only"
            )
        try:
            mask = masking.Mask.parse(spec)
            mask.check_type(CatalogType.parse(item.type))
        except masking.MaskError as exc:
            raise RequestRefused(f"mask for {name}: {exc}", "see the masks in the README") from None
        if name in resource.primary_key and mask.kind not in ("none", "hmac"):
            raise RequestRefused(
                f"key item {name} cannot be masked with {mask}: masked keys would collide",
                "deliver the key raw, or pseudonymise it with hmac",
            )


def _delivery_words(agreement: m.Agreement) -> str:
    words = agreement.delivery_mode
    if agreement.delivery_mode == "incremental":
        words += f" by {agreement.watermark_column} (overlap {agreement.watermark_overlap})"
        if agreement.deletions == "key_diff":
            words += ", deletions by key diff"
    return words + (", an empty source may empty the target" if agreement.empty_source_ok else "")
