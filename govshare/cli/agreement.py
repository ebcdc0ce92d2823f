"""`govshare agreement`: every step of the article-13 workflow, taken as an agency (with its
token) or as a platform operator."""

from __future__ import annotations

import click
from pydantic import ValidationError
from rich.table import Column

from govshare.airflow.docs import doc_text
from govshare.cli.output import CODE, Table, acting, console, token_option
from govshare.exchange.plan import DELETIONS, MODES
from govshare.identity import Actor
from govshare.lifecycle import deadlines, service
from govshare.registry import cards
from govshare.registry import models as m
from govshare.registry.db import session
from govshare.registry.statuses import AgreementStatus
from govshare.registry.terms import AgreementTerms

# Why a stored deadline is marked provisional, and where to look.
PROVISIONAL = (
    "the deadline is provisional: no official holiday calendar for {year} was known when it was set "
    "(see `govshare calendar show {year}`)"
)


@click.group("agreement")
def group() -> None:
    """Request, review, coordinate, decide, file, activate, suspend, revoke and read agreements."""


# How a term is given on the command line where it is not one plain text value. Every option
# is a term: its flag is the field's name (--target-conn-id), its help the field's description.
_GIVEN_AS = {
    "items": dict(metavar="ITEM,ITEM,...", help="Comma-separated."),
    "start_date": dict(type=click.DateTime(["%Y-%m-%d"])),
    "end_date": dict(type=click.DateTime(["%Y-%m-%d"])),
    "mode": dict(type=click.Choice(MODES)),
    "overlap": dict(type=int),
    "deletions": dict(type=click.Choice(DELETIONS)),
    "empty_source_ok": dict(is_flag=True),
    "row_filter": dict(
        multiple=True,
        metavar="'ITEM OP VALUE'",
        help="e.g. 'region_code prefix 1301' or 'status in 存续,在业' (repeatable).",
    ),
    "masking": dict(
        multiple=True, metavar="ITEM=MASK", help="e.g. citizen_id=keep:6,4, name=none, phone=hmac (repeatable)."
    ),
}
# The subscriber is the agency whose token is used.
REQUEST_TERMS = [name for name in AgreementTerms.model_fields if name != "subscriber_code"]


def flag(term: str) -> str:
    return "--" + term.replace("_", "-")


def _request_option(term: str):
    field = AgreementTerms.model_fields[term]
    given_as = dict(_GIVEN_AS.get(term, {}))
    help_ = " ".join(filter(None, (field.description, given_as.pop("help", None))))
    default = None if field.is_required() or field.default_factory else field.default
    shown = default is not None and not given_as.get("is_flag")
    return click.option(flag(term), term, default=default, show_default=shown, help=help_, **given_as)


def _request_options(command):
    for term in reversed(REQUEST_TERMS):
        command = _request_option(term)(command)
    return command


def _request(actor: Actor, **given) -> AgreementTerms:
    required = [t for t in REQUEST_TERMS if AgreementTerms.model_fields[t].is_required()]
    missing = [flag(t) for t in required if not given.get(t)]
    if missing:
        raise click.UsageError(f"a new request needs {', '.join(missing)}")
    try:
        return AgreementTerms(
            **given
            | {
                "subscriber_code": actor.name,
                "items": [i.strip() for i in given["items"].split(",") if i.strip()],
                "start_date": given["start_date"].date() if given["start_date"] else None,
                "end_date": given["end_date"].date() if given["end_date"] else None,
                "row_filter": [_condition(text) for text in given["row_filter"]],
                "masking": dict(_mask(text) for text in given["masking"]),
            }
        )
    except ValidationError as invalid:
        problems = "; ".join(f"{_where(e['loc'])}: {e['msg'].removeprefix('Value error, ')}" for e in invalid.errors())
        raise click.UsageError(problems) from None


def _where(loc: tuple) -> str:
    """The option a validation error is about (and which of its values)."""
    return " ".join([flag(str(loc[0]))] + [str(part) for part in loc[1:] if not isinstance(part, int)][:1])


