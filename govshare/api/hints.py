"""A refusal's fix as an HTTP client reads it.

The services write their fixes for the command line — `add --reason`, ``list yours with
`govshare agreement list` `` — because that is where operators meet them first. Over HTTP the
same fix names the request body's field and the endpoint instead; the CLI's flags are the
fields' names with dashes, so the translation is mechanical.
"""

from __future__ import annotations

import re

_COMMANDS = {
    "govshare agreement coordinate --refer": "POST /govshare/agreements/{code}/refer",
    "govshare agreement list": "GET /govshare/agreements",
    "govshare agreement show": "GET /govshare/agreements/{code}",
    "govshare correction list": "GET /govshare/corrections",
    "govshare catalog resources": "GET /govshare/resources",
    "govshare delivery list": "GET /govshare/reports",
}
_FLAG = re.compile(r"(?<![\w-])--([a-z][a-z0-9]*(?:-[a-z0-9]+)*)")


def for_http(hint: str) -> str:
    for command, endpoint in _COMMANDS.items():
        hint = hint.replace(command, endpoint)
    return _FLAG.sub(lambda flag: f'the field "{flag.group(1).replace("-", "_")}"', hint)
