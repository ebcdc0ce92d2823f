"""The incremental and memory scenario (``--incremental``), on a fresh ``--incremental-rows``
table with an index on updated_at and no warm-ups (the generation has just read the table).

B's peak RSS is measured again at this size; then an incremental agreement (watermark
updated_at, overlap 600 s, key_diff deletions) and, for reference, the same without deletions:
first load; round 1, 1 % of rows updated and none deleted (the provider's key count matches,
so key_diff should ship no keys: keys_listed False); round 2, a further 1 % updated and 0.001 %
deleted (keys shipped); an incremental run after each."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from bench.exchange.children import run_child
from bench.exchange.common import (
    BARS,
    SOURCE_SCHEMA,
    SOURCE_TABLE,
    Databases,
    Report,
    admin,
    checkpoint,
    cpu,
    fmt_steps,
    log,
    rate,
    verdict,
)
from bench.exchange.full_copy import engine_spec
from bench.exchange.population import build_provider, fingerprint, mutate

DELETIONS = ("key_diff", "none")
TARGETS = {"key_diff": "population_inc", "none": "population_inc_nd"}
ROUNDS = {
    "upd": {"day": "2025-06-01", "residue": 7, "delete": False},
    "upd+del": {"day": "2025-07-01", "residue": 8, "delete": True},
}


@dataclass
class Runs:
    n: int
    provider: dict
    big: dict = field(default_factory=dict)  # B snapshot at this size
    full: dict[str, dict] = field(default_factory=dict)  # deletions -> first load
    delta: dict[tuple[str, str], dict] = field(default_factory=dict)  # (deletions, round) -> run
    changes: dict[str, dict] = field(default_factory=dict)  # round -> rows updated / deleted
    checks: dict[str, dict] = field(default_factory=dict)  # round -> targets against the provider


def run(args, db: Databases, main: dict | None, out: Report) -> dict:
    runs = Runs(args.incremental_rows, _rebuild(args.incremental_rows, db))
    log(f"INC: B snapshot at {runs.n:,} rows (memory)")
    checkpoint(db.dst)
    runs.big = run_child(engine_spec(db, "B", "BENCH-B", "population_b", "big"))
    log(f"INC: B at {runs.n:,}: {runs.big['seconds']:.2f}s, peak RSS {runs.big['peak_rss_mb']:.0f} MB")
    _first_loads(db, runs)
    for number, name in enumerate(ROUNDS, start=2):
        _round(db, runs, number, name)
    _report(args.rows, runs, main, out)
    return {
        "provider": runs.provider,
        "big": runs.big,
        "full": runs.full,
        "delta": {f"{d}/{r}": v for (d, r), v in runs.delta.items()},
        "changes": runs.changes,
        "checks": runs.checks,
    }


def _rebuild(n: int, db: Databases) -> dict:
    log(f"INC: rebuilding the provider with {n:,} rows (and a fresh subscriber DB)")
    db.fresh_subscriber()
    info = build_provider(db.src, n, 1000)  # no warm-up table needed here
    log(f"INC: generated in {info['seconds']:.1f}s, pg_total_relation_size {info['total_bytes'] / 2**20:,.0f} MB")
    started = time.monotonic()
    admin(db.src, f"CREATE INDEX ON {SOURCE_SCHEMA}.{SOURCE_TABLE} (updated_at)")
    log(f"INC: index on updated_at (the watermark) built in {time.monotonic() - started:.1f}s")
    return info


def _spec(db: Databases, deletions: str, run_id: str) -> dict:
    """The agreement as the issue states it (key-diff deletions), or the same without deletions,
    to tell the cost of finding deleted rows from the cost of the delta itself."""
    agreement = "BENCH-INC" if deletions == "key_diff" else "BENCH-INC-ND"
    spec = engine_spec(db, "INC", agreement, TARGETS[deletions], run_id)
    return {**spec, "run_id": run_id, "deletions": deletions}


def _first_loads(db: Databases, runs: Runs) -> None:
    for deletions in DELETIONS:
        log(f"INC[{deletions}]: first (full) incremental load")
        checkpoint(db.dst)
        first = runs.full[deletions] = run_child(_spec(db, deletions, "bench-inc-1"))
        log(f"INC[{deletions}]: full load {first['seconds']:.2f}s, keys listed {first['keys_listed']}")


def _round(db: Databases, runs: Runs, number: int, name: str) -> None:
    """Change the provider, run both agreements, compare their targets with it. In round 1 the
    provider's key count equals the target's rows after the merge, so key_diff ships no keys."""
    change = runs.changes[name] = mutate(db.src, runs.n, **ROUNDS[name])
    log(f"INC: provider changed ({name}): {change['updated']:,} rows updated, {change['deleted']:,} deleted")
    for deletions in DELETIONS:
        checkpoint(db.dst)
        result = runs.delta[(deletions, name)] = run_child(_spec(db, deletions, f"bench-inc-{number}"))
        log(f"INC[{deletions}]: incremental run ({name}) {result['seconds']:.2f}s, keys listed {result['keys_listed']}")
    provider = fingerprint(db.src, f"{SOURCE_SCHEMA}.{SOURCE_TABLE}")
    runs.checks[name] = {
        "provider_rows": provider[0],
        "key_diff_same": provider == fingerprint(db.dst, f"public.{TARGETS['key_diff']}"),
        "none_extra_rows": fingerprint(db.dst, f"public.{TARGETS['none']}")[0] - provider[0],
    }


def _labelled(runs: Runs) -> tuple[tuple[str, dict], ...]:
    return (
        (f"B snapshot at {runs.n:,}", runs.big),
        ("incremental key_diff: first (full) load", runs.full["key_diff"]),
        ("incremental key_diff: round 1, 1% upd", runs.delta[("key_diff", "upd")]),
        ("incremental key_diff: round 2, 1% upd+dels", runs.delta[("key_diff", "upd+del")]),
        ("incremental no deletions: full load", runs.full["none"]),
        ("incremental no deletions: round 1, 1% upd", runs.delta[("none", "upd")]),
        ("incremental no deletions: round 2, upd+dels", runs.delta[("none", "upd+del")]),
    )


def _report(main_rows: int, runs: Runs, main: dict | None, out: Report) -> None:
    n, changes = runs.n, runs.changes
    out()
    out(
        f"== Incremental and memory scenario: {n:,} source rows ({runs.provider['total_bytes'] / 2**20:,.0f} MB, index on updated_at) =="
    )
    out(
        f"round 1 (upd): {changes['upd']['updated']:,} rows updated, none deleted; round 2 (upd+del): a further "
        f"{changes['upd+del']['updated']:,} updated and {changes['upd+del']['deleted']:,} deleted"
    )
    out.header("run")
    for label, r in _labelled(runs):
        note = f"  keys_listed={r['keys_listed']}" if r.get("keys") is not None else ""
        out(
            f"{label:<44}{r['rows']:>12,}{r['seconds']:>9.2f}{rate(n, r['seconds']):>11,.0f}"
            f"{r['peak_rss_mb']:>13.0f}{cpu(r):>8.1f}{note}"
        )
    _rounds(runs, out)
    out()
    out("Step times")
    for label, r in _labelled(runs):
        out(f"  {label:<44}{fmt_steps(r['steps'])}")
    out()
    _ratios(main_rows, runs, main, out)
    out()
    for deletions, name in runs.delta:
        out(
            f"Slowest SQL statements of the incremental run, deletions={deletions}, round {name} (seconds, step, statement)"
        )
        out.sql(runs.delta[(deletions, name)]["sql"])


def _rounds(runs: Runs, out: Report) -> None:
    deleted_so_far = 0
    for number, name in enumerate(ROUNDS, start=1):
        c, d, k = runs.changes[name], runs.delta[("key_diff", name)], runs.checks[name]
        deleted_so_far += c["deleted"]
        out(f"  round {number} ({name}): provider changed: {c['updated']:,} rows updated, {c['deleted']:,} deleted")
        out(
            f"    key_diff run published rows/merged/deleted: {d['published']}, provider keys {d['keys']:,}, "
            f"keys_listed {d['keys_listed']}, watermark {d['watermark'][0]} -> {d['watermark'][1]}"
        )
        expected = (
            "as it should" if k["none_extra_rows"] == deleted_so_far else f"UNEXPECTED (expected {deleted_so_far:,})"
        )
        out(
            f"    key_diff target equals provider: {k['key_diff_same']}; no-deletions target has "
            f"{k['none_extra_rows']:,} rows the provider deleted, {expected}"
        )


def _ratios(main_rows: int, runs: Runs, main: dict | None, out: Report) -> None:
    big = runs.big
    out("Ratios against the bars")
    if main:
        small = main["B"]["peak_rss_mb"]
        growth = big["peak_rss_mb"] / small - 1
        out(
            f"  B peak RSS {main_rows:,} -> {runs.n:,}: {small:.0f} -> {big['peak_rss_mb']:.0f} MB  growth {growth:+.1%}  "
            f"bar within {BARS['rss_growth']:.0%}   {verdict(abs(growth) <= BARS['rss_growth'])}"
        )
        stage_small, stage_big = main["B"]["rss"]["after_stage"][1], big["rss"]["after_stage"][1]
        out(f"    (peak through stage only: {stage_small:.0f} -> {stage_big:.0f} MB)")
    out(
        f"  B peak RSS at {runs.n:,}: {big['peak_rss_mb']:.0f} MB   bar < {BARS['B_rss_mb']:.0f}   "
        f"{verdict(big['peak_rss_mb'] < BARS['B_rss_mb'])}"
    )
    dels = f"1% upd + {runs.changes['upd+del']['deleted']:,} dels"
    for deletions, name, label in (
        ("key_diff", "upd", "key_diff, round 1 (1% upd)"),
        ("key_diff", "upd+del", f"key_diff, round 2 ({dels})"),
        ("none", "upd", "none, round 1 (1% upd)"),
        ("none", "upd+del", f"none, round 2 ({dels})"),
    ):
        r = runs.delta[(deletions, name)]
        fraction = r["seconds"] / runs.full[deletions]["seconds"]
        listed = f"   keys_listed={r['keys_listed']}" if r.get("keys") is not None else ""
        note = "   (reference: no deletion handling)" if deletions == "none" else ""
        out(
            f"  incremental / full run time, {label:<38}: {fraction:6.1%}   bar <= "
            f"{BARS['incremental_fraction']:.0%}   {verdict(fraction <= BARS['incremental_fraction'])}   "
            f"(vs B snapshot: {r['seconds'] / big['seconds']:.1%}){listed}{note}"
        )
