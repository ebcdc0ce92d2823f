"""Registers govshare with Airflow: the agencies' REST API and the platform's pages, served by
Airflow's api-server under /govshare (the API authenticated by tokens, the pages by the Airflow
session or an agency member's own; Airflow adds no auth to plugin apps); the pages' entries in
Airflow's navigation and on each agreement's DAG and DAG run; and the UI's times in the
platform's zone (govshare.airflow.ui_timezone)."""

from typing import Any

from airflow.plugins_manager import AirflowPlugin

from govshare.airflow.ui_timezone import PlatformTimezone

# Each a page inside Airflow's frame (url_route), in the navigation's Browse menu (the API docs under Docs).
_SECTIONS = [
    ("目录 Catalogue", "catalogue"),
    ("共享协议 Agreements", "agreements"),
    ("交付与质量 Deliveries & quality", "deliveries"),
    ("监测 Monitoring", "monitoring"),
    ("纠错 Corrections", "corrections"),
    ("审计 Audit", "audit"),
]


class _Served:
    """The plugin's ``fastapi_apps``, which only Airflow's api-server reads: the API and pages
    are imported there, on that first read. Every task process loads the plugins too (for
    macros and listeners), and importing the app cost each task 1.0 s of its time (its pages'
    charts bring matplotlib): a delivery's four tasks paid 4 s for pages they never serve."""

    def __get__(self, plugin: object, owner: type | None = None) -> list[dict[str, Any]]:
        from govshare.api.app import app

        return [{"app": app, "url_prefix": "/govshare", "name": "govshare API and pages"}]


class GovsharePlugin(AirflowPlugin):
    name = "govshare"
    fastapi_apps = _Served()
    fastapi_root_middlewares = [{"middleware": PlatformTimezone, "name": "UI in the platform's time zone"}]
    external_views = [
        *(
            {"name": name, "href": f"govshare/ui/{page}", "url_route": f"govshare-{page}", "category": "browse"}
            for name, page in _SECTIONS
        ),
        {"name": "govshare API", "href": "govshare/docs", "url_route": "govshare-api", "category": "docs"},
        {"name": "Agreement", "href": "govshare/ui/dags/{DAG_ID}", "destination": "dag", "url_route": "agreement"},
        {
            "name": "Quality report",
            "href": "govshare/ui/runs/{DAG_ID}/{RUN_ID}",
            "destination": "dag_run",
            "url_route": "quality-report",
        },
    ]
