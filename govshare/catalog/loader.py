"""Reading catalogue YAML files, keeping the line of every value for error messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from govshare.catalog.problems import Problem, location


@dataclass
class Document:
    """One YAML file: its data, and the line each (nested) key or list entry starts on."""

    path: Path
    data: Any
    lines: dict[tuple, int] = field(default_factory=dict)

    def line_of(self, loc: tuple) -> int | None:
        # A missing field has no line of its own: point at the closest enclosing value.
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]]
        return None

    def problem(self, loc: tuple, message: str, hint: str) -> Problem:
        return Problem(self.path, location(loc), self.line_of(loc), message, hint)


def yaml_files(path: Path) -> list[Path]:
    """The catalogue files under ``path`` (a folder or one file), sorted for stable output."""
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def load(path: Path) -> tuple[Document | None, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(path, "", None, f"cannot read the file: {exc}", "save it as UTF-8 text")]
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        reason = getattr(exc, "problem", None) or str(exc)
        return None, [Problem(path, "", line, f"not valid YAML: {reason}", "fix the YAML syntax at that line")]
    document = Document(path, data if data is not None else {})
    problems: list[Problem] = []
    if root is not None:
        _index(root, (), document, problems)
    return document, problems


def _index(node: yaml.Node, loc: tuple, document: Document, problems: list[Problem]) -> None:
    document.lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                # safe_load would silently keep the last one; a catalogue must not be ambiguous.
                problems.append(
                    document.problem(loc + (key,), f"key '{key}' appears twice", "keep one of the two entries")
                )
            seen.add(key)
            _index(value_node, loc + (key,), document, problems)
            # The key's line, not the value's: a nested mapping starts on the line below.
            document.lines[loc + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index(item, loc + (index,), document, problems)
