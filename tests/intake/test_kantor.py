"""Files as offices make them, through the whole intake on both warehouses: understood, or the operator asked.

Title blocks, merged and two-row headers, totals and subtotals, SIPD's Kode Rekening hierarchy, .ods, CSV in
Windows-1252, quarters in names and titles, desil and amounts as written, villages by name, a family-only
recap, refused families and their members, a province's own budget, and the round trip of a column mapping:
held -> answered -> processed -> the regency's next file read without asking.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from satudata.config import Settings
from satudata.intake.messages import COLUMN_LABELS
from satudata.intake.run import IntakeOptions, ingest_once, list_submissions

from tests.builders import KAB, aged, nik, ods_bytes, query_rows, write_csv
from tests.fixtures_read import write_xlsx as write_grid

OPTIONS = IntakeOptions(stable_seconds=0, max_rejected_share=0.6)
DINSOS = "1.06.0.00.0.00.01.0000"


@pytest.fixture
def settings(tmp_path, warehouse_url) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=warehouse_url)
    settings.ensure_folders()
    return settings


def inbox(settings: Settings, jenis: str, kab: str = KAB) -> Path:
    folder = settings.folder("inbox") / kab / jenis
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def grid(path: Path, rows: list[list], merges: list[tuple] | None = None, sheet: str = "Data") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return aged(write_grid(path, {sheet: rows}, merges={sheet: merges or []}))


def submission(settings: Settings, name: str) -> dict:
    return next(s for s in list_submissions(settings) if s["file"].endswith(name))


def answer_workbook(settings: Settings, held: dict) -> openpyxl.Workbook:
    return openpyxl.load_workbook(settings.folder("outbox") / held["report"])


def drop_answer(settings: Settings, book: openpyxl.Workbook, name: str, kab: str = KAB) -> None:
    target = inbox(settings, "pemetaan", kab) / name
    book.save(target)
    aged(target)


# --------------------------------------------------------------------------------------------- mapping


BUDGET_HEADER = ["No", "Kode SKPD", "OPD Pelaksana", "Kode Sub Kegiatan", "Nama Sub Kegiatan", "Pagu Murni",
                 "Pagu Perubahan", "Realisasi s.d. Bulan Ini (Rp)"]
BUDGET_ROWS = [
    ["1", DINSOS, "Dinas Sosial", "1.06.04.2.01.0002", "Permakanan Lansia", "1.000.000.000", "1.200.000.000",
     "500.000.000"],
    ["2", DINSOS, "Dinas Sosial", "1.06.04.2.01.0003", "Bansos Keluarga Miskin", "2.000.000.000", "2.000.000.000", "-"],
    ["3", DINSOS, "Dinas Sosial", "1.06.04.2.01.0004", "Rehabilitasi Sosial", "500.000.000", "750.000.000",
     "125.500.000"],
]


def test_a_mapping_is_asked_once_answered_stored_and_used_for_the_next_file(settings):
    """Two pagu columns and an OPD header the matcher is unsure of: held, nothing staged, asked; the answer
    stored for the regency; the held file processed; next month's file with the same header read at once."""
    title = [["REKAPITULASI SUB KEGIATAN KEMISKINAN EKSTREM"], ["Kabupaten Dompu - Tahun Anggaran 2026"], []]
    grid(inbox(settings, "anggaran") / "rekap_anggaran_2026-11.xlsx", title + [BUDGET_HEADER, *BUDGET_ROWS])
    assert ingest_once(settings, options=OPTIONS)["by_status"] == {"menunggu_pemetaan": 1}
    held = submission(settings, "rekap_anggaran_2026-11.xlsx")
    assert query_rows(settings.warehouse_url, "SELECT count(*) FROM staging.anggaran") == [(0,)]
    book = answer_workbook(settings, held)
    assert book.sheetnames[:2] == ["Ringkasan", "Pemetaan Kolom"]
    sheet = book["Pemetaan Kolom"]
    asked = {r[2].value: r for r in sheet.iter_rows(min_row=7) if r[6].value and r[6].value.startswith("Ya")}
    assert set(asked) == {"OPD Pelaksana", "Pagu Murni", "Pagu Perubahan"}
    assert all(r[7].value is None for r in asked.values())  # a question is never pre-answered

    # an answer left incomplete is refused, and the file keeps waiting
    sheet["B3"] = "Siti"
    asked["OPD Pelaksana"][7].value = COLUMN_LABELS["nama_skpd"]
    drop_answer(settings, book, "jawaban_1.xlsx")
    ingest_once(settings, options=OPTIONS)
    assert submission(settings, "jawaban_1.xlsx")["reason"] == "jawaban_belum_lengkap"
    assert submission(settings, "rekap_anggaran_2026-11.xlsx")["status"] == "menunggu_pemetaan"

    asked["Pagu Murni"][7].value = "(abaikan kolom ini)"
    asked["Pagu Perubahan"][7].value = COLUMN_LABELS["pagu"]
    drop_answer(settings, book, "jawaban_2.xlsx")
    ingest_once(settings, options=OPTIONS)
    assert submission(settings, "jawaban_2.xlsx")["reason"] == "jawaban_diterima"
    done = submission(settings, "rekap_anggaran_2026-11.xlsx")
    assert (done["status"], done["rows_accepted"]) == ("accepted", 3)
    # "Realisasi s.d. Bulan Ini (Rp)" was understood from its words and its amounts; "-" is an accountant's zero
    staged = query_rows(settings.warehouse_url, "SELECT kode_sub_giat, CAST(pagu AS BIGINT), "
                        "CAST(realisasi_anggaran AS BIGINT), nama_skpd FROM staging.anggaran ORDER BY baris")
    assert staged == [("1.06.04.2.01.0002", 1_200_000_000, 500_000_000, "Dinas Sosial"),
                      ("1.06.04.2.01.0003", 2_000_000_000, 0, "Dinas Sosial"),
                      ("1.06.04.2.01.0004", 750_000_000, 125_500_000, "Dinas Sosial")]
    stored = query_rows(settings.warehouse_url, "SELECT kode_kab, jenis, dikonfirmasi_oleh, submission_tanya, "
                        "submission_jawab FROM meta.pemetaan_kolom WHERE aktif")
    assert stored == [(KAB, "anggaran", "Siti", held["submission_id"], submission(settings, "jawaban_2.xlsx")[
        "submission_id"])]

    grid(inbox(settings, "anggaran") / "rekap_anggaran_2026-12.xlsx", title + [BUDGET_HEADER, *BUDGET_ROWS[:1]])
    assert ingest_once(settings, options=OPTIONS)["by_status"] == {"accepted": 1}


