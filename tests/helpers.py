"""Test helpers that talk to real databases."""

from __future__ import annotations

import functools
import re
from datetime import datetime
from html.parser import HTMLParser

import psycopg
from psycopg import sql
from pydantic import SecretBytes

from govshare import clock
from govshare.catalog import load_catalog
from govshare.catalog.model import Catalog
from govshare.demo import front_db, sample_data
from tests.conftest import ROOT

# Unmasked personal data, wherever it might leak: not inside a longer run of letters or digits
# (\b would not do: Chinese characters are word characters too).
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dX](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")


@functools.cache
def shipped_catalog() -> Catalog:
    """The catalogue in include/catalog, parsed once (callers copy it before changing it)."""
    return load_catalog(ROOT / "include" / "catalog")


def provider_now() -> datetime:
    """A provider's "now" for rows a test changes: Beijing wall-clock time on the platform's clock,
    as the sample data is stamped (a database server's now() runs on its own clock and zone)."""
    return clock.wall_clock()


def population_front_db(url: str, rows: int = 500) -> list[tuple]:
    """The population register's front table with ``rows`` deterministic sample rows."""
    resource = shipped_catalog().resources["gat_population_register"]
    people = list(sample_data.population(rows))
    with psycopg.connect(url) as conn:
        front_db.create_table(conn, resource)
        front_db.fill(conn, resource, people)
    return people


def checksum(url: str, table: tuple[str, str], columns: list[str], key: list[str]) -> tuple[int, str]:
    """(row count, md5 over the rows' text in key order) — equal content gives equal results."""
    query = sql.SQL(
        "SELECT count(*), md5(coalesce(string_agg(row_text, '|' ORDER BY k), '')) FROM "
        "(SELECT ({})::text AS row_text, ({})::text AS k FROM {}) t"
    ).format(
        sql.SQL("ROW({})").format(sql.SQL(", ").join(map(sql.Identifier, columns))),
        sql.SQL("ROW({})").format(sql.SQL(", ").join(map(sql.Identifier, key))),
        sql.Identifier(*table),
    )
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchone()


def columns_of(url: str, schema: str, table: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
                "ORDER BY ordinal_position",
                (schema, table),
            ).fetchall()
        ]


def execute(url: str, statement: str, params=None) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement, params)


def query(url: str, statement: str, params=None) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(statement, params).fetchall()


# --- markup planted in text: it must come out as text -------------------------------------

# What an agency might type into any text field, or a hostile one would: a script, a break out of
# an attribute into an image that runs one, Markdown links and images, HTML and a character
# reference, a table cell's end, emphasis and code, and a line break starting a heading.
HOSTILE = (
    '<script>alert(1)</script>"><img src=x onerror=alert(1)> [click](https://evil.example/) '
    "![x](https://evil.example/x.png) <b>&amp;</b> | *em* `code`\n# heading"
)
# Never in a page of ours: what the markup above would be if it were not escaped.
_INJECTED = ("<script", "<img src=x", "<b>")


class ParsedHtml(HTMLParser):
    """The elements, attributes and text of a page, as a browser would read them."""

    def __init__(self, source: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.chunks: list[str] = []
        self.feed(source)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += attrs

    def handle_data(self, data):
        self.chunks.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.chunks).split())


def shown_as_text(page: str, where: str = "") -> int:
    """Assert that no planted markup is markup in this HTML page — no script, no element or
    attribute it brought, no link or image to its address — and return how many times
    :data:`HOSTILE` shows on the page as text (whitespace squeezed, as a browser shows it)."""
    parsed = ParsedHtml(page)
    for raw in _INJECTED:
        assert raw not in page, (where, _around(page, raw))
    assert "script" not in parsed.tags, where
    assert not [name for name, _ in parsed.attributes if name.startswith("on")], (where, parsed.attributes)
    assert not [v for _, v in parsed.attributes if v and "evil.example" in v], (where, parsed.attributes)
    return parsed.text.count(" ".join(HOSTILE.split()))


def markdown_shown_as_text(source: str, where: str = "") -> int:
    """:func:`shown_as_text` for Markdown (a DAG's doc_md), rendered as CommonMark with raw HTML
    on and GitHub's tables, as the Airflow UI renders it (but for its skipping raw HTML)."""
    from markdown_it import MarkdownIt

    return shown_as_text(MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(source), where)


def _around(text: str, needle: str) -> str:
    at = text.find(needle)
    return text[max(0, at - 120) : at + 120]


