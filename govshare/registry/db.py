"""Connections to the registry database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from govshare import settings


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    # pool_pre_ping: Airflow workers live long and the registry may restart under them.
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})


@contextmanager
def session(url: str | None = None) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    with Session(engine_for(url or settings.registry_url()), expire_on_commit=False) as s, s.begin():
        yield s
