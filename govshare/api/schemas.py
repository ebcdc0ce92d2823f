"""What the API accepts and answers: request and response bodies, and the checks on their fields."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from govshare.catalog.model import CONN_ID, SAFE_NAME
from govshare.registry.statuses import AgreementStatus


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

    @classmethod
    def of(cls, transition) -> Step:
        """An agreement's or a correction's recorded transition."""
        t = transition
        return cls(
            at=t.at.isoformat(),
            action=t.action,
            from_status=t.from_status,
            to_status=t.to_status,
            actor=t.actor,
            reason=t.reason,
        )


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
    status: AgreementStatus
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
