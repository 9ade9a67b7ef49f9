"""Backup and restore of the warehouse and the archive, and an upgrade from the previous release that loses
no row: real PostgreSQL (`pg_dump`/`pg_restore`) and DuckDB, on the hand-made regencies of the convergence
tests, computed, budgeted and published."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import sqlalchemy as sa
from satudata.config import Settings
from satudata.intake.run import IntakeOptions
from satudata.ops.backup import BackupError, backup, restore
from satudata.pipeline import ingest_once, konvergensi
from satudata.publish.publication import publish_period, restore_integers
from satudata.warehouse.engine import bulk_insert, make_engine, read_frame
from satudata.warehouse.fingerprint import differences, fingerprint, tables

from tests.builders import DTKS_HEADER, KAB, dtks_rows, write_csv
from tests.conftest import require_tool
from tests.konvergensi.test_anggaran import _staged_budget
from tests.konvergensi.test_run import BEFORE, PERIODE, _frames, _previous_period, _write


@pytest.fixture
def filled(tmp_path, warehouse_url) -> Settings:
    """A warehouse as a season of work leaves it: staged, harmonised, converged, budgeted, published, and
    an archive holding a file that came through the inbox."""
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=warehouse_url)
    settings.ensure_folders()
    _write(warehouse_url, _frames(PERIODE))
    _write(warehouse_url, _frames(BEFORE, families=_previous_period(), lists=[]))
    _write(warehouse_url, {"staging.anggaran": _staged_budget(PERIODE)})
    konvergensi(PERIODE, settings)
    publish_period(settings, PERIODE, disetujui_oleh="Siti Rahma", cara_persetujuan="hitl", run_id="uji")
    write_csv(settings.folder("inbox") / KAB / "dtks" / "dtks_5205_2020-01.csv", DTKS_HEADER, dtks_rows(8))
    ingest_once(settings, options=IntakeOptions(stable_seconds=0))
    return settings


def _other(request, warehouse_url: str, tmp_path, name: str) -> str:
    if warehouse_url.startswith("duckdb"):
        return f"duckdb:///{tmp_path / f'{name}.duckdb'}"
    return request.getfixturevalue("fresh_pg_url")


def test_backup_restores_to_the_same_warehouse_and_archive(filled, request, tmp_path):
    if not filled.warehouse_url.startswith("duckdb"):
        require_tool(shutil.which("pg_dump") and shutil.which("pg_restore"), "pg_dump/pg_restore",
                     "apt install postgresql-client")
    manifest = backup(filled, tmp_path / "cadangan")
    assert manifest["sidik_jari"]["mart.anggaran_ringkasan"]["baris"] > 0
    assert sum(t["baris"] for t in manifest["sidik_jari"].values()) > 100

    target = _other(request, filled.warehouse_url, tmp_path, "pulih")
    archive = tmp_path / "pulih" / "archive"
    result = restore(tmp_path / "cadangan", target, archive)
    assert result["berbeda"] == {} and result["tabel"] == len(manifest["sidik_jari"])
    original = {p.relative_to(filled.folder("archive")): p.read_bytes()
                for p in filled.folder("archive").rglob("*") if p.is_file()}
    restored = {p.relative_to(archive): p.read_bytes() for p in archive.rglob("*") if p.is_file()}
    assert restored == original and any(p.parts[0] == "ledger" for p in restored)
    # the restored ledger and publication, not only staging/core/mart
    engine = make_engine(target)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT disetujui_oleh FROM meta.publikasi")).scalar_one() == "Siti Rahma"
        assert conn.execute(sa.text("SELECT count(*) FROM meta.submission")).scalar_one() == 1
    engine.dispose()

    # a damaged copy is refused before anything is written
    broken = tmp_path / "rusak"
    shutil.copytree(tmp_path / "cadangan", broken)
    with (broken / "archive.tar").open("r+b") as handle:
        handle.seek(600)
        handle.write(b"\x00\x01")
    with pytest.raises(BackupError, match="sha256"):
        restore(broken, _other(request, filled.warehouse_url, tmp_path, "rusak"))


def _previous_head() -> tuple[str, str]:
    from alembic.script import ScriptDirectory
    from satudata.warehouse.migrate import _config

    script = ScriptDirectory.from_config(_config(None))
    head = script.get_revision(script.get_current_head())
    return head.revision, head.down_revision


def test_an_upgrade_from_the_previous_release_loses_no_row(filled, request, tmp_path):
    """A warehouse built by the previous release's migrations and holding its data (every row of the tables
    that release had, as this season left them) is upgraded to the head: every table keeps every row, and
    a table the upgrade does not change keeps its content exactly."""
    from satudata.warehouse.migrate import current_revision, upgrade

    head, previous = _previous_head()
    old_url = _other(request, filled.warehouse_url, tmp_path, "rilis_lalu")
    old = make_engine(old_url)
    upgrade(old, previous)
    assert current_revision(old) == previous
    source = make_engine(filled.warehouse_url)
    copied = 0
    with source.connect() as src, old.begin() as dst:
        for table in tables(dst, ("meta", "staging", "core", "mart")):
            if table == "meta.alembic_version":
                continue
            columns = [c for c in read_frame(dst, f"SELECT * FROM {table} LIMIT 0").columns]
            frame = restore_integers(read_frame(src, f"SELECT {', '.join(columns)} FROM {table}"))
            dst.execute(sa.text(f"DELETE FROM {table}"))
            if len(frame):
                bulk_insert(dst, table, frame)
                copied += len(frame)
    source.dispose()
    assert copied > 100
    with old.connect() as conn:
        schemas = ("meta", "staging", "core", "mart")
        before_columns = {t: list(read_frame(conn, f"SELECT * FROM {t} LIMIT 0").columns)
                          for t in tables(conn, schemas)}
    before = fingerprint(old_url, ("meta", "staging", "core", "mart"))

    assert upgrade(old, "head") == head
    after = fingerprint(old_url, ("meta", "staging", "core", "mart"))
    with old.connect() as conn:
        after_columns = {t: list(read_frame(conn, f"SELECT * FROM {t} LIMIT 0").columns) for t in before_columns}
    old.dispose()
    for table, print_ in before.items():
        if table == "meta.alembic_version":
            continue
        assert after[table]["baris"] == print_["baris"], f"{table} lost rows in the upgrade"
        if after_columns[table] == before_columns[table]:
            assert after[table]["sha256"] == print_["sha256"], f"{table} changed in the upgrade"
    # a table given a column by the upgrade hashes differently; the others hold exactly what they held
    unchanged = [t for t in before if t != "meta.alembic_version" and after_columns[t] == before_columns[t]]
    assert differences({t: before[t] for t in unchanged}, {t: after[t] for t in unchanged}) == {}
    assert set(after) - set(before) or len(unchanged) < len(before) - 1, "the head adds what the previous release lacked"
    pd.testing.assert_index_equal(pd.Index(sorted(before)), pd.Index(sorted(t for t in after if t in before)))
