"""The in-memory DuckDB a Splink linker works in: one home for its settings, bounded in memory.

DuckDB takes 80 % of the machine's memory by default, per connection. Two regencies linked side by side, or a
province pass whose blocking rules generate hundreds of millions of candidate pairs, then grow until the machine
swaps (13 GB at NTB full scale). A limit makes DuckDB spill the pairs it joins to disk instead
(`temp_directory`, the system's temporary folder), at the cost of some disk traffic:

    SATUDATA_LINK_MEMORY=1GB      # per linker connection (DuckDB syntax: 500MB, 2GB, 2GiB ...)

1 GB because it costs no time where it was measured: NTB's largest regency at full scale (548 k x 426 k people,
18 M candidate pairs) scored its pairs in the same 40 s with 2 GB, 1 GB and 600 MB, and the linking process
peaked at 3.70, 2.92 and about 2.5 GiB; two regencies are linked side by side.

Python objects (the pandas frames of the two lists and of the predicted pairs) are outside this limit.
"""

from __future__ import annotations

import os
import re
import tempfile
from typing import TYPE_CHECKING

from satudata.linkage.model import PER_RECORD

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_MEMORY = "1GB"
_SIZE = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


def memory_limit() -> str:
    """`SATUDATA_LINK_MEMORY`, else `DEFAULT_MEMORY`; a value DuckDB would not read is refused here, by name."""
    value = os.environ.get("SATUDATA_LINK_MEMORY", "").strip() or DEFAULT_MEMORY
    if not _SIZE.match(value):
        raise ValueError(f"SATUDATA_LINK_MEMORY must be a size such as 2GB or 1500MB, not {value!r}")
    return value


def connect(threads: int):
    """A fresh in-memory DuckDB for one linker: `threads` threads, the memory limit, spilling to the temporary
    folder, no progress bar (a quiet terminal)."""
    import duckdb

    con = duckdb.connect(":memory:", config={"threads": threads, "memory_limit": memory_limit(),
                                             "temp_directory": tempfile.gettempdir()})
    con.execute("SET enable_progress_bar = false")
    return con


def register_lists(con, db_api, lists: dict[str, pd.DataFrame]) -> list:
    """Each prepared list as a view `name` of `con` (its rows, plus the model's `PER_RECORD` columns for those it
    has), registered with Splink under that name (the pairs' `source_dataset`)."""
    tables = []
    for name, frame in lists.items():
        con.register(f"{name}_baris", frame.reset_index(drop=True))
        derived = "".join(f', {sql} AS "{column}"' for column, (source, sql) in PER_RECORD.items()
                          if source in frame.columns)
        con.execute(f'CREATE VIEW "{name}" AS SELECT *{derived} FROM "{name}_baris"')
        tables.append(db_api.register(name, table_name=name))
    return tables


def make_linker(tables: list, settings: dict, log_level: int):
    """A Splink linker over registered `tables`, without Splink's settings validation.

    The validation parses every comparison and blocking rule with sqlglot against the tables' columns, each
    time a linker is made: 0.20 s a linker against 0.12 s without, about a hundred linkers in the demo. Our settings are the shipped model's over
    columns we prepare ourselves; a test validates them once (tests/linkage/test_session.py)."""
    from splink import Linker

    return Linker(tables, settings, log_level=log_level, validate_settings=False)


__all__ = ["DEFAULT_MEMORY", "connect", "make_linker", "memory_limit", "register_lists"]
