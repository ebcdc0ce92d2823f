"""Where a database is and how to log in, without ever showing the password."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import URL, make_url


@dataclass(frozen=True)
class DatabaseAddress:
    host: str
    port: int
    dbname: str
    user: str
    password: str | None = field(default=None, repr=False)
    dialect: str = "postgresql"
    # Session limits, in seconds, on a provider's database: any one query, and a wait for a lock.
    # The caller sets them from the platform's settings; the engine reads no environment.
    statement_timeout: int = 3600
    lock_timeout: int = 60

    def conninfo(self, **options: Any) -> str:
        """libpq connection string for psycopg; ``options`` add e.g. ``connect_timeout``."""
        return make_conninfo(
            host=self.host, port=self.port, dbname=self.dbname, user=self.user, password=self.password, **options
        )

    def sqlalchemy_url(self, options: str | None = None) -> URL:
        # A URL object, not a string: its str() hides the password.
        query = {"options": options} if options else {}
        return URL.create("postgresql+psycopg", self.user, self.password, self.host, self.port, self.dbname, query)

    def __str__(self) -> str:
        return f"{self.dialect}://{self.user}@{self.host}:{self.port}/{self.dbname}"

    @classmethod
    def from_url(cls, url: str) -> DatabaseAddress:
        """From a ``postgresql://user:pw@host:port/db`` or ``mysql://…`` URL (tests, benchmarks)."""
        parsed = make_url(url)
        mysql = parsed.get_backend_name() in ("mysql", "mariadb")
        return cls(
            host=parsed.host or "localhost",
            port=parsed.port or (3306 if mysql else 5432),
            dbname=parsed.database or "",
            user=parsed.username or "",
            password=parsed.password,
            dialect="mysql" if mysql else "postgresql",
        )
