"""Registers govshare with Airflow: the agencies' REST API, served by Airflow's api-server under
/govshare (authenticated by agency tokens inside the app; Airflow adds no auth to plugin apps),
and a "Quality reports" entry in the UI's menu (which the app serves to signed-in Airflow
users by their session); and the UI's times in the platform's zone (govshare.airflow.ui_timezone)."""

from airflow.plugins_manager import AirflowPlugin

from govshare.airflow.ui_timezone import PlatformTimezone
from govshare.api.app import app


class GovsharePlugin(AirflowPlugin):
    name = "govshare"
    fastapi_apps = [{"app": app, "url_prefix": "/govshare", "name": "govshare API"}]
    fastapi_root_middlewares = [{"middleware": PlatformTimezone, "name": "UI in the platform's time zone"}]
    external_views = [
        {"name": "Quality reports", "href": "/govshare/reports", "destination": "nav", "category": "browse"}
    ]
