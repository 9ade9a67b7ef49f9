"""`make airflow-ui` on a fresh clone: started exactly as the Makefile does, it serves a healthy API whose
DAG list, fetched over HTTP with the printed login, holds the four DAGs."""

from __future__ import annotations

import json
import os
import re
import sys
import time
import urllib.error
import urllib.request

import pytest
from satudata_dev.airflow_ui import started
from satudata_dev.celery_local import free_port

# servers of their own: one after the other on one worker, never beside another deployment
pytestmark = [pytest.mark.airflow, pytest.mark.xdist_group("servers")]

DAG_IDS = {"satudata_intake", "satudata_harmonise", "satudata_konvergensi", "satudata_publish"}


def _get(url: str, token: str | None = None, body: dict | None = None):
    req = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None,
                                 method="POST" if body is not None else "GET")
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def test_make_airflow_ui_serves_the_four_dags(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    # standalone's scheduler and triggerer serve their logs on fixed ports (8793, 8794) unless told
    # otherwise: free ones, so that a parallel test or a developer's `make airflow-ui` is no conflict.
    env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] = str(free_port())
    env["AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT"] = str(free_port())
    # PATH without the venv: the command must put it there itself (a newcomer's shell has no venv active).
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if not p.startswith(os.path.dirname(sys.executable)))
    log = tmp_path / "airflow-ui.log"
    with started(port, home=tmp_path / "airflow", env=env, log=log) as proc:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 240
        dags: dict = {}
        token = None
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text(errors="replace")[-4000:]
            try:
                if token is None:
                    health = _get(f"{base}/api/v2/monitor/health")
                    assert health["metadatabase"]["status"] == "healthy"
                    password = re.search(r"Login:\s+user admin, password (\S+)", log.read_text()).group(1)
                    token = _get(f"{base}/auth/token", body={"username": "admin", "password": password})[
                        "access_token"]
                dags = _get(f"{base}/api/v2/dags", token)
                if {d["dag_id"] for d in dags["dags"]} >= DAG_IDS:
                    break
            except (urllib.error.URLError, OSError, AttributeError):
                pass
            time.sleep(2)
        text = log.read_text(errors="replace")
        assert {d["dag_id"] for d in dags.get("dags", [])} == DAG_IDS, text[-4000:]
        assert "FileNotFoundError" not in text
        assert f"http://localhost:{port}" in text and "Local use only" in text
