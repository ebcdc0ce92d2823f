"""The platform's codes as people read them, Chinese first (the English after it is the code
the CLI, the API and the YAML use). The pages (govshare.ui.words, which adds the agreement
and delivery statuses), each agreement DAG's documentation (govshare.airflow.docs) and the
monitoring reports (govshare.monitoring.documents) show these, so a code reads the same in all."""

from __future__ import annotations

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
    "correction": {  # 纠错, article 16 (govshare.registry.statuses.CorrectionStatus)
        "filed": "待核实 filed",
        "accepted": "已受理 accepted",
        "rejected": "不予更正 rejected",
        "fixed": "已更正 fixed",
        "confirmed": "已确认 confirmed",
        "disputed": "有异议 disputed",
        "resolved": "已裁定 resolved",
    },
    "anomaly": {
        "volume": "数据量异常 volume",
        "repeated_failures": "连续失败 repeated failures",
        "schema_drift": "表结构变化 schema drift",
        "overdue": "交付逾期 overdue",
    },
    "incident": {"front_db": "前置库故障 front DB"},
    "role": {"authority": "权威来源 authority", "subscriber": "申请方 subscriber"},  # in a correction
}


def named(value: str | None, vocabulary: str, table: dict[str, dict[str, str]] = NAMES) -> str:
    """``value`` as people read it; a word the vocabulary lacks shows as it is stored."""
    if value is None:
        return "—"
    return table[vocabulary].get(value, value)
