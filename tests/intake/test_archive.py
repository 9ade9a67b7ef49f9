"""The archive and the answers: one answer per submission, every file answered whatever its name, a quota per
regency that no sparse or huge file slips past, and originals readable only by the pipeline's group."""

from __future__ import annotations

import os
import stat

import openpyxl
import pytest
from satudata.config import Settings
from satudata.intake.run import IntakeOptions, ingest_once, list_submissions

from tests.builders import DTKS_HEADER, KAB, aged, dtks_rows, write_csv

OPTIONS = IntakeOptions(stable_seconds=0)


@pytest.fixture
def settings(tmp_path, warehouse_url) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=warehouse_url)
    settings.ensure_folders()
    return settings


@pytest.fixture
def duck_settings(tmp_path, duckdb_warehouse_url) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=duckdb_warehouse_url)
    settings.ensure_folders()
    return settings


def inbox(settings: Settings, jenis: str = "dtks", kab: str = KAB):
    return settings.folder("inbox") / kab / jenis


def answer_text(settings: Settings, submission: dict) -> str:
    book = openpyxl.load_workbook(settings.folder("outbox") / submission["report"], read_only=True)
    return " ".join(str(v) for v in book["Ringkasan"].iter_rows(values_only=True) for v in v if v)


def test_two_submissions_never_share_an_answer(settings):
    write_csv(inbox(settings) / "sama.csv", DTKS_HEADER, dtks_rows(5))
    inbox(settings, "p3ke").mkdir(parents=True)
    (inbox(settings, "p3ke") / "sama.csv").write_bytes(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n")
    write_csv(inbox(settings) / "a:b.csv", DTKS_HEADER, dtks_rows(3, start=40))
    write_csv(inbox(settings) / "a;b.csv", DTKS_HEADER, dtks_rows(4, start=60))
    aged(inbox(settings, "p3ke") / "sama.csv")
    ingest_once(settings, options=OPTIONS)
    subs = list_submissions(settings)
    assert len(subs) == 4 and len({s["report"] for s in subs}) == 4, [s["report"] for s in subs]
    for sub in subs:
        name = sub["report"].rsplit("/", 1)[-1]
        assert name.startswith(f"{sub['submission_id']}-{sub['jenis']}-") and name.endswith(".laporan.xlsx")
        assert (settings.folder("outbox") / sub["report"]).exists()
    by_jenis = {s["jenis"]: s for s in subs if s["file"].endswith("sama.csv")}
    assert by_jenis["dtks"]["status"] == "accepted" and by_jenis["p3ke"]["status"] == "rejected"
    assert "DITOLAK" not in answer_text(settings, by_jenis["dtks"])


@pytest.mark.parametrize("name", ["..csv", ".x.csv", ". .csv", ".data dtks.csv"])
def test_a_file_whose_name_starts_with_a_dot_is_answered(duck_settings, name):
    path = write_csv(inbox(duck_settings) / name, DTKS_HEADER, dtks_rows(3))
    ingest_once(duck_settings, options=OPTIONS)
    (sub,) = list_submissions(duck_settings)
    assert sub["file"] == f"{KAB}/dtks/{name}" and not path.exists()
    assert (duck_settings.folder("outbox") / sub["report"]).exists()


def test_a_folder_that_is_not_exactly_a_regency_code_is_no_regency(duck_settings):
    write_csv(duck_settings.folder("inbox") / "52051" / "dtks" / "dtks_2026-11.csv", DTKS_HEADER, dtks_rows(3))
    ingest_once(duck_settings, options=OPTIONS)
    (sub,) = list_submissions(duck_settings)
    assert (sub["kode_kab"], sub["status"], sub["reason"]) == ("", "rejected", "unknown_regency_folder")


def test_a_file_over_the_regencys_archive_quota_is_refused_and_not_archived(duck_settings, monkeypatch):
    settings = duck_settings
    monkeypatch.setenv("SATUDATA_STABLE_SECONDS", "0")
    monkeypatch.setenv("SATUDATA_ARCHIVE_QUOTA_BYTES", str(4 << 20))
    write_csv(inbox(settings) / "dtks_5205_2026-11.csv", DTKS_HEADER, dtks_rows(20))
    sparse = inbox(settings) / "dtks_5205_2026-12.csv"
    with sparse.open("wb") as out:  # 64 MiB on paper, a few bytes on disk: must count as 64 MiB
        out.write(b"x\n")
        out.truncate(64 << 20)
    aged(sparse)
    ingest_once(settings, options=IntakeOptions.from_env())
    subs = {s["file"].rsplit("/", 1)[-1]: s for s in list_submissions(settings)}
    assert subs["dtks_5205_2026-11.csv"]["status"] == "accepted"
    refused = subs["dtks_5205_2026-12.csv"]
    assert (refused["status"], refused["reason"]) == ("rejected", "kuota_arsip")
    assert "4 MiB" in refused["reason_text"] and "64 MiB" in refused["reason_text"]
    archived = sum(p.stat().st_size for p in (settings.folder("archive") / KAB).rglob("*") if p.is_file())
    assert archived < 1 << 20, "the refused file was not copied into the archive"
    assert not sparse.exists(), "answered, so it leaves the inbox"
    assert "kuota" in answer_text(settings, refused).lower()


def test_archived_originals_are_readable_by_the_pipelines_group_only(duck_settings):
    write_csv(inbox(duck_settings) / "dtks_5205_2026-11.csv", DTKS_HEADER, dtks_rows(3))
    ingest_once(duck_settings, options=OPTIONS)
    archive = duck_settings.folder("archive")
    (original,) = (archive / KAB).rglob("*dtks_5205_2026-11.csv")
    assert stat.S_IMODE(original.stat().st_mode) == 0o640
    assert original.stat().st_gid == os.getegid()
    for folder in (archive, archive / KAB, original.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o750, folder
