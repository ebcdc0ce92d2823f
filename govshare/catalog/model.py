"""The catalogue's shape: agencies, the data-element register, resources and their items.

A catalogue file may hold any of the three top-level lists; one file per agency (its own
entry, the elements it is the authoritative source of, and the resources it provides) is the
convention in ``include/catalog``. Field meanings follow the national guideline for
government information resource catalogues (政务信息资源目录编制指南).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

# GB 32100: registration department and type, six-digit division code, nine-character
# organisation code, check character (the characters I, O, Z, S, V are never used).
CREDIT_CODE = r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$"
# 信息资源代码 of the national guideline: the classification part (类 one digit: 1 base, 2 theme,
# 3 department; then 项, 目, 细目 of two or three digits), "/", the five-digit sequence number.
NATIONAL_CODE = r"^[123]\d{2,8}/\d{5}$"
# What the public receives of an item of an open resource: ``publish`` it as it is, ``omit`` it,
# or one of the masks computed in the provider's query (govshare.exchange.masking spells them
# the same way; a pseudonym is no mask for the public: anyone could link it across files).
PUBLIC = r"^(publish|omit|name|keep:\d{1,3},\d{1,3}|truncate:\d{1,4})$"
SAFE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
CONN_ID = re.compile(r"^[A-Za-z0-9_.-]{1,250}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NAME_RULE = "use lowercase letters, digits and underscores, starting with a letter, at most 63 characters"


def _safe_name(value: str) -> str:
    if not SAFE_NAME.match(value):
        raise PydanticCustomError("unsafe_name", "{value} is not a safe name", {"value": repr(value)})
    return value


def _conn_id(value: str) -> str:
    if not CONN_ID.match(value):
        raise PydanticCustomError("bad_conn_id", "{value} is not a valid Airflow connection id", {"value": repr(value)})
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise PydanticCustomError("bad_email", "{value} is not an email address", {"value": repr(value)})
    return value


# Codes and SQL names share one rule: lowercase ASCII, digits and underscores, starting with a
# letter, at most 63 characters (PostgreSQL's identifier limit). Quoting alone would make odd
# names work, but case-folding surprises and injection attempts are refused at the door.
SafeName = Annotated[str, AfterValidator(_safe_name)]
ConnId = Annotated[str, AfterValidator(_conn_id)]
Email = Annotated[str, AfterValidator(_email)]

AgencyKind = Literal[
    "department",  # 政务部门: provides and subscribes
    "competent_department",  # 信息共享主管部门: files agreements, coordinates
    "staffing_department",  # 编制部门: joins decisions on disputed requests
    "secrecy_department",  # 保密部门: joins decisions on disputed requests
    "resource_centre",  # 信息资源管理中心: operates the platform
]
Level = Literal["province", "city", "county"]
ShareType = Literal["unconditional", "conditional", "not_shared"]  # 无条件 / 有条件 / 不予共享
OpenType = Literal["open", "conditional_open", "not_open"]  # 向社会开放
Classification = Literal["base", "theme", "department"]  # 基础 / 主题 / 部门 信息资源
UpdateCycle = Literal["realtime", "hourly", "daily", "weekly", "monthly", "quarterly", "yearly"]
# The national catalogue's resource formats (资源格式) and share methods (共享方式).
ResourceFormat = Literal["database", "spreadsheet", "document", "image", "stream", "self_describing", "other"]
ShareMethod = Literal["database", "interface", "file"]  # 库表 / 接口 / 文件
# How old the newest row may be under each declared update cycle (article 10).
CYCLE_HOURS = {
    "realtime": 1,
    "hourly": 1,
    "daily": 24,
    "weekly": 168,
    "monthly": 744,
    "quarterly": 2208,
    "yearly": 8784,
}
PersonalCategory = Literal["none", "id_number", "name", "phone", "address", "email", "bank_account", "other"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Contact(_Strict):
    """Who receives quality and monitoring emails for an agency."""

    name: str
    email: Email


# Schemas a delivery may never write into: the platform's own (its staging area, ledger and
# watermarks live in ``govshare_staging`` of each subscriber database; the registry in
# ``govshare``) and PostgreSQL's catalogues.
RESERVED_SCHEMA = re.compile(r"^(govshare.*|pg_.*|information_schema)$")


def _own_schema(value: str) -> str:
    if RESERVED_SCHEMA.match(value):
        raise PydanticCustomError(
            "reserved_schema", "schema {value} is reserved for the platform or PostgreSQL", {"value": repr(value)}
        )
    return value


class Database(_Strict):
    """A database of the agency's own that deliveries to it may write into (its 接收库).

    conn_id: the Airflow connection id of the database (declared by one agency only).
    schemas: the schemas agreements may deliver into (default ``public``); never ``govshare*``,
        ``pg_*`` or ``information_schema``.
    """

    conn_id: ConnId
    schemas: Annotated[list[Annotated[SafeName, AfterValidator(_own_schema)]], Field(min_length=1)] = ["public"]


class Agency(_Strict):
    """A body taking part in sharing.

    code: stable identifier used everywhere (DAG tags, registry, CLI).
    name: official Chinese name.
    kind: department, competent_department, staffing_department, secrecy_department or resource_centre.
    level: province, city or county (articles 8-9: one platform per level).
    region_code: GB/T 2260 six-digit division code of the region it serves.
    credit_code: its unified social credit code (统一社会信用代码, 18 characters): the provider's
        code in the national catalogue; required of an agency providing an open resource.
    parent: code of the agency one level up, for city and county bodies.
    contacts: at least one named contact with an email address.
    quality_alerts: email the contacts at once when a delivery they take part in breaks a
        quality rule (default true).
    quality_digest: ``weekly`` (default) or ``off``: a weekly summary of their deliveries'
        quality, open corrections and overdue ones.
    databases: the agency's own databases deliveries may write into; an agreement's target
        must be one of its subscriber's (deny by default: an agency with none receives nothing).
    """

    code: SafeName
    name: str
    kind: AgencyKind
    level: Level
    region_code: Annotated[str, Field(pattern=r"^\d{6}$")]
    credit_code: Annotated[str, Field(pattern=CREDIT_CODE)] | None = None
    parent: SafeName | None = None
    contacts: Annotated[list[Contact], Field(min_length=1)]
    quality_alerts: bool = True
    quality_digest: Literal["weekly", "off"] = "weekly"
    databases: list[Database] = []

    def database(self, conn_id: str) -> Database | None:
        return next((d for d in self.databases if d.conn_id == conn_id), None)


class Element(_Strict):
    """A data element of the register (数据元) and its ONE authoritative source (一数一源).

    code: identifier of the element; items refer to it.
    name: Chinese name.
    type: catalogue type every item carrying the element must have.
    authority: code of the agency that is the authoritative source.
    """

    code: SafeName
    name: str
    type: str
    authority: SafeName


class Item(_Strict):
    """A column of a resource (信息项).

    name: column name in the provider's front-DB table.
    title: Chinese name shown to requesters.
    element: data-element code, when the item carries a registered element.
    copy_of: when the element's authoritative source is another agency, that agency's code:
        the provider declares its column a copy, so subscribers know where the truth lives.
    type: catalogue type (see govshare.catalog.types).
    nullable: whether the column may be empty; non-nullable items are checked on every delivery.
    personal: personal-data category (none, id_number, name, phone, address, email,
        bank_account, other); deliveries mask these where the agreement says so.
    public: for an open resource, what the public receives: ``publish``, ``omit``, or a mask
        (``keep:F,L``, ``name``, ``truncate:N``); a personal item must say ``omit`` or a mask.
    """

    name: SafeName
    title: str
    element: SafeName | None = None
    copy_of: SafeName | None = None
    type: str
    nullable: bool = True
    personal: PersonalCategory = "none"
    description: str = ""
    public: Annotated[str, Field(pattern=PUBLIC)] | None = None

    @property
    def published_as(self) -> str:
        """What an open resource's publication does with the item (personal ones: omitted unless
        the catalogue names a mask; validation asks for the choice to be written)."""
        return self.public or ("omit" if self.personal != "none" else "publish")


class FrontTable(_Strict):
    """Where the resource lives in the provider's front-end exchange database (前置交换库).

    conn_id: Airflow connection id holding the credentials (never the credentials themselves).
    schema: schema of the table.
    table: table name.
    """

    conn_id: ConnId
    schema_: SafeName = Field(alias="schema")
    table: SafeName


class Resource(_Strict):
    """A government information resource (政务信息资源) in the catalogue.

    code: identifier; agreements and DAGs refer to it.
    name: Chinese name.
    provider: code of the providing agency.
    classification: base, theme or department resource.
    share_type: unconditional, conditional or not_shared (article 12).
    share_condition: for conditional, the condition; for not_shared, the legal ground.
    open_type: open, conditional_open or not_open to the public (article 19).
    update_cycle: how often the provider refreshes the front-DB table (article 10).
    front_db: where the table is.
    primary_key: item names identifying a record; deliveries are keyed by it.
    update_column: the item recording when a row last changed (a timestamp or date); with it
        the platform checks that the front DB keeps up with the update cycle (article 10).
    items: the columns, in order.
    description: the abstract (摘要) of the national catalogue.
    national_code: the resource code in the national form (信息资源代码), e.g. ``101/00001``;
        its first digit agrees with the classification.
    format: the resource format (资源格式): database, spreadsheet, document, image, stream,
        self_describing or other.
    share_method: how subscribers receive it (共享方式): database, interface or file.
    open_condition: for conditional_open, the condition the public must meet.
    released_on: the date the resource was first released (发布日期).
    related: codes of related resources (关联资源).
    keywords: words the public catalogue is searched by.
    """

    code: SafeName
    name: str
    provider: SafeName
    classification: Classification
    share_type: ShareType
    share_condition: str = ""
    open_type: OpenType
    update_cycle: UpdateCycle
    front_db: FrontTable
    primary_key: Annotated[list[SafeName], Field(min_length=1)]
    update_column: SafeName | None = None
    items: Annotated[list[Item], Field(min_length=1)]
    description: str = ""
    national_code: Annotated[str, Field(pattern=NATIONAL_CODE)] | None = None
    format: ResourceFormat = "database"
    share_method: ShareMethod = "database"
    open_condition: str = ""
    released_on: date | None = None
    related: list[SafeName] = []
    keywords: list[str] = []

    def item(self, name: str) -> Item | None:
        return next((i for i in self.items if i.name == name), None)


class CatalogFile(_Strict):
    agencies: list[Agency] = []
    elements: list[Element] = []
    resources: list[Resource] = []


class Catalog(_Strict):
    """The whole catalogue after validation, keyed by code."""

    agencies: dict[str, Agency]
    elements: dict[str, Element]
    resources: dict[str, Resource]

    def checksum(self) -> str:
        """A fingerprint of the content: identical catalogues give identical filings."""
        canonical = json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()
