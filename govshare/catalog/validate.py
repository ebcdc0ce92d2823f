"""Validating a catalogue: every problem at once, each with its file, place and fix.

Two passes. The first checks each file's shape against ``govshare.catalog.model``; the second
checks what only the whole catalogue can tell: duplicate codes, unknown agencies and elements,
one data one source (一数一源), types that disagree, keys that are not items.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ValidationError

from govshare.catalog import national
from govshare.catalog.loader import Document, load, yaml_files
from govshare.catalog.model import NAME_RULE, Agency, Catalog, CatalogFile, Element, Item, Resource
from govshare.catalog.problems import Problem
from govshare.catalog.types import SPELLINGS, CatalogType
from govshare.errors import CatalogInvalid, UnknownType


def validate(path: Path) -> tuple[Catalog | None, list[Problem]]:
    """Validate the catalogue at ``path`` (a folder of YAML files, or one file)."""
    files = yaml_files(path)
    if not files:
        return None, [Problem(path, "", None, "no catalogue files found", "point at a folder of .yaml files")]
    problems: list[Problem] = []
    parsed: list[tuple[Document, CatalogFile]] = []
    broken: set[str] = set()
    for file in files:
        document, load_problems = load(file)
        problems += load_problems
        if document is None:
            continue
        content, broken_codes, shape_problems = _parse(document)
        problems += shape_problems
        broken |= broken_codes
        parsed.append((document, content))
    catalog, cross_problems = _cross_check(parsed, broken)
    problems += cross_problems
    problems.sort(key=lambda p: (str(p.file), p.line or 0))
    return (catalog if not problems else None), problems


def load_catalog(path: Path) -> Catalog:
    """The validated catalogue, or CatalogInvalid carrying every problem."""
    catalog, problems = validate(path)
    if problems or catalog is None:
        raise CatalogInvalid(problems)
    return catalog


# --- pass 1: the shape of each file ---------------------------------------------------------


_SECTIONS = {"agencies": Agency, "elements": Element, "resources": Resource}


def _parse(document: Document) -> tuple[CatalogFile, set[str], list[Problem]]:
    """The valid entries of one file, the codes of its invalid ones, and their problems.

    Entries are validated one by one so a mistake in one resource does not hide the rest of
    the file, and the codes of broken entries are remembered so references to them are not
    reported a second time as unknown.
    """
    problems: list[Problem] = []
    broken: set[str] = set()
    valid: dict[str, list] = {name: [] for name in _SECTIONS}
    data = document.data
    if not isinstance(data, dict):
        hint = "start the file with `agencies:`, `elements:` or `resources:`"
        return CatalogFile(), broken, [document.problem((), "the file is not a mapping", hint)]
    for key, entries in data.items():
        model = _SECTIONS.get(key)
        if model is None:
            hint = f"the top-level keys are {', '.join(_SECTIONS)}"
            problems.append(document.problem((key,), f"unknown section '{key}'", hint))
            continue
        if not isinstance(entries, list):
            problems.append(document.problem((key,), f"'{key}' must be a list", "write each entry as `- code: ...`"))
            continue
        for index, entry in enumerate(entries):
            try:
                valid[key].append(model.model_validate(entry))
            except ValidationError as exc:
                problems += [_shape_problem(document, (key, index), model, e) for e in exc.errors()]
                if isinstance(entry, dict) and isinstance(entry.get("code"), str):
                    broken.add(entry["code"])
    return CatalogFile(**valid), broken, problems


def _shape_problem(document: Document, at: tuple, model: type[BaseModel], error: dict) -> Problem:
    loc = at + tuple(error["loc"])
    kind = error["type"]
    field = loc[-1] if loc else ""
    if kind == "missing":
        return document.problem(loc, f"required field '{field}' is missing", f"add `{field}:` here")
    if kind == "extra_forbidden":
        allowed = ", ".join(_fields_at(model, tuple(error["loc"])[:-1]))
        return document.problem(
            loc, f"unknown field '{field}'", f"remove it or correct its spelling; allowed fields: {allowed}"
        )
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return document.problem(loc, f"{error['input']!r} is not allowed here", f"use one of {expected}")
    if kind == "reserved_schema":
        return document.problem(loc, error["msg"], "deliver into a schema of the agency's own, such as public")
    if kind == "unsafe_name":
        return document.problem(loc, f"{error['input']!r} is not a safe SQL name or code", NAME_RULE)
    if kind == "string_pattern_mismatch" and field == "region_code":
        return document.problem(
            loc,
            f"{error['input']!r} is not a region code",
            'write the six-digit GB/T 2260 code in quotes, e.g. "130000"',
        )
    if kind == "string_pattern_mismatch" and field in _PATTERN_HINTS:
        return document.problem(loc, f"{error['input']!r} is not {_PATTERN_HINTS[field][0]}", _PATTERN_HINTS[field][1])
    if kind == "string_type":
        return document.problem(
            loc, f"expected text, found {error['input']!r}", "quote the value so YAML reads it as text"
        )
    return document.problem(loc, error["msg"], "correct the value")


_PATTERN_HINTS = {
    "credit_code": (
        "a unified social credit code",
        "write the agency's 18-character unified social credit code (GB 32100)",
    ),
    "national_code": (
        "a resource code in the national form",
        "write the classification digits, /, and a five-digit number, e.g. 101/00001",
    ),
    "public": ("a public release", "write publish, omit, name, keep:F,L or truncate:N"),
}


def _fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """The field names accepted at ``loc`` inside an entry of ``model``."""
    for part in loc:
        if isinstance(part, int):
            continue
        field = next((f for n, f in model.model_fields.items() if (f.alias or n) == part), None)
        if field is None:
            return []
        inner = _model_in(field.annotation)
        if inner is None:
            return []
        model = inner
    return [f.alias or n for n, f in model.model_fields.items()]


def _model_in(annotation) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        if (found := _model_in(arg)) is not None:
            return found
    return None


# --- pass 2: the catalogue as a whole -------------------------------------------------------


@dataclass
class _Seen:
    document: Document
    loc: tuple

    def where(self) -> str:
        return f"{self.document.path}:{self.document.line_of(self.loc)}"


def _cross_check(parsed: list[tuple[Document, CatalogFile]], broken: set[str]) -> tuple[Catalog, list[Problem]]:
    found = _collect(parsed)
    problems = found.problems + _references(parsed, found, broken)
    return Catalog(agencies=found.agencies, elements=found.elements, resources=found.resources), problems


@dataclass
class _Found:
    """Every agency, element and resource of the catalogue's files, each code defined once."""

    agencies: dict[str, Agency] = field(default_factory=dict)
    elements: dict[str, Element] = field(default_factory=dict)
    resources: dict[str, Resource] = field(default_factory=dict)
    seen: dict[tuple[str, str], _Seen] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def register(self, kind: str, code: str, document: Document, loc: tuple) -> bool:
        first = self.seen.get((kind, code))
        if first is not None:
            self.problems.append(
                document.problem(
                    loc + ("code",),
                    f"{kind} code '{code}' is already defined at {first.where()}",
                    f"give this {kind} its own code, or remove one of the two",
                )
            )
            return False
        self.seen[(kind, code)] = _Seen(document, loc)
        return True

    def add_element(self, element: Element, document: Document, i: int) -> None:
        first = self.seen.get(("element", element.code))
        if first is not None and self.elements[element.code].authority != element.authority:
            self.problems.append(
                document.problem(
                    ("elements", i, "authority"),
                    f"element '{element.code}' is claimed as authoritative by '{element.authority}' here and by "
                    f"'{self.elements[element.code].authority}' at {first.where()}: one data, one source (一数一源)",
                    "keep the element with its one authoritative agency; the other agency's items declare "
                    "`copy_of:` that agency",
                )
            )
        elif self.register("element", element.code, document, ("elements", i)):
            self.elements[element.code] = element


