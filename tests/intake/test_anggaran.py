"""Budget recaps (jenis `anggaran`) as regencies send them: SIPD names or their own, one or two sheets."""

from __future__ import annotations

import pandas as pd
import pytest
from satudata.config import Settings
from satudata.intake.read import FileRejected, read_submission
from satudata.intake.run import IntakeOptions, ingest_once, list_submissions

from tests.builders import KAB, query_rows, write_csv, write_xlsx

OPTIONS = IntakeOptions(stable_seconds=0)
DINSOS = "1.06.0.00.0.00.01.0000"
PERKIM = "1.04.0.00.0.00.01.0000"

# The recap an office keeps: its own headers, SIPD's programme code under "Kode Program", rupiah written
# with separators, one line over its pagu, one line without any OPD.
SUB_HEADER = ["Tahun Anggaran", "Kode SKPD", "Nama SKPD", "Kode Program", "Kode Sub Kegiatan", "Nama Sub Kegiatan",
              "Sumber Dana", "Pagu (Rp)", "Realisasi (Rp)", "Strategi", "Program Sasaran", "Kode Desa"]
SUB_ROWS = [
    ["2026", DINSOS, "Dinas Sosial", "1.06.04", "1.06.04.2.01.0002", "Pemberian Permakanan Lansia Terlantar", "DAU",
     "Rp 1.500.000.000", "", "Mengurangi beban pengeluaran", "", ""],
    ["2026", PERKIM, "Dinas Perkim", "1.04.02", "1.04.02.2.01.0009", "Rehabilitasi Rumah Tidak Layak Huni", "DAK",
     "900000000", "950000000", "", "RTLH", "5205011001"],
    ["2026", "", "", "1.06.01", "1.06.01.2.02.0001", "Koordinasi Penanggulangan Kemiskinan", "DAU",
     "50000000", "", "", "", ""],
    ["2026", DINSOS, "Dinas Sosial", "1.06.04", "1.06.04.2.01.0003", "Bantuan Sosial Keluarga Miskin", "DAU",
     "-5000000", "", "", "", ""],
]
REAL_HEADER = ["Kode SKPD", "Kode Sub Kegiatan", "Bulan", "Realisasi Anggaran", "Realisasi Fisik"]
REAL_ROWS = [
    [DINSOS, "1.06.04.2.01.0002", "Januari", "100.000.000", "10"],
    [DINSOS, "1.06.04.2.01.0002", "02", "125000000", "25"],
    [DINSOS, "1.06.04.2.01.0002", "13", "5000000", "30"],
    [DINSOS, "1.06.04.2.01.0002", "3", "", "140"],
    *([PERKIM, "1.04.02.2.01.0009", str(month), "150000000", str(15 * month)] for month in range(4, 10)),
]


@pytest.fixture
def settings(tmp_path, warehouse_url) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=warehouse_url)
    settings.ensure_folders()
    return settings


def _frames(path) -> dict[str, pd.DataFrame]:
    _meta, chunks = read_submission(path, "anggaran")
    out: dict[str, list[pd.DataFrame]] = {}
    for chunk in chunks:
        out.setdefault(chunk.sheet, []).append(chunk.frame)
    return {k: pd.concat(v) for k, v in out.items()}


def test_both_sheets_are_read_under_their_role_and_sipd_programme_codes_are_told_apart(tmp_path):
    path = write_xlsx(tmp_path / "anggaran_5205_2026-11.xlsx",
                      {"Rekap Sub Kegiatan": (SUB_HEADER, SUB_ROWS), "Realisasi Bulanan": (REAL_HEADER, REAL_ROWS)})
    frames = _frames(path)
    assert set(frames) == {"sub_kegiatan", "realisasi"}
    sub = frames["sub_kegiatan"]
    # "Kode Program" holds nomenclature codes: SIPD's programme, not a social programme
    assert list(sub["kode_program_apbd"]) == ["1.06.04", "1.04.02", "1.06.01", "1.06.04"]
    assert list(sub["kode_program"].fillna("")) == ["", "RTLH", "", ""]
    assert list(frames["realisasi"]["bulan"])[:4] == ["Januari", "02", "13", "3"]


def test_a_csv_of_monthly_realisation_is_the_realisation_table(tmp_path):
    path = write_csv(tmp_path / "realisasi_5205_2026-11.csv", REAL_HEADER, REAL_ROWS)
    assert set(_frames(path)) == {"realisasi"}


