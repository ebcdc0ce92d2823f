"""The PostgreSQL server for `make demo`, `make test` and `make airflow` on a developer machine.

Which server is used, in order:

1. ``GOVSHARE_PG_URL`` if set (an admin URL of a server where govshare may create databases,
   e.g. ``postgresql://postgres:secret@db.local:5432/postgres``);
2. a server already answering on 127.0.0.1:5432 with the current user and no password;
3. otherwise (or always, with ``GOVSHARE_PG_OWN=1``) a real PostgreSQL of the project's own,
   from the ``pgserver`` wheel, with its data in ``GOVSHARE_PGDATA`` (default
   ``.govshare/pgdata``), listening on 127.0.0.1 port ``GOVSHARE_PG_PORT`` (default 54329).
   ``run`` stops it again when its command ends, if it started it.

``python -m govshare.devserver run -- CMD...`` runs CMD with the environment govshare and
Airflow need (registry URL, Airflow home and metadata DB, dags and plugins folders) and
prints where the server came from. CMD runs in a session of its own; when it ends, or is
stopped (Ctrl-C is passed on to it, SIGTERM too; ``GOVSHARE_STOP_GRACE_SECONDS`` later,
SIGKILL), nothing it started is left running (see govshare.processes). Production deployments set these variables themselves
(see docker-compose.yml) and never use this module.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from govshare import processes
from govshare.settings import setting

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".govshare"
PGDATA = setting("pgdata") or STATE / "pgdata"
REGISTRY_DB = "govshare_registry"
AIRFLOW_DB = "govshare_airflow"
SERVICE_USER = "govshare-pg"  # initdb refuses to run as root; the server gets a user of its own


@dataclass(frozen=True)
class Server:
    url: str  # admin URL, database "postgres"
    origin: str  # "configured", "local" or "project"
    started_here: bool = False

    def database_url(self, dbname: str, driver: str = "") -> str:
        url = make_url(self.url).set(database=dbname)
        if driver:
            url = url.set(drivername=f"postgresql+{driver}")
        return url.render_as_string(hide_password=False)


def _answers(url: str) -> str | None:
    """None if the server accepts the URL, else why not."""
    try:
        with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(False), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _port() -> int:
    return setting("pg_port")


def _pgserver():
    """The pgserver wheel's modules (its real PostgreSQL binaries and permission helpers)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs complains about XDG_RUNTIME_DIR on import
        import pgserver._commands
        import pgserver.utils
    return pgserver


def _pg_bin(name: str) -> str:
    return str(_pgserver()._commands.POSTGRES_BIN_PATH / name)


@dataclass(frozen=True)
class LocalServer:
    """A PostgreSQL cluster of the wheel's binaries in ``pgdata``, listening on 127.0.0.1:``port``
    (the project's own one, or a throwaway one in a test)."""

    pgdata: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def running(self) -> bool:
        return _answers(self.url) is None

    def start(self) -> Server:
        if self.running():
            return Server(self.url, "project")
        run_as = self._as_service_user()
        if not (self.pgdata / "PG_VERSION").exists():
            print(f"govshare: creating a PostgreSQL cluster in {self.pgdata}", file=sys.stderr)
            initdb = [
                _pg_bin("initdb"),
                "-D",
                str(self.pgdata),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ]
            subprocess.run(initdb, check=True, stdout=subprocess.DEVNULL, **run_as)
        log = self.pgdata.parent / f"{self.pgdata.name}.log"
        if run_as:
            log.touch()
            shutil.chown(log, SERVICE_USER)
        options = f"-h 127.0.0.1 -p {self.port} -k {self.pgdata}"
        start = [_pg_bin("pg_ctl"), "-D", str(self.pgdata), "-l", str(log), "-w", "-t", "60", "start", "-o", options]
        if subprocess.run(start, stdout=subprocess.DEVNULL, **run_as).returncode:
            said = log.read_text(errors="replace").strip().splitlines()[-5:]
            raise SystemExit(
                f"govshare: PostgreSQL did not start on 127.0.0.1:{self.port}; its log {log} ends:\n  "
                + "\n  ".join(said)
                + "\nIf another program holds the port, choose another with GOVSHARE_PG_PORT."
            )
        for _ in range(50):
            if self.running():
                break
            time.sleep(0.2)
        print(f"govshare: started the project's PostgreSQL on 127.0.0.1:{self.port} (log: {log})", file=sys.stderr)
        return Server(self.url, "project", started_here=True)

    def stop(self) -> None:
        if not (self.pgdata / "postmaster.pid").exists():
            return
        stop = [_pg_bin("pg_ctl"), "-D", str(self.pgdata), "-m", "fast", "-w", "stop"]
        subprocess.run(stop, check=False, stdout=subprocess.DEVNULL, **self._as_service_user())
        print("govshare: stopped the project's PostgreSQL", file=sys.stderr)

    def _as_service_user(self) -> dict:
        """subprocess arguments running the server as an unprivileged user when we are root."""
        if os.geteuid() != 0:
            return {}
        utils, binaries = _pgserver().utils, _pgserver()._commands.POSTGRES_BIN_PATH
        utils.ensure_user_exists(SERVICE_USER)
        self.pgdata.mkdir(parents=True, exist_ok=True)
        utils.ensure_prefix_permissions(self.pgdata)
        utils.ensure_prefix_permissions(binaries)
        utils.ensure_folder_permissions(binaries, 0o555)
        utils.ensure_folder_permissions(binaries.parent / "lib", 0o444)
        shutil.chown(self.pgdata, SERVICE_USER)
        return {"user": SERVICE_USER}


