"""Task logs of the demo's runs, where Airflow's UI reads them.

``airflow dags test`` runs each task inside its own process and prints the task's log lines
between ``[DAG TEST] starting task_id=…`` and ``[DAG TEST] end task …``, but writes no task
log file, so the UI would show the demo's runs with empty logs. This files each task
attempt's part of that output as the log file Airflow's file task handler reads
(``<base_log_folder>/dag_id=…/run_id=…/task_id=…/attempt=N.log``), one JSON object a line as
Airflow's own task runner writes them (a line it cannot parse is kept as plain text).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

_RUN = re.compile(r"\brun_id=(\S+?)(?:,|\s|$)")
_START = re.compile(r"\[DAG TEST\] starting task_id=(\S+) map_index=(-?\d+)")
_END = re.compile(r"\[DAG TEST\] end task task_id=")
# structlog's console line: 2026-12-02T12:58:24.770959Z [info     ] event [logger] loc=file.py:1 key=value
_LINE = re.compile(
    r"^(?P<timestamp>\d{4}-\d\d-\d\dT\S+Z) \[(?P<level>\w+)\s*\] (?P<event>.*?)"
    r"(?:\s+\[(?P<logger>[a-z_][\w.]*)\](?P<rest>[^\[\]]*))?$"
)
_LOCATION = re.compile(r"\s*\bloc=\S+")


def file_task_logs(output: Path, dag_id: str, base_log_folder: Path) -> list[Path]:
    """Split ``airflow dags test`` output into task log files; returns the files written."""
    run_id, written, current, attempts = None, [], None, {}
    for raw in output.read_text(encoding="utf-8", errors="replace").splitlines():
        if run_id is None and "creating dag run" in raw:
            found = _RUN.search(raw)
            run_id = found.group(1) if found else run_id
        started = _START.search(raw)
        if started and run_id:
            task_id, map_index = started.group(1), int(started.group(2))
            attempts[task_id] = attempts.get(task_id, 0) + 1
            folder = base_log_folder / f"dag_id={dag_id}" / f"run_id={run_id}" / f"task_id={task_id}"
            if map_index >= 0:
                folder /= f"map_index={map_index}"
            folder.mkdir(parents=True, exist_ok=True)
            current = (folder / f"attempt={attempts[task_id]}.log").open("w", encoding="utf-8")
            written.append(Path(current.name))
            continue
        if current is None:
            continue
        if _END.search(raw):
            current.close()
            current = None
            continue
        current.write(_structured(raw) + "\n")
    if current is not None:
        current.close()
    return written


def _structured(line: str) -> str:
    found = _LINE.match(line)
    if not found:
        return line
    fields = found.groupdict()
    rest = _LOCATION.sub("", fields.pop("rest") or "").strip()  # key=value pairs stay with the event
    fields["event"] = f"{fields['event']} {rest}".strip()
    return json.dumps({k: v for k, v in fields.items() if v}, ensure_ascii=False)
