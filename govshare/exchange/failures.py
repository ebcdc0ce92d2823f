"""Turning database errors into failures an operator can act on — without the data in them.

PostgreSQL and MySQL put row values into their error messages (``invalid input syntax for
type bigint: "…"``, the CONTEXT line of a COPY error). Those messages end up in task logs and
delivery records, so only the primary message is kept, with anything quoted blanked out, and
the original exception is not chained. Whether a retry can help is decided here too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from govshare.errors import ExchangeFailed, GovshareError

_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'|`[^`]*`|\([^()]*\)=\([^()]*\)")
_LONG_NUMBERS = re.compile(r"\d{6,}")


def sanitise(message: str) -> str:
    """The message without quoted values or long digit runs (ID and phone numbers)."""
    return _LONG_NUMBERS.sub("…", _QUOTED.sub("'…'", message.strip().splitlines()[0] if message.strip() else ""))


# What a database error that no retry can fix most likely means: by step, then by the class of
# its SQLSTATE (the first two characters). Connection, resource, shutdown and rollback classes
# (08, 53, 57, 40) are OperationalErrors, retried before they get here.
_CHECK_HINT = (
    "the subscriber's database refused a quality rule's query: fix the rule in include/quality "
    "(or what the message names in that database) and run the delivery again"
)
_BY_CLASS = {
    "22": "a value does not fit the catalogue's type; the provider should check its front DB",
    "42": "a table, column or type is not what the catalogue says, or the login may not use it; compare the "
    "front DB and the subscriber's database with the catalogue, and check the connection's grants",
    "23": "a key or constraint was violated: the provider's rows repeat a key or miss a required value",
}
_OTHER = "the database refused the statement; the message says what it objects to"


def hint(step: str, sqlstate: str | None) -> str:
    """What to do about a database error no retry could fix, for an operator."""
    if step == "check":
        return _CHECK_HINT
    return _BY_CLASS.get((sqlstate or "")[:2], _OTHER)


@contextmanager
def reported(step: str) -> Iterator[None]:
    try:
        yield
    except GovshareError:
        raise
    except psycopg.errors.LockNotAvailable:
        raise ExchangeFailed(
            step,
            "a table it needs is locked by another session (lock timeout)",
            "the run is retried; if it keeps failing, find the session holding the lock",
            retryable=True,
        ) from None
    except psycopg.errors.QueryCanceled as exc:
        raise ExchangeFailed(
            step,
            f"a query ran past its time limit ({sanitise(exc.diag.message_primary or '')})",
            "raise GOVSHARE_PROVIDER_STATEMENT_TIMEOUT or find what slows the provider's database",
            retryable=True,
        ) from None
    except psycopg.OperationalError as exc:
        raise ExchangeFailed(
            step, f"the connection failed ({sanitise(str(exc))})", "the run is retried", retryable=True
        ) from None
    except psycopg.Error as exc:
        primary = exc.diag.message_primary or type(exc).__name__
        raise ExchangeFailed(
            step, f"{type(exc).__name__}: {sanitise(primary)}", hint(step, exc.sqlstate), retryable=False
        ) from None
    except Exception as exc:
        if type(exc).__module__.startswith("pymysql"):
            code = exc.args[0] if exc.args else "?"
            # 1205 lock wait timeout, 3024/1969 statement time limit, 20xx connection problems
            retryable = code in (1205, 1969, 3024) or (isinstance(code, int) and 2000 <= code < 2100)
            raise ExchangeFailed(
                step,
                f"MySQL error {code}: {sanitise(str(exc.args[-1]) if exc.args else '')}",
                "the run is retried" if retryable else "check the provider's front DB",
                retryable=retryable,
            ) from None
        raise
