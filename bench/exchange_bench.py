#!/usr/bin/env python
"""Benchmark of the exchange engine against anchors, side by side in one run.

    .venv/bin/python bench/exchange_bench.py                 # 2 M rows
    .venv/bin/python bench/exchange_bench.py --incremental   # + 10 M memory and incremental scenario

Variants (each measured after one warm-up run of the same variant):

  A   psql COPY (SELECT ...) TO STDOUT (FORMAT binary) | psql COPY ... FROM STDIN — the limit
  B   engine: preflight, stage, check (catalogue checks), publish; snapshot, no masking
  C   engine: as B with citizen_id keep:6,4, phone keep:3,4 and a row filter keeping ~50 %
  D   dlt: sql_database source (pyarrow backend) -> postgres, write_disposition="replace"
  E   pandas read_sql + to_sql on --pandas-rows rows, scaled linearly to --rows

Conventions: times are wall seconds of the work itself, after the child's imports; the engine's
check step imports Great Expectations lazily, and that import (~3 s, a fixed cost per process)
is timed apart and shown on its own line. rows/s counts rows of the provider's table. Every run
starts after a CHECKPOINT, so none pays for the previous one's dirty pages. D runs dlt with both
of its postgres loader formats (insert_values, its default, and csv = COPY). A' (A plus the
primary key and ANALYZE that the engine also builds) is for reference only. The SQL that the
engine and GX run is timed by wrapping psycopg's Cursor.execute/copy in the child.

--incremental (on a fresh --incremental-rows table, with an index on updated_at, and no
warm-ups: the generation has just read the table) measures B's peak RSS again, then an
incremental agreement (watermark updated_at, overlap 600 s, key_diff deletions) and, for
reference, the same without deletions: first load; round 1, 1 % of rows updated and none
deleted (the provider's key count matches, so key_diff should ship no keys: keys_listed False);
round 2, a further 1 % updated and 0.001 % deleted (keys shipped); an incremental run after each.

B, C, D and E run in a child process each (this script with --child), so the peak RSS
(os.wait4's ru_maxrss) belongs to that variant alone. Progress goes to stderr, the results
tables to stdout. The databases gsbench_src and gsbench_dst (--db-prefix) are created on the server of
GOVSHARE_PG_URL (default postgresql://root@127.0.0.1:5432/postgres) and dropped at the end
unless --keep. Nothing here changes the engine: it is imported and called as the DAG tasks do.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretBytes

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SRC_DB, DST_DB = "gsbench_src", "gsbench_dst"
SOURCE_SCHEMA, SOURCE_TABLE, WARM_TABLE = "exchange", "population", "population_warm"
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

BARS = {
    "B/A": 0.33,
    "C/A": 0.25,
    "B/D": 3.0,
    "B_rss_mb": 300.0,
    "rss_growth": 0.10,
    "incremental_fraction": 0.10,
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def with_db(url: str, dbname: str, driver: str | None = None) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0] + (f"+{driver}" if driver else "")
    return urlunsplit((scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def with_password(url: str) -> str:
    """dlt's postgres credentials insist on a password; under trust auth any will do."""
    parts = urlsplit(url)
    if parts.password is not None or "@" not in parts.netloc:
        return url
    user, host = parts.netloc.rsplit("@", 1)
    return urlunsplit((parts.scheme, f"{user}:unused@{host}", parts.path, parts.query, parts.fragment))


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


# --------------------------------------------------------------------------------------------
# The provider's table, generated in SQL
# --------------------------------------------------------------------------------------------

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
    import psycopg

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
# --------------------------------------------------------------------------------------------


class SqlTrace:
    """Times every statement and COPY that psycopg runs in this process (engine and GX alike)
    by wrapping psycopg.Cursor.execute and Cursor.copy — the engine's files are untouched."""

    def __init__(self):
        self.entries: list[tuple[str, float, str]] = []  # (step, seconds, statement)
        self.step = "-"

    def install(self) -> None:
        import psycopg

        trace = self
        execute, copy = psycopg.Cursor.execute, psycopg.Cursor.copy

        def label(cur, query) -> str:
            try:
                text = query if isinstance(query, str) else query.as_string(cur)
            except Exception:  # noqa: BLE001
                text = repr(query)
            return " ".join(text.split())[:150]

        def timed_execute(self, query, *args, **kwargs):
            started = time.monotonic()
            try:
                return execute(self, query, *args, **kwargs)
            finally:
                trace.entries.append((trace.step, time.monotonic() - started, label(self, query)))

        @contextmanager
        def timed_copy(self, statement, *args, **kwargs):
            started = time.monotonic()
            try:
                with copy(self, statement, *args, **kwargs) as c:
                    yield c
            finally:
                trace.entries.append((trace.step, time.monotonic() - started, label(self, statement)))

        psycopg.Cursor.execute = timed_execute
        psycopg.Cursor.copy = timed_copy

    def top(self, n: int = 12, floor: float = 0.05) -> list[tuple[str, float, str]]:
        return [e for e in sorted(self.entries, key=lambda e: -e[1]) if e[1] >= floor][:n]


