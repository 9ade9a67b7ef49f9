"""Run the project's DAGs through an embedded Airflow (SQLite metadata DB) for the demo and the tests.

`configure()` must run before Airflow is imported: Airflow reads its configuration at import time.
Production deployments configure Airflow themselves (see docker-compose.yaml) and never call this.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from satudata.config import PROJECT_ROOT

log = logging.getLogger(__name__)


def airflow_env(airflow_home: Path) -> dict[str, str]:
    """The environment of an embedded Airflow whose DAGs and plugins are this project's."""
    return {
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # On 2 cores the LocalExecutor would otherwise start 32 workers.
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING"),
    }


def configure(airflow_home: Path, *, override: bool = False) -> dict[str, str]:
    """Put the embedded Airflow's settings into `os.environ` (existing values win unless `override`)."""
    airflow_home.mkdir(parents=True, exist_ok=True)
    env = airflow_env(airflow_home)
    for key, value in env.items():
        if override:
            os.environ[key] = value
        else:
            os.environ.setdefault(key, value)
    return {k: os.environ[k] for k in env}


def prepare_metadata_db() -> None:
    """`airflow db migrate` plus the pools the DAGs use."""
    from airflow.models.pool import Pool
    from airflow.utils.db import upgradedb
    from satudata.dag_support import WAREHOUSE_POOL

    upgradedb()
    Pool.create_or_update_pool(
        WAREHOUSE_POOL,
        slots=1,
        description="Writers of the embedded DuckDB warehouse (one at a time)",
        include_deferred=False,
    )


def load_dags() -> dict:
    """Parse the DAG folder; raises if any DAG file has an import error."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    return bag.dags


def run_dag(dag, **conf) -> str:
    """Run a DAG through Airflow (`dag.test()`: real scheduler logic, tasks in this process).

    Every declared param is passed, at its default unless given: in one process, a later `dag.test()`
    without a conf was seen running with the params of an earlier run of the same DAG.
    """
    run = dag.test(run_conf={**dag.params.dump(), **conf})
    state = str(getattr(run, "state", run))
    log.info("DAG %s finished: %s", dag.dag_id, state)
    return state


def rest_call(base_url: str, method: str, path: str, body: dict | None = None, token: str | None = None,
              timeout: float = 30) -> tuple[int, object]:
    """One call to an Airflow API server: (HTTP status, JSON answer or the error text)."""
    import json
    import urllib.error
    import urllib.request

    request = urllib.request.Request(f"{base_url}{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        text = error.read().decode(errors="replace")
        try:
            return error.code, json.loads(text or "null")
        except ValueError:
            return error.code, text


def stop_process_group(proc) -> None:
    """Stop a process started with `start_new_session=True` and everything it started."""
    import signal
    import subprocess

    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
