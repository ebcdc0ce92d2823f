"""Open data (article 19) on real databases and a real object store (Airflow's
ObjectStoragePath on a local folder): the publication, its files, the DCAT catalogue checked
with pyshacl against the DCAT-AP 3.0.1 shapes, the CKAN Action API read by ckanapi's own
RemoteCKAN over HTTP — and nothing personal or not open anywhere."""

from __future__ import annotations

import csv
import io
import re
import socket
import threading
import time

import psycopg
import pyarrow.parquet as pq
import pytest
import requests
import uvicorn
from airflow.sdk import ObjectStoragePath
from ckanapi import NotFound, RemoteCKAN, ValidationError
from fastapi import FastAPI
from pydantic import SecretBytes
from pyshacl import validate
from rdflib import Graph
from rdflib.namespace import DCAT, RDF
from sqlalchemy import update

from govshare.delivery.runtime import Runtime
from govshare.demo import front_db, sample_data
from govshare.exchange.address import DatabaseAddress
from govshare.opendata import catalogue, publication, published
from govshare.registry import models as m
from govshare.registry.db import session
from govshare.registry.statuses import PublicationStatus
from tests.conftest import ROOT
from tests.helpers import ID_NUMBER, shipped_catalog

SHAPES = ROOT / "include" / "reference" / "dcat-ap" / "3.0.1"
OPEN = "scjg_enterprise_register"
NOT_OPEN = ("gat_population_register", "rst_social_insurance", "rst_medical_records")
RELEASED = [
    "uscc",
    "name",
    "legal_rep_name",
    "registered_capital",
    "established_on",
    "region_code",
    "status",
    "updated_at",
]
ROWS = 300


@pytest.fixture
def world(applied, make_database, tmp_path):
    """The shipped catalogue filed, the enterprise register's front DB with ROWS rows, a store."""
    front = make_database("front")
    people = list(sample_data.population(200))
    enterprises = list(sample_data.enterprises(ROWS, people))
    with psycopg.connect(front) as conn:
        front_db.create_table(conn, shipped_catalog().resources[OPEN])
        front_db.fill(conn, shipped_catalog().resources[OPEN], enterprises)
    runtime = Runtime(
        address=lambda conn_id: DatabaseAddress.from_url(front), pseudonym_key=lambda: SecretBytes(b"k" * 48)
    )
    root = ObjectStoragePath((tmp_path / "open-data").as_uri())
    return front, enterprises, runtime, root


def _round(world, run_id="run-1", force=True):
    _, _, runtime, root = world
    return publication.run_round(session, runtime, root, run_id, force=force)


def _personal(enterprises) -> tuple[set[str], set[str]]:
    """The raw names and ID numbers of the legal representatives."""
    return {e[2] for e in enterprises}, {e[3] for e in enterprises if e[3]}


def _every_text(root) -> str:
    """Every file in the store, as text (Parquet as its decoded table)."""
    texts = []
    for path in root.rglob("*"):
        if path.is_dir():
            continue
        if path.name.endswith(".parquet"):
            with path.open("rb") as f:
                texts.append(pq.read_table(f).to_pandas().to_csv())
        else:
            texts.append(path.read_bytes().decode())
    return "\n".join(texts)


