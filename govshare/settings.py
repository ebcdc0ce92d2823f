"""Every ``GOVSHARE_*`` environment variable, in one place: :class:`Settings`.

Everything comes from the environment so the same code runs on a laptop, in CI and in the
docker-compose deployment. Each field below is one variable (``GOVSHARE_`` + its name in capitals),
typed and checked when read; a secret is a ``SecretStr`` and is never printed (``govshare
settings`` lists them all, secrets as ``********``). The engine reads none of them: the layers
above pass what it needs (provider limits in the ``DatabaseAddress``, the quality folder, the
pseudonym key) into it.

The platform's variables come first; the ones after them only steer the local tooling (the
project's PostgreSQL, ``make cluster``, the tests).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from croniter import croniter
from pydantic import AfterValidator, Field, PositiveFloat, PositiveInt, SecretStr, TypeAdapter, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from govshare.errors import ConfigurationError

PREFIX = "GOVSHARE_"
REGISTRY_URL = "GOVSHARE_REGISTRY_URL"
PRESETS = frozenset({"@once", "@continuous", "@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly"})


def _schedule(value: str) -> str:
    if value not in PRESETS and not croniter.is_valid(value):
        wrong = cron_field_problem(value)
        raise ValueError(
            f"not a cron expression: {wrong}"
            if wrong
            else f"not a cron expression or one of {', '.join(sorted(PRESETS))}"
        )
    return value


# The five cron fields in order, with the values each accepts (day of week: 0 and 7 are Sunday).
CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7))


def cron_field_problem(expression: str) -> str | None:
    """Which of five cron fields is wrong, and how ("hour 25 is out of range 0–23"); None if
    the expression is not five fields or every field is right. croniter only says "out of range"."""
    fields = expression.split()
    if len(fields) != len(CRON_FIELDS):
        return None
    for position, (name, low, high) in enumerate(CRON_FIELDS):
        alone = " ".join(f if i == position else "*" for i, f in enumerate(fields))
        if croniter.is_valid(alone):
            continue
        steps_apart = fields[position].replace("/", ",/").split(",")  # a step (/90) is not a value
        values = [int(v) for part in steps_apart if not part.startswith("/") for v in part.split("-") if v.isdigit()]
        out = next((v for v in values if not low <= v <= high), None)
        if out is not None:
            return f"{name} {out} is out of range {low}–{high}"
        return f"{name} {fields[position]!r} is not a cron field (numbers, ranges a-b, lists a,b, steps */n or names)"
    return None


Schedule = Annotated[str, AfterValidator(_schedule)]


def _tooling(default: Any, description: str) -> Any:
    """A setting only the local tooling reads (``govshare settings`` lists it with --all)."""
    return Field(default, description=description, json_schema_extra={"tooling": True})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, env_ignore_empty=True, extra="ignore", frozen=True)

    # -- the platform -------------------------------------------------------------------------
    registry_url: SecretStr | None = Field(
        None,
        description="SQLAlchemy URL of the registry database (postgresql+psycopg://user@host:port/db). "
        "Required by every command that reads or writes the registry.",
    )
    home: Path | None = Field(
        None,
        description="Folder holding include/ (catalogue and quality suites). Default: the checkout the package "
        "was imported from, or the current directory when installed elsewhere.",
    )
    catalog_dir: Path | None = Field(None, description="The catalogue folder (default: include/catalog in the home).")
    quality_dir: Path | None = Field(
        None, description="The quality suites' folder (default: include/quality in the home)."
    )
    calendar_file: Path | None = Field(
        None,
        description="The operator's holiday calendar (YAML: each year's holidays and adjusted working days from "
        "the State Council's notice), which extends and overrides the chinesecalendar package. "
        "Default: include/reference/calendar.yaml in the home.",
    )
    public_url: str | None = Field(
        None,
        description="The Airflow api-server's address as agencies reach it; quality emails then link to "
        "<public_url>/govshare/ui/deliveries/<id>/report (the workspace's report page).",
    )
    token: SecretStr | None = Field(
        None,
        description="The CLI's acting agency's API token (as --token). Without one the CLI acts as a platform operator.",
    )
    staff_password: SecretStr | None = Field(
        None, description="The password `govshare staff add` gives the new member instead of asking (for scripts)."
    )
    session_hours: PositiveInt = Field(
        8, description="How long an agency member's workspace session lasts after signing in (a working day)."
    )
    sign_in_attempts: PositiveInt = Field(
        5,
        description="Failed sign-ins to one workspace account within 15 minutes after which it takes no password "
        "(right or wrong) until the oldest of them is 15 minutes old: a guesser gets a handful of tries a quarter hour.",
    )
    password_cost: int = Field(
        16,
        ge=14,
        le=18,
        description="scrypt's cost for workspace passwords, as a power of two: N=2**cost with r=8, so each check "
        "takes 2**cost KiB of memory (16: 64 MiB, about 0.1-0.2 s). Raise it as machines get faster: a member's "
        "stored hash moves to the new cost at their next sign-in.",
    )
    open_data_url: str | None = Field(
        None,
        description="Where open data is published: an Airflow ObjectStoragePath URL such as file:///srv/open-data "
        "or s3://my_s3_conn@bucket/open-data (the credentials: that Airflow connection). "
        "Default: the folder .govshare/open-data in the home.",
    )
    open_data_conn_id: str | None = Field(
        None,
        description="The Airflow connection of the database publications are staged and checked in. "
        "Default: the registry's own database.",
    )
    open_data_licence: str = Field(
        "http://creativecommons.org/licenses/by/4.0/",
        description="The licence of published open data (a URI, in the DCAT catalogue and the CKAN API).",
    )
    mail_from: str = Field("govshare@localhost", description="The sender address of every email the platform sends.")
    retry_delay_seconds: PositiveInt = Field(
        120,
        description="The wait before an agreement DAG's failed task runs again (it doubles for the next try). "
        "Read when the DAG file is parsed: set it on the dag-processor and the workers.",
    )
    provider_statement_timeout: PositiveInt = Field(
        3600, description="Seconds any one query on a provider's front DB may run."
    )
    provider_lock_timeout: PositiveInt = Field(
        60, description="Seconds a query may wait for a lock on a provider's table."
    )
    review_working_days: PositiveInt = Field(
        10, description="Working days a provider has to answer a request (article 13)."
    )
    coordination_working_days: PositiveInt = Field(
        15, description="Working days the competent department has to settle a coordination."
    )
    correction_working_days: PositiveInt = Field(
        5, description="Working days a provider has to answer a correction (article 24)."
    )
    anomaly_min_history: PositiveInt = Field(
        5, description="Deliveries an agreement needs before its row counts are judged unusual."
    )
    anomaly_mad_k: PositiveFloat = Field(
        5.0, description="How many robust deviations (MAD) from the median make a row count unusual."
    )
    anomaly_flat_ratio: PositiveFloat = Field(
        0.5, description="Where every earlier delivery had the same count: the relative change that is unusual."
    )
    anomaly_failures: PositiveInt = Field(3, description="Unsuccessful deliveries in a row that make an anomaly.")
    # A platform DAG's schedule (cron or preset); read when the DAG file is parsed.
    schedule_platform_lifecycle: Schedule = Field("0 1 * * *", description="The daily lifecycle round.")
    schedule_platform_notifications: Schedule = Field("*/5 * * * *", description="The notification outbox.")
    schedule_platform_audit_anchor: Schedule = Field("30 0 * * *", description="The audit chain's daily anchor.")
    schedule_platform_quality_digest: Schedule = Field("0 8 * * 1", description="The weekly quality digest.")
    schedule_platform_front_db_health: Schedule = Field("@hourly", description="The front-DB health check.")
    schedule_platform_open_data: Schedule = Field(
        "@hourly", description="Open-data publication (each open resource on its update cycle)."
    )
    schedule_platform_monitoring_reports: Schedule = Field(
        "0 6 1 * *", description="Each agency's monthly monitoring report."
    )
    schedule_platform_supervision_report: Schedule = Field(
        "0 7 1 1,4,7,10 *", description="The quarterly supervision report."
    )

    # -- local tooling: the project's PostgreSQL, make cluster, the tests ---------------------
    stop_grace_seconds: PositiveFloat = _tooling(
        60, "Seconds a stopped command has to end by itself before it is killed."
    )
    pg_url: SecretStr | None = _tooling(
        None, "A PostgreSQL server to use (libpq URL to its postgres database) instead of finding one."
    )
    pg_own: bool = _tooling(False, "1: start the project's own PostgreSQL even when one answers on 5432.")
    pg_port: PositiveInt = _tooling(54329, "Port of the project's own PostgreSQL.")
    pgdata: Path | None = _tooling(None, "Data folder of the project's own PostgreSQL (default .govshare/pgdata).")
    redis_url: SecretStr | None = _tooling(None, "The Celery broker for make cluster (it must answer).")
    api_port: PositiveInt | None = _tooling(None, "The cluster api-server's port (default 8080, else a free one).")
    worker_name: str | None = _tooling(None, "A cluster worker's Celery node name, recorded as the task hostname.")
    cluster_start_timeout: PositiveFloat = _tooling(600, "Seconds the cluster's components get to become ready.")
    dag_parse_timeout: PositiveFloat = _tooling(300, "Seconds the cluster demo waits for a new DAG to be parsed.")
    run_timeout: PositiveFloat = _tooling(1800, "Seconds the cluster demo waits for one DAG run.")
    mysql_url: SecretStr | None = _tooling(None, "The MySQL/MariaDB server for tests (default root on 127.0.0.1:3306).")
    chromium: Path | None = _tooling(None, "The Chromium binary for browser tests (default /usr/bin/chromium).")
    debian_mirror: str | None = _tooling(None, "Debian archive base URL for scripts/ensure_compose.py.")
    test_date: str | None = _tooling(None, "The moment the test suite runs at (the clock is moved there).")
    clock_shift: float | None = _tooling(None, "Seconds every test process's clock is moved (set by the tests).")

    @classmethod
    def read(cls) -> Settings:
        """Every setting from the environment, each checked (``setting`` reads one alone); a bad
        value is a ConfigurationError naming the variable."""
        try:
            return cls()
        except ValidationError as exc:
            raise _bad_value(exc, os.environ) from None


def setting(name: str, env: Mapping[str, str] | None = None) -> Any:
    """One setting, read and checked alone (from the environment, or ``env``): a bad value of
    another variable does not stop what never reads it (a typo in an anomaly threshold leaves
    the DAG files and the CLI alone)."""
    field = Settings.model_fields[name]
    source = os.environ if env is None else env
    raw = source.get(PREFIX + name.upper(), "")
    if not raw.strip():  # empty counts as unset, as in Settings
        return field.default
    try:
        return _adapter(name).validate_python(raw)
    except ValidationError as exc:
        raise _bad_value(exc, source, name) from None


@cache
def _adapter(name: str) -> TypeAdapter[Any]:
    field = Settings.model_fields[name]
    # The type with its constraints (PositiveInt is int with Gt(0), a Schedule str with its check).
    return TypeAdapter(Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation)


def variables(tooling: bool = True) -> Iterator[tuple[str, str]]:
    """(field, variable) for every setting, or only the platform's."""
    for name, field in Settings.model_fields.items():
        if tooling or not field.json_schema_extra:
            yield name, PREFIX + name.upper()


