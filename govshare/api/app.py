"""The agencies' REST API: browse the catalogue, request data, answer requests, read their
agreements. Served by Airflow's api-server under ``/govshare`` (see plugins/govshare_plugin.py).

Airflow does not authenticate plugin apps, so every data endpoint here requires an agency's
API token (``Authorization: Bearer gs_…``) itself. What the token's agency may do is decided by
govshare.lifecycle, exactly as for the CLI: deny by default, refusals audited. The schema
(``/govshare/openapi.json``, also in docs/api/openapi.json) carries no data and is public.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from govshare.api import agreements, corrections, reports
from govshare.api.hints import http_fix
from govshare.api.open_data import public
from govshare.errors import GovshareError, IllegalTransition, NotAllowed, NotAuthenticated, NotFound
from govshare.ui.app import ui

app = FastAPI(
    title="govshare",
    version="1.0",
    summary="Government information resource sharing: requests, reviews, coordination, filings.",
    description=__doc__,
    docs_url=None,  # FastAPI's own pages load Swagger UI from a CDN; ours serves it (see docs below)
    redoc_url=None,
)
app.mount("/ui", ui)
app.mount("/open", public)  # open data: public, read-only, no sign-in


@app.get("/docs", include_in_schema=False)
def docs(request: Request) -> HTMLResponse:
    """Swagger UI for the API, every asset served by the platform (govshare/ui/static/swagger-ui)."""
    root = request.scope.get("root_path", "").rstrip("/")
    return get_swagger_ui_html(
        openapi_url=f"{root}/openapi.json",
        title="govshare API",
        swagger_js_url=f"{root}/ui/static/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url=f"{root}/ui/static/swagger-ui/swagger-ui.css",
        swagger_favicon_url=f"{root}/ui/static/favicon.svg",
    )


# Every other refusal (a request refused, an invalid value) is 422, as FastAPI answers a
# malformed request: one status for "the request cannot be taken as sent".
_STATUS = {NotAuthenticated: 401, NotAllowed: 403, NotFound: 404, IllegalTransition: 409}


@app.exception_handler(GovshareError)
def _refused(request: Request, exc: GovshareError) -> JSONResponse:
    status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 422)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": exc.message, "fix": http_fix(exc)}, status_code=status, headers=headers)


def _wrong(error: dict) -> str:
    """One invalid part of a request, naming the value sent when it is a plain one."""
    sent = error.get("input")
    given = f" (sent: {sent!r})" if isinstance(sent, str | int | float | bool) else ""
    return f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}{given}"


@app.exception_handler(RequestValidationError)
def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    # The same shape as every other refusal, so agencies handle one kind of error body.
    problems = "; ".join(_wrong(e) for e in exc.errors())
    fix = "send what the OpenAPI schema (/govshare/openapi.json) describes"
    return JSONResponse({"error": f"invalid request: {problems}", "fix": fix}, status_code=422)


@app.exception_handler(StarletteHTTPException)
def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # Starlette names only the first route matching the path; list every method it serves.
        served = {
            method
            for route in app.routes
            if isinstance(route, APIRoute) and route.matches(request.scope)[0] != Match.NONE
            for method in route.methods
        }
        headers["Allow"] = ", ".join(sorted(served))
    fix = "send JSON as the OpenAPI schema (/govshare/openapi.json) describes"
    # A body FastAPI cannot even decode (not UTF-8) is as malformed as one that is not JSON,
    # which FastAPI answers 422: one status for both, as documented.
    status = 422 if exc.status_code == 400 else exc.status_code
    error = f"invalid request: {exc.detail}" if exc.status_code == 400 else str(exc.detail)
    return JSONResponse({"error": error, "fix": fix}, status_code=status, headers=headers)


for part in (agreements.router, corrections.router, reports.router):
    app.include_router(part)


def _openapi() -> dict:
    """FastAPI documents an HTML endpoint's refusals as HTML; they are JSON like all others."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, summary=app.summary, description=app.description, routes=app.routes
        )
        for operation in (op for path in schema["paths"].values() for op in path.values()):
            for status, answer in operation.get("responses", {}).items():
                content = answer.get("content", {})
                if status >= "400" and "text/html" in content:
                    content["application/json"] = content.pop("text/html")
        app.openapi_schema = schema
    return app.openapi_schema


app.openapi = _openapi
