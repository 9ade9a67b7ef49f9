"""Locks every process that writes the warehouse respects: two scans at once lose nothing and do nothing twice.

The schedule and a manual trigger, or two Celery workers, may run intake at the same moment. What they
must not do together: register the same inbox file twice (two submissions, one wrongly answered as a
duplicate) or stage the same submission twice. `exclusive(engine, name, key)` is a lock shared by every
process on the same warehouse, held for a `with` block and released when the block ends or the process
dies (a crash never leaves it held):

- PostgreSQL: a session-level advisory lock on a connection of its own, so it holds across hosts;
- DuckDB: an `flock` on a file beside the database (DuckDB itself is one host, one writer at a time).
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from satudata.fileio import file_lock

log = logging.getLogger(__name__)


def _key(name: str) -> int:
    """A stable 32-bit key for a lock name (PostgreSQL's two-key advisory locks take int4 pairs)."""
    return zlib.crc32(f"satudata:{name}".encode()) - 2**31


@contextmanager
def exclusive(engine: Engine, name: str, key: int = 0, *, wait: bool = True, timeout: float = 3600.0
              ) -> Iterator[bool]:
    """Hold the lock `(name, key)` for the block. With `wait=False` yields False at once if another
    process holds it (the caller skips the work); with `wait=True` waits up to `timeout` seconds."""
    if engine.dialect.name == "postgresql":
        with _advisory(engine, _key(name), key, wait=wait, timeout=timeout) as held:
            yield held
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield True  # one process by definition
        return
    folder = Path(database).with_name(Path(database).name + ".locks")
    with file_lock(folder / f"{name}-{key}.lock", wait=wait, timeout=timeout) as held:
        yield held


@contextmanager
def _advisory(engine: Engine, first: int, second: int, *, wait: bool, timeout: float) -> Iterator[bool]:
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        try_lock = sa.text("SELECT pg_try_advisory_lock(:a, :b)")
        held = bool(conn.execute(try_lock, {"a": first, "b": second}).scalar_one())
        deadline = time.monotonic() + timeout
        while not held and wait and time.monotonic() < deadline:
            time.sleep(0.2)
            held = bool(conn.execute(try_lock, {"a": first, "b": second}).scalar_one())
        if not held and wait:
            raise TimeoutError(f"waited {timeout:.0f} s for the warehouse lock ({first}, {second})")
        try:
            yield held
        finally:
            if held:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:a, :b)"), {"a": first, "b": second})


__all__ = ["exclusive"]
