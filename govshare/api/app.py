"""The agencies' REST API: browse the catalogue, request data, answer requests, read their
agreements. Served by Airflow's api-server under ``/govshare`` (see plugins/govshare_plugin.py).

Airflow does not authenticate plugin apps, so every data endpoint here requires an agency's
API token (``Authorization: Bearer gs_…``) itself. What the token's agency may do is decided by
govshare.lifecycle, exactly as for the CLI: deny by default, refusals audited. The schema
(``/govshare/openapi.json``, also in docs/api/openapi.json) carries no data and is public.
"""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, Path, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import select
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from govshare import corrections
from govshare.catalog.model import CONN_ID, SAFE_NAME
from govshare.errors import GovshareError, IllegalTransition, NotAllowed, NotFound, RequestRefused
from govshare.identity import Actor, NotAuthenticated, authenticate
from govshare.lifecycle import service
from govshare.lifecycle.machine import Status
from govshare.registry import agreements, quality
from govshare.registry import models as m
from govshare.registry.db import session

app = FastAPI(
    title="govshare",
    version="1.0",
    summary="Government information resource sharing: requests, reviews, coordination, filings.",
    description=__doc__,
)
_bearer = HTTPBearer(auto_error=False, description="An agency API token issued by `govshare token create`.")

_STATUS = {NotAuthenticated: 401, NotAllowed: 403, NotFound: 404, IllegalTransition: 409, RequestRefused: 422}


@app.exception_handler(GovshareError)
def _refused(request: Request, exc: GovshareError) -> JSONResponse:
    status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 400)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": exc.message, "fix": exc.hint}, status_code=status, headers=headers)


@app.exception_handler(RequestValidationError)
def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    # The same shape as every other refusal, so agencies handle one kind of error body.
    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
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
    return JSONResponse({"error": str(exc.detail), "fix": fix}, status_code=exc.status_code, headers=headers)


def current_actor(credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]) -> Actor:
    with session() as s:
        return authenticate(s, credentials.credentials if credentials else None)


Caller = Annotated[Actor, Depends(current_actor)]


def _no_nul(value: str) -> str:
    if "\x00" in value:  # PostgreSQL text cannot hold NUL; say so instead of failing inside the DB
        raise ValueError("text must not contain NUL characters")
    return value


Text = Annotated[str, AfterValidator(_no_nul), Field(min_length=1, max_length=2000)]
Scalar = Annotated[str, AfterValidator(_no_nul), Field(max_length=200)] | Annotated[int, Field(ge=-(2**62), le=2**62)]
Name = Annotated[str, Field(pattern=SAFE_NAME.pattern)]
ConnId = Annotated[str, Field(pattern=CONN_ID.pattern)]
Code = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]


class Error(BaseModel):
    error: str
    fix: str


class Me(BaseModel):
    agency: str
    name: str
    kind: str
    level: str
    region_code: str


class ItemOut(BaseModel):
    name: str
    title: str
    type: str
    personal: str


class ResourceOut(BaseModel):
    code: str
    name: str
    provider: str
    share_type: str
    share_condition: str
    update_cycle: str
    items: list[ItemOut]


class Step(BaseModel):
    at: str
    action: str
    from_status: str
    to_status: str
    actor: str
    reason: str


class Vote(BaseModel):
    department: str
    role: str
    approve: bool
    reason: str
    legal_basis: str


class FilterIn(BaseModel):
    """One condition of a row filter (see govshare.exchange.filters)."""

    model_config = ConfigDict(extra="forbid")
    item: Name
    op: Literal["eq", "ne", "in", "prefix", "gte", "lte", "between"]
    value: Scalar | list[Scalar]


class AgreementOut(BaseModel):
    code: str
    status: Status
    subscriber: str
    provider: str
    resource: str
    items: list[str]
    purpose: str
    legal_basis: str
    schedule: str
    start_date: date
    end_date: date | None
    target_conn_id: str
    target_schema: str
    target_table: str
    delivery_mode: str
    watermark: str | None
    overlap: int
    deletions: str
    empty_source_ok: bool
    row_filter: list[dict]
    masking: dict[str, str]
    due_date: date | None
    filing_number: str | None
    condition_statement: str | None
    history: list[Step]
    votes: list[Vote]


