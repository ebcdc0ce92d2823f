"""The provider's population register, generated in SQL (deterministic: hashes of the person
id, about 170 bytes a row), and the changes the incremental scenario makes to it."""

from __future__ import annotations

import time

import psycopg

from bench.exchange.common import SOURCE_SCHEMA, SOURCE_TABLE, WARM_TABLE

MALE = "男"

# name, type (catalogue spelling), nullable, personal category
COLUMNS = [
    ("person_id", "bigint", False, "none"),
    ("citizen_id", "char(18)", False, "id_number"),
    ("name", "varchar(50)", False, "name"),
    ("gender", "varchar(2)", False, "none"),
    ("birth_date", "date", False, "none"),
    ("region_code", "char(6)", False, "none"),
    ("address", "varchar(200)", True, "address"),
    ("phone", "varchar(20)", True, "phone"),
    ("updated_at", "timestamp", False, "none"),
]
NAMES = [c[0] for c in COLUMNS]

# (region code, the place that goes in front of the street in the address)
REGIONS = [
    ("130102", "石家庄市长安区"),
    ("130104", "石家庄市桥西区"),
    ("130105", "石家庄市新华区"),
    ("130108", "石家庄市裕华区"),
    ("130109", "石家庄市藁城区"),
    ("130110", "石家庄市鹿泉区"),
    ("130202", "唐山市路南区"),
    ("130203", "唐山市路北区"),
    ("130204", "唐山市古冶区"),
    ("130302", "秦皇岛市海港区"),
    ("130402", "邯郸市邯山区"),
    ("130403", "邯郸市丛台区"),
    ("130502", "邢台市襄都区"),
    ("130602", "保定市竞秀区"),
    ("130606", "保定市莲池区"),
    ("130702", "张家口市桥东区"),
    ("130802", "承德市双桥区"),
    ("130902", "沧州市新华区"),
    ("131002", "廊坊市安次区"),
    ("131102", "衡水市桃城区"),
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国志红文斌鹏辉宇浩然欣怡"
STREETS = ["建设路", "中山路", "和平路", "胜利街", "解放路", "人民路", "友谊大街", "裕华路", "槐安路", "体育街"]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def _array(values) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def create_provider_table(conn, table: str, rows: int) -> None:
    """``rows`` people, deterministic (hashes of the person id), about 170 bytes a row."""
    codes, places = _array([r[0] for r in REGIONS]), _array([r[1] for r in REGIONS])
    check_sum = " + ".join(f"substr(base, {i + 1}, 1)::int * {w}" for i, w in enumerate(ID_WEIGHTS))
    h = "(hashint8extended(g, {}) & 9223372036854775807)"
    conn.execute(f"DROP TABLE IF EXISTS {SOURCE_SCHEMA}.{table}")
    conn.execute(
        f"""CREATE TABLE {SOURCE_SCHEMA}.{table} (
              person_id bigint NOT NULL, citizen_id char(18) NOT NULL, name varchar(50) NOT NULL,
              gender varchar(2) NOT NULL, birth_date date NOT NULL, region_code char(6) NOT NULL,
              address varchar(200), phone varchar(20), updated_at timestamp NOT NULL)"""
    )
    conn.execute(
        f"""
        INSERT INTO {SOURCE_SCHEMA}.{table}
        SELECT g,
               base || substr('10X98765432', ({check_sum}) % 11 + 1, 1),
               (string_to_array('{SURNAMES}', NULL))[1 + h4 % {len(SURNAMES)}]
                 || (string_to_array('{GIVEN}', NULL))[1 + (h4 / 97) % {len(GIVEN)}]
                 || CASE WHEN (h4 / 9973) % 3 > 0
                         THEN (string_to_array('{GIVEN}', NULL))[1 + (h4 / 7919) % {len(GIVEN)}] ELSE '' END,
               CASE WHEN g % 2 = 1 THEN '{MALE}' ELSE '女' END,
               birth,
               region,
               place || ({_array(STREETS)})[1 + h5 % {len(STREETS)}] || (1 + h5 / 11 % 300) || '号'
                 || (1 + h5 / 3331 % 30) || '栋' || (1 + h5 / 99991 % 30) * 100 + (1 + h5 / 7 % 4) || '室',
               CASE WHEN h6 % 50 = 0 THEN NULL
                    ELSE '1' || (ARRAY['3','5','7','8','9'])[1 + h6 / 53 % 5] || lpad((h6 / 271 % 1000000000)::text, 9, '0')
               END,
               TIMESTAMP '2024-01-01' + (h6 % 31536000) * INTERVAL '1 second'
        FROM (
            SELECT g, h4, h5, h6, birth,
                   ({codes})[1 + h1 % {len(REGIONS)}] AS region,
                   ({places})[1 + h1 % {len(REGIONS)}] AS place,
                   ({codes})[1 + h1 % {len(REGIONS)}] || to_char(birth, 'YYYYMMDD')
                     || lpad(((h3 % 500) * 2 + g % 2)::text, 3, '0') AS base
            FROM (
                SELECT g, {h.format(1)} AS h1, DATE '1940-01-01' + ({h.format(2)} % 30000)::int AS birth,
                       {h.format(3)} AS h3, {h.format(4)} AS h4, {h.format(5)} AS h5, {h.format(6)} AS h6
                FROM generate_series(1, {int(rows)}::bigint) AS g
            ) s
        ) t
        """
    )
    conn.execute(f"ALTER TABLE {SOURCE_SCHEMA}.{table} ADD PRIMARY KEY (person_id)")


def build_provider(src_url: str, rows: int, warm_rows: int) -> dict:
    with psycopg.connect(src_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SOURCE_SCHEMA}")
        started = time.monotonic()
        create_provider_table(conn, SOURCE_TABLE, rows)
        generated = time.monotonic() - started
        create_provider_table(conn, WARM_TABLE, warm_rows)
        for table in (SOURCE_TABLE, WARM_TABLE):
            conn.execute(f"VACUUM ANALYZE {SOURCE_SCHEMA}.{table}")
        total, heap, males = conn.execute(
            f"""SELECT pg_total_relation_size('{SOURCE_SCHEMA}.{SOURCE_TABLE}'),
                       pg_relation_size('{SOURCE_SCHEMA}.{SOURCE_TABLE}'),
                       (SELECT count(*) FROM {SOURCE_SCHEMA}.{SOURCE_TABLE} WHERE gender = %s)""",
            (MALE,),
        ).fetchone()
        sample = conn.execute(f"SELECT * FROM {SOURCE_SCHEMA}.{SOURCE_TABLE} ORDER BY person_id LIMIT 1").fetchone()
    return {
        "rows": rows,
        "seconds": generated,
        "total_bytes": total,
        "heap_bytes": heap,
        "males": males,
        "sample": [str(v) for v in sample],
    }


# --------------------------------------------------------------------------------------------
# Children: one process per engine / dlt / pandas run


def mutate(src: str, rows: int, day: str = "2025-06-01", residue: int = 7, delete: bool = True) -> dict:
    """1 % of rows change (later watermark, new phone and address); with ``delete``, 0.001 % are deleted."""
    with psycopg.connect(src, autocommit=True) as conn:
        updated = conn.execute(
            f"""UPDATE {SOURCE_SCHEMA}.{SOURCE_TABLE}
                SET updated_at = TIMESTAMP '{day}' + (person_id % 86400) * INTERVAL '1 second',
                    phone = '139' || lpad(((person_id + {residue}) % 100000000)::text, 8, '0'),
                    address = left(address, 150) || '(迁)'
                WHERE person_id % 100 = {residue}"""
        ).rowcount
        deleted = 0
        if delete:
            deleted = conn.execute(f"DELETE FROM {SOURCE_SCHEMA}.{SOURCE_TABLE} WHERE person_id % 100000 = 13").rowcount
        conn.execute(f"VACUUM ANALYZE {SOURCE_SCHEMA}.{SOURCE_TABLE}")
    return {"updated": updated, "deleted": deleted}


def fingerprint(url: str, table: str) -> tuple:
    with psycopg.connect(url) as conn:
        return conn.execute(
            f"""SELECT count(*), sum(person_id), sum(hashtext(coalesce(phone, '') || coalesce(address, ''))::bigint),
                       max(updated_at)::text FROM {table}"""
        ).fetchone()
