"""`govshare catalog`: validate, file and browse the resource catalogue."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.markup import escape
from sqlalchemy import select

from govshare import settings
from govshare.catalog import load_catalog, validate
from govshare.cli.output import Table, console, errors, operator
from govshare.errors import CatalogInvalid, NotFound
from govshare.lifecycle.filings import file_catalog
from govshare.quality.rules import validate_suites
from govshare.registry import models as m
from govshare.registry.db import session


@click.group("catalog")
def group() -> None:
    """Validate, file and browse the resource catalogue (include/catalog)."""


def _quality_dir_for(path: Path, quality: Path | None) -> Path | None:
    if quality is not None:
        return quality
    sibling = (path if path.is_dir() else path.parent).parent / "quality"
    return sibling if sibling.is_dir() else None


@group.command("validate")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--quality",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of quality suites to check too (default: the catalogue's sibling 'quality').",
)
def catalog_validate(path: Path | None, quality: Path | None) -> None:
    """Report every problem in the catalogue at PATH (default include/catalog); exit 1 if any."""
    path = path or settings.catalog_dir()
    result, problems = validate(path)
    quality_dir = _quality_dir_for(path, quality)
    if quality_dir is not None:
        problems += validate_suites(quality_dir, result)
    for problem in problems:
        errors.print(str(problem), highlight=False, markup=False)
    if problems:
        errors.print(f"[bold red]{len(problems)} problem(s)[/] in {path}", highlight=False)
        sys.exit(1)
    console.print(
        f"catalogue OK: {len(result.agencies)} agencies, {len(result.elements)} data elements, "
        f"{len(result.resources)} resources" + (f"; quality suites in {quality_dir} OK" if quality_dir else ""),
        highlight=False,
    )


@group.command("apply")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
def catalog_apply(path: Path | None) -> None:
    """Validate the catalogue and file it as a new version (article 11). Active agreements the
    change breaks are suspended and both parties are notified."""
    path = path or settings.catalog_dir()
    catalog = load_catalog(path)  # raises CatalogInvalid before anything is written
    quality_dir = _quality_dir_for(path, None)
    if quality_dir is not None and (problems := validate_suites(quality_dir, catalog)):
        raise CatalogInvalid(problems)
    with session() as s:
        outcome = file_catalog(s, catalog, source=str(path), by=operator())
    filing = outcome.filing
    if not filing.changed:
        console.print(f"catalogue unchanged since version {filing.version}; nothing filed", highlight=False)
        return
    console.print(f"filed catalogue version {filing.version} ({filing.checksum[:12]}):", highlight=False)
    for line in filing.changes:
        console.print(f"  {line}", highlight=False, markup=False)
    for code, reasons in outcome.suspended.items():
        errors.print(f"[yellow]suspended[/] agreement {code}: {escape('; '.join(reasons))}", highlight=False)


@group.command("filings")
@click.option("--version", "version", type=int, default=None, help="Show this version's changes in full.")
def catalog_filings(version: int | None) -> None:
    """The filed catalogue versions and what each changed."""
    with session() as s:
        if version is not None:
            filing = s.get(m.CatalogFiling, version)
            if filing is None:
                raise NotFound(f"no catalogue version {version}", "list them with `govshare catalog filings`")
            console.print(f"version {filing.version}, filed {filing.applied_at:%Y-%m-%d %H:%M} by {filing.applied_by}")
            console.print(filing.diff, highlight=False, markup=False)
            return
        table = Table("version", "filed", "by", "changes")
        for filing in s.scalars(select(m.CatalogFiling).order_by(m.CatalogFiling.version.desc())):
            lines = filing.diff.splitlines()
            shown = "; ".join(lines[:3]) + (f"; … ({len(lines)} changes)" if len(lines) > 3 else "")
            table.add_row(str(filing.version), f"{filing.applied_at:%Y-%m-%d %H:%M}", filing.applied_by, shown)
    console.print(table)


@group.command("resources")
def catalog_resources() -> None:
    """The resources of the filed catalogue."""
    table = Table("resource", "name", "provider", "share type", "items", "front DB table")
    with session() as s:
        for r in s.scalars(select(m.Resource).order_by(m.Resource.code)):
            table.add_row(
                r.code,
                r.name,
                r.provider_code,
                r.share_type,
                ", ".join(i.name for i in r.items),
                f"{r.conn_id}:{r.schema_name}.{r.table_name}",
            )
    console.print(table)


@group.command("agencies")
def catalog_agencies() -> None:
    """The agencies of the filed catalogue."""
    table = Table("agency", "name", "kind", "level", "region")
    with session() as s:
        for a in s.scalars(select(m.Agency).order_by(m.Agency.code)):
            table.add_row(a.code, a.name, a.kind, a.level, a.region_code)
    console.print(table)