def test_publishes_the_open_resource_as_csv_and_parquet_without_personal_data(world):
    _, enterprises, _, root = world
    done = _round(world)
    assert done.published == [OPEN] and not done.failed and not done.blocked
    pointer = publication.files.read_pointer(root, OPEN)
    folder = publication.files.dataset(root, OPEN) / pointer["version"]
    rows = list(csv.DictReader(io.StringIO((folder / f"{OPEN}.csv").read_bytes().decode("utf-8"))))
    assert len(rows) == ROWS and list(rows[0]) == RELEASED  # the ID number is omitted
    by_code = {e[0]: e for e in enterprises}
    for row in rows:
        raw = by_code[row["uscc"]]
        assert row["name"] == raw[1]
        assert row["legal_rep_name"] == raw[2][0] + "*" * (len(raw[2]) - 1)  # public: name
    with (folder / f"{OPEN}.parquet").open("rb") as f:
        table = pq.read_table(f)
    assert table.num_rows == ROWS and table.column_names == RELEASED
    assert sorted(table.column("uscc").to_pylist()) == sorted(r["uscc"] for r in rows)
    names, ids = _personal(enterprises)
    everything = _every_text(root)
    assert not ids & set(ID_NUMBER.findall(everything)), "an ID number was published"
    assert not [n for n in names if len(n) > 1 and n in everything], "a raw name was published"
    for code in NOT_OPEN:
        assert code not in everything
    with session() as s:
        record = s.query(m.Publication).filter_by(resource_code=OPEN).one()
        assert record.status == PublicationStatus.PUBLISHED and record.rows == ROWS
        assert {f["name"] for f in record.files} == {f"{OPEN}.csv", f"{OPEN}.parquet"}
        assert s.query(m.AuditEntry).filter_by(action="open_data.published", subject=OPEN).count() == 1


def test_the_dcat_catalogue_conforms_to_dcat_ap_3(world):
    _, _, _, root = world
    _round(world)
    shapes = Graph().parse(SHAPES / "dcat-ap-SHACL.ttl")
    for name, fmt in (("catalog.ttl", "turtle"), ("catalog.jsonld", "json-ld")):
        data = Graph().parse(data=(root / name).read_bytes().decode(), format=fmt)
        datasets = list(data.subjects(RDF.type, DCAT.Dataset))
        assert [str(d).rsplit("/", 1)[-1] for d in datasets] == [OPEN]
        assert len(list(data.objects(datasets[0], DCAT.distribution))) == 2
        conforms, _, text = validate(data, shacl_graph=shapes, inference="none", allow_warnings=True)
        assert conforms, text


def test_a_failed_block_rule_keeps_the_previous_publication(world):
    front, _, _, root = world
    _round(world)
    before = publication.files.read_pointer(root, OPEN)
    with psycopg.connect(front) as conn:  # a code with a wrong check character
        conn.execute(
            "UPDATE exchange.enterprise_register SET uscc = '91130000MA00000000' WHERE uscc = "
            "(SELECT min(uscc) FROM exchange.enterprise_register)"
        )
    done = _round(world, "run-2")
    assert done.blocked == [OPEN]
    assert publication.files.read_pointer(root, OPEN) == before
    assert (publication.files.dataset(root, OPEN) / before["version"] / f"{OPEN}.csv").exists()
    with session() as s:
        assert published.current(s, OPEN).version == before["version"]
        blocked = s.query(m.Publication).filter_by(status=PublicationStatus.BLOCKED).one()
        assert "uscc_valid" in blocked.error


def test_a_resource_no_longer_open_is_withdrawn(world):
    _, _, _, root = world
    _round(world)
    with session() as s:
        s.execute(update(m.Resource).where(m.Resource.code == OPEN).values(open_type="not_open"))
    done = _round(world, "run-2")
    assert done.withdrawn == [OPEN] and done.published == []
    assert not publication.files.dataset(root, OPEN).exists()
    assert OPEN not in (root / "catalog.ttl").read_bytes().decode()
    assert _round(world, "run-3").withdrawn == []  # once


