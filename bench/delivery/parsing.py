"""The DAG file with many active agreements: what the dag-processor pays to parse and serialise
it, and what a task pays to build its own DAG alone (the parsing context Airflow sets in a task
process). Each figure is taken in a fresh process, after its imports, three times."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

from bench.delivery import install
from bench.exchange.common import admin, log, with_db

DAG_FILE = install.ROOT / "dags" / "sharing_agreements.py"


def report(count: int) -> list[str]:
    """The figures' lines (printed at the end, above the ratios)."""
    db = install.databases()
    name = install.own("parse")
    admin(db.base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}")
    url = with_db(db.base, name, "psycopg")
    log(f"filing {count:,} active agreements")
    first = install.file_agreement(url, count)
    env = {**os.environ, "GOVSHARE_REGISTRY_URL": url}
    figures: dict[str, list[float]] = {"parse": [], "parse+serialise": [], "one DAG": []}
    for _ in range(3):
        for what in figures:
            child_env = {**env, "_AIRFLOW_PARSING_CONTEXT_DAG_ID": first} if what == "one DAG" else env
            done = subprocess.run(
                [sys.executable, "-m", "bench.delivery.parsing", what],
                env=child_env,
                capture_output=True,
                text=True,
                cwd=install.ROOT,
            )
            if done.returncode:
                raise SystemExit(f"timing '{what}' failed:\n{done.stderr[-3000:]}")
            result = json.loads(done.stdout.strip().splitlines()[-1])
            figures[what].append(result["seconds"])
            log(f"{what}: {result['seconds']:.3f} s ({result['dags']} DAGs)")
    return [
        f"\n== the DAG file with {count:,} active agreements (seconds, min/median of 3 fresh processes) ==",
        *(f"{what:<18}{min(seconds):>8.3f}{statistics.median(seconds):>8.3f}" for what, seconds in figures.items()),
        f"parse_serialise_s={min(figures['parse+serialise']):.2f} (bar 4) one_dag_s={min(figures['one DAG']):.3f} (bar 0.3)",
    ]


def child(what: str) -> dict:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.serialization.serialized_objects import LazyDeserializedDAG

    import govshare.airflow.dag_factory  # noqa: F401  (imports are not what is timed)

    started = time.monotonic()
    bag = DagBag(dag_folder=str(DAG_FILE), safe_mode=False)
    if bag.import_errors:
        raise SystemExit(f"the DAG file did not import: {bag.import_errors}")
    if what == "parse+serialise":
        for dag in bag.dags.values():
            LazyDeserializedDAG.from_dag(dag)
    return {"seconds": time.monotonic() - started, "dags": len(bag.dags)}


if __name__ == "__main__":
    print(json.dumps(child(sys.argv[1])))