def test_an_answer_from_another_regency_is_refused(settings):
    grid(inbox(settings, "anggaran") / "rekap_anggaran_2026-11.xlsx", [BUDGET_HEADER, *BUDGET_ROWS])
    ingest_once(settings, options=OPTIONS)
    book = answer_workbook(settings, submission(settings, "rekap_anggaran_2026-11.xlsx"))
    drop_answer(settings, book, "jawaban_tetangga.xlsx", kab="5201")
    ingest_once(settings, options=OPTIONS)
    assert submission(settings, "jawaban_tetangga.xlsx")["reason"] == "jawaban_kabupaten_lain"
    assert submission(settings, "rekap_anggaran_2026-11.xlsx")["status"] == "menunggu_pemetaan"


# --------------------------------------------------------------------------------------------- totals


def _lra(pagu_programme: str) -> list[list[str]]:
    """SIPD LRA: programme, kegiatan and sub-kegiatan as rows of one Kode Rekening column, then a total."""
    return [
        ["LAPORAN REALISASI ANGGARAN - SKPD : 1.06.0.00.0.00.01.0000 Dinas Sosial", "", "", ""],
        ["Kode Rekening", "Uraian", "Anggaran", "Realisasi"],
        ["1.06.04", "PROGRAM PERLINDUNGAN DAN JAMINAN SOSIAL", pagu_programme, "9.000.000.000,00"],
        ["1.06.04.2.01", "Pengelolaan Data Fakir Miskin", "13.140.000.000,00", "9.000.000.000,00"],
        ["1.06.04.2.01.0002", "Penyaluran Bantuan Permakanan", "10.000.000.000,00", "7.000.000.000,00"],
        ["1.06.04.2.01.0003", "Fasilitasi Bantuan Sosial", "3.140.000.000,00", "2.000.000.000,00"],
        ["JUMLAH", "", "13.140.000.000,00", "9.000.000.000,00"],
    ]


