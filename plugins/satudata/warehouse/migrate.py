"""Create and upgrade the warehouse schema with Alembic, the same way on DuckDB and PostgreSQL."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"
VERSION_TABLE_SCHEMA = "meta"


def register_duckdb_impl() -> None:
    """Teach Alembic about DuckDB: it ships no implementation for the dialect.

    Defining the subclass registers it (Alembic keys implementations by `__dialect__`); DuckDB runs
    DDL inside transactions, so a failed migration leaves nothing half-done.
    """
    from alembic.ddl.impl import DefaultImpl, _impls

    if "duckdb" in _impls:
        return

    class DuckDBImpl(DefaultImpl):
        __dialect__ = "duckdb"
        transactional_ddl = True


def _config(connection: Connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Upgrade the warehouse to `revision` and return the revision it is at afterwards."""
    from alembic import command

    register_duckdb_impl()
    with engine.begin() as conn:
        # The version table lives in `meta`, which must exist before Alembic looks for it.
        conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {VERSION_TABLE_SCHEMA}"))
    with engine.connect() as conn:
        command.upgrade(_config(conn), revision)
        conn.commit()
    now = current_revision(engine)
    log.info("warehouse schema at revision %s (%s)", now, engine.dialect.name)
    return now


def downgrade(engine: Engine, revision: str) -> str | None:
    from alembic import command

    register_duckdb_impl()
    with engine.connect() as conn:
        command.downgrade(_config(conn), revision)
        conn.commit()
    return current_revision(engine)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    register_duckdb_impl()
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"version_table": VERSION_TABLE, "version_table_schema": VERSION_TABLE_SCHEMA}
        )
        return context.get_current_revision()


def head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


@contextmanager
def without_indexes(table: str, schema: str, indexes: dict[str, list[str]]):
    """DuckDB cannot drop or change a column of a table an index depends on: inside this block the named
    indexes (name -> columns) are gone, and they are created again after it. PostgreSQL needs nothing."""
    from alembic import op

    duckdb = op.get_bind().dialect.name == "duckdb"
    if duckdb:
        for name in indexes:
            op.drop_index(name, table_name=table, schema=schema)
    yield
    if duckdb:
        for name, columns in indexes.items():
            op.create_index(name, table, columns, schema=schema)