def _collect(parsed: list[tuple[Document, CatalogFile]]) -> _Found:
    found = _Found()
    for document, content in parsed:
        for i, agency in enumerate(content.agencies):
            if found.register("agency", agency.code, document, ("agencies", i)):
                found.agencies[agency.code] = agency
        for i, element in enumerate(content.elements):
            found.add_element(element, document, i)
        for i, resource in enumerate(content.resources):
            if found.register("resource", resource.code, document, ("resources", i)):
                found.resources[resource.code] = resource
    return found


def _references(parsed: list[tuple[Document, CatalogFile]], found: _Found, broken: set[str]) -> list[Problem]:
    """What each entry refers to exists: agencies, the region, databases, types, elements."""
    problems: list[Problem] = []
    agencies = found.agencies

    def known_agency(code: str | None, document: Document, loc: tuple) -> bool:
        if code is None or code in agencies:
            return True
        if code not in broken:  # a broken entry was reported already
            problems.append(
                document.problem(
                    loc,
                    f"unknown agency '{code}'",
                    "use the code of an agency defined in the catalogue"
                    + (f" ({', '.join(sorted(agencies))})" if agencies else ""),
                )
            )
        return False

    front_dbs = {r.front_db.conn_id: r.code for r in found.resources.values()}
    flawed = _flawed_elements(found, broken)
    for document, content in parsed:
        for i, agency in enumerate(content.agencies):
            known_agency(agency.parent, document, ("agencies", i, "parent"))
            problems += _agency_region_problems(agency, document, ("agencies", i))
            problems += _database_problems(agency, front_dbs, found.seen, document, ("agencies", i))
        for i, element in enumerate(content.elements):
            known_agency(element.authority, document, ("elements", i, "authority"))
            problems += _type_problems(element.type, document, ("elements", i, "type"))
        for i, resource in enumerate(content.resources):
            loc = ("resources", i)
            if known_agency(resource.provider, document, loc + ("provider",)):
                problems += _resource_problems(resource, _Elements(found.elements, flawed), broken, document, loc)
                problems += national.problems(
                    resource,
                    agencies.get(resource.provider),
                    found.resources,
                    lambda at, what, fix, loc=loc, document=document: document.problem(loc + at, what, fix),
                    broken=frozenset(broken),
                )
    return problems


