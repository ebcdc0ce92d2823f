"""A refusal's fix in the words of an HTTP client.

A service states a fix as facts (govshare.errors.Remedy): which fields to give, what to list,
that a token is needed. Here they become the request body's fields, the endpoints and the
Authorization header; the command line words the same facts as flags and commands
(govshare.cli.output). Fixes still written as text are translated mechanically: the CLI's
flags are the fields' names with dashes.
"""

from __future__ import annotations

import re

from govshare.errors import GovshareError, Remedy

_COMMANDS = {
    "govshare agreement coordinate --refer": "POST /govshare/agreements/{code}/refer",
    "govshare agreement list": "GET /govshare/agreements",
    "govshare agreement show": "GET /govshare/agreements/{code}",
    "govshare correction list": "GET /govshare/corrections",
    "govshare catalog resources": "GET /govshare/resources",
    "govshare delivery list": "GET /govshare/reports",
}
_LISTINGS = {"agreements": "GET /govshare/agreements", "corrections": "GET /govshare/corrections"}
_FLAG = re.compile(r"(?<![\w-])--([a-z][a-z0-9]*(?:-[a-z0-9]+)*)")


def http_fix(exc: GovshareError) -> str:
    """The fix of a refusal as an API answer's ``fix`` says it."""
    return _worded(exc.remedy) if exc.remedy else for_http(exc.hint)


def _fields(names: tuple[str, ...]) -> str:
    quoted = " and ".join(f'"{name}"' for name in names)
    return f"the field {quoted}" if len(names) == 1 else f"the fields {quoted}"


def _worded(remedy: Remedy) -> str:
    parts = [
        f"add {_fields(remedy.give)}" if remedy.give else "",
        f"leave out {_fields(remedy.leave_out)}" if remedy.leave_out else "",
        f"list yours with {_LISTINGS[remedy.listing]}" if remedy.listing else "",
        "send `Authorization: Bearer <agency token>`" if remedy.token else "",
        remedy.note,
    ]
    return "; ".join(part for part in parts if part)


def for_http(hint: str) -> str:
    for command, endpoint in _COMMANDS.items():
        hint = hint.replace(command, endpoint)
    return _FLAG.sub(lambda flag: f'the field "{flag.group(1).replace("-", "_")}"', hint)
