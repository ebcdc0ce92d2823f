"""The national catalogue's core metadata, and what an open resource may show the public.

Article 19 opens government data to the public "in order and by standard": a resource open to
the public carries the national catalogue's core fields (its code in the national form, the
provider's credit code, an abstract, the release date), is shareable at all, and publishes no
personal item unless the catalogue removes or masks it for the public.
"""

from __future__ import annotations

from collections.abc import Callable

from govshare.catalog.model import Agency, Item, Resource
from govshare.catalog.problems import Problem
from govshare.catalog.types import CatalogType
from govshare.errors import UnknownType

# The first digit of a national resource code is its classification (类).
CLASS_DIGIT = {"base": "1", "theme": "2", "department": "3"}

Report = Callable[[tuple, str, str], Problem]  # (place inside the resource, what is wrong, fix)


def problems(
    resource: Resource,
    provider: Agency | None,
    resources: dict[str, Resource],
    report: Report,
    broken: frozenset[str] = frozenset(),
) -> list[Problem]:
    """The national-metadata and public-release problems of one resource. ``broken``: codes of
    entries whose own problems are reported already (a related resource among them is no problem
    of this one's)."""
    found = [*_code_problems(resource, resources, broken, report), *_open_problems(resource, report)]
    if resource.open_type == "open":
        found += _release_problems(resource, provider, report)
        found += _public_item_problems(resource, report)
    return found


def _code_problems(
    resource: Resource, resources: dict[str, Resource], broken: frozenset[str], report: Report
) -> list[Problem]:
    found: list[Problem] = []
    code = resource.national_code
    if code is not None and code[0] != CLASS_DIGIT[resource.classification]:
        found.append(
            report(
                ("national_code",),
                f"national code {code} starts with {code[0]}, but the resource is a {resource.classification} "
                f"resource (its codes start with {CLASS_DIGIT[resource.classification]})",
                "correct the code's classification part, or the classification",
            )
        )
    twin = next(
        (r.code for r in resources.values() if r.code != resource.code and code and r.national_code == code), None
    )
    if twin is not None:
        found.append(
            report(
                ("national_code",),
                f"national code {code} is also resource '{twin}''s",
                "give each resource its own code",
            )
        )
    for k, related in enumerate(resource.related):
        if related == resource.code or (related not in resources and related not in broken):
            why = "the resource itself" if related == resource.code else "not a resource of the catalogue"
            found.append(
                report(("related", k), f"related resource '{related}' is {why}", "name another resource's code")
            )
    return found


def _open_problems(resource: Resource, report: Report) -> list[Problem]:
    found: list[Problem] = []
    if resource.open_type != "not_open" and resource.share_type == "not_shared":
        found.append(
            report(
                ("open_type",),
                f"resource '{resource.code}' is not shared between agencies but {resource.open_type} to the public",
                "make it not_open, or review its share type",
            )
        )
    if resource.open_type == "open" and resource.share_type == "conditional":
        found.append(
            report(
                ("open_type",),
                f"resource '{resource.code}' is shared between agencies only on a condition "
                "but open to the public without one",
                "make it conditional_open (with its `open_condition`) or not_open, or review its share type",
            )
        )
    if resource.open_type == "conditional_open" and not resource.open_condition.strip():
        found.append(
            report(
                ("open_type",), "a conditional_open resource needs `open_condition`", "add `open_condition:` stating it"
            )
        )
    if resource.open_type != "conditional_open" and resource.open_condition.strip():
        found.append(
            report(
                ("open_condition",),
                f"a {resource.open_type} resource carries no open condition",
                "remove `open_condition`, or make the resource conditional_open",
            )
        )
    return found


def _release_problems(resource: Resource, provider: Agency | None, report: Report) -> list[Problem]:
    """An open resource's entry in the public catalogue needs these fields."""
    found: list[Problem] = []
    needed = {
        "national_code": ("its code in the national form", "e.g. `national_code: 101/00001`"),
        "released_on": ("its release date", "e.g. `released_on: 2026-01-15`"),
        "description": ("an abstract", "add `description:` saying what the data is"),
    }
    for name, (what, fix) in needed.items():
        if not getattr(resource, name):
            found.append(report((), f"open resource '{resource.code}' lacks `{name}` ({what})", f"add it: {fix}"))
    if provider is not None and provider.credit_code is None:
        found.append(
            report(
                ("provider",),
                f"the provider '{provider.code}' of open resource '{resource.code}' has no `credit_code`",
                f"add the agency's unified social credit code as `credit_code:` under agency {provider.code}",
            )
        )
    return found


# The masks a catalogue may name for the public (model.PUBLIC) all work on text.
_TEXT = ("text", "varchar", "char")


def _public_mask_problem(item: Item) -> tuple[str, str] | None:
    """What is wrong with the item's public mask, and the fix; None if it hides something.
    A mask of another type would only fail at publication; a truncation to the item's whole
    length would publish every value as it is."""
    mask = item.published_as
    if mask in ("publish", "omit"):
        return None
    try:
        declared = CatalogType.parse(item.type)
    except UnknownType:
        return None  # the type's own problem is reported, and is the one to fix
    if declared.name not in _TEXT:
        return (
            f"item '{item.name}' is {declared}: the public mask {mask} works on text items only",
            "write `public: omit` (or `publish` if it is not personal)",
        )
    kept = int(mask.split(":")[1]) if mask.startswith("truncate:") else None
    if kept is not None and declared.size is not None and kept >= declared.size:
        return (
            f"item '{item.name}' is {declared}: `public: {mask}` keeps all of it",
            f"keep fewer than {declared.size} characters, or write `public: omit`",
        )
    return None


def _public_item_problems(resource: Resource, report: Report) -> list[Problem]:
    found: list[Problem] = []
    for j, item in enumerate(resource.items):
        if item.personal != "none" and item.public in (None, "publish"):
            found.append(
                report(
                    ("items", j, "public"),
                    f"item '{item.name}' is personal ({item.personal}) in open resource '{resource.code}': "
                    "the public may receive it only removed or masked",
                    "write `public: omit`, or a mask such as `public: name` or `public: keep:3,4`",
                )
            )
        if (wrong := _public_mask_problem(item)) is not None:
            found.append(report(("items", j, "public"), *wrong))
        if item.name in resource.primary_key and item.published_as == "omit":
            found.append(
                report(
                    ("items", j, "public"),
                    f"item '{item.name}' is the primary key of open resource '{resource.code}' but is omitted: "
                    "a publication is keyed and checked by it",
                    "publish the key (masked if it must be), or do not open the resource",
                )
            )
    if all(item.published_as == "omit" for item in resource.items):
        found.append(report(("items",), f"open resource '{resource.code}' publishes no item", "publish at least one"))
    return found
