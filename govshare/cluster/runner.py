"""A DAG runner for the demo that runs each DAG through a cluster's scheduler.

``ClusterRunner(url, passwords_file).start(dag_id, log)`` waits until the dag-processor has
parsed the DAG (an agreement's DAG appears only after its activation, at the next parse),
triggers a run through the api-server's REST API and returns at once; ``poll()`` follows the
run until it ends. The log says when the run was triggered, how its state moved, which worker
ran each try of each task, and then each try's task log as the api-server serves it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from govshare.errors import RunFailed
from govshare.settings import setting

ENDED = {"success": 0, "failed": 1}


@dataclass(frozen=True)
class Attempt:
    """One try of one task instance, as Airflow recorded it."""

    task_id: str
    try_number: int
    state: str | None
    hostname: str  # the worker that ran it (its Celery node name under `make cluster`)


class Api:
    """The api-server's REST API with a token of a UI user (simple auth manager), renewed when it expires."""

    def __init__(self, url: str, passwords_file: Path, user: str = "admin"):
        self.url = url.rstrip("/")
        self.passwords_file = passwords_file
        self.user = user
        self._token: str | None = None
        self.client = httpx.Client(base_url=self.url, timeout=30)

    def _login(self) -> str:
        if not self.passwords_file.exists():
            raise RunFailed(f"no UI passwords at {self.passwords_file}", "is the api-server of this cluster running?")
        password = json.loads(self.passwords_file.read_text())[self.user]
        response = self.client.post("/auth/token", json={"username": self.user, "password": password})
        if response.status_code >= 400:
            raise RunFailed(f"the api-server refused a token for {self.user}: HTTP {response.status_code}")
        return response.json()["access_token"]

    def request(self, method: str, path: str, headers: dict | None = None, **kwargs) -> httpx.Response:
        for attempt in range(2):
            if self._token is None:
                self._token = self._login()
            sent = {"Authorization": f"Bearer {self._token}", **(headers or {})}
            response = self.client.request(method, path, headers=sent, **kwargs)
            if response.status_code != 401 or attempt:
                return response
            self._token = None  # expired: log in again once
        return response

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.request("GET", path, **kwargs)


class ClusterRun:
    """A DAG run under way on the cluster; ``poll()`` is None until it ends, then 0 (success) or
    1 (failed), or 2 when it did not end within the run timeout."""

    def __init__(self, api: Api, dag_id: str, run_id: str, log: Path, timeout: float):
        self.api, self.dag_id, self.run_id, self.log = api, dag_id, run_id, log
        self.state: str | None = "queued"
        self.attempts: list[Attempt] = []
        self._deadline = time.monotonic() + timeout
        self._checked = 0.0
        self._code: int | None = None

    @property
    def path(self) -> str:
        return f"/api/v2/dags/{self.dag_id}/dagRuns/{self.run_id}"

    def poll(self) -> int | None:
        if self._code is not None:
            return self._code
        if time.monotonic() - self._checked < 2:  # the demo polls twice a second; the API need not hear it
            return None
        self._checked = time.monotonic()
        try:
            response = self.api.get(self.path)
            state = response.json().get("state") if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError) as exc:
            state = None
            self._note(f"could not read the run's state: {type(exc).__name__}: {exc}")
        if state and state != self.state:
            self._note(f"run {state}")
            self.state = state
        if state in ENDED:
            self._finish(ENDED[state])
        elif time.monotonic() > self._deadline:
            self._note("gave up waiting for the run to end (GOVSHARE_RUN_TIMEOUT)")
            self._finish(2)
        return self._code

    def wait(self) -> int:
        while self.poll() is None:
            time.sleep(1)
        return self._code

    def _note(self, line: str) -> None:
        with self.log.open("a") as out:
            out.write(f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}  {line}\n")

    def _finish(self, code: int) -> None:
        self._code = code
        try:
            self.attempts = self._attempts()
            with self.log.open("a") as out:
                out.write("\ntask instances (try, state, worker):\n")
                for a in self.attempts:
                    out.write(f"  {a.task_id:<10} try {a.try_number}  {a.state or '-':<16} {a.hostname or '-'}\n")
                for a in self.attempts:
                    out.write(f"\n===== {a.task_id}, try {a.try_number}, on {a.hostname or '-'} =====\n")
                    out.write(self._task_log(a))
        except (httpx.HTTPError, ValueError) as exc:
            self._note(f"could not read the task instances: {type(exc).__name__}: {exc}")

    def _attempts(self) -> list[Attempt]:
        listed = self.api.get(f"{self.path}/taskInstances").json()["task_instances"]
        attempts = []
        for ti in sorted(listed, key=lambda t: t.get("start_date") or "9999"):
            tries = self.api.get(f"{self.path}/taskInstances/{ti['task_id']}/tries").json()["task_instances"]
            for one in sorted(tries, key=lambda t: t["try_number"]):
                attempts.append(Attempt(one["task_id"], one["try_number"], one.get("state"), one.get("hostname") or ""))
        return attempts

    def _task_log(self, attempt: Attempt) -> str:
        response = self.api.get(
            f"{self.path}/taskInstances/{attempt.task_id}/logs/{attempt.try_number}",
            params={"full_content": "true"},
            headers={"Accept": "application/json"},
        )
        if response.status_code != 200:
            return f"(no log: HTTP {response.status_code})\n"
        lines = []
        for entry in response.json().get("content", []):
            if isinstance(entry, str):
                lines.append(entry)
            elif entry.get("event", "").startswith("::"):  # the UI's group markers
                continue
            else:
                stamp = entry.get("timestamp", "")
                lines.append(f"{stamp} {entry.get('level', '')} {entry.get('event', '')}".strip())
        return "\n".join(lines) + "\n"


