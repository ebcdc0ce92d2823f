"""Airflow DAGs that run the platform itself (lifecycle deadlines, notifications, audit
anchor); built by govshare.airflow.platform_dags."""

from govshare.airflow.platform_dags import build

globals().update(build())
