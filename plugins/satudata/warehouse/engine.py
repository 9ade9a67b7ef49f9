"""Connections to the warehouse and the native bulk-load path of each engine.

The warehouse is DuckDB (embedded default, one file) or PostgreSQL (production). Both go through
SQLAlchemy for connections, DDL and queries. Bulk data never goes through `DataFrame.to_sql`: it fails
on DuckDB (duckdb-engine's reflection reads PostgreSQL catalogs DuckDB lacks) and is slow everywhere.
Instead each engine gets its native path: DuckDB reads a registered DataFrame/Arrow table with
`INSERT ... SELECT`, PostgreSQL takes `COPY ... FROM STDIN`.
"""

from __future__ import annotations

import csv
import io
import os
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:
    import pandas as pd

SCHEMAS = ("staging", "core", "mart", "meta")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


# A DuckDB file takes one writing process at a time; another waits this long for it (seconds).
DUCKDB_LOCK_WAIT = float(os.environ.get("SATUDATA_DUCKDB_LOCK_WAIT", "600"))


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine for a warehouse URL (`duckdb:///path` or `postgresql+psycopg://...`). A failed statement's
    error leaves its parameters out (a NIK or a name looked up or written): the error reaches logs, the failure
    callback and its webhook, which are no place for them (UU 27/2022 PDP)."""
    kwargs.setdefault("hide_parameters", True)
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "duckdb" or parsed.database in (None, "", ":memory:"):
        return sa.create_engine(url, **kwargs)
    Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, **kwargs)

    @sa.event.listens_for(engine, "do_connect")
    def _wait_for_the_file(dialect, conn_rec, cargs, cparams):
        # A second process (a manual `satudata ingest` beside the schedule) waits for the first to let go of
        # the file instead of failing with DuckDB's "Could not set lock on file".
        deadline = time.monotonic() + DUCKDB_LOCK_WAIT
        while True:
            try:
                return dialect.connect(*cargs, **cparams)
            except Exception as exc:
                if "Could not set lock" not in str(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.25)

    return engine


def let_go_of_the_file(engine: Engine) -> None:
    """Close the pooled connections of a DuckDB file before a long computation: the file is locked by the
    process that has it open, and another process (a second intake worker, a mapped task) may write it
    meanwhile. Nothing to do for PostgreSQL or an in-memory DuckDB (closing would lose it)."""
    if engine.dialect.name == "duckdb" and engine.url.database not in (None, "", ":memory:"):
        engine.dispose()


def dialect_name(bind: Engine | Connection) -> str:
    return bind.dialect.name


def quote_table(table: str) -> str:
    """Validate a `schema.table` name (identifiers are ours, never user input) and return it."""
    parts = table.split(".")
    if len(parts) != 2 or not all(_IDENTIFIER.match(p) for p in parts):
        raise ValueError(f"not a schema-qualified table name: {table!r}")
    return table


def _check_columns(columns: Sequence[str]) -> str:
    for column in columns:
        if not _IDENTIFIER.match(column):
            raise ValueError(f"not a plain column name: {column!r}")
    return ", ".join(columns)


def bulk_insert(conn: Connection, table: str, frame: pd.DataFrame) -> int:
    """Append a DataFrame to `table` inside the caller's transaction, by the engine's native path.

    Columns are matched by name; columns of the table absent from the frame get their defaults.
    Returns the number of rows written.
    """
    quote_table(table)
    if frame.empty:
        return 0
    columns = _check_columns([str(c) for c in frame.columns])
    frame = _exact_decimals(frame)
    name = dialect_name(conn)
    if name == "duckdb":
        raw = conn.connection.driver_connection
        view = "_satudata_bulk_frame"
        raw.register(view, frame)
        try:
            raw.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {view}")
        finally:
            raw.unregister(view)
    elif name == "postgresql":
        payload = _postgres_csv(frame)
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(payload)
    else:  # pragma: no cover - only the two engines above are supported
        raise NotImplementedError(f"bulk load is not implemented for {name}")
    return len(frame)


def _exact_decimals(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns of Decimal values (rupiah) as their exact text, which both engines cast to the NUMERIC column
    exactly: DuckDB would otherwise give the column a DECIMAL width guessed from its values, and a float
    would round."""
    from decimal import Decimal

    import pandas as pd

    out = frame
    for column in frame.columns:
        values = frame[column]
        if values.dtype != object:
            continue
        present = values.notna().to_numpy()
        if not present.any() or not isinstance(values.iloc[int(present.argmax())], Decimal):
            continue  # a column is Decimal when its first value is (read from NUMERIC, or made by us)
        if out is frame:
            out = frame.copy()
        out[column] = pd.Series([(format(v, "f") if v.is_finite() else None) if isinstance(v, Decimal)
                                 else (str(v) if ok else None) for v, ok in zip(values, present, strict=True)],
                                index=values.index, dtype="string")
    return out


