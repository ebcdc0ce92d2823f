# govshare on the official Airflow image. Airflow and Python match requirements.txt and the
# local setup (`make test`), so the DAGs run here on the versions they were tested with.
FROM apache/airflow:3.3.2-python3.11

# The official image expects extra packages to be installed by its unprivileged "airflow"
# user (into that user's site-packages, next to Airflow), never as root.
USER airflow

# Settings every component needs whatever starts this image (docker-compose.yml sets them too;
# a test keeps both in step with govshare/cluster/settings.py, which `make cluster` uses).
# Airflow's 5 s execution-API timeout timed out under load: the task was killed and run again.
ENV AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT=30
# Redis hands an unacknowledged task to another worker after this long: longer than any task.
ENV AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT=10800

# Dependencies get their own layer: they change far less often than govshare's code, so a
# code change rebuilds only the small layer below. The constraints file pins every transitive
# package to the set the test suite ran against; requirements.txt pins apache-airflow itself,
# which stops pip from swapping the image's Airflow for another version, and celery 5.6.3 (5.7
# removed what the Celery provider imports: the scheduler and the workers would die at start).
COPY --chown=airflow:0 requirements.txt constraints.txt /tmp/govshare/
RUN pip install --no-cache-dir -r /tmp/govshare/requirements.txt -c /tmp/govshare/constraints.txt

# --no-deps: everything govshare needs is already installed, pinned, by the layer above.
# A regular (not editable) install, so the code lives in the image, not in the checkout;
# dags/, plugins/ and include/ are mounted at run time by docker-compose.yml instead.
COPY --chown=airflow:0 pyproject.toml README.md /tmp/govshare/
COPY --chown=airflow:0 govshare/ /tmp/govshare/govshare/
RUN pip install --no-cache-dir --no-deps /tmp/govshare \
    && rm -rf /tmp/govshare
