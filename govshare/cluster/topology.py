"""Start, watch and stop the components of a CeleryExecutor cluster on one machine.

``Cluster(workers=2).start()`` migrates Airflow's metadata DB and the registry, finds
or starts the Redis broker, starts the api-server, scheduler, dag-processor, triggerer and the
workers — each in a process group of its own, its output in ``logs/cluster/<name>.log`` beside
``AIRFLOW_HOME`` — and returns once the api-server reports the others healthy and every
worker answers Celery's ping. ``stop()`` stops them in the order that lets each finish
cleanly (workers, whose tasks report to the api-server, first; the api-server and a broker
started here last), every process they started included.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from govshare import processes
from govshare.cluster import broker as brokers
from govshare.cluster import settings
from govshare.errors import ClusterFailed
from govshare.settings import setting

# The order of stopping: each stage only after the one before it has ended.
WORKERS, SERVICES, API = 0, 1, 2
HEALTHY = ("metadatabase", "scheduler", "triggerer", "dag_processor")


@dataclass
class Component:
    name: str  # also its log file's name
    command: list[str]
    env: dict[str, str]
    stage: int
    started: processes.Started | None = None

    @property
    def log(self) -> Path | None:
        return self.started.log if self.started else None

    def running(self) -> bool:
        return self.started is not None and self.started.poll() is None

    def memory(self) -> int:
        """Bytes of memory of the component with all its processes (PSS: pages shared between
        processes are split among them, so the sum over components is what the machine gives)."""
        total = 0
        for process in processes.remaining(self.started) if self.started else []:
            try:
                total += process.memory_full_info().pss
            except psutil.Error:
                pass
        return total


def start_timeout(env: Mapping[str, str]) -> float:
    """Seconds the components get to become ready (``GOVSHARE_CLUSTER_START_TIMEOUT``, default 600:
    a 2-core machine imports Airflow six times at once)."""
    return setting("cluster_start_timeout", env)


class Cluster:
    """The components on this machine. ``env`` is the environment to start from (the devserver
    one: AIRFLOW_HOME, Airflow's metadata DB, the registry, connections as AIRFLOW_CONN_*)."""

    def __init__(self, workers: int = 2, api_port: int | None = None, env: Mapping[str, str] | None = None):
        if workers < 1:
            raise ClusterFailed(f"a cluster needs at least one worker, not {workers}")
        self.base = dict(os.environ if env is None else env)
        self.airflow_home = Path(self.base["AIRFLOW_HOME"])
        self.state = self.airflow_home.parent
        self.logs = self.state / "logs" / "cluster"
        self.workers = workers
        self.api_port = api_port or _api_port(self.base)
        # A component stops faster than a test run tears down: 20 s unless the setting says otherwise.
        self.grace = setting("stop_grace_seconds", self.base) if self.base.get("GOVSHARE_STOP_GRACE_SECONDS") else 20.0
        self.broker: brokers.Broker | None = None
        self.concurrency = 0  # tasks per worker, once started
        self.components: list[Component] = []

    @property
    def url(self) -> str:
        return f"http://localhost:{self.api_port}"

    @property
    def passwords_file(self) -> Path:
        """Where the api-server writes the UI users' generated passwords (simple auth manager)."""
        return self.airflow_home / "simple_auth_manager_passwords.json.generated"

    @property
    def worker_names(self) -> list[str]:
        return [c.env[settings.WORKER_NAME] for c in self.components if c.stage == WORKERS]

    def start(self, timeout: float | None = None) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        self._migrate()
        self.broker = brokers.find_or_start(self.state, self.base)
        self.concurrency = settings.worker_concurrency(self.base, self.workers)
        taken = self.joined()
        if taken:
            raise ClusterFailed(
                f"Celery workers already listen on the broker {safe_url(self.broker.url)}: {', '.join(taken)} "
                "(another cluster?)",
                f"stop it, or give this cluster a Redis database of its own: {brokers.URL}=redis://127.0.0.1:6379/1",
            )
        env = settings.environment(
            self.base,
            broker_url=self.broker.url,
            api_port=self.api_port,
            workers=self.workers,
            secrets=settings.Secrets.load_or_create(self.airflow_home),
        )
        airflow = [sys.executable, "-m", "airflow"]
        self.components = [
            Component("api-server", [*airflow, "api-server", "--port", str(self.api_port)], env, API),
            Component("scheduler", [*airflow, "scheduler"], env, SERVICES),
            Component("dag-processor", [*airflow, "dag-processor"], env, SERVICES),
            Component("triggerer", [*airflow, "triggerer"], env, SERVICES),
        ]
        for index in range(1, self.workers + 1):
            name, worker_env = settings.worker(env, index)
            command = [*airflow, "celery", "worker", "--celery-hostname", name]
            self.components.append(Component(f"worker-{index}", command, worker_env, WORKERS))
        for component in self.components:
            log = self.logs / f"{component.name}.log"
            log.write_text("")  # this run's output only
            component.started = processes.start(component.name, component.command, component.env, log)
        self._wait_until_ready(start_timeout(self.base) if timeout is None else timeout)

    def stop(self, grace: float | None = None) -> None:
        """Stop every component and what it started, each stage given ``grace`` seconds (default
        ``GOVSHARE_STOP_GRACE_SECONDS`` or 20) before SIGKILL; safe to call twice, or after a
        failed start."""
        grace = self.grace if grace is None else grace
        for stage in (WORKERS, SERVICES, API):
            started = [c.started for c in self.components if c.stage == stage and c.started]
            processes.stop(started, signal.SIGTERM, grace)
        if self.broker is not None and self.broker.server is not None:
            processes.stop([self.broker.server], signal.SIGTERM, grace)

    def kill(self, name: str) -> None:
        """SIGKILL a component and every process it started, the way a machine dies."""
        processes.kill(self.component(name).started)

    def component(self, name: str) -> Component:
        for component in self.components:
            if component.name == name or component.env.get(settings.WORKER_NAME) == name:
                return component
        raise KeyError(name)

    def stopped(self) -> list[Component]:
        """Components that have ended (by themselves, or killed)."""
        return [c for c in self.components if c.started and not c.running()]

    def health(self) -> dict:
        """The api-server's view of the scheduler, triggerer and dag-processor (their heartbeats)."""
        response = httpx.get(f"http://127.0.0.1:{self.api_port}/api/v2/monitor/health", timeout=5)
        response.raise_for_status()
        return response.json()

    def joined(self, timeout: float = 1.0) -> list[str]:
        """The Celery workers answering a ping on this cluster's broker, by node name."""
        from celery import Celery

        app = Celery(broker=self.broker.url)
        try:
            return sorted((app.control.inspect(timeout=timeout).ping() or {}).keys())
        finally:
            app.close()

    def _migrate(self) -> None:
        """Both schemas up to date before anything starts (docker-compose.yml's airflow-init),
        and no scheduler already on them."""
        log = self.logs / "db-migrate.log"
        with log.open("w") as out:
            done = subprocess.run(
                [sys.executable, "-m", "airflow", "db", "migrate"], env=self.base, stdout=out, stderr=out
            )
        if done.returncode != 0:
            raise ClusterFailed("`airflow db migrate` failed", f"see {log}")
        from govshare.registry.migrate import upgrade

        logging.getLogger("alembic").setLevel(logging.WARNING)
        upgrade(self.base["GOVSHARE_REGISTRY_URL"])
        alive = subprocess.run(
            [sys.executable, "-m", "airflow", "jobs", "check", "--job-type", "SchedulerJob"],
            env=self.base,
            capture_output=True,
        )
        if alive.returncode == 0:
            raise ClusterFailed(
                "a scheduler is already running on this Airflow metadata DB (`make airflow`, or another cluster?)",
                "stop it first: two schedulers of different executors on one metadata DB would share its tasks",
            )

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        waiting_for = "the api-server"
        while time.monotonic() < deadline:
            for component in self.stopped():
                raise ClusterFailed(
                    f"{component.name} exited with {component.started.poll()} while the cluster was starting",
                    f"the end of its log ({component.log}):\n{_tail(component.log)}",
                )
            try:
                health = self.health()
            except (httpx.HTTPError, ValueError):
                time.sleep(1)
                continue
            unhealthy = [name for name in HEALTHY if health.get(name, {}).get("status") != "healthy"]
            missing = sorted(set(self.worker_names) - set(self.joined()))
            if not unhealthy and not missing:
                return
            waiting_for = ", ".join([*(n.replace("_", "-") for n in unhealthy), *missing])
            time.sleep(1)
        raise ClusterFailed(
            f"the cluster was not ready after {timeout:.0f}s: still waiting for {waiting_for}",
            f"see the logs in {self.logs} (GOVSHARE_CLUSTER_START_TIMEOUT gives it longer)",
        )


class PeakMemory:
    """Each component's highest memory (``Component.memory``) while the block runs, sampled
    every ``every`` seconds in a thread of its own."""

    def __init__(self, cluster: Cluster, every: float = 3.0):
        self.cluster, self.every = cluster, every
        self.peak: dict[str, int] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._done.wait(self.every):
            for component in self.cluster.components:
                if component.running():
                    self.peak[component.name] = max(self.peak.get(component.name, 0), component.memory())


def shutdown(cluster: Cluster) -> None:
    """Stop the cluster on the way out of a command: a second SIGTERM changes nothing (it is
    stopping already), a second Ctrl-C kills what is left at once."""
    from govshare.terminal import console

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        cluster.stop()
    except KeyboardInterrupt:
        console.print("killing the rest at once …")
        cluster.stop(grace=0)
    console.print("cluster stopped: every process it started has ended")


def _api_port(env: Mapping[str, str]) -> int:
    """GOVSHARE_API_PORT, else 8080 as `make airflow` uses, else (8080 taken) a free port."""
    if configured := setting("api_port", env):
        return configured
    import socket

    with socket.socket() as probe:
        try:
            probe.bind(("0.0.0.0", 8080))
            return 8080
        except OSError:
            return settings.free_port()


def safe_url(url: str) -> str:
    """A broker URL without its password, for messages."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.rpartition('@')[2]}" if "@" in rest else url


def _tail(log: Path | None, lines: int = 25) -> str:
    if log is None or not log.exists():
        return "(no log)"
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