def column_specs(kind: str):
    from govshare.catalog.types import CatalogType
    from govshare.exchange.masking import Mask
    from govshare.exchange.plan import Column

    masks = {"citizen_id": "keep:6,4", "phone": "keep:3,4"} if kind == "C" else {}
    return tuple(
        Column(name, CatalogType.parse(type_), nullable, personal, Mask.parse(masks.get(name, "none")))
        for name, type_, nullable, personal in COLUMNS
    )


def make_plan(spec: dict):
    from govshare.exchange.filters import Condition
    from govshare.exchange.plan import DeliveryPlan

    kind = spec["kind"]
    columns = column_specs(kind)
    extra = {}
    if kind == "C":
        extra["row_filter"] = (Condition.parse({"item": "gender", "op": "eq", "value": MALE}),)
    if kind == "INC":
        extra.update(
            mode="incremental", watermark="updated_at", overlap=600, deletions=spec.get("deletions", "key_diff")
        )
    return DeliveryPlan(
        agreement_code=spec["agreement"],
        resource_code="gat_population_register",
        provider_code="hb_gat",
        subscriber_code="hb_mzt",
        source_conn_id="front_hb_gat",
        source_schema=SOURCE_SCHEMA,
        source_table=spec["table"],
        columns=columns,
        catalogued=column_specs("B"),
        key=("person_id",),
        target_conn_id="sub_hb_mzt",
        target_schema="public",
        target_table=spec["target"],
        **extra,
    )


# The bench's plans mask nothing with a pseudonym, so the delivery never reads this key.
BENCH_PSEUDONYM_KEY = SecretBytes(b"bench-pseudonym-key")


def child_engine(spec: dict) -> dict:
    trace = SqlTrace()
    trace.install()
    from govshare.delivery.runtime import Runtime
    from govshare.delivery.steps import deliver
    from govshare.exchange.address import DatabaseAddress

    rss = {"after_engine_import": (current_rss_mb(), max_rss_mb())}
    source, subscriber = DatabaseAddress.from_url(spec["src"]), DatabaseAddress.from_url(spec["dst"])
    plan = make_plan(spec)
    runtime = Runtime(
        address={plan.source_conn_id: source, plan.target_conn_id: subscriber}.__getitem__,
        pseudonym_key=lambda: BENCH_PSEUDONYM_KEY,
    )
    steps: dict[str, float] = {}

    @contextmanager
    def measured(name: str):
        """Times one step and records the RSS after it; the SQL trace attributes queries to it."""
        trace.step = name
        started = time.monotonic()
        yield
        steps[name] = time.monotonic() - started
        rss[f"after_{name}"] = (current_rss_mb(), max_rss_mb())

    @contextmanager
    def timed(name: str):
        if name == "check":  # GX is imported lazily by the check: a fixed cost per process, timed apart
            with measured("gx_import"):
                __import__("govshare.quality.gx")
        with measured(name):
            yield

    with tempfile.TemporaryDirectory(prefix="gsbench-quality-") as quality_dir:
        delivered = deliver(plan, runtime, spec["run_id"], quality_dir=Path(quality_dir), around=timed)
    staged, report, published = delivered.staged, delivered.report, delivered.published
    work = sum(v for k, v in steps.items() if k != "gx_import")
    return {
        "rows": staged.rows,
        "seconds": work,
        "seconds_with_gx_import": work + steps["gx_import"],
        "steps": steps,
        "rss": rss,
        "checks": [(r.rule, r.success) for r in report.results],
        "staged_bytes": staged.bytes,
        "watermark": [staged.watermark_from, staged.watermark_to],
        "keys": staged.keys,
        "keys_listed": staged.keys_listed,
        "published": [published.rows, published.merged, published.deleted],
        "sql": trace.top(),
    }


def child_dlt(spec: dict) -> dict:
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("DLT_DATA_DIR", spec["workdir"])
    import dlt
    from dlt.sources.sql_database import sql_table

    rss = {"after_import": (current_rss_mb(), max_rss_mb())}
    started = time.monotonic()
    resource_ = sql_table(
        credentials=spec["src_sqlalchemy"],
        schema=SOURCE_SCHEMA,
        table=spec["table"],
        backend="pyarrow",
        chunk_size=spec["chunk_size"],
    )
    pipeline = dlt.pipeline(
        pipeline_name=f"gsbench_{spec['tag']}",
        pipelines_dir=spec["workdir"],
        destination=dlt.destinations.postgres(credentials=with_password(spec["dst"])),
        dataset_name="dlt_bench",
        progress=None,
    )
    steps = {}
    t = time.monotonic()
    pipeline.extract(
        resource_, write_disposition="replace", table_name="population", loader_file_format=spec["file_format"]
    )
    steps["extract"] = time.monotonic() - t
    rss["after_extract"] = (current_rss_mb(), max_rss_mb())
    t = time.monotonic()
    pipeline.normalize()
    steps["normalize"] = time.monotonic() - t
    rss["after_normalize"] = (current_rss_mb(), max_rss_mb())
    t = time.monotonic()
    info = pipeline.load()
    steps["load"] = time.monotonic() - t
    rss["after_load"] = (current_rss_mb(), max_rss_mb())
    seconds = time.monotonic() - started
    info.raise_on_failed_jobs()
    import psycopg

    with psycopg.connect(spec["dst"]) as conn:
        rows = conn.execute("SELECT count(*) FROM dlt_bench.population").fetchone()[0]
    return {"rows": rows, "seconds": seconds, "steps": steps, "rss": rss, "file_format": spec["file_format"]}


