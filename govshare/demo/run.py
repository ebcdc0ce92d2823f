"""`make demo`: the main job end to end on sample Hebei agencies.

1. the registry schema; 2. front DBs with sample data and empty subscriber DBs;
3. Airflow's metadata DB and one Airflow connection per database; 4. the catalogue filed;
5. sharing agreements taken through the article-13 workflow by the agencies themselves (and
one not_shared request that ends in a joint decision); 6. each generated DAG run through
Airflow (`airflow dags test`); 7. a front-DB health check and this period's monitoring and
supervision reports; 8. the notifications of all this, mailed by a platform DAG to a local
mailbox; 9. a summary. Safe to run again: it rebuilds the sample data and reuses the
agreements it created before.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from rich.table import Table
from sqlalchemy.engine import make_url

from govshare import clock, settings
from govshare.airflow import mail
from govshare.airflow.connections import PSEUDONYM_KEY
from govshare.catalog import load_catalog
from govshare.catalog.model import Catalog
from govshare.demo import front_db, sample_data, staff_accounts, workflow
from govshare.demo.mailbox import Mailbox
from govshare.demo.runner import DagRunner, DagsTest
from govshare.demo.workflow import DemoAgreement
from govshare.errors import GovshareError
from govshare.lifecycle.filings import file_catalog
from govshare.registry import deliveries
from govshare.registry import models as m
from govshare.registry.cards import cards as agreement_cards
from govshare.registry.db import session
from govshare.registry.deliveries import DeliveryStatus
from govshare.registry.migrate import upgrade
from govshare.terminal import console

FRONT_DBS = {
    "front_hb_gat": "demo_front_hb_gat",
    "front_hb_scjg": "demo_front_hb_scjg",
    "front_hb_rst": "demo_front_hb_rst",
}
SUBSCRIBER_DBS = {"sub_hb_mzt": "demo_sub_hb_mzt", "sub_hb_rst": "demo_sub_hb_rst", "sub_sjz_mzj": "demo_sub_sjz_mzj"}


AGREEMENTS = (
    DemoAgreement(
        subscriber_code="hb_mzt",
        resource_code="gat_population_register",
        items=("person_id", "citizen_id", "name", "gender", "birth_date", "region_code", "updated_at"),
        purpose="最低生活保障、特困人员救助供养申请人的身份核验",
        legal_basis="《社会救助暂行办法》（国务院令第649号）关于最低生活保障审核确认的规定",
        target_conn_id="sub_hb_mzt",
        target_table="population_basic",
        condition_met="仅用于低保、特困审核确认；不含住址和电话；不向第三方提供",
        expect=DeliveryStatus.SUCCEEDED,
        # identity checks need the real number and name: the agreement says so explicitly
        options={"masking": {"citizen_id": "none", "name": "none"}},
    ),
    DemoAgreement(
        subscriber_code="hb_mzt",
        resource_code="scjg_enterprise_register",
        items=("uscc", "name", "legal_rep_citizen_id", "registered_capital", "status", "updated_at"),
        purpose="社会救助家庭经济状况核对：申请人名下企业登记情况",
        legal_basis="《社会救助暂行办法》（国务院令第649号）关于家庭经济状况核对的规定",
        target_conn_id="sub_hb_mzt",
        target_table="enterprise_basic",
        condition_met="",  # unconditional: agreed without review
        expect=DeliveryStatus.SUCCEEDED,
        # changes only, merged by key; deregistered enterprises deleted
        options={
            "mode": "incremental",
            "watermark": "updated_at",
            "deletions": "key_diff",
            # raw, so the quality rule can check the representatives against the population register
            "masking": {"legal_rep_citizen_id": "none"},
        },
    ),
    DemoAgreement(
        subscriber_code="hb_mzt",
        resource_code="rst_social_insurance",
        items=("record_id", "citizen_id", "insurance_type", "monthly_base", "status", "updated_at"),
        purpose="社会救助家庭经济状况核对：申请人社会保险缴费情况",
        legal_basis="《社会救助暂行办法》（国务院令第649号）关于家庭经济状况核对的规定",
        target_conn_id="sub_hb_mzt",
        target_table="social_insurance",
        condition_met="仅用于家庭经济状况核对，核对结果不用于其他用途",
        expect=DeliveryStatus.FAILED,  # the export has duplicated records and a negative contribution base
        options={"masking": {"citizen_id": "none"}},
    ),
    DemoAgreement(
        subscriber_code="hb_rst",
        resource_code="gat_population_register",
        items=("person_id", "citizen_id", "name", "gender", "birth_date", "updated_at"),
        purpose="社会保险参保登记的身份核验",
        legal_basis="《中华人民共和国社会保险法》关于社会保险登记的规定",
        target_conn_id="sub_hb_rst",
        target_table="population_for_insurance",
        condition_met="仅用于参保登记身份核验",
        expect=DeliveryStatus.SUCCEEDED,
        # pseudonyms: HRSS can join the records, but never sees the numbers
        options={"masking": {"citizen_id": "hmac"}},
    ),
    DemoAgreement(
        subscriber_code="sjz_mzj",
        resource_code="gat_population_register",
        items=("person_id", "citizen_id", "name", "gender", "birth_date", "region_code", "updated_at"),
        purpose="石家庄市最低生活保障申请人身份核验",
        legal_basis="《社会救助暂行办法》（国务院令第649号）关于最低生活保障审核确认的规定",
        target_conn_id="sub_sjz_mzj",
        target_table="population_basic",
        condition_met="仅限本市户籍人员",
        expect=DeliveryStatus.SUCCEEDED,
        # a city bureau gets its own city's people only, ID numbers and names masked by default
        options={"row_filter": [{"item": "region_code", "op": "prefix", "value": "1301"}]},
    ),
)


def run_demo(scale: float = 1.0, runner: DagRunner | None = None, mailbox: Mailbox | None = None) -> int:
    """The demo on ``runner`` (``airflow dags test`` by default). Its mail goes to ``mailbox``,
    whose SMTP connection the caller gave Airflow; without one the demo opens its own and sets
    ``AIRFLOW_CONN_GOVSHARE_SMTP`` for the processes it starts (it closes when the demo ends, so
    it is never stored: a connection you configured for `make airflow` is left alone)."""
    with ExitStack() as stack:
        if mailbox is None:
            mailbox = stack.enter_context(Mailbox.for_run(_mail_root()))
            os.environ[f"AIRFLOW_CONN_{mail.SMTP_CONN_ID.upper()}"] = mailbox.connection
        return _run(scale, runner or DagsTest(), mailbox)


def _run(scale: float, runner: DagRunner, mailbox: Mailbox) -> int:
    configured = settings.setting("pg_url")
    if not configured:
        console.print("[red]run the demo with `make demo`[/] (it sets up the database and Airflow environment)")
        return 2
    server = configured.get_secret_value()
    started = time.monotonic()
    catalog = _set_up(server, scale)
    codes = _negotiate()
    outcomes, second_run = _deliver(runner, server, codes)

    _step(7, "monitoring: front-DB health (platform_front_db_health DAG) and this period's reports")
    _monitor(runner, catalog)

    _step(8, "open data (article 19): the platform_open_data DAG publishes the open resources")
    _publish_open_data(runner)

    _step(9, "notifications, sent by the platform_notifications DAG through Airflow's SMTP provider")
    _send_notifications(runner, mailbox)

    _step(10, "summary")
    _summary(codes, outcomes)
    _subscriber_tables(server)
    console.print(f"\ndemo finished in {time.monotonic() - started:.0f}s.")
    console.print(
        "Open the Airflow UI on this setup with [bold]make airflow[/], then http://localhost:8080 "
        "(user admin; password in .govshare/airflow/simple_auth_manager_passwords.json.generated): "
        "Browse → 共享协议 Agreements and the other pages. Agency staff sign in at "
        f"http://localhost:8080/govshare/ui/ (logins and passwords in {STAFF_PASSWORDS})."
    )
    return _verdict(outcomes, second_run)


# Beside Airflow's own generated password file (AIRFLOW_HOME is .govshare/airflow under make).
STAFF_PASSWORDS = Path(os.environ.get("AIRFLOW_HOME", ".govshare/airflow")).parent / "demo-staff.json"


def _set_up(server: str, scale: float) -> Catalog:
    """Steps 1-4: the registry, the front DBs with sample data, Airflow, the filed catalogue."""
    _step(1, "registry schema")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per migration is for `registry upgrade`
    upgrade(settings.registry_url())

    _step(2, "front-end exchange DBs with sample data; empty subscriber DBs")
    catalog = load_catalog(settings.catalog_dir())
    counts = _load_front_dbs(server, catalog, scale)
    for name, count in counts.items():
        console.print(f"    {name:<40} {count:>8,} rows")
    for dbname in SUBSCRIBER_DBS.values():
        # Emptied on every run: their tables and watermarks describe the previous run's front
        # data, which step 2 has just replaced (the registry keeps the delivery history).
        _create_database(server, dbname, fresh=True)

    _step(3, "Airflow metadata DB and connections")
    _airflow_setup(server)

    _step(4, "catalogue filed in the registry")
    with session() as s:
        filing = file_catalog(s, catalog, source=str(settings.catalog_dir()), by=workflow.OPERATOR).filing
    console.print(f"    catalogue version {filing.version}" + ("" if filing.changed else " (unchanged)"))
    accounts = staff_accounts.ensure(STAFF_PASSWORDS)
    console.print(f"    agency staff for the workspace: {', '.join(accounts)} (passwords in {STAFF_PASSWORDS})")
    return catalog


def _negotiate() -> list[str]:
    """Step 5: every sample agreement through the workflow; the codes of those that deliver."""
    _step(5, "sharing agreements, through the workflow of article 13 (each agency with its own token)")
    desk = workflow.Desk(
        sorted({a.subscriber_code for a in AGREEMENTS} | {"hb_gat", "hb_scjg", "hb_rst", "hb_sjj", "hb_bb", "hb_bmj"})
    )
    codes = []
    for spec in AGREEMENTS:
        code, steps = workflow.negotiate(desk, spec, clock.today().replace(day=1))
        codes.append(code)
        console.print(
            f"    {code}  {spec.resource_code} → {spec.subscriber_code}: {' → '.join(steps)}", highlight=False
        )
    code, steps = workflow.joint_decision(desk)
    console.print(f"    {code}  rst_medical_records (not_shared) → hb_mzt: {' → '.join(steps)}", highlight=False)
    return codes


@dataclass(frozen=True)
class _SecondRun:
    """The incremental agreement's run after the provider changed and deleted rows."""

    code: str
    delivery: m.Delivery | None
    changed: int
    removed: int

    @property
    def as_expected(self) -> bool:
        found = self.delivery
        return found is not None and (found.rows_merged, found.rows_deleted) == (self.changed, self.removed)


