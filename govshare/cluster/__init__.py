"""The production topology on one machine, without Docker (``make cluster``).

Airflow with the CeleryExecutor: api-server, scheduler, dag-processor, triggerer and N Celery
workers, Redis as the broker, PostgreSQL for Airflow's metadata, the Celery results and the
registry — the shape docker-compose.yml deploys, from the same pins and settings.

``settings``  the production settings, each with its reason, and the cluster's secrets
``broker``    the Redis broker, found or started
``topology``  starting, watching and stopping the components
``hostname``  the name a worker records on the task instances it runs
``runner``    a DAG runner for the demo that triggers runs through the api-server
``demo``      ``make cluster-demo``: the demo's agreements through the cluster's scheduler

Nothing here is imported by the platform itself (DAGs, tasks, API): it only starts Airflow.
"""