class AgreementIn(BaseModel):
    """A request for data, made by the calling agency for itself."""

    model_config = ConfigDict(extra="forbid")

    resource: Name
    items: list[Name] = Field(min_length=1, max_length=500)
    purpose: Text
    legal_basis: Text
    schedule: Text = "@daily"
    target_conn_id: ConnId
    target_schema: Name = "public"
    target_table: Name
    start_date: date | None = None
    end_date: date | None = None
    delivery_mode: Literal["snapshot", "incremental"] = "snapshot"
    watermark: Name | None = None
    overlap: Annotated[int, Field(ge=0, le=10**9)] | None = None
    deletions: Literal["none", "key_diff"] = "none"
    empty_source_ok: bool = False
    row_filter: list[FilterIn] = Field(default_factory=list, max_length=20)
    masking: dict[Name, Annotated[str, Field(pattern=r"^(none|name|hmac|keep:\d{1,3},\d{1,3}|truncate:\d{1,4})$")]] = (
        Field(default_factory=dict)
    )
    submit: bool = True


class Review(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agree: bool
    statement: Text


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool
    reason: Text
    legal_basis: Annotated[str, AfterValidator(_no_nul), Field(max_length=2000)] = ""


class FilingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: Text | None = None


REFUSALS = {status: {"model": Error} for status in (400, 401, 403, 404, 409, 422)}


def _out(s, agreement: m.Agreement) -> AgreementOut:
    resource = s.get(m.Resource, agreement.resource_code)
    return AgreementOut(
        code=agreement.code,
        status=agreement.status,
        subscriber=agreement.subscriber_code,
        provider=resource.provider_code if resource else "",
        resource=agreement.resource_code,
        items=list(agreement.items),
        purpose=agreement.purpose,
        legal_basis=agreement.legal_basis,
        schedule=agreement.schedule,
        start_date=agreement.start_date,
        end_date=agreement.end_date,
        target_conn_id=agreement.target_conn_id,
        target_schema=agreement.target_schema,
        target_table=agreement.target_table,
        delivery_mode=agreement.delivery_mode,
        watermark=agreement.watermark_column,
        overlap=agreement.watermark_overlap,
        deletions=agreement.deletions,
        empty_source_ok=agreement.empty_source_ok,
        row_filter=list(agreement.row_filter),
        masking=dict(agreement.masking),
        due_date=agreement.due_date,
        filing_number=agreement.filing_number,
        condition_statement=agreement.condition_statement,
        history=[
            Step(
                at=t.at.isoformat(),
                action=t.action,
                from_status=t.from_status,
                to_status=t.to_status,
                actor=t.actor,
                reason=t.reason,
            )
            for t in service.history(s, agreement.code)
        ],
        votes=[
            Vote(
                department=v.department_code, role=v.role, approve=v.approve, reason=v.reason, legal_basis=v.legal_basis
            )
            for v in service.votes(s, agreement.code)
        ],
    )


def _act(actor: Actor, action: str, code: str, do) -> AgreementOut:
    """One lifecycle action in one transaction (refusals audited), answered with the agreement."""
    return service.act(actor, action, f"agreement:{code}", lambda s: _out(s, do(s)))


@app.get("/me", response_model=Me, responses=REFUSALS, tags=["identity"])
def me(actor: Caller) -> Me:
    """The agency the token belongs to."""
    with session() as s:
        agency = s.get(m.Agency, actor.name)
        return Me(
            agency=agency.code, name=agency.name, kind=agency.kind, level=agency.level, region_code=agency.region_code
        )


@app.get("/resources", response_model=list[ResourceOut], responses=REFUSALS, tags=["catalogue"])
def resources(actor: Caller) -> list[ResourceOut]:
    """The filed catalogue's resources, with their items, to choose what to request."""
    with session() as s:
        return [
            ResourceOut(
                code=r.code,
                name=r.name,
                provider=r.provider_code,
                share_type=r.share_type,
                share_condition=r.share_condition,
                update_cycle=r.update_cycle,
                items=[ItemOut(name=i.name, title=i.title, type=i.type, personal=i.personal) for i in r.items],
            )
            for r in s.scalars(select(m.Resource).order_by(m.Resource.code))
        ]


@app.get("/agreements", response_model=list[AgreementOut], responses=REFUSALS, tags=["agreements"])
def list_agreements(actor: Caller, status: Annotated[Status | None, Query()] = None) -> list[AgreementOut]:
    """The agreements the calling agency takes part in (as subscriber, provider or overseer)."""
    with session() as s:
        return [_out(s, a) for a in service.visible(s, actor, status.value if status else None)]


@app.get("/agreements/{code}", response_model=AgreementOut, responses=REFUSALS, tags=["agreements"])
def get_agreement(code: Code, actor: Caller) -> AgreementOut:
    """One agreement with its history; 404 for agreements the agency takes no part in."""
    return service.act(actor, "read", f"agreement:{code}", lambda s: _out(s, service.read(s, actor, code)))


@app.post("/agreements", response_model=AgreementOut, status_code=201, responses=REFUSALS, tags=["agreements"])
def request_data(body: AgreementIn, actor: Caller) -> AgreementOut:
    """Request data for the calling agency; submitted at once unless ``submit`` is false."""
    wanted = agreements.AgreementRequest(subscriber=actor.name, **body.model_dump(exclude={"submit"}))
    return service.act(
        actor,
        "submit" if body.submit else "draft",
        f"agency:{actor.name}",
        lambda s: _out(s, service.request(s, actor, wanted, and_submit=body.submit)),
    )


@app.post("/agreements/{code}/submit", response_model=AgreementOut, responses=REFUSALS, tags=["workflow"])
def submit(code: Code, actor: Caller) -> AgreementOut:
    """Send a draft to the provider."""
    return _act(actor, "submit", code, lambda s: service.submit(s, actor, code))


@app.post("/agreements/{code}/review", response_model=AgreementOut, responses=REFUSALS, tags=["workflow"])
def review(code: Code, body: Review, actor: Caller) -> AgreementOut:
    """The provider agrees (stating how the condition is met) or refuses (with reasons)."""
    return _act(actor, "review", code, lambda s: service.review(s, actor, code, body.agree, body.statement))


@app.post("/agreements/{code}/escalate", response_model=AgreementOut, responses=REFUSALS, tags=["workflow"])
def escalate(code: Code, body: Reason, actor: Caller) -> AgreementOut:
    """Take a refused request to coordination by the competent department."""
    return _act(actor, "escalate", code, lambda s: service.escalate(s, actor, code, body.reason))


@app.post("/agreements/{code}/coordinate", response_model=AgreementOut, responses=REFUSALS, tags=["workflow"])
def coordinate(code: Code, body: Reason, actor: Caller) -> AgreementOut:
    """The competent department settles a coordination: the data is to be shared."""
    return _act(actor, "coordinate", code, lambda s: service.coordinate(s, actor, code, body.reason))


@app.post("/agreements/{code}/refer", response_model=AgreementOut, responses=REFUSALS, tags=["workflow"])
def refer(code: Code, body: Reason, actor: Caller) -> AgreementOut:
    """The competent department refers a coordination to a joint decision."""
    return _act(actor, "refer", code, lambda s: service.refer(s, actor, code, body.reason))


@app.post("/agreements/{code}/decide", response_model=AgreementOut, responses=REFUSALS, tags=["workflow"])
def decide(code: Code, body: Decision, actor: Caller) -> AgreementOut:
    """A department's vote in a joint decision."""
    return _act(
        actor, "decide", code, lambda s: service.decide(s, actor, code, body.approve, body.reason, body.legal_basis)
    )


@app.post("/agreements/{code}/file", response_model=AgreementOut, responses=REFUSALS, tags=["workflow"])
def file(code: Code, body: FilingIn, actor: Caller) -> AgreementOut:
    """The competent department files an agreed or approved agreement."""
    return _act(actor, "file", code, lambda s: service.file(s, actor, code, body.number))


@app.post("/agreements/{code}/activate", response_model=AgreementOut, responses=REFUSALS, tags=["workflow"])
def activate(code: Code, actor: Caller) -> AgreementOut:
    """The platform (resource centre) authorises access: deliveries start."""
    return _act(actor, "activate", code, lambda s: service.activate(s, actor, code))


@app.post("/agreements/{code}/suspend", response_model=AgreementOut, responses=REFUSALS, tags=["workflow"])
def suspend(code: Code, body: Reason, actor: Caller) -> AgreementOut:
    """Pause deliveries."""
    return _act(actor, "suspend", code, lambda s: service.suspend(s, actor, code, body.reason))


@app.post("/agreements/{code}/resume", response_model=AgreementOut, responses=REFUSALS, tags=["workflow"])
def resume(code: Code, body: Reason, actor: Caller) -> AgreementOut:
    """Resume a suspended agreement that still fits the catalogue."""
    return _act(actor, "resume", code, lambda s: service.resume(s, actor, code, body.reason))


@app.post("/agreements/{code}/revoke", response_model=AgreementOut, responses=REFUSALS, tags=["workflow"])
def revoke(code: Code, body: Reason, actor: Caller) -> AgreementOut:
    """End an agreement for good."""
    return _act(actor, "revoke", code, lambda s: service.revoke(s, actor, code, body.reason))


# --- corrections and quality reports ------------------------------------------------------


class CorrectionIn(BaseModel):
    """A doubt about one delivered value, filed by the subscriber."""

    model_config = ConfigDict(extra="forbid")
    agreement: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
    key: dict[Name, Annotated[str, AfterValidator(_no_nul), Field(max_length=200)]] = Field(min_length=1, max_length=10)
    item: Name
    problem: Text
    evidence: Text


class CorrectionStepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, AfterValidator(_no_nul), Field(max_length=2000)] = ""


