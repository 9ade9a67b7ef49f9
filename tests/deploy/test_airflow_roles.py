"""The production roles, tried through the REST API of a real Airflow API server with the FAB auth manager.

One server for the module (its own metadata DB, this project's DAGs): a data engineer, a walidata and a
viewer log in with their own passwords (`/auth/token`) and try what they may and may not do. The walidata's
answer to the publication approval is recorded under her own account name, which is what `meta.publikasi`
then records as the approver.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from satudata.config import PROJECT_ROOT
from satudata.ops.accounts import DATA_ENGINEER, VIEWER, WALIDATA
from satudata_dev.airflow_local import rest_call, stop_process_group

FAB = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
USERS = {"rina": DATA_ENGINEER, "siti": WALIDATA, "budi": VIEWER}
PUBLISH = "satudata_publish"

# its module-scoped server is started once: the module keeps its tests together on one worker
pytestmark = [pytest.mark.timeout(600), pytest.mark.xdist_group("deploy/test_airflow_roles")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(home: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__AUTH_MANAGER": FAB,
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__API_AUTH__JWT_SECRET": "test-only-jwt-secret",
        "AIRFLOW__API__SECRET_KEY": "test-only-secret-key",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
    }


def _run(env: dict[str, str], *command: str) -> str:
    done = subprocess.run(command, check=False, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done.stdout


class Api:
    def __init__(self, base: str):
        self.base = base

    def call(self, method: str, path: str, token: str | None = None, body: dict | None = None) -> tuple[int, dict]:
        return rest_call(self.base, method, path, body, token)

    def token(self, user: str) -> str:
        status, body = self.call("POST", "/auth/token", body={"username": user, "password": f"sandi-{user}-uji"})
        assert status in (200, 201), (user, status, body)
        return body["access_token"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("airflow_fab")
    port = _free_port()
    env = _env(home, port)
    _run(env, "airflow", "db", "migrate")
    roles = json.loads(_run(env, sys.executable, "-m", "satudata.cli", "airflow-roles"))
    assert set(roles["peran"]) == {DATA_ENGINEER, WALIDATA}
    # the three accounts as `airflow users create` makes them (one process instead of three)
    _run(env, sys.executable, "-c", f"""
from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder
with get_application_builder() as appbuilder:
    sm = appbuilder.sm
    for user, role in {USERS!r}.items():
        assert sm.add_user(user, user.title(), "Uji", user + "@contoh.go.id", sm.find_role(role),
                           password="sandi-" + user + "-uji")
""")
    _run(env, "airflow", "dags", "reserialize")
    log = (home / "api-server.log").open("wb")
    proc = subprocess.Popen(["airflow", "api-server", "--port", str(port), "--workers", "1"], env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    api = Api(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if api.call("GET", "/api/v2/monitor/health")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, \
                (home / "api-server.log").read_text(errors="replace")[-4000:]
            time.sleep(1)
        yield {"api": api, "env": env, "home": home}
    finally:
        stop_process_group(proc)
        log.close()


def _pending_approval(env: dict[str, str], run_id: str) -> None:
    """Put the run's `walidata_approval` where the ApprovalOperator leaves it: deferred, with its question.

    (A scheduler would get there after the earlier tasks; the roles are what is tried here.)"""
    script = f"""
from airflow.models.hitl import HITLDetail
from airflow.models.taskinstance import TaskInstance
from airflow.utils.session import create_session
with create_session() as session:
    ti = session.query(TaskInstance).filter_by(dag_id={PUBLISH!r}, run_id={run_id!r},
                                                task_id="walidata_approval").one()
    ti.state = "deferred"
    session.add(HITLDetail(ti_id=ti.id, options=["Approve", "Reject"], subject="Terbitkan?", multiple=False,
                           params={{}}))
