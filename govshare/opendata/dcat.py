"""The public catalogue as DCAT-AP 3 (Turtle and JSON-LD): the catalogue, a dataset per
published open resource with its CSV and Parquet distributions, the publisher, the licence,
the accrual periodicity from the update cycle, the spatial coverage from the provider's
division code, issued and modified dates, keywords. Checked against the DCAT-AP 3.0.1 SHACL
shapes in include/reference/dcat-ap (tests/integration/test_open_data.py)."""

from __future__ import annotations

from typing import Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD
from sqlalchemy.orm import Session

from govshare import settings
from govshare.opendata import catalogue, files

SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority/"
FREQUENCY = {
    "realtime": "UPDATE_CONT",
    "hourly": "HOURLY",
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "monthly": "MONTHLY",
    "quarterly": "QUARTERLY",
    "yearly": "ANNUAL",
}
FILE_TYPE = {"csv": "CSV", "parquet": "PARQUET"}
MEDIA_TYPE = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


def graph(s: Session) -> Graph:
    base = catalogue.base_url()
    g = Graph()
    for prefix, ns in (
        ("dcat", DCAT),
        ("dct", DCTERMS),
        ("foaf", FOAF),
        ("skos", SKOS),
        ("spdx", SPDX),
        ("vcard", VCARD),
    ):
        g.bind(prefix, ns)
    root = URIRef(f"{base}/catalog")
    g.add((root, RDF.type, DCAT.Catalog))
    g.add((root, DCTERMS.title, Literal("政务开放数据目录", lang="zh")))
    g.add((root, DCTERMS.title, Literal("Open government data", lang="en")))
    g.add((root, DCTERMS.description, Literal("依法向社会开放的政务信息资源（第十九条）。", lang="zh")))
    g.add((root, DCTERMS.publisher, _platform(g, base)))
    g.add((root, FOAF.homepage, _document(g, f"{base}/")))
    licence = _licence(g)
    g.add((root, DCTERMS.license, licence))
    for dataset in catalogue.datasets(s):
        g.add((root, DCAT.dataset, _dataset(g, base, dataset, licence)))
    return g


def _platform(g: Graph, base: str) -> URIRef:
    agent = URIRef(f"{base}/publisher/platform")
    g.add((agent, RDF.type, FOAF.Agent))
    g.add((agent, FOAF.name, Literal("政务信息资源共享平台", lang="zh")))
    return agent


def _licence(g: Graph) -> URIRef:
    licence = URIRef(settings.setting("open_data_licence"))
    g.add((licence, RDF.type, DCTERMS.LicenseDocument))
    return licence


def _dataset(g: Graph, base: str, d: catalogue.Dataset, licence: URIRef) -> URIRef:
    node = URIRef(f"{base}/dataset/{d.code}")
    g.add((node, RDF.type, DCAT.Dataset))
    g.add((node, DCTERMS.identifier, Literal(d.national_code or d.code)))
    g.add((node, DCTERMS.title, Literal(d.title, lang="zh")))
    g.add((node, DCTERMS.description, Literal(d.description, lang="zh")))
    publisher = URIRef(f"{base}/publisher/{d.provider_code}")
    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, FOAF.name, Literal(d.provider_name, lang="zh")))
    if d.provider_credit_code:
        g.add((publisher, DCTERMS.identifier, Literal(d.provider_credit_code)))
    g.add((node, DCTERMS.publisher, publisher))
    frequency = URIRef(f"{EU}frequency/{FREQUENCY[d.update_cycle]}")
    g.add((frequency, RDF.type, DCTERMS.Frequency))
    g.add((node, DCTERMS.accrualPeriodicity, frequency))
    place = URIRef(f"{base}/division/{d.region_code}")
    g.add((place, RDF.type, DCTERMS.Location))
    g.add((place, SKOS.notation, Literal(d.region_code)))
    g.add((node, DCTERMS.spatial, place))
    if d.released_on:
        g.add((node, DCTERMS.issued, Literal(d.released_on, datatype=XSD.date)))
    g.add((node, DCTERMS.modified, Literal(d.modified.replace(microsecond=0), datatype=XSD.dateTime)))
    for word in d.keywords:
        g.add((node, DCAT.keyword, Literal(word, lang="zh")))
    g.add((node, DCAT.landingPage, _document(g, f"{base}/datasets/{d.code}")))
    for f in d.files:
        g.add((node, DCAT.distribution, _distribution(g, base, d, f, licence)))
    return node


def _document(g: Graph, url: str) -> URIRef:
    page = URIRef(url)
    g.add((page, RDF.type, FOAF.Document))
    return page


def _distribution(g: Graph, base: str, d: catalogue.Dataset, f: dict[str, Any], licence: URIRef) -> URIRef:
    node = URIRef(f"{base}/dataset/{d.code}/{f['format']}")
    url = URIRef(catalogue.download_url(d.code, f["name"]))
    g.add((node, RDF.type, DCAT.Distribution))
    g.add((node, DCTERMS.title, Literal(f"{d.title}（{f['format'].upper()}）", lang="zh")))
    g.add((node, DCAT.accessURL, url))
    g.add((node, DCAT.downloadURL, url))
    g.add((node, DCAT.byteSize, Literal(f["bytes"], datatype=XSD.nonNegativeInteger)))
    file_type = URIRef(f"{EU}file-type/{FILE_TYPE[f['format']]}")
    g.add((file_type, RDF.type, DCTERMS.MediaTypeOrExtent))
    g.add((node, DCTERMS["format"], file_type))
    media = URIRef(f"http://www.iana.org/assignments/media-types/{MEDIA_TYPE[f['format']]}")
    g.add((media, RDF.type, DCTERMS.MediaType))
    g.add((node, DCAT.mediaType, media))
    g.add((node, DCTERMS.license, licence))
    g.add((node, DCTERMS.modified, Literal(d.modified.replace(microsecond=0), datatype=XSD.dateTime)))
    checksum = BNode()
    g.add((checksum, RDF.type, SPDX.Checksum))
    g.add((SPDX.checksumAlgorithm_sha256, RDF.type, SPDX.ChecksumAlgorithm))
    g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    g.add((checksum, SPDX.checksumValue, Literal(f["sha256"], datatype=XSD.hexBinary)))
    g.add((node, SPDX.checksum, checksum))
    return node


def write(s: Session, root: Any) -> None:
    """The catalogue into the open-data store, each file replaced whole."""
    g = graph(s)
    files.write_whole(root / "catalog.ttl", g.serialize(format="turtle").encode())
    files.write_whole(root / "catalog.jsonld", g.serialize(format="json-ld").encode())
