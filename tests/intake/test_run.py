"""Intake end to end on real files, real GX, and both warehouses: nothing lost, nothing twice, clear answers."""

from __future__ import annotations

import json
import os
import shutil

import openpyxl
import pytest
import sqlalchemy as sa
from satudata.config import Settings
from satudata.intake import register
from satudata.intake import run as intake
from satudata.intake.run import IntakeOptions, ingest_once, list_submissions

from tests.builders import (
    DESA,
    DTKS_HEADER,
    KAB,
    OTHER_KAB_DESA,
    aged,
    dtks_rows,
    nik,
    ods_bytes,
    query_rows,
    write_csv,
    write_ods,
    write_xlsx,
)

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


def scalar(settings: Settings, sql: str, **params):
    engine = sa.create_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar_one()
    finally:
        engine.dispose()


def rows(settings: Settings, sql: str, **params) -> list[tuple]:
    return query_rows(settings.warehouse_url, sql, **params)


def only(settings: Settings, **match) -> dict:
    found = [s for s in list_submissions(settings) if all(s[k] == v for k, v in match.items())]
    assert len(found) == 1, found
    return found[0]


def test_partial_file_stages_good_rows_and_reports_bad_ones(settings):
    data = dtks_rows(50)
    data[9][4] = nik(32, 1, 1980, 1, False)  # impossible day inside the NIK: warning, row kept
    data[19][1] = OTHER_KAB_DESA  # a desa of another regency: row rejected
    data[29][5] = ""  # no name: row rejected
    write_csv(inbox(settings) / "dtks_5205_2026-11.csv", DTKS_HEADER, data,
              title=["DATA TERPADU KESEJAHTERAAN SOSIAL", "KABUPATEN DOMPU", ""])
    summary = ingest_once(settings, options=OPTIONS)
    assert summary["by_status"] == {"partial": 1}

    sub = only(settings, jenis="dtks")
    assert (sub["status"], sub["periode"], sub["rows_total"], sub["rows_accepted"], sub["rows_rejected"]) == (
        "partial", "2026-11", 50, 48, 2)
    # Three title lines and the header: data row k is line k + 4 of the file, as the operator sees it.
    issues = rows(settings, "SELECT baris, kolom, aturan, tingkat FROM meta.validation_issue ORDER BY baris, aturan")
    assert (14, "nik", "nik_tanggal_tidak_valid", "peringatan") in issues
    assert (24, "kode_desa", "kode_desa_luar_kabupaten", "galat") in issues
    assert (34, "nama", "nama_kosong", "galat") in issues
    assert scalar(settings, "SELECT count(*) FROM staging.dtks WHERE aktif") == 48
    assert scalar(settings, "SELECT count(*) FROM staging.dtks WHERE nik_valid") == 47
    assert scalar(settings, "SELECT count(*) FROM staging.baris_ditolak") == 2
    assert scalar(settings, "SELECT count(*) FROM meta.validation_result WHERE NOT success") >= 3
    assert not any(settings.folder("inbox").rglob("*.csv")), "the file left the inbox"
    archived = list(settings.folder("archive").rglob("*dtks_5205_2026-11.csv"))
    assert len(archived) == 1 and archived[0].name.startswith(sub["sha256"])

    report = settings.folder("outbox") / sub["report"]
    assert report.exists() and report.name == f"{sub['submission_id']}-dtks-dtks_5205_2026-11.csv.laporan.xlsx"
    book = openpyxl.load_workbook(report, read_only=True)
    assert {"Ringkasan", "Masalah", "Baris Ditolak"} <= set(book.sheetnames)
    problem_rows = [r for r in book["Masalah"].iter_rows(values_only=True) if r and r[0] in (14, 24, 34)]
    assert len(problem_rows) >= 3
    docs = settings.data_dir / "gx" / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    assert summary["data_docs"] == str(docs) and docs.exists(), "GX Data Docs are built for engineers"
    assert "dtks" in docs.read_text(encoding="utf-8")


