# govshare — the two commands a newcomer needs are `make demo` and `make test`.
# Each sets itself up: a virtualenv with the pinned install, and a PostgreSQL server
# (GOVSHARE_PG_URL if set, else one on 127.0.0.1:5432, else the project's own in .govshare/).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEV    := $(PY) -m govshare.devserver run --

.PHONY: demo test bench airflow cluster cluster-demo shell setup stop-db clean

demo: setup ## run the main job end to end on sample agencies
	$(DEV) govshare demo

# The suite runs again with the platform's clock moved to these dates (GOVSHARE_TEST_DATE), all
# but the tests of infrastructure that does not read the clock: a year's last day, and a date
# in a year the holiday calendar may not know yet.
MOVED_DATES ?= 2026-12-31T09:00 2027-06-15T14:00
ON_ANY_DATE := not scale and not browser and not cluster and not bench

test: setup ## run the test suite (real PostgreSQL, real Airflow runs), then again on other dates
	$(PY) scripts/ensure_compose.py
	$(PY) scripts/ensure_browser.py
	$(DEV) $(PY) -m pytest $(PYTEST_ARGS)
	@for day in $(MOVED_DATES); do \
		echo "== the suite again with the clock at $$day (GOVSHARE_TEST_DATE) =="; \
		GOVSHARE_TEST_DATE=$$day $(DEV) $(PY) -m pytest -m "$(ON_ANY_DATE)" $(PYTEST_ARGS) || exit 1; \
	done

# BENCH_ARGS, e.g. "--rows 20000,2000000": other sizes (see python -m bench.delivery --help).
bench: setup ## the delivery benchmark: 20,000, 2 M and 10 M rows through Airflow beside the raw pipe and Airflow's floor, then 1,000 agreements parsed (about 45 min)
	$(DEV) $(PY) -m bench.delivery --parse 1000 $(BENCH_ARGS)

airflow: setup ## the Airflow UI on http://localhost:8080 for the same setup (Ctrl-C stops it)
	$(DEV) sh -c 'airflow db migrate >/dev/null && exec airflow standalone'

WORKERS ?= 2

cluster: setup ## the production topology here: api-server, scheduler, dag-processor, triggerer, $(WORKERS) Celery workers (Ctrl-C stops all)
	$(DEV) $(PY) -m govshare.cluster up --workers $(WORKERS)

cluster-demo: setup ## the demo's agreements run by that cluster's scheduler and workers
	$(DEV) $(PY) -m govshare.cluster demo --workers $(WORKERS)

shell: setup ## a shell with the registry, Airflow and database environment set
	$(DEV) $${SHELL:-sh}

setup: $(STAMP)

$(STAMP): requirements.txt constraints.txt pyproject.toml
	@$(PYTHON) -c "import sys; sys.exit(sys.version_info[:2] != (3, 11))" || { echo "govshare needs Python 3.11: run make PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==25.3
	$(PY) -m pip install --quiet -r requirements.txt -c constraints.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

stop-db: ## stop the project's own PostgreSQL if it is running
	$(PY) -m govshare.devserver stop

clean: stop-db ## remove the virtualenv and all local state (databases included)
	rm -rf $(VENV) .govshare
