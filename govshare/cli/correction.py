"""`govshare correction`: corrections of delivered values (纠错, article 16)."""

from __future__ import annotations

import click
from rich.table import Column

from govshare import corrections
from govshare.cli.output import CODE, Table, acting, console, token_option
from govshare.lifecycle import deadlines
from govshare.lifecycle.service import act
from govshare.registry.db import session


@click.group("correction")
def group() -> None:
    """File and answer corrections of delivered values; they go to the data's authoritative source."""


def _key(pairs: tuple[str, ...]) -> dict[str, str]:
    key = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r}: write ITEM=VALUE, e.g. person_id=42", param_hint="--key")
        key[name.strip()] = value.strip()
    return key


def _done(correction, what: str) -> None:
    due = f"; due {deadlines.as_shown(correction)}" if correction.due_date else ""
    console.print(
        f"{correction.code}: {what} — now {correction.status} (authority {correction.authority_code}){due}",
        highlight=False,
        markup=False,
    )


@group.command("file")
@click.option("--agreement", type=CODE, required=True, help="The agreement the value was delivered under.")
@click.option(
    "--key", "key", multiple=True, required=True, help="The record's key, ITEM=VALUE (repeat for each key item)."
)
@click.option("--item", required=True, help="The item whose value is in doubt.")
@click.option("--problem", required=True, help="What is wrong.")
@click.option("--evidence", required=True, help="Why you know: a document, a case number, a contrary record.")
@click.option(
    "--delivery",
    type=click.IntRange(min=1),
    help="The delivery the record came in (its id, as `govshare delivery list` shows it).",
)
@token_option
def file_(agreement, key, item, problem, evidence, delivery, token) -> None:
    """File a correction (the subscriber)."""
    actor = acting(token)
    record = _key(key)
    result = act(
        actor,
        "correction.file",
        f"agreement:{agreement}",
        lambda s: corrections.file(s, actor, agreement, record, item, problem, evidence, delivery),
    )
    _done(result, "filed")


def _step(name: str, doc: str, reason_required: bool):
    @click.argument("code", type=CODE)
    @click.option("--reason", required=reason_required, default="", help="Why (required to reject, dispute, resolve).")
    @token_option
    def command(code, reason, token) -> None:
        actor = acting(token)
        result = act(
            actor, f"correction.{name}", f"correction:{code}", lambda s: corrections.act(s, actor, code, name, reason)
        )
        _done(result, name)

    command.__doc__ = doc
    return group.command(name)(command)


_step("accept", "Accept a correction and set about fixing it (the authoritative source).", False)
_step("reject", "Reject a correction, giving reasons (the authoritative source).", True)
_step("fixed", "Report the value fixed at the source (the authoritative source).", False)
_step("confirm", "Close a correction: fixed or rightly rejected (the subscriber).", False)
_step("dispute", "Dispute the answer: the competent department decides (the subscriber).", True)
_step("resolve", "Decide a disputed correction (the competent department).", True)


@group.command("list")
@token_option
def list_(token) -> None:
    """Corrections you take part in (all, for an operator)."""
    actor = acting(token)
    table = Table(
        "code", "status", Column("due", no_wrap=True), "agreement", "record", "item", "authority", "subscriber"
    )
    with session() as s:
        for c in corrections.visible(s, actor):
            table.add_row(
                c.code,
                c.status,
                deadlines.as_shown(c),
                c.agreement_code,
                ", ".join(f"{k}={v}" for k, v in c.record_key.items()),
                c.item,
                c.authority_code,
                c.subscriber_code,
            )
    console.print(table)


@group.command("show")
@click.argument("code", type=CODE)
@token_option
def show(code, token) -> None:
    """One correction with its history."""
    actor = acting(token)

    def read(s):
        return corrections.read(s, actor, code), corrections.steps(s, code)

    correction, history = act(actor, "correction.read", f"correction:{code}", read)
    due = f", due {deadlines.as_shown(correction)}" if correction.due_date else ""
    console.print(
        f"{correction.code} on {correction.resource_code}.{correction.item}, record {correction.record_key} "
        f"(agreement {correction.agreement_code}): {correction.status}{due}\n"
        f"problem: {correction.problem}\nevidence: {correction.evidence}\n"
        f"authoritative source: {correction.authority_code}; provider: {correction.provider_code}",
        highlight=False,
        markup=False,
    )
    table = Table("when", "action", "from → to", "by", "reason")
    for step in history:
        table.add_row(
            f"{step.at:%Y-%m-%d %H:%M}",
            step.action,
            f"{step.from_status or '—'} → {step.to_status}",
            step.actor,
            step.reason,
        )
    console.print(table)
