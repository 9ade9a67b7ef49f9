"""A real Airflow 3 Celery deployment on one machine, as subprocesses: for the scale-out test and benchmark.

The components are those of the `celery` profile of docker-compose.yaml, started from this project's
virtualenv instead of containers: `airflow api-server` (UI, REST API and the Execution API the tasks
report to), `airflow scheduler` (CeleryExecutor: puts each task instance on the broker),
`airflow dag-processor` (parses dags/) and one or more `airflow celery worker`. The metadata database
and the Celery result backend are a PostgreSQL database; the broker is a Redis database of its own.

    cluster = CeleryCluster.create(tmp, metadata_url=..., broker_url=..., extra_env={...})
    cluster.migrate(pool_slots=2)
    cluster.start_core()
    cluster.start_worker("w1", concurrency=2)
    run_id = cluster.trigger("satudata_konvergensi", {"periode": "2026-11"})
    cluster.wait_run("satudata_konvergensi", run_id)
    cluster.stop_all()

Each component runs in a process group of its own (`start_new_session`), so stopping one also stops
the processes it forked (Celery pool processes, task supervisors, the log server). Nothing here is
used by the production deployment, which is docker-compose.yaml.

A worker started with `name` reports that name as the task instances' `hostname`
(`[core] hostname_callable` = `worker_hostname` below), so a test can tell which worker ran a task.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from satudata.config import PROJECT_ROOT

from satudata_dev.airflow_local import rest_call
from satudata_dev.airflow_ui import ADMIN_USER, simple_auth_env, write_admin_password

log = logging.getLogger(__name__)

WORKER_NAME_ENV = "SATUDATA_CELERY_WORKER_NAME"


def worker_hostname() -> str:
    """`[core] hostname_callable` of the workers started here: the worker's name, else the host's."""
    return os.environ.get(WORKER_NAME_ENV) or socket.getfqdn()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------------------------------ databases


def create_database(admin_url: str, prefix: str) -> str:
    """A new, empty PostgreSQL database next to `admin_url`'s; returns its URL (same driver)."""
    import sqlalchemy as sa

    name = f"{prefix}_{secrets.token_hex(5)}"
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    import sqlalchemy as sa

    name = sa.make_url(url).database
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                         {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        engine.dispose()


def with_driver(url: str, driver: str) -> str:
    """`postgresql+psycopg://u@h/db` -> `postgresql+<driver>://u@h/db`."""
    import sqlalchemy as sa

    return sa.make_url(url).set(drivername=f"postgresql+{driver}").render_as_string(hide_password=False)


# ------------------------------------------------------------------------------------------ Redis broker


CLAIM_KEY = "satudata:celery_local:claim"


def claim_redis_db(host: str = "127.0.0.1", port: int = 6379) -> tuple[int, str]:
    """An empty Redis database number, claimed with a key (SET NX) so that two runs never share one.

    Database 0 is left alone (other tools use it). Returns `(db, broker_url)`.
    """
    import redis

    first = redis.Redis(host=host, port=port, db=0)
    try:
        count = int(first.config_get("databases").get("databases", 16))
    except redis.ResponseError:  # CONFIG may be disabled
        count = 16
    finally:
        first.close()
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    for db in range(count - 1, 0, -1):
        client = redis.Redis(host=host, port=port, db=db)
        try:
            if client.dbsize() == 0 and client.set(CLAIM_KEY, token, nx=True, ex=6 * 3600):
                return db, f"redis://{host}:{port}/{db}"
        finally:
            client.close()
    raise RuntimeError(f"no empty Redis database among 1..{count - 1} at {host}:{port}")


def release_redis_db(broker_url: str) -> None:
    """Empty the claimed database (queues, Celery's bookkeeping and the claim key)."""
    import redis

    client = redis.Redis.from_url(broker_url)
    try:
        client.flushdb()
    finally:
        client.close()


# ------------------------------------------------------------------------------------------ the cluster


def _session_members(sid: int) -> list[int]:
    """The processes of a session (a component started with `start_new_session` and all it forked)."""
    import psutil

    members = []
    for pid in psutil.pids():
        try:
            if pid != sid and os.getsid(pid) == sid:
                members.append(pid)
        except (ProcessLookupError, PermissionError):
            continue
    return members


class ClusterError(RuntimeError):
    pass


@dataclass
class CeleryCluster:
    home: Path
    metadata_url: str  # SQLAlchemy URL of the Airflow metadata database (psycopg2, as in docker-compose)
    broker_url: str
    result_backend: str
    api_port: int
    extra_env: dict[str, str] = field(default_factory=dict)
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    fernet_key: str = field(default_factory=lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(64))
    api_secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    _token: str | None = None

    @classmethod
    def create(cls, home: Path, *, metadata_url: str, broker_url: str, result_backend: str | None = None,
               extra_env: dict[str, str] | None = None) -> CeleryCluster:
        home.mkdir(parents=True, exist_ok=True)
        (home / "component-logs").mkdir(exist_ok=True)
        cluster = cls(home=home, metadata_url=metadata_url, broker_url=broker_url,
                      result_backend=result_backend or "db+" + metadata_url.replace("+psycopg2", ""),
                      api_port=free_port(), extra_env=dict(extra_env or {}))
        write_admin_password(home, cluster.password)
        return cluster

    # --- configuration ------------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def env(self, **more: str) -> dict[str, str]:
        """The environment of every component: the same Airflow configuration everywhere."""
        base = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        base.update({
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__PARALLELISM": "8",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__FERNET_KEY": self.fernet_key,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
            **simple_auth_env(self.home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.metadata_url,
            "AIRFLOW__API__BASE_URL": self.api_url,
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__API__SECRET_KEY": self.api_secret_key,
            "AIRFLOW__API_AUTH__JWT_SECRET": self.jwt_secret,
            "AIRFLOW__CELERY__BROKER_URL": self.broker_url,
            "AIRFLOW__CELERY__RESULT_BACKEND": self.result_backend,
            # Celery records which worker ran each task in celery_taskmeta.worker.
            "AIRFLOW__CELERY__EXTRA_CELERY_CONFIG": json.dumps({"result_extended": True}),
            "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": "21600",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW__LOGGING__CELERY_LOGGING_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        })
        base.update(self.extra_env)
        base.update(more)
        return base

    def _airflow_bin(self) -> str:
        return str(Path(sys.executable).parent / "airflow")

    # --- one-off commands ---------------------------------------------------------------------------

    def airflow(self, *args: str, timeout: float = 300) -> str:
        """Run an `airflow` CLI command to completion; raises with its output if it fails."""
        proc = subprocess.run([self._airflow_bin(), *args], env=self.env(), cwd=self.home, capture_output=True,
                              text=True, timeout=timeout, check=False)
        if proc.returncode != 0:
            raise ClusterError(f"airflow {' '.join(args)} failed ({proc.returncode}):\n"
                               f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        return proc.stdout

    def migrate(self, pool_slots: int) -> None:
        """`airflow db migrate` and the warehouse pool, as airflow-init does in docker-compose.yaml."""
        from satudata.dag_support import WAREHOUSE_POOL  # imports Airflow: not at module level

        self.airflow("db", "migrate")
        self.airflow("pools", "set", WAREHOUSE_POOL, str(pool_slots), "Warehouse writers (PostgreSQL)")

    # --- long-running components --------------------------------------------------------------------

    def log_path(self, name: str) -> Path:
        return self.home / "component-logs" / f"{name}.log"

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        if name in self.processes and self.processes[name].poll() is None:
            raise ClusterError(f"{name} is already running")
        out = self.log_path(name).open("ab")
        proc = subprocess.Popen([self._airflow_bin(), *args], env=env or self.env(), cwd=self.home,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        out.close()
        self.processes[name] = proc
        log.info("started %s (pid %s): airflow %s", name, proc.pid, " ".join(args))
        return proc

    def start_core(self, timeout: float = 120, *, triggerer: bool = False) -> None:
        """api-server, scheduler and dag-processor (and the triggerer, which runs the inbox watcher);
        returns when the API answers."""
        self.start("api-server", "api-server", "--port", str(self.api_port), "--host", "127.0.0.1",
                   "--workers", "1")
        self.start("scheduler", "scheduler")
        self.start("dag-processor", "dag-processor")
        if triggerer:
            self.start("triggerer", "triggerer", env=self.env(
                AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(free_port())))
        self.wait_for(lambda: self._health_ok(), timeout, "the api-server's health endpoint")

    def dag_runs(self, dag_id: str) -> list[dict]:
        return self.api("GET", f"/dags/{dag_id}/dagRuns?limit=100")["dag_runs"]

    def start_worker(self, name: str, concurrency: int, *, queues: str | None = None,
                     timeout: float = 90) -> subprocess.Popen:
        """`airflow celery worker --concurrency N`; returns when Celery says the worker is ready."""
        args = ["celery", "worker", "--concurrency", str(concurrency), "--celery-hostname", name,
                "--without-mingle", "--without-gossip"]
        if queues:
            args += ["--queues", queues]
        env = self.env(**{
            WORKER_NAME_ENV: name,
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "satudata_dev.celery_local.worker_hostname",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        })
        proc = self.start(name, *args, env=env)
        self.wait_for(lambda: f"{name} ready." in self.read_log(name), timeout, f"Celery worker {name}",
                      proc_name=name)
        return proc

    def stop(self, name: str, timeout: float = 30) -> None:
        """SIGTERM to the component's process group; after `timeout` seconds SIGKILL to every process of
        its session (task processes run in process groups of their own, but in the worker's session)."""
        proc = self.processes.pop(name, None)
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.warning("%s (pid %s) still running after %s s: killing its session", name, proc.pid, timeout)
        for pid in [proc.pid, *_session_members(proc.pid)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            log.warning("%s (pid %s) did not exit", name, proc.pid)

    def stop_all(self) -> None:
        # Workers first (they finish or abandon their tasks), then the scheduler, then the API.
        order = sorted(self.processes, key=lambda n: {"scheduler": 1, "dag-processor": 2, "api-server": 3}.get(n, 0))
        for name in order:
            self.stop(name)

    # --- waiting and logs ---------------------------------------------------------------------------

    def read_log(self, name: str) -> str:
        path = self.log_path(name)
        return path.read_text(errors="replace") if path.exists() else ""

    def tails(self, lines: int = 40) -> str:
        """The end of every component's log: what a failing test shows."""
        parts = []
        for path in sorted((self.home / "component-logs").glob("*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path.stem} (last {lines} lines)\n" + "\n".join(text))
        return "\n".join(parts)

    def check_alive(self, *names: str) -> None:
        for name in names or list(self.processes):
            proc = self.processes.get(name)
            if proc is not None and proc.poll() is not None:
                raise ClusterError(f"{name} exited with {proc.returncode}:\n{self.read_log(name)[-4000:]}")

    def wait_for(self, predicate, timeout: float, what: str, *, interval: float = 0.5,
                 proc_name: str | None = None):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            self.check_alive(*([proc_name] if proc_name else []))
            time.sleep(interval)
        raise ClusterError(f"timed out after {timeout:.0f} s waiting for {what}\n{self.tails()}")

    # --- REST API (/api/v2), with a token of the Simple auth manager's admin ------------------------

    def _health_ok(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.api_url}/api/v2/monitor/health", timeout=5) as resp:
                return resp.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def _request(self, method: str, path: str, body: dict | None = None, token: str | None = None):
        return rest_call(self.api_url, method, path, body, token)

    def api_status(self, method: str, path: str, body: dict | None = None) -> tuple[int, object]:
        if self._token is None:
            status, answer = self._request("POST", "/auth/token",
                                           {"username": ADMIN_USER, "password": self.password})
            if status not in (200, 201):
                raise ClusterError(f"login failed: {status} {answer}")
            self._token = answer["access_token"]
        return self._request(method, f"/api/v2{path}", body, self._token)

    def api(self, method: str, path: str, body: dict | None = None):
        status, answer = self.api_status(method, path, body)
        if status not in (200, 201):
            raise ClusterError(f"{method} {path}: {status} {answer}")
        return answer

    def wait_dag(self, dag_id: str, timeout: float = 120) -> dict:
        """Until the dag-processor has parsed and serialised the DAG; raises on its import error."""

        def parsed():
            status, answer = self.api_status("GET", f"/dags/{dag_id}")
            if status == 200:
                return answer
            errors = self.api("GET", "/importErrors")
            if errors.get("total_entries"):
                raise ClusterError(f"DAG import errors: {errors['import_errors']}")
            return None

        return self.wait_for(parsed, timeout, f"DAG {dag_id} to be parsed", interval=1)

    def unpause(self, dag_id: str) -> None:
        self.api("PATCH", f"/dags/{dag_id}", {"is_paused": False})

    def pause(self, dag_id: str) -> None:
        self.api("PATCH", f"/dags/{dag_id}", {"is_paused": True})

    def trigger(self, dag_id: str, conf: dict | None = None) -> str:
        run = self.api("POST", f"/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf or {}})
        return run["dag_run_id"]

    def wait_run(self, dag_id: str, run_id: str, timeout: float = 300) -> str:
        """Until the run has finished; its final state ("success" or "failed")."""

        def finished():
            state = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"]
            return state if state in ("success", "failed") else None

        return self.wait_for(finished, timeout, f"run {run_id} of {dag_id}", interval=1)

    def wait_idle(self, dag_id: str, timeout: float = 300) -> None:
        """Until the DAG has no queued or running run (e.g. one an Asset event created)."""

        def idle():
            runs = self.api("GET", f"/dags/{dag_id}/dagRuns?state=queued&state=running")
            return runs["total_entries"] == 0

        self.wait_for(idle, timeout, f"{dag_id} to have no active run", interval=1)

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        answer = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=1000")
        return answer["task_instances"]

    def failed_task_logs(self, dag_id: str, run_id: str, lines: int = 40) -> str:
        """The end of the task log of every failed or upstream-failed task instance of a run."""
        out = []
        for ti in self.task_instances(dag_id, run_id):
            if ti["state"] not in ("failed", "up_for_retry"):
                continue
            folder = self.home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}" / f"task_id={ti['task_id']}"
            for path in sorted(folder.rglob("attempt=*.log")):
                text = path.read_text(errors="replace").splitlines()[-lines:]
                out.append(f"--- {path.relative_to(self.home / 'logs')}\n" + "\n".join(text))
        return "\n".join(out)

    # --- what only the metadata database tells ------------------------------------------------------

    def celery_evidence(self, dag_id: str, run_id: str, timeout: float = 60) -> list[dict]:
        """Per task instance: the Celery task id the executor recorded and what the result backend holds
        for it (status, the worker that ran it), once Celery has recorded every one's end.

        The task process reports its state to the Execution API before the Celery task returns, so a
        run may be finished while the result backend still says STARTED for its last tasks."""

        def ended():
            rows = self._celery_rows(dag_id, run_id)
            return rows if all(r["celery_status"] in ("SUCCESS", "FAILURE") for r in rows) else None

        try:
            return self.wait_for(ended, timeout, "Celery results", interval=1)
        except ClusterError:
            return self._celery_rows(dag_id, run_id)

    def _celery_rows(self, dag_id: str, run_id: str) -> list[dict]:
        import sqlalchemy as sa

        engine = sa.create_engine(self.metadata_url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(sa.text(
                    "SELECT ti.task_id, ti.map_index, ti.state, ti.hostname, ti.queue, ti.external_executor_id, "
                    "       ti.start_date, ti.end_date, m.status AS celery_status, m.worker AS celery_worker "
                    "FROM task_instance ti "
                    "LEFT JOIN celery_taskmeta m ON m.task_id = ti.external_executor_id "
                    "WHERE ti.dag_id = :d AND ti.run_id = :r ORDER BY ti.task_id, ti.map_index"),
                    {"d": dag_id, "r": run_id}).mappings().all()
        finally:
            engine.dispose()
        return [dict(r) for r in rows]
