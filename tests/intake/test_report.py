"""The operator-facing side of intake: the message catalogue, the report workbook and the Excel templates.

Everything is read back with openpyxl, as a regency operator's Excel would open it.
"""

from __future__ import annotations

import json
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from satudata import schema
from satudata.config import expectations_dir
from satudata.intake import messages, report
from satudata.intake.messages import COLUMN_LABELS, FILE_REASONS, RULES, STATUS, format_fix, format_message
from satudata.intake.report import ReportSummary, write_report
from satudata.intake.templates import REQUIRED, TEMPLATE_SHEETS, load_programme_list, write_template
from satudata.sheets import splice

# --------------------------------------------------------------------------------------------- catalogue

EXPECTED_RULES = {
    "nik_kosong": "peringatan", "nik_format": "peringatan", "nik_kecamatan_tidak_dikenal": "peringatan",
    "nik_tanggal_tidak_valid": "peringatan", "nik_jenis_kelamin_tidak_sesuai": "peringatan",
    "nik_tanggal_lahir_tidak_sesuai": "peringatan", "nik_angka_excel": "peringatan", "kk_angka_excel": "peringatan",
    "nik_ganda": "galat", "baris_ganda": "galat", "no_kk_format": "peringatan", "no_kk_kosong": "peringatan",
    "kode_desa_kosong": "galat", "kode_desa_tidak_dikenal": "galat", "kode_desa_luar_kabupaten": "galat",
    "desil_tidak_valid": "galat", "kode_program_tidak_dikenal": "galat", "kode_program_kosong": "galat",
    "nama_kosong": "galat", "nama_tidak_wajar": "peringatan", "tanggal_lahir_tidak_valid": "peringatan",
    "tanggal_lahir_tidak_wajar": "peringatan", "tanggal_salur_tidak_valid": "peringatan",
    "tanggal_salur_tidak_wajar": "peringatan", "jenis_kelamin_tidak_valid": "peringatan",
    "hubungan_keluarga_tidak_valid": "peringatan", "sel_galat_excel": "peringatan", "kolom_berlebih": "peringatan",
    "nilai_bantuan_tidak_valid": "peringatan", "id_keluarga_tidak_ada": "galat",
    "kk_tanpa_kepala_keluarga": "peringatan",
}  # fmt: skip
EXPECTED_FILE_REASONS = (
    "empty_file", "unreadable", "corrupt_xlsx", "encrypted", "not_a_spreadsheet", "too_large_uncompressed",
    "no_header", "missing_columns", "unsupported_format", "sheet_missing", "wrong_regency", "bps_coding",
    "too_many_bad_rows", "unknown_jenis", "unknown_regency_folder", "symlink", "duplicate", "superseded",
    "internal_error", "line_too_long",
)  # fmt: skip
ENGLISH = ("error", "warning", "file ", "column", "row ", "invalid", "missing", "please")


def test_every_listed_rule_has_its_tingkat_and_plain_indonesian_text():
    for code, tingkat in EXPECTED_RULES.items():
        rule = RULES[code]
        assert (rule.code, rule.tingkat) == (code, tingkat), code
        assert rule.pesan.strip() and rule.perbaikan.strip() and rule.judul.strip(), code
        assert "{" not in rule.pesan + rule.perbaikan, f"{code}: unfilled placeholder"
        assert not any(word in rule.pesan.lower() for word in ENGLISH), f"{code}: English in {rule.pesan!r}"
        assert format_message(code) == rule.pesan and format_fix(code) == rule.perbaikan
    assert all(rule.tingkat in ("galat", "peringatan") for rule in RULES.values())
    assert "Format Cells > Text" in RULES["nik_angka_excel"].perbaikan and "16" in RULES["nik_angka_excel"].perbaikan


def test_every_code_the_pipeline_emits_is_in_the_catalogue():
    from satudata.intake import read

    used = set()
    for path in expectations_dir().glob("*.json"):
        for expectation in json.loads(path.read_text())["expectations"]:
            used.add((expectation.get("meta") or {}).get("aturan"))
    used -= {None, "missing_columns"}  # missing_columns refuses the file: a file reason
    assert used and used <= set(RULES), sorted(used - set(RULES))
    assert set(read.CELL_ISSUE_CODES) <= set(RULES), sorted(set(read.CELL_ISSUE_CODES) - set(RULES))
    assert set(read.REJECTION_CODES) <= set(FILE_REASONS)