def _deliver(runner: DagRunner, server: str, codes: list[str]) -> tuple[list[m.Delivery | None], _SecondRun]:
    """Step 6: each agreement's DAG, then the incremental one again after the provider changed."""
    _step(6, "running each agreement's DAG through Airflow")
    _say_what_earlier_runs_left(codes)
    outcomes = [_run_dag(runner, code, i + 1, len(codes)) for i, code in enumerate(codes)]
    incremental = next(
        code for code, spec in zip(codes, AGREEMENTS, strict=True) if spec.options.get("mode") == "incremental"
    )
    changed, removed = _change_enterprises(server)
    console.print(
        f"    meanwhile {changed} enterprises changed and {removed} were deregistered; {incremental} runs again:"
    )
    again = _run_dag(runner, incremental, len(codes) + 1, len(codes) + 1)
    if again is not None:
        console.print(
            f"    {incremental}: {again.rows} changed rows read, {again.rows_merged} merged, {again.rows_deleted} deleted "
            f"(watermark {again.watermark_from} → {again.watermark_to})",
            highlight=False,
        )
    return outcomes, _SecondRun(incremental, again, changed, removed)


def _say_what_earlier_runs_left(codes: list[str]) -> None:
    """A rerun keeps the registry, so this period's reports and anomalies count the earlier
    runs' deliveries too: say so before they show (a second failure of the same agreement is
    a repeated_failures anomaly, rightly)."""
    with session() as s:
        earlier = s.query(m.Delivery).filter(m.Delivery.agreement_code.in_(codes)).count()
    if earlier:
        registry = make_url(settings.registry_url()).database
        console.print(
            f"    the registry keeps {earlier:,} {'delivery' if earlier == 1 else 'deliveries'} of earlier demo runs: "
            "this period's reports and anomalies (step 7) count them too, so AGR-0003 failing again is a repeated_failures anomaly. "
            f"For a first run's figures, drop the registry database ({registry}) or set another GOVSHARE_REGISTRY_URL.",
            highlight=False,
        )