def test_same_content_twice_is_a_duplicate_and_not_reprocessed(settings):
    path = write_csv(inbox(settings) / "dtks_5205_2026-11.csv", DTKS_HEADER, dtks_rows(20))
    content = path.read_bytes()
    ingest_once(settings, options=OPTIONS)
    again = inbox(settings) / "salinan dtks 2026-11.csv"
    again.write_bytes(content)
    aged(again)
    summary = ingest_once(settings, options=OPTIONS)
    assert summary["processed"] == 0, "a duplicate is answered at registration, never processed"
    statuses = sorted(s["status"] for s in list_submissions(settings))
    assert statuses == ["accepted", "duplicate"]
    dup = only(settings, status="duplicate")
    assert (settings.folder("outbox") / dup["report"]).exists()
    assert scalar(settings, "SELECT count(*) FROM staging.dtks") == 20


def test_newer_submission_supersedes_older_and_keeps_history(settings):
    write_csv(inbox(settings) / "dtks_5205_2026-11.csv", DTKS_HEADER, dtks_rows(20))
    ingest_once(settings, options=OPTIONS)
    # The revision covers every desa the first file held (four families, one per desa): it replaces it all.
    write_csv(inbox(settings) / "dtks_5205_2026-11 revisi.csv", DTKS_HEADER, dtks_rows(16))
    ingest_once(settings, options=OPTIONS)
    first, second = list_submissions(settings)
    assert first["superseded_by"] == second["submission_id"] and second["superseded_by"] is None
    assert first["reason"] == "superseded" and "dtks_5205_2026-11 revisi.csv (20 baris)" in first["reason_text"]
    assert scalar(settings, "SELECT count(*) FROM staging.dtks WHERE aktif") == 16
    assert scalar(settings, "SELECT count(*) FROM staging.dtks") == 36, "history is kept"
    # Another period does not supersede.
    write_csv(inbox(settings) / "dtks_5205_2026-12.csv", DTKS_HEADER, dtks_rows(5))
    ingest_once(settings, options=OPTIONS)
    assert scalar(settings, "SELECT count(*) FROM staging.dtks WHERE aktif") == 21


def test_crash_after_recording_before_clearing_inbox_resumes(duck_settings, monkeypatch):
    settings = duck_settings
    write_csv(inbox(settings) / "dtks_5205_2026-11.csv", DTKS_HEADER, dtks_rows(10))

    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(register, "remove_from_inbox", crash)
    intake.register_new_files(settings, options=OPTIONS)  # logged, not raised: other files go on
    assert list(inbox(settings).iterdir()), "the file is still in the inbox"
    assert [s["status"] for s in list_submissions(settings)] == ["received"]
    monkeypatch.undo()
    summary = ingest_once(settings, options=OPTIONS)
    assert [s["status"] for s in list_submissions(settings)] == ["accepted"], "resumed, not a duplicate"
    assert summary["by_status"] == {"accepted": 1}
    assert not list(inbox(settings).iterdir())


def test_crash_while_processing_is_finished_by_the_next_run(duck_settings, monkeypatch):
    settings = duck_settings
    write_csv(inbox(settings) / "dtks_5205_2026-11.csv", DTKS_HEADER, dtks_rows(30))
    from satudata.intake import stage

    original = stage.SubmissionStager.commit_staged

    def crash(self, conn, verdict):
        raise RuntimeError("killed mid-transaction")

    monkeypatch.setattr(stage.SubmissionStager, "commit_staged", crash)
    summary = ingest_once(settings, options=OPTIONS)
    assert summary["by_status"] == {"error": 1}
    assert [s["status"] for s in list_submissions(settings)] == ["processing"]
    assert scalar(settings, "SELECT count(*) FROM staging.dtks") == 0, "the transaction rolled back"
    monkeypatch.setattr(stage.SubmissionStager, "commit_staged", original)
    ingest_once(settings, options=OPTIONS)
    sub = only(settings, jenis="dtks")
    assert sub["status"] == "accepted"
    assert scalar(settings, "SELECT count(*) FROM staging.dtks") == 30


