"""The services' words as a page shows them.

The services write a refusal's fix for the command line (``add --reason``); on a page the same
fix names the form's field. The agreement and delivery statuses get their Chinese names."""

from __future__ import annotations

import re

from govshare import names
from govshare.lifecycle.service import STATUS_NAMES
from govshare.registry import models as m
from govshare.registry.deliveries import DeliveryStatus, rows_delivered

_COMMANDS = {
    "govshare agreement coordinate --refer": "the 提交共同决定 refer form",
    "govshare agreement list": "the agreements page",
    "govshare correction list": "the corrections page",
    "govshare catalog resources": "the catalogue page",
    "govshare catalog agencies": "the catalogue page",
    "govshare staff list": "the platform's operators",
}
_FLAG = re.compile(r"(?<![\w-])--([a-z][a-z0-9]*(?:-[a-z0-9]+)*)")

D = DeliveryStatus
DELIVERY_STATUS = {
    D.RUNNING: "进行中 running",
    D.STAGED: "已暂存 staged",
    D.CHECKED: "已检查 checked",
    D.PUBLISHED: "已发布 published",
    D.SUCCEEDED: "成功 delivered",
    D.FAILED: "失败 failed",
    D.ERROR: "出错 error",
}


# govshare.names, and the agreement and delivery statuses as the pages show them.
NAMES: dict[str, dict[str, str]] = {
    **names.NAMES,
    "agreement": {str(status): name for status, name in STATUS_NAMES.items()},
    "delivery": {str(status): name for status, name in DELIVERY_STATUS.items()},
}


def named(value: str | None, vocabulary: str) -> str:
    """``value`` as the page shows it (govshare.names.named, with the statuses)."""
    return names.named(value, vocabulary, NAMES)


def for_page(hint: str) -> str:
    for command, place in _COMMANDS.items():
        hint = hint.replace(f"`{command}`", place).replace(command, place)
    return _FLAG.sub(lambda flag: f"the «{flag.group(1).replace('-', '_')}» field", hint)


def agreement_status(status: str) -> str:
    return named(status, "agreement")


def delivery_status(status: str) -> str:
    return named(status, "delivery")


def delivery_row(d: m.Delivery) -> dict:
    """A delivery as its tables show it: rows staged apart from rows delivered."""
    return {"d": d, "status_name": delivery_status(d.status), "delivered": rows_delivered(d)}
