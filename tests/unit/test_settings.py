"""Every GOVSHARE_* variable is a field of govshare.settings.Settings: documented there, typed,
checked when read, secrets never shown; the package reads the environment nowhere else."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from govshare.errors import ConfigurationError
from govshare.settings import Settings, setting, variables
from tests.conftest import ROOT

NAMED = re.compile(r"(?<![A-Z_])GOVSHARE_[A-Z][A-Z_]*[A-Z]")
NOT_SETTINGS = {
    "GOVSHARE_IMAGE",  # docker compose interpolates it into docker-compose.yml; no govshare process sees it
    "GOVSHARE_SCHEDULE",  # the family GOVSHARE_SCHEDULE_<DAG ID>, spelled out in prose
}
SOURCES = ["govshare", "tests", "scripts", "bench", "dags", "plugins", "deploy"]
FILES = ["Makefile", "README.md", "docker-compose.yml", "Dockerfile", ".ci/run"]


def _texts():
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in {".py", ".yml", ".yaml", ".md", ".sh", ".env", ""}:
                yield path, path.read_text(errors="replace")
    for name in FILES:
        if (ROOT / name).exists():
            yield ROOT / name, (ROOT / name).read_text()


def test_every_variable_named_anywhere_is_a_setting():
    known = {variable for _, variable in variables()}
    unknown = {
        f"{variable} ({path.relative_to(ROOT)})"
        for path, text in _texts()
        for variable in NAMED.findall(text)
        if variable not in known | NOT_SETTINGS
    }
    assert not unknown, "add these to govshare.settings.Settings: " + ", ".join(sorted(unknown))


def test_the_package_reads_its_variables_only_through_the_settings():
    readers = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in (ROOT / "govshare").rglob("*.py")
        if path.name != "settings.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"""(environ\.get\(|environ\[|getenv\()\s*f?["']GOVSHARE_""", line)
    ]
    assert not readers, readers


def test_the_readme_documents_every_platform_variable():
    readme = (ROOT / "README.md").read_text()
    missing = [variable for _, variable in variables(tooling=False) if variable not in readme]
    assert not missing, missing


def test_values_are_typed_and_checked(monkeypatch):
    monkeypatch.setenv("GOVSHARE_REVIEW_WORKING_DAYS", "12")
    monkeypatch.setenv("GOVSHARE_ANOMALY_MAD_K", "")  # empty means unset
    current = Settings.read()
    assert current.review_working_days == 12 and current.anomaly_mad_k == 5.0
    monkeypatch.setenv("GOVSHARE_REVIEW_WORKING_DAYS", "ten")
    with pytest.raises(ConfigurationError, match="GOVSHARE_REVIEW_WORKING_DAYS='ten' is not valid") as raised:
        Settings.read()
    assert "set it to e.g. 10, or unset it" in raised.value.hint
    monkeypatch.setenv("GOVSHARE_REVIEW_WORKING_DAYS", "0")
    with pytest.raises(ConfigurationError, match="greater than 0"):
        Settings.read()


def test_one_setting_is_read_alone_and_checked_as_its_field(monkeypatch):
    """A bad value stops what reads it, and nothing else: a typo in an anomaly threshold must
    not take the DAG files or the CLI down with it."""
    monkeypatch.setenv("GOVSHARE_ANOMALY_MAD_K", "five")
    monkeypatch.setenv("GOVSHARE_RETRY_DELAY_SECONDS", "30")
    assert setting("retry_delay_seconds") == 30 and setting("review_working_days") == 10
    with pytest.raises(ConfigurationError, match="GOVSHARE_ANOMALY_MAD_K='five' is not valid") as raised:
        setting("anomaly_mad_k")
    assert "set it to e.g. 5.0" in raised.value.hint
    monkeypatch.setenv("GOVSHARE_RETRY_DELAY_SECONDS", "-1")
    with pytest.raises(ConfigurationError, match="greater than 0"):
        setting("retry_delay_seconds")
    monkeypatch.setenv("GOVSHARE_SCHEDULE_PLATFORM_AUDIT_ANCHOR", "nightly")
    with pytest.raises(ConfigurationError, match="not a cron expression"):
        setting("schedule_platform_audit_anchor")
    assert setting("api_port", {"GOVSHARE_API_PORT": "9090"}) == 9090
    assert setting("token", {"GOVSHARE_TOKEN": "t"}).get_secret_value() == "t"


def test_a_schedule_must_be_cron_or_a_preset(monkeypatch):
    monkeypatch.setenv("GOVSHARE_SCHEDULE_PLATFORM_LIFECYCLE", "every night")
    with pytest.raises(ConfigurationError, match="not a cron expression or one of @continuous"):
        Settings.read()
    monkeypatch.setenv("GOVSHARE_SCHEDULE_PLATFORM_LIFECYCLE", "15 2 * * *")
    assert Settings.read().schedule_platform_lifecycle == "15 2 * * *"


def test_settings_for_a_process_about_to_start_come_from_its_environment(monkeypatch):
    monkeypatch.setenv("GOVSHARE_API_PORT", "8081")
    assert setting("api_port", {"GOVSHARE_API_PORT": "9090"}) == 9090
    with pytest.raises(ConfigurationError, match="GOVSHARE_API_PORT='port' is not valid"):
        setting("api_port", {"GOVSHARE_API_PORT": "port"})


def test_secrets_are_never_shown(monkeypatch):
    monkeypatch.setenv("GOVSHARE_TOKEN", "agency-token-do-not-print")
    monkeypatch.setenv("GOVSHARE_REGISTRY_URL", "postgresql+psycopg://govshare:registry-password@db/registry")
    current = Settings.read()
    assert "do-not-print" not in repr(current) and "registry-password" not in repr(current)
    assert current.token.get_secret_value() == "agency-token-do-not-print"
    shown = subprocess.run(
        [sys.executable, "-m", "govshare.cli", "settings", "--all"], capture_output=True, text=True, env=_env()
    )
    assert shown.returncode == 0, shown.stderr
    assert "GOVSHARE_TOKEN" in shown.stdout and "GOVSHARE_MYSQL_URL" in shown.stdout and "********" in shown.stdout
    assert "do-not-print" not in shown.stdout + shown.stderr
    assert "registry-password" not in shown.stdout + shown.stderr


def _env():
    import os

    return {**os.environ, "COLUMNS": "200"}
