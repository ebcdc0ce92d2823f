"""The thin Airflow layer: DAGs from active agreements, tasks that call the package."""
