"""A delivery through Airflow, measured against what it costs to move its rows and what Airflow
itself costs: what a user of the platform gets, not the engine alone.

    make bench                                    # 20,000, 2 M and 10 M rows, then 1,000 agreements parsed
    .venv/bin/python -m govshare.devserver run -- .venv/bin/python -m bench.delivery --rows 2000000

For each size the provider's population register (bench/exchange/population.py: deterministic,
about 170 bytes a row) is built in a front database, and an active agreement delivers all nine
items of it with the resource's shipped suite (include/quality) into a subscriber database —
a snapshot, phone and address masked by their defaults — through Airflow in two ways:

  dags test   ``airflow dags test AGR-…``: one process runs the DAG's tasks in line
  scheduler   a real CeleryExecutor cluster (govshare.cluster): scheduler, dag-processor,
              api-server, one worker; the run triggered through the REST API

Interleaved with them, round after round (``--repeat``, at least 3): the raw pipe (``psql COPY
… (FORMAT binary) | psql COPY …``, bench/exchange/pipe.py) and Airflow's floor, a DAG of the same
tasks in the same order that do nothing (floor_dag.py), run the same two ways.

Printed per size: each run's wall time, each task's duration (Airflow's own start and end), each
task process's peak RSS (VmHWM: the dags-test process as a whole; under the scheduler, each task
runner process, read from /proc while it runs); min and median of each; and a last line of
ratios, from the scheduler runs (the dags-test ones on the line before it):

    data/pipe=…   (stage + check + publish task time) / pipe          bars: 2 M ≤ 2.0, 10 M ≤ 1.6
    fixed/floor=… (the run's wall time − data) / the floor run's wall time
    check/pipe=…  the check task / pipe                                bar:  2 M ≤ 1.0
    small/floor=… the smallest size's whole run / the floor run        bar:  20,000 rows ≤ 1.3
    rss_max_mb=…  the largest task process                             bar:  < 300

``--parse 1000`` times the DAG file with that many active agreements: a DagBag parse, the
same with every DAG serialised as the dag-processor does, and one DAG under the parsing context
a task sets (bars 4 s and 0.3 s). Ratios are of mins, then of medians, from runs side by side
on the same machine, so what else the machine does weighs on both.

Everything lives in databases of its own (gsdeliv_*, dropped at the end unless ``--keep``) and
in .govshare/bench-delivery: the registry, Airflow's metadata DB and home, the dags folder.

Modules: install (databases, register, registry, Airflow), runs (one run of each kind, read
back from Airflow's metadata), memory (task processes' peak RSS), parsing (--parse),
floor_dag (the floor), __main__ (the command).
"""
