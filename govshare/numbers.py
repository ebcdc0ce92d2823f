"""How every page, report and email writes a share: rounded down, so a delivery with one bad
value in 25,002 reads 99.99 %, never 100 % (which would say nothing failed)."""

from __future__ import annotations

import math


def percent(value: float | None, decimals: int = 2) -> str:
    if value is None:
        return "—"
    scale = 10**decimals
    return f"{math.floor(value * scale + 1e-9) / scale:.{decimals}f}%"
