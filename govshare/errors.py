"""One exception per kind of failure, each carrying what an operator needs to act on it.

Messages never contain credentials or row values: they end up in task logs, delivery records
and emails.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from govshare.catalog.problems import Problem


@dataclass(frozen=True)
class Remedy:
    """A refusal's fix as facts, which each channel words its own way: the command line as
    flags and commands (``--reason``, `govshare agreement list`, --token), the REST API as
    body fields, endpoints and headers (the "reason" field, ``Authorization: Bearer``). A
    service states the facts; govshare.cli.output and govshare.api.hints word them.

    give: the request's fields to supply, by their names (``reason``, ``legal_basis``).
    leave_out: fields to leave out, so the platform chooses (``number``).
    listing: what the caller lists to find the right code: a key of ``LISTINGS``.
    token: an agency's API token must be presented.
    note: words that hold in every channel, said after the rest.
    """

    give: tuple[str, ...] = ()
    leave_out: tuple[str, ...] = ()
    listing: str = ""
    token: bool = False
    note: str = ""

    def words(self) -> str:
        """The fix in words that hold everywhere (logs, emails, pages, ``str()``)."""
        parts = [
            "state the " + " and the ".join(f.replace("_", " ") for f in self.give) if self.give else "",
            "leave out the " + " and the ".join(f.replace("_", " ") for f in self.leave_out) if self.leave_out else "",
            f"see the {LISTINGS[self.listing]} you may read" if self.listing else "",
            "present a valid API token of the agency, exactly as issued" if self.token else "",
            self.note,
        ]
        return "; ".join(part for part in parts if part)


# What a Remedy's ``listing`` names, in words every channel understands.
LISTINGS = {"agreements": "agreements", "corrections": "corrections"}


class GovshareError(Exception):
    """Base class. ``str()`` is the full message an operator sees; ``hint`` says what to do.
    ``remedy``: the fix as facts for the CLI and the API to word (then ``hint`` is its
    channel-neutral wording, unless given)."""

    def __init__(self, message: str, hint: str = "", *, remedy: Remedy | None = None):
        self.message = message
        self.remedy = remedy
        self.hint = hint or (remedy.words() if remedy else "")
        super().__init__(f"{message} — {self.hint}" if self.hint else message)


class InvalidValue(GovshareError, ValueError):
    """A value that does not follow its grammar: a catalogue type, a mask, a row filter, a
    domain rule's arguments. Also a ValueError, so pydantic reports it as the field's error."""


class UnknownType(InvalidValue):
    """A catalogue type govshare does not know (``char(18)``, ``numeric(18,2)``, …)."""


class MaskError(InvalidValue):
    """A mask that is not one of none, name, hmac, keep:F,L or truncate:N, or that does not fit its item."""


class FilterError(InvalidValue):
    """A row filter condition that is not ``{item, op, value}`` with a known operator."""


class DomainRuleError(InvalidValue):
    """A domain quality rule that does not exist or is given the wrong arguments."""


class NotAuthenticated(GovshareError):
    """No valid token was presented."""


class SignInLocked(NotAuthenticated):
    """A member's account had too many failed sign-ins in a short time: it takes no password,
    right or wrong, until the time the message names."""


class ConfigurationError(GovshareError):
    """The environment is missing something govshare needs (a URL, a connection, a folder)."""


class NotFound(GovshareError):
    """An agency, resource or agreement named by the caller does not exist; over the open-data
    Action API, an open dataset or a file of one (answered 404, CKAN's "Not Found Error")."""


class CatalogInvalid(GovshareError):
    """The catalogue has problems; nothing was applied."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__(
            f"the catalogue has {len(self.problems)} problem(s); nothing was applied",
            "run `govshare catalog validate` to see each one with its file and fix",
        )


class SuiteInvalid(GovshareError):
    """A quality suite file has problems when a delivery loads it: its rules cannot be run,
    so the delivery stops before publishing. Carries the file and each problem."""

    def __init__(self, path: Path, problems: Sequence[Problem]):
        self.path = path
        self.problems = list(problems)
        # One line per error (a delivery record and a task log show it whole): each problem's
        # place and words, its own fix left to `govshare catalog validate`.
        listed = "; ".join(
            f"{p.location or 'the file'}{f' (line {p.line})' if p.line else ''}: {p.message}" for p in self.problems
        )
        super().__init__(
            f"the quality suite {path} has {len(self.problems)} problem(s): {listed}",
            "its checks cannot run, so nothing was published; fix the file (`govshare catalog validate` shows "
            "each problem with its fix) and run the delivery again",
        )


class RequestRefused(GovshareError):
    """A sharing request or agreement action is not allowed; the registry is unchanged."""


class DatabaseUnreachable(GovshareError):
    """The provider's front DB or the subscriber's DB cannot be reached. Airflow retries these."""

    def __init__(self, side: str, conn_id: str, reason: str):
        self.side = side
        self.conn_id = conn_id
        super().__init__(
            f"cannot reach the {side} database (connection '{conn_id}'): {reason}",
            "check that the database is up and that the Airflow connection is right",
        )


@dataclass(frozen=True)
class Drift:
    """One difference between the catalogue and the provider's actual table."""

    column: str
    change: str  # "table_missing", "missing", "added", "retyped", "renamed"
    catalogued: str = ""
    actual: str = ""

    def __str__(self) -> str:
        if self.change == "table_missing":
            return f"table {self.column} does not exist"
        if self.change == "missing":
            return f"column {self.column} ({self.catalogued}) is in the catalogue but not in the table"
        if self.change == "added":
            return f"column {self.column} ({self.actual}) is in the table but not in the catalogue"
        if self.change == "renamed":
            return f"column {self.column} looks renamed to {self.actual}"
        return f"column {self.column} is {self.actual} in the table but {self.catalogued} in the catalogue"


class SchemaDrift(GovshareError):
    """The provider's front-DB table no longer matches the catalogue; nothing was loaded."""

    def __init__(self, table: str, drifts: Sequence[Drift]):
        self.table = table
        self.drifts = list(drifts)
        listed = "; ".join(str(d) for d in self.drifts)
        super().__init__(
            f"the provider's table {table} no longer matches the catalogue: {listed}",
            "either the provider restores the table, or the catalogue is updated and re-filed "
            "(`govshare catalog apply`)",
        )


class ExchangeFailed(GovshareError):
    """The database refused part of a delivery; nothing was published. ``retryable`` says
    whether trying again later can help (connection lost, lock held, timeout)."""

    def __init__(self, step: str, message: str, hint: str, retryable: bool):
        self.retryable = retryable
        super().__init__(f"{step} failed: {message}", hint)


class EmptySource(GovshareError):
    """The provider returned nothing where the agreement expects data; the target was kept."""


def _report(delivery_id: int | None, report_link: str | None) -> str:
    if delivery_id is None:
        return ""
    online = f" ({report_link})" if report_link else ""
    return f"; the quality report of delivery {delivery_id}{online}: `govshare report quality {delivery_id}`"


class ChecksFailed(GovshareError):
    """Blocking quality checks failed on the staged data; the target was not touched. Carries
    the failed rules, and the delivery and its report when the delivery service knows them."""

    def __init__(
        self, failed: Sequence[str], rows: int, *, delivery_id: int | None = None, report_link: str | None = None
    ):
        self.failed = list(failed)
        self.rows = rows
        self.delivery_id = delivery_id
        self.report_link = report_link
        super().__init__(
            f"{len(self.failed)} blocking check(s) failed on {rows:,} staged rows: " + "; ".join(self.failed),
            "the subscriber's table was left as it was; the provider should correct the data in its front DB"
            + _report(delivery_id, report_link),
        )


class ChecksCouldNotRun(ChecksFailed):
    """Quality checks could not be evaluated (the database refused a rule's query); whatever
    their severity, nothing was published. The delivery's status is ``error``."""

    def __init__(
        self,
        errored: Sequence[str],
        failed: Sequence[str],
        rows: int,
        *,
        delivery_id: int | None = None,
        report_link: str | None = None,
    ):
        self.errored = list(errored)
        self.failed = list(failed)
        self.rows = rows
        self.delivery_id = delivery_id
        self.report_link = report_link
        also = f"; and {len(self.failed)} blocking check(s) failed: " + "; ".join(self.failed) if self.failed else ""
        GovshareError.__init__(
            self,
            f"{len(self.errored)} check(s) could not run on {rows:,} staged rows: " + "; ".join(self.errored) + also,
            "a check that cannot run stops the delivery whatever its severity, so the subscriber's table was left as "
            "it was; the message is the subscriber database's — fix what it names (the rule, or the database) and "
            "run the delivery again" + _report(delivery_id, report_link),
        )


class AgreementNotActive(GovshareError):
    """A run started for an agreement that is not active (any more); nothing is delivered."""


class AgreementBroken(GovshareError):
    """An active agreement names items or a resource the current catalogue no longer has."""


class NotAllowed(GovshareError):
    """The actor holds no role that permits this action on this agreement (deny by default)."""


class IllegalTransition(GovshareError):
    """The action is not possible from the agreement's current state."""


class NothingToDeliver(GovshareError):
    """A run started for an agreement that is not active (any more): it stops without
    delivering anything and without a delivery record. Airflow shows the task as skipped."""


class DeliveryUnsuccessful(GovshareError):
    """The delivery ended failed or in error; its record says which step stopped it and why."""

    def __init__(self, delivery_id: int, status: str, error: str | None):
        self.delivery_id = delivery_id
        self.status = status
        super().__init__(
            f"delivery {status} — {error}",
            f"read its record with `govshare delivery list` and its quality report with "
            f"`govshare report quality {delivery_id}`",
        )


class InvalidParameter(GovshareError):
    """A call to the open-data Action API (``/govshare/open/api/3/action/<name>``) that cannot
    be answered as sent: a parameter out of range or of the wrong kind, a filter or an order it
    does not support, or a body that is not a JSON object of at most 64 KiB. ``field`` is the
    parameter (``rows``, ``sort``), or for the body the whole message; the API answers 409 with
    CKAN's "Validation Error" keyed by it, so CKAN clients read it as they read CKAN's own."""

    def __init__(self, field: str, why: str = ""):
        self.field = field
        self.why = why or field
        super().__init__(f"{field}: {why}" if why else field)


class ClusterFailed(GovshareError):
    """``make cluster``: the CeleryExecutor cluster cannot start as asked (no worker asked for,
    another scheduler or other Celery workers already on its metadata DB or broker, the metadata
    DB migration failed), a component exited while starting, or the cluster was not ready in
    time. The hint says where to look: the component's log, or what to stop first."""


class RunFailed(GovshareError):
    """``make cluster-demo``: the cluster could not run a DAG: no UI password or token for its
    REST API, the DAG was not parsed in time or is paused, or the api-server refused to trigger
    it. (A run that does not end in time is not raised: its poll ends with code 2.)"""


class Stopped(Exception):
    """``python -m govshare.cluster`` received SIGTERM: raised from the signal handler so the
    command leaves through the ``finally`` that stops every process of the cluster, as Ctrl-C
    (KeyboardInterrupt) does. Not a failure, so not a GovshareError: no ``except GovshareError``
    on the way out may take it for one, report it and go on."""
