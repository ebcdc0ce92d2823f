"""Deliveries and their quality: the list with its filters, a delivery's page (figures and each
rule's outcome), its full quality report, and the Airflow UI's way in from a DAG or a DAG run."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from govshare import corrections
from govshare.errors import NotFound, RequestRefused
from govshare.lifecycle import service
from govshare.registry import deliveries, quality
from govshare.registry import models as m
from govshare.registry.db import session
from govshare.registry.deliveries import DeliveryStatus
from govshare.ui.auth import Viewer
from govshare.ui.render import REPORT_HEADERS, percent, root, view
from govshare.ui.words import DELIVERY_STATUS, delivery_row

router = APIRouter()
DeliveryId = Annotated[int, Path(ge=1, le=2**62)]


@router.get("/deliveries", include_in_schema=False)
def delivery_list(request: Request, viewer: Viewer, agreement: str = "", status: str = "", limit: int = 200):
    if status and status not in DeliveryStatus.__members__.values():
        raise RequestRefused(f"unknown delivery status '{status}'", f"choose one of {', '.join(DeliveryStatus)}")
    with session() as s:
        codes = {a.code for a in service.visible(s, viewer.actor)}
        if agreement and agreement.upper() not in codes:
            raise NotFound(f"no agreement '{agreement}' visible to {viewer.actor}", "choose one from the list")
        query = select(m.Delivery).where(m.Delivery.agreement_code.in_(codes)).order_by(m.Delivery.id.desc())
        if agreement:
            query = query.where(m.Delivery.agreement_code == agreement.upper())
        if status:
            query = query.where(m.Delivery.status == status)
        rows = [delivery_row(d) for d in s.scalars(query.limit(min(max(limit, 1), 1000)))]
        trend = quality.trend(s, agreement.upper()) if agreement else []
    return view(
        request,
        viewer,
        "deliveries_list.html",
        deliveries=rows,
        agreements=sorted(codes),
        agreement=agreement.upper(),
        status=status,
        statuses=list(DELIVERY_STATUS.items()),
        trend=trend,
    )


def _readable(s, viewer, delivery_id: int) -> m.Delivery:
    """A delivery of an agreement the visitor takes part in; any other is not found."""
    try:
        delivery = deliveries.by_id(s, delivery_id)
        service.read(s, viewer.actor, delivery.agreement_code)
    except NotFound:
        raise NotFound(
            f"no delivery {delivery_id} visible to {viewer.actor}", "choose one from the deliveries page"
        ) from None
    return delivery


@router.get("/deliveries/{delivery_id}", include_in_schema=False)
def delivery_page(request: Request, viewer: Viewer, delivery_id: DeliveryId):
    with session() as s:
        delivery = _readable(s, viewer, delivery_id)
        results = delivery.check_results or []
        report = s.get(m.QualityReport, delivery_id)
        scores = {k: percent(v) for k, v in (report.scores if report else {}).items()}
        shown = delivery_row(delivery)
        subscriber = s.get(m.Agreement, delivery.agreement_code).subscriber_code
        may_correct = (
            viewer.actor.name == subscriber and viewer.actor.may_act_as("subscriber") and bool(shown["delivered"])
        )
        filed = corrections.visible(s, viewer.actor, delivery_id)
    return view(
        request,
        viewer,
        "deliveries_detail.html",
        row=shown,
        results=results,
        scores=scores,
        has_report=report is not None,
        may_correct=may_correct,
        corrections=filed,
    )


@router.get("/deliveries/{delivery_id}/report", include_in_schema=False)
def report_page(viewer: Viewer, delivery_id: DeliveryId) -> HTMLResponse:
    """The full quality report, as it was emailed (it holds no script and loads nothing)."""
    with session() as s:
        _readable(s, viewer, delivery_id)
        html = service.act(
            viewer.actor, "report.read", f"delivery:{delivery_id}", lambda t: quality.get(t, delivery_id).html
        )
    return HTMLResponse(html, headers=REPORT_HEADERS)


@router.get("/dags/{dag_id}", include_in_schema=False)
def from_dag(request: Request, viewer: Viewer, dag_id: str):
    """The Airflow UI's "Agreement" tab on an agreement's DAG (its id is the agreement's code)."""
    with session() as s:
        service.read(s, viewer.actor, dag_id)
    return RedirectResponse(f"{root(request)}/agreements/{dag_id}", status_code=303)


@router.get("/runs/{dag_id}/{run_id}", include_in_schema=False)
def from_run(request: Request, viewer: Viewer, dag_id: str, run_id: str):
    """The Airflow UI's "Quality report" tab on a DAG run: that run's delivery."""
    with session() as s:
        service.read(s, viewer.actor, dag_id)
        found = deliveries.find(s, dag_id, run_id)
        if found is None:
            raise NotFound(f"run {run_id} of {dag_id} has no delivery record yet", "wait for its stage task to start")
    return RedirectResponse(f"{root(request)}/deliveries/{found.id}", status_code=303)
