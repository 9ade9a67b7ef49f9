"""A failing task tells the data engineer what went wrong in one line, in the log and at a webhook: a real
`dag.test()` run of a task that fails, against a local HTTP sink."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest


@pytest.fixture
def sink():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()


FAILING_DAG = """
from airflow.sdk import dag, task
from satudata.dag_support import START_DATE, default_args


@dag(dag_id="satudata_uji_alarm", schedule=None, start_date=START_DATE, catchup=False,
     default_args=default_args(retries=0))
def failing():
    @task
    def read_ledger():
        raise ValueError("meta.submission tidak terbaca\\nbaris kedua yang tidak perlu di alarm")

    read_ledger()


failing()
"""


def _failing_dag(folder):
    """A DAG file of its own, parsed and serialized as the DAG processor would (dag.test needs that)."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    (folder / "satudata_uji_alarm.py").write_text(FAILING_DAG, encoding="utf-8")
    bag = DagBag(dag_folder=str(folder))
    assert not bag.import_errors, bag.import_errors
    manager = DagBundlesManager()
    manager.sync_bundles_to_db()
    sync_bag_to_db(bag, next(iter(manager.get_all_dag_bundles())).name, None)
    return bag.dags["satudata_uji_alarm"]


def test_a_failed_task_is_one_line_in_the_log_and_reaches_the_webhook(sink, monkeypatch, caplog, airflow_dags,
                                                                     tmp_path):
    url, received = sink
    monkeypatch.setenv("SATUDATA_ALERT_WEBHOOK", url)
    with caplog.at_level(logging.ERROR, logger="satudata.alerts"):
        run = _failing_dag(tmp_path).test()
    assert "failed" in str(run.state)
    assert len(received) == 1
    alert = received[0]
    assert (alert["dag"], alert["task"]) == ("satudata_uji_alarm", "read_ledger")
    assert alert["error"] == "ValueError: meta.submission tidak terbaca"
    assert alert["text"].startswith("Satu Data: satudata_uji_alarm.read_ledger gagal")
    lines = [r.getMessage() for r in caplog.records if "SATUDATA ALERT" in r.getMessage()]
    assert len(lines) == 1 and "\n" not in lines[0] and "error=ValueError: meta.submission tidak terbaca" in lines[0]


def test_an_unreachable_webhook_is_logged_not_raised(monkeypatch, caplog):
    from satudata.dag_support import alert_on_failure

    monkeypatch.setenv("SATUDATA_ALERT_WEBHOOK", "http://127.0.0.1:9/tidak-ada")
    with caplog.at_level(logging.ERROR, logger="satudata.alerts"):
        alert_on_failure({"run_id": "r1", "exception": RuntimeError("x")})
    assert any("webhook" in r.getMessage() and "unreachable" in r.getMessage() for r in caplog.records)


def test_airflow_sends_statsd_metrics_with_the_compose_settings(tmp_path):
    """The metrics settings of docker-compose.yaml, pointed at a local UDP listener: Airflow's own metrics
    (prefix `airflow.`) arrive while it parses this project's DAGs."""
    import os
    import socket
    import subprocess
    import sys
    from pathlib import Path

    import yaml
    from satudata.config import PROJECT_ROOT

    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yaml").read_text())
    metrics = {k: str(v) for k, v in compose["x-airflow-common-env"].items() if k.startswith("AIRFLOW__METRICS__")}
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(30)
    env = {**os.environ, **metrics, "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
           "AIRFLOW__METRICS__STATSD_PORT": str(listener.getsockname()[1]),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "AIRFLOW_HOME": str(tmp_path), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path / 'a.db'}",
           "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    done = subprocess.run(["airflow", "db", "migrate"], env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    try:
        datagram = listener.recv(65535).decode()
    finally:
        listener.close()
    assert metrics["AIRFLOW__METRICS__STATSD_ON"] == "true"
    assert datagram.startswith(metrics["AIRFLOW__METRICS__STATSD_PREFIX"] + "."), datagram
    assert "|ms" in datagram or "|c" in datagram or "|g" in datagram
