"""Registers govshare with Airflow: the agencies' REST API, served by Airflow's api-server under
/govshare (authenticated by agency tokens inside the app; Airflow adds no auth to plugin apps),
and a "Quality reports" entry in the UI's menu (which the app serves to signed-in Airflow
users by their session)."""

from airflow.plugins_manager import AirflowPlugin

from govshare.api.app import app


class GovsharePlugin(AirflowPlugin):
    name = "govshare"
    fastapi_apps = [{"app": app, "url_prefix": "/govshare", "name": "govshare API"}]
    external_views = [
        {"name": "Quality reports", "href": "/govshare/reports", "destination": "nav", "category": "browse"}
    ]
