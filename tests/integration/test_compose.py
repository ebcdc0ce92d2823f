"""docker-compose.yml as Docker Compose itself reads it (`config`: no Docker engine needed).

Uses `docker compose` if it works, else .govshare/tools/docker-compose, which
scripts/ensure_compose.py installs from Debian's package when neither is there. Compose runs
with a clean environment and an empty env file, so only what the test passes (the required
secrets) and the file's own defaults count.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
LOCAL_TOOL = ROOT / ".govshare" / "tools" / "docker-compose"
ENSURE = ROOT / "scripts" / "ensure_compose.py"

AIRFLOW_SERVICES = {
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
}
SECRETS = {
    "AIRFLOW_FERNET_KEY": "test-fernet-key",
    "AIRFLOW_JWT_SECRET": "test-jwt-secret",
    "AIRFLOW_API_SECRET_KEY": "test-api-secret-key",
}


def _works(command: list[str]) -> bool:
    try:
        return subprocess.run([*command, "version"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="module")
def compose() -> list[str]:
    """The Compose command to run: `docker compose` or the project's own copy."""
    candidates = [["docker", "compose"], [str(LOCAL_TOOL)]]
    for command in candidates:
        if (command[0] != "docker" or shutil.which("docker")) and _works(command):
            return command
    ensured = subprocess.run([sys.executable, str(ENSURE)], capture_output=True, text=True)
    if _works([str(LOCAL_TOOL)]):
        return [str(LOCAL_TOOL)]
    pytest.fail(
        "Docker Compose v2 is needed to check docker-compose.yml: neither `docker compose` nor "
        f"{LOCAL_TOOL} works, and {ENSURE.relative_to(ROOT)} could not install it "
        f"(exit {ensured.returncode}): {ensured.stdout}{ensured.stderr}".strip()
    )


