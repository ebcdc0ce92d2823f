"""What changed between two catalogue filings, in words, and which changes break agreements.

A breaking change is one after which an agreement would deliver less or different data than
agreed: the resource withdrawn or moved to another provider, an agreed item removed or
retyped, the key changed, or the share type tightened. Such an agreement is suspended, never
left to deliver quietly (article 11 and the design card's schema contract).
"""

from __future__ import annotations

from typing import Any

SHARE_RANK = {"unconditional": 0, "conditional": 1, "not_shared": 2}
_SECTIONS = (("agencies", "agency"), ("elements", "element"), ("resources", "resource"))


def describe(old: dict | None, new: dict) -> list[str]:
    """Human-readable lines for every difference from ``old`` to ``new`` (catalogue JSON)."""
    if old is None:
        counts = ", ".join(f"{len(new.get(section, {}))} {section}" for section, _ in _SECTIONS)
        return [f"first filing: {counts}"]
    lines: list[str] = []
    for section, noun in _SECTIONS:
        before, after = old.get(section, {}), new.get(section, {})
        for code in sorted(after.keys() - before.keys()):
            lines.append(f"{noun} {code} added")
        for code in sorted(before.keys() - after.keys()):
            lines.append(f"{noun} {code} withdrawn")
        for code in sorted(before.keys() & after.keys()):
            if section == "resources":
                lines += [f"resource {code}: {line}" for line in _resource_changes(before[code], after[code])]
            else:
                lines += [f"{noun} {code}: {line}" for line in _field_changes(before[code], after[code])]
    return lines


def breaking(old: dict | None, new: dict, resource_code: str, items: list[str]) -> list[str]:
    """Why an agreement on ``items`` of ``resource_code`` no longer holds; empty if it does."""
    before = (old or {}).get("resources", {}).get(resource_code)
    after = new.get("resources", {}).get(resource_code)
    if before is None:
        return []  # not in the old catalogue either: nothing this filing changed
    if after is None:
        return [f"resource {resource_code} was withdrawn from the catalogue"]
    reasons = []
    if after["provider"] != before["provider"]:
        reasons.append(f"resource {resource_code} moved from {before['provider']} to {after['provider']}")
    if SHARE_RANK[after["share_type"]] > SHARE_RANK[before["share_type"]]:
        reasons.append(f"share type tightened from {before['share_type']} to {after['share_type']}")
    if after["primary_key"] != before["primary_key"]:
        reasons.append(f"primary key changed from {before['primary_key']} to {after['primary_key']}")
    old_items, new_items = _items(before), _items(after)
    for name in items:
        if name not in new_items:
            reasons.append(f"agreed item {name} was removed")
        elif name in old_items and new_items[name]["type"] != old_items[name]["type"]:
            reasons.append(
                f"agreed item {name} was retyped from {old_items[name]['type']} to {new_items[name]['type']}"
            )
        elif name in old_items and (was := old_items[name].get("personal")) != (now := new_items[name].get("personal")):
            # The category decides the default mask: a changed one would deliver the item masked
            # differently (or raw) without anyone having agreed to it.
            reasons.append(f"agreed item {name}'s personal-data category changed from {was} to {now}")
    return reasons


def _items(resource: dict) -> dict[str, dict]:
    return {item["name"]: item for item in resource["items"]}


def _resource_changes(before: dict, after: dict) -> list[str]:
    lines = _field_changes(
        {k: v for k, v in before.items() if k != "items"}, {k: v for k, v in after.items() if k != "items"}
    )
    old_items, new_items = _items(before), _items(after)
    lines += [f"item {name} added" for name in new_items if name not in old_items]
    lines += [f"item {name} removed" for name in old_items if name not in new_items]
    for name in old_items.keys() & new_items.keys():
        lines += [f"item {name}: {line}" for line in _field_changes(old_items[name], new_items[name])]
    return lines


def _field_changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [
        f"{key} {_show(before.get(key))} → {_show(after.get(key))}"
        for key in sorted(before.keys() | after.keys())
        if before.get(key) != after.get(key)
    ]


def _show(value: Any) -> str:
    return "(none)" if value in (None, "", []) else str(value)
