"""A catalogue problem: where it is, what is wrong, how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    file: Path
    location: str  # e.g. "resources[0].items[2].type"
    line: int | None
    message: str
    hint: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        at = f" {self.location}:" if self.location else ""
        return f"{where}:{at} {self.message}\n    fix: {self.hint}"


def location(loc: tuple) -> str:
    """("resources", 0, "items", 2, "type") -> "resources[0].items[2].type"."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
