"""What every part of the benchmark uses: its databases, progress, memory, the results table."""

from __future__ import annotations

import os
import resource
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg

SOURCE_SCHEMA, SOURCE_TABLE, WARM_TABLE = "exchange", "population", "population_warm"

DEFAULT_SERVER = "postgresql://root@127.0.0.1:5432/postgres"

BARS = {
    "B/A": 0.33,
    "C/A": 0.25,
    "B/D": 3.0,
    "B_rss_mb": 300.0,
    "rss_growth": 0.10,
    "incremental_fraction": 0.10,
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def with_db(url: str, dbname: str, driver: str | None = None) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0] + (f"+{driver}" if driver else "")
    return urlunsplit((scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def with_password(url: str) -> str:
    """dlt's postgres credentials insist on a password; under trust auth any will do."""
    parts = urlsplit(url)
    if parts.password is not None or "@" not in parts.netloc:
        return url
    user, host = parts.netloc.rsplit("@", 1)
    return urlunsplit((parts.scheme, f"{user}:unused@{host}", parts.path, parts.query, parts.fragment))


@dataclass(frozen=True)
class Databases:
    """The server (``base``, its postgres database) and the benchmark's two databases on it."""

    base: str
    prefix: str = "gsbench"

    @classmethod
    def on_server(cls, prefix: str) -> Databases:
        """The two databases on the server GOVSHARE_PG_URL names (the devserver's, as the make
        targets set it), else the local one."""
        from govshare.settings import setting

        server = setting("pg_url")
        return cls(server.get_secret_value() if server else DEFAULT_SERVER, prefix)

    @property
    def names(self) -> tuple[str, str]:
        return f"{self.prefix}_src", f"{self.prefix}_dst"

    @property
    def src(self) -> str:
        return with_db(self.base, self.names[0])

    @property
    def dst(self) -> str:
        return with_db(self.base, self.names[1])

    def sqlalchemy(self, which: str, driver: str = "psycopg") -> str:
        return with_db(self.base, self.names[0 if which == "src" else 1], driver)

    def create(self) -> None:
        self.drop()
        admin(self.base, *(f"CREATE DATABASE {name}" for name in self.names))

    def drop(self) -> None:
        admin(self.base, *(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)" for name in self.names))

    def fresh_subscriber(self) -> None:
        dst = self.names[1]
        admin(self.base, f"DROP DATABASE IF EXISTS {dst} WITH (FORCE)", f"CREATE DATABASE {dst}")


def admin(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for s in statements:
            conn.execute(s)


def checkpoint(url: str) -> None:
    """Flush dirty buffers before a run, so no variant pays for the previous one's writes."""
    admin(url, "CHECKPOINT")


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def rate(rows: float, seconds: float) -> float:
    return rows / seconds if seconds else float("nan")


def fmt_steps(steps: dict) -> str:
    return ", ".join(f"{k} {v:.2f}s" for k, v in steps.items())


def describe_rss(rss: dict) -> str:
    return ", ".join(f"{k.removeprefix('after_')} {cur:.0f}/{peak:.0f}" for k, (cur, peak) in rss.items())


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


HEADER = f"{'variant':<44}{'rows':>12}{'time s':>9}{'rows/s':>11}{'peak RSS MB':>13}{'CPU s':>8}"


class Report:
    """The results, printed to stdout as they come (progress goes to stderr)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str = "") -> None:
        self.lines.append(line)
        print(line, flush=True)

    def header(self, first: str = "variant") -> None:
        self(HEADER.replace(f"{'variant':<44}", f"{first:<44}"))
        self("-" * len(HEADER))

    def row(self, label: str, rows: int, seconds: float, per: int, rss=None, cpu=None, note: str = "") -> None:
        """One line: ``per`` is the row count rows/s is reckoned against (the provider's table)."""
        rss_s = f"{rss:.0f}" if rss is not None else "n/a"
        cpu_s = f"{cpu:.1f}" if cpu is not None else "n/a"
        self(f"{label:<44}{rows:>12,}{seconds:>9.2f}{rate(per, seconds):>11,.0f}{rss_s:>13}{cpu_s:>8}{note}")

    def sql(self, entries) -> None:
        for step, seconds, text in entries:
            self(f"    {seconds:7.2f}  {step:<9} {text}")


def cpu(result: dict) -> float:
    return result["cpu_user"] + result["cpu_sys"]


def cores() -> int:
    return os.cpu_count() or 1
