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
    value = os.environ.get("GOVSHARE_RETRY_DELAY_SECONDS", "").strip() or "120"
    if not value.isdigit() or int(value) < 1:
        raise ConfigurationError(
            f"GOVSHARE_RETRY_DELAY_SECONDS={value!r} is not a whole number of seconds",
            "set it to e.g. 120, or unset it for the default",
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
