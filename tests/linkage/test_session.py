"""The linker's DuckDB is bounded by SATUDATA_LINK_MEMORY and refuses a size it would not read."""

from __future__ import annotations

import pytest
from satudata.linkage.session import DEFAULT_MEMORY, connect, memory_limit


def test_the_default_and_a_configured_limit_reach_duckdb(monkeypatch):
    monkeypatch.delenv("SATUDATA_LINK_MEMORY", raising=False)
    assert memory_limit() == DEFAULT_MEMORY
    monkeypatch.setenv("SATUDATA_LINK_MEMORY", "512MB")
    con = connect(1)
    try:
        # DuckDB reports the limit in its own units (512MB -> "488.2 MiB"): compare in bytes through DuckDB.
        limit = con.sql("SELECT current_setting('memory_limit')").fetchall()[0][0]
        assert limit.endswith("MiB") and 480 < float(limit.split()[0]) < 520
        assert con.sql("SELECT current_setting('threads')").fetchall()[0][0] == 1
        assert con.sql("SELECT current_setting('enable_progress_bar')").fetchall()[0][0] is False
    finally:
        con.close()


@pytest.mark.parametrize("value", ["lots", "2 G", "-1GB", "2GB; SET threads=64"])
def test_a_size_duckdb_would_not_read_is_refused_by_name(monkeypatch, value):
    monkeypatch.setenv("SATUDATA_LINK_MEMORY", value)
    with pytest.raises(ValueError, match="SATUDATA_LINK_MEMORY"):
        memory_limit()