def test_file_reasons_fill_their_values_and_never_show_a_placeholder():
    for code in EXPECTED_FILE_REASONS:
        reason = FILE_REASONS[code]
        assert reason.pesan.strip() and reason.perbaikan.strip(), code
        for values in ({}, {"detail": "english detail for logs", "kolom": []}):
            text = format_message(code, **values) + format_fix(code, **values)
            assert "{" not in text and "}" not in text, (code, text)
    assert format_message("missing_columns", kolom=["nik", "kode_desa"]) == (
        "Kolom wajib tidak ditemukan: NIK dan Kode Desa (Kemendagri).")
    assert "ID Keluarga P3KE atau Nomor KK" in format_message("missing_columns", kolom=["id_keluarga_p3ke|no_kk"])
    assert "melebihi batas 20%" in format_message("too_many_bad_rows", batas="20%", ditolak=300, total=1000,
                                                  porsi="30.0%")
    assert "30,0% baris ditolak (300 dari 1.000)" in format_message(
        "too_many_bad_rows", batas="20%", ditolak=300, total=1000, porsi="30.0%")
    assert "2026-11-05 10:00 UTC" in format_message("duplicate", tanggal="2026-11-05 10:00 UTC", berkas="a.xlsx")
    bps = format_message("bps_coding", baris_kode_bps=40, baris_berkode=50)
    assert "52.05.01.2001" in bps and "5205010001" in bps and "2+2+3+3" in bps and "(40 dari 50" in bps
    assert "Bima" in format_message("wrong_regency", kode_kab_isi="5206", nama_kab_isi="Bima", kode_kab_folder="5205")
    assert "kode: tidak_ada" in format_message("tidak_ada")  # unknown code: polite, never an exception


def test_status_words_and_next_steps():
    assert {k: v.label for k, v in STATUS.items()} == {
        "accepted": "DITERIMA", "partial": "DITERIMA SEBAGIAN", "rejected": "DITOLAK",
        "duplicate": "DUPLIKAT (sudah pernah diterima)", "menunggu_pemetaan": "DITAHAN: MENUNGGU JAWABAN ANDA",
        "ditahan": "DITAHAN: TOTAL TIDAK COCOK",
    }  # fmt: skip
    assert "Pemetaan Kolom" in STATUS["menunggu_pemetaan"].langkah and "pemetaan/" in STATUS["ditahan"].langkah
    assert all(status.langkah.strip() for status in STATUS.values())
    # a newer file replaces all older rows of the places it covers: the operator must resend all of them
    assert "Baris Ditolak" in STATUS["partial"].langkah and "data lengkap" in STATUS["partial"].langkah


def test_column_labels_cover_the_schema_and_intake_reads_them_back():
    from satudata.intake.pertanyaan import staged_columns
    from satudata.intake.plans import REQUIRED_COLUMNS, vocabulary

    columns = {*schema.DTKS_COLUMNS, *schema.P3KE_KELUARGA_COLUMNS, *schema.P3KE_ANGGOTA_COLUMNS,
               *schema.INTERVENSI_COLUMNS}
    assert columns <= set(COLUMN_LABELS)
    # a "Baris Ditolak" sheet is resubmittable: each kind of file reads its columns' labels back; SIPD's
    # programme code and the social programme share a label in a budget and are told apart by their values
    by_values = {"kode_program", "kode_program_apbd"}
    for jenis, sheet in REQUIRED_COLUMNS:
        read = vocabulary(jenis)
        for column in staged_columns(jenis, sheet) & set(COLUMN_LABELS):
            judgement = read.judge(COLUMN_LABELS[column])
            assert judgement.kolom == column or (column in by_values and judgement.usulan in by_values), (
                jenis, column, COLUMN_LABELS[column])
    assert all(messages.COLUMN_HELP.get(c) for c in columns)
    assert COLUMN_LABELS["kode_desa"] == "Kode Desa (Kemendagri)" and COLUMN_LABELS["no_kk"] == "Nomor KK"


