"""Quality report pages for systems holding a token (and operators with their Airflow session),
linked from report emails. People read reports in the pages (govshare.ui, "Deliveries & quality")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from govshare import markup
from govshare.api.auth import Reader
from govshare.api.schemas import REFUSALS
from govshare.lifecycle import service
from govshare.numbers import percent
from govshare.registry import models as m
from govshare.registry import quality
from govshare.registry.db import session

router = APIRouter()

# The pages hold no script and load nothing: should markup ever slip through, the browser runs none of it.
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
}

_INDEX = markup.html(
    """<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>数据质量报告 Quality reports</title>
<style>body{font-family:sans-serif;margin:2em} td,th{border:1px solid #ccc;padding:4px 8px}
table{border-collapse:collapse}</style></head><body><h1>数据质量报告 Quality reports</h1>
<p>{{ actor }}</p><table><tr><th>delivery</th><th>agreement</th><th>created</th><th>scores</th></tr>
{%- for r in reports %}
<tr><td><a href='reports/{{ r.delivery }}'>{{ r.delivery }}</a></td><td>{{ r.agreement }}</td><td>{{ r.created }}</td>
<td>{{ r.scores }}</td></tr>
{%- endfor %}</table></body></html>"""
)


@router.get(
    "/reports",
    response_class=HTMLResponse,
    responses={**REFUSALS, 200: {"content": {"text/html": {}}, "description": "Links to quality reports"}},
    tags=["quality"],
)
def quality_reports(actor: Reader) -> HTMLResponse:
    """The latest quality reports of the deliveries the caller may read."""
    with session() as s:
        codes = {a.code for a in service.visible(s, actor)}
        found = s.scalars(
            select(m.QualityReport)
            .where(m.QualityReport.agreement_code.in_(codes))
            .order_by(m.QualityReport.delivery_id.desc())
            .limit(200)
        ).all()
        page = _INDEX.render(
            actor=str(actor),
            reports=[
                {
                    "delivery": r.delivery_id,
                    "agreement": r.agreement_code,
                    "created": f"{r.created_at:%Y-%m-%d %H:%M}",
                    "scores": ", ".join(f"{k} {percent(v)}" for k, v in r.scores.items() if v is not None),
                }
                for r in found
            ],
        )
    return HTMLResponse(page, headers=_PAGE_HEADERS)


@router.get(
    "/reports/{delivery_id}",
    response_class=HTMLResponse,
    responses={**REFUSALS, 200: {"content": {"text/html": {}}, "description": "The quality report"}},
    tags=["quality"],
)
def quality_report(delivery_id: Annotated[int, Path(ge=1, le=2**62)], actor: Reader) -> HTMLResponse:
    """A delivery's quality report, for the agreement's parties and for operators."""

    def fetch(s):
        report = quality.get(s, delivery_id)
        service.read(s, actor, report.agreement_code)
        return report.html

    return HTMLResponse(service.act(actor, "report.read", f"delivery:{delivery_id}", fetch), headers=_PAGE_HEADERS)
