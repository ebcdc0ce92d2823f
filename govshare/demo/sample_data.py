"""Deterministic sample data for the demo's front-end exchange databases.

The same seed gives the same rows on every machine. Identifiers are valid by their national
standards (citizen ID numbers, unified social credit codes, Hebei division codes), and a few
rows are wrong on purpose, the way real exports go wrong:

- population register: three people still carry 15-digit first-generation ID numbers
  (a `warn` rule flags them; the delivery goes through and reports them);
- enterprise register: four legal representatives whose ID numbers the population register
  does not know (a `warn` reference rule reports them);
- social insurance: two records exported twice (duplicate key) and one negative
  contribution base (`block`: the delivery stops and the subscriber's table is untouched).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal

from faker import Faker

from govshare import clock
from govshare.quality.identifiers import citizen_id, uscc

# Real GB/T 2260 county-level divisions of Hebei with their city, used for addresses too.
HEBEI_DISTRICTS = {
    "130102": ("石家庄市", "长安区"),
    "130104": ("石家庄市", "桥西区"),
    "130105": ("石家庄市", "新华区"),
    "130108": ("石家庄市", "裕华区"),
    "130202": ("唐山市", "路南区"),
    "130203": ("唐山市", "路北区"),
    "130302": ("秦皇岛市", "海港区"),
    "130402": ("邯郸市", "邯山区"),
    "130602": ("保定市", "竞秀区"),
    "130606": ("保定市", "莲池区"),
    "130702": ("张家口市", "桥东区"),
    "130802": ("承德市", "双桥区"),
    "130902": ("沧州市", "新华区"),
    "131002": ("廊坊市", "安次区"),
    "131102": ("衡水市", "桃城区"),
}
INSURANCE_TYPES = ("企业职工基本养老保险", "城乡居民基本养老保险", "失业保险", "工伤保险", "职工基本医疗保险")
ENTERPRISE_STATUSES = ("存续", "存续", "存续", "在业", "注销", "吊销")
INSURANCE_STATUSES = ("参保缴费", "参保缴费", "参保缴费", "暂停缴费", "终止参保")

SEED = 20151201  # the regulation took effect on 1 December 2015


def synced_hour() -> datetime:
    """When a healthy front DB was last synced (article 10): the start of the current hour on the
    platform's clock, in Beijing wall-clock time as front DBs keep it. Rows were updated up to 30
    days before it, so the data is as fresh on any date as on the day it was written."""
    return clock.wall_clock().replace(minute=0, second=0, microsecond=0)


def _faker(offset: int) -> tuple[Faker, random.Random]:
    fake = Faker("zh_CN")
    fake.seed_instance(SEED + offset)
    return fake, random.Random(SEED + offset)


def _address(rng: random.Random, fake: Faker, region: str) -> str:
    city, district = HEBEI_DISTRICTS[region]
    return f"河北省{city}{district}{fake.street_name()}{rng.randint(1, 300)}号{rng.randint(1, 30)}栋"


def population(count: int, exported_at: datetime | None = None) -> Iterator[tuple]:
    """(person_id, citizen_id, name, gender, birth_date, region_code, address, phone, updated_at)"""
    exported_at = exported_at or synced_hour()
    fake, rng = _faker(1)
    regions = sorted(HEBEI_DISTRICTS)
    for person_id in range(1, count + 1):
        region = rng.choice(regions)
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 70))
        male = rng.random() < 0.51
        sequence = rng.randrange(0, 999, 2) + (1 if male else 0)  # odd for men, even for women
        number = citizen_id(region, born, sequence)
        if person_id in (97, 4242 % count + 1, 15011 % count + 1):
            number = f"{region}{born:%y%m%d}{sequence:03d}"  # a first-generation 15-digit number
        name = fake.name_male() if male else fake.name_female()
        phone = fake.phone_number() if rng.random() < 0.9 else None
        updated = exported_at - timedelta(minutes=rng.randrange(60 * 24 * 30))
        yield (
            person_id,
            number,
            name,
            "男" if male else "女",
            born,
            region,
            _address(rng, fake, region),
            phone,
            updated,
        )


def enterprises(count: int, people: list[tuple], exported_at: datetime | None = None) -> Iterator[tuple]:
    """(uscc, name, legal_rep_name, legal_rep_citizen_id, registered_capital, established_on,
    region_code, status, updated_at); legal representatives are drawn from ``people``."""
    exported_at = exported_at or synced_hour()
    fake, rng = _faker(2)
    regions = sorted(HEBEI_DISTRICTS)
    seen: set[str] = set()
    while len(seen) < count:
        region = rng.choice(regions)
        code = uscc(region, f"{rng.randrange(10**8):08d}")
        if code in seen:
            continue
        seen.add(code)
        person = rng.choice(people)
        if len(seen) in (17, 170, 1700, 2999 % count + 1):  # a representative nobody registered
            person = (None, citizen_id(region, date(1970, 1, 1) + timedelta(days=len(seen)), 999), person[2])
        city = HEBEI_DISTRICTS[region][0].removesuffix("市")
        name = f"{city}{fake.company_prefix()}{rng.choice(('科技', '商贸', '建材', '食品', '物流'))}有限公司"
        capital = Decimal(rng.choice((10, 50, 100, 200, 500, 1000, 5000))) + Decimal(rng.randrange(100)) / 100
        established = date(1995, 1, 1) + timedelta(days=rng.randrange(365 * 30))
        updated = exported_at - timedelta(minutes=rng.randrange(60 * 24 * 30))
        yield (code, name, person[2], person[1], capital, established, region, rng.choice(ENTERPRISE_STATUSES), updated)


def social_insurance(
    count: int, people: list[tuple], employers: list[tuple], exported_at: datetime | None = None
) -> Iterator[tuple]:
    """(record_id, citizen_id, insurance_type, employer_uscc, start_month, monthly_base, status,
    updated_at), with two records exported twice and one negative contribution base."""
    exported_at = exported_at or synced_hour()
    _, rng = _faker(3)
    rows = []
    for record_id in range(1, count + 1):
        person = rng.choice(people)
        kind = rng.choice(INSURANCE_TYPES)
        employer = None if kind == "城乡居民基本养老保险" else rng.choice(employers)[0]
        start = date(2000 + rng.randrange(26), rng.randint(1, 12), 1)
        base = Decimal(rng.randrange(2000_00, 30000_00)) / 100
        updated = exported_at - timedelta(minutes=rng.randrange(60 * 24 * 30))
        rows.append([record_id, person[1], kind, employer, start, base, rng.choice(INSURANCE_STATUSES), updated])
    rows[count // 3][5] = Decimal("-3580.00")  # a sign error in the provider's export
    rows += [list(rows[10]), list(rows[count // 2])]  # the same records exported twice
    for row in rows:
        yield tuple(row)