class ClusterRunner:
    """Runs DAGs through the cluster whose api-server is at ``url``; every run started is kept
    in ``runs`` (for the demo's table of which worker ran what)."""

    def __init__(self, url: str, passwords_file: Path, user: str = "admin"):
        self.api = Api(url, passwords_file, user)
        # A newly activated agreement's DAG needs the dag-processor's next parse (30 s apart).
        self.parse_timeout = setting("dag_parse_timeout")
        self.run_timeout = setting("run_timeout")
        self.runs: list[ClusterRun] = []

    def start(self, dag_id: str, log: Path) -> ClusterRun:
        log.write_text("")
        waited = self.wait_for_dag(dag_id)
        # A logical date, as `airflow dags test` gives one: the platform DAGs' runs then cover
        # the interval before it, like scheduled ones.
        body = {"logical_date": datetime.now(UTC).isoformat()}
        response = self.api.request("POST", f"/api/v2/dags/{dag_id}/dagRuns", json=body)
        if response.status_code >= 400:
            raise RunFailed(f"the api-server refused to trigger {dag_id}: HTTP {response.status_code}: {response.text}")
        run = ClusterRun(self.api, dag_id, response.json()["dag_run_id"], log, self.run_timeout)
        run._note(f"{dag_id} parsed (waited {waited:.0f}s); triggered run {run.run_id} through {self.api.url}")
        self.runs.append(run)
        return run

    def wait_for_dag(self, dag_id: str) -> float:
        """Seconds it took the DAG to be there, parsed without import errors and not paused."""
        started = time.monotonic()
        while True:
            response = self.api.get(f"/api/v2/dags/{dag_id}")
            if response.status_code == 200:
                dag = response.json()
                if dag.get("is_paused"):
                    raise RunFailed(f"{dag_id} is paused in Airflow", "unpause it in the UI, or: airflow dags unpause")
                if not dag.get("is_stale") and not dag.get("has_import_errors"):
                    return time.monotonic() - started
            if time.monotonic() - started > self.parse_timeout:
                raise RunFailed(
                    f"{dag_id} was not parsed by the cluster's dag-processor within {self.parse_timeout:.0f}s",
                    f"import errors: {self._import_errors()}; see the dag-processor's log "
                    "(GOVSHARE_DAG_PARSE_TIMEOUT gives it longer)",
                )
            time.sleep(2)

    def _import_errors(self) -> str:
        try:
            errors = self.api.get("/api/v2/importErrors").json().get("import_errors", [])
        except (httpx.HTTPError, ValueError):
            return "unknown (the api-server did not answer)"
        return "; ".join(f"{e['filename']}: {e['stack_trace'].strip().splitlines()[-1]}" for e in errors) or "none"
