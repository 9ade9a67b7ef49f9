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
    from satudata_dev.cli import main as dev_main

    with pytest.raises(SystemExit):
        main(["harmonise", "--period", "2026-13"])
    assert "YYYY-MM" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        dev_main(["generate", "--out", "x", "--period", "2026-13"])
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


def test_cli_leaves_a_clean_terminal(tmp_path):
    """A newcomer reads 40 lines of 'nanobind: leaked instance' or a wall of deprecation warnings as a crash.

    `satudata ingest` loads the whole stack (GX, duckdb-engine, SQLAlchemy, Airflow is not needed), which
    is what made DuckDB print its exit report."""
    import subprocess
    import sys
    from pathlib import Path

    from tests.builders import DTKS_HEADER, aged, dtks_rows, write_csv

    data = tmp_path / "data"
    cli = str(Path(sys.executable).parent / "satudata")
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("SATUDATA_")}
    env.update(SATUDATA_DATA_DIR=str(data), SATUDATA_STABLE_SECONDS="0")
    assert subprocess.run([cli, "init-db"], env=env, capture_output=True, timeout=300, check=False).returncode == 0
    aged(write_csv(data / "inbox" / "5205" / "dtks" / "dtks_5205_2026-11.csv", DTKS_HEADER, dtks_rows(30)))
    done = subprocess.run([cli, "ingest"], env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout)["processed"], done.stdout
    assert "leaked" not in done.stderr, done.stderr[-3000:]
    assert "DeprecationWarning" not in done.stderr and "Traceback" not in done.stderr, done.stderr[-3000:]


def test_ingest_exits_non_zero_when_a_submission_errored(tmp_path, capsys, duckdb_warehouse_url, monkeypatch):
    from satudata.intake import stage

    from tests.builders import DTKS_HEADER, KAB, dtks_rows, write_csv

    data = tmp_path / "data"
    write_csv(data / "inbox" / KAB / "dtks" / "dtks_5205_2026-11.csv", DTKS_HEADER, dtks_rows(5))

    def defect(self, chunk):
        raise RuntimeError("a bug met this file")

    monkeypatch.setattr(stage.SubmissionStager, "add_chunk", defect)
    flags = ["ingest", "--data-dir", str(data), "--warehouse", duckdb_warehouse_url, "--stable-seconds", "0"]
    assert main(flags) != 0, "a cron job or an engineer must see that a file was not processed"
    assert json.loads(capsys.readouterr().out)["by_status"] == {"error": 1}
    monkeypatch.undo()
    assert main(flags) == 0