@dataclass(frozen=True)
class _Elements:
    """The catalogue's elements, and for each one with a problem of its own (an unknown type or
    agency), where that problem is reported. An item of such an element points there instead of
    being told to copy the element's bad value: that would spread a typo."""

    known: dict[str, Element]
    flawed: dict[tuple[str, str], str]  # (element code, field) -> "see the problem …"

    def flaw(self, code: str, field: str) -> str | None:
        return self.flawed.get((code, field))


def _flawed_elements(found: _Found, broken: set[str]) -> dict[tuple[str, str], str]:
    flawed: dict[tuple[str, str], str] = {}
    for code, element in found.elements.items():
        seen = found.seen[("element", code)]
        if _normalised(element.type) is None:
            where = f"{seen.document.path}:{seen.document.line_of(seen.loc + ('type',))}"
            flawed[(code, "type")] = f"see the problem with the type of element '{code}' at {where}"
        if element.authority in broken:  # the agency's entry is broken: its own problem says why
            flawed[(code, "authority")] = f"see the problem with the entry of agency '{element.authority}'"
        elif element.authority not in found.agencies:
            where = f"{seen.document.path}:{seen.document.line_of(seen.loc + ('authority',))}"
            flawed[(code, "authority")] = f"see the problem with the authority of element '{code}' at {where}"
    return flawed


def _agency_region_problems(agency: Agency, document: Document, loc: tuple) -> list[Problem]:
    expected = {"province": ("0000", "a province code ends in 0000"), "city": ("00", "a city code ends in 00")}
    if agency.level in expected and not agency.region_code.endswith(expected[agency.level][0]):
        return [
            document.problem(
                loc + ("region_code",),
                f"region code {agency.region_code} does not fit level '{agency.level}': {expected[agency.level][1]}",
                "correct the level or the region code",
            )
        ]
    return []