@pytest.fixture
def server(world):
    """The platform's API app served over HTTP as Airflow's api-server mounts it (/govshare)."""
    from govshare.api.app import app

    outer = FastAPI()
    outer.mount("/govshare", app)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    running = uvicorn.Server(uvicorn.Config(outer, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    while not running.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/govshare/open"
    running.should_exit = True
    thread.join(10)


def test_ckan_clients_list_search_and_show_the_published_datasets(world, server, monkeypatch):
    _, enterprises, _, root = world
    monkeypatch.setenv("GOVSHARE_OPEN_DATA_URL", str(root))
    _round(world)
    ckan = RemoteCKAN(server)
    answers = []
    answers.append(ckan.action.package_list())
    assert answers[-1] == [OPEN]
    answers.append(ckan.action.package_search(q="企业"))
    assert answers[-1]["count"] == 1 and answers[-1]["results"][0]["name"] == OPEN
    assert ckan.action.package_search(q="人口")["count"] == 0
    dataset = ckan.action.package_show(id=OPEN)
    answers.append(dataset)
    assert [i["name"] for i in dataset["items"]] == RELEASED and dataset["num_resources"] == 2
    assert dataset["organization"]["name"] == "hb_scjg"
    answers.append(ckan.action.organization_list(all_fields=True))
    assert [o["name"] for o in answers[-1]] == ["hb_scjg"]
    csv_resource = ckan.action.resource_show(id=f"{OPEN}.csv")
    download = requests.get(f"{server}/files/{OPEN}/{OPEN}.csv", timeout=30)
    assert download.status_code == 200 and csv_resource["hash"].endswith(
        __import__("hashlib").sha256(download.content).hexdigest()
    )
    for code in NOT_OPEN:
        with pytest.raises(NotFound):
            ckan.action.package_show(id=code)
        assert requests.get(f"{server}/files/{code}/{code}.csv", timeout=30).status_code == 404
    names, ids = _personal(enterprises)
    text = (
        str(answers)
        + requests.get(f"{server}/catalog.ttl", timeout=30).text
        + requests.get(f"{server}/", timeout=30).text
    )
    page = requests.get(f"{server}/datasets/{OPEN}", timeout=30).text
    text += page
    # the dataset page: its items as published, the licence, the downloads, the update cycle
    for item in RELEASED:
        assert f"<td>{item}</td>" in page, item
    assert "<td>legal_rep_name</td><td>法定代表人姓名</td><td>varchar(50)</td><td>脱敏 masked name</td>" in page
    assert 'rel="license"' in page and f"/files/{OPEN}/{OPEN}.csv" in page and f"/files/{OPEN}/{OPEN}.parquet" in page
    assert "<dt>更新周期 Update cycle</dt><dd>每日 daily</dd>" in page.replace("\n", "")
    listing = requests.get(f"{server}/", params={"q": "企业"}, timeout=30).text
    assert f"/datasets/{OPEN}" in listing and "<td>每日 daily</td>" in listing
    assert f"/datasets/{OPEN}" not in requests.get(f"{server}/", params={"q": "没有这样的数据"}, timeout=30).text
    assert not ids & set(ID_NUMBER.findall(text)) and not [n for n in names if len(n) > 1 and n in text]
    assert "legal_rep_citizen_id" not in text and not any(code in text for code in NOT_OPEN)


def test_the_public_api_refuses_what_it_cannot_answer(world, server):
    _round(world)
    ckan = RemoteCKAN(server)
    with pytest.raises(ValidationError):
        ckan.action.package_search(rows=100000)
    with pytest.raises(ValidationError):
        ckan.action.package_search(fq="private:true")
    with pytest.raises(NotFound):
        ckan.action.package_show(id="../../etc/passwd")
    assert requests.post(f"{server}/api/3/action/package_create", json={"name": "x"}, timeout=30).status_code == 400
    assert requests.get(f"{server}/files/{OPEN}/..%2F..%2Fcurrent.json", timeout=30).status_code == 404
    assert requests.post(f"{server}/api/3/action/package_list", data=b"x" * 70000, timeout=30).status_code == 409
    page = requests.get(f"{server}/datasets/gat_population_register", timeout=30)
    assert page.status_code == 404 and "gat_population_register" in page.text  # named, nothing else


def test_publication_is_due_on_its_cycle_and_when_the_public_items_change(world):
    _round(world)
    assert _round(world, "run-2", force=False).published == []
    with session() as s:
        s.execute(
            update(m.ResourceItem)
            .where(m.ResourceItem.resource_code == OPEN, m.ResourceItem.name == "status")
            .values(public="omit")
        )
    assert _round(world, "run-3", force=False).published == [OPEN]
    _, _, _, root = world
    pointer = publication.files.read_pointer(root, OPEN)
    header = (
        (publication.files.dataset(root, OPEN) / pointer["version"] / f"{OPEN}.csv")
        .read_bytes()
        .decode()
        .splitlines()[0]
    )
    assert "status" not in header.split(",")
    assert re.fullmatch(r"[a-z_,]+", header)


def test_a_changed_mask_is_published_at_once(world):
    """A mask the catalogue tightens is due now, not at the end of the cycle: until then the
    files would hold what the metadata no longer says."""
    _, enterprises, _, root = world
    _round(world)
    with session() as s:
        s.execute(
            update(m.ResourceItem)
            .where(m.ResourceItem.resource_code == OPEN, m.ResourceItem.name == "legal_rep_name")
            .values(public="keep:0,1")
        )
    assert _round(world, "run-2", force=False).published == [OPEN]
    pointer = publication.files.read_pointer(root, OPEN)
    csv_text = (publication.files.dataset(root, OPEN) / pointer["version"] / f"{OPEN}.csv").read_bytes().decode()
    by_code = {e[0]: e for e in enterprises}
    for row in csv.DictReader(io.StringIO(csv_text)):
        raw = by_code[row["uscc"]][2]
        assert row["legal_rep_name"] == "*" * (len(raw) - 1) + raw[-1]
    with session() as s:
        record = published.current(s, OPEN)
        assert {"name": "legal_rep_name", "public": "keep:0,1"} in record.items


def test_a_conditionally_shared_resource_is_never_published_whatever_the_registry_says(world):
    """Deny by default: the catalogue refuses a conditional share that is open, and should a
    registry row say so anyway (every item released as it is), its data reaches no file, no
    metadata and no API answer."""
    front, enterprises, _, root = world
    conditional = "rst_social_insurance"
    people = list(sample_data.population(50))
    records = list(sample_data.social_insurance(40, people, enterprises))
    with psycopg.connect(front) as conn:
        front_db.create_table(conn, shipped_catalog().resources[conditional], keyed=False)  # two records twice
        front_db.fill(conn, shipped_catalog().resources[conditional], records)
    with session() as s:
        s.execute(update(m.Resource).where(m.Resource.code == conditional).values(open_type="open"))
        s.execute(update(m.ResourceItem).where(m.ResourceItem.resource_code == conditional).values(public="publish"))
        assert s.get(m.Resource, conditional).share_type == "conditional"
    done = _round(world)
    assert done.published == [OPEN] and conditional not in done.blocked + done.failed
    everything = _every_text(root)
    assert conditional not in everything
    assert not {r[1] for r in records} & set(ID_NUMBER.findall(everything)), "an insured person's ID was published"
    assert not [kind for kind in sample_data.INSURANCE_TYPES if kind in everything], "insurance records were published"
    with session() as s:
        assert s.query(m.Publication).filter_by(resource_code=conditional).count() == 0
        assert [d.code for d in catalogue.datasets(s)] == [OPEN] and catalogue.dataset(s, conditional) is None


def test_old_versions_and_crash_leftovers_go_and_a_failure_keeps_what_the_public_reads(world):
    front, _, _, root = world
    for run in ("run-1", "run-2", "run-3"):
        if run == "run-3":  # a crash between writing a file and its rename leaves a partial file
            (publication.files.dataset(root, OPEN) / ".x.csv.0123.partial").write_bytes(b"half")
        assert _round(world, run).published == [OPEN]
    folder = publication.files.dataset(root, OPEN)
    pointer = publication.files.read_pointer(root, OPEN)
    versions = sorted(entry.name for entry in folder.iterdir() if entry.is_dir())
    assert len(versions) == 2 and pointer["version"] in versions  # the current one and the one before
    assert not [entry.name for entry in folder.iterdir() if entry.name.endswith(".partial")]

    with psycopg.connect(front) as conn:  # the provider's table is gone: reading fails
        conn.execute("ALTER TABLE exchange.enterprise_register RENAME TO enterprise_register_gone")
    done = _round(world, "run-4")
    assert done.failed == [OPEN] and done.published == []
    assert publication.files.read_pointer(root, OPEN) == pointer
    assert (folder / pointer["version"] / f"{OPEN}.csv").exists()
    with session() as s:
        failed = s.query(m.Publication).filter_by(run_id="run-4").one()
        assert failed.status == PublicationStatus.FAILED and "enterprise_register" in failed.error
        assert published.current(s, OPEN).version == pointer["version"]
