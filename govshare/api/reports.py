"""Quality report pages, for the agreement's parties (by token) and for operators (following the
Airflow UI's "Quality reports" menu entry, by their Airflow session)."""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from govshare.api.auth import Reader
from govshare.api.schemas import REFUSALS
from govshare.lifecycle import service
from govshare.registry import models as m
from govshare.registry import quality
from govshare.registry.db import session

router = APIRouter()


@router.get(
    "/reports",
    response_class=HTMLResponse,
    responses={**REFUSALS, 200: {"content": {"text/html": {}}, "description": "Links to quality reports"}},
    tags=["quality"],
)
def quality_reports(actor: Reader) -> str:
    """The latest quality reports of the deliveries the caller may read (the Airflow UI's
    "Quality reports" menu entry opens this page)."""
    with session() as s:
        codes = {a.code for a in service.visible(s, actor)}
        found = s.scalars(
            select(m.QualityReport)
            .where(m.QualityReport.agreement_code.in_(codes))
            .order_by(m.QualityReport.delivery_id.desc())
            .limit(200)
        ).all()
        rows = "".join(
            f"<tr><td><a href='reports/{r.delivery_id}'>{r.delivery_id}</a></td><td>{escape(r.agreement_code)}</td>"
            f"<td>{r.created_at:%Y-%m-%d %H:%M}</td><td>"
            + ", ".join(f"{escape(k)} {v:.1f}%" for k, v in r.scores.items() if v is not None)
            + "</td></tr>"
            for r in found
        )
    return (
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>数据质量报告 Quality reports</title>"
        "<style>body{font-family:sans-serif;margin:2em} td,th{border:1px solid #ccc;padding:4px 8px}"
        "table{border-collapse:collapse}</style></head><body><h1>数据质量报告 Quality reports</h1>"
        f"<p>{escape(str(actor))}</p><table><tr><th>delivery</th><th>agreement</th><th>created</th><th>scores</th></tr>"
        f"{rows}</table></body></html>"
    )


@router.get(
    "/reports/{delivery_id}",
    response_class=HTMLResponse,
    responses={**REFUSALS, 200: {"content": {"text/html": {}}, "description": "The quality report"}},
    tags=["quality"],
)
def quality_report(delivery_id: Annotated[int, Path(ge=1, le=2**62)], actor: Reader) -> str:
    """A delivery's quality report, for the agreement's parties and for operators."""

    def fetch(s):
        report = quality.get(s, delivery_id)
        service.read(s, actor, report.agreement_code)
        return report.html

    return service.act(actor, "report.read", f"delivery:{delivery_id}", fetch)