def test_a_sheet_without_pagu_or_realisation_is_refused_for_what_it_lacks(tmp_path):
    path = write_csv(tmp_path / "anggaran_5205_2026-11.csv", ["Kode SKPD", "Kode Sub Kegiatan", "Nama Sub Kegiatan"],
                     [[DINSOS, "1.06.04.2.01.0002", "Permakanan"]])
    with pytest.raises(FileRejected) as caught:
        _frames(path)
    assert caught.value.code == "missing_columns"


def test_budget_rows_are_checked_staged_and_the_realisation_over_pagu_is_a_warning(settings):
    inbox = settings.folder("inbox") / KAB / "anggaran"
    write_xlsx(inbox / "anggaran_5205_2026-11.xlsx",
               {"Sub Kegiatan": (SUB_HEADER, SUB_ROWS), "Realisasi": (REAL_HEADER, REAL_ROWS)})
    summary = ingest_once(settings, options=OPTIONS)
    assert summary["by_status"] == {"partial": 1}
    sub = next(s for s in list_submissions(settings) if s["jenis"] == "anggaran")
    assert (sub["periode"], sub["rows_total"], sub["rows_accepted"], sub["rows_rejected"]) == ("2026-11", 14, 10, 4)
    issues = query_rows(settings.warehouse_url, "SELECT sheet, baris, kolom, aturan, tingkat FROM meta.validation_issue "
                                                "ORDER BY sheet, baris, aturan")
    assert ("sub_kegiatan", 3, "realisasi_anggaran", "realisasi_melebihi_pagu", "peringatan") in issues
    assert ("sub_kegiatan", 4, "kode_skpd", "opd_kosong", "galat") in issues
    assert ("sub_kegiatan", 5, "pagu", "pagu_tidak_valid", "galat") in issues
    assert ("realisasi", 4, "bulan", "bulan_tidak_valid", "galat") in issues
    assert ("realisasi", 5, "realisasi_anggaran", "realisasi_tidak_valid", "galat") in issues
    assert ("realisasi", 5, "realisasi_fisik", "realisasi_fisik_tidak_valid", "peringatan") in issues
    staged = query_rows(settings.warehouse_url, """
        SELECT lembar, tahun_anggaran, kode_skpd, kode_sub_giat, CAST(pagu AS BIGINT), bulan,
               CAST(realisasi_anggaran AS BIGINT), kode_program, kode_desa, kode_kecamatan, strategi_teks
        FROM staging.anggaran WHERE aktif ORDER BY lembar DESC, baris LIMIT 4""")
    assert staged == [
        ("sub_kegiatan", 2026, DINSOS, "1.06.04.2.01.0002", 1_500_000_000, None, None, None, None, None,
         "Mengurangi beban pengeluaran"),
        ("sub_kegiatan", 2026, PERKIM, "1.04.02.2.01.0009", 900_000_000, None, 950_000_000, "RTLH", "5205011001",
         "520501", None),
        ("realisasi", None, DINSOS, "1.06.04.2.01.0002", None, 1, 100_000_000, None, None, None, None),
        ("realisasi", None, DINSOS, "1.06.04.2.01.0002", None, 2, 125_000_000, None, None, None, None),
    ]


def test_a_newer_budget_recap_replaces_the_older_one_whole(settings):
    inbox = settings.folder("inbox") / KAB / "anggaran"
    write_csv(inbox / "anggaran_5205_2026-10.csv", SUB_HEADER, SUB_ROWS[:2])
    ingest_once(settings, options=OPTIONS)
    write_csv(inbox / "anggaran_5205_2026-10 revisi.csv", SUB_HEADER, SUB_ROWS[1:2])
    ingest_once(settings, options=OPTIONS)
    active = query_rows(settings.warehouse_url, "SELECT kode_sub_giat FROM staging.anggaran WHERE aktif")
    assert active == [("1.04.02.2.01.0009",)]


def test_the_budget_template_has_both_sheets_and_reads_back(tmp_path):
    from satudata.intake.templates import write_template

    path = write_template("anggaran", tmp_path / "template_anggaran.xlsx")
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    assert {"Petunjuk", "Sub Kegiatan", "Realisasi"} <= set(book.sheetnames)
    header = [c.value for c in next(book["Sub Kegiatan"].iter_rows(max_row=1))]
    assert {"kode_sub_giat", "pagu", "kode_program", "kode_desa"} <= set(header)
