"""The agencies' REST API (FastAPI), mounted in Airflow's api-server by the govshare plugin."""