def _database_problems(
    agency: Agency, front_dbs: dict[str, str], seen: dict, document: Document, loc: tuple
) -> list[Problem]:
    """A database belongs to one agency, and is a place deliveries arrive, not a front DB."""
    problems = []
    if agency.databases and agency.kind != "department":
        problems.append(
            document.problem(
                loc + ("databases",),
                f"agency '{agency.code}' is a {agency.kind}: only departments (政务部门) receive deliveries",
                "remove `databases:` from this agency",
            )
        )
    for j, database in enumerate(agency.databases):
        at = loc + ("databases", j, "conn_id")
        first = seen.setdefault(("database", database.conn_id), _Seen(document, at))
        if first.loc != at or first.document is not document:
            problems.append(
                document.problem(
                    at,
                    f"database '{database.conn_id}' is already declared at {first.where()}",
                    "a database belongs to one agency: declare it once, under the agency that owns it",
                )
            )
        if database.conn_id in front_dbs:
            problems.append(
                document.problem(
                    at,
                    f"'{database.conn_id}' is the front DB of resource '{front_dbs[database.conn_id]}'",
                    "deliveries go to a database of the subscriber's own, never into a provider's front DB",
                )
            )
    return problems


def _type_problems(text: str, document: Document, loc: tuple) -> list[Problem]:
    try:
        CatalogType.parse(text)
    except UnknownType as exc:
        return [document.problem(loc, str(exc), f"use one of {', '.join(SPELLINGS)}")]
    return []


def _resource_problems(
    resource: Resource,
    elements: _Elements,
    broken: set[str],
    document: Document,
    loc: tuple,
) -> list[Problem]:
    names: dict[str, int] = {}  # each item name's first position
    for j, item in enumerate(resource.items):
        names.setdefault(item.name, j)
    return [
        *_share_problems(resource, document, loc),
        *_items_problems(resource, elements, broken, document, loc),
        *_update_column_problems(resource, document, loc),
        *_primary_key_problems(resource, names, document, loc),
    ]


def _share_problems(resource: Resource, document: Document, loc: tuple) -> list[Problem]:
    problems: list[Problem] = []
    if resource.share_type in ("conditional", "not_shared") and not resource.share_condition.strip():
        what = "the condition a requester must meet" if resource.share_type == "conditional" else "the legal ground"
        problems.append(
            document.problem(
                loc + ("share_type",),
                f"a {resource.share_type} resource needs `share_condition`",
                f"add `share_condition:` stating {what}",
            )
        )
    if resource.share_type == "unconditional" and resource.share_condition.strip():
        problems.append(
            document.problem(
                loc + ("share_condition",),
                "an unconditional resource carries no condition",
                "remove `share_condition`, or make the resource conditional",
            )
        )
    return problems


def _items_problems(
    resource: Resource, elements: _Elements, broken: set[str], document: Document, loc: tuple
) -> list[Problem]:
    problems: list[Problem] = []
    names: dict[str, int] = {}
    for j, item in enumerate(resource.items):
        item_loc = loc + ("items", j)
        if item.name in names:
            problems.append(
                document.problem(
                    item_loc + ("name",),
                    f"item '{item.name}' appears twice in resource '{resource.code}'",
                    "give each item its own column name",
                )
            )
        names.setdefault(item.name, j)
        problems += _type_problems(item.type, document, item_loc + ("type",))
        problems += _item_element_problems(resource, item, elements, broken, document, item_loc)
    return problems


def _update_column_problems(resource: Resource, document: Document, loc: tuple) -> list[Problem]:
    if resource.update_column is None:
        return []
    item = resource.item(resource.update_column)
    kind = _normalised(item.type) if item is not None else None
    if item is not None and kind is None:  # the item's own type problem is the one to fix
        where = f"{document.path}:{document.line_of(loc + ('items', resource.items.index(item), 'type'))}"
        message = f"update_column '{item.name}' cannot be checked: the item's type {item.type!r} is itself unknown"
        hint = f"see the problem with the type of item '{item.name}' at {where}"
    elif kind is None or kind.name not in ("timestamp", "timestamptz", "date"):
        message = f"update_column '{resource.update_column}' is not a timestamp or date item of the resource"
        hint = "name the item that records when a row last changed, or leave update_column out"
    else:
        return []
    return [document.problem(loc + ("update_column",), message, hint)]


