"""`govshare audit`: verify and anchor the hash-chained audit log."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.markup import escape
from sqlalchemy import select

from govshare import audit
from govshare.cli.output import Table, console, errors
from govshare.registry import models as m
from govshare.registry.db import session


@click.group("audit")
def group() -> None:
    """The tamper-evident audit log."""


@group.command("verify")
@click.option(
    "--anchor",
    "anchor_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An anchor saved earlier by `audit anchor` (detects a cut or rewritten tail).",
)
def verify(anchor_file: Path | None) -> None:
    """Check the whole chain; exit 1 and name the first bad entry if it was tampered with."""
    anchor = json.loads(anchor_file.read_text()) if anchor_file else None
    with session() as s:
        verdict = audit.verify(s, anchor)
    if not verdict.ok:
        errors.print(f"[bold red]audit log tampered:[/] {escape(verdict.problem)}", highlight=False)
        errors.print(f"  first bad entry: {verdict.first_bad_seq} (of {verdict.entries} read)", highlight=False)
        sys.exit(1)
    console.print(
        f"audit log intact: {verdict.entries} entries, head {verdict.head_seq} {verdict.head_hash}"
        + (f"; anchor {anchor['seq']} matches" if anchor else ""),
        highlight=False,
    )


@group.command("anchor")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write it to this file.")
def anchor(out: Path | None) -> None:
    """Print the head of the log (sequence and hash) to keep outside the database."""
    with session() as s:
        head = audit.anchor(s)
    text = json.dumps(head, ensure_ascii=False)
    if out:
        out.write_text(text + "\n")
    console.print(text, highlight=False, markup=False)


@group.command("show")
@click.option("--limit", default=30, show_default=True)
@click.option("--subject", default=None, help="e.g. agreement:AGR-0001")
def show(limit: int, subject: str | None) -> None:
    """The newest entries."""
    query = select(m.AuditEntry).order_by(m.AuditEntry.seq.desc()).limit(limit)
    if subject:
        query = query.where(m.AuditEntry.subject == subject)
    table = Table("seq", "at", "actor", "action", "subject", "detail")
    with session() as s:
        for e in s.scalars(query):
            table.add_row(
                str(e.seq),
                f"{e.at:%Y-%m-%d %H:%M:%S}",
                e.actor,
                e.action,
                e.subject,
                json.dumps(e.detail, ensure_ascii=False)[:100],
            )
    console.print(table)
