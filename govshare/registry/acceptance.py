"""Whether the registry accepts an agreement's terms under the current catalogue.

An agreement is the only grant (article 14): it names the subscriber, the resource, the items,
the duty they serve (purpose and legal basis, article 15) and where the data goes. Every
request is checked against the current catalogue, and checked again at activation and
resumption (the catalogue may have changed meanwhile). Each check refuses with a
RequestRefused naming the first thing that is not allowed and what to do instead.
"""

from __future__ import annotations

from croniter import croniter
from sqlalchemy import select
from sqlalchemy.orm import Session

from govshare.catalog.model import CONN_ID, NAME_RULE, RESERVED_SCHEMA, SAFE_NAME
from govshare.catalog.types import CatalogType
from govshare.errors import MaskError, RequestRefused
from govshare.exchange import masking
from govshare.exchange.plan import CORRECTIONS_SUFFIX, WATERMARK_TYPES
from govshare.registry import models as m
from govshare.registry.statuses import FINAL_AGREEMENT_STATUSES, AgreementStatus
from govshare.registry.terms import AgreementTerms, terms_of
from govshare.settings import cron_field_problem

SCHEDULE_PRESETS = ("@hourly", "@daily", "@weekly", "@monthly", "@yearly")
SUBSCRIBER_KINDS = ("department",)


def check(session: Session, terms: AgreementTerms, exclude: str | None = None, released: bool = True) -> m.Resource:
    """The requested resource, or RequestRefused naming the first thing that is not allowed.

    ``released=False`` refuses a not_shared resource: before a joint decision has released it,
    such a request may be made (the workflow refuses it and leads to coordination) but never
    activated. ``exclude``: the agreement being checked again, which does not clash with itself.
    """
    subscriber = _subscriber(session, terms)
    resource = _resource(session, terms, subscriber, released)
    _check_items(resource, terms)
    _check_duty(terms)
    _check_delivery(resource, terms)
    _check_masks(resource, terms)
    _check_target_names(terms)
    _check_target(subscriber, terms)
    _check_no_clash(session, terms, exclude)
    return resource


def check_fits_catalog(session: Session, agreement: m.Agreement) -> None:
    """RequestRefused unless the agreement would still be accepted under the current catalogue."""
    check(session, terms_of(agreement), exclude=agreement.code, released=joint_approved(session, agreement.code))


def joint_approved(session: Session, code: str) -> bool:
    """Whether a joint decision approved this agreement: the one way a not_shared resource flows."""
    query = select(m.Transition.id).where(
        m.Transition.agreement_code == code, m.Transition.to_status == AgreementStatus.APPROVED
    )
    return session.scalars(query).first() is not None


def target_problem(session: Session, agreement: m.Agreement) -> str | None:
    """Why the agreement's target is no longer the subscriber's to receive into, or None."""
    subscriber = session.get(m.Agency, agreement.subscriber_code)
    if subscriber is None:
        return f"subscriber {agreement.subscriber_code} was withdrawn from the catalogue"
    try:
        _check_target(subscriber, terms_of(agreement))
    except RequestRefused as refused:
        return refused.message
    return None


def _subscriber(session: Session, terms: AgreementTerms) -> m.Agency:
    subscriber = session.get(m.Agency, terms.subscriber_code)
    if subscriber is None:
        known = ", ".join(session.scalars(select(m.Agency.code).order_by(m.Agency.code)))
        raise RequestRefused(f"unknown agency '{terms.subscriber_code}'", f"use a catalogued agency code ({known})")
    if subscriber.kind not in SUBSCRIBER_KINDS:
        raise RequestRefused(
            f"agency '{subscriber.code}' is a {subscriber.kind} and cannot subscribe to data",
            "only departments (政务部门) request resources for their duties",
        )
    return subscriber