def test_lra_parent_rows_are_totals_never_lines_and_a_sum_counted_three_times_is_held(settings):
    folder = inbox(settings, "anggaran")
    for name, programme in (("lra_benar_2026-11.csv", "13.140.000.000,00"), ("lra_salah_2026-11.csv", "39.420.000.000,00")):
        rows = _lra(programme)
        write_csv(folder / name, rows[1], rows[2:], delimiter=";", encoding="cp1252", title=[";".join(rows[0])])
        ingest_once(settings, options=OPTIONS)
        sub = submission(settings, name)
        if name.startswith("lra_benar"):
            # whatever the matcher made of "Kode Rekening" and "Uraian", the file is never staged wrong:
            # either asked, or read with the parent rows as totals
            assert sub["status"] in ("accepted", "menunggu_pemetaan")
            if sub["status"] == "menunggu_pemetaan":
                book = answer_workbook(settings, sub)
                for row in book["Pemetaan Kolom"].iter_rows(min_row=7):
                    pick = {"Kode Rekening": "kode_sub_giat", "Uraian": "nama_sub_giat", "Anggaran": "pagu",
                            "Realisasi": "realisasi_anggaran"}.get(row[2].value)
                    if pick:
                        row[7].value = COLUMN_LABELS[pick]
                book["Pemetaan Kolom"]["B3"] = "Operator"
                drop_answer(settings, book, "jawaban_lra.xlsx")
                ingest_once(settings, options=OPTIONS)
            staged = query_rows(settings.warehouse_url, "SELECT kode_sub_giat, CAST(pagu AS BIGINT) FROM "
                                "staging.anggaran WHERE aktif ORDER BY baris")
            assert staged == [("1.06.04.2.01.0002", 10_000_000_000), ("1.06.04.2.01.0003", 3_140_000_000)]
            checks = query_rows(settings.warehouse_url, "SELECT jenis_baris, kolom, cocok FROM meta.total_kendali "
                                "WHERE submission_id = :s ORDER BY baris, kolom",
                                s=submission(settings, name)["submission_id"])
            assert {c[0] for c in checks} == {"induk", "total"} and all(c[2] for c in checks)
        else:
            assert (sub["status"], sub["reason"]) == ("ditahan", "total_tidak_cocok")
            book = answer_workbook(settings, sub)
            table = [[c.value for c in r] for r in book["Konfirmasi Total"].iter_rows(min_row=8)]
            assert any(r[2] and r[2].startswith("1.06.04 ") and Decimal(str(r[6])) == Decimal(26280000000)
                       for r in table)
            active = query_rows(settings.warehouse_url, "SELECT count(*) FROM staging.anggaran WHERE submission_id = :s",
                                s=sub["submission_id"])
            assert active == [(0,)]


def test_a_recipient_list_total_row_is_checked_and_an_operator_may_let_the_lines_stand(settings):
    header = ["NO", "NIK PENGURUS", "NAMA PENGURUS", "Kode Desa", "Nilai Bantuan", "Tanggal Salur"]
    people = [[str(i), nik(i, 5, 1980, i, True), f"Pengurus {i}", "5205011001", "Rp 600 rb", "15-11-2026"]
              for i in range(1, 6)]
    path = inbox(settings, "intervensi") / "PKH_5205_2026-11.xlsx"
    grid(path, [header, *people, ["", "JUMLAH 5 KPM", "", "", "3.500.000", ""]])
    ingest_once(settings, options=OPTIONS)
    held = submission(settings, "PKH_5205_2026-11.xlsx")
    assert (held["status"], held["reason"]) == ("ditahan", "total_tidak_cocok")
    book = answer_workbook(settings, held)
    book["Konfirmasi Total"]["B3"] = "Operator Dinsos"
    book["Konfirmasi Total"]["B4"] = "Pakai baris rincian: total di berkas keliru"
    drop_answer(settings, book, "konfirmasi.xlsx")
    ingest_once(settings, options=OPTIONS)
    done = submission(settings, "PKH_5205_2026-11.xlsx")
    assert (done["status"], done["rows_accepted"]) == ("accepted", 5)
    assert query_rows(settings.warehouse_url, "SELECT count(*), CAST(sum(nilai_bantuan) AS BIGINT), min(kode_program) "
                      "FROM staging.intervensi WHERE aktif") == [(5, 3_000_000, "PKH")]