def test_numeric_nik_cells_are_kept_and_trusted_only_when_they_cannot_be_rounded(duck_settings):
    """Data row 3's NIK (serial 0005) as an Excel number cannot have been cut: used as usual. Data row 8's
    (serial 0010) ends in 0, what Excel's 15 digits make: kept for the loose comparison, never trusted."""
    settings = duck_settings
    data = dtks_rows(20)
    write_xlsx(inbox(settings) / "dtks_5205_2026-11.xlsx", {"DTKS": (DTKS_HEADER, data)}, numeric_nik_rows={3, 8})
    ingest_once(settings, options=OPTIONS)
    sub = only(settings, jenis="dtks")
    assert sub["status"] == "accepted" and sub["rows_accepted"] == 20 and sub["rows_warning"] == 1
    flagged = rows(settings, "SELECT baris, aturan FROM meta.validation_issue WHERE aturan LIKE 'nik_%' ORDER BY baris")
    assert flagged == [(10, "nik_mungkin_dibulatkan")]
    staged = rows(settings, "SELECT baris, nik, nik_valid, nik_angka_excel FROM staging.dtks WHERE baris IN (5, 10) "
                            "ORDER BY baris")
    assert staged == [(5, data[3][4], True, False), (10, data[8][4], False, True)]
    assert scalar(settings, "SELECT count(*) FROM staging.dtks WHERE nik IS NULL") == 0


def test_one_bad_row_among_ten_thousand(duck_settings):
    settings = duck_settings
    data = dtks_rows(10_000)
    data[4_321][4] = "ABC"
    write_csv(inbox(settings) / "dtks_5205_2026-11.csv", DTKS_HEADER, data)
    data[4_321][1] = "5205999999"
    write_csv(inbox(settings, kab="5205") / "dtks_5205_2026-12.csv", DTKS_HEADER, data)
    ingest_once(settings, options=OPTIONS)
    nov, dec = list_submissions(settings)
    assert (nov["status"], nov["rows_accepted"], nov["rows_rejected"]) == ("accepted", 10_000, 0)
    assert (dec["status"], dec["rows_accepted"], dec["rows_rejected"]) == ("partial", 9_999, 1)
    assert rows(settings, "SELECT baris, aturan FROM meta.validation_issue WHERE submission_id = :s "
                          "AND tingkat = 'galat'", s=dec["submission_id"]) == [(4_323, "kode_desa_tidak_dikenal")]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("kosong.csv", b"", "empty_file"),
        ("laporan.xlsx", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n", "not_a_spreadsheet"),
        ("foto.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "not_a_spreadsheet"),
        ("tanpa_judul.csv", b"a;b;c\n1;2;3\n4;5;6\n", "no_header"),
    ],
)
def test_unusable_files_are_rejected_with_a_reason(duck_settings, name, content, reason):
    settings = duck_settings
    path = inbox(settings) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    aged(path)
    ingest_once(settings, options=OPTIONS)
    sub = only(settings, jenis="dtks")
    assert (sub["status"], sub["reason"]) == ("rejected", reason)
    assert (settings.folder("outbox") / sub["report"]).exists()
    assert list(settings.folder("archive").rglob(f"*{name}")), "even a refused file is archived"


def test_truncated_xlsx_is_rejected(duck_settings, tmp_path):
    settings = duck_settings
    good = write_xlsx(tmp_path / "good.xlsx", {"DTKS": (DTKS_HEADER, dtks_rows(50))})
    broken = inbox(settings) / "dtks_5205_2026-11.xlsx"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    aged(broken)
    ingest_once(settings, options=OPTIONS)
    assert only(settings, jenis="dtks")["reason"] == "corrupt_xlsx"


def test_file_in_another_regencys_folder_is_rejected(duck_settings):
    settings = duck_settings
    data = dtks_rows(20)
    for row in data:
        row[1] = OTHER_KAB_DESA
        row[4] = "5201" + row[4][4:]
    write_csv(inbox(settings) / "dtks_5201_2026-11.csv", DTKS_HEADER, data)
    ingest_once(settings, options=OPTIONS)
    sub = only(settings, jenis="dtks")
    assert (sub["status"], sub["reason"]) == ("rejected", "wrong_regency")
    assert scalar(settings, "SELECT count(*) FROM staging.dtks") == 0


def test_bps_coded_file_is_recognised(duck_settings):
    settings = duck_settings
    data = dtks_rows(20)
    for i, row in enumerate(data):
        row[1] = f"5205{(i % 5 + 1) * 10:03d}{i % 9 + 1:03d}"  # BPS: 2+2+3+3
    write_csv(inbox(settings) / "dtks_5205_2026-11.csv", DTKS_HEADER, data)
    ingest_once(settings, options=OPTIONS)
    assert only(settings, jenis="dtks")["reason"] == "bps_coding"


