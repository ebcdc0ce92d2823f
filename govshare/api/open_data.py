"""The public, read-only open-data catalogue under ``/govshare/open``, without sign-in: CKAN's
Action API (``/api/3/action/<name>``, also ``/api/action/<name>``), the files, the DCAT
catalogue and the open-data pages. It can reach only what govshare.opendata.catalogue shows:
open resources with a current publication, and of those the files of that publication."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse

from govshare import settings
from govshare.airflow.open_data import store
from govshare.errors import InvalidParameter, NotFound
from govshare.opendata import catalogue, ckan, dcat, files
from govshare.registry.db import session
from govshare.ui import render

public = FastAPI(title="govshare open data", docs_url=None, redoc_url=None, openapi_url=None)

MAX_ROWS = 1000  # CKAN's own limit for package_search rows and list limits
MAX_BODY = 64 * 1024
MAX_QUERY = 200


def _int(params: dict[str, Any], name: str, default: int, most: int) -> int:
    value = params.get(name, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidParameter(name, "Invalid integer") from None
    if number < 0 or number > most:
        raise InvalidParameter(name, f"must be between 0 and {most}")
    return number


def _text(params: dict[str, Any], name: str, default: str = "") -> str:
    value = params.get(name, default)
    if not isinstance(value, str) or len(value) > MAX_QUERY:
        raise InvalidParameter(name, f"text of at most {MAX_QUERY} characters")
    return value


def _page(items: list, params: dict[str, Any], limit_name: str = "limit", offset_name: str = "offset") -> list:
    limit = _int(params, limit_name, MAX_ROWS, MAX_ROWS)
    offset = _int(params, offset_name, 0, 10**9)
    return items[offset : offset + limit]


def package_list(params: dict[str, Any]) -> Any:
    with session() as s:
        return _page([d.code for d in catalogue.datasets(s)], params)


def package_show(params: dict[str, Any]) -> Any:
    wanted = _text(params, "id") or _text(params, "name")
    with session() as s:
        found = catalogue.dataset(s, wanted)
        if found is None:
            raise NotFound(f"no open dataset {wanted!r}", "package_list names every open dataset")
        return ckan.package(found)


def package_search(params: dict[str, Any]) -> Any:
    fq = _text(params, "fq")
    filters = dict(part.split(":", 1) for part in fq.split() if ":" in part)
    unknown = set(filters) - {"organization", "tags"}
    if unknown:
        raise InvalidParameter(
            "fq", f"only organization:<name> and tags:<word> are supported, not {', '.join(sorted(unknown))}"
        )
    with session() as s:
        found = ckan.search(catalogue.datasets(s), _text(params, "q"), filters.get("organization"), filters.get("tags"))
    sort = _text(params, "sort", "name asc")
    orders: dict[str, Callable] = {
        "name asc": lambda d: d.code,
        "metadata_modified desc": lambda d: -d.modified.timestamp(),
    }
    if sort not in orders:
        raise InvalidParameter("sort", f"one of {', '.join(orders)}")
    found.sort(key=orders[sort])
    rows = _int(params, "rows", 10, MAX_ROWS)
    start = _int(params, "start", 0, 10**9)
    return {
        "count": len(found),
        "sort": sort,
        "results": [ckan.package(d) for d in found[start : start + rows]],
        "facets": {},
        "search_facets": {},
    }


def organization_list(params: dict[str, Any]) -> Any:
    with session() as s:
        providers = {d.provider_code: ckan.organization(d) for d in catalogue.datasets(s)}
    chosen = _page(sorted(providers), params)
    all_fields = str(params.get("all_fields", "false")).lower() in ("true", "1")
    return [providers[code] for code in chosen] if all_fields else chosen


def resource_show(params: dict[str, Any]) -> Any:
    wanted = _text(params, "id")
    code, _, fmt = wanted.partition(".")
    with session() as s:
        found = catalogue.dataset(s, code)
    for position, f in enumerate(found.files if found else []):
        if f["format"] == fmt:
            return ckan.resource(found, f, position)
    raise NotFound(f"no open-data file {wanted!r}", "package_show lists the files of a dataset")


ACTIONS: dict[str, Callable[[dict[str, Any]], Any]] = {
    f.__name__: f for f in (package_list, package_show, package_search, organization_list, resource_show)
}


def _answer(request: Request, action: str, status: int, result: Any = None, error: dict | None = None) -> JSONResponse:
    body: dict[str, Any] = {
        "help": f"{catalogue.base_url()}/api/3/action/help_show?name={action}",
        "success": error is None,
    }
    body.update({"result": result} if error is None else {"error": error})
    return JSONResponse(body, status_code=status, headers={"Access-Control-Allow-Origin": "*"})


async def _params(request: Request) -> dict[str, Any]:
    if request.method == "GET":
        return dict(request.query_params)
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise InvalidParameter(f"the request body is over {MAX_BODY} bytes")
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise InvalidParameter("the body is not JSON") from None
    if not isinstance(data, dict):
        raise InvalidParameter("the body must be a JSON object")
    return data


@public.api_route("/api/3/action/{action}", methods=["GET", "POST"])
@public.api_route("/api/action/{action}", methods=["GET", "POST"])
async def action(request: Request, action: str) -> JSONResponse:
    if action not in ACTIONS:
        error = {"message": f"Action name not known: {action[:60]}", "__type": "Bad request"}
        return _answer(request, action, 400, error=error)
    try:
        return _answer(request, action, 200, ACTIONS[action](await _params(request)))
    except NotFound:
        return _answer(request, action, 404, error={"message": "Not found", "__type": "Not Found Error"})
    except InvalidParameter as exc:
        return _answer(request, action, 409, error={"__type": "Validation Error", exc.field: [exc.why]})


@public.get("/files/{code}/{name}")
def download(code: str, name: str) -> Response:
    with session() as s:
        found = catalogue.dataset(s, code)
    wanted = next((f for f in found.files if f["name"] == name), None) if found else None
    if wanted is None:
        return JSONResponse(
            {"error": "not found", "fix": "see package_show for the files of a dataset"}, status_code=404
        )
    path = files.dataset(store(), code) / found.version / name
    if not path.exists():  # replaced by a newer version since the registry was read
        return JSONResponse(
            {"error": "not found", "fix": "read package_show again: a newer version was published"}, status_code=404
        )

    def chunks():
        with path.open("rb") as f:
            while block := f.read(1 << 16):
                yield block

    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "Content-Length": str(wanted["bytes"]),
        "ETag": f'"{wanted["sha256"]}"',
    }
    return StreamingResponse(chunks(), media_type=wanted["media_type"], headers=headers)


@public.get("/catalog.ttl")
def catalog_turtle() -> Response:
    with session() as s:
        return Response(dcat.graph(s).serialize(format="turtle"), media_type="text/turtle; charset=utf-8")


@public.get("/catalog.jsonld")
def catalog_jsonld() -> Response:
    with session() as s:
        return Response(dcat.graph(s).serialize(format="json-ld"), media_type="application/ld+json")


def _roots(request: Request) -> dict[str, str]:
    here = render.root(request)
    return {"root": here.removesuffix("/open") + "/ui", "open_root": here}


@public.get("/", response_class=HTMLResponse)
def listing(request: Request, q: str = "") -> HTMLResponse:
    with session() as s:
        found = ckan.search(catalogue.datasets(s), q[:MAX_QUERY], None, None)
    return render.page("open_list.html", viewer=None, datasets=found, q=q[:MAX_QUERY], **_roots(request))


@public.get("/datasets/{code}", response_class=HTMLResponse)
def dataset_page(request: Request, code: str) -> HTMLResponse:
    with session() as s:
        found = catalogue.dataset(s, code)
    if found is None:
        return render.page("open_missing.html", 404, viewer=None, code=code, **_roots(request))
    return render.page(
        "open_dataset.html", viewer=None, d=found, licence=settings.setting("open_data_licence"), **_roots(request)
    )
