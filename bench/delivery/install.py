"""The bench's own platform: its databases, the provider's register, a registry holding one
active agreement, Airflow's metadata DB and the environment every Airflow process gets."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg

from bench.exchange.common import Databases, admin, log, with_db
from bench.exchange.population import create_provider_table
from govshare import devserver, settings

ROOT = Path(__file__).resolve().parents[2]
STATE = devserver.STATE / "bench-delivery"
PREFIX = "gsdeliv"
SOURCE = ("exchange", "population_register")  # the resource's front table (include/catalog/hb_gat.yaml)
TARGET = ("public", "population_basic")
# Everything the resource holds; citizen_id and name as they are (the subscriber verifies
# identities), phone and address masked by their categories' defaults.
ITEMS = ["person_id", "citizen_id", "name", "gender", "birth_date", "region_code", "address", "phone", "updated_at"]
UNMASKED = {"citizen_id": "none", "name": "none"}
PSEUDONYM_KEY = "bench-pseudonym-key-" + "k" * 32


@dataclass(frozen=True)
class Platform:
    databases: Databases  # the front DB (src) and the subscriber's (dst)
    env: dict[str, str]  # for every Airflow process the bench starts
    agreement: str

    def metadata(self) -> psycopg.Connection:
        url = self.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].replace("postgresql+psycopg://", "postgresql://", 1)
        return psycopg.connect(url, autocommit=True)


def server() -> str:
    configured = settings.setting("pg_url")
    return configured.get_secret_value() if configured else "postgresql://root@127.0.0.1:5432/postgres"


def databases() -> Databases:
    return Databases(server(), PREFIX)


def own(name: str) -> str:
    return f"{PREFIX}_{name}"


def prepare() -> Platform:
    """Fresh databases, registry and Airflow home; the register is built by ``build_register``."""
    db = databases()
    db.create()
    admin(db.base, *(f"DROP DATABASE IF EXISTS {own(n)} WITH (FORCE)" for n in ("registry", "airflow")))
    admin(db.base, *(f"CREATE DATABASE {own(n)}" for n in ("registry", "airflow")))
    shutil.rmtree(STATE, ignore_errors=True)
    dags = STATE / "dags"
    dags.mkdir(parents=True)
    # The agreements' DAG file as shipped, and the floor; not the platform DAGs (their runs
    # would share the machine with the ones measured).
    (dags / "sharing_agreements.py").symlink_to(ROOT / "dags" / "sharing_agreements.py")
    (dags / "floor_dag.py").symlink_to(Path(__file__).with_name("floor_dag.py"))
    env = environment(db, dags)
    os.environ["GOVSHARE_REGISTRY_URL"] = env["GOVSHARE_REGISTRY_URL"]  # this process files the agreement
    code = file_agreement(env["GOVSHARE_REGISTRY_URL"])
    log("migrating the bench's Airflow metadata DB")
    done = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"airflow db migrate failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return Platform(db, env, code)


def environment(db: Databases, dags: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "GOVSHARE_REGISTRY_URL": with_db(db.base, own("registry"), "psycopg"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": with_db(db.base, own("airflow"), "psycopg"),
        "AIRFLOW_HOME": str(STATE / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW_CONN_FRONT_HB_GAT": db.src,
        "AIRFLOW_CONN_SUB_HB_MZT": db.dst,
        "AIRFLOW_CONN_GOVSHARE_PSEUDONYM_KEY": json.dumps({"conn_type": "generic", "password": PSEUDONYM_KEY}),
        # Runs are triggered by the bench alone, and the cluster's Celery queue is its own.
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        "GOVSHARE_REDIS_URL": "redis://127.0.0.1:6379/7",
    }
    (STATE / "airflow").mkdir(parents=True, exist_ok=True)
    return env


def build_register(db: Databases, rows: int) -> None:
    log(f"building {'.'.join(SOURCE)} with {rows:,} rows")
    with psycopg.connect(db.src, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SOURCE[0]}")
        create_provider_table(conn, SOURCE[1], rows)
        conn.execute(f"VACUUM ANALYZE {SOURCE[0]}.{SOURCE[1]}")


def file_agreement(registry_url: str, count: int = 1) -> str:
    """A registry with the shipped catalogue and ``count`` active agreements on the register (the
    first into TARGET, the others into tables of their own); returns the first one's code."""
    from govshare.catalog.validate import load_catalog
    from govshare.identity import Actor
    from govshare.lifecycle import service
    from govshare.registry import models as m
    from govshare.registry.catalog_store import apply_catalog
    from govshare.registry.db import session
    from govshare.registry.migrate import upgrade
    from govshare.registry.terms import AgreementTerms

    upgrade(registry_url)
    with session(registry_url) as s:
        apply_catalog(s, load_catalog(settings.catalog_dir()), source="bench", applied_by="bench")
    codes = []
    for n in range(count):
        terms = AgreementTerms(
            subscriber_code="hb_mzt",
            resource_code="gat_population_register",
            items=ITEMS,
            purpose="最低生活保障申请人身份核验",
            legal_basis="《社会救助暂行办法》",
            target_conn_id="sub_hb_mzt",
            target_table=TARGET[1] if n == 0 else f"{TARGET[1]}_{n}",
            masking=UNMASKED,
        )
        with session(registry_url) as s:
            agencies = {code: Actor.of_agency(s.get(m.Agency, code)) for code in ("hb_mzt", "hb_gat", "hb_sjj")}
            code = service.request(s, agencies["hb_mzt"], terms, and_submit=True).code
            service.review(s, agencies["hb_gat"], code, True, "仅用于申请所述职责")
            service.file(s, agencies["hb_sjj"], code)
            service.activate(s, Actor.operator("bench"), code)
        codes.append(code)
        if (n + 1) % 100 == 0:
            log(f"  {n + 1} agreements active")
    return codes[0]


def drop() -> None:
    db = databases()
    db.drop()
    admin(db.base, *(f"DROP DATABASE IF EXISTS {own(n)} WITH (FORCE)" for n in ("registry", "airflow", "parse")))
