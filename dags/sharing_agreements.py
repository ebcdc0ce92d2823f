"""Airflow DAGs for sharing agreements: one per ACTIVE agreement in the govshare registry.

All logic lives in the govshare package (govshare.airflow.dag_factory); this file only puts
the generated DAGs where Airflow's DagBag finds them.
"""

from govshare.airflow.dag_factory import build_dags

globals().update(build_dags())