def _bad_value(exc: ValidationError, env: Mapping[str, str], name: str | None = None) -> ConfigurationError:
    error = exc.errors()[0]
    name = name or str(error["loc"][0])
    variable = PREFIX + name.upper()
    field = Settings.model_fields[name]
    given = "********" if "SecretStr" in str(field.annotation) else repr(env.get(variable, ""))
    why = error.get("ctx", {}).get("error") or error["msg"].lower()  # a validator's own words, else pydantic's
    default = field.default
    return ConfigurationError(
        f"{variable}={given} is not valid: {why}",
        f"set it to e.g. {default}, or unset it for the default" if default is not None else f"correct {variable}",
    )


def registry_url() -> str:
    url = setting("registry_url")
    if url is None:
        raise ConfigurationError(
            f"{REGISTRY_URL} is not set: it must name the registry database, e.g. "
            "postgresql+psycopg://govshare@db.example:5432/govshare_registry. "
            "Locally, run commands through `make shell` (or `python -m govshare.devserver run -- ...`), "
            "which sets it."
        )
    return url.get_secret_value()


def retry_delay_seconds() -> int:
    return setting("retry_delay_seconds")


def provider_limits() -> tuple[int, int]:
    """Seconds a query on a provider's front DB may run, and may wait for a lock."""
    return setting("provider_statement_timeout"), setting("provider_lock_timeout")


def home() -> Path:
    if configured := setting("home"):
        return configured
    checkout = Path(__file__).resolve().parent.parent
    return checkout if (checkout / "include").is_dir() else Path.cwd()


def catalog_dir() -> Path:
    return setting("catalog_dir") or home() / "include" / "catalog"


def quality_dir() -> Path:
    return setting("quality_dir") or home() / "include" / "quality"


def calendar_file() -> Path:
    return setting("calendar_file") or home() / "include" / "reference" / "calendar.yaml"


def report_link(delivery_id: int) -> str | None:
    """Where a person reads a delivery's quality report online, or None without a public URL:
    the workspace's page (signed out, it sends to sign-in and back), not the API's
    /govshare/reports/<id>, which wants a token a browser does not have."""
    base = (setting("public_url") or "").rstrip("/")
    return f"{base}/govshare/ui/deliveries/{delivery_id}/report" if base else None
