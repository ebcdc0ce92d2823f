"""The platform's pages in the Airflow UI: the operator console and the agency workspace.

Server-rendered (Jinja2, one stylesheet, no script but Swagger UI's), mounted by the REST API's
app under ``/govshare/ui`` and linked from Airflow's navigation by the plugin's external views.
Operators come with their Airflow session; agency staff sign in with their own accounts
(govshare.staff). Every page reads and every form acts through the same service code as the
CLI and the API, so what a page shows or refuses is what they would.
"""
