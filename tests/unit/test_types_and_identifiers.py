"""Catalogue types and the national identifier check characters."""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from datetime import date, timedelta

import pytest
from stdnum.cn import ric
from stdnum.cn import uscc as uscc_module
from stdnum.exceptions import ValidationError

from govshare import clock
from govshare.catalog.types import CatalogType
from govshare.demo.sample_data import HEBEI_DISTRICTS
from govshare.errors import UnknownType
from govshare.quality import domain, identifiers, reference
from govshare.quality.identifiers import (
    BORN_AFTER,
    PROVINCES,
    USCC_ALPHABET,
    citizen_id,
    citizen_id_check,
    has_division_code_form,
    is_citizen_id,
    is_division_code,
    is_uscc,
    organisation_code_check,
    uscc,
    uscc_check,
)
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("text", "postgres"),
    [
        ("char(18)", "character(18)"),
        ("varchar(50)", "character varying(50)"),
        ("numeric(18,2)", "numeric(18,2)"),
        ("numeric(10)", "numeric(10,0)"),
        ("timestamp", "timestamp without time zone"),
        ("timestamptz", "timestamp with time zone"),
        ("BIGINT", "bigint"),
    ],
)
def test_types_spell_as_postgres_reports_them(text, postgres):
    assert CatalogType.parse(text).postgres() == postgres


@pytest.mark.parametrize("text", ["string", "varchar", "char(0)", "numeric(2,5)", "text(5)", "int; drop table x"])
def test_unknown_types_are_refused(text):
    with pytest.raises(UnknownType):
        CatalogType.parse(text)


@pytest.mark.parametrize(
    "number",
    ["11010519491231002X", "440524188001010014"],  # GB 11643-1999's own examples
)
def test_published_citizen_id_samples_are_valid(number):
    assert is_citizen_id(number)


@pytest.mark.parametrize(
    "number",
    ["110105194912310021", "11010519491331002X", "1101051949123100", "11010519491231002x"],
)
def test_wrong_check_char_date_length_or_case_is_invalid(number):
    assert not is_citizen_id(number)


def test_generated_citizen_ids_are_valid():
    assert is_citizen_id(citizen_id("130102", date(1985, 3, 7), 123))


@pytest.mark.parametrize(
    "code",
    ["9144030071526726XG", "91330100799655058B", "91110108551385082Q"],  # published enterprise codes
)
def test_published_unified_social_credit_codes_are_valid(code):
    assert is_uscc(code)


@pytest.mark.parametrize("code", ["9144030071526726XH", "9144030071526726IG", "9144030071526726X"])
def test_wrong_uscc_is_invalid(code):
    assert not is_uscc(code)


def test_generated_uscc_are_valid():
    assert is_uscc(uscc("130102", "12345678"))


# --- against references nobody here wrote (python-stdnum, the MCA's division list) ---------

STDNUM_USCC = ROOT / "tests" / "fixtures" / "stdnum" / "uscc_valid.txt"
# python-stdnum's own valid citizen ID numbers (tests/test_cn_ric.doctest and the module's doctest).
STDNUM_RIC = ["360426199101010071", "44011320141005001X", "412723199010050012", "110102199101010078"]
STDNUM_RIC += ["120110198012010073", "120110199212010072"]
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def stdnum_usccs() -> list[str]:
    return [line for line in STDNUM_USCC.read_text().splitlines() if line and not line.startswith("#")]


