"""The cluster's Celery broker: a Redis server, found or started.

In order: ``GOVSHARE_REDIS_URL`` if set (it must answer); a Redis on 127.0.0.1:6379 if one
answers; else a ``redis-server`` binary from PATH, started on a free port with its files in
the state folder (and stopped with the cluster); else a clear error saying what to install.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import redis

from govshare import processes
from govshare.cluster.settings import free_port
from govshare.errors import ConfigurationError
from govshare.settings import setting

URL = "GOVSHARE_REDIS_URL"
LOCAL = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class Broker:
    url: str
    origin: str  # "configured", "local" or "started"
    server: processes.Started | None = None  # the redis-server started here, if one was


def answers(url: str) -> str | None:
    """None if a Redis answers PING at ``url``, else why not."""
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2) as client:
            client.ping()
        return None
    except redis.RedisError as exc:
        return str(exc) or type(exc).__name__


def find_or_start(state: Path, env: Mapping[str, str]) -> Broker:
    """The broker for a cluster whose environment is ``env``, with its state folder ``state``."""
    url = setting("redis_url", env)
    if url:
        configured = url.get_secret_value()
        why = answers(configured)
        if why:
            raise ConfigurationError(f"{URL} is set but no Redis answers there: {why}", f"start it, or unset {URL}")
        return Broker(configured, "configured")
    if answers(LOCAL) is None:
        return Broker(LOCAL, "local")
    return start_own(state, env)


def start_own(state: Path, env: Mapping[str, str]) -> Broker:
    binary = shutil.which("redis-server", path=env.get("PATH"))
    if binary is None:
        raise ConfigurationError(
            f"the cluster needs Redis as its Celery broker: none answers on 127.0.0.1:6379, {URL} is not set, "
            "and there is no redis-server on PATH",
            "install Redis (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis), "
            f"or set {URL}=redis://host:6379/0",
        )
    folder = state / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    # Only the broker's queues live here, and they are rebuilt from Airflow's metadata DB:
    # nothing to persist, and no snapshot file to write on a small disk.
    command = [
        binary,
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--dir",
        str(folder),
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    server = processes.start("redis", command, env, log=folder / "redis.log")
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        if answers(url) is None:
            return Broker(url, "started", server)
        if server.poll() is not None:
            break
        time.sleep(0.1)
    processes.stop([server], grace=5)
    raise ConfigurationError(f"{binary} did not start on port {port}", f"see {folder / 'redis.log'}")
