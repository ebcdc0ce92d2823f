"""Variant A, the limit: psql COPY (FORMAT binary) piped into psql COPY, no Python in between."""

from __future__ import annotations

import os
import shlex
import subprocess
import time

import psycopg

from bench.exchange.common import SOURCE_SCHEMA, checkpoint
from bench.exchange.population import NAMES


def variant_a(src: str, dst: str, table: str) -> dict:
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