# --- the article-13 workflow, driven as the real agencies would --------------------------


def agency(code: str):
    """The identity an agency's token authenticates as."""
    from govshare.identity import Actor
    from govshare.registry import models as m
    from govshare.registry.db import session

    with session() as s:
        return Actor.of_agency(s.get(m.Agency, code))


def operator():
    from govshare.identity import Actor

    return Actor.operator("tester")


def request(**overrides):
    from govshare.registry.terms import AgreementTerms

    fields = dict(
        subscriber_code="hb_mzt",
        resource_code="gat_population_register",
        items=["person_id", "citizen_id", "name"],
        purpose="最低生活保障申请人身份核验",
        legal_basis="《社会救助暂行办法》",
        target_conn_id="sub_hb_mzt",
        target_table="population_basic",
    )
    return AgreementTerms(**{**fields, **overrides})


def active_agreement(wanted) -> str:
    """Take a request from submission to active: provider agrees, hb_sjj files, operator activates."""
    from govshare.lifecycle import service
    from govshare.registry import models as m
    from govshare.registry.db import session

    with session() as s:
        code = service.request(s, agency(wanted.subscriber_code), wanted, and_submit=True).code
        provider = s.get(m.Resource, wanted.resource_code).provider_code
        if s.get(m.Agreement, code).status == "submitted":
            service.review(s, agency(provider), code, True, "仅用于申请所述职责")
        service.file(s, agency("hb_sjj"), code)
        service.activate(s, operator(), code)
    return code


# --- MySQL / MariaDB front DBs ------------------------------------------------------------


def mysql_url() -> str:
    """The MySQL/MariaDB server for tests: GOVSHARE_MYSQL_URL, else root on 127.0.0.1:3306."""
    from govshare.settings import setting

    configured = setting("mysql_url")
    return configured.get_secret_value() if configured else "mysql://root@127.0.0.1:3306/"


def mysql_connect(database: str | None = None):
    import pymysql
    from sqlalchemy.engine import make_url

    url = make_url(mysql_url())
    return pymysql.connect(
        host=url.host,
        port=url.port or 3306,
        user=url.username,
        password=url.password or "",
        database=database,
        charset="utf8mb4",
        autocommit=True,
    )


def mysql_front_table(database: str, resource, rows) -> None:
    """The resource's table in MySQL, typed as the catalogue says, filled with ``rows``."""
    from govshare.catalog.types import CatalogType

    columns = ", ".join(
        f"`{i.name}` {CatalogType.parse(i.type).mysql()}{'' if i.nullable else ' NOT NULL'}" for i in resource.items
    )
    key = ", ".join(f"`{k}`" for k in resource.primary_key)
    with mysql_connect(database) as conn, conn.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS `{resource.front_db.table}`")
        cur.execute(f"CREATE TABLE `{resource.front_db.table}` ({columns}, PRIMARY KEY ({key})) CHARSET utf8mb4")
        marks = ", ".join(["%s"] * len(resource.items))
        cur.executemany(f"INSERT INTO `{resource.front_db.table}` VALUES ({marks})", list(rows))


def previous_delivery(url: str, code: str, table: str, key: str) -> None:
    """A subscriber table ``public.<table>`` as an earlier delivery of agreement ``code`` left it:
    one row, and the subscriber's ledger saying the platform published it."""
    import psycopg

    from govshare.exchange import staging

    with psycopg.connect(url) as conn:
        conn.execute(f"CREATE TABLE public.{table} ({key} bigint, note text)")
        conn.execute(f"INSERT INTO public.{table} VALUES (1, 'previous delivery')")
        staging.prepare(conn)
        staging.record_publication(conn, code, "earlier", f"public.{table}", staging.Publication(1, 1, 0), None)


def deliver(plan, source, target, run_id: str, key: bytes | None = None):
    """``plan`` delivered by the delivery service's registry-free path (preflight, stage, the
    shipped suite, publish) between two addresses; (staged, report, published)."""
    from govshare.delivery.runtime import Runtime
    from govshare.delivery.steps import deliver as deliver_plan
    from tests.conftest import ROOT

    addresses = {plan.source_conn_id: source, plan.target_conn_id: target}
    runtime = Runtime(address=addresses.__getitem__, pseudonym_key=lambda: None if key is None else SecretBytes(key))
    done = deliver_plan(plan, runtime, run_id, quality_dir=ROOT / "include" / "quality")
    return done.staged, done.report, done.published