def _primary_key_problems(resource: Resource, names: dict[str, int], document: Document, loc: tuple) -> list[Problem]:
    problems: list[Problem] = []
    for k, key in enumerate(resource.primary_key):
        key_loc = loc + ("primary_key", k)
        if key not in names:
            problems.append(
                document.problem(
                    key_loc, f"primary key column '{key}' is not an item of the resource", "list it under `items:`"
                )
            )
        elif resource.items[names[key]].nullable:
            problems.append(
                document.problem(
                    loc + ("items", names[key], "nullable"),
                    f"primary key item '{key}' is nullable",
                    "set `nullable: false` on it",
                )
            )
    return problems


def _item_element_problems(
    resource: Resource, item: Item, elements: _Elements, broken: set[str], document: Document, loc: tuple
) -> list[Problem]:
    if item.element in broken:
        return []
    if item.element is None:
        if item.copy_of is not None:
            return [
                document.problem(
                    loc + ("copy_of",),
                    f"item '{item.name}' declares copy_of but carries no element",
                    "add `element:` naming the element it copies",
                )
            ]
        return []
    element = elements.known.get(item.element)
    if element is None:
        return [
            document.problem(
                loc + ("element",),
                f"unknown data element '{item.element}'",
                "register the element under `elements:` with its authoritative agency, or correct the code",
            )
        ]
    return _item_type_problems(item, element, elements, document, loc) + _authority_problems(
        resource, item, element, elements.flaw(element.code, "authority"), document, loc
    )


def _item_type_problems(item: Item, element: Element, elements: _Elements, document: Document, loc: tuple) -> list:
    if _normalised(item.type) is None:  # reported with the item's own type
        return []
    flaw = elements.flaw(element.code, "type")
    if flaw is not None:
        return [
            document.problem(
                loc + ("type",),
                f"item '{item.name}' cannot be checked against element '{element.code}': "
                f"the element's type {element.type!r} is itself unknown",
                f"{flaw}; once it is corrected, give this item the element's type",
            )
        ]
    if _normalised(item.type) != _normalised(element.type):
        return [
            document.problem(
                loc + ("type",),
                f"item '{item.name}' is {item.type} but element '{element.code}' is {element.type}",
                f"use type {element.type} for this item",
            )
        ]
    return []


def _authority_problems(
    resource: Resource, item: Item, element: Element, flaw: str | None, document: Document, loc: tuple
) -> list[Problem]:
    """One data, one source (一数一源): an item of another agency's element says it is a copy.
    ``flaw``: where the element's own authority is reported unknown, if it is."""
    problems: list[Problem] = []
    if flaw is not None and item.copy_of != element.authority:
        field = "element" if item.copy_of is None else "copy_of"
        problems.append(
            document.problem(
                loc + (field,),
                f"item '{item.name}' cannot be checked for one data, one source (一数一源): element "
                f"'{element.code}' names '{element.authority}', which is not an agency of the catalogue, "
                "as its authoritative source",
                f"{flaw}; once it is corrected, this item declares `copy_of:` that agency unless the provider "
                "is the authoritative source",
            )
        )
    elif element.authority == resource.provider:
        if item.copy_of is not None:
            problems.append(
                document.problem(
                    loc + ("copy_of",),
                    f"'{resource.provider}' is itself the authoritative source of '{element.code}'",
                    "remove `copy_of`",
                )
            )
    elif item.copy_of is None:
        problems.append(
            document.problem(
                loc + ("element",),
                f"item '{item.name}' carries element '{element.code}', whose authoritative source is "
                f"'{element.authority}', not the provider '{resource.provider}' (一数一源)",
                f"declare `copy_of: {element.authority}` if this column is a copy of that agency's data",
            )
        )
    elif item.copy_of != element.authority:
        problems.append(
            document.problem(
                loc + ("copy_of",),
                f"item '{item.name}' says it copies '{item.copy_of}', but the authoritative source of "
                f"'{element.code}' is '{element.authority}'",
                f"write `copy_of: {element.authority}`",
            )
        )
    return problems


def _normalised(text: str) -> CatalogType | None:
    try:
        return CatalogType.parse(text)
    except UnknownType:
        return None
