"""Monitoring (articles 10, 17, 21): front-DB health per table now, incidents over time,
anomalies, and the monthly monitoring and quarterly supervision reports (HTML, PDF)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from govshare import clock
from govshare.errors import NotFound
from govshare.lifecycle import service
from govshare.monitoring import send as reports
from govshare.monitoring.figures import Period
from govshare.registry import models as m
from govshare.registry.db import session
from govshare.ui.auth import Viewer, Visitor
from govshare.ui.catalogue import health
from govshare.ui.render import REPORT_HEADERS, view

router = APIRouter()
Month = Annotated[str, Path(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
Quarter = Annotated[str, Path(pattern=r"^\d{4}Q[1-4]$")]


def _agencies(s, viewer: Visitor) -> list[str]:
    """Whose monitoring the visitor may read: its own agency's, or every one for operators."""
    if viewer.is_operator:
        return list(s.scalars(select(m.Agency.code).order_by(m.Agency.code)))
    return [viewer.actor.name]


def _may_supervise(viewer: Visitor) -> bool:
    return viewer.is_operator or viewer.actor.agency_kind == "competent_department"


@router.get("/monitoring", include_in_schema=False)
def monitoring(request: Request, viewer: Viewer):
    today = clock.today()
    with session() as s:
        agencies = _agencies(s, viewer)
        checks = [c for c in health(s).values() if c.agency_code in agencies]
        incidents = list(
            s.scalars(
                select(m.Incident).where(m.Incident.agency_code.in_(agencies)).order_by(m.Incident.id.desc()).limit(100)
            )
        )
        codes = {a.code for a in service.visible(s, viewer.actor)}
        anomalies = list(
            s.scalars(
                select(m.Anomaly).where(m.Anomaly.agreement_code.in_(codes)).order_by(m.Anomaly.id.desc()).limit(100)
            )
        )
    months = [Period.month_of(today).label, Period.month_of(today.replace(day=1) - timedelta(days=1)).label]
    return view(
        request,
        viewer,
        "monitoring_index.html",
        checks=sorted(checks, key=lambda c: (c.ok, c.agency_code, c.resource_code)),
        incidents=incidents,
        anomalies=anomalies,
        agencies=agencies,
        months=months,
        # the quarter so far and the last one finished (the one the quarterly DAG reports on)
        quarters=[Period.quarter_of(today).label, Period.quarter_of(Period.quarter_of(today).before).label],
        may_supervise=_may_supervise(viewer),
    )


def _document(document, pdf: bool, name: str) -> Response:
    if pdf:
        disposition = f'attachment; filename="{name}.pdf"'
        return Response(document.pdf, media_type="application/pdf", headers={"Content-Disposition": disposition})
    return HTMLResponse(str(document.html), headers=REPORT_HEADERS)


@router.get("/monitoring/reports/{agency}/{month}", include_in_schema=False)
def monitoring_report(viewer: Viewer, agency: str, month: Month, pdf: bool = False) -> Response:
    with session() as s:
        if agency not in _agencies(s, viewer):
            raise NotFound(
                f"no monitoring report of '{agency}' for you", "open your own agency's from the monitoring page"
            )
        document = reports.monitoring(s, agency, Period.month(month))
    return _document(document, pdf, f"monitoring-{agency}-{month}")


@router.get("/monitoring/supervision/{quarter}", include_in_schema=False)
def supervision_report(viewer: Viewer, quarter: Quarter, pdf: bool = False) -> Response:
    if not _may_supervise(viewer):
        raise NotFound("no supervision report for you", "the competent department and the platform's operators read it")
    with session() as s:
        document = reports.supervision(s, Period.quarter(quarter))
    return _document(document, pdf, f"supervision-{quarter}")