def _condition(text: str) -> dict:
    parts = text.split(maxsplit=2)
    if len(parts) != 3:
        raise click.BadParameter(
            f"{text!r}: write ITEM OP VALUE, e.g. 'region_code prefix 1301'", param_hint="--row-filter"
        )
    item, op, value = parts
    return {"item": item, "op": op, "value": value.split(",") if op in ("in", "between") else value}


def _mask(text: str) -> tuple[str, str]:
    item, sep, spec = text.partition("=")
    if not sep:
        raise click.BadParameter(f"{text!r}: write ITEM=MASK, e.g. citizen_id=keep:6,4", param_hint="--masking")
    return item.strip(), spec.strip()


def _done(agreement, what: str) -> None:
    due = f"; answer due by {deadlines.as_shown(agreement)}" if agreement.due_date else ""
    console.print(f"{agreement.code}: {what} — now {agreement.status}{due}", highlight=False, markup=False)


@group.command("draft")
@token_option
@_request_options
def draft(token, **given) -> None:
    """Draft a request for your agency (submit it later with `agreement submit CODE`)."""
    actor = acting(token)
    wanted = _request(actor, **given)
    result = service.act(actor, "draft", f"agency:{actor.name}", lambda s: service.request(s, actor, wanted))
    _done(result, "drafted")


@group.command("submit")
@click.argument("code", required=False, type=CODE)
@token_option
@_request_options
def submit(code, token, **given) -> None:
    """Submit a draft (CODE), or draft and submit a new request in one go (the options)."""
    actor = acting(token)
    if code:
        result = service.act(actor, "submit", f"agreement:{code}", lambda s: service.submit(s, actor, code))
    else:
        wanted = _request(actor, **given)
        result = service.act(
            actor, "submit", f"agency:{actor.name}", lambda s: service.request(s, actor, wanted, and_submit=True)
        )
    _done(result, "submitted")


@group.command("review")
@click.argument("code", type=CODE)
@click.option("--agree/--refuse", required=True, help="The provider's answer.")
@click.option("--statement", required=True, help="Agreeing: how the share condition is met. Refusing: the reasons.")
@token_option
def review(code, agree, statement, token) -> None:
    """Answer a request for your resource (the provider)."""
    actor = acting(token)
    result = service.act(
        actor, "review", f"agreement:{code}", lambda s: service.review(s, actor, code, agree, statement)
    )
    _done(result, "agreed" if agree else "refused")


@group.command("coordinate")
@click.argument("code", type=CODE)
@click.option("--open", "step", flag_value="escalate", help="Take a refused request to coordination.")
@click.option("--settle", "step", flag_value="coordinate", help="Settle it: the data is to be shared.")
@click.option("--refer", "step", flag_value="refer", help="Refer it to a joint decision.")
@click.option("--reason", required=True)
@token_option
def coordinate(code, step, reason, token) -> None:
    """Coordination by the competent department (article 13)."""
    if step is None:
        raise click.UsageError("choose one of --open, --settle or --refer")
    actor = acting(token)
    action = {"escalate": service.escalate, "coordinate": service.coordinate, "refer": service.refer}[step]
    result = service.act(actor, step, f"agreement:{code}", lambda s: action(s, actor, code, reason))
    _done(result, {"escalate": "taken to coordination", "coordinate": "settled", "refer": "referred"}[step])


@group.command("decide")
@click.argument("code", type=CODE)
@click.option("--approve/--reject", required=True)
@click.option("--reason", required=True)
@click.option("--legal-basis", default="", help="Required to approve: the law or regulation that allows sharing.")
@token_option
def decide(code, approve, reason, legal_basis, token) -> None:
    """Your department's vote in a joint decision (competent, staffing or secrecy department)."""
    actor = acting(token)
    result = service.act(
        actor, "decide", f"agreement:{code}", lambda s: service.decide(s, actor, code, approve, reason, legal_basis)
    )
    _done(result, "vote recorded")


@group.command("file")
@click.argument("code", type=CODE)
@click.option("--number", default=None, help="Filing number (default: the next 冀共享备〔year〕NNNN号).")
@token_option
def file_(code, number, token) -> None:
    """File (备案) an agreed or approved agreement (the competent department)."""
    actor = acting(token)
    result = service.act(actor, "file", f"agreement:{code}", lambda s: service.file(s, actor, code, number))
    _done(result, f"filed as {result.filing_number}")