def child_pandas(spec: dict) -> dict:
    import pandas as pd
    import sqlalchemy as sa

    rss = {"after_import": (current_rss_mb(), max_rss_mb())}
    src, dst = sa.create_engine(spec["src_sqlalchemy"]), sa.create_engine(spec["dst_sqlalchemy"])
    steps = {}
    started = time.monotonic()
    frame = pd.read_sql(
        sa.text(f"SELECT * FROM {SOURCE_SCHEMA}.{spec['table']} WHERE person_id <= :n"), src, params={"n": spec["rows"]}
    )
    steps["read_sql"] = time.monotonic() - started
    rss["after_read_sql"] = (current_rss_mb(), max_rss_mb())
    t = time.monotonic()
    frame.to_sql(
        "population_pandas", dst, schema="public", if_exists="replace", index=False, method="multi", chunksize=1000
    )
    steps["to_sql"] = time.monotonic() - t
    rss["after_to_sql"] = (current_rss_mb(), max_rss_mb())
    return {"rows": len(frame), "seconds": time.monotonic() - started, "steps": steps, "rss": rss}


CHILDREN = {"engine": child_engine, "dlt": child_dlt, "pandas": child_pandas}


def run_child(spec: dict, wrap: list[str] | None = None) -> dict:
    """Run one variant in a fresh interpreter; its own report plus wall time, CPU and peak RSS
    from the kernel (wait4), which no other variant shares."""
    with tempfile.NamedTemporaryFile(prefix="gsbench-", suffix=".json", delete=False) as f:
        out = f.name
    spec = {**spec, "out": out}
    cmd = [*(wrap or []), sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)]
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=sys.stderr if wrap else None)  # py-spy talks on stdout
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    try:
        result = json.loads(Path(out).read_text() or "{}")
    finally:
        os.unlink(out)
    if proc.returncode != 0 or "error" in result:
        raise RuntimeError(f"child {spec['worker']} failed (exit {proc.returncode}): {result.get('error', '?')}")
    result.update(
        process_wall=wall,
        peak_rss_mb=usage.ru_maxrss / 1024,
        cpu_user=usage.ru_utime,
        cpu_sys=usage.ru_stime,
    )
    return result


def child_main(raw: str) -> None:
    spec = json.loads(raw)
    try:
        result = CHILDREN[spec["worker"]](spec)
    except BaseException as exc:  # noqa: BLE001 — reported to the parent, which decides
        import traceback

        traceback.print_exc()
        result = {"error": f"{type(exc).__name__}: {exc}"}
        Path(spec["out"]).write_text(json.dumps(result, default=str))
        sys.exit(1)
    Path(spec["out"]).write_text(json.dumps(result, default=str))


# --------------------------------------------------------------------------------------------
# The parent: databases, variant A, orchestration, reporting
# --------------------------------------------------------------------------------------------