def _verdict(outcomes: list[m.Delivery | None], second_run: _SecondRun) -> int:
    expected = [a.expect for a in AGREEMENTS]
    actual = [d.status if d else "not run" for d in outcomes]
    if actual != expected:
        console.print(f"[red]unexpected outcome[/]: expected {expected}, got {actual}; logs in {_log_dir()}")
        return 1
    if not second_run.as_expected:
        console.print(
            f"[red]unexpected outcome[/]: {second_run.code}'s second run should merge {second_run.changed} and "
            f"delete {second_run.removed} rows; logs in {_log_dir()}"
        )
        return 1
    return 0


STEPS = 10


def _step(number: int, title: str) -> None:
    console.print(f"[bold cyan][{number}/{STEPS}][/] {title}")


def _log_dir() -> Path:
    path = Path(os.environ.get("AIRFLOW_HOME", ".govshare/airflow")).parent / "logs" / "demo"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _url(server: str, dbname: str) -> str:
    return make_url(server).set(database=dbname, drivername="postgresql").render_as_string(hide_password=False)


def _create_database(server: str, dbname: str, fresh: bool = False) -> None:
    with psycopg.connect(_url(server, "postgres"), autocommit=True) as conn:
        if fresh:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))


def _load_front_dbs(server: str, catalog: Catalog, scale: float) -> dict[str, int]:
    people = list(sample_data.population(max(100, int(20_000 * scale))))
    employers = list(sample_data.enterprises(max(20, int(3_000 * scale)), people))
    insurance = list(sample_data.social_insurance(max(50, int(25_000 * scale)), people, employers))
    tables = {
        "gat_population_register": (people, True),
        "scjg_enterprise_register": (employers, True),
        # Front tables are often loaded by scripts without constraints: that is how duplicates get in.
        "rst_social_insurance": (insurance, False),
        "rst_medical_records": ([], True),  # not_shared: nothing ever flows, but the table is catalogued
    }
    counts = {}
    for code, (rows, keyed) in tables.items():
        resource = catalog.resources[code]
        dbname = FRONT_DBS[resource.front_db.conn_id]
        _create_database(server, dbname)
        with psycopg.connect(_url(server, dbname)) as conn:
            front_db.create_table(conn, resource, keyed)
            front_db.fill(conn, resource, rows)
        counts[f"{dbname}.{resource.front_db.schema_}.{resource.front_db.table}"] = len(rows)
    return counts