def run_compose(compose, tmp_path, compose_file: Path, *args: str, secrets=SECRETS):
    """`compose -f FILE ARGS` with a clean environment: PATH, HOME, DOCKER_CONFIG and `secrets`."""
    env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": os.environ.get("HOME", str(tmp_path))}
    if "DOCKER_CONFIG" in os.environ:  # where a user's `docker compose` plugin may live
        env["DOCKER_CONFIG"] = os.environ["DOCKER_CONFIG"]
    env.update(secrets)
    empty_env_file = tmp_path / "empty.env"  # so a developer's .env beside the file is not read
    empty_env_file.write_text("")
    return subprocess.run(
        [*compose, "-f", str(compose_file), "--env-file", str(empty_env_file), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture(scope="module")
def config(compose, tmp_path_factory) -> dict:
    tmp_path = tmp_path_factory.mktemp("compose")
    quiet = run_compose(compose, tmp_path, COMPOSE_FILE, "config", "--quiet")
    assert quiet.returncode == 0, f"`config --quiet` rejected docker-compose.yml:\n{quiet.stderr}"
    result = run_compose(compose, tmp_path, COMPOSE_FILE, "config", "--format", "json")
    assert result.returncode == 0, f"`config --format json` failed:\n{result.stderr}"
    return json.loads(result.stdout)


def test_all_services_are_defined(config):
    assert set(config["services"]) == AIRFLOW_SERVICES | {"postgres", "redis"}


def test_airflow_services_run_one_image_built_from_the_dockerfile(config):
    services = config["services"]
    builds = {json.dumps(services[name].get("build"), sort_keys=True) for name in AIRFLOW_SERVICES}
    images = {services[name].get("image") for name in AIRFLOW_SERVICES}
    assert len(builds) == 1 and len(images) == 1 and None not in images
    build = services["airflow-worker"]["build"]
    assert Path(build["context"]) == ROOT
    assert build["dockerfile"] == "Dockerfile" and (ROOT / "Dockerfile").is_file()


def test_airflow_commands(config):
    commands = {name: config["services"][name]["command"] for name in AIRFLOW_SERVICES}
    assert commands["airflow-apiserver"] == ["airflow", "api-server"]
    assert commands["airflow-scheduler"] == ["airflow", "scheduler"]
    assert commands["airflow-dag-processor"] == ["airflow", "dag-processor"]
    assert commands["airflow-triggerer"] == ["airflow", "triggerer"]
    assert commands["airflow-worker"] == ["airflow", "celery", "worker"]
    init_script = " ".join(commands["airflow-init"])
    assert "airflow db migrate" in init_script and "govshare registry upgrade" in init_script
    ports = config["services"]["airflow-apiserver"]["ports"]
    assert [(int(p["target"]), str(p["published"])) for p in ports] == [(8080, "8080")]


@pytest.mark.parametrize("folder", ["dags", "plugins", "include"])
def test_project_folders_are_mounted(config, folder):
    for name in AIRFLOW_SERVICES:
        binds = {
            (Path(v["source"]), v["target"]) for v in config["services"][name].get("volumes", []) if v["type"] == "bind"
        }
        assert (ROOT / folder, f"/opt/airflow/{folder}") in binds, f"{name} does not mount ./{folder}"


def test_airflow_environment(config):
    for name in AIRFLOW_SERVICES:
        env = config["services"][name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
        assert env["AIRFLOW__CORE__DEFAULT_TIMEZONE"] == "Asia/Shanghai"
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg://")
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith("@postgres:5432/airflow")
        assert (
            env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
            and "@redis:6379/" in env["AIRFLOW__CELERY__BROKER_URL"]
        )
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql")
        assert env["GOVSHARE_REGISTRY_URL"].startswith("postgresql+psycopg://")
        assert env["GOVSHARE_REGISTRY_URL"].endswith("@postgres:5432/govshare_registry")
        assert env["GOVSHARE_HOME"] == "/opt/airflow"
        # Every component shares the secrets it was given, not one of its own.
        assert env["AIRFLOW__CORE__FERNET_KEY"] == SECRETS["AIRFLOW_FERNET_KEY"]
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == SECRETS["AIRFLOW_JWT_SECRET"]
        assert env["AIRFLOW__API__SECRET_KEY"] == SECRETS["AIRFLOW_API_SECRET_KEY"]


def test_startup_order(config):
    services = config["services"]
    for name in AIRFLOW_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
        if name != "airflow-init":
            assert depends["airflow-init"]["condition"] == "service_completed_successfully", name
    assert services["airflow-worker"]["depends_on"]["airflow-apiserver"]["condition"] == "service_healthy"


def test_databases_and_broker(config):
    postgres, redis = config["services"]["postgres"], config["services"]["redis"]
    assert postgres["image"] == "postgres:16" and redis["image"] == "redis:7"
    assert postgres["healthcheck"]["test"] and "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert redis["healthcheck"]["test"] and "ping" in " ".join(redis["healthcheck"]["test"])
    assert postgres["environment"]["POSTGRES_DB"] == "airflow"
    init = [v for v in postgres["volumes"] if v["target"] == "/docker-entrypoint-initdb.d"]
    assert len(init) == 1
    scripts = sorted(Path(init[0]["source"]).glob("*.sql"))
    assert scripts and "CREATE DATABASE govshare_registry" in "".join(s.read_text() for s in scripts)


def _copy_project_file(tmp_path: Path, text: str) -> Path:
    target = tmp_path / "project"
    shutil.copytree(ROOT / "deploy", target / "deploy")
    (target / "docker-compose.yml").write_text(text)
    return target / "docker-compose.yml"


def test_unmodified_copy_is_accepted(compose, tmp_path):
    """Control for the negative tests below: the copy alone does not make Compose fail."""
    copy = _copy_project_file(tmp_path, COMPOSE_FILE.read_text())
    result = run_compose(compose, tmp_path, copy, "config", "--quiet")
    assert result.returncode == 0, result.stderr


def test_unknown_service_key_is_rejected(compose, tmp_path):
    original = COMPOSE_FILE.read_text()
    broken = original.replace("\n  redis:\n", "\n  redis:\n    not_a_compose_key: true\n", 1)
    assert broken != original, "the redis service was not found to insert the error into"
    result = run_compose(compose, tmp_path, _copy_project_file(tmp_path, broken), "config", "--quiet")
    assert result.returncode != 0
    assert "not_a_compose_key" in result.stderr


def test_missing_secret_is_rejected(compose, tmp_path):
    secrets = {k: v for k, v in SECRETS.items() if k != "AIRFLOW_JWT_SECRET"}
    result = run_compose(compose, tmp_path, COMPOSE_FILE, "config", "--quiet", secrets=secrets)
    assert result.returncode != 0
    assert "AIRFLOW_JWT_SECRET" in result.stderr


def _dockerfile_env() -> dict[str, str]:
    """The ENV settings the image carries (one `ENV NAME=value` per line)."""
    found = {}
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("ENV "):
            name, _, value = line[4:].strip().partition("=")
            found[name] = value
    return found


def test_the_production_settings_are_in_compose_and_the_image_as_make_cluster_has_them(config):
    from govshare.cluster.settings import TUNABLE

    image = _dockerfile_env()
    for name in (
        "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT",
        "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT",
    ):
        assert image[name] == TUNABLE[name], name
    for service in AIRFLOW_SERVICES:
        env = config["services"][service]["environment"]
        for name, value in TUNABLE.items():  # the same values as `make cluster`
            assert env[name] == value, (service, name)
        assert float(env["AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT"]) > 5  # Airflow's 5 s timed out
        assert int(env["AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT"]) > 2 * 3600  # > a task's 2 h
        concurrency, parallelism = (
            int(env[k]) for k in ("AIRFLOW__CELERY__WORKER_CONCURRENCY", "AIRFLOW__CORE__PARALLELISM")
        )
        assert parallelism == concurrency  # one worker: the scheduler queues what it can run
        assert env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] == "8793"


def test_the_documented_secret_recipes_give_keys_long_enough(compose):
    """Run each `python -c …` recipe the compose file's header gives: the JWT secret must be a
    64-byte HS512 key at least (token_urlsafe(32) gave 43 bytes, and Airflow warned)."""
    header = COMPOSE_FILE.read_text().split("\nname:", 1)[0]
    recipes = {}
    current = None
    for line in header.splitlines():
        words = line.lstrip("# ").split()
        if words and words[0].startswith("AIRFLOW_") and words[0].isupper():
            current = words[0]
        if 'python -c "' in line and current:
            recipes[current] = line.split('python -c "', 1)[1].rsplit('"', 1)[0]
    assert set(recipes) == set(SECRETS)
    made = {
        name: subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
        for name, code in recipes.items()
    }
    assert len(made["AIRFLOW_JWT_SECRET"].encode()) >= 64
    assert len(made["AIRFLOW_API_SECRET_KEY"].encode()) >= 32
    assert len(set(made.values())) == 3


def test_compose_passes_the_secrets_and_the_sizing_through(compose, tmp_path):
    given = {**SECRETS, "AIRFLOW_JWT_SECRET": "j" * 86, "AIRFLOW_WORKER_CONCURRENCY": "6", "AIRFLOW_PARALLELISM": "12"}
    result = run_compose(compose, tmp_path, COMPOSE_FILE, "config", "--format", "json", secrets=given)
    assert result.returncode == 0, result.stderr
    env = json.loads(result.stdout)["services"]["airflow-worker"]["environment"]
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == "j" * 86
    assert (env["AIRFLOW__CELERY__WORKER_CONCURRENCY"], env["AIRFLOW__CORE__PARALLELISM"]) == ("6", "12")
