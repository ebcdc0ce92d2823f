"""The ``govshare`` command: catalogue, registry, agreements, deliveries, demo.

Every command that fails prints what is wrong and how to fix it, and exits non-zero.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click
from rich.table import Table
from sqlalchemy import select

from govshare import settings
from govshare.airflow.docs import doc_md
from govshare.catalog import load_catalog, validate
from govshare.errors import CatalogInvalid, GovshareError, NotFound
from govshare.quality.rules import validate_suites
from govshare.registry import agreements, deliveries
from govshare.registry import models as m
from govshare.registry.catalog_store import apply_catalog
from govshare.registry.db import session
from govshare.registry.migrate import upgrade
from govshare.terminal import console, errors


class GovshareGroup(click.Group):
    """Turns GovshareError into a message and a fix instead of a traceback (catalogue
    problems are listed one by one first)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GovshareError as exc:
            for problem in getattr(exc, "problems", []):
                errors.print(str(problem), highlight=False, markup=False)
            errors.print(f"[bold red]error:[/] {exc.message}", highlight=False)
            if exc.hint:
                errors.print(f"  [bold]fix:[/] {exc.hint}", highlight=False)
            sys.exit(1)


@click.group(cls=GovshareGroup)
def main() -> None:
    """govshare — government information resource sharing on Apache Airflow."""


# --- catalogue ----------------------------------------------------------------------------


@main.group()
def catalog() -> None:
    """Validate and apply the resource catalogue (include/catalog)."""


def _quality_dir_for(path: Path, quality: Path | None) -> Path | None:
    if quality is not None:
        return quality
    sibling = (path if path.is_dir() else path.parent).parent / "quality"
    return sibling if sibling.is_dir() else None


@catalog.command("validate")
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


@catalog.command("apply")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--by", "applied_by", default=None, help="Who files this version (default: your login).")
def catalog_apply(path: Path | None, applied_by: str | None) -> None:
    """Validate the catalogue and file it in the registry as a new version."""
    path = path or settings.catalog_dir()
    catalog = load_catalog(path)  # raises CatalogInvalid before anything is written
    quality_dir = _quality_dir_for(path, None)
    if quality_dir is not None and (problems := validate_suites(quality_dir, catalog)):
        raise CatalogInvalid(problems)
    with session() as s:
        filing = apply_catalog(s, catalog, source=str(path), applied_by=applied_by or getpass.getuser())
        broken = []
        for agreement in agreements.listing(s, status="active"):
            try:
                agreements.plan_for(s, agreement.code)
            except GovshareError as exc:
                broken.append(f"{agreement.code}: {exc.message}")
    if filing.changed:
        console.print(f"filed catalogue version {filing.version} ({filing.checksum[:12]})", highlight=False)
    else:
        console.print(f"catalogue unchanged since version {filing.version}; nothing filed", highlight=False)
    for line in broken:
        errors.print(f"[yellow]warning:[/] active agreement {line}; its runs will fail until resolved", highlight=False)


@catalog.command("resources")
def catalog_resources() -> None:
    """List the resources of the applied catalogue."""
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


# --- registry -----------------------------------------------------------------------------


@main.group()
def registry() -> None:
    """The registry database."""


@registry.command("upgrade")
def registry_upgrade() -> None:
    """Create or migrate the registry schema to the current version (safe to repeat)."""
    upgrade(settings.registry_url())
    console.print("registry schema is up to date")


# --- agreements ---------------------------------------------------------------------------


@main.group()
def agreement() -> None:
    """Create, activate and inspect sharing agreements."""


