"""Benchmark of the exchange engine against anchors, side by side in one run.

    .venv/bin/python -m bench.exchange                 # 2 M rows
    .venv/bin/python -m bench.exchange --incremental   # + 10 M memory and incremental scenario

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

--incremental adds the incremental and memory scenario (see bench/exchange/incremental.py).

B, C, D and E run in a child process each (``-m bench.exchange --child``), so the peak RSS
(os.wait4's ru_maxrss) belongs to that variant alone. Progress goes to stderr, the results
tables to stdout. The databases gsbench_src and gsbench_dst (--db-prefix) are created on the server of
GOVSHARE_PG_URL (default postgresql://root@127.0.0.1:5432/postgres) and dropped at the end
unless --keep. Nothing here changes the engine: it is imported and called as the DAG tasks do.

Modules: common (databases, progress, the results table), population (the provider's table),
pipe (variant A), children (the variants that run in a process of their own), full_copy (the
main scenario), incremental (the incremental and memory scenario), __main__ (the command).
"""