class CorrectionOut(BaseModel):
    code: str
    agreement: str
    resource: str
    key: dict[str, str]
    item: str
    authority: str
    provider: str
    subscriber: str
    problem: str
    evidence: str
    status: str
    due_date: date | None
    history: list[Step]


def _correction_out(s, c) -> CorrectionOut:
    return CorrectionOut(
        code=c.code,
        agreement=c.agreement_code,
        resource=c.resource_code,
        key=c.record_key,
        item=c.item,
        authority=c.authority_code,
        provider=c.provider_code,
        subscriber=c.subscriber_code,
        problem=c.problem,
        evidence=c.evidence,
        status=c.status,
        due_date=c.due_date,
        history=[
            Step(
                at=t.at.isoformat(),
                action=t.action,
                from_status=t.from_status,
                to_status=t.to_status,
                actor=t.actor,
                reason=t.reason,
            )
            for t in corrections.steps(s, c.code)
        ],
    )


@app.get("/corrections", response_model=list[CorrectionOut], responses=REFUSALS, tags=["corrections"])
def list_corrections(actor: Caller) -> list[CorrectionOut]:
    """Corrections the agency takes part in: filed by it, routed to it, or about its data."""
    with session() as s:
        return [_correction_out(s, c) for c in corrections.visible(s, actor)]


