"""The services' words as a page shows them.

The services write a refusal's fix for the command line (``add --reason``); on a page the same
fix names the form's field. The agreement and delivery statuses get their Chinese names."""

from __future__ import annotations

import re

from govshare.lifecycle.service import STATUS_NAMES
from govshare.registry import models as m
from govshare.registry.deliveries import DeliveryStatus, rows_delivered
from govshare.registry.statuses import CorrectionStatus

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


# The catalogue's and the monitors' words as a page shows them, Chinese first (the English
# after it is the code the CLI, the API and the YAML use).
NAMES: dict[str, dict[str, str]] = {
    "share": {  # 共享类型, article 12
        "unconditional": "无条件共享 unconditional",
        "conditional": "有条件共享 conditional",
        "not_shared": "不予共享 not shared",
    },
    "open": {  # 开放类型, article 19
        "open": "无条件开放 open",
        "conditional_open": "有条件开放 conditional open",
        "not_open": "不予开放 not open",
    },
    "cycle": {
        "realtime": "实时 realtime",
        "hourly": "每小时 hourly",
        "daily": "每日 daily",
        "weekly": "每周 weekly",
        "monthly": "每月 monthly",
        "quarterly": "每季度 quarterly",
        "yearly": "每年 yearly",
    },
    "agency": {
        "department": "政务部门 department",
        "competent_department": "信息共享主管部门 competent department",
        "staffing_department": "编制部门 staffing department",
        "secrecy_department": "保密部门 secrecy department",
        "resource_centre": "信息资源管理中心 resource centre",
    },
    "level": {"province": "省级 province", "city": "市级 city", "county": "县级 county"},
    "correction": {  # 纠错, article 16
        CorrectionStatus.FILED: "待核实 filed",
        CorrectionStatus.ACCEPTED: "已受理 accepted",
        CorrectionStatus.REJECTED: "不予更正 rejected",
        CorrectionStatus.FIXED: "已更正 fixed",
        CorrectionStatus.CONFIRMED: "已确认 confirmed",
        CorrectionStatus.DISPUTED: "有异议 disputed",
        CorrectionStatus.RESOLVED: "已裁定 resolved",
    },
    "anomaly": {
        "volume": "数据量异常 volume",
        "repeated_failures": "连续失败 repeated failures",
        "schema_drift": "表结构变化 schema drift",
        "overdue": "交付逾期 overdue",
    },
    "incident": {"front_db": "前置库故障 front DB"},
    "agreement": {str(status): name for status, name in STATUS_NAMES.items()},
    "delivery": {str(status): name for status, name in DELIVERY_STATUS.items()},
}


def named(value: str | None, vocabulary: str) -> str:
    """``value`` as the page shows it; a word the vocabulary lacks shows as it is stored."""
    if value is None:
        return "—"
    return NAMES[vocabulary].get(value, value)


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