# --------------------------------------------------------------------------------------------- DTSEN


def _dtsen_rows(desil: list[str]) -> tuple[list[str], list[list[str]]]:
    header = ["ID_KEL", "NOMOR KARTU KELUARGA", "KODE DESA", "NIK", "NAMA", "HUB. DGN KRT", "JNS KEL", "DESIL NASIONAL"]
    rows = []
    for f, value in enumerate(desil, start=1):
        for m in range(2):
            rows.append([f"DT{f:03d}", f"52050101010{f:05d}", "5205011001", nik(m + 1, f % 12 + 1, 1970 + f, f, m == 1),
                         f"Orang {f}-{m}", "Kepala Keluarga" if m == 0 else "Istri", "L" if m == 0 else "P", value])
    return header, rows


def test_a_quarter_in_the_name_sets_the_period_and_refused_families_take_their_members(settings):
    header, rows = _dtsen_rows(["D3", "Desil 1", "III", "", "0", "11", "2", "10"])
    write_csv(inbox(settings, "dtsen") / "ekstrak_dtsen_5205_TW3_2026.csv", header, rows, delimiter="|")
    ingest_once(settings, options=OPTIONS)
    sub = submission(settings, "ekstrak_dtsen_5205_TW3_2026.csv")
    assert sub["periode"] == "2026-07"  # TW3: in force from its first month, never the month it arrived
    families = query_rows(settings.warehouse_url, "SELECT id_keluarga_dtsen, desil_nasional FROM staging.dtsen_keluarga "
                          "ORDER BY 1")
    assert families == [("DT001", 3), ("DT002", 1), ("DT003", 3), ("DT007", 2), ("DT008", 10)]
    members = query_rows(settings.warehouse_url, "SELECT DISTINCT id_keluarga_dtsen FROM staging.dtsen_anggota ORDER BY 1")
    assert [m[0] for m in members] == ["DT001", "DT002", "DT003", "DT007", "DT008"]  # none without its family
    refused = query_rows(settings.warehouse_url, "SELECT count(*) FROM meta.validation_issue WHERE aturan = "
                         "'keluarga_ditolak' AND submission_id = :s", s=sub["submission_id"])
    assert refused == [(6,)]  # the members of DT004, DT005, DT006 (the heads' rows are the families')


def test_a_quarter_in_the_title_rows_of_an_ods_and_the_answer_says_where_the_period_came_from(settings):
    header, rows = _dtsen_rows(["1", "2"])
    sheet = [["DATA TUNGGAL SOSIAL EKONOMI NASIONAL"], ["TRIWULAN III 2026"], [], header, *rows]
    path = inbox(settings, "dtsen") / "dtsen_dompu.ods"
    path.write_bytes(ods_bytes({"Data": sheet}))
    aged(path)
    ingest_once(settings, options=OPTIONS)
    sub = submission(settings, "dtsen_dompu.ods")
    assert (sub["status"], sub["periode"]) == ("accepted", "2026-07")
    book = openpyxl.load_workbook(settings.folder("outbox") / sub["report"])
    notes = [r[1].value for r in book["Ringkasan"].iter_rows() if r[0].value == "Catatan pembacaan"]
    assert any("TRIWULAN III 2026" in n and "Juli 2026" in n for n in notes)