def _simple(name: str, doc: str, needs_reason: bool):
    @click.argument("code", type=CODE)
    @click.option("--reason", required=needs_reason, default="")
    @token_option
    def command(code, reason, token) -> None:
        actor = acting(token)
        action = getattr(service, name)
        call = (lambda s: action(s, actor, code, reason)) if name != "activate" else (lambda s: action(s, actor, code))
        _done(service.act(actor, name, f"agreement:{code}", call), f"{name}d" if name.endswith("e") else f"{name}ed")

    command.__doc__ = doc
    return group.command(name)(command)


_simple("activate", "Authorise access and start deliveries (platform operator): the DAG appears.", needs_reason=False)
_simple("suspend", "Pause deliveries: the DAG disappears at the next parse.", needs_reason=True)
_simple("resume", "Resume a suspended agreement (it must fit the current catalogue).", needs_reason=False)
_simple("revoke", "End an agreement for good.", needs_reason=True)


@group.command("adopt-target")
@click.argument("code", type=CODE)
@click.option("--reason", required=True, help="The subscriber's request to have its existing table replaced.")
@token_option
def adopt_target(code, reason, token) -> None:
    """Let an agreement's delivery replace an existing table govshare did not create (operator, audited)."""
    actor = acting(token)
    result = service.act(
        actor, "adopt_target", f"agreement:{code}", lambda s: service.adopt_target(s, actor, code, reason)
    )
    _done(result, f"may now replace {result.target_schema}.{result.target_table} on {result.target_conn_id}")


@group.command("list")
@click.option(
    "--status",
    type=click.Choice([s.value for s in AgreementStatus], case_sensitive=False),
    default=None,
    help="Only agreements in this status.",
)
@token_option
def list_(status, token) -> None:
    """The agreements you take part in (all of them, for an operator)."""
    actor = acting(token)
    table = Table(
        "code",
        "status",
        Column("due", no_wrap=True),
        "resource",
        "provider → subscriber",
        "items",
        "schedule",
        "target",
    )
    with session() as s:
        codes = {a.code for a in service.visible(s, actor, status)}
        for card in cards.cards(s, status=status):
            if card.code in codes:
                agreement = s.get(m.Agreement, card.code)
                table.add_row(
                    card.code,
                    card.status,
                    deadlines.as_shown(agreement),
                    card.resource_code,
                    f"{card.provider_code} → {card.subscriber_code}",
                    str(len(card.items)),
                    card.schedule,
                    card.target,
                )
    console.print(table)


@group.command("show")
@click.argument("code", type=CODE)
@token_option
def show(code, token) -> None:
    """One agreement in full, with its history and any joint votes."""
    actor = acting(token)

    def read(s):
        agreement = service.read(s, actor, code)
        return (
            agreement,
            cards.cards(s, status=None, code=code)[0],
            service.history(s, code),
            service.votes(s, code),
        )

    agreement, card, steps, cast = service.act(actor, "read", f"agreement:{code}", read)
    due = f", answer due by {deadlines.as_shown(agreement)}" if agreement.due_date else ""
    filed = f", filing number {agreement.filing_number}" if agreement.filing_number else ""
    console.print(f"status: {agreement.status}{due}{filed}", highlight=False, markup=False)
    if agreement.due_date and agreement.due_provisional:
        console.print(PROVISIONAL.format(year=agreement.due_date.year), highlight=False, markup=False)
    if agreement.condition_statement:
        console.print(f"how the condition is met: {agreement.condition_statement}", highlight=False, markup=False)
    console.print(doc_text(card), highlight=False, markup=False, soft_wrap=True)
    table = Table("when", "action", "from → to", "by", "reason")
    for step in steps:
        table.add_row(
            f"{step.at:%Y-%m-%d %H:%M}", step.action, f"{step.from_status} → {step.to_status}", step.actor, step.reason
        )
    console.print(table)
    for vote in cast:
        console.print(
            f"vote of {vote.department_code} ({vote.role}): {'approve' if vote.approve else 'reject'} — {vote.reason}"
            + (f" [{vote.legal_basis}]" if vote.legal_basis else ""),
            highlight=False,
            markup=False,
        )