def admin(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for s in statements:
            conn.execute(s)


def checkpoint(url: str) -> None:
    """Flush dirty buffers before a run, so no variant pays for the previous one's writes."""
    admin(url, "CHECKPOINT")


def variant_a(src: str, dst: str, table: str) -> dict:
    import psycopg

    cols = ", ".join(NAMES)
    with psycopg.connect(dst, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS bench_a")
        conn.execute("DROP TABLE IF EXISTS bench_a.population")
        conn.execute("""CREATE TABLE bench_a.population (
                          person_id bigint NOT NULL, citizen_id char(18) NOT NULL, name varchar(50) NOT NULL,
                          gender varchar(2) NOT NULL, birth_date date NOT NULL, region_code char(6) NOT NULL,
                          address varchar(200), phone varchar(20), updated_at timestamp NOT NULL)""")
    checkpoint(dst)
    out = f"COPY (SELECT {cols} FROM {SOURCE_SCHEMA}.{table}) TO STDOUT (FORMAT binary)"
    into = f"COPY bench_a.population ({cols}) FROM STDIN (FORMAT binary)"
    pipe = (
        f"psql -X -q -v ON_ERROR_STOP=1 -d {shlex.quote(src)} -c {shlex.quote(out)}"
        f" | psql -X -q -v ON_ERROR_STOP=1 -d {shlex.quote(dst)} -c {shlex.quote(into)}"
    )
    started = time.monotonic()
    proc = subprocess.Popen(["bash", "-o", "pipefail", "-c", pipe], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    if proc.returncode:
        raise RuntimeError(f"variant A pipeline failed with exit {proc.returncode}")
    with psycopg.connect(dst, autocommit=True) as conn:
        rows = conn.execute("SELECT count(*) FROM bench_a.population").fetchone()[0]
        # What the engine additionally does to make the copy a usable table: key + statistics.
        t = time.monotonic()
        conn.execute("ALTER TABLE bench_a.population ADD PRIMARY KEY (person_id)")
        pk = time.monotonic() - t
        t = time.monotonic()
        conn.execute("ANALYZE bench_a.population")
        analyze = time.monotonic() - t
    return {
        "rows": rows,
        "seconds": seconds,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "cpu_user": usage.ru_utime,
        "cpu_sys": usage.ru_stime,
        "steps": {"copy": seconds, "primary_key": pk, "analyze": analyze},
    }


def rate(rows: float, seconds: float) -> float:
    return rows / seconds if seconds else float("nan")


def fmt_steps(steps: dict) -> str:
    return ", ".join(f"{k} {v:.2f}s" for k, v in steps.items())


def describe_rss(rss: dict) -> str:
    return ", ".join(f"{k.removeprefix('after_')} {cur:.0f}/{peak:.0f}" for k, (cur, peak) in rss.items())


class Report:
    def __init__(self):
        self.lines: list[str] = []

    def __call__(self, line: str = "") -> None:
        self.lines.append(line)
        print(line, flush=True)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main_scenario(args, base: str, src: str, dst: str, out: Report) -> dict:
    n = args.rows
    results: dict[str, dict] = {}
    src_sa, dst_sa = with_db(base, SRC_DB, "psycopg"), with_db(base, DST_DB, "psycopg")
    common = {"src": src, "dst": dst}

    log(f"A: warm-up (full, {n:,} rows)")
    checkpoint(dst)
    variant_a(src, dst, SOURCE_TABLE)
    log("A: measured run")
    results["A"] = variant_a(src, dst, SOURCE_TABLE)
    log(f"A: {results['A']['seconds']:.2f}s ({fmt_steps(results['A']['steps'])})")

    for kind, agreement, target in (("B", "BENCH-B", "population_b"), ("C", "BENCH-C", "population_c")):
        for attempt in ("warm", "measured"):
            log(f"{kind}: {attempt} run (full, {n:,} source rows)")
            checkpoint(dst)
            spec = {
                **common,
                "worker": "engine",
                "kind": kind,
                "agreement": agreement,
                "table": SOURCE_TABLE,
                "target": target,
                "run_id": f"bench-{kind}-{attempt}-{time.time_ns()}",
            }
            result = run_child(spec)
            log(
                f"{kind}: {result['seconds']:.2f}s, {result['rows']:,} rows, peak RSS {result['peak_rss_mb']:.0f} MB "
                f"({fmt_steps(result['steps'])})"
            )
        results[kind] = result

    if args.skip_dlt:
        log("D: skipped (--skip-dlt)")
    else:
        try:
            import importlib.util

            if importlib.util.find_spec("dlt") is None:
                raise RuntimeError("the dlt package is not installed (pip install -r bench/requirements.txt)")
            workdir = tempfile.mkdtemp(prefix="gsbench-dlt-")
            try:
                for fmt in args.dlt_formats:
                    dspec = {
                        **common,
                        "worker": "dlt",
                        "src_sqlalchemy": with_db(base, SRC_DB, "psycopg2"),
                        "chunk_size": args.dlt_chunk,
                        "workdir": workdir,
                        "file_format": fmt,
                    }
                    log(f"D[{fmt}]: warm-up on {WARM_TABLE} ({args.warm_rows:,} rows)")
                    checkpoint(dst)
                    run_child({**dspec, "table": WARM_TABLE, "tag": f"warm_{fmt}"})
                    log(f"D[{fmt}]: measured run ({n:,} rows)")
                    checkpoint(dst)
                    result = run_child({**dspec, "table": SOURCE_TABLE, "tag": f"main_{fmt}"})
                    log(
                        f"D[{fmt}]: {result['seconds']:.2f}s, {result['rows']:,} rows, peak RSS "
                        f"{result['peak_rss_mb']:.0f} MB ({fmt_steps(result['steps'])})"
                    )
                    results[f"D[{fmt}]"] = result
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
        except Exception as exc:  # noqa: BLE001 — the benchmark goes on without dlt, and says why
            log(f"D: dlt could not run: {exc}")
            results["D_error"] = {"error": str(exc)}

    m = min(args.pandas_rows, n)
    for attempt in ("warm", "measured"):
        log(f"E: pandas {attempt} run ({m:,} rows)")
        checkpoint(dst)
        result = run_child(
            {"worker": "pandas", "src_sqlalchemy": src_sa, "dst_sqlalchemy": dst_sa, "table": SOURCE_TABLE, "rows": m}
        )
    result["scaled_seconds"] = result["seconds"] * n / result["rows"]
    log(f"E: {result['seconds']:.2f}s for {result['rows']:,} rows -> {result['scaled_seconds']:.1f}s scaled to {n:,}")
    results["E"] = result

    report_main(args, results, out)
    return results


def report_main(args, results: dict, out: Report) -> None:
    n = args.rows
    a, b, c = results["A"], results["B"], results["C"]
    out()
    out(f"== Exchange benchmark: {n:,} source rows, PG->PG on one PostgreSQL 15 server, {os.cpu_count()} cores ==")
    out("rows/s = rows of the provider's table processed per second (for C: source rows; delivered rows in brackets)")
    header = f"{'variant':<44}{'rows':>12}{'time s':>9}{'rows/s':>11}{'peak RSS MB':>13}{'CPU s':>8}"
    out(header)
    out("-" * len(header))

    def row(label, rows, seconds, rss, cpu, note=""):
        rss_s = f"{rss:.0f}" if rss is not None else "n/a"
        cpu_s = f"{cpu:.1f}" if cpu is not None else "n/a"
        out(f"{label:<44}{rows:>12,}{seconds:>9.2f}{rate(n, seconds):>11,.0f}{rss_s:>13}{cpu_s:>8}{note}")

    row(
        "A  psql COPY binary | psql COPY (limit)",
        a["rows"],
        a["seconds"],
        a["peak_rss_mb"],
        a["cpu_user"] + a["cpu_sys"],
        "  (RSS/CPU: psql clients)",
    )
    a_pk = a["seconds"] + a["steps"]["primary_key"] + a["steps"]["analyze"]
    row("A' A + ADD PRIMARY KEY + ANALYZE", a["rows"], a_pk, None, None, "  (informational)")
    for key, label in (("B", "B  engine snapshot, no masking"), ("C", "C  engine, 2 masks + filter (~50%)")):
        r = results[key]
        note = f"  [{rate(r['rows'], r['seconds']):,.0f} delivered rows/s]" if key == "C" else ""
        row(label, r["rows"], r["seconds"], r["peak_rss_mb"], r["cpu_user"] + r["cpu_sys"], note)
        row(
            f"   {key} incl. GX import ({r['steps']['gx_import']:.1f}s)",
            r["rows"],
            r["seconds_with_gx_import"],
            None,
            None,
        )
    dkeys = [k for k in results if k.startswith("D[")]
    for key in dkeys:
        r = results[key]
        row(
            f"D  dlt sql_database pyarrow, {r['file_format']}",
            r["rows"],
            r["seconds"],
            r["peak_rss_mb"],
            r["cpu_user"] + r["cpu_sys"],
        )
    if "D_error" in results:
        out(f"D  dlt: did not run — {results['D_error']['error']}")
    e = results["E"]
    row(
        f"E  pandas read_sql+to_sql (x{n / e['rows']:.0f} of {e['rows']:,})",
        n,
        e["scaled_seconds"],
        e["peak_rss_mb"],
        (e["cpu_user"] + e["cpu_sys"]) * n / e["rows"],
        f"  (RSS measured at {e['rows']:,} rows)",
    )
    out()
    out("Step times")
    out(f"  {'A':<18}{fmt_steps(a['steps'])}")
    for key in ("B", "C", *dkeys, "E"):
        r = results[key]
        out(f"  {key:<18}{fmt_steps(r['steps'])}")
    out()
    out("Memory (current/peak MB after each step)")
    for key in ("B", "C", *dkeys, "E"):
        out(f"  {key:<18}{describe_rss(results[key]['rss'])}")
    out()
    out("Ratios against the bars")
    ratio_ba = a["seconds"] / b["seconds"]
    ratio_ca = a["seconds"] / c["seconds"]
    out(
        f"  B/A throughput        {ratio_ba:6.2f}   bar >= {BARS['B/A']:.2f}   {verdict(ratio_ba >= BARS['B/A'])}"
        f"   (incl. GX import: {a['seconds'] / b['seconds_with_gx_import']:.2f})"
    )
    out(
        f"  C/A throughput        {ratio_ca:6.2f}   bar >= {BARS['C/A']:.2f}   {verdict(ratio_ca >= BARS['C/A'])}"
        f"   (source rows; by delivered rows: {ratio_ca * c['rows'] / n:.2f})"
    )
    for key in dkeys:
        ratio_bd = results[key]["seconds"] / b["seconds"]
        out(f"  B/{key:<19}{ratio_bd:6.2f}   bar >= {BARS['B/D']:.2f}   {verdict(ratio_bd >= BARS['B/D'])}")
    if not dkeys:
        out("  B/D throughput           n/a   bar >= 3.00   (dlt did not run)")
    out(
        f"  B peak RSS MB       {b['peak_rss_mb']:8.0f}   bar <  {BARS['B_rss_mb']:.0f}    "
        f"{verdict(b['peak_rss_mb'] < BARS['B_rss_mb'])}   (peak before GX import: "
        f"{b['rss']['after_stage'][1]:.0f} MB)"
    )
    out(f"  B/E throughput        {e['scaled_seconds'] / b['seconds']:6.2f}   (no bar)")
    out(f"  B/A' throughput       {a_pk / b['seconds']:6.2f}   (no bar: A' builds the key and statistics as B does)")
    out()
    out("Slowest SQL statements per engine run (seconds, step, statement)")
    for key in ("B", "C"):
        out(f"  {key}:")
        for step, seconds, text in results[key]["sql"]:
            out(f"    {seconds:7.2f}  {step:<9} {text}")


# --------------------------------------------------------------------------------------------
# The incremental scenario
# --------------------------------------------------------------------------------------------


def mutate(src: str, rows: int, day: str = "2025-06-01", residue: int = 7, delete: bool = True) -> dict:
    """1 % of rows change (later watermark, new phone and address); with ``delete``, 0.001 % are deleted."""
    import psycopg

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
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(
            f"""SELECT count(*), sum(person_id), sum(hashtext(coalesce(phone, '') || coalesce(address, ''))::bigint),
                       max(updated_at)::text FROM {table}"""
        ).fetchone()


def incremental_scenario(args, base: str, src: str, dst: str, main: dict | None, out: Report) -> dict:
    n = args.incremental_rows
    log(f"INC: rebuilding the provider with {n:,} rows (and a fresh subscriber DB)")
    admin(base, f"DROP DATABASE IF EXISTS {DST_DB} WITH (FORCE)", f"CREATE DATABASE {DST_DB}")
    info = build_provider(src, n, 1000)  # no warm-up table needed here
    log(f"INC: generated in {info['seconds']:.1f}s, pg_total_relation_size {info['total_bytes'] / 2**20:,.0f} MB")
    t = time.monotonic()
    admin(src, f"CREATE INDEX ON {SOURCE_SCHEMA}.{SOURCE_TABLE} (updated_at)")
    log(f"INC: index on updated_at (the watermark) built in {time.monotonic() - t:.1f}s")
    common = {"src": src, "dst": dst, "worker": "engine", "table": SOURCE_TABLE}

    log(f"INC: B snapshot at {n:,} rows (memory)")
    checkpoint(dst)
    big = run_child(
        {
            **common,
            "kind": "B",
            "agreement": "BENCH-B",
            "target": "population_b",
            "run_id": f"bench-B-big-{time.time_ns()}",
        }
    )
    log(f"INC: B at {n:,}: {big['seconds']:.2f}s, peak RSS {big['peak_rss_mb']:.0f} MB ({fmt_steps(big['steps'])})")

    # The agreement as the issue states it (key-diff deletions), and the same without deletions,
    # to tell the cost of finding deleted rows from the cost of the delta itself.
    specs = {
        "key_diff": {**common, "kind": "INC", "agreement": "BENCH-INC", "target": "population_inc"},
        "none": {
            **common,
            "kind": "INC",
            "agreement": "BENCH-INC-ND",
            "target": "population_inc_nd",
            "deletions": "none",
        },
    }
    provider_table = f"{SOURCE_SCHEMA}.{SOURCE_TABLE}"
    targets = {"key_diff": "public.population_inc", "none": "public.population_inc_nd"}
    full: dict[str, dict] = {}
    delta: dict[tuple[str, str], dict] = {}  # (deletions, round) -> run
    for deletions, spec in specs.items():
        log(f"INC[{deletions}]: first (full) incremental load")
        checkpoint(dst)
        full[deletions] = run_child({**spec, "run_id": "bench-inc-1"})
        log(
            f"INC[{deletions}]: full load {full[deletions]['seconds']:.2f}s, keys listed "
            f"{full[deletions]['keys_listed']} ({fmt_steps(full[deletions]['steps'])})"
        )

    # Round 1, the common case: 1 % of rows updated, nothing deleted. The provider's key count
    # equals the target's row count after the merge, so key_diff should ship no keys.
    # Round 2: another 1 % updated and 100 rows deleted, so the key list must be shipped.
    rounds = {
        "upd": {"day": "2025-06-01", "residue": 7, "delete": False},
        "upd+del": {"day": "2025-07-01", "residue": 8, "delete": True},
    }
    changes, checks = {}, {}
    for number, (name, change) in enumerate(rounds.items(), start=2):
        changes[name] = mutate(src, n, **change)
        log(
            f"INC: provider changed ({name}): {changes[name]['updated']:,} rows updated, {changes[name]['deleted']:,} deleted"
        )
        for deletions, spec in specs.items():
            checkpoint(dst)
            run = run_child({**spec, "run_id": f"bench-inc-{number}"})
            delta[(deletions, name)] = run
            log(
                f"INC[{deletions}]: incremental run ({name}) {run['seconds']:.2f}s, keys listed {run['keys_listed']} "
                f"({fmt_steps(run['steps'])})"
            )
        provider = fingerprint(src, provider_table)
        checks[name] = {
            "provider_rows": provider[0],
            "key_diff_same": provider == fingerprint(dst, targets["key_diff"]),
            "none_extra_rows": fingerprint(dst, targets["none"])[0] - provider[0],
        }

    out()
    out(
        f"== Incremental and memory scenario: {n:,} source rows "
        f"({info['total_bytes'] / 2**20:,.0f} MB, index on updated_at) =="
    )
    out(
        f"round 1 (upd): {changes['upd']['updated']:,} rows updated, none deleted; round 2 (upd+del): a further "
        f"{changes['upd+del']['updated']:,} updated and {changes['upd+del']['deleted']:,} deleted"
    )
    header = f"{'run':<44}{'rows':>12}{'time s':>9}{'rows/s':>11}{'peak RSS MB':>13}{'CPU s':>8}"
    out(header)
    out("-" * len(header))
    runs = (
        (f"B snapshot at {n:,}", big),
        ("incremental key_diff: first (full) load", full["key_diff"]),
        ("incremental key_diff: round 1, 1% upd", delta[("key_diff", "upd")]),
        ("incremental key_diff: round 2, 1% upd+dels", delta[("key_diff", "upd+del")]),
        ("incremental no deletions: full load", full["none"]),
        ("incremental no deletions: round 1, 1% upd", delta[("none", "upd")]),
        ("incremental no deletions: round 2, upd+dels", delta[("none", "upd+del")]),
    )
    for label, r in runs:
        note = f"  keys_listed={r['keys_listed']}" if r.get("keys") is not None else ""
        out(
            f"{label:<44}{r['rows']:>12,}{r['seconds']:>9.2f}{rate(n, r['seconds']):>11,.0f}"
            f"{r['peak_rss_mb']:>13.0f}{r['cpu_user'] + r['cpu_sys']:>8.1f}{note}"
        )
    deleted_so_far = 0
    for number, name in enumerate(rounds, start=1):
        c, d, k = changes[name], delta[("key_diff", name)], checks[name]
        deleted_so_far += c["deleted"]
        out(f"  round {number} ({name}): provider changed: {c['updated']:,} rows updated, {c['deleted']:,} deleted")
        out(
            f"    key_diff run published rows/merged/deleted: {d['published']}, provider keys {d['keys']:,}, "
            f"keys_listed {d['keys_listed']}, watermark {d['watermark'][0]} -> {d['watermark'][1]}"
        )
        out(
            f"    key_diff target equals provider: {k['key_diff_same']}; no-deletions target has "
            f"{k['none_extra_rows']:,} rows the provider deleted"
            + (
                ", as it should"
                if k["none_extra_rows"] == deleted_so_far
                else f", UNEXPECTED (expected {deleted_so_far:,})"
            )
        )
    out()
    out("Step times")
    for label, r in runs:
        out(f"  {label:<44}{fmt_steps(r['steps'])}")
    out()
    out("Ratios against the bars")
    if main:
        small = main["B"]["peak_rss_mb"]
        growth = big["peak_rss_mb"] / small - 1
        out(
            f"  B peak RSS {args.rows:,} -> {n:,}: {small:.0f} -> {big['peak_rss_mb']:.0f} MB  growth {growth:+.1%}  "
            f"bar within {BARS['rss_growth']:.0%}   {verdict(abs(growth) <= BARS['rss_growth'])}"
        )
        stage_small, stage_big = main["B"]["rss"]["after_stage"][1], big["rss"]["after_stage"][1]
        out(f"    (peak through stage only: {stage_small:.0f} -> {stage_big:.0f} MB)")
    out(
        f"  B peak RSS at {n:,}: {big['peak_rss_mb']:.0f} MB   bar < {BARS['B_rss_mb']:.0f}   "
        f"{verdict(big['peak_rss_mb'] < BARS['B_rss_mb'])}"
    )
    dels = f"1% upd + {changes['upd+del']['deleted']:,} dels"
    cases = (
        ("key_diff, round 1 (1% upd)", "key_diff", "upd", ""),
        (f"key_diff, round 2 ({dels})", "key_diff", "upd+del", ""),
        ("none, round 1 (1% upd)", "none", "upd", "   (reference: no deletion handling)"),
        (f"none, round 2 ({dels})", "none", "upd+del", "   (reference: no deletion handling)"),
    )
    for label, deletions, name, note in cases:
        r = delta[(deletions, name)]
        fraction = r["seconds"] / full[deletions]["seconds"]
        listed = f"   keys_listed={r['keys_listed']}" if r.get("keys") is not None else ""
        out(
            f"  incremental / full run time, {label:<38}: {fraction:6.1%}   bar <= "
            f"{BARS['incremental_fraction']:.0%}   {verdict(fraction <= BARS['incremental_fraction'])}   "
            f"(vs B snapshot: {r['seconds'] / big['seconds']:.1%}){listed}{note}"
        )
    out()
    for deletions, name in (("key_diff", "upd"), ("key_diff", "upd+del"), ("none", "upd"), ("none", "upd+del")):
        out(
            f"Slowest SQL statements of the incremental run, deletions={deletions}, round {name} (seconds, step, statement)"
        )
        for step, seconds, text in delta[(deletions, name)]["sql"]:
            out(f"    {seconds:7.2f}  {step:<9} {text}")
    return {
        "provider": info,
        "big": big,
        "full": full,
        "delta": {f"{d}/{r}": v for (d, r), v in delta.items()},
        "changes": changes,
        "checks": checks,
    }


def profile_b(args, src: str, dst: str, out_dir: Path) -> None:
    """One more B run under py-spy (not timed): where the engine process spends its CPU."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        log("profile: py-spy not found, skipped")
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    raw = out_dir / "profile_B.txt"
    log(f"profile: B under py-spy -> {raw}")
    checkpoint(dst)
    run_child(
        {
            "src": src,
            "dst": dst,
            "worker": "engine",
            "kind": "B",
            "agreement": "BENCH-B",
            "table": SOURCE_TABLE,
            "target": "population_b",
            "run_id": f"bench-B-profile-{time.time_ns()}",
        },
        wrap=[py_spy, "record", "--format", "raw", "--rate", "100", "--idle", "--nonblocking", "-o", str(raw), "--"],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2_000_000, help="rows of the provider table")
    parser.add_argument("--pandas-rows", type=int, default=200_000, help="rows pandas moves (scaled to --rows)")
    parser.add_argument("--skip-dlt", action="store_true", help="do not run variant D")
    parser.add_argument(
        "--dlt-formats",
        nargs="+",
        default=["insert_values", "csv"],
        help="dlt loader file formats to run for postgres (default: both)",
    )
    parser.add_argument("--dlt-chunk", type=int, default=50_000, help="sql_table chunk_size for dlt")
    parser.add_argument("--incremental", action="store_true", help="also run the incremental/memory scenario")
    parser.add_argument("--incremental-rows", type=int, default=10_000_000)
    parser.add_argument("--only-incremental", action="store_true", help="run only the incremental/memory scenario")
    parser.add_argument("--warm-rows", type=int, default=None, help="rows of the warm-up table (default 10%%)")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="DIR",
        help="after the measured runs, run B once more under py-spy into DIR",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the raw results here")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument(
        "--db-prefix",
        default="gsbench",
        help="the benchmark's databases are PREFIX_src and PREFIX_dst (default gsbench); another prefix keeps "
        "two runs on one server from dropping each other's databases",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args.child)
        return
    args.warm_rows = args.warm_rows or max(1, args.rows // 10)
    global SRC_DB, DST_DB
    if not args.db_prefix.replace("_", "").isalnum():
        parser.error("--db-prefix: letters, digits and underscores only")
    SRC_DB, DST_DB = f"{args.db_prefix}_src", f"{args.db_prefix}_dst"

    base = os.environ.get("GOVSHARE_PG_URL", "postgresql://root@127.0.0.1:5432/postgres")
    src, dst = with_db(base, SRC_DB), with_db(base, DST_DB)
    out = Report()
    log(f"databases {SRC_DB} and {DST_DB} on {urlsplit(base).hostname}:{urlsplit(base).port}")
    admin(
        base,
        *(f"DROP DATABASE IF EXISTS {d} WITH (FORCE)" for d in (SRC_DB, DST_DB)),
        f"CREATE DATABASE {SRC_DB}",
        f"CREATE DATABASE {DST_DB}",
    )
    raw: dict = {}
    try:
        main_results = None
        if not args.only_incremental:
            log(f"building {SOURCE_SCHEMA}.{SOURCE_TABLE} with {args.rows:,} rows")
            info = build_provider(src, args.rows, args.warm_rows)
            log(
                f"generated in {info['seconds']:.1f}s: pg_total_relation_size {info['total_bytes'] / 2**20:,.1f} MB "
                f"(heap {info['heap_bytes'] / 2**20:,.1f} MB), {info['males']:,} rows with gender = {MALE}"
            )
            out(
                f"provider table {SOURCE_SCHEMA}.{SOURCE_TABLE}: {args.rows:,} rows, "
                f"pg_total_relation_size {info['total_bytes'] / 2**20:,.1f} MB "
                f"(heap {info['heap_bytes'] / 2**20:,.1f} MB); first row: {' | '.join(info['sample'])}"
            )
            main_results = main_scenario(args, base, src, dst, out)
            raw["main"] = main_results
            if args.profile:
                profile_b(args, src, dst, args.profile)
        if args.incremental or args.only_incremental:
            raw["incremental"] = incremental_scenario(args, base, src, dst, main_results, out)
    finally:
        if args.json:
            args.json.write_text(json.dumps(raw, default=str, indent=1))
        if args.keep:
            log(f"kept databases {SRC_DB} and {DST_DB}")
        else:
            admin(base, *(f"DROP DATABASE IF EXISTS {d} WITH (FORCE)" for d in (SRC_DB, DST_DB)))
            log("dropped the benchmark databases")


if __name__ == "__main__":
    main()
