"""Check characters of Chinese government identifiers, from their national standards.

- Citizen ID number (GB 11643-1999): 6-digit division code (where the person was born, so a
  code since abolished is fine: only its province is checked), 8-digit birth date (from
  1800-01-01, ``BORN_AFTER``, up to today), 3-digit sequence (odd for men, even for women),
  ISO 7064 MOD 11-2 check character.
- Administrative division code (GB/T 2260): six digits, the first two a province, and a code
  in use (the list in govshare/quality/gb2260, govshare.quality.reference).
- Unified social credit code (GB 32100-2015): registration authority, organisation type,
  6-digit division code of the registering authority (its form and province: the authority
  may since have been merged away; 100000 for the central government's), 9-character
  organisation code (GB 11714, with its own check character), and a MOD 31 check character
  over an alphabet without I, O, Z, S, V.

Digits are ASCII digits only (a full-width ``１`` is not a digit here, as it is not in SQL).
"""

from __future__ import annotations

import re
from datetime import date

from govshare import clock
from govshare.quality.reference import divisions

# GB/T 2260 province-level codes: the first two digits of every division code.
PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# The earliest birth date accepted: anything before is a typing error, not a living person's.
BORN_AFTER = date(1800, 1, 1)
_ID_CHECK = "10X98765432"

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# The registering authority's division in a USCC when it is a central government body.
NATIONAL_REGION = "100000"


def citizen_id_check(first17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def is_citizen_id(value: str, today: date | None = None) -> bool:
    """18 ASCII characters, a real province, a real birth date from BORN_AFTER up to ``today``
    (default: the platform's clock), and the right check character."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{17}[0-9X]", value) or value[:2] not in PROVINCES:
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    if not BORN_AFTER <= born <= (today or clock.today()):
        return False
    return citizen_id_check(value[:17]) == value[17]


def is_division_code(value: str, province: str = "") -> bool:
    """A GB/T 2260 code in use (govshare.quality.reference), under ``province`` if given."""
    return has_division_code_form(value, province) and value in divisions().codes


def has_division_code_form(value: str, province: str = "") -> bool:
    """A GB/T 2260 code's form: six ASCII digits under a real province (and ``province``, if
    given). The SQL function is_division_code checks this much; the rule adds the list."""
    return (
        isinstance(value, str)
        and re.fullmatch(r"[0-9]{6}", value) is not None  # [0-9], not \d: \d takes any script's digits
        and value[:2] in PROVINCES
        and (not province or value[:2] == province)
    )


def citizen_id(region: str, born: date, sequence: int) -> str:
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + citizen_id_check(first17)


def organisation_code_check(first8: str) -> str:
    total = sum(int(c, 36) * w for c, w in zip(first8, ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def uscc_check(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_uscc(value: str) -> bool:
    """18 characters of the USCC alphabet; positions 3-8 a division code's form (or the
    central government's 100000); positions 9-17 an organisation code whose own GB 11714
    check character holds; and the code's MOD 31 check character."""
    if not isinstance(value, str) or len(value) != 18 or any(c not in USCC_ALPHABET for c in value):
        return False
    region, organisation = value[2:8], value[8:17]
    if not (has_division_code_form(region) or region == NATIONAL_REGION):
        return False
    return organisation_code_check(organisation[:8]) == organisation[8] and uscc_check(value[:17]) == value[17]


def uscc(region: str, organisation_body: str, authority: str = "9", kind: str = "1") -> str:
    """A code for an enterprise (9 = market regulation, 1 = enterprise) in ``region``."""
    organisation = organisation_body + organisation_code_check(organisation_body)
    first17 = f"{authority}{kind}{region}{organisation}"
    return first17 + uscc_check(first17)