# --------------------------------------------------------------------------------------------- report

NIK_A = "5205014708850003"
NIK_B = "5205011203800001"


def summary(**changes) -> ReportSummary:
    base = {
        "file_name": "dtks_5205_2026-11.xlsx", "kode_kab": "5205", "nama_kab": "Dompu", "jenis": "dtks",
        "periode": "2026-11", "status": "partial", "received_at": datetime(2026, 11, 5, 2, 30, tzinfo=UTC),
        "sha256": "ab" * 32, "rows_total": 5, "rows_accepted": 3, "rows_rejected": 2, "rows_with_warnings": 1,
        "header_row": 4, "column_map": {"NIK": "nik", "NAMA": "nama", "KODE DESA": "kode_desa"},
        "unmapped_columns": ["KETERANGAN"],
    }  # fmt: skip
    return ReportSummary(**(base | changes))


def small_issues() -> pd.DataFrame:
    return pd.DataFrame({
        "baris": [9, 6, 6, 7, 9],
        "kolom": ["nama", "kode_desa", "nik", None, "nik"],
        "aturan": ["nama_kosong", "kode_desa_tidak_dikenal", "nik_tanggal_tidak_valid", "baris_ganda", "nik_format"],
        "nilai": [None, "5205010001", NIK_A, None, "=HYPERLINK(\"http://x\")"],
    })  # fmt: skip


def small_rejected() -> pd.DataFrame:
    return pd.DataFrame({
        "baris": [6, 9],
        "kode_desa": ["5205010001", "5205012001"],
        "no_kk": ["5205010101200003", None],
        "nik": [NIK_A, "=HYPERLINK(\"http://x\")"],
        "nama": ["Siti Aminah", None],
        "tanggal_lahir": ["1985-08-07", None],
    })  # fmt: skip


def sheet_rows(book, name: str) -> list[tuple]:
    return [tuple(row) for row in book[name].iter_rows(values_only=True)]


def ringkasan_pairs(book) -> dict:
    return {row[0]: row[1] for row in sheet_rows(book, "Ringkasan") if row and row[0] is not None}


