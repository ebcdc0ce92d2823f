"""Masking personal items before data leaves the platform (article 15; personal information).

An agreement may name a mask for each item; personal items it does not name get their
category's default, so nothing personal passes unmasked unless the agreement says ``none``:

======================  ==========================================  =====================
mask                    what the subscriber receives                 default for
======================  ==========================================  =====================
``keep:F,L``            first F and last L characters, ``*`` between  id_number ``keep:6,4``,
                                                                     phone ``keep:3,4``,
                                                                     bank_account ``keep:0,4``
``name``                the first character, ``*`` for the rest      name
``truncate:N``          the first N characters                       address ``truncate:10``
``hmac``                HMAC-SHA256 pseudonym, 64 hex characters     email, other
``none``                the raw value (the agreement must say so)
======================  ==========================================  =====================

``keep``, ``name`` and ``truncate`` are SQL expressions in the provider's own query, so the raw
value never leaves the provider's database (a value too short to keep anything is masked
whole). ``hmac`` is computed by the platform with a secret key that must never reach the
provider's query logs; the key is the password of the Airflow connection
``govshare_pseudonym_key`` (or the secrets backend behind it), and each subscriber gets its own
derived key: a subscriber can join its deliveries with each other, but two subscribers cannot
link theirs.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from psycopg import sql
from pydantic import SecretBytes

from govshare.catalog.types import CatalogType
from govshare.errors import MaskError

DEFAULTS = {
    "id_number": "keep:6,4",
    "phone": "keep:3,4",
    "bank_account": "keep:0,4",
    "name": "name",
    "address": "truncate:10",
    "email": "hmac",
    "other": "hmac",
}
TEXT_TYPES = ("text", "varchar", "char")
PSEUDONYM_TYPE = CatalogType("char", 64)
_SPEC = re.compile(r"^(none|name|hmac|keep:(\d{1,3}),(\d{1,3})|truncate:(\d{1,4}))$")


@dataclass(frozen=True)
class Mask:
    kind: str  # none, keep, name, truncate, hmac
    first: int = 0
    last: int = 0

    @classmethod
    def parse(cls, spec: str) -> Mask:
        match = _SPEC.match(spec.strip())
        if not match:
            raise MaskError(f"unknown mask {spec!r}: use none, name, hmac, keep:F,L or truncate:N")
        if match.group(2) is not None:
            return cls("keep", int(match.group(2)), int(match.group(3)))
        if match.group(4) is not None:
            return cls("truncate", int(match.group(4)))
        return cls(match.group(1))

    def __str__(self) -> str:
        return {"keep": f"keep:{self.first},{self.last}", "truncate": f"truncate:{self.first}"}.get(
            self.kind, self.kind
        )

    def check_type(self, type_: CatalogType) -> None:
        if self.kind in ("keep", "name", "truncate") and type_.name not in TEXT_TYPES:
            raise MaskError(f"mask {self} works on text items, not {type_}; use hmac to pseudonymise it")

    def output_type(self, type_: CatalogType) -> CatalogType:
        return PSEUDONYM_TYPE if self.kind == "hmac" else type_

    @property
    def in_sql(self) -> bool:
        return self.kind in ("keep", "name", "truncate")


def effective(personal: str, declared: str | None, is_key: bool = False) -> Mask:
    """The mask an item gets: what the agreement declared, else its category's default — for
    a key item, a pseudonym, since a partly masked key would no longer tell records apart."""
    if declared is not None:
        return Mask.parse(declared)
    default = Mask.parse(DEFAULTS.get(personal, "none"))
    return Mask("hmac") if is_key and default.in_sql else default


def sql_expression(column: sql.Composable, mask: Mask, dialect: str) -> sql.Composable:
    """The masking expression in the provider's SQL (PostgreSQL and MySQL spell these alike).
    The numbers come from a parsed mask, never from free text."""
    length = sql.SQL("CHAR_LENGTH({})").format(column)
    stars = sql.SQL("REPEAT('*', {})")
    if mask.kind == "truncate":
        return sql.SQL("LEFT({}, {})").format(column, sql.Literal(mask.first))
    keep_first, keep_last = (1, 0) if mask.kind == "name" else (mask.first, mask.last)
    kept = keep_first + keep_last
    concat = "CONCAT({}, {}, {})"  # CONCAT works in both dialects (|| does not in MySQL)
    return sql.SQL(
        "CASE WHEN {col} IS NULL THEN NULL WHEN {len} <= {kept} THEN {all_stars} ELSE " + concat + " END"
    ).format(
        sql.SQL("LEFT({}, {})").format(column, sql.Literal(keep_first)),
        stars.format(sql.SQL("{} - {}").format(length, sql.Literal(kept))),
        sql.SQL("RIGHT({}, {})").format(column, sql.Literal(keep_last)) if keep_last else sql.Literal(""),
        col=column,
        len=length,
        kept=sql.Literal(kept),
        all_stars=stars.format(length),
    )


def subscriber_key(master_key: SecretBytes, subscriber_code: str) -> bytes:
    """Each subscriber's own pseudonym key, derived from the platform's master key (which is
    only revealed here, so no log line or traceback of the layers above can show it)."""
    message = f"govshare-pseudonym:{subscriber_code}".encode()
    return hmac.new(master_key.get_secret_value(), message, hashlib.sha256).digest()


def pseudonym(key: bytes, value: object) -> str | None:
    if value is None:
        return None
    text = value.rstrip() if isinstance(value, str) else str(value)  # char(n) pads with spaces
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def apply(mask: Mask, value: object) -> str:
    """The mask in Python, for showing values in reports (the same result as the SQL masks;
    an already-pseudonymised value is shortened, it means nothing to a reader anyway)."""
    text = value.rstrip() if isinstance(value, str) else str(value)
    if mask.kind == "truncate":
        return text[: mask.first]
    if mask.kind == "hmac":
        return text[:8] + "…" if len(text) == 64 else "(pseudonym)"
    first, last = (1, 0) if mask.kind == "name" else (mask.first, mask.last)
    if len(text) <= first + last:
        return "*" * len(text)
    return text[:first] + "*" * (len(text) - first - last) + (text[-last:] if last else "")