def _airflow_setup(server: str) -> None:
    log = _log_dir() / "airflow-db-migrate.log"
    with log.open("w") as out:
        done = subprocess.run(["airflow", "db", "migrate"], stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise GovshareError("`airflow db migrate` failed", f"see {log}")
    path = _connections_file(server)
    log = _log_dir() / "airflow-connections-import.log"
    with log.open("w") as out:
        done = subprocess.run(["airflow", "connections", "import", "--overwrite", str(path)], stdout=out, stderr=out)
    if done.returncode != 0:
        raise GovshareError("`airflow connections import` failed", f"see {log}")
    names = sorted(json.loads(path.read_text()))
    console.print(f"    connections from {path}: {', '.join(names)}")


def _connections_file(server: str) -> Path:
    """The demo's connections the way an operator provides them: a file for `airflow connections
    import` (README: Connections). The pseudonym key in it is made once and kept, so pseudonyms
    stay the same from run to run."""
    path = Path(os.environ["AIRFLOW_HOME"]) / "connections.json"
    before = json.loads(path.read_text()) if path.exists() else {}
    parsed = make_url(server)
    connections = {
        conn_id: {
            "conn_type": "postgres",
            "host": parsed.host,
            "port": parsed.port or 5432,
            "login": parsed.username,
            "password": parsed.password,
            "schema": dbname,
            "description": "govshare demo",
        }
        for conn_id, dbname in {**FRONT_DBS, **SUBSCRIBER_DBS}.items()
    }
    key = before.get(PSEUDONYM_KEY, {}).get("password") or secrets.token_urlsafe(48)
    connections[PSEUDONYM_KEY] = {
        "conn_type": "generic",
        "password": key,
        "description": "govshare: master key for pseudonyms (HMAC)",
    }
    path.touch(mode=0o600)
    path.chmod(0o600)  # it holds passwords and the key
    path.write_text(json.dumps(connections, indent=2, sort_keys=True))
    return path


def _change_enterprises(server: str) -> tuple[int, int]:
    """What a day at the market regulation bureau looks like: 1% of enterprises change, a few close."""
    # The front DB keeps Beijing wall-clock time, as the sample data does; the server's own
    # zone (localtimestamp) may be another one.
    now = clock.wall_clock().replace(microsecond=0)
    with psycopg.connect(_url(server, FRONT_DBS["front_hb_scjg"])) as conn:
        changed = conn.execute(
            "UPDATE exchange.enterprise_register SET registered_capital = registered_capital + 100, "
            "updated_at = %s WHERE uscc IN (SELECT uscc FROM exchange.enterprise_register "
            "ORDER BY uscc LIMIT (SELECT count(*) / 100 FROM exchange.enterprise_register))",
            (now,),
        ).rowcount
        removed = conn.execute(
            "DELETE FROM exchange.enterprise_register WHERE uscc IN "
            "(SELECT uscc FROM exchange.enterprise_register ORDER BY uscc DESC LIMIT 3)"
        ).rowcount
    return changed, removed


def _monitor(runner: DagRunner, catalog: Catalog) -> None:
    """Check every front DB through Airflow, then write this month's monitoring report for civil
    affairs and this quarter's supervision report (HTML and PDF) under .govshare/reports."""
    from govshare.monitoring import send as reports
    from govshare.monitoring.figures import Period

    log = _log_dir() / "platform_front_db_health.log"
    runner.start("platform_front_db_health", log).wait()
    with session() as s:
        checks = s.query(m.FrontDbCheck).order_by(m.FrontDbCheck.id.desc()).limit(len(catalog.resources)).all()
        healthy = sum(c.ok for c in checks)
        console.print(f"    front DBs: {healthy} of {len(checks)} catalogued tables healthy (log: {log})")
        folder = _log_dir().parent.parent / "reports"
        folder.mkdir(parents=True, exist_ok=True)
        today = clock.today()
        month, quarter = Period.month_of(today), Period.quarter_of(today)
        for stem, document in (
            (f"monitoring-hb_mzt-{month.label}", reports.monitoring(s, "hb_mzt", month)),
            (f"supervision-{quarter.label}", reports.supervision(s, quarter)),
        ):
            (folder / f"{stem}.html").write_text(document.html, encoding="utf-8")
            (folder / f"{stem}.pdf").write_bytes(document.pdf)
            console.print(f"    {folder / stem}.pdf (and .html): {document.summary[1]}", highlight=False, markup=False)


def _publish_open_data(runner: DagRunner) -> None:
    """Publish what the catalogue opens to the public (the enterprise register, without the
    legal representative's ID number and with the name masked), then say where it is."""
    from govshare.airflow.open_data import store
    from govshare.opendata import published

    log = _log_dir() / "platform_open_data.log"
    runner.start("platform_open_data", log).wait()
    with session() as s:
        for resource in published.open_resources(s):
            p = published.current(s, resource.code)
            said = f"published, {p.rows or 0:,} rows as {len(p.items)} items" if p else "[red]not published[/]"
            console.print(f"    {resource.code}: {said} (log: {log})")
    console.print(f"    files and the DCAT catalogue (catalog.ttl, catalog.jsonld) in {store()}", highlight=False)
    console.print("    the public catalogue and its CKAN API: http://localhost:8080/govshare/open/", highlight=False)


def _send_notifications(runner: DagRunner, mailbox: Mailbox) -> None:
    """Let Airflow send what is still in the outbox (each DAG's notify task sent its own mail
    already), then show what the mailbox received."""
    runner.start("platform_notifications", _log_dir() / "platform_notifications.log").wait()
    subjects = [str(message["Subject"]) for message in mailbox.received]
    console.print(
        f"    {len(subjects)} emails delivered to {mailbox.folder}/*.eml (open them in any mail client; "
        "earlier runs' mail is in the folders beside it), e.g.",
        highlight=False,
    )
    for subject in subjects[:3]:
        console.print(f"      {subject}", highlight=False, markup=False)


def _mail_root() -> Path:
    return _log_dir().parent.parent / "mail"


def _run_dag(runner: DagRunner, code: str, number: int, total: int) -> m.Delivery | None:
    with session() as s:
        before = max((d.id for d in deliveries.recent(s, code, 1)), default=0)
    log = _log_dir() / f"{code}.log"
    started = time.monotonic()
    with console.status(f"  [{number}/{total}] {code}: starting Airflow") as status:
        process = runner.start(code, log)
        while process.poll() is None:
            time.sleep(0.5)
            delivery = _latest(code, before)
            if delivery is not None:
                status.update(f"  [{number}/{total}] {code}: {_progress(delivery)}")
    delivery = _latest(code, before)
    outcome = delivery.status if delivery else "not run"
    colour = {DeliveryStatus.SUCCEEDED: "green", DeliveryStatus.FAILED: "yellow"}.get(outcome, "red")
    console.print(
        f"    [{number}/{total}] {code}: [{colour}]{outcome}[/] in {time.monotonic() - started:.0f}s  (log: {log})"
    )
    return delivery


def _latest(code: str, after: int) -> m.Delivery | None:
    with session() as s:
        found = deliveries.recent(s, code, 1)
    return found[0] if found and found[0].id > after else None


def _progress(delivery: m.Delivery) -> str:
    if delivery.status == DeliveryStatus.RUNNING:
        return "preflight"
    if delivery.status == DeliveryStatus.STAGED:
        return f"staged {delivery.rows:,} rows, checking"
    if delivery.status == DeliveryStatus.CHECKED:
        return "checked, publishing"
    return delivery.status


def _summary(codes: list[str], outcomes: list[m.Delivery | None]) -> None:
    with session() as s:
        cards = {c.code: c for c in agreement_cards(s, status=None)}
    table = Table(
        "agreement",
        "resource",
        "provider → subscriber",
        "rows staged",
        "delivered",
        "checks passed",
        "failed",
        "warned",
        "status",
        "duration",
    )
    for code, delivery in zip(codes, outcomes, strict=True):
        card = cards[code]
        if delivery is None:
            table.add_row(
                code,
                card.resource_name,
                f"{card.provider_code} → {card.subscriber_code}",
                "",
                "",
                "",
                "",
                "",
                "[red]not run[/]",
                "",
            )
            continue
        colour = "green" if delivery.status == DeliveryStatus.SUCCEEDED else "yellow"
        table.add_row(
            code,
            card.resource_name,
            f"{card.provider_code} → {card.subscriber_code}",
            f"{delivery.rows or 0:,}",
            f"{deliveries.rows_delivered(delivery) or 0:,}",
            str(delivery.checks_passed or 0),
            str(delivery.checks_failed or 0),
            str(delivery.checks_warned or 0),
            f"[{colour}]{delivery.status}[/]",
            f"{delivery.duration_seconds:.1f}s" if delivery.duration_seconds else "",
        )
    console.print(table)
    for code, delivery in zip(codes, outcomes, strict=True):
        if delivery is not None and delivery.status == DeliveryStatus.FAILED:
            console.print(f"  {code} failed on purpose — {delivery.error}", highlight=False)


def _subscriber_tables(server: str) -> None:
    console.print("\nSubscriber databases now hold:")
    for conn_id, dbname in SUBSCRIBER_DBS.items():
        with psycopg.connect(_url(server, dbname)) as conn:
            rows = conn.execute(
                """SELECT n.nspname || '.' || c.relname, c.reltuples::bigint
                   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'govshare_staging')
                   ORDER BY 1"""
            ).fetchall()
        listed = ", ".join(f"{name} (~{count:,} rows)" for name, count in rows) or "nothing yet"
        console.print(f"    {dbname} ({conn_id}): {listed}")
