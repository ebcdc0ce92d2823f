# govshare on the official Airflow image. Airflow and Python match requirements.txt and the
# local setup (`make test`), so the DAGs run here on the versions they were tested with.
FROM apache/airflow:3.3.2-python3.11

# The official image expects extra packages to be installed by its unprivileged "airflow"
# user (into that user's site-packages, next to Airflow), never as root.
USER airflow

# Dependencies get their own layer: they change far less often than govshare's code, so a
# code change rebuilds only the small layer below. The constraints file pins every transitive
# package to the set the test suite ran against; requirements.txt pins apache-airflow itself,
# which stops pip from swapping the image's Airflow for another version.
COPY --chown=airflow:0 requirements.txt constraints.txt /tmp/govshare/
RUN pip install --no-cache-dir -r /tmp/govshare/requirements.txt -c /tmp/govshare/constraints.txt

# --no-deps: everything govshare needs is already installed, pinned, by the layer above.
# A regular (not editable) install, so the code lives in the image, not in the checkout;
# dags/, plugins/ and include/ are mounted at run time by docker-compose.yml instead.
COPY --chown=airflow:0 pyproject.toml README.md /tmp/govshare/
COPY --chown=airflow:0 govshare/ /tmp/govshare/govshare/
RUN pip install --no-cache-dir --no-deps /tmp/govshare \
    && rm -rf /tmp/govshare
