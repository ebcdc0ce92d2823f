"""An agreement's terms: what a subscriber asks for, declared once.

The API's request and answer bodies, the request options of `govshare agreement draft|submit`,
the columns of ``models.Agreement`` and the delivery plan are all derived from (or checked
against) ``AgreementTerms``, under the same field names as the engine's ``DeliveryPlan``. This module
checks what can be checked without the catalogue: types, the mask and filter grammars, the
delivery modes; govshare.registry.acceptance checks the rest against the current catalogue.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from govshare.exchange import filters, masking
from govshare.exchange.plan import DELETIONS, MODES
from govshare.registry import models as m


def no_nul(value: str) -> str:
    if "\x00" in value:  # PostgreSQL text cannot hold NUL; say so instead of failing inside the DB
        raise ValueError("text must not contain NUL characters")
    return value


def _mask_grammar(spec: str) -> str:
    masking.Mask.parse(spec)  # a MaskError is a ValueError: pydantic reports it as the field's error
    return spec


# Free text (a purpose, a legal basis): blank text is refused with the article it breaks, later.
FreeText = Annotated[str, AfterValidator(no_nul), Field(max_length=2000)]
# A code or a name; whether it is a catalogued one (and a safe SQL name) is the catalogue's to say.
Word = Annotated[str, AfterValidator(no_nul), Field(max_length=250)]
Scalar = Annotated[str, AfterValidator(no_nul), Field(max_length=200)] | Annotated[int, Field(ge=-(2**62), le=2**62)]
MaskSpec = Annotated[str, AfterValidator(_mask_grammar), Field(description="none, name, hmac, keep:F,L or truncate:N")]


class FilterCondition(BaseModel):
    """One condition of a row filter, in govshare.exchange.filters' grammar."""

    model_config = ConfigDict(extra="forbid")

    item: Word
    op: str = Field(json_schema_extra={"enum": list(filters.OPERATORS)})
    value: Scalar | list[Scalar]

    @model_validator(mode="after")
    def _grammar(self) -> FilterCondition:
        filters.Condition.parse(self.model_dump())  # a FilterError is a ValueError
        return self


class AgreementTerms(BaseModel):
    """What a subscriber asks for (article 15): whose data, which items, for which duty, into
    which table, and how it is delivered."""

    model_config = ConfigDict(extra="forbid")

    subscriber_code: Word = Field(description="The agency that receives the data (a department).")
    resource_code: Word = Field(description="The catalogued resource.")
    items: list[Word] = Field(
        min_length=1, max_length=500, description="The resource's items granted; must include its primary key."
    )
    purpose: FreeText = Field(description="The duty the data serves (用途).")
    legal_basis: FreeText = Field(description="The law or regulation assigning that duty (依据).")
    schedule: FreeText = Field("@daily", description="A preset or five cron fields (Asia/Shanghai).")
    target_conn_id: Word = Field(description="The Airflow connection id of one of the subscriber's databases.")
    target_schema: Word = Field("public", description="The schema the data is delivered into.")
    target_table: Word = Field(description="The table the data is delivered into.")
    mode: Literal[MODES] = Field(
        "snapshot", description="snapshot: a fresh copy each run; incremental: changed rows merged by key."
    )
    start_date: date | None = Field(None, description="The first day of deliveries (default: today).")
    end_date: date | None = Field(None, description="The last day of deliveries (default: open-ended).")
    watermark: Word | None = Field(None, description="Incremental: the item whose value grows when a row changes.")
    overlap: int | None = Field(
        None,
        ge=0,
        le=10**9,
        description="Incremental: re-read this far before the last watermark (seconds, days or units; "
        "default 600 s for timestamps, 1 day for dates, 0 for integers).",
    )
    deletions: Literal[DELETIONS] = Field(
        "none", description="Incremental: none, or key_diff (rows gone from the source are deleted)."
    )
    empty_source_ok: bool = Field(False, description="An empty provider table may empty the target.")
    row_filter: list[FilterCondition] = Field(
        default_factory=list,
        max_length=20,
        description=f"The rows granted, all conditions holding ({filters.CONDITION_FORM}).",
    )
    masking: dict[Word, MaskSpec] = Field(
        default_factory=dict,
        description="item → mask; personal items not named get their category's default mask.",
    )

    def conditions(self) -> tuple[filters.Condition, ...]:
        """The row filter as the engine reads it."""
        return filters.parse_all([c.model_dump() for c in self.row_filter])


def terms_of(agreement: m.Agreement) -> AgreementTerms:
    """An agreement's terms as recorded (the columns bear the terms' names)."""
    return AgreementTerms.model_validate({name: getattr(agreement, name) for name in AgreementTerms.model_fields})