def project_server() -> LocalServer:
    return LocalServer(PGDATA, _port())


def find_or_start() -> Server:
    if url := setting("pg_url"):
        configured = url.get_secret_value()
        why = _answers(configured)
        if why:
            raise SystemExit(f"govshare: GOVSHARE_PG_URL is set but its server does not answer: {why}")
        return Server(configured, "configured")
    local = f"postgresql://{getpass.getuser()}@127.0.0.1:5432/postgres"
    if not setting("pg_own") and _answers(local) is None:
        return Server(local, "local")
    return project_server().start()


def ensure_database(server: Server, dbname: str) -> bool:
    """Create ``dbname`` if missing; True if it was created."""
    with psycopg.connect(server.database_url("postgres", ""), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
        return True


def task_slots() -> int:
    """How many tasks this machine runs at once: two per core (a delivery task mostly waits for
    its databases, which run on the same machine). Airflow's default of 32 means 32 worker
    processes of ~150 MB each under the LocalExecutor, whatever the machine."""
    return max(2, 2 * (os.cpu_count() or 1))


def environment(server: Server) -> dict[str, str]:
    """Variables for govshare and Airflow on this server (existing ones are kept)."""
    airflow_home = STATE / "airflow"
    airflow_home.mkdir(parents=True, exist_ok=True)
    wanted = {
        "GOVSHARE_PG_URL": server.url,
        "GOVSHARE_REGISTRY_URL": server.database_url(REGISTRY_DB, "psycopg"),
        "GOVSHARE_HOME": str(ROOT),
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": server.database_url(AIRFLOW_DB, "psycopg"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Shanghai",
        "AIRFLOW__CORE__PARALLELISM": str(task_slots()),
        # An activated agreement's DAG appears within half a minute (by default Airflow looks for new ones every 5 minutes).
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "15",
    }
    return {**wanted, **{k: v for k, v in os.environ.items() if k in wanted and k != "GOVSHARE_PG_URL"}}


class Terminated(SystemExit):
    """A SIGTERM (a cancelled job, ``kill``), turned into an exception so that the command is
    stopped and the project's own server too, on the way out through ``finally``."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(128 + signum)


def _terminated(signum, _frame) -> None:
    raise Terminated(signum)


def stop_grace() -> float:
    """Seconds a stopped command has to end by itself before it is killed (``GOVSHARE_STOP_GRACE_SECONDS``,
    default 60: enough for a test run to tear down the Airflow processes it started)."""
    return setting("stop_grace_seconds")


def run(command: list[str]) -> int:
    signal.signal(signal.SIGTERM, _terminated)
    server = find_or_start()
    where = {
        "configured": "GOVSHARE_PG_URL",
        "local": "the local server on 127.0.0.1:5432",
        "project": f"the project's own server ({PGDATA})",
    }[server.origin]
    print(f"govshare: using PostgreSQL from {where}", file=sys.stderr)
    child = None
    try:
        ensure_database(server, REGISTRY_DB)
        ensure_database(server, AIRFLOW_DB)
        env = {**os.environ, **environment(server)}
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        # In a session of its own, so that stopping it reaches everything it started (airflow
        # standalone's scheduler and its LocalExecutor workers, a test's Airflow processes);
        # and what it orphans comes to us (after the server's start: pg_ctl orphans PostgreSQL).
        processes.adopt_orphans()
        child = processes.start("command", command, env)
        try:
            while child.poll() is None:
                time.sleep(0.5)
                processes.reap(keep=[child])
            return child.poll()
        except KeyboardInterrupt:
            # Ctrl-C reached us, not the command (its own session): pass it on, so that it
            # stops as it would in the foreground (pytest tears its fixtures down).
            _stop(child, signal.SIGINT)
            return 130
        except Terminated as exc:
            _stop(child, exc.signum)
            raise
    finally:
        if child is not None:
            _stop(child, signal.SIGTERM)  # also after a normal exit: nothing it started outlives it
        if server.started_here:
            project_server().stop()


def _stop(child: processes.Started, signum: int) -> None:
    try:
        processes.stop([child], signum, stop_grace())
        processes.stop_strays(signum, stop_grace())
    except KeyboardInterrupt:  # Ctrl-C again while waiting: no more waiting
        processes.kill(child)
        processes.stop_strays(signal.SIGKILL, 0)


def main(argv: list[str]) -> int:
    if argv[:1] == ["run"] and "--" in argv:
        return run(argv[argv.index("--") + 1 :])
    if argv[:1] == ["stop"]:
        project_server().stop()
        return 0
    if argv[:1] == ["start"]:
        server = project_server().start()
        print(server.url)
        return 0
    print("usage: python -m govshare.devserver run -- COMMAND... | start | stop", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
