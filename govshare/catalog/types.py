"""The column types a catalogue may use, and how each looks in PostgreSQL and MySQL.

A small closed set keeps the catalogue portable across front-DB dialects and makes schema
drift detectable: every catalogue type has exactly one spelling per dialect — the one
PostgreSQL's ``format_type()`` or MySQL's ``information_schema.COLUMNS.COLUMN_TYPE`` reports
(after ``normalise_mysql``) — so the preflight can compare strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from govshare.errors import UnknownType

# name -> (number of parameters allowed, PostgreSQL spelling as format_type() prints it)
_SIMPLE = {
    "text": "text",
    "smallint": "smallint",
    "integer": "integer",
    "bigint": "bigint",
    "double": "double precision",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp without time zone",
    "timestamptz": "timestamp with time zone",
}
_SIZED = {"varchar": "character varying", "char": "character"}
_MYSQL = {
    "text": "text",
    "smallint": "smallint",
    "integer": "int",
    "bigint": "bigint",
    "double": "double",
    "boolean": "tinyint(1)",
    "date": "date",
    "timestamp": "datetime",
    "timestamptz": "timestamp",
}

_PATTERN = re.compile(r"^\s*([a-z]+)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$")

SPELLINGS = sorted([*_SIMPLE, "varchar(n)", "char(n)", "numeric(p,s)"])


@dataclass(frozen=True)
class CatalogType:
    """A parsed catalogue type such as ``char(18)`` or ``numeric(18,2)``."""

    name: str
    size: int | None = None
    scale: int | None = None

    @classmethod
    def parse(cls, text: str) -> CatalogType:
        match = _PATTERN.match(str(text).lower())
        if not match:
            raise UnknownType(f"unknown type {text!r}")
        name, size, scale = match.group(1), match.group(2), match.group(3)
        if name in _SIMPLE and size is None:
            return cls(name)
        if name in _SIZED and size is not None and scale is None and int(size) > 0:
            return cls(name, int(size))
        if name == "numeric" and (size is None or 0 < int(size) <= 1000):
            if scale is not None and int(scale) > int(size):
                raise UnknownType(f"numeric scale {scale} is larger than its precision {size}")
            return cls(name, int(size) if size else None, int(scale) if scale is not None else None)
        raise UnknownType(f"unknown type {text!r}")

    def __str__(self) -> str:
        if self.size is None:
            return self.name
        if self.scale is None:
            return f"{self.name}({self.size})"
        return f"{self.name}({self.size},{self.scale})"

    def postgres(self) -> str:
        """The type as PostgreSQL's ``format_type()`` spells it; also valid DDL."""
        if self.name in _SIMPLE:
            return _SIMPLE[self.name]
        base = _SIZED.get(self.name, self.name)
        if self.size is None:
            return base
        if self.name == "numeric":
            return f"numeric({self.size},{self.scale or 0})"
        return f"{base}({self.size})"

    def mysql(self) -> str:
        """The type as MySQL/MariaDB's COLUMN_TYPE spells it, after ``normalise_mysql``."""
        if self.name in _MYSQL:
            return _MYSQL[self.name]
        if self.name == "numeric":
            return f"decimal({self.size or 10},{self.scale or 0})"
        return f"{self.name}({self.size})"

    def spelled(self, dialect: str) -> str:
        return self.mysql() if dialect == "mysql" else self.postgres()


def normalise_mysql(column_type: str) -> str:
    """MySQL before 8.0.19 and MariaDB print integer display widths (``bigint(20)``), which
    mean nothing for the values; ``tinyint(1)`` is MySQL's boolean and keeps its width."""
    spelled = column_type.lower().strip()
    spelled = re.sub(r"^(smallint|mediumint|int|bigint)\(\d+\)", r"\1", spelled)
    return re.sub(r"^(tiny|medium|long)text$", "text", spelled)