@pytest.mark.parametrize(("encoding", "delimiter"), [("utf-16", "\t"), ("cp1252", ";"), ("utf-8-sig", "|")])
def test_csv_encodings_and_delimiters(duck_settings, encoding, delimiter):
    settings = duck_settings
    data = dtks_rows(10)
    data[0][5] = "André Ña'im"
    write_csv(inbox(settings) / "dtks_5205_2026-11.csv", DTKS_HEADER, data, delimiter=delimiter, encoding=encoding)
    ingest_once(settings, options=OPTIONS)
    assert only(settings, jenis="dtks")["status"] == "accepted"
    assert scalar(settings, "SELECT nama FROM staging.dtks WHERE baris = 2") == "André Ña'im"


def test_symlink_and_odd_names_get_answers(duck_settings, tmp_path):
    settings = duck_settings
    outside = write_csv(tmp_path / "luar.csv", DTKS_HEADER, dtks_rows(3))
    folder = inbox(settings)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tautan.csv").symlink_to(outside)
    write_csv(folder / "Data  DTKS ..  Dompu ñ.csv", DTKS_HEADER, dtks_rows(4))
    ingest_once(settings, options=OPTIONS)
    by_file = {s["file"]: s for s in list_submissions(settings)}
    assert by_file["5205/dtks/tautan.csv"]["reason"] == "symlink"
    assert by_file["5205/dtks/Data  DTKS ..  Dompu ñ.csv"]["status"] == "accepted"
    assert outside.exists()
    assert not list(folder.iterdir())


def test_p3ke_two_sheets(duck_settings):
    settings = duck_settings
    families = [["P3KE0001", DESA[0], "Dusun 1", "5205010101200001", nik(5, 7, 1960, 1, False), "Lalu Ahmad", "1", "2"],
                ["P3KE0002", DESA[1], "Dusun 2", "5205010101200002", nik(6, 8, 1970, 2, True), "Baiq Siti", "2", "1"],
                ["P3KE0003", DESA[2], "Dusun 3", "5205010101200003", nik(7, 9, 1980, 3, False), "Amaq Sahnan", "7",
                 "1"]]
    members = [["P3KE0001", "I0001", nik(5, 7, 1960, 1, False), "Lalu Ahmad", "L", "05-07-1960", "Kepala Keluarga"],
               ["P3KE0001", "I0002", nik(9, 9, 1965, 4, True), "Inaq Rumenah", "P", "09-09-1965", "Istri"],
               ["P3KE0002", "I0003", nik(6, 8, 1970, 2, True), "Baiq Siti", "P", "06-08-1970", "Kepala Keluarga"],
               ["P3KE0009", "I0004", nik(1, 1, 2001, 5, False), "Orang Hilang", "L", "01-01-2001", "Anak"]]
    write_xlsx(inbox(settings, "p3ke") / "p3ke_5205_2026-11.xlsx", {
        "Keluarga": (["ID Keluarga P3KE", "Kode Desa", "Alamat", "No KK", "NIK Kepala Keluarga",
                      "Nama Kepala Keluarga", "Desil", "Jumlah Anggota"], families),
        "Anggota Keluarga": (["ID Keluarga P3KE", "ID Individu", "NIK", "Nama", "Jenis Kelamin", "Tanggal Lahir",
                              "Hubungan Keluarga"], members),
    })
    ingest_once(settings, options=IntakeOptions(stable_seconds=0, max_rejected_share=0.5))
    sub = only(settings, jenis="p3ke")
    assert sub["status"] == "partial"
    assert scalar(settings, "SELECT count(*) FROM staging.p3ke_keluarga") == 2  # desil 7 refused
    assert scalar(settings, "SELECT count(*) FROM staging.p3ke_anggota") == 3  # unknown family refused
    assert rows(settings, "SELECT sheet, baris, aturan FROM meta.validation_issue WHERE tingkat = 'galat' "
                          "ORDER BY sheet") == [("anggota", 5, "id_keluarga_tidak_ada"),
                                                ("keluarga", 4, "desil_tidak_valid")]


