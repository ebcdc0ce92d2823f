"""Registers govshare with Airflow: the agencies' REST API, served by Airflow's api-server under
/govshare (authenticated by agency tokens inside the app; Airflow adds no auth to plugin apps)."""

from airflow.plugins_manager import AirflowPlugin

from govshare.api.app import app


class GovsharePlugin(AirflowPlugin):
    name = "govshare"
    fastapi_apps = [{"app": app, "url_prefix": "/govshare", "name": "govshare API"}]
