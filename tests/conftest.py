"""Shared fixtures: PostgreSQL databases and DuckDB files cloned from migrated templates, one warm embedded Airflow.

The PostgreSQL tests are part of the suite, not optional: if 127.0.0.1:5432 is unreachable they fail
(set SATUDATA_TEST_PG_URL to point elsewhere, e.g. `postgresql+psycopg://user@host:5432/postgres`).

The suite runs on parallel workers (pytest-xdist, `-n` in pyproject's addopts): every worker is a process
of its own with its own data folder, Airflow home and databases, and every server a test starts takes a
free port. What is expensive and the same for every worker is built once per run, by the first worker
that needs it while the others wait (`_built_once`), in a folder of the run: the migrated PostgreSQL
template (cloned with `CREATE DATABASE ... TEMPLATE`, much faster than migrating), the migrated DuckDB
file and Airflow's migrated metadata database (copied). Tests that must not share the machine with each
other carry `pytest.mark.xdist_group` and run one after the other on one worker (`--dist loadgroup`).
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

# One id for the whole run: the controller sets it before it starts the workers, which inherit it.
RUN_ID = os.environ.setdefault("SATUDATA_TEST_RUN", f"{os.getpid()}_{secrets.token_hex(3)}")
RUN_DIR = Path(tempfile.gettempdir()) / f"satudata-tests-run-{RUN_ID}"
RUN_DIR.mkdir(exist_ok=True)
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")  # "gw0", "gw1", ... under xdist

# Airflow reads its configuration when first imported, so the embedded instance is configured here,
# before any test module imports it.
_SESSION_DIR = Path(tempfile.mkdtemp(prefix=f"satudata-tests-{WORKER}-"))
os.environ["SATUDATA_DATA_DIR"] = str(_SESSION_DIR / "data")
os.environ.pop("SATUDATA_WAREHOUSE_URL", None)
os.environ.setdefault("SATUDATA_TASK_RETRIES", "0")

from satudata_dev import airflow_local

airflow_local.configure(_SESSION_DIR / "airflow", override=True)

PG_ADMIN_URL = os.environ.get("SATUDATA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_TEMPLATE = f"satudata_template_{RUN_ID}"
AIRFLOW_PG_TEMPLATE = f"satudata_airflow_template_{RUN_ID}"


def _admin_engine():
    import sqlalchemy as sa

    return sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def _built_once(name: str, build: Callable[[], None]) -> None:
    """Run `build` once in this test run, whichever worker asks first; the others wait for it to finish."""
    from satudata.fileio import file_lock

    done = RUN_DIR / f"{name}.done"
    with file_lock(RUN_DIR / f"{name}.lock"):
        if not done.exists():
            build()
            done.touch()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """`xdist_group` as `--dist loadgroup` means it. pytest-xdist 3.8 names a grouped test `<id>@<group>` by
    setting `item._nodeid`, which pytest 9 no longer reads (a node's id is `item._id`): every group was
    silently spread over the workers (two servers' latency measured side by side, a module fixture built
    on each worker). Checked by tests/test_grouping.py."""
    if not getattr(config.option, "loadgroup", False):  # set in xdist's workers under --dist loadgroup
        return
    from _pytest.nodes import coerce_node_id

    for item in items:
        names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                        for m in item.iter_markers("xdist_group")})
        if names and not item.nodeid.endswith("@" + "_".join(names)):
            item._id = coerce_node_id(f"{item.nodeid}@{'_'.join(names)}")


def pytest_sessionfinish(session):
    """The run's shared things go when the run ends: in the controller (or the only process), after every
    worker has finished."""
    if hasattr(session.config, "workerinput"):
        return
    for built, database in (("pg-template", PG_TEMPLATE), ("airflow-pg-template", AIRFLOW_PG_TEMPLATE)):
        if (RUN_DIR / f"{built}.done").exists():
            _drop_database(database)
    shutil.rmtree(RUN_DIR, ignore_errors=True)


def pytest_unconfigure(config):
    shutil.rmtree(_SESSION_DIR, ignore_errors=True)


def _pg_url(name: str) -> str:
    import sqlalchemy as sa

    return sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def _pg_template() -> str:
    """The run's migrated PostgreSQL warehouse (schema, reference data, the cluster-wide roles), which tests
    clone. Built before any other PostgreSQL fixture is used, so that two workers never create the roles
    at the same moment."""
    import sqlalchemy as sa
    from satudata.warehouse.bootstrap import init_warehouse

    def build():
        admin = _admin_engine()
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_TEMPLATE}"'))
                conn.execute(sa.text(f'CREATE DATABASE "{PG_TEMPLATE}"'))
        except Exception as exc:  # noqa: BLE001 - report the real reason and fail, never skip
            pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is required for the suite: {exc}")
        finally:
            admin.dispose()
        init_warehouse(_pg_url(PG_TEMPLATE))
        # A template must have no connections while it is cloned: none of this process's stay open.
        _terminate(PG_TEMPLATE)

    _built_once("pg-template", build)
    return PG_TEMPLATE


@pytest.fixture
def fresh_pg_url(_pg_template):
    """An empty PostgreSQL database for one test."""
    name = _create_database()
    yield _pg_url(name)
    _drop_database(name)


@pytest.fixture
def fresh_duckdb_url(tmp_path):
    return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"


@pytest.fixture(params=["duckdb", "postgresql"])
def empty_warehouse_url(request):
    """Each test using this runs twice: on an empty DuckDB file and on an empty PostgreSQL database."""
    if request.param == "duckdb":
        return request.getfixturevalue("fresh_duckdb_url")
    return request.getfixturevalue("fresh_pg_url")


@pytest.fixture(scope="session")
def airflow_dags():
    """One warm embedded Airflow per worker (the first `dag.test()` in a process costs ~5 s), on a copy of
    the run's migrated metadata database (migrating SQLite costs ~7 s of CPU)."""
    import sqlite3

    from satudata.fileio import file_lock

    database = Path(os.environ["AIRFLOW_HOME"]) / "airflow.db"
    template = RUN_DIR / "airflow.db"
    with file_lock(RUN_DIR / "airflow-db.lock"):
        if template.exists():
            shutil.copyfile(template, database.with_suffix(".copy"))
            database.with_suffix(".copy").replace(database)
            _dispose_airflow_engine()  # a connection opened before the copy would see the old file
        airflow_local.prepare_metadata_db()  # a quick check on the copy: already at the head
        if not template.exists():
            with sqlite3.connect(database) as source, sqlite3.connect(template.with_suffix(".part")) as copy:
                source.backup(copy)
            template.with_suffix(".part").replace(template)
    return airflow_local.load_dags()


@pytest.fixture
def airflow_pg_metadata_url(_pg_template):
    """A migrated Airflow metadata database on PostgreSQL, with the warehouse pool (2 slots), for the tests
    that start a real Airflow deployment: a clone of one made once per run by `airflow db migrate` and
    `airflow pools set` (two Airflow commands of ~15 s each under load), as airflow-init does it."""
    from satudata_dev.celery_local import CeleryCluster, with_driver

    def build():
        _drop_database(AIRFLOW_PG_TEMPLATE)
        _create_database(name=AIRFLOW_PG_TEMPLATE)
        cluster = CeleryCluster.create(RUN_DIR / "airflow-pg-template", broker_url="redis://127.0.0.1:6379/0",
                                       metadata_url=with_driver(_pg_url(AIRFLOW_PG_TEMPLATE), "psycopg2"))
        cluster.migrate(pool_slots=2)
        _terminate(AIRFLOW_PG_TEMPLATE)

    _built_once("airflow-pg-template", build)
    name = _create_database(template=AIRFLOW_PG_TEMPLATE)
    yield with_driver(_pg_url(name), "psycopg2")  # the driver docker-compose.yaml uses
    _drop_database(name)


def _dispose_airflow_engine() -> None:
    from airflow import settings

    if getattr(settings, "engine", None) is not None:
        settings.engine.dispose()


@pytest.fixture(scope="session")
def _duckdb_template() -> Path:
    """A migrated DuckDB warehouse with reference data, built once per run and copied for each test."""
    from satudata.warehouse.bootstrap import init_warehouse

    path = RUN_DIR / "template.duckdb"
    _built_once("duckdb-template", lambda: init_warehouse(f"duckdb:///{path}"))
    return path


@pytest.fixture(params=["duckdb", "postgresql"])
def warehouse_url(request, tmp_path):
    """A ready warehouse (schema + reference data) for one test, on each engine in turn."""
    if request.param == "duckdb":
        target = tmp_path / "warehouse.duckdb"
        shutil.copyfile(request.getfixturevalue("_duckdb_template"), target)
        return f"duckdb:///{target}"
    return _clone_pg_template(request)


def _clone_pg_template(request) -> str:
    name = _create_database(template=request.getfixturevalue("_pg_template"))
    request.addfinalizer(lambda: _drop_database(name))
    return _pg_url(name)


@pytest.fixture
def pg_warehouse_url(request):
    """A ready PostgreSQL warehouse for tests of what only PostgreSQL has (roles, row-level security)."""
    return _clone_pg_template(request)


@pytest.fixture
def duckdb_warehouse_url(tmp_path, _duckdb_template):
    target = tmp_path / "warehouse.duckdb"
    shutil.copyfile(_duckdb_template, target)
    return f"duckdb:///{target}"


def _create_database(template: str | None = None, name: str | None = None) -> str:
    """A new database (a copy of `template`, else empty), named for this worker unless `name` is given."""
    import sqlalchemy as sa

    name = name or f"satudata_t_{WORKER}_{secrets.token_hex(5)}"
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            clause = f' TEMPLATE "{template}"' if template else ""
            conn.execute(sa.text(f'CREATE DATABASE "{name}"{clause}'))
    finally:
        admin.dispose()
    return name


def _terminate(name: str) -> None:
    import sqlalchemy as sa

    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                         {"n": name})
    finally:
        admin.dispose()


def _drop_database(name: str) -> None:
    from satudata_dev.celery_local import drop_database

    drop_database(PG_ADMIN_URL, _pg_url(name))  # its sessions ended first, as the harnesses do it


# --- tools that a fresh machine may lack ---------------------------------------------------------------

IN_CI = os.environ.get("CI", "").lower() == "true"
ARTIFACTS_DIR = Path(os.environ.get("SATUDATA_TEST_ARTIFACTS")
                     or Path(__file__).resolve().parents[1] / "test-artifacts")


def require_tool(found: str | None, what: str, install: str) -> str:
    """A tool the test needs: skipped with the reason on a developer's machine, a failure in CI."""
    if found:
        return found
    message = f"{what} is not installed ({install}; .ci/run installs it)"
    if IN_CI:
        pytest.fail(f"{message}: CI must run this test")
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium() -> str:
    """The system Chromium (Debian's `chromium`); the browser tests drive it through Playwright."""
    from satudata_dev.browser import find_chromium

    return require_tool(find_chromium(), "Chromium", "apt-get install chromium")


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests keep what a person may want to look at afterwards (screenshots)."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI nothing may pass by skipping: a skipped test is reported as failed, with its reason."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every test must run: {reason}"
