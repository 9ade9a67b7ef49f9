"""The CLI prints JSON and calls the same functions as the DAGs."""

from __future__ import annotations

import json

import pytest
from satudata.cli import main
from satudata.config import DATA_SUBDIRS, Settings


def test_init_db_prints_json_and_creates_folders(tmp_path, capsys, fresh_duckdb_url):
    data = tmp_path / "data"
    assert main(["init-db", "--data-dir", str(data), "--warehouse", fresh_duckdb_url]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dialect"] == "duckdb"
    assert out["reference_rows"]["wilayah"] > 90_000
    assert all((data / d).is_dir() for d in DATA_SUBDIRS)


def test_period_is_validated(capsys):
    with pytest.raises(SystemExit):
        main(["generate", "--out", "x", "--period", "2026-13"])
    assert "YYYY-MM" in capsys.readouterr().err


def test_settings_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("SATUDATA_DATA_DIR", str(tmp_path / "env"))
    monkeypatch.delenv("SATUDATA_WAREHOUSE_URL", raising=False)
    from_env = Settings.from_env()
    assert from_env.data_dir == (tmp_path / "env").resolve()
    assert from_env.warehouse_url == f"duckdb:///{(tmp_path / 'env' / 'warehouse.duckdb').resolve()}"
    explicit = Settings.from_env(tmp_path / "flag", "postgresql+psycopg://u@h/db")
    assert explicit.data_dir == (tmp_path / "flag").resolve()
    assert explicit.warehouse_url == "postgresql+psycopg://u@h/db"
    monkeypatch.setenv("SATUDATA_WAREHOUSE_URL", "postgresql+psycopg://x@y/z")
    assert Settings.from_env().warehouse_url == "postgresql+psycopg://x@y/z"
    with pytest.raises(ValueError):
        from_env.folder("secrets")
