"""Alembic environment: runs on the connection handed over by `satudata.warehouse.migrate`.

Migrations must be accepted by DuckDB and PostgreSQL alike: no SERIAL/IDENTITY (use sequences with
`nextval` defaults), no ALTER TABLE ADD CONSTRAINT on DuckDB, schema-qualified names everywhere.
"""

from __future__ import annotations

from alembic import context
from satudata.warehouse.migrate import VERSION_TABLE, VERSION_TABLE_SCHEMA, register_duckdb_impl

register_duckdb_impl()

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - always called through satudata.warehouse.migrate
    raise RuntimeError("run migrations through `satudata init-db`, which supplies the connection")

context.configure(
    connection=connection,
    version_table=VERSION_TABLE,
    version_table_schema=VERSION_TABLE_SCHEMA,
    transaction_per_migration=True,
)
with context.begin_transaction():
    context.run_migrations()