def test_programme_from_file_name_and_unknown_codes(duck_settings):
    settings = duck_settings
    header = ["NIK", "Nama Penerima", "Kode Desa", "Nilai Bantuan", "Tanggal Salur"]
    data = [[r[4], r[5], r[1], "200.000", "15-11-2026"] for r in dtks_rows(10)]
    write_csv(inbox(settings, "intervensi") / "BLT-DD_5205_2026-11.csv", header, data)
    header2 = ["Kode Program", *header]
    data2 = [["Sembako", *row] for row in data[:5]] + [["BANSOS_X", *row] for row in data[5:6]]
    write_csv(inbox(settings, "intervensi") / "penerima_5205_2026-11.csv", header2, data2)
    ingest_once(settings, options=IntakeOptions(stable_seconds=0, max_rejected_share=0.5))
    assert rows(settings, "SELECT kode_program, count(*) FROM staging.intervensi GROUP BY 1 ORDER BY 1") == [
        ("BLT_DD", 10), ("BPNT", 5)]
    assert scalar(settings, "SELECT min(nilai_bantuan) FROM staging.intervensi") == 200000
    assert rows(settings, "SELECT aturan, nilai FROM meta.validation_issue WHERE tingkat = 'galat'") == [
        ("kode_program_tidak_dikenal", "BANSOS_X")]


