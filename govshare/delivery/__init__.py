"""The control-plane delivery service: one delivery run, whoever starts it (Airflow, the CLI, the bench)."""