def test_partial_report_has_bahasa_sheets_status_counts_messages_and_text_niks(tmp_path):
    path = write_report(tmp_path / "dtks_5205_2026-11.xlsx.laporan.xlsx", summary(), small_issues(),
                        small_rejected())
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Ringkasan", "Masalah", "Baris Ditolak"]

    pairs = ringkasan_pairs(book)
    assert pairs["STATUS"] == "DITERIMA SEBAGIAN"
    status_cell = next(c for row in book["Ringkasan"].iter_rows() for c in row if c.value == "DITERIMA SEBAGIAN")
    assert status_cell.font.b and status_cell.font.sz >= 20 and status_cell.font.color.rgb.endswith("C65911")
    assert (pairs["Jumlah baris data"], pairs["Baris diterima"], pairs["Baris ditolak (galat)"],
            pairs["Baris diterima dengan peringatan"]) == (5, 3, 2, 1)
    assert pairs["Kabupaten/Kota"] == "5205 – Dompu" and pairs["Periode data"] == "November 2026 (2026-11)"
    assert pairs["Diterima pada"] == "05-11-2026 10:30 WITA (05-11-2026 02:30 UTC)"
    assert "Baris Ditolak" in pairs["Langkah selanjutnya"] and "periode yang sama" in pairs["Langkah selanjutnya"]
    assert pairs["Baris judul kolom"] == "baris ke-4" and pairs["KODE DESA"] == "Kode Desa (Kemendagri) (kode_desa)"
    assert pairs["Kolom yang tidak dikenali (diabaikan)"] == "KETERANGAN"
    assert pairs["Kode sidik berkas (SHA-256)"] == "ab" * 32
    # count per rule: label, tingkat, rows
    rules = {row[4]: row for row in sheet_rows(book, "Ringkasan") if row[4] in RULES}
    assert rules["nama_kosong"][:4] == ("Nama kosong", RULES["nama_kosong"].pesan, "Galat", 1)
    assert rules["nik_format"][2:4] == ("Peringatan", 1)

    masalah = sheet_rows(book, "Masalah")
    assert masalah[0] == ("Baris", "Kolom", "Nilai", "Tingkat", "Masalah", "Cara memperbaiki")
    assert [r[0] for r in masalah[1:]] == [6, 6, 7, 9, 9], "sorted by row, galat first within a row"
    assert masalah[1][1:4] == ("Kode Desa (Kemendagri)", "5205010001", "Galat")
    assert masalah[3][1] == "(seluruh baris)" and masalah[3][4] == RULES["baris_ganda"].pesan
    assert all(r[4] and r[5] for r in masalah[1:]), "every problem has a message and a fix"
    formula = next(c for row in book["Masalah"].iter_rows() for c in row if str(c.value).startswith("=HYPER"))
    assert formula.data_type == "s", "operator text is never written as a formula"
    assert book["Masalah"].freeze_panes == "A2" and book["Masalah"].auto_filter.ref.startswith("A1:F")

    ditolak = sheet_rows(book, "Baris Ditolak")
    assert ditolak[0] == tuple(COLUMN_LABELS[c] for c in schema.DTKS_COLUMNS) + ("Masalah", "Baris Asal")
    nik_col = schema.DTKS_COLUMNS.index("nik")
    cell = book["Baris Ditolak"].cell(2, nik_col + 1)
    assert cell.value == NIK_A and cell.data_type == "s" and cell.number_format == "@"
    kk = book["Baris Ditolak"].cell(2, schema.DTKS_COLUMNS.index("no_kk") + 1)
    assert kk.value == "5205010101200003" and kk.data_type == "s"
    assert ditolak[1][-1] == 6 and ditolak[2][-1] == 9
    assert ditolak[1][-2] == "Kode desa tidak dikenal; Tanggal lahir di dalam NIK tidak ada"
    assert ditolak[2][-2] == "Nama kosong; NIK tidak 16 angka"


def test_rejected_and_duplicate_reports_explain_the_file_reason(tmp_path):
    path = write_report(
        tmp_path / "r.xlsx",
        summary(status="rejected", rows_total=0, rows_accepted=0, rows_rejected=0, rows_with_warnings=0,
                reason_code="missing_columns", reason_detail={"detail": "x", "kolom": ["nik", "kode_desa"]},
                column_map=None, unmapped_columns=None, header_row=None),
        pd.DataFrame(columns=["baris", "kolom", "aturan", "nilai"]), None,
    )
    book = openpyxl.load_workbook(path)
    pairs = ringkasan_pairs(book)
    assert pairs["STATUS"] == "DITOLAK"
    assert pairs["Alasan"] == "Kolom wajib tidak ditemukan: NIK dan Kode Desa (Kemendagri)."
    assert pairs["Cara memperbaiki"] == FILE_REASONS["missing_columns"].perbaikan
    assert pairs["Langkah selanjutnya"].startswith(STATUS["rejected"].langkah)
    assert sheet_rows(book, "Masalah")[1][0] == "Tidak ada masalah yang ditemukan."
    assert sheet_rows(book, "Baris Ditolak")[0][0] == "Tidak ada baris yang ditolak."

    path = write_report(
        tmp_path / "d.xlsx",
        summary(status="duplicate", reason_code="duplicate", duplicate_of="dtks_5205_2026-11.xlsx (2026-11-01)",
                reason_detail={"tanggal": "2026-11-01 08:00 UTC", "berkas": "dtks_5205_2026-11.xlsx"}),
        None, None,
    )
    pairs = ringkasan_pairs(openpyxl.load_workbook(path))
    assert pairs["STATUS"] == "DUPLIKAT (sudah pernah diterima)"
    assert "2026-11-01 08:00 UTC" in pairs["Alasan"] and pairs["Sama dengan berkas"].startswith("dtks_5205")


