"""The official lists domain rules check values against, shipped in the package
(nothing is downloaded when a check runs).

- The GB/T 2260 division codes in use (govshare/quality/gb2260, its SOURCE.md says where
  from): the ``division_code`` rule accepts only these. The subscriber's database gets a copy
  (govshare.quality.domain installs it) so the check still reads the staged table once.

Read once per process, on first use: a worker that never checks a division code never reads it.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from govshare.errors import ConfigurationError

# What the shipped list is: the date its codes were in use, and who published it. Change
# these with the file (gb2260/SOURCE.md beside this module says how).
AS_OF = "2024-12-31"
SOURCE = "民政部《2024年中华人民共和国县以上行政区划代码》 Ministry of Civil Affairs"
_FIX = "reinstall govshare: the list is part of its package (govshare/quality/gb2260)"


@dataclass(frozen=True)
class DivisionList:
    """The division codes in use: ``rows`` as (code, name); ``version`` names this edition in a
    subscriber's database (the date and the file's checksum: a changed file is a new version)."""

    rows: tuple[tuple[str, str], ...]
    codes: frozenset[str]
    version: str


def divisions_file() -> Path:
    # Shipped in the package, not read from the settings: the engine reads no configuration,
    # and the list is part of the release, as the standards the rules implement are.
    return Path(__file__).resolve().parent / "gb2260" / "division_codes.csv"


@cache
def divisions() -> DivisionList:
    """The shipped list (ConfigurationError, naming the file and the fix, if it is missing or malformed)."""
    path = divisions_file()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigurationError(f"the GB/T 2260 division code list {path} is missing", _FIX) from None
    lines = list(csv.reader(data.decode("utf-8").splitlines()))
    rows = tuple((code, name) for code, name in lines[1:])
    wrong = next((code for code, _ in rows if not re.fullmatch(r"[0-9]{6}", code)), None)
    if lines[:1] != [["code", "name"]] or wrong is not None or len({c for c, _ in rows}) != len(rows):
        problem = f"code {wrong!r} is not six digits" if wrong else "it needs a code,name header and unique codes"
        raise ConfigurationError(f"the GB/T 2260 division code list {path} is malformed: {problem}", _FIX)
    return DivisionList(rows, frozenset(code for code, _ in rows), f"{AS_OF} sha256:{hashlib.sha256(data).hexdigest()}")


def division_basis() -> str:
    """What a division code is checked against, as the quality report says it."""
    return f"GB/T 2260 codes in use on {AS_OF} ({SOURCE}; govshare/quality/gb2260)"
