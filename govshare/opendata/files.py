"""A publication's files in the open-data store, written so that a reader never sees half of one.

The store is any path-like object with ``/``, ``open``, ``mkdir``, ``rename``, ``exists``,
``iterdir`` and ``unlink`` — Airflow's ObjectStoragePath (a local folder, S3 …) or a
``pathlib.Path``. Layout::

    datasets/<resource>/<version>/<resource>.csv       UTF-8, header row
    datasets/<resource>/<version>/<resource>.parquet
    datasets/<resource>/current.json                   the version readers read, written last
    catalog.ttl, catalog.jsonld                        the DCAT catalogue

A version's files are complete before ``current.json`` names them, and ``current.json`` is
replaced whole (a rename on a file system, one PUT on an object store); the version before
stays, so a reader that read the old pointer still finds its files.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
from psycopg import sql

from govshare.catalog.types import CatalogType
from govshare.exchange.plan import Column

BATCH = 20_000
FORMATS = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


@dataclass(frozen=True)
class File:
    name: str
    format: str  # csv, parquet
    media_type: str
    bytes: int
    sha256: str

    def as_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


def dataset(root: Any, resource_code: str) -> Any:
    return root / "datasets" / resource_code


class _Counting:
    """A binary file that counts and hashes what goes through it."""

    def __init__(self, out: Any) -> None:
        self.out, self.size, self.digest = out, 0, hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.out.write(data)
        self.size += len(data)
        self.digest.update(data)
        return len(data)

    # pyarrow writes to any object with these
    closed = False

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        self.out.flush()


def write_version(
    conn: psycopg.Connection,
    table: sql.Composable,
    columns: tuple[Column, ...],
    key: tuple[str, ...],
    folder: Any,
    stem: str,
) -> list[File]:
    """Both files of a version from the staged ``table``, rows in key order."""
    folder.mkdir(parents=True, exist_ok=True)
    select = sql.SQL("SELECT {} FROM {} ORDER BY {}").format(
        sql.SQL(", ").join(sql.Identifier(c.name) for c in columns), table, sql.SQL(", ").join(map(sql.Identifier, key))
    )
    return [_csv(conn, select, folder / f"{stem}.csv"), _parquet(conn, select, columns, folder / f"{stem}.parquet")]


def _csv(conn: psycopg.Connection, select: sql.Composable, path: Any) -> File:
    with path.open("wb") as out, conn.cursor() as cur:
        counting = _Counting(out)
        with cur.copy(sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER, ENCODING 'UTF8')").format(select)) as copy:
            for block in copy:
                counting.write(bytes(block))
    return File(path.name, "csv", FORMATS["csv"], counting.size, counting.digest.hexdigest())


def _parquet(conn: psycopg.Connection, select: sql.Composable, columns: tuple[Column, ...], path: Any) -> File:
    schema = pa.schema([pa.field(c.name, arrow_type(c.delivered_type), c.nullable) for c in columns])
    with path.open("wb") as out:
        counting = _Counting(out)
        with pq.ParquetWriter(counting, schema, compression="zstd") as writer:
            for rows in _batches(conn, select):
                writer.write_table(
                    pa.Table.from_pylist([dict(zip(schema.names, r, strict=True)) for r in rows], schema)
                )
    return File(path.name, "parquet", FORMATS["parquet"], counting.size, counting.digest.hexdigest())


def _batches(conn: psycopg.Connection, select: sql.Composable) -> Iterator[list[tuple]]:
    with conn.cursor(name=f"open_data_{uuid.uuid4().hex[:8]}") as cur:  # server-side: memory stays flat
        cur.execute(select)
        while rows := cur.fetchmany(BATCH):
            yield rows


def arrow_type(type_: CatalogType) -> pa.DataType:
    simple = {
        "smallint": pa.int16(),
        "integer": pa.int32(),
        "bigint": pa.int64(),
        "double": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us"),
        "timestamptz": pa.timestamp("us", tz="UTC"),
    }
    if type_.name == "numeric":
        return pa.decimal128(type_.size or 38, type_.scale or 0)
    return simple.get(type_.name, pa.string())


def write_pointer(root: Any, resource_code: str, pointer: dict[str, Any]) -> None:
    """Make ``pointer`` the resource's current version, all at once."""
    write_whole(
        dataset(root, resource_code) / "current.json", json.dumps(pointer, ensure_ascii=False, indent=1).encode()
    )


def read_pointer(root: Any, resource_code: str) -> dict[str, Any] | None:
    path = dataset(root, resource_code) / "current.json"
    if not path.exists():
        return None
    with path.open("rb") as f:
        return json.loads(f.read())


def write_whole(path: Any, data: bytes) -> None:
    """Write ``data`` beside ``path`` and rename it into place: readers see the old or the new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.parent / f".{path.name}.{uuid.uuid4().hex}.partial"
    with partial.open("wb") as out:
        out.write(data)
    partial.rename(path)


def prune(root: Any, resource_code: str, keep: set[str]) -> None:
    """Remove the versions of a resource not in ``keep`` (and partial files left by a crash)."""
    folder = dataset(root, resource_code)
    if not folder.exists():
        return
    for entry in folder.iterdir():
        if entry.name.endswith(".partial") or (entry.is_dir() and entry.name not in keep):
            _remove(entry)


def remove_dataset(root: Any, resource_code: str) -> None:
    """A withdrawn resource: its pointer first (readers stop finding it), then every version."""
    folder = dataset(root, resource_code)
    pointer = folder / "current.json"
    if pointer.exists():
        pointer.unlink()
    if folder.exists():
        _remove(folder)


def _remove(path: Any) -> None:
    if path.is_dir():
        for entry in path.iterdir():
            _remove(entry)
        path.rmdir()
    else:
        path.unlink()
