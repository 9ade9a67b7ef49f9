"""The linker's DuckDB is bounded by SATUDATA_LINK_MEMORY and refuses a size it would not read."""

from __future__ import annotations

import pytest
from satudata.linkage.session import DEFAULT_MEMORY, connect, memory_limit, register_lists


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


def _validation_warnings(settings: dict, caplog) -> list[str]:
    """What Splink's own settings validation logs for `settings` over the columns a scorer registers."""
    import logging

    import pandas as pd
    from satudata.linkage.records import ADDRESS_COLUMNS, LINK_COLUMNS, prepare_people, with_address_weights
    from splink import DuckDBAPI, Linker

    rows = [{"id": str(i), "nik": None, "no_kk": None, "nama": name, "tanggal_lahir": "1980-02-01",
             "jenis_kelamin": "L", "kode_desa": "5205011001", "alamat": "Dusun Satu"}
            for i, name in enumerate(["Ahmad", "Siti Aminah", "Made Wirawan"])]
    left, right = with_address_weights(prepare_people(pd.DataFrame(rows), id_prefix="l:"),
                                       prepare_people(pd.DataFrame(rows), id_prefix="r:"))
    columns = [*LINK_COLUMNS, *ADDRESS_COLUMNS]
    con = connect(1)
    try:
        api = DuckDBAPI(con)
        tables = register_lists(con, api, {"kiri": left[columns], "kanan": right[columns]})
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="splink"):
            Linker(tables, settings, validate_settings=True)
        return [r.getMessage() for r in caplog.records if "SETTINGS VALIDATION" in r.getMessage()]
    finally:
        con.close()


def test_the_shipped_settings_pass_splinks_validation_that_linkers_skip(caplog):
    """Linkers are made without Splink's validation (`make_linker`, for speed): it is run here instead, on the
    model's comparisons and blocking rules over the columns the scorer registers; a wrong column is seen."""
    from satudata.linkage.model import load_model

    settings = load_model().splink_settings(0.001)
    assert _validation_warnings(settings, caplog) == []
    broken = {**settings, "blocking_rules_to_generate_predictions": [{"blocking_rule": 'l."no_such" = r."no_such"'}]}
    assert _validation_warnings(broken, caplog), "the validation must see a column the lists do not have"
