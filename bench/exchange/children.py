"""The variants that run in a process of their own (``python -m bench.exchange --child SPEC``),
so that the kernel's peak RSS of that process belongs to the variant alone: the engine (through
the delivery service's registry-free path, as Airflow's tasks run it), dlt and pandas."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
from pydantic import SecretBytes

from bench.exchange.common import SOURCE_SCHEMA, current_rss_mb, max_rss_mb, with_password
from bench.exchange.population import COLUMNS, MALE

ROOT = Path(__file__).resolve().parents[2]


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
    from govshare import settings
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

    # The resource's real suite, as a delivery runs it (an empty folder would check only what
    # the catalogue implies, and measure less than users get).
    delivered = deliver(plan, runtime, spec["run_id"], quality_dir=settings.quality_dir(), around=measured)
    staged, report, published = delivered.staged, delivered.report, delivered.published
    return {
        "rows": staged.rows,
        "seconds": sum(steps.values()),
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
    cmd = [*(wrap or []), sys.executable, "-m", "bench.exchange", "--child", json.dumps(spec)]
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=sys.stderr if wrap else None)  # py-spy talks on stdout
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
