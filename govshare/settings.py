"""Where govshare finds its registry and its configuration files.

Everything comes from the environment so the same code runs on a laptop, in CI and in the
docker-compose deployment:

``GOVSHARE_REGISTRY_URL``
    SQLAlchemy URL of the registry database (``postgresql+psycopg://user@host:port/db``).
    Required by every command that reads or writes the registry.
``GOVSHARE_HOME``
    Folder holding ``include/`` (catalogue and quality suites). Defaults to the checkout the
    package was imported from, or the current directory when installed elsewhere.
``GOVSHARE_CATALOG_DIR`` / ``GOVSHARE_QUALITY_DIR``
    Override the two folders individually (tests point them at fixtures).
``GOVSHARE_RETRY_DELAY_SECONDS``
    The wait before an agreement DAG's failed task runs again (default 120; it doubles for the
    next try). Read when the DAG file is parsed, so set it on the dag-processor and the workers.
``GOVSHARE_PROVIDER_STATEMENT_TIMEOUT`` / ``GOVSHARE_PROVIDER_LOCK_TIMEOUT``
    Seconds any one query on a provider's front DB may run (default 3600), and may wait for a
    lock on its table (default 60). The Airflow layer puts them into the provider's database
    address; the engine reads no environment.
"""

from __future__ import annotations

import os
from pathlib import Path

from govshare.errors import ConfigurationError

REGISTRY_URL = "GOVSHARE_REGISTRY_URL"


def registry_url() -> str:
    url = os.environ.get(REGISTRY_URL, "").strip()
    if not url:
        raise ConfigurationError(
            f"{REGISTRY_URL} is not set: it must name the registry database, e.g. "
            "postgresql+psycopg://govshare@db.example:5432/govshare_registry. "
            "Locally, run commands through `make shell` (or `python -m govshare.devserver run -- ...`), "
            "which sets it."
        )
    return url


def retry_delay_seconds() -> int:
    return _seconds("GOVSHARE_RETRY_DELAY_SECONDS", 120)


def provider_limits() -> tuple[int, int]:
    """Seconds a query on a provider's front DB may run, and may wait for a lock."""
    return _seconds("GOVSHARE_PROVIDER_STATEMENT_TIMEOUT", 3600), _seconds("GOVSHARE_PROVIDER_LOCK_TIMEOUT", 60)


def _seconds(variable: str, default: int) -> int:
    value = os.environ.get(variable, "").strip() or str(default)
    if not value.isdigit() or int(value) < 1:
        raise ConfigurationError(
            f"{variable}={value!r} is not a whole number of seconds",
            f"set it to e.g. {default}, or unset it for the default",
        )
    return int(value)


def home() -> Path:
    if configured := os.environ.get("GOVSHARE_HOME"):
        return Path(configured)
    checkout = Path(__file__).resolve().parent.parent
    return checkout if (checkout / "include").is_dir() else Path.cwd()


def catalog_dir() -> Path:
    return Path(os.environ.get("GOVSHARE_CATALOG_DIR") or home() / "include" / "catalog")


def quality_dir() -> Path:
    return Path(os.environ.get("GOVSHARE_QUALITY_DIR") or home() / "include" / "quality")


def report_link(delivery_id: int) -> str | None:
    """Where a delivery's quality report is read online: ``GOVSHARE_PUBLIC_URL`` (the Airflow
    api-server's address as agencies reach it) + ``/govshare/reports/<id>``; None if unset."""
    base = os.environ.get("GOVSHARE_PUBLIC_URL", "").rstrip("/")
    return f"{base}/govshare/reports/{delivery_id}" if base else None