def test_p3ke_report_splits_rejected_rows_by_template_sheet(tmp_path):
    issues = pd.DataFrame({
        "baris": [3, 3, 5], "kolom": ["desil", "id_keluarga_p3ke", "nik"],
        "aturan": ["desil_tidak_valid", "id_keluarga_tidak_ada", "nik_format"],
        "tingkat": ["galat", "galat", "peringatan"], "nilai": ["7", "K9", "123"],
        "sheet": ["keluarga", "anggota", "anggota"],
    })  # fmt: skip
    rejected = pd.DataFrame({
        "baris": [3, 3], "lembar": ["Keluarga", "Anggota Keluarga"], "id_keluarga_p3ke": ["K1", "K9"],
        "desil": ["7", None], "nik": [None, NIK_B], "nik_kepala_keluarga": [NIK_A, None],
    })  # fmt: skip
    path = write_report(tmp_path / "p.xlsx", summary(jenis="p3ke"), issues, rejected)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Ringkasan", "Masalah", "Baris Ditolak Keluarga", "Baris Ditolak Anggota"]
    masalah = sheet_rows(book, "Masalah")
    assert masalah[0][:2] == ("Baris", "Lembar")
    assert [r[:2] for r in masalah[1:]] == [(3, "Keluarga"), (3, "Anggota Keluarga"), (5, "Anggota Keluarga")]
    keluarga, anggota = sheet_rows(book, "Baris Ditolak Keluarga"), sheet_rows(book, "Baris Ditolak Anggota")
    assert keluarga[0][: len(schema.P3KE_KELUARGA_COLUMNS)] == tuple(
        COLUMN_LABELS[c] for c in schema.P3KE_KELUARGA_COLUMNS)
    assert anggota[0][: len(schema.P3KE_ANGGOTA_COLUMNS)] == tuple(COLUMN_LABELS[c] for c in schema.P3KE_ANGGOTA_COLUMNS)
    assert keluarga[1][-2] == "Desil tidak valid"
    assert anggota[1][-2] == "ID Keluarga P3KE: Keluarga tidak ada di lembar Keluarga"
    assert anggota[1][schema.P3KE_ANGGOTA_COLUMNS.index("nik")] == NIK_B


