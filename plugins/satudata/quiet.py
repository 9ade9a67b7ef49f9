"""A quiet terminal: third-party noise that we cannot fix, handled in this one place (and only this).

- Warnings: each entry is narrowed by its message and by the module that warns, and says why it is not
  ours to act on. Our own warnings, and every other third-party warning, still show.
- DuckDB's exit report: with some module sets loaded (duckdb-engine, SQLAlchemy's ORM and jsonschema, as
  Great Expectations brings), CPython 3.11 tears the interpreter down before DuckDB's module-level type
  constants (`duckdb.sqltypes.VARCHAR`, ...) are freed, and nanobind then prints ~40 lines of
  "nanobind: leaked instance" at exit. No connection or relation of ours is among them (checked: every
  reported instance is such a constant); releasing the constants when the process ends lets them be freed
  in order, and the report disappears.

The CLI and the demo call `quiet_third_party()` at start; the test suite sees every warning.
"""

from __future__ import annotations

import atexit
import sys
import warnings

# (message regex, module regex of the code that warns, why it is not ours)
THIRD_PARTY_WARNINGS = (
    (r"GitWildMatchPattern \('gitwildmatch'\) is deprecated", r"airflow\.(sdk\.)?_shared\.module_loading\.",
     "Airflow 3.3's DAG-folder scan uses pathspec's old pattern name"),
    (r"Using `httpx` with `starlette\.testclient` is deprecated", r"fastapi\.testclient",
     "FastAPI's test client, imported by Airflow's in-process execution API (dag.test)"),
)
DUCKDB_TYPE_MODULES = ("duckdb.value.constant", "duckdb.sqltypes", "duckdb.typing", "_duckdb._sqltypes")

_registered = False


def release_duckdb_type_constants() -> None:
    """Drop DuckDB's module-level type constants; runs at exit, after every other exit handler of ours."""
    for name in DUCKDB_TYPE_MODULES:
        module = sys.modules.get(name)
        for key, value in list(vars(module).items()) if module is not None else ():
            if type(value).__name__ == "DuckDBPyType":
                delattr(module, key)


def quiet_third_party() -> None:
    """Install the warning filters in front of all others, and the exit hook (idempotent).

    Importing Airflow inserts `default` filters for its DeprecationWarnings in front; call this again
    after Airflow is imported (the demo does) to put ours back in front.
    """
    global _registered
    for message, module, _why in THIRD_PARTY_WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=Warning, module=module)
    if not _registered:
        atexit.register(release_duckdb_type_constants)  # registered first, so it runs last
        _registered = True
