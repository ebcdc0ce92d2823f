"""What the API accepts and answers: request and response bodies, and the checks on their fields."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

from govshare.catalog.model import SAFE_NAME
from govshare.registry.agreements import canonical
from govshare.registry.statuses import AgreementStatus
from govshare.registry.terms import AgreementTerms, FreeText, no_nul

Text = Annotated[FreeText, Field(min_length=1)]
Name = Annotated[str, Field(pattern=SAFE_NAME.pattern)]
# An agreement or correction code, as recorded whatever its case (agr-0001 is AGR-0001).
Code = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_.-]+$"), AfterValidator(canonical)]


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


def _terms_fields(*left_out: str) -> dict:
    return {name: (f.annotation, f) for name, f in AgreementTerms.model_fields.items() if name not in left_out}


class AgreementOut(AgreementTerms):
    """An agreement: its terms, and where it stands in the workflow."""

    code: str
    status: AgreementStatus
    provider_code: str
    due_date: date | None
    due_provisional: bool = Field(
        description="The due date was counted through a year with no official holiday calendar yet: it may move."
    )
    filing_number: str | None
    condition_statement: str | None
    history: list[Step]
    votes: list[Vote]


# A request for data is the terms without the subscriber: the calling agency asks for itself.
AgreementIn = create_model(
    "AgreementIn",
    __config__=ConfigDict(extra="forbid"),
    __doc__="A request for data, made by the calling agency for itself.",
    **_terms_fields("subscriber_code"),
    submit=(bool, Field(True, description="Submit it to the provider at once (else: a draft).")),
)


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
    legal_basis: FreeText = ""


class FilingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: Text | None = None


REFUSALS = {status: {"model": Error} for status in (401, 403, 404, 409, 422)}


class CorrectionIn(BaseModel):
    """A doubt about one delivered value, filed by the subscriber."""

    model_config = ConfigDict(extra="forbid")
    agreement: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$"), AfterValidator(canonical)]
    key: dict[Name, Annotated[str, AfterValidator(no_nul), Field(max_length=200)]] = Field(min_length=1, max_length=10)
    item: Name
    problem: Text
    evidence: Text
    delivery: int | None = Field(
        None, ge=1, le=2**63 - 1, description="The delivery the record came in (its id), if known."
    )


class CorrectionStepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: FreeText = ""


# Read from the registry's record (govshare.registry.models.Correction): a field has the record's
# name, as an agreement's do, or names the record's as its validation_alias.
class CorrectionOut(BaseModel):
    """A correction: the value doubted, the agency that must answer (the item's authoritative
    source), the agreement's parties, and where it stands."""

    code: str
    agreement: str = Field(validation_alias="agreement_code")
    delivery: int | None = Field(validation_alias="delivery_id", description="The delivery the record came in.")
    resource_code: str
    key: dict[str, str] = Field(validation_alias="record_key")
    item: str
    authority: str = Field(validation_alias="authority_code")
    provider_code: str
    subscriber_code: str
    problem: str
    evidence: str
    status: str
    due_date: date | None
    due_provisional: bool = Field(description="As an agreement's: the due date may move.")
    history: list[Step]
