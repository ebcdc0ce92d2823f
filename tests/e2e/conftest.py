"""Fixtures for tests that run Airflow itself."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
import psycopg
import pytest
import yaml
from playwright.sync_api import Browser, Page, expect, sync_playwright
from pydantic import BaseModel

from govshare.demo import front_db, sample_data
from govshare.settings import setting
from tests.conftest import ROOT
from tests.helpers import HOSTILE, operator, population_front_db, shipped_catalog


@pytest.fixture(scope="session")
def airflow_db():
    """Airflow's metadata DB, migrated once per test session."""
    done = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def dagbag():
    """Airflow's own parse of the dags/ folder, as the dag-processor does it."""
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags"))


@pytest.fixture
def world(airflow_db, applied, make_database, monkeypatch, mailbox):
    front_gat, front_rst, front_scjg, subscriber = (make_database(n) for n in ("gat", "rst", "scjg", "mzt"))
    people = population_front_db(front_gat, 400)
    catalog = shipped_catalog()
    with psycopg.connect(front_rst) as conn:
        front_db.create_table(conn, catalog.resources["rst_social_insurance"], keyed=False)
        front_db.fill(
            conn,
            catalog.resources["rst_social_insurance"],
            sample_data.social_insurance(300, people, [("91130102MA0000000X",)]),
        )
    enterprises = list(sample_data.enterprises(200, people))
    with psycopg.connect(front_scjg) as conn:
        front_db.create_table(conn, catalog.resources["scjg_enterprise_register"])
        front_db.fill(conn, catalog.resources["scjg_enterprise_register"], enterprises)
    for conn_id, url in {
        "front_hb_gat": front_gat,
        "front_hb_rst": front_rst,
        "front_hb_scjg": front_scjg,
        "sub_hb_mzt": subscriber,
    }.items():
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", url)
    return {"people": people, "enterprises": enterprises, "subscriber": subscriber, "mail": mailbox}


@dataclass(frozen=True)
class ApiServer:
    root: str  # http://127.0.0.1:<port>
    user: str  # an Airflow UI user (simple auth manager) and its password
    password: str
    passwords: dict[str, str] = field(default_factory=dict)  # every user's

    def as_user(self, user: str) -> ApiServer:
        return replace(self, user=user, password=self.passwords[user])


@contextmanager
def running_api_server(folder: Path, users: str = "admin:admin"):
    """Airflow's real api-server, serving the UI and the govshare plugin, on a free port; its
    simple auth manager has ``users`` (``login:role,…``), the first one's password at hand."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log_path = folder / "api-server.log"
    env = {**os.environ, "AIRFLOW__API__PORT": str(port), "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": users}
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "airflow", "api-server", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
        )
    try:
        root = f"http://127.0.0.1:{port}"
        for _ in range(120):
            if server.poll() is not None:  # it exited: no use waiting
                pytest.fail("the api-server stopped: " + log_path.read_text()[-3000:])
            try:
                if httpx.get(f"{root}/govshare/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail("the api-server did not come up: " + log_path.read_text()[-3000:])
        passwords = json.loads(
            (Path(os.environ["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated").read_text()
        )
        user = users.split(",")[0].split(":")[0]
        yield ApiServer(root, user, passwords[user], passwords)
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def api_server(airflow_db, tmp_path):
    with running_api_server(tmp_path) as server:
        yield server


# The catalogue's free text: every plain ``str`` field (codes, connection ids, emails and region
# codes are constrained types; ``type`` must name a catalogue type). A new text field is planted
# too, and then this list must name it.
PLANTED_FIELDS = {
    ("Agency", "name"),
    ("Contact", "name"),
    ("Element", "name"),
    ("Resource", "name"),
    ("Resource", "share_condition"),
    ("Resource", "description"),
    ("Item", "title"),
    ("Item", "description"),
}
AGENCIES = ("hb_mzt", "hb_gat", "hb_rst", "hb_scjg", "hb_sjj", "hb_bb", "hb_bmj")


def planted(value, fields: set):
    """``value`` (a catalogue model, or a list or dict of them) with HOSTILE after every free text."""
    if isinstance(value, BaseModel):
        changes = {}
        for name, field in type(value).model_fields.items():
            current = getattr(value, name)
            if name in ("share_condition", "open_condition") and not current:
                continue  # a resource shared or opened unconditionally carries none
            if isinstance(current, str) and field.annotation is str and not field.metadata and name != "type":
                changes[name] = current + HOSTILE
                fields.add((type(value).__name__, name))
            elif isinstance(current, (BaseModel, list, dict)):
                changes[name] = planted(current, fields)
        return value.model_copy(update=changes)
    if isinstance(value, list):
        return [planted(v, fields) for v in value]
    if isinstance(value, dict):
        return {k: planted(v, fields) for k, v in value.items()}
    return value


@pytest.fixture
def hostile(world, catalog_copy, monkeypatch):
    """The world, with the catalogue refiled with HOSTILE in all its free text, the quality
    rules' descriptions holding it, and every agency's API token with a client of the API."""
    from fastapi.testclient import TestClient

    from govshare import identity
    from govshare.api.app import app
    from govshare.catalog import load_catalog
    from govshare.registry.catalog_store import apply_catalog
    from govshare.registry.db import session

    fields: set = set()
    catalog = planted(shipped_catalog(), fields)
    assert fields == PLANTED_FIELDS
    folder = catalog_copy / "catalog"
    for old in folder.glob("*.yaml"):
        old.unlink()
    content = {
        kind: [entry.model_dump(mode="json", by_alias=True) for entry in getattr(catalog, kind).values()]
        for kind in ("agencies", "elements", "resources")
    }
    (folder / "catalog.yaml").write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    accepted = load_catalog(folder)  # markup in names is text: accepted, and escaped where it is shown
    assert accepted.resources["gat_population_register"].name == "人口基础信息" + HOSTILE
    for suite in (catalog_copy / "quality").glob("*.yaml"):
        rules = yaml.safe_load(suite.read_text(encoding="utf-8"))
        for rule in rules["rules"]:
            rule["description"] = rule.get("description", "") + HOSTILE
        suite.write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("GOVSHARE_QUALITY_DIR", str(catalog_copy / "quality"))
    with session() as s:
        apply_catalog(s, accepted, source="test", applied_by="test")
        tokens = {a: identity.create_token(s, a, operator()) for a in AGENCIES}
    return {**world, "tokens": tokens, "client": TestClient(app)}


# --- the browser ----------------------------------------------------------------------------

CHROMIUM = setting("chromium") or Path("/usr/bin/chromium")
# As root, in a closed network: no sandbox, and none of Chromium's calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: run scripts/ensure_browser.py, or set GOVSHARE_CHROMIUM")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def sign_in(browser: Browser, api_server, **context) -> Page:
    page = browser.new_page(**context)
    page.goto(api_server.root + "/")
    page.get_by_label("Username").fill(api_server.user)
    page.get_by_label("Password").fill(api_server.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Browse")).to_be_visible()
    return page
