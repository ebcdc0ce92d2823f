"""The govshare plugin as Airflow's processes load it: a task process (which loads every plugin
for its macros and listeners) gets the plugin without the API and pages, and the api-server,
which reads the plugin's apps, gets them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

_LOAD = """
import json, sys
from airflow.sdk import plugins_manager as task_side
plugins, errors = task_side._get_plugins()
loaded = {"plugins": [p.name for p in plugins], "errors": errors,
          "heavy": [m for m in ("govshare.api.app", "matplotlib", "fastapi") if m in sys.modules]}
from airflow import plugins_manager as server_side
apps, middlewares = server_side.get_fastapi_plugins()
from govshare.api.app import app
loaded["apps"] = [(a["url_prefix"], a["app"] is app) for a in apps]
loaded["middlewares"] = [m["middleware"].__name__ for m in middlewares]
print(json.dumps(loaded))
"""


def test_a_task_process_loads_the_plugin_without_the_pages_and_the_api_server_gets_them(tmp_path):
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }
    done = subprocess.run([sys.executable, "-c", _LOAD], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert "govshare" in loaded["plugins"] and not loaded["errors"]
    assert loaded["heavy"] == []  # what cost every task 1.0 s before it ran
    assert loaded["apps"] == [["/govshare", True]]
    assert loaded["middlewares"] == ["PlatformTimezone"]
