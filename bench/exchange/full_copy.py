"""The main scenario: the whole provider table, copied by every variant (A pipe, B and C engine,
D dlt, E pandas), each measured after one warm-up run of the same variant."""

from __future__ import annotations

import importlib.util
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.exchange.children import run_child
from bench.exchange.common import (
    BARS,
    SOURCE_TABLE,
    WARM_TABLE,
    Databases,
    Report,
    checkpoint,
    cores,
    cpu,
    describe_rss,
    fmt_steps,
    log,
    rate,
    verdict,
)
from bench.exchange.pipe import variant_a

ENGINE_VARIANTS = (("B", "BENCH-B", "population_b"), ("C", "BENCH-C", "population_c"))


def engine_spec(db: Databases, kind: str, agreement: str, target: str, run: str) -> dict:
    return {
        "src": db.src,
        "dst": db.dst,
        "worker": "engine",
        "kind": kind,
        "agreement": agreement,
        "table": SOURCE_TABLE,
        "target": target,
        "run_id": f"bench-{kind}-{run}-{time.time_ns()}",
    }


def run(args, db: Databases, out: Report) -> dict:
    results = {"A": _pipe(args.rows, db)}
    for kind, agreement, target in ENGINE_VARIANTS:
        results[kind] = _engine(args.rows, db, kind, agreement, target)
    results.update(_dlt(args, db))
    results["E"] = _pandas(args, db)
    report(args.rows, results, out)
    return results


def _pipe(n: int, db: Databases) -> dict:
    log(f"A: warm-up (full, {n:,} rows)")
    checkpoint(db.dst)
    variant_a(db.src, db.dst, SOURCE_TABLE)
    log("A: measured run")
    result = variant_a(db.src, db.dst, SOURCE_TABLE)
    log(f"A: {result['seconds']:.2f}s ({fmt_steps(result['steps'])})")
    return result


def _engine(n: int, db: Databases, kind: str, agreement: str, target: str) -> dict:
    for attempt in ("warm", "measured"):
        log(f"{kind}: {attempt} run (full, {n:,} source rows)")
        checkpoint(db.dst)
        result = run_child(engine_spec(db, kind, agreement, target, attempt))
        log(
            f"{kind}: {result['seconds']:.2f}s, {result['rows']:,} rows, peak RSS {result['peak_rss_mb']:.0f} MB "
            f"({fmt_steps(result['steps'])})"
        )
    return result


def _dlt(args, db: Databases) -> dict:
    """D in each loader format, or why it did not run (the benchmark goes on without it)."""
    if args.skip_dlt:
        log("D: skipped (--skip-dlt)")
        return {}
    if importlib.util.find_spec("dlt") is None:
        why = "the dlt package is not installed (pip install -r bench/requirements.txt)"
        log(f"D: dlt could not run: {why}")
        return {"D_error": {"error": why}}
    results = {}
    workdir = tempfile.mkdtemp(prefix="gsbench-dlt-")
    try:
        for fmt in args.dlt_formats:
            spec = {
                "src": db.src,
                "dst": db.dst,
                "worker": "dlt",
                "src_sqlalchemy": db.sqlalchemy("src", "psycopg2"),
                "chunk_size": args.dlt_chunk,
                "workdir": workdir,
                "file_format": fmt,
            }
            log(f"D[{fmt}]: warm-up on {WARM_TABLE} ({args.warm_rows:,} rows)")
            checkpoint(db.dst)
            run_child({**spec, "table": WARM_TABLE, "tag": f"warm_{fmt}"})
            log(f"D[{fmt}]: measured run ({args.rows:,} rows)")
            checkpoint(db.dst)
            result = run_child({**spec, "table": SOURCE_TABLE, "tag": f"main_{fmt}"})
            log(
                f"D[{fmt}]: {result['seconds']:.2f}s, peak RSS {result['peak_rss_mb']:.0f} MB ({fmt_steps(result['steps'])})"
            )
            results[f"D[{fmt}]"] = result
    except Exception as exc:  # noqa: BLE001 — the benchmark goes on without dlt, and says why
        log(f"D: dlt could not run: {exc}")
        results["D_error"] = {"error": str(exc)}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def _pandas(args, db: Databases) -> dict:
    m = min(args.pandas_rows, args.rows)
    spec = {
        "worker": "pandas",
        "src_sqlalchemy": db.sqlalchemy("src"),
        "dst_sqlalchemy": db.sqlalchemy("dst"),
        "table": SOURCE_TABLE,
        "rows": m,
    }
    for attempt in ("warm", "measured"):
        log(f"E: pandas {attempt} run ({m:,} rows)")
        checkpoint(db.dst)
        result = run_child(spec)
    result["scaled_seconds"] = result["seconds"] * args.rows / result["rows"]
    log(
        f"E: {result['seconds']:.2f}s for {result['rows']:,} rows -> {result['scaled_seconds']:.1f}s scaled to {args.rows:,}"
    )
    return result