def _resource(session: Session, terms: AgreementTerms, subscriber: m.Agency, released: bool) -> m.Resource:
    resource = session.get(m.Resource, terms.resource_code)
    if resource is None:
        raise RequestRefused(
            f"unknown resource '{terms.resource_code}'", "list resources with `govshare catalog resources`"
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
    return resource


def _check_items(resource: m.Resource, terms: AgreementTerms) -> None:
    unknown = [name for name in terms.items if resource.item(name) is None]
    if unknown:
        available = ", ".join(i.name for i in resource.items)
        raise RequestRefused(
            f"resource '{resource.code}' has no item(s) {', '.join(unknown)}", f"request only its items: {available}"
        )
    if len(set(terms.items)) != len(terms.items):
        raise RequestRefused("an item is requested twice", "list each item once")
    missing_key = [k for k in resource.primary_key if k not in terms.items]
    if missing_key:
        raise RequestRefused(
            f"the items must include the resource's primary key ({', '.join(resource.primary_key)})",
            f"add {', '.join(missing_key)}: deliveries and corrections identify records by it",
        )


def _check_duty(terms: AgreementTerms) -> None:
    """The duty the data serves, and when it is delivered."""
    if not terms.purpose.strip() or not terms.legal_basis.strip():
        raise RequestRefused(
            "purpose and legal basis are required",
            "state the duty the data serves and the law or regulation that assigns it (article 15)",
        )
    if terms.schedule not in SCHEDULE_PRESETS and not (
        len(terms.schedule.split()) == 5 and croniter.is_valid(terms.schedule)
    ):
        wrong = cron_field_problem(terms.schedule)
        raise RequestRefused(
            f"schedule {terms.schedule!r} is not a cron expression: {wrong}"
            if wrong
            else f"schedule {terms.schedule!r} is neither a preset nor a cron expression",
            f"use one of {', '.join(SCHEDULE_PRESETS)} or five cron fields such as '0 2 * * *'",
        )
    if terms.end_date and terms.end_date < (terms.start_date or terms.end_date):
        raise RequestRefused("the end date is before the start date", "correct --start-date or --end-date")


def _check_delivery(resource: m.Resource, terms: AgreementTerms) -> None:
    """The watermark, deletions and row filter fit the resource (their grammar is the terms')."""
    if terms.mode == "incremental":
        item = resource.item(terms.watermark or "")
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
    elif terms.watermark or terms.deletions != "none":
        raise RequestRefused(
            "a watermark and deletions apply to incremental deliveries only",
            "a snapshot replaces the whole table, deleted rows included; leave them out or choose incremental",
        )
    for condition in terms.conditions():
        if resource.item(condition.item) is None:
            raise RequestRefused(
                f"row filter names {condition.item!r}, which resource {resource.code} does not have",
                f"filter on one of its items: {', '.join(i.name for i in resource.items)}",
            )


def _check_masks(resource: m.Resource, terms: AgreementTerms) -> None:
    """Each mask is for a requested item of a type it works on; a key stays unique."""
    for name, spec in terms.masking.items():
        item = resource.item(name)
        if item is None or name not in terms.items:
            raise RequestRefused(
                f"a mask is given for {name!r}, which is not a requested item", "mask requested items only"
            )
        mask = masking.Mask.parse(spec)
        try:
            mask.check_type(CatalogType.parse(item.type))
        except MaskError as exc:
            raise RequestRefused(f"mask for {name}: {exc}", "see the masks in the README") from None
        if name in resource.primary_key and mask.kind not in ("none", "hmac"):
            raise RequestRefused(
                f"key item {name} cannot be masked with {mask}: masked keys would collide",
                "deliver the key raw, or pseudonymise it with hmac",
            )


def _check_target_names(terms: AgreementTerms) -> None:
    if not CONN_ID.match(terms.target_conn_id):
        raise RequestRefused(
            f"{terms.target_conn_id!r} is not a valid Airflow connection id", "use letters, digits, _ . -"
        )
    for field, value in (("target_schema", terms.target_schema), ("target_table", terms.target_table)):
        if not SAFE_NAME.match(value):
            raise RequestRefused(f"{field} {value!r} is not a safe SQL name", NAME_RULE)


def _check_target(subscriber: m.Agency, terms: AgreementTerms) -> None:
    """Deliveries go only into the subscriber's own declared databases and schemas, and never
    into what the platform keeps there (deny by default)."""
    declared = {d["conn_id"]: d["schemas"] for d in subscriber.databases}
    if terms.target_conn_id not in declared:
        mine = ", ".join(sorted(declared)) or "none declared"
        raise RequestRefused(
            f"'{terms.target_conn_id}' is not a database of '{subscriber.code}' ({mine}): data is delivered only "
            "into the subscriber's own databases",
            f"name one of {subscriber.code}'s databases as target_conn_id, or have it declared under the agency's "
            "`databases:` in the catalogue",
        )
    if RESERVED_SCHEMA.match(terms.target_schema):
        raise RequestRefused(
            f"schema '{terms.target_schema}' is the platform's or PostgreSQL's own, not the subscriber's",
            "deliver into a schema of the subscriber's own, such as public",
        )
    if terms.target_schema not in declared[terms.target_conn_id]:
        raise RequestRefused(
            f"schema '{terms.target_schema}' is not declared for '{terms.target_conn_id}' "
            f"({', '.join(declared[terms.target_conn_id])})",
            "choose a declared schema, or add it to the database's `schemas:` in the catalogue",
        )
    if terms.target_table.endswith(CORRECTIONS_SUFFIX):
        raise RequestRefused(
            f"table names ending in {CORRECTIONS_SUFFIX} are the platform's (the open corrections beside a "
            "delivered table)",
            "choose another target table",
        )


def _check_no_clash(session: Session, terms: AgreementTerms, exclude: str | None) -> None:
    """Two agreements writing one table would overwrite each other."""
    clash = session.scalars(
        select(m.Agreement.code).where(
            m.Agreement.target_conn_id == terms.target_conn_id,
            m.Agreement.target_schema == terms.target_schema,
            m.Agreement.target_table == terms.target_table,
            m.Agreement.status.not_in(sorted(FINAL_AGREEMENT_STATUSES)),
            m.Agreement.code != (exclude or ""),
        )
    ).first()
    if clash:
        raise RequestRefused(
            f"{terms.target_schema}.{terms.target_table} on '{terms.target_conn_id}' already receives "
            f"agreement {clash}",
            "choose another target table: two agreements writing one table would overwrite each other",
        )