_NULL_MARK = "\x00"  # PostgreSQL text can never hold NUL, so it cannot collide with a real value


def _postgres_csv(frame: pd.DataFrame) -> bytes:
    """CSV for `COPY ... (FORMAT csv)` in which NULL and the empty string stay different.

    COPY reads an unquoted empty field as NULL and a quoted one as ''. pandas quotes both alike, so
    missing values are first written as a quoted marker and then unquoted.
    """
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, na_rep=_NULL_MARK, quoting=csv.QUOTE_NONNUMERIC)
    return buffer.getvalue().replace(f'"{_NULL_MARK}"', "").encode("utf-8")


def replace_rows(conn: Connection, table: str, frame: pd.DataFrame, where: str = "", params=None) -> int:
    """Delete the rows of `table` matching `where` (all rows when empty) and insert `frame`.

    Runs in the caller's transaction, so readers see either the old rows or the new ones.
    """
    quote_table(table)
    conn.execute(sa.text(f"DELETE FROM {table}" + (f" WHERE {where}" if where else "")), params or {})
    return bulk_insert(conn, table, frame)


def refresh_statistics(conn: Connection, tables: Sequence[str]) -> None:
    """ANALYZE tables a task has just filled, before set-based SQL plans against them (PostgreSQL).

    Autovacuum's autoanalyze comes late (or never, when it is off): until then the planner believes a
    freshly loaded period has a handful of rows and picks nested loops that take minutes instead of
    seconds. DuckDB keeps its statistics up to date itself, so there it is a no-op.
    """
    if dialect_name(conn) != "postgresql":
        return
    for table in tables:
        quote_table(table)
        conn.execute(sa.text(f"ANALYZE {table}"))


def read_frame(conn: Connection, sql: str, params: dict | None = None) -> pd.DataFrame:
    """Run a query and return a DataFrame: the same SQL and the same frame on both engines.

    On DuckDB the rows come as Arrow, 20-40x faster than building the frame from Python row tuples
    (which was 13 % of a regency's linkage at NTB scale), then are given the dtypes the tuple path gives.
    """
    import pandas as pd

    if dialect_name(conn) == "duckdb":
        return _duckdb_frame(conn, sa.text(sql), params or {})
    result = conn.execute(sa.text(sql), params or {})
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def _duckdb_frame(conn: Connection, statement, params: dict) -> pd.DataFrame:
    import warnings

    import pandas as pd
    import pyarrow as pa

    result = conn.execute(statement, params)
    names = list(result.keys())
    try:
        with warnings.catch_warnings():  # "an extra copy of the rows": still 20-40x faster than tuples
            warnings.simplefilter("ignore", UserWarning)
            table = result.cursor.to_arrow_table()
    finally:
        result.close()
    if table.num_rows == 0:
        return pd.DataFrame([], columns=names)
    frame = table.to_pandas(date_as_object=True)
    frame.columns = names
    for i in range(len(names)):
        column, kind = table.column(i), table.schema.field(i).type
        if column.null_count == table.num_rows:  # as from tuples: an all-NULL column holds None
            frame.isetitem(i, pd.Series([None] * table.num_rows, dtype=object, index=frame.index))
        elif pa.types.is_integer(kind) and column.null_count == 0:
            frame.isetitem(i, frame.iloc[:, i].astype("int64"))
        elif pa.types.is_floating(kind) or pa.types.is_integer(kind):  # integers with NULLs are float64
            frame.isetitem(i, frame.iloc[:, i].astype("float64"))
        elif pa.types.is_decimal(kind) and kind.scale == 0 and kind.precision == 38:
            # HUGEINT (what DuckDB's sum() of integers gives) arrives as Python ints through the driver.
            frame.isetitem(i, pd.Series([None if v is None else int(v) for v in column.to_pylist()],
                                        index=frame.index))
        elif pa.types.is_timestamp(kind) and kind.tz:
            # The driver gives pytz zones; keep them, so values compare and print as before.
            import pytz

            frame.isetitem(i, frame.iloc[:, i].dt.tz_convert(pytz.timezone(kind.tz)))
    return frame


@contextmanager
def transaction(url_or_engine: str | Engine) -> Iterator[Connection]:
    """A connection in one transaction on a URL or engine; the engine is disposed if we made it."""
    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()