def generated_citizen_ids(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """(kind, number): valid numbers born 1900..yesterday in a county python-stdnum knows for
    that year, and variants of each: a wrong check character, a date that does not exist (the
    check character recomputed), one sequence digit changed, two transposed, no such province."""
    counties = sorted(reference.divisions().codes)
    latest = (clock.today() - date(1900, 1, 1)).days
    found: list[tuple[str, str]] = []
    while len(found) < count:
        born = date(1900, 1, 1) + timedelta(days=rng.randrange(latest))
        number = citizen_id(rng.choice(counties), born, rng.randrange(1000))
        try:
            ric.get_birth_place(number)
        except ValidationError:
            continue  # a county set up after that year: stdnum says no, for a reason ours does not check
        except KeyError:
            continue  # python-stdnum 2.2 fails on a code its list holds without a county (330114)
        wrong = rng.choice([c for c in "0123456789X" if c != number[17]])
        bad_date = rng.choice(["1300", "0230", "0431", "0001", "1232"])
        swap = rng.randrange(14, 16)
        found += [
            ("valid", number),
            ("check", number[:17] + wrong),
            ("date", _with_check(number[:10] + bad_date + number[14:17])),
            ("digit", number[:15] + str((int(number[15]) + rng.randrange(1, 10)) % 10) + number[16:]),
            ("swap", number[:swap] + number[swap + 1] + number[swap] + number[swap + 2 :]),
            ("province", "99" + number[2:]),
        ]
    return found


def _with_check(first17: str) -> str:
    return first17 + citizen_id_check(first17)


def generated_usccs(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """(kind, code): valid codes of enterprises and others registered in a current division,
    and variants: a wrong check character, and (the check character recomputed) a wrong
    organisation code check character, a region in no province, a letter for a digit in the region."""
    counties = sorted(reference.divisions().codes)
    found: list[tuple[str, str]] = []
    for _ in range(count):
        body = "".join(rng.choice(USCC_ALPHABET) for _ in range(8))
        code = uscc(rng.choice(counties), body, authority=rng.choice("159"), kind=rng.choice("123"))
        organisation = code[8:17]
        wrong_org = organisation[:8] + rng.choice([c for c in "0123456789X" if c != organisation[8]])
        found += [
            ("valid", code),
            ("check", code[:17] + rng.choice([c for c in USCC_ALPHABET if c != code[17]])),
            ("organisation", _uscc_with_check(code[:8] + wrong_org)),
            ("region", _uscc_with_check(code[:2] + "99" + code[4:17])),
            ("letter", _uscc_with_check(code[:5] + "A" + code[6:17])),
        ]
    return found


def _uscc_with_check(first17: str) -> str:
    return first17 + uscc_check(first17)


def test_full_width_digits_are_not_digits():
    number = "110105１９４９1231002X"
    assert is_citizen_id("11010519491231002X") and not is_citizen_id(number)
    assert not is_citizen_id("11010519491231002X".translate(FULL_WIDTH))
    assert is_division_code("130102", "13") and not is_division_code("13０１０２", "13")
    assert not has_division_code_form("13０１０２") and not has_division_code_form("130102".translate(FULL_WIDTH))
    assert not is_uscc("91110000600037341L".translate(FULL_WIDTH))


def test_a_uscc_carries_a_division_and_an_organisation_code_whose_own_check_holds():
    assert uscc_check("91110000600037342") == "P" and uscc_check("UK2KF7X3F9CJW1P2M") == "T"  # MOD 31 holds
    assert organisation_code_check("60003734") == "1"
    assert not is_uscc("91110000600037342P")  # 60003734-2: the organisation code's check is 1
    assert not is_uscc("UK2KF7X3F9CJW1P2MT")  # "2KF7X3" is no division code
    assert is_uscc("91110000600037341L")  # python-stdnum's example, 60003734-1
    assert is_uscc("11100000000013127D")  # a central government body: registered at 100000
    assert not is_uscc(_uscc_with_check("9199000060003734" + "1"))  # 99: no province


def test_every_valid_number_in_python_stdnums_tests_is_valid_here():
    codes = stdnum_usccs()
    assert len(codes) == 200 and all(map(uscc_module.is_valid, codes))
    assert [c for c in codes if not is_uscc(c)] == []
    assert all(map(ric.is_valid, STDNUM_RIC)) and [n for n in STDNUM_RIC if not is_citizen_id(n)] == []


def test_generated_citizen_ids_are_judged_as_python_stdnum_judges_them():
    numbers = generated_citizen_ids(random.Random(16), 3000)
    differ = [(kind, n) for kind, n in numbers if is_citizen_id(n) != ric.is_valid(n)]
    assert differ == []
    assert {kind for kind, n in numbers if is_citizen_id(n)} <= {"valid", "swap"}  # a swap of equal digits


def test_where_ours_and_python_stdnum_differ_on_purpose():
    """stdnum upper-cases a trailing x and knows no calendar; it checks the birthplace against
    the county list of the birth year, where ours checks the province only (a county code that
    stdnum's list lacks is still a real person's number)."""
    lower_x = "11010519491231002x"
    assert ric.is_valid(lower_x) and not is_citizen_id(lower_x)  # a stored value is judged as stored
    unborn = citizen_id("130102", clock.today() + timedelta(days=1), 1)
    assert ric.is_valid(unborn) and not is_citizen_id(unborn)
    too_old = citizen_id("130102", date(1799, 12, 31), 1)
    assert not is_citizen_id(too_old) and is_citizen_id(citizen_id("130102", BORN_AFTER, 1))


def test_generated_usccs_are_judged_as_python_stdnum_judges_them_but_for_what_it_does_not_check():
    codes = generated_usccs(random.Random(16), 1000)
    ours: dict[str, set[bool]] = defaultdict(set)
    theirs: dict[str, set[bool]] = defaultdict(set)
    for kind, code in codes:
        ours[kind].add(is_uscc(code))
        theirs[kind].add(uscc_module.is_valid(code))
    assert ours == {"valid": {True}, "check": {False}, "organisation": {False}, "region": {False}, "letter": {False}}
    # stdnum checks the form and the MOD 31 character only: the organisation code's own
    # check and the province are ours alone.
    assert theirs == {"valid": {True}, "check": {False}, "organisation": {True}, "region": {True}, "letter": {False}}
    # GB 32100 registers with letters too (A: the military, N: agriculture, Y: others); stdnum wants digits.
    other = _uscc_with_check("Y1130102" + "60003734" + "1")
    assert is_uscc(other) and not uscc_module.is_valid(other)


def test_division_codes_are_those_in_use():
    assert is_division_code("130102", "13") and is_division_code("130000") and is_division_code("653228")
    for code in ("139999", "130199", "130101", "110100", "130171"):  # never, no longer, statistical only
        assert has_division_code_form(code) and not is_division_code(code), code
    assert not is_division_code("110102", "13")


def test_the_sample_data_uses_division_codes_in_use():
    assert [code for code in HEBEI_DISTRICTS if not is_division_code(code, "13")] == []


def test_the_shipped_division_list_is_the_one_its_source_note_describes():
    folder = ROOT / "govshare" / "quality" / "gb2260"
    data = (folder / "division_codes.csv").read_bytes()
    assert (folder / "SHA256SUMS").read_text().split()[0] == hashlib.sha256(data).hexdigest()
    note = (folder / "SOURCE.md").read_text()
    listed = reference.divisions()
    assert reference.AS_OF in note and f"{len(listed.rows):,} rows" in note
    assert listed.version.endswith(hashlib.sha256(data).hexdigest())
    # Every province and every code the platform's provinces table names is in it.
    assert {code[:2] for code in listed.codes} == PROVINCES
    assert all(f"{p}0000" in listed.codes for p in PROVINCES)


def test_the_birth_date_bound_is_the_one_the_documentation_states():
    assert BORN_AFTER == date(1800, 1, 1)
    assert "1800-01-01" in identifiers.__doc__ and "1800-01-01" in domain.__doc__
    assert "1900" not in identifiers.__doc__