def test_a_family_only_recap_is_read_as_families_and_named_by_its_kind(settings):
    header = ["ID Keluarga DTSEN", "Kode Desa", "No KK", "NIK KRT", "Nama KRT", "Desil", "Jumlah ART"]
    rows = [[f"DT{i}", "5205011001", f"520501010101000{i}", nik(1, 1, 1970, i, False), f"KRT {i}", str(i), "4"]
            for i in range(1, 7)]
    write_csv(inbox(settings, "dtsen") / "rekap_keluarga_dtsen_2026-09.csv", header, rows)
    ingest_once(settings, options=OPTIONS)
    sub = submission(settings, "rekap_keluarga_dtsen_2026-09.csv")
    assert (sub["status"], sub["rows_accepted"]) == ("accepted", 6)
    assert query_rows(settings.warehouse_url, "SELECT count(*) FROM staging.dtsen_anggota") == [(0,)]
    assert "P3KE" not in (sub["reason_text"] or "")


# --------------------------------------------------------------------------------------------- values


def test_villages_by_name_are_resolved_within_the_regency_and_an_ambiguous_one_is_asked(settings):
    from satudata.reference.wilayah import Wilayah

    wilayah = Wilayah.load()
    desa = [d for d in wilayah.descendants(KAB, "desa")][:3]
    header = ["NIK", "Nama", "No KK", "Kecamatan", "Desa/Kel"]
    rows = [[nik(i, 3, 1990, i, False), f"Warga {i}", f"520501010101{i:04d}", wilayah.name(d[:6]).upper(),
             "Ds. " + wilayah.name(d)] for i, d in enumerate(desa, start=1)]
    rows.append([nik(9, 3, 1990, 9, False), "Warga 9", "5205010101010009", "", "Desa Yang Tidak Ada Sama Sekali"])
    write_csv(inbox(settings, "dtks") / "dtks_5205_2026-11.csv", header, rows)
    ingest_once(settings, options=OPTIONS)
    staged = query_rows(settings.warehouse_url, "SELECT kode_desa FROM staging.dtks ORDER BY baris")
    assert [s[0] for s in staged] == desa
    issues = query_rows(settings.warehouse_url, "SELECT baris, aturan FROM meta.validation_issue WHERE tingkat = 'galat'")
    assert issues == [(5, "nama_desa_tidak_dikenal")]


# --------------------------------------------------------------------------------------------- province


def test_the_provinces_own_budget_has_its_folder_and_other_folders_are_answered(settings):
    header = ["Kode SKPD", "Nama SKPD", "Kode Sub Kegiatan", "Nama Sub Kegiatan", "Pagu", "Kode Desa"]
    rows = [[DINSOS, "Dinas Sosial Provinsi", "1.06.04.2.01.0002", "JPS Gemilang", "7.200.000.000", ""],
            [DINSOS, "Dinas Perkim Provinsi", "1.04.02.2.01.0009", "RTLH", "2.000.000.000", "5206011001"]]
    write_csv(inbox(settings, "anggaran", kab="52") / "apbd_provinsi_2026-11.csv", header, rows)
    write_csv(inbox(settings, "dtks", kab="52") / "dtks_provinsi.csv", ["NIK", "Nama"], [["1", "a"]])
    write_csv(inbox(settings, "anggaran", kab="52051") / "salah_folder.csv", header, rows[:1])
    ingest_once(settings, options=OPTIONS)
    province = submission(settings, "apbd_provinsi_2026-11.csv")
    assert (province["kode_kab"], province["status"], province["rows_accepted"]) == ("52", "accepted", 2)
    assert query_rows(settings.warehouse_url, "SELECT DISTINCT kode_kab FROM staging.anggaran") == [("52",)]
    assert submission(settings, "dtks_provinsi.csv")["reason"] == "jenis_provinsi"
    wrong = submission(settings, "salah_folder.csv")
    assert (wrong["kode_kab"], wrong["reason"]) == ("", "unknown_regency_folder")
    assert "inbox/52/anggaran/" in wrong["reason_text"] or "APBD provinsi" in wrong["reason_text"]