@app.get("/corrections/{code}", response_model=CorrectionOut, responses=REFUSALS, tags=["corrections"])
def get_correction(code: Code, actor: Caller) -> CorrectionOut:
    return service.act(
        actor, "correction.read", f"correction:{code}", lambda s: _correction_out(s, corrections.read(s, actor, code))
    )


@app.post("/corrections", response_model=CorrectionOut, status_code=201, responses=REFUSALS, tags=["corrections"])
def file_correction(body: CorrectionIn, actor: Caller) -> CorrectionOut:
    """File a correction; it is routed to the authoritative source of the item's data element."""
    return service.act(
        actor,
        "correction.file",
        f"agreement:{body.agreement}",
        lambda s: _correction_out(
            s, corrections.file(s, actor, body.agreement, body.key, body.item, body.problem, body.evidence)
        ),
    )


@app.post("/corrections/{code}/{action}", response_model=CorrectionOut, responses=REFUSALS, tags=["corrections"])
def correction_step(
    code: Code,
    action: Literal["accept", "reject", "fixed", "confirm", "dispute", "resolve"],
    body: CorrectionStepIn,
    actor: Caller,
) -> CorrectionOut:
    """accept / reject / fixed (the authoritative source), confirm / dispute (the subscriber),
    resolve (the competent department)."""
    return service.act(
        actor,
        f"correction.{action}",
        f"correction:{code}",
        lambda s: _correction_out(s, corrections.act(s, actor, code, action, body.reason)),
    )


async def reader(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]
) -> Actor:
    """An agency by its token, or an Airflow user by the Airflow UI's session cookie (an
    operator: they follow report links from the UI)."""
    if credentials is not None:
        return current_actor(credentials)
    cookie = request.cookies.get("_token")
    if cookie:
        try:
            from airflow.api_fastapi.app import get_auth_manager

            user = await get_auth_manager().get_user_from_token(cookie)
            return Actor.operator(f"airflow:{user.get_name()}")
        except Exception:  # no auth manager here, or a bad or expired session
            pass
    return current_actor(None)


@app.get(
    "/reports",
    response_class=HTMLResponse,
    responses={**REFUSALS, 200: {"content": {"text/html": {}}, "description": "Links to quality reports"}},
    tags=["quality"],
)
def quality_reports(actor: Annotated[Actor, Depends(reader)]) -> str:
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
        f"<p>{escape(str(actor))}</p><table><tr><th>delivery</th><th>agreement</th><th>filed</th><th>scores</th></tr>"
        f"{rows}</table></body></html>"
    )


@app.get(
    "/reports/{delivery_id}",
    response_class=HTMLResponse,
    responses={**REFUSALS, 200: {"content": {"text/html": {}}, "description": "The quality report"}},
    tags=["quality"],
)
def quality_report(delivery_id: Annotated[int, Path(ge=1, le=2**62)], actor: Annotated[Actor, Depends(reader)]) -> str:
    """A delivery's quality report, for the agreement's parties and for operators."""

    def fetch(s):
        report = quality.get(s, delivery_id)
        service.read(s, actor, report.agreement_code)
        return report.html

    return service.act(actor, "report.read", f"delivery:{delivery_id}", fetch)


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