def test_cli_ingest_and_submissions_json(duck_settings, capsys):
    from satudata.cli import main

    settings = duck_settings
    write_csv(inbox(settings) / "dtks_5205_2026-11.csv", DTKS_HEADER, dtks_rows(5))
    flags = ["--data-dir", str(settings.data_dir), "--warehouse", settings.warehouse_url]
    assert main(["ingest", *flags, "--stable-seconds", "0"]) == 0
    assert json.loads(capsys.readouterr().out)["by_status"] == {"accepted": 1}
    assert main(["submissions", *flags, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert set(listed[0]) >= {"file", "sha256", "kode_kab", "jenis", "status", "rows_total", "rows_accepted",
                              "rows_rejected", "report"}
    assert listed[0]["status"] == "accepted" and listed[0]["rows_total"] == 5


def test_unstable_file_waits(duck_settings):
    settings = duck_settings
    path = write_csv(inbox(settings) / "dtks_5205_2026-11.csv", DTKS_HEADER, dtks_rows(5))
    path.touch()  # just modified: may still be copying
    ingest_once(settings, options=IntakeOptions(stable_seconds=30))
    assert list_submissions(settings) == [] and path.exists()


def test_reprocessing_a_finished_submission_changes_nothing(duck_settings):
    settings = duck_settings
    write_csv(inbox(settings) / "dtks_5205_2026-11.csv", DTKS_HEADER, dtks_rows(8))
    ingest_once(settings, options=OPTIONS)
    sub = only(settings, jenis="dtks")
    again = intake.process_submission(settings, sub["submission_id"], options=OPTIONS)
    assert again.status == "accepted"
    assert scalar(settings, "SELECT count(*) FROM staging.dtks") == 8
    shutil.rmtree(settings.folder("outbox"))


def test_cli_template(tmp_path, capsys):
    from satudata.cli import main

    out = tmp_path / "templat" / "dtks.xlsx"
    out.parent.mkdir()
    assert main(["template", "dtks", "--out", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["template"] == str(out)
    book = openpyxl.load_workbook(out)
    assert "Petunjuk" in book.sheetnames
    data = book["Data"]
    header = [c.value for c in data[1]]
    assert "nik" in header and "no_kk" in header
    nik_col = header.index("nik") + 1
    assert data.cell(row=2, column=nik_col).number_format == "@", "NIK cells are text, so Excel keeps 16 digits"


def test_file_names_that_are_not_utf8_are_registered_and_answered(duck_settings):
    settings = duck_settings
    folder = inbox(settings)
    good = write_csv(folder / "dtks_5205_2026-11.csv", DTKS_HEADER, dtks_rows(5))
    odd = folder.as_posix().encode() + b"/dtks \xff\xfe 2026-11.csv"
    os.rename(good, odd)
    ingest_once(settings, options=OPTIONS)
    sub = only(settings, jenis="dtks")
    assert sub["status"] == "accepted" and "\ufffd" in sub["file"]
    assert (settings.folder("outbox") / sub["report"]).exists()
    assert not os.listdir(folder)


def test_a_file_that_vanishes_or_cannot_be_read_does_not_block_the_others(duck_settings, monkeypatch):
    settings = duck_settings
    write_csv(inbox(settings) / "a_2026-11.csv", DTKS_HEADER, dtks_rows(5))
    write_csv(inbox(settings, "p3ke") / "b_2026-11.csv", DTKS_HEADER, dtks_rows(5))
    real = register.archive_copy

    def flaky(candidate, *args, **kwargs):
        if candidate.name.startswith("a_"):
            raise PermissionError("read denied")
        return real(candidate, *args, **kwargs)

    monkeypatch.setattr(register, "archive_copy", flaky)
    ingest_once(settings, options=OPTIONS)
    assert [s["file"] for s in list_submissions(settings)] == ["5205/p3ke/b_2026-11.csv"]
    assert (inbox(settings) / "a_2026-11.csv").exists(), "kept in the inbox for the next scan"
    monkeypatch.undo()
    ingest_once(settings, options=OPTIONS)
    assert len(list_submissions(settings)) == 2


def test_a_regency_task_finishes_its_other_files_and_fails_naming_the_one_left(duck_settings, monkeypatch):
    """The intake DAG's mapped task per regency (`pipeline.process_regency`): a file a bug meets does not stop
    the regency's next file; the task fails after it, naming the file, and the retry takes only that one."""
    from satudata import pipeline
    from satudata.intake import stage

    settings = duck_settings
    monkeypatch.setenv("SATUDATA_STABLE_SECONDS", "0")
    write_csv(inbox(settings) / "dtks_5205_2026-10.csv", DTKS_HEADER, dtks_rows(7))
    write_csv(inbox(settings) / "dtks_5205_2026-11.csv", DTKS_HEADER, dtks_rows(9))
    groups = pipeline.register_files(settings=settings)
    assert len(groups) == 1 and len(groups[0]) == 2, "one regency: one group, its files in arrival order"
    first, second = groups[0]
    original = stage.SubmissionStager.add_chunk

    def crash_on_first(self, chunk):
        if self.submission.submission_id == first:
            raise RuntimeError("a bug met this file")
        return original(self, chunk)

    monkeypatch.setattr(stage.SubmissionStager, "add_chunk", crash_on_first)
    with pytest.raises(pipeline.RegencyUnfinished, match=rf"1 of 2 .*\b{first} \(error\)"):
        pipeline.process_regency([first, second], settings=settings)
    status = {s["submission_id"]: s["status"] for s in list_submissions(settings)}
    assert status == {first: "processing", second: "accepted"}
    monkeypatch.setattr(stage.SubmissionStager, "add_chunk", original)
    again = pipeline.process_regency([first, second], settings=settings)  # Airflow's retry
    assert [r["status"] for r in again] == ["accepted", "accepted"]
    assert scalar(settings, "SELECT count(*) FROM staging.dtks") == 16


def test_a_machine_failure_in_a_write_leaves_the_regencys_next_file_a_working_warehouse(duck_settings, monkeypatch):
    """A regency's files share one engine (`intake.run.process_regency`): a file whose write meets a failure of
    the machine (the disk full mid-transaction) waits for the next scan, and the file after it, on the same
    engine, is staged; the one that waited is staged by the next scan, its rows once."""
    import errno

    from satudata.intake import stage

    settings = duck_settings
    write_csv(inbox(settings) / "dtks_5205_2026-10.csv", DTKS_HEADER, dtks_rows(7))
    write_csv(inbox(settings) / "dtks_5205_2026-11.csv", DTKS_HEADER, dtks_rows(9))
    first, second = sorted(register.register_inbox(settings, options=OPTIONS).to_process)
    original = stage.SubmissionStager.write_staged

    def disk_full_on_first(self, conn):
        original(self, conn)  # the rows are written inside the transaction, then the disk fills
        if self.submission.submission_id == first:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(stage.SubmissionStager, "write_staged", disk_full_on_first)
    results = intake.process_regency(settings, [first, second], None, OPTIONS, {})
    assert [r["status"] for r in results] == ["tertunda", "accepted"]
    assert scalar(settings, "SELECT count(*) FROM staging.dtks") == 9, "the failed write was rolled back"
    monkeypatch.setattr(stage.SubmissionStager, "write_staged", original)
    again = intake.process_regency(settings, [first, second], None, OPTIONS, {})
    assert [r["status"] for r in again] == ["accepted", "accepted"]
    assert scalar(settings, "SELECT count(*) FROM staging.dtks") == 16


def test_a_file_that_keeps_failing_is_finally_refused_with_an_answer(duck_settings, monkeypatch):
    settings = duck_settings
    write_csv(inbox(settings) / "dtks_5205_2026-11.csv", DTKS_HEADER, dtks_rows(5))
    from satudata.intake import stage

    def crash(self, chunk):
        raise RuntimeError("a bug met this file")

    monkeypatch.setattr(stage.SubmissionStager, "add_chunk", crash)
    for _ in range(intake.MAX_ATTEMPTS):
        assert ingest_once(settings, options=OPTIONS)["by_status"] == {"error": 1}
    ingest_once(settings, options=OPTIONS)
    sub = only(settings, jenis="dtks")
    assert (sub["status"], sub["reason"]) == ("rejected", "internal_error")
    assert (settings.folder("outbox") / sub["report"]).exists(), "the regency is told, not left waiting"
    assert list(settings.folder("archive").rglob("*dtks_5205_2026-11.csv")), "the original is kept"


def test_libreoffice_ods_and_macro_workbooks_are_read(duck_settings, tmp_path):
    settings = duck_settings
    write_ods(inbox(settings) / "dtks_5205_2026-11.ods", {"DTKS": (DTKS_HEADER, dtks_rows(30))}, numeric_nik_rows={8})
    # An .xlsm is an xlsx with a macro project inside: its values are read, nothing of it is run.
    xlsx = write_xlsx(tmp_path / "p.xlsx", {"Data": (DTKS_HEADER, dtks_rows(20, start=100))})
    import zipfile

    xlsm = inbox(settings) / "dtks_5205_2026-10.xlsm"
    xlsm.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(xlsx) as src, zipfile.ZipFile(xlsm, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro that must never run")
    aged(xlsm)
    ingest_once(settings, options=OPTIONS)
    ods = only(settings, periode="2026-11")
    assert (ods["status"], ods["rows_accepted"]) == ("accepted", 30)
    assert rows(settings, "SELECT count(*) FROM staging.dtks WHERE periode = '2026-11' AND nik_angka_excel") == [(1,)]
    macro = only(settings, periode="2026-10")
    assert (macro["status"], macro["rows_accepted"]) == ("accepted", 20)


@pytest.mark.parametrize(
    ("name", "content", "reason", "named"),
    [
        ("data.xlsx", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n", "not_a_spreadsheet", "dokumen PDF"),
        ("data.ods", "ENCRYPTED_ODS", "encrypted", None),
        ("data.numbers", "NUMBERS", "unsupported_format", "Apple Numbers"),
        ("data.fods", (b'<?xml version="1.0"?><office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:'
                      b'office:1.0" office:mimetype="application/vnd.oasis.opendocument.spreadsheet"/>'),
         "unsupported_format", "OpenDocument datar"),
        ("data.wk4", b"\x00\x00\x1a\x00\x02\x10\x04\x00" * 40, "not_a_spreadsheet", None),
        ("satu_baris.csv", b"x" * (5 << 20), "line_too_long", None),
    ],
)
def test_every_refusal_names_its_cause_and_the_fix(duck_settings, name, content, reason, named):
    import zipfile

    settings = duck_settings
    path = inbox(settings) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if content == "ENCRYPTED_ODS":
        content = ods_bytes({"Data": [DTKS_HEADER, *dtks_rows(3)]}, encrypted=True)
    elif content == "NUMBERS":
        with zipfile.ZipFile(path, "w") as package:
            package.writestr("Index/Document.iwa", b"\x00" * 32)
        content = path.read_bytes()
    path.write_bytes(content)
    aged(path)
    ingest_once(settings, options=OPTIONS)
    sub = only(settings, jenis="dtks")
    assert (sub["status"], sub["reason"]) == ("rejected", reason)
    book = openpyxl.load_workbook(settings.folder("outbox") / sub["report"])
    summary = " ".join(str(c.value) for row in book["Ringkasan"].iter_rows() for c in row if c.value)
    assert "{" not in summary and "Cara memperbaiki" in summary
    if named:
        assert named in summary, summary