def random_issues(n: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    codes = np.array([*sorted(RULES), "kode_baru_tak_dikenal"], dtype=object)
    kolom = np.array(["nik", "no_kk", "kode_desa", "nama", None], dtype=object)
    nilai = np.array([NIK_A, "a & b <c>", "tab\tdan", None, " spasi "], dtype=object)
    return pd.DataFrame({
        "baris": rng.integers(2, max(n // 2, 3), n), "kolom": kolom[rng.integers(0, len(kolom), n)],
        "aturan": codes[rng.integers(0, len(codes), n)], "nilai": nilai[rng.integers(0, len(nilai), n)],
    })  # fmt: skip


def random_rejected(n: int) -> pd.DataFrame:
    frame = pd.DataFrame({c: [f"{c} {i} & <x>" for i in range(n)] for c in schema.DTKS_COLUMNS})
    frame["nik"] = [f"{5205010000000000 + i}" for i in range(n)]
    frame.insert(0, "baris", np.arange(2, n + 2))
    return frame


def test_large_sheets_are_spliced_with_the_same_content_as_the_xlsxwriter_path(tmp_path, monkeypatch):
    issues, rejected = random_issues(3_000), random_rejected(2_500)
    monkeypatch.setattr(splice, "FAST_ROWS_FROM", 10)
    fast = write_report(tmp_path / "fast.xlsx", summary(), issues, rejected)
    monkeypatch.setattr(splice, "FAST_ROWS", False)
    slow = write_report(tmp_path / "slow.xlsx", summary(), issues, rejected)
    fast_book, slow_book = openpyxl.load_workbook(fast), openpyxl.load_workbook(slow)
    for name in ("Masalah", "Baris Ditolak"):
        assert sheet_rows(fast_book, name) == sheet_rows(slow_book, name), name
        assert fast_book[name].dimensions == slow_book[name].dimensions
    values = {r[2] for r in sheet_rows(fast_book, "Masalah")[1:]}
    assert {"a & b <c>", " spasi ", NIK_A} <= values
    fast_cells = [c for row in fast_book["Masalah"].iter_rows(min_row=2, max_row=50) for c in row]
    slow_cells = [c for row in slow_book["Masalah"].iter_rows(min_row=2, max_row=50) for c in row]
    assert [(c.number_format, c.font.color.rgb if c.font.color else None) for c in fast_cells] == [
        (c.number_format, c.font.color.rgb if c.font.color else None) for c in slow_cells]
    nik = fast_book["Baris Ditolak"].cell(2, schema.DTKS_COLUMNS.index("nik") + 1)
    assert (nik.value, nik.data_type, nik.number_format) == ("5205010000000000", "s", "@")


def test_spliced_text_is_escaped_as_excel_expects(tmp_path, monkeypatch):
    monkeypatch.setattr(splice, "FAST_ROWS_FROM", 1)
    issues = pd.DataFrame({"baris": [2, 3, 4], "kolom": ["nama"] * 3, "aturan": ["nama_tidak_wajar"] * 3,
                           "nilai": ["a\x01b", "_x0041_ c", "x < y & z"]})
    path = write_report(tmp_path / "e.xlsx", summary(), issues, None)
    with zipfile.ZipFile(path) as package:
        xml = package.read("xl/worksheets/sheet2.xml").decode()
    # XlsxWriter's own convention (and Excel's): control characters as _xHHHH_, a literal _xHHHH_ escaped.
    assert "a_x0001_b" in xml and "_x005F_x0041_ c" in xml and "x &lt; y &amp; z" in xml
    assert [r[2] for r in sheet_rows(openpyxl.load_workbook(path), "Masalah")[1:]][2] == "x < y & z"


@pytest.mark.parametrize("fast", [True, False])
def test_issue_list_is_capped_with_a_closing_note(tmp_path, monkeypatch, fast):
    monkeypatch.setattr(report, "MAX_ISSUE_ROWS", 50)
    monkeypatch.setattr(splice, "FAST_ROWS_FROM", 10 if fast else 10**9)
    path = write_report(tmp_path / "cap.xlsx", summary(), random_issues(120), None)
    book = openpyxl.load_workbook(path)
    rows = sheet_rows(book, "Masalah")
    assert len(rows) == 52 and rows[-1][0].startswith("Daftar dipotong: masih ada 70 masalah")
    assert "50 dari 120" in ringkasan_pairs(book)["Catatan"]


def test_100k_issues_report(tmp_path):
    issues, rejected = random_issues(100_000), random_rejected(20_000)
    started = time.perf_counter()
    path = write_report(tmp_path / "besar.xlsx", summary(rows_total=60_000), issues, rejected)
    elapsed = time.perf_counter() - started
    print(f"\n100,000 issues + 20,000 rejected rows: report written in {elapsed:.2f} s "
          f"({path.stat().st_size / 1e6:.1f} MB)")
    book = openpyxl.load_workbook(path, read_only=True)
    assert book["Masalah"].max_row == 100_001 and book["Baris Ditolak"].max_row == 20_001
    first = next(book["Masalah"].iter_rows(min_row=2, max_row=2, values_only=True))
    assert isinstance(first[0], int) and first[3] in ("Galat", "Peringatan") and first[4] and first[5]
    book.close()


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "outbox" / "5205" / "a.xlsx.laporan.xlsx"
    write_report(target, summary(), small_issues(), small_rejected())
    assert [p.name for p in target.parent.iterdir()] == [target.name]
    before = target.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("disk penuh")

    monkeypatch.setattr(report, "_ringkasan", boom)
    with pytest.raises(RuntimeError):
        write_report(target, summary(status="accepted"), small_issues(), None)
    assert [p.name for p in target.parent.iterdir()] == [target.name], "no temp file left behind"
    assert target.read_bytes() == before, "the previous report is intact"


def test_rejected_rows_sheet_can_be_resubmitted_as_is(tmp_path):
    from satudata.intake.read import read_submission

    path = write_report(tmp_path / "r.xlsx", summary(), small_issues(), small_rejected())
    meta, chunks = read_submission(path, "dtks")
    frame = pd.concat([chunk.frame for chunk in chunks])
    assert meta.sheets[0].source_sheet == "Baris Ditolak"
    assert set(meta.sheets[0].unmapped_columns) == {"Masalah", "Baris Asal"}
    assert frame["nik"].tolist()[0] == NIK_A and frame["kode_desa"].tolist() == ["5205010001", "5205012001"]


# --------------------------------------------------------------------------------------------- templates


def data_validations(sheet) -> dict[str, list]:
    """Column letter -> validations applying to it."""
    out: dict[str, list] = {}
    for dv in sheet.data_validations.dataValidation:
        for cell_range in str(dv.sqref).split():
            out.setdefault("".join(ch for ch in cell_range.split(":")[0] if ch.isalpha()), []).append(dv)
    return out


def column_format(sheet, index: int) -> str | None:
    """Number format of the column default style covering 1-based column `index` (XlsxWriter groups columns)."""
    for dimension in sheet.column_dimensions.values():
        if dimension.min and dimension.min <= index <= dimension.max:
            return dimension.number_format
    return None


def letter(columns, column) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(columns.index(column) + 1)


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("templates")
    started = time.perf_counter()
    paths = {jenis: write_template(jenis, folder / f"template_{jenis}.xlsx") for jenis in TEMPLATE_SHEETS}
    print(f"\nthree templates written in {time.perf_counter() - started:.2f} s")
    return paths


def test_templates_have_canonical_headers_text_niks_dropdowns_and_instructions(templates):
    for jenis, path in templates.items():
        book = openpyxl.load_workbook(path)
        assert book.sheetnames[0] == "Petunjuk"
        petunjuk = " ".join(str(v) for row in book["Petunjuk"].iter_rows(values_only=True) for v in row if v)
        assert f"inbox/5205/{jenis}/" in petunjuk and f"{jenis}_" in petunjuk and "16 angka" in petunjuk
        assert "BPS" in petunjuk and "outbox" in petunjuk and "Merge" in petunjuk
        assert "per kecamatan" in petunjuk and "'ganti'" in petunjuk and "'tambah'" in petunjuk and ".ods" in petunjuk
        assert ("tahap 2 tidak menggantikan tahap 1" in petunjuk) == (jenis == "intervensi")
        for name, columns in TEMPLATE_SHEETS[jenis].items():
            sheet = book[name]
            assert [c.value for c in sheet[1]] == list(columns), (jenis, name)
            assert all(c.comment is not None and len(c.comment.text) > 20 for c in sheet[1])
            validations = data_validations(sheet)
            for column in ("nik", "nik_kepala_keluarga", "no_kk", "kode_desa"):
                if column in columns:
                    col = letter(columns, column)
                    for row in (2, 500, 10_001):
                        assert sheet[f"{col}{row}"].number_format == "@", (jenis, name, column, row)
                    assert column_format(sheet, columns.index(column) + 1) == "@", "typed beyond row 10,001 too"
            for column, expected in (("desil", '"1,2,3,4"'), ("jenis_kelamin", '"L,P"'),
                                     ("jenis_kelamin_kepala_keluarga", '"L,P"'), ("disabilitas", '"Ya,Tidak"')):
                if column in columns:
                    (dv,) = [v for v in validations[letter(columns, column)] if v.type == "list"]
                    assert dv.formula1 == expected
            if "hubungan_keluarga" in columns:
                (dv,) = validations[letter(columns, "hubungan_keluarga")]
                assert dv.type == "list" and "Kepala Keluarga" in dv.formula1
            if "tanggal_lahir" in columns:
                col = letter(columns, "tanggal_lahir")
                (dv,) = validations[col]
                assert dv.type == "date" and dv.operator in (None, "between") and "TODAY()" in dv.formula2
                assert sheet[f"{col}2"].number_format == "dd-mm-yyyy"
            assert sheet.freeze_panes == "A2"


def test_intervensi_template_lists_programmes(templates, tmp_path):
    programmes = load_programme_list()
    assert {"PKH", "BPNT", "PBI_JK"} <= {p["kode_program"] for p in programmes}
    book = openpyxl.load_workbook(templates["intervensi"])
    data = book["Data"]
    (dv,) = data_validations(data)[letter(schema.INTERVENSI_COLUMNS, "kode_program")]
    assert dv.type == "list" and all(p["kode_program"] in dv.formula1 for p in programmes)
    listed = [r for r in book["Daftar Program"].iter_rows(min_row=2, values_only=True) if r[0]]
    assert [r[0] for r in listed] == [p["kode_program"] for p in programmes]
    assert listed[0][1] == programmes[0]["nama_program"]

    many = [{"kode_program": f"PROGRAM_DAERAH_{i:02d}", "nama_program": f"Program {i}"} for i in range(60)]
    book = openpyxl.load_workbook(write_template("intervensi", tmp_path / "banyak.xlsx", programmes=many))
    assert book["Daftar"].sheet_state == "hidden"
    (dv,) = data_validations(book["Data"])[letter(schema.INTERVENSI_COLUMNS, "kode_program")]
    assert dv.formula1 == "Daftar!$A$2:$A$61"
    assert [book["Daftar"].cell(r, 1).value for r in (2, 61)] == ["PROGRAM_DAERAH_00", "PROGRAM_DAERAH_59"]


def test_p3ke_template_has_both_sheets(templates):
    book = openpyxl.load_workbook(templates["p3ke"], read_only=True)
    assert book.sheetnames == ["Petunjuk", "Keluarga", "Anggota Keluarga"]
    assert next(book["Keluarga"].iter_rows(max_row=1, values_only=True)) == schema.P3KE_KELUARGA_COLUMNS
    assert next(book["Anggota Keluarga"].iter_rows(max_row=1, values_only=True)) == schema.P3KE_ANGGOTA_COLUMNS
    book.close()


def test_template_required_columns_follow_intake():
    from satudata.intake.read import REQUIRED_COLUMNS

    for (jenis, sheet), groups in REQUIRED_COLUMNS.items():
        name = {"utama": "Data", "keluarga": "Keluarga", "anggota": "Anggota Keluarga", "sub_kegiatan": "Sub Kegiatan",
                "realisasi": "Realisasi"}[sheet]
        for group in groups:
            assert set(group) & REQUIRED[(jenis, name)], (jenis, sheet, group)


@pytest.mark.parametrize("jenis", list(TEMPLATE_SHEETS))
def test_a_filled_template_is_read_exactly_by_intake(templates, tmp_path, jenis):
    from satudata.intake.read import read_submission

    book = openpyxl.load_workbook(templates[jenis])
    examples = {"id_keluarga_p3ke": "K1", "tanggal_lahir": "07-08-1985", "kode_desa": "5205012001",
                "nik": NIK_A, "nik_kepala_keluarga": NIK_B, "no_kk": "5205010101200003",
                # a budget row carries amounts (a row of words only under a header reads as a second header row)
                "pagu": "1500000", "bulan": "9", "realisasi_anggaran": "250000"}
    for name, columns in TEMPLATE_SHEETS[jenis].items():
        for col, column in enumerate(columns, start=1):
            book[name].cell(2, col).value = examples.get(column, f"isi {column}")
    filled = tmp_path / f"{jenis}_5205_2026-11.xlsx"
    book.save(filled)
    meta, chunks = read_submission(filled, jenis)
    assert {(m.source_sheet, tuple(m.unmapped_columns), tuple(m.missing_required)) for m in meta.sheets} == {
        (name, (), ()) for name in TEMPLATE_SHEETS[jenis]}
    frames = {chunk.sheet: chunk.frame for chunk in chunks}
    assert sum(len(f) for f in frames.values()) == len(TEMPLATE_SHEETS[jenis]), "the formatted blank rows are no data"
    for frame in frames.values():
        if "nik" in frame:
            assert frame["nik"].tolist() == [NIK_A]
        assert {c for c in frame.columns if not c.startswith("_")} <= {
            c for sheets in TEMPLATE_SHEETS.values() for columns in sheets.values() for c in columns}