def report(n: int, results: dict, out: Report) -> None:
    dlt_runs = [k for k in results if k.startswith("D[")]
    _table(n, results, dlt_runs, out)
    out()
    out("Step times")
    out(f"  {'A':<18}{fmt_steps(results['A']['steps'])}")
    for key in ("B", "C", *dlt_runs, "E"):
        out(f"  {key:<18}{fmt_steps(results[key]['steps'])}")
    out()
    out("Memory (current/peak MB after each step)")
    for key in ("B", "C", *dlt_runs, "E"):
        out(f"  {key:<18}{describe_rss(results[key]['rss'])}")
    out()
    _ratios(n, results, dlt_runs, out)
    out()
    out("Slowest SQL statements per engine run (seconds, step, statement)")
    for key in ("B", "C"):
        out(f"  {key}:")
        out.sql(results[key]["sql"])


def _table(n: int, results: dict, dlt_runs: list[str], out: Report) -> None:
    a, e = results["A"], results["E"]
    out()
    out(f"== Exchange benchmark: {n:,} source rows, PG->PG on one PostgreSQL server, {cores()} cores ==")
    out("rows/s = rows of the provider's table processed per second (for C: source rows; delivered rows in brackets)")
    out.header()
    out.row(
        "A  psql COPY binary | psql COPY (limit)",
        a["rows"],
        a["seconds"],
        n,
        a["peak_rss_mb"],
        cpu(a),
        "  (RSS/CPU: psql clients)",
    )
    out.row("A' A + ADD PRIMARY KEY + ANALYZE", a["rows"], _with_key(a), n, note="  (informational)")
    for key, label in (("B", "B  engine snapshot, no masking"), ("C", "C  engine, 2 masks + filter (~50%)")):
        r = results[key]
        note = f"  [{rate(r['rows'], r['seconds']):,.0f} delivered rows/s]" if key == "C" else ""
        out.row(label, r["rows"], r["seconds"], n, r["peak_rss_mb"], cpu(r), note)
    for key in dlt_runs:
        r = results[key]
        out.row(
            f"D  dlt sql_database pyarrow, {r['file_format']}", r["rows"], r["seconds"], n, r["peak_rss_mb"], cpu(r)
        )
    if "D_error" in results:
        out(f"D  dlt: did not run — {results['D_error']['error']}")
    scale = n / e["rows"]
    label = f"E  pandas read_sql+to_sql (x{scale:.0f} of {e['rows']:,})"
    out.row(
        label, n, e["scaled_seconds"], n, e["peak_rss_mb"], cpu(e) * scale, f"  (RSS measured at {e['rows']:,} rows)"
    )


def _with_key(a: dict) -> float:
    return a["seconds"] + a["steps"]["primary_key"] + a["steps"]["analyze"]


def _ratios(n: int, results: dict, dlt_runs: list[str], out: Report) -> None:
    a, b, c, e = results["A"], results["B"], results["C"], results["E"]
    out("Ratios against the bars")
    ba, ca = a["seconds"] / b["seconds"], a["seconds"] / c["seconds"]
    out(f"  B/A throughput        {ba:6.2f}   bar >= {BARS['B/A']:.2f}   {verdict(ba >= BARS['B/A'])}")
    out(
        f"  C/A throughput        {ca:6.2f}   bar >= {BARS['C/A']:.2f}   {verdict(ca >= BARS['C/A'])}"
        f"   (source rows; by delivered rows: {ca * c['rows'] / n:.2f})"
    )
    for key in dlt_runs:
        bd = results[key]["seconds"] / b["seconds"]
        out(f"  B/{key:<19}{bd:6.2f}   bar >= {BARS['B/D']:.2f}   {verdict(bd >= BARS['B/D'])}")
    if not dlt_runs:
        out("  B/D throughput           n/a   bar >= 3.00   (dlt did not run)")
    out(
        f"  B peak RSS MB       {b['peak_rss_mb']:8.0f}   bar <  {BARS['B_rss_mb']:.0f}    "
        f"{verdict(b['peak_rss_mb'] < BARS['B_rss_mb'])}   (peak through stage: {b['rss']['after_stage'][1]:.0f} MB)"
    )
    out(f"  B/E throughput        {e['scaled_seconds'] / b['seconds']:6.2f}   (no bar)")
    out(
        f"  B/A' throughput       {_with_key(a) / b['seconds']:6.2f}   (no bar: A' builds the key and statistics as B does)"
    )


def profile_b(db: Databases, out_dir: Path) -> None:
    """One more B run under py-spy (not timed): where the engine process spends its CPU."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        log("profile: py-spy not found, skipped")
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    raw = out_dir / "profile_B.txt"
    log(f"profile: B under py-spy -> {raw}")
    checkpoint(db.dst)
    run_child(
        engine_spec(db, *ENGINE_VARIANTS[0], "profile"),
        wrap=[py_spy, "record", "--format", "raw", "--rate", "100", "--idle", "--nonblocking", "-o", str(raw), "--"],
    )