def _items(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


@agreement.command("create")
@click.option("--subscriber", required=True, help="Code of the agency receiving the data.")
@click.option("--resource", required=True, help="Code of the catalogued resource.")
@click.option("--items", required=True, help="Comma-separated item names; must include the primary key.")
@click.option("--purpose", required=True, help="The duty the data serves (用途).")
@click.option("--legal-basis", required=True, help="The law or regulation assigning that duty (依据).")
@click.option("--schedule", default="@daily", show_default=True, help="Preset or five-field cron, Asia/Shanghai.")
@click.option("--target-conn", required=True, help="Airflow connection id of the subscriber's database.")
@click.option("--target-schema", default="public", show_default=True)
@click.option("--target-table", required=True)
@click.option("--start-date", type=click.DateTime(["%Y-%m-%d"]), default=None, help="First day (default today).")
@click.option("--by", "created_by", default=None, help="Who records the agreement (default: your login).")
def agreement_create(
    subscriber,
    resource,
    items,
    purpose,
    legal_basis,
    schedule,
    target_conn,
    target_schema,
    target_table,
    start_date,
    created_by,
) -> None:
    """Record a new agreement as a draft (refused, with the reason, if not allowed)."""
    request = agreements.AgreementRequest(
        subscriber=subscriber,
        resource=resource,
        items=_items(items),
        purpose=purpose,
        legal_basis=legal_basis,
        schedule=schedule,
        target_conn_id=target_conn,
        target_schema=target_schema,
        target_table=target_table,
        start_date=start_date.date() if start_date else None,
    )
    with session() as s:
        created = agreements.create(s, request, created_by or getpass.getuser())
    console.print(
        f"created agreement {created.code} (draft); activate it with `govshare agreement activate {created.code}`",
        highlight=False,
    )


@agreement.command("activate")
@click.argument("code")
def agreement_activate(code: str) -> None:
    """Activate an agreement: its DAG appears at the next parse."""
    with session() as s:
        agreements.activate(s, code)
    console.print(f"agreement {code} is active")


@agreement.command("deactivate")
@click.argument("code")
def agreement_deactivate(code: str) -> None:
    """Deactivate an agreement: its DAG disappears at the next parse."""
    with session() as s:
        agreements.deactivate(s, code)
    console.print(f"agreement {code} is inactive")


@agreement.command("list")
@click.option("--status", default=None, help="Only agreements in this status (draft, active, inactive).")
def agreement_list(status: str | None) -> None:
    """List agreements."""
    table = Table("code", "status", "resource", "provider → subscriber", "items", "schedule", "target")
    with session() as s:
        for card in agreements.cards(s, status=status):
            table.add_row(
                card.code,
                card.status,
                card.resource_code,
                f"{card.provider_code} → {card.subscriber_code}",
                str(len(card.items)),
                card.schedule,
                card.target,
            )
    console.print(table)


@agreement.command("show")
@click.argument("code")
def agreement_show(code: str) -> None:
    """Show one agreement in full."""
    with session() as s:
        found = agreements.cards(s, status=None, code=code)
    if not found:
        raise NotFound(f"no agreement '{code}'", "list agreements with `govshare agreement list`")
    card = found[0]
    console.print(f"status: {card.status}", highlight=False)
    console.print(doc_md(card), highlight=False, markup=False, soft_wrap=True)


# --- deliveries ---------------------------------------------------------------------------


@main.group()
def delivery() -> None:
    """Inspect deliveries."""


@delivery.command("list")
@click.option("--agreement", "code", default=None, help="Only this agreement's deliveries.")
@click.option("--limit", default=20, show_default=True)
def delivery_list(code: str | None, limit: int) -> None:
    """Recent deliveries, newest first."""
    table = Table("id", "agreement", "run", "status", "rows", "bytes", "checks ok/failed/warned", "seconds", "error")
    with session() as s:
        for d in deliveries.recent(s, code, limit):
            table.add_row(
                str(d.id),
                d.agreement_code,
                d.run_id,
                d.status,
                _n(d.rows),
                _n(d.bytes),
                f"{_n(d.checks_passed)}/{_n(d.checks_failed)}/{_n(d.checks_warned)}",
                f"{d.duration_seconds:.1f}" if d.duration_seconds is not None else "",
                (d.error or "")[:120],
            )
    console.print(table)


def _n(value) -> str:
    return "" if value is None else f"{value:,}" if isinstance(value, int) else str(value)


# --- demo ---------------------------------------------------------------------------------


@main.command()
@click.option("--scale", default=1.0, show_default=True, help="Multiply the sample row counts.")
def demo(scale: float) -> None:
    """Run the main job end to end on sample agencies (what `make demo` does)."""
    from govshare.demo.run import run_demo

    sys.exit(run_demo(scale=scale))


if __name__ == "__main__":
    main()
