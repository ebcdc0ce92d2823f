"""Turning a page's figures into HTML: the template environment and the words and numbers every
page writes the same way (Beijing time, percentages, sizes)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from govshare.clock import TIMEZONE
from govshare.errors import GovshareError, IllegalTransition, NotAllowed, NotAuthenticated, NotFound, RequestRefused
from govshare.numbers import percent
from govshare.ui.words import named

TEMPLATES = Path(__file__).parent / "templates"

# The sections of the navigation, as Airflow's menu names them (plugins/govshare_plugin.py).
SECTIONS = (
    ("catalogue", "目录", "Catalogue"),
    ("agreements", "共享协议", "Agreements"),
    ("deliveries", "交付与质量", "Deliveries & quality"),
    ("monitoring", "监测", "Monitoring"),
    ("corrections", "纠错", "Corrections"),
    ("audit", "审计", "Audit"),
)

# The pages allow only what they need: their own stylesheet and images, forms posted to themselves.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


_STATUS = {NotAuthenticated: 401, NotAllowed: 403, NotFound: 404, IllegalTransition: 409, RequestRefused: 422}


def refusal_status(refused: GovshareError) -> int:
    return next((code for kind, code in _STATUS.items() if isinstance(refused, kind)), 400)


# A stored report (quality, monitoring, supervision) styles itself inline and holds no script.
REPORT_HEADERS = {
    **HEADERS,
    "Content-Security-Policy": HEADERS["Content-Security-Policy"].replace(
        "style-src 'self'", "style-src 'unsafe-inline'"
    ),
}


def when(moment: datetime | date | None) -> str:
    """A moment in Beijing time, to the minute (dates as they are)."""
    if moment is None:
        return "—"
    if isinstance(moment, datetime):
        return f"{moment.astimezone(TIMEZONE):%Y-%m-%d %H:%M}"
    return f"{moment:%Y-%m-%d}"


def size(count: int | None) -> str:
    if count is None:
        return "—"
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:,.0f} {unit}" if unit == "B" else f"{count:,.1f} {unit}"
        count /= 1024
    return ""


def number(count: int | None) -> str:
    return "—" if count is None else f"{count:,}"


def seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"


ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters.update(when=when, percent=percent, size=size, number=number, seconds=seconds, named=named)
ENV.globals["SECTIONS"] = SECTIONS


def root(request) -> str:
    """Where the pages are mounted (``/govshare/ui`` inside Airflow's api-server)."""
    return request.scope.get("root_path", "").rstrip("/")


def page(template: str, status_code: int = 200, **context) -> HTMLResponse:
    context = {"notice": "", "section": "", "problem": None, **context}
    return HTMLResponse(ENV.get_template(template).render(**context), status_code=status_code, headers=HEADERS)


def view(request, viewer, template: str, status_code: int = 200, **context) -> HTMLResponse:
    """A page for a signed-in visitor: the navigation, who they are, their forms' CSRF token."""
    return page(template, status_code, root=root(request), viewer=viewer, section=template.split("_")[0], **context)