"""
    _run(env, sys.executable, "-c", script)


def test_each_role_may_do_what_it_is_for_and_nothing_more(server):
    api, env = server["api"], server["env"]
    rina, siti, budi = (api.token(u) for u in USERS)

    assert api.call("GET", "/api/v2/dags")[0] == 401  # no token, no data
    status, _ = api.call("POST", "/auth/token", body={"username": "budi", "password": "salah"})
    assert status in (401, 403)

    # everyone reads the DAGs and their runs
    for token in (rina, siti, budi):
        status, body = api.call("GET", "/api/v2/dags", token)
        assert status == 200 and PUBLISH in {d["dag_id"] for d in body["dags"]}

    # the data engineer operates every DAG: triggers, pauses and unpauses, manages pools
    status, run = api.call("POST", f"/api/v2/dags/{PUBLISH}/dagRuns", rina, {"logical_date": None, "conf": {}})
    assert status == 200, run
    assert api.call("PATCH", "/api/v2/dags/satudata_intake", rina, {"is_paused": True})[0] == 200
    assert api.call("PATCH", "/api/v2/dags/satudata_intake", rina, {"is_paused": False})[0] == 200
    assert api.call("POST", "/api/v2/pools", rina, {"name": "uji_peran", "slots": 1})[0] in (200, 201)

    # the walidata and the viewer cannot run, clear or administer anything
    for token in (siti, budi):
        assert api.call("POST", f"/api/v2/dags/{PUBLISH}/dagRuns", token, {"logical_date": None})[0] == 403
        assert api.call("PATCH", "/api/v2/dags/satudata_intake", token, {"is_paused": True})[0] == 403
        assert api.call("POST", "/api/v2/pools", token, {"name": "tidak_boleh", "slots": 1})[0] == 403
        assert api.call("POST", f"/api/v2/dags/{PUBLISH}/clearTaskInstances", token, {"dry_run": True})[0] == 403
        assert api.call("GET", "/api/v2/connections", token)[0] == 403
        assert api.call("DELETE", f"/api/v2/dags/{PUBLISH}/dagRuns/{run['dag_run_id']}", token)[0] == 403

    # the approval: the viewer may not answer it, the walidata may, under her own name
    _pending_approval(env, run["dag_run_id"])
    path = f"/api/v2/dags/{PUBLISH}/dagRuns/{run['dag_run_id']}/taskInstances/walidata_approval/-1/hitlDetails"
    assert api.call("GET", path, budi)[0] == 200
    assert api.call("PATCH", path, budi, {"chosen_options": ["Approve"], "params_input": {}})[0] == 403
    status, answer = api.call("PATCH", path, siti, {"chosen_options": ["Approve"], "params_input": {}})
    assert status == 200, answer
    assert answer["responded_by"]["name"] == "siti"
    assert api.call("PATCH", path, siti, {"chosen_options": ["Reject"], "params_input": {}})[0] == 409  # once

    from satudata.pipeline import approval_from_hitl

    # The event the deferred operator resumes with, as the server left it for the scheduler; the publish
    # task turns the operator's result into the approver `meta.publikasi` records.
    event = json.loads(_run(env, sys.executable, "-c", f"""
import json
from airflow.models.taskinstance import TaskInstance
from airflow.utils.session import create_session
with create_session() as session:
    ti = session.query(TaskInstance).filter_by(dag_id={PUBLISH!r}, run_id={run['dag_run_id']!r},
                                                task_id="walidata_approval").one()
    print(json.dumps({{"state": ti.state, "event": ti.next_kwargs["event"]}}, default=str))
""").strip().splitlines()[-1])
    assert event["state"] == "scheduled"
    assert event["event"]["responded_by_user"]["name"] == "siti"
    recorded = approval_from_hitl(event["event"])
    assert recorded == {"disetujui_oleh": "siti", "cara_persetujuan": "hitl"}


def test_the_roles_converge_when_synced_again(server):
    """A second sync changes nothing; a permission added by hand to a managed role is taken away."""
    env = server["env"]
    out = _run(env, sys.executable, "-c", f"""
import json
from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder
from satudata.ops.accounts import sync_roles
with get_application_builder() as appbuilder:  # what `airflow roles add-perms` does
    sm = appbuilder.sm
    sm.add_permission_to_role(sm.find_role({WALIDATA!r}), sm.create_permission("can_create", "Pools"))
again = sync_roles()
with get_application_builder() as appbuilder:
    role = appbuilder.sm.find_role({WALIDATA!r})
    print(json.dumps({{"sync": again, "perms": [[p.resource.name, p.action.name] for p in role.permissions]}}))
""")
    result = json.loads(out.strip().splitlines()[-1])
    walidata = {tuple(p) for p in result["perms"]}
    assert result["sync"][WALIDATA] == len(walidata) > 30
    assert ("Pools", "can_create") not in walidata
    assert {("HITL Detail", "can_edit"), ("DAG:satudata_publish", "can_edit")} <= walidata
    assert ("DAGs", "can_edit") not in walidata and ("DAG Runs", "can_create") not in walidata
