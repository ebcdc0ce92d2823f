"""The pages' app: its routes, its stylesheet and vendored assets, and refusals as pages
(a visitor without a session is sent to sign in; any other refusal says what and how to fix)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from govshare.errors import GovshareError, NotAuthenticated
from govshare.ui import agreements, audit_log, catalogue, corrections, deliveries, monitoring, signin
from govshare.ui.render import page, refusal_status, root
from govshare.ui.words import for_page

STATIC = Path(__file__).parent / "static"

ui = FastAPI(title="govshare pages", docs_url=None, redoc_url=None, openapi_url=None)
ui.mount("/static", StaticFiles(directory=STATIC), name="static")
for part in (signin, catalogue, agreements, deliveries, monitoring, corrections, audit_log):
    ui.include_router(part.router)


@ui.exception_handler(GovshareError)
def _refused(request: Request, exc: GovshareError):
    if isinstance(exc, NotAuthenticated):
        back = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""), safe="")
        return RedirectResponse(f"{root(request)}/signin?next={back}", status_code=303)
    return page(
        "refused.html",
        refusal_status(exc),
        root=root(request),
        viewer=None,
        message=exc.message,
        fix=for_page(exc.hint),
    )


@ui.exception_handler(RequestValidationError)
def _invalid(request: Request, exc: RequestValidationError):
    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    fix = "use the page's links and forms"
    return page("refused.html", 422, root=root(request), viewer=None, message=f"invalid request: {problems}", fix=fix)


@ui.exception_handler(StarletteHTTPException)
def _http_error(request: Request, exc: StarletteHTTPException):
    fix = "follow a link from the navigation" if exc.status_code == 404 else "reload the page and try again"
    return page("refused.html", exc.status_code, root=root(request), viewer=None, message=str(exc.detail), fix=fix)


@ui.get("/", include_in_schema=False)
def home(request: Request) -> RedirectResponse:
    return RedirectResponse(f"{root(request)}/agreements", status_code=303)
