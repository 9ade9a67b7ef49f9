"""Shared fixtures: a fresh PostgreSQL database per test run, DuckDB files, one warm embedded Airflow.

The PostgreSQL tests are part of the suite, not optional: if 127.0.0.1:5432 is unreachable they fail
(set SATUDATA_TEST_PG_URL to point elsewhere, e.g. `postgresql+psycopg://user@host:5432/postgres`).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

import pytest

# Airflow reads its configuration when first imported, so the embedded instance is configured here,
# before any test module imports it.
_SESSION_DIR = Path(tempfile.mkdtemp(prefix="satudata-tests-"))
os.environ["SATUDATA_DATA_DIR"] = str(_SESSION_DIR / "data")
os.environ.pop("SATUDATA_WAREHOUSE_URL", None)
os.environ.setdefault("SATUDATA_TASK_RETRIES", "0")

from satudata_dev import airflow_local

airflow_local.configure(_SESSION_DIR / "airflow", override=True)

PG_ADMIN_URL = os.environ.get("SATUDATA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _admin_engine():
    import sqlalchemy as sa

    return sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_database():
    """A database of its own for this test run, dropped afterwards: `(admin_url, url)`."""
    import sqlalchemy as sa

    name = f"satudata_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - report the real reason and fail, never skip
        pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is required for the suite: {exc}")
    url = sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name}
        )
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture
def fresh_pg_url(pg_database):
    """An empty PostgreSQL database for one test (created from the session's connection)."""
    import sqlalchemy as sa

    name = f"satudata_t_{secrets.token_hex(5)}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    yield sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
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
    """One warm embedded Airflow for the session (the first `dag.test()` in a process costs ~5 s)."""
    airflow_local.prepare_metadata_db()
    return airflow_local.load_dags()


@pytest.fixture(scope="session")
def _duckdb_template(tmp_path_factory) -> Path:
    """A migrated DuckDB warehouse with reference data, built once and copied for each test."""
    from satudata.warehouse.bootstrap import init_warehouse

    path = tmp_path_factory.mktemp("template") / "warehouse.duckdb"
    init_warehouse(f"duckdb:///{path}")
    return path


@pytest.fixture(scope="session")
def _pg_template(pg_database) -> str:
    """The session database, migrated once; tests clone it (CREATE DATABASE ... TEMPLATE)."""
    from satudata.warehouse.bootstrap import init_warehouse

    init_warehouse(pg_database)
    import sqlalchemy as sa

    return sa.make_url(pg_database).database


@pytest.fixture(params=["duckdb", "postgresql"])
def warehouse_url(request, tmp_path):
    """A ready warehouse (schema + reference data) for one test, on each engine in turn."""
    import shutil

    if request.param == "duckdb":
        target = tmp_path / "warehouse.duckdb"
        shutil.copyfile(request.getfixturevalue("_duckdb_template"), target)
        return f"duckdb:///{target}"
    return _clone_pg_template(request)


def _clone_pg_template(request) -> str:
    import sqlalchemy as sa

    template = request.getfixturevalue("_pg_template")
    name = f"satudata_t_{secrets.token_hex(5)}"
    admin = _admin_engine()
    with admin.connect() as conn:
        # A template database must have no other connections while it is copied.
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                     {"n": template})
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    request.addfinalizer(lambda: _drop_database(name))
    return sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def pg_warehouse_url(request):
    """A ready PostgreSQL warehouse for tests of what only PostgreSQL has (roles, row-level security)."""
    return _clone_pg_template(request)


@pytest.fixture
def duckdb_warehouse_url(tmp_path, _duckdb_template):
    import shutil

    target = tmp_path / "warehouse.duckdb"
    shutil.copyfile(_duckdb_template, target)
    return f"duckdb:///{target}"


def _drop_database(name: str) -> None:
    import sqlalchemy as sa

    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name}
        )
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


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
