"""`satudata init-db`: migrate the warehouse to the newest schema and load the reference data."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from satudata.warehouse.engine import make_engine
from satudata.warehouse.migrate import upgrade

log = logging.getLogger(__name__)


# pg_advisory_lock key of init_warehouse ("satudata" in ASCII, as a number).
INIT_LOCK_KEY = 0x7361747564617461


@contextmanager
def _one_at_a_time(engine: Engine) -> Iterator[None]:
    """Serialise init_warehouse across processes on PostgreSQL (every DAG run starts with it).

    Two runs starting together would otherwise race on Alembic's version row and on the catalog rows of
    GRANT ("tuple concurrently updated"). A session lock on a connection of its own, released even
    when the init fails. DuckDB allows one writing process anyway.
    """
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as lock_conn:
        lock_conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": INIT_LOCK_KEY})
        lock_conn.commit()
        try:
            yield
        finally:
            lock_conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": INIT_LOCK_KEY})
            lock_conn.commit()


@dataclass(frozen=True)
class InitResult:
    warehouse: str
    dialect: str
    revision: str
    reference_rows: dict[str, int]

    def to_dict(self) -> dict:
        return asdict(self)


def init_warehouse(url: str) -> InitResult:
    """Idempotent: safe to run on every deploy and at the start of every ingest run."""
    from satudata.warehouse.access import apply_access_control, ensure_roles
    from satudata.warehouse.reference_load import load_reference

    engine = make_engine(url)
    try:
        with _one_at_a_time(engine):
            if engine.dialect.name == "postgresql":
                # Before any migration: a missing role (made by the admin, never by the pipeline) stops here
                # with the fix, not half-way through the migrations.
                with engine.begin() as conn:
                    ensure_roles(conn)
            revision = upgrade(engine)
            with engine.begin() as conn:
                rows = load_reference(conn)
                apply_access_control(conn)  # tables of newer migrations get the same grants and policies
        return InitResult(
            warehouse=engine.url.render_as_string(hide_password=True),
            dialect=engine.dialect.name,
            revision=revision,
            reference_rows=rows,
        )
    finally:
        engine.dispose()
