"""Front-DB health (article 10): each agency keeps its front-end exchange database connected
and in step with its business systems. The ``platform_front_db_health`` DAG checks, hourly,
every catalogued resource: the database answers; the table is there with the catalogued
columns and types; and — for resources naming an ``update_column`` — the newest row is no
older than the declared update cycle allows.

Every check is recorded (availability in the supervision report is computed from them). The
first failure opens an incident for the agency and emails its contacts once; while the
incident stays open, further failures only update it; the first fully healthy round closes it
and sends one recovery email. No email storms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from psycopg import sql
from sqlalchemy import select
from sqlalchemy.orm import Session

from govshare import audit, clock
from govshare.catalog.model import CYCLE_HOURS
from govshare.catalog.types import CatalogType
from govshare.clock import TIMEZONE
from govshare.errors import GovshareError
from govshare.exchange import schema
from govshare.exchange.address import DatabaseAddress
from govshare.exchange.failures import reported
from govshare.exchange.plan import Column
from govshare.exchange.sources import open_source
from govshare.lifecycle.deadlines import seconds_since
from govshare.notify import outbox
from govshare.registry import models as m


@dataclass(frozen=True)
class Finding:
    resource: str
    ok: bool
    problem: str = ""


def check_resource(resource: m.Resource, address: DatabaseAddress, now: datetime) -> Finding:
    """One resource's front-DB table: reachable, as catalogued, fresh."""
    catalogued = [_column(i) for i in resource.items]
    try:
        with reported("health check"), open_source(address, resource.conn_id) as src:
            actual = src.columns(resource.schema_name, resource.table_name)
            drifts = schema.drift(catalogued, actual, f"{resource.schema_name}.{resource.table_name}", address.dialect)
            if drifts:
                return Finding(resource.code, False, "; ".join(str(d) for d in drifts))
            if resource.update_column is None:
                return Finding(resource.code, True)
            newest = src.scalar(
                sql.SQL("SELECT MAX({}) FROM {}").format(
                    sql.Identifier(resource.update_column), sql.Identifier(resource.schema_name, resource.table_name)
                ),
                [],
            )
    except GovshareError as exc:
        return Finding(resource.code, False, exc.message)
    lag = seconds_since(newest, now)
    lag = lag / 3600 if lag is not None else None
    limit = CYCLE_HOURS[resource.update_cycle]
    if lag is None or lag > limit:
        age = "no rows" if lag is None else f"the newest row is {lag:.1f} hours old"
        return Finding(
            resource.code, False, f"not fresh: {age}, the {resource.update_cycle} cycle allows {limit} hours"
        )
    return Finding(resource.code, True)


def run_round(
    session: Session, address_of: Callable[[str], DatabaseAddress], now: datetime
) -> dict[str, list[Finding]]:
    """Check every resource, record the results, open and close incidents. Returns findings by agency."""
    findings: dict[str, list[Finding]] = {}
    for resource in session.scalars(select(m.Resource).order_by(m.Resource.code)):
        try:
            finding = check_resource(resource, address_of(resource.conn_id), now)
        except GovshareError as exc:  # e.g. the Airflow connection is missing
            finding = Finding(resource.code, False, exc.message)
        session.add(
            m.FrontDbCheck(
                agency_code=resource.provider_code, resource_code=resource.code, ok=finding.ok, problem=finding.problem
            )
        )
        findings.setdefault(resource.provider_code, []).append(finding)
    for agency, results in findings.items():
        _incident(session, agency, [f for f in results if not f.ok])
    return findings


def open_incident(session: Session, agency: str) -> m.Incident | None:
    query = select(m.Incident).where(m.Incident.agency_code == agency, m.Incident.closed_at.is_(None))
    return session.scalars(query.with_for_update()).first()


def _incident(session: Session, agency: str, failed: list[Finding]) -> None:
    current = open_incident(session, agency)
    detail = "; ".join(f"{f.resource}: {f.problem}" for f in failed)
    if failed and current is None:
        incident = m.Incident(agency_code=agency, kind="front_db", detail=detail)
        session.add(incident)
        session.flush()
        audit.append(
            session, "system:platform", "incident.open", f"agency:{agency}", {"incident": incident.id, "detail": detail}
        )
        outbox.enqueue(
            session,
            "incident.open",
            [agency],
            f"[govshare] 前置交换库异常 front DB problem ({agency})",
            [
                f"平台检测到贵单位前置交换库异常（第{incident.id}号事件），请尽快处理：{detail}",
                f"The platform found a problem with your front-end exchange database (incident {incident.id}): "
                f"{detail}. You will hear from us once it is healthy again; until then, no further emails.",
            ],
        )
    elif failed:
        current.detail = detail  # still down: keep the newest reason, send nothing
    elif current is not None:
        current.closed_at = clock.now()
        audit.append(session, "system:platform", "incident.close", f"agency:{agency}", {"incident": current.id})
        outbox.enqueue(
            session,
            "incident.close",
            [agency],
            f"[govshare] 前置交换库已恢复 front DB healthy again ({agency})",
            [
                f"第{current.id}号事件已关闭：前置交换库已恢复正常。",
                f"Incident {current.id} is closed: your front-end exchange database is healthy again "
                f"(opened {current.opened_at.astimezone(TIMEZONE):%Y-%m-%d %H:%M}).",
            ],
        )


def _column(item: m.ResourceItem) -> Column:
    return Column(item.name, CatalogType.parse(item.type), item.nullable)
