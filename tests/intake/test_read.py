"""satudata.intake.read: hostile and ordinary regency files, all built in tmp_path."""

from __future__ import annotations

import datetime as dt
import os
import struct
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from satudata.intake.read import (
    REQUIRED_COLUMNS,
    Chunk,
    FileRejected,
    ReadOptions,
    read_submission,
    sheet_role,
)
from satudata.intake.rows import EXCEL_NIK
from satudata.sheets.headers import (
    ALIASES,
)
from satudata.sheets.sniff import cfb_entry_names

from tests.fixtures_read import (
    XlsError,
    big_csv,
    cfb_bytes,
    encrypted_xlsx_bytes,
    prefix_sheet_xml,
    write_xlsx,
    xls_bytes,
    zip_bomb_xlsx,
)

DTKS_HEADER = ["NIK", "Nama", "Kode Desa", "No KK"]


def read_all(path: Path, jenis: str = "dtks", **options):
    meta, chunks = read_submission(path, jenis, ReadOptions(**options))
    return meta, list(chunks)


def one(chunks: list[Chunk], sheet: str = "utama") -> tuple[pd.DataFrame, pd.DataFrame]:
    mine = [c for c in chunks if c.sheet == sheet]
    frame = pd.concat([c.frame for c in mine]) if mine else pd.DataFrame()
    issues = pd.concat([c.cell_issues for c in mine], ignore_index=True) if mine else pd.DataFrame()
    return frame, issues


def rejected(path: Path, jenis: str = "dtks", **options) -> FileRejected:
    with pytest.raises(FileRejected) as info:
        _meta, chunks = read_submission(path, jenis, ReadOptions(**options))
        list(chunks)
    return info.value


def issue_set(issues: pd.DataFrame) -> set[tuple]:
    return {(int(r.baris), r.kolom, r.aturan, r.nilai) for r in issues.itertuples()}


def dtks_rows(n: int = 3) -> list[list]:
    return [[f"520501450789{i:04d}", f"Warga {i}", "5205012001", f"520501010101{i:04d}"] for i in range(1, n + 1)]


# --------------------------------------------------------------------------------------------- formats


def test_zero_byte_file(tmp_path):
    path = tmp_path / "kosong.xlsx"
    path.write_bytes(b"")
    assert rejected(path).code == "empty_file"


def test_whitespace_only_csv_is_empty(tmp_path):
    path = tmp_path / "kosong.csv"
    path.write_bytes(b"\xef\xbb\xbf \r\n\r\n")
    assert rejected(path).code == "empty_file"


def test_truncated_xlsx_is_corrupt(tmp_path):
    good = write_xlsx(tmp_path / "ok.xlsx", {"Data": [DTKS_HEADER, *dtks_rows(2000)]})
    data = good.read_bytes()
    cut = tmp_path / "potong.xlsx"
    cut.write_bytes(data[: len(data) // 2])
    assert rejected(cut).code == "corrupt_xlsx"


@pytest.mark.parametrize("drop", ["xl/workbook.xml", "xl/worksheets/sheet1.xml"])
def test_xlsx_missing_parts_is_corrupt(tmp_path, drop):
    good = write_xlsx(tmp_path / "ok.xlsx", {"Data": [DTKS_HEADER, *dtks_rows()]})
    broken = tmp_path / "rusak.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(broken, "w") as dst:
        for info in src.infolist():
            if info.filename != drop:
                dst.writestr(info, src.read(info))
    assert rejected(broken).code == "corrupt_xlsx"


def test_encrypted_xlsx(tmp_path):
    path = tmp_path / "berpassword.xlsx"
    path.write_bytes(encrypted_xlsx_bytes())
    with path.open("rb") as handle:
        assert {"EncryptionInfo", "EncryptedPackage"} <= set(cfb_entry_names(handle, path.stat().st_size))
    error = rejected(path)
    assert error.code == "encrypted"


def test_ole_without_workbook_is_not_a_spreadsheet(tmp_path):
    path = tmp_path / "surat.xls"
    path.write_bytes(cfb_bytes({"WordDocument": b"\xec\xa5" + b"x" * 100}))
    assert rejected(path).code == "not_a_spreadsheet"


def test_real_xls_is_read_with_xlrd(tmp_path):
    rows = [
        ["Data DTKS", None, None, None, None],
        ["Periode: Oktober 2026"],
        [],
        ["NIK", "Nama", "Kode Desa", "No KK", "Desil"],
        [5205014507890001.0, "André", "52.05.01.2001", "5205010101010001", 1.0],
        ["5205014507890002", "Sri Rahayu", None, "5205010101010002", XlsError("#N/A")],
        ["5205014507890003", "Ña'im", None, "5205010101010003", True],
    ]
    path = tmp_path / "dtks.xls"
    path.write_bytes(xls_bytes({"Rahasia": [["x"]], "Data": rows}, hidden=["Rahasia"],
                               merges={"Data": [(4, 2, 6, 2)]}))
    meta, chunks = read_all(path)
    frame, issues = one(chunks)
    assert meta.format == "xls" and meta.periode == "2026-10"
    assert meta.sheets[0].source_sheet == "Data" and meta.sheets[0].header_row == 4
    assert frame.index.tolist() == [5, 6, 7]
    assert frame["nama"].tolist() == ["André", "Sri Rahayu", "Ña'im"]
    assert frame["kode_desa"].tolist() == ["5205012001"] * 3  # merged cell filled down, normalised
    # a 16-digit number below 2**53 not ending in 0 cannot have been cut by Excel: kept and trusted
    assert frame.loc[5, "nik"] == "5205014507890001" and frame.loc[6, "nik"] == "5205014507890002"
    assert frame.loc[5, "desil"] == "1" and pd.isna(frame.loc[6, "desil"])
    assert issue_set(issues) == {(6, "desil", "sel_galat_excel", "#N/A")}


def _docx_like(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)),
        b"GIF89a\x01\x00\x01\x00" + bytes(range(256)),
        os.urandom(4096),
        "docx",
        "zip",
    ],
    ids=["pdf", "png", "jpeg", "gif", "random", "docx", "zip"],
)
def test_not_a_spreadsheet(tmp_path, content):
    path = tmp_path / "data.xlsx"
    if content == "docx":
        _docx_like(path)
    elif content == "zip":
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("data/readme.txt", "bukan excel")
    else:
        path.write_bytes(content)
    assert rejected(path).code == "not_a_spreadsheet"


def test_format_by_content_not_extension(tmp_path):
    csv_named_xlsx = tmp_path / "sebenarnya_csv.xlsx"
    csv_named_xlsx.write_text("NIK;Nama;Kode Desa;No KK\n5205014507890001;A;5205012001;5205010101010001\n")
    meta, chunks = read_all(csv_named_xlsx)
    assert meta.format == "csv" and meta.delimiter == ";"
    xlsx_named_csv = write_xlsx(tmp_path / "sebenarnya_xlsx.csv", {"Data": [DTKS_HEADER, *dtks_rows(1)]})
    meta, chunks = read_all(xlsx_named_csv)
    assert meta.format == "xlsx" and len(one(chunks)[0]) == 1


@pytest.mark.parametrize("kind", ["html", "xlsb", "xml2003"])
def test_unsupported_formats(tmp_path, kind):
    path = tmp_path / "data.xls"
    if kind == "html":
        path.write_text("<html><body><table><tr><td>NIK</td><td>Nama</td></tr></table></body></html>")
    elif kind == "xml2003":
        path.write_text('<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">'
                        "</Workbook>")
    else:
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("[Content_Types].xml", "<Types/>")
            zf.writestr("xl/workbook.bin", b"\x83\x01")
    assert rejected(path).code == "unsupported_format"


def test_symlink_is_refused(tmp_path):
    target = write_xlsx(tmp_path / "asli.xlsx", {"Data": [DTKS_HEADER, *dtks_rows(1)]})
    link = tmp_path / "tautan.xlsx"
    link.symlink_to(target)
    assert rejected(link).code == "unreadable"


def test_zip_bomb_declared_size(tmp_path):
    bomb = zip_bomb_xlsx(tmp_path / "bom.xlsx", sheet_megabytes=200)
    assert bomb.stat().st_size < 2_000_000
    error = rejected(bomb, max_uncompressed_bytes=20_000_000)
    assert error.code == "too_large_uncompressed"
    # With the default cap the sheet member still trips the ratio rule (> 200x and > 50 MB).
    assert rejected(bomb).code == "too_large_uncompressed"


def test_zip_bomb_with_lying_sizes_is_never_expanded(tmp_path):
    """Central directory and local header claim 1 KB; the member really inflates to 60 MB."""
    base = write_xlsx(tmp_path / "ok.xlsx", {"Data": [DTKS_HEADER, *dtks_rows(1)]})
    liar = tmp_path / "bohong.xlsx"
    sheet = b"<worksheet><sheetData>" + b"<row/>" * 10_000_000 + b"</sheetData></worksheet>"
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(liar, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, sheet if info.filename == "xl/worksheets/sheet1.xml" else src.read(info))
    data = bytearray(liar.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    local = data.find(b"PK\x03\x04" + data[4:4])  # first local header
    while local != -1:
        if data[local + 30 : local + 30 + len(name)] == name:
            struct.pack_into("<I", data, local + 22, 1024)
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        if data[central + 46 : central + 46 + len(name)] == name:
            struct.pack_into("<I", data, central + 24, 1024)
        central = data.find(b"PK\x01\x02", central + 4)
    liar.write_bytes(bytes(data))
    error = rejected(liar, max_uncompressed_bytes=30_000_000)
    assert error.code in ("corrupt_xlsx", "too_large_uncompressed")


# --------------------------------------------------------------------------------------------- CSV


NAMES_TEXT = (
    "NIK;Nama;Kode Desa;No KK\n"
    "5205014507890001;Ña'im;5205012001;5205010101010001\n"
    "5205014507890002;André;5205012001;5205010101010002\n"
    "5205014507890003;Sri Rahayu;5205012001;5205010101010003\n"
)


@pytest.mark.parametrize(
    ("encoding", "prefix", "expected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
        ("utf-16-le", b"\xff\xfe", "utf-16"),
        ("utf-16-be", b"\xfe\xff", "utf-16"),
        ("utf-16-le", b"", "utf-16"),
        ("cp1252", b"", "cp1252"),
    ],
    ids=["utf8", "utf8-bom", "utf16le-bom", "utf16be-bom", "utf16le-nobom", "cp1252"],
)
def test_csv_encodings(tmp_path, encoding, prefix, expected):
    path = tmp_path / "dtks.csv"
    path.write_bytes(prefix + NAMES_TEXT.encode(encoding))
    meta, chunks = read_all(path)
    frame, issues = one(chunks)
    assert meta.encoding == expected and meta.delimiter == ";"
    assert frame["nama"].tolist() == ["Ña'im", "André", "Sri Rahayu"]
    assert frame["nik"].tolist() == ["5205014507890001", "5205014507890002", "5205014507890003"]
    assert frame.index.tolist() == [2, 3, 4] and issues.empty


def test_csv_cp1252_bytes_after_the_sniffed_head(tmp_path):
    """A mostly UTF-8 file with Windows-1252 bytes far down: decoded per byte, reported as cp1252."""
    path = tmp_path / "campur.csv"
    body = "".join(f"52050145078{i:05d},Warga {i},5205012001,52050101010{i:05d}\n" for i in range(20_000))
    path.write_bytes(("NIK,Nama,Kode Desa,No KK\n" + body).encode() + "5205014507899999,Andr\xe9,5205012001,1\n"
                     .encode("cp1252"))
    meta, chunks = read_all(path)
    frame, _ = one(chunks)
    assert frame["nama"].iloc[-1] == "André"
    assert meta.encoding == "cp1252"


@pytest.mark.parametrize("delimiter", [";", "\t", "|", ","])
def test_csv_delimiters_quotes_and_newlines(tmp_path, delimiter):
    d = delimiter
    text = (
        f"NIK{d}Nama{d}Kode Desa{d}No KK{d}Alamat\n"
        f'5205014507890001{d}"Budi{d} S.Pd"{d}5205012001{d}5205010101010001{d}"Jl. Merdeka{d} RT 1\nDusun A"\n'
        f'5205014507890002{d}"Siti ""Ani"""{d}5205012001{d}5205010101010002{d}Dusun B\n'
    )
    path = tmp_path / "dtks.csv"
    path.write_text(text)
    meta, chunks = read_all(path)
    frame, _ = one(chunks)
    assert meta.delimiter == delimiter
    assert frame["nama"].tolist() == [f"Budi{d} S.Pd", 'Siti "Ani"']
    assert frame["alamat"].iloc[0] == f"Jl. Merdeka{d} RT 1\nDusun A"
    assert frame.index.tolist() == [2, 3]  # records, as Excel numbers them


def test_csv_nul_bytes_are_stripped(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes(NAMES_TEXT.encode().replace(b"Sri", b"S\0ri").replace(b"NIK", b"N\0IK") + b"\0\0\0")
    frame, _ = one(read_all(path)[1])
    assert frame["nama"].tolist() == ["Ña'im", "André", "Sri Rahayu"]


def test_csv_ragged_rows(tmp_path):
    wide = ",".join(str(i) for i in range(40))  # far wider than the header: needs the last parser tier
    text = (
        "NIK,Nama,Kode Desa,No KK,Alamat\n"
        "5205014507890001,A,5205012001,5205010101010001\n"  # short: padded
        "5205014507890002,B,5205012001,5205010101010002,Jl. X,lebih,lagi\n"  # long
        f"5205014507890003,C,5205012001,5205010101010003,Jl. Y,{wide}\n"
        "5205014507890004,D,5205012001,5205010101010004,Jl. Z,,,\n"  # trailing empty fields: fine
    )
    path = tmp_path / "ragged.csv"
    path.write_text(text)
    frame, issues = one(read_all(path, chunk_rows=2)[1])
    assert frame.index.tolist() == [2, 3, 4, 5]
    assert pd.isna(frame.loc[2, "alamat"]) and frame.loc[5, "alamat"] == "Jl. Z"
    assert issue_set(issues) == {(3, None, "kolom_berlebih", "lebih,lagi"), (4, None, "kolom_berlebih", wide)}


def test_csv_row_wider_than_anything_sampled(tmp_path):
    """A very wide row far below the sniffed head: every parser tier is exercised, numbering stays true."""
    body = "".join(f"52050145078{i:05d},W{i},5205012001,5205010101010001\n" for i in range(400))
    wide = ",".join(str(i) for i in range(30))
    path = tmp_path / "lebar.csv"
    path.write_text("NIK,Nama,Kode Desa,No KK\n" + body + f"5205014507899999,X,5205012001,1,{wide}\n" + body)
    _meta, chunks = read_all(path, chunk_rows=300)
    frame, issues = one(chunks)
    assert len(chunks) > 2 and len(frame) == 801
    assert frame.index.tolist() == list(range(2, 803))
    assert issue_set(issues) == {(402, None, "kolom_berlebih", wide)}


def test_csv_unclosed_quote_is_unreadable(tmp_path):
    path = tmp_path / "kutip.csv"
    path.write_text("Laporan\nNIK,Nama,Kode Desa,No KK\n5205014507890001,Budi,5205012001,5205010101010001\n"
                    '5205014507890002,"Siti,5205012001,5205010101010002\n')
    error = rejected(path)
    assert error.code == "unreadable" and "row 4" in error.detail


def test_csv_excel_directive_and_title_lines(tmp_path):
    path = tmp_path / "dtks.csv"
    path.write_text("sep=;\nDATA PENERIMA BANSOS\nBulan: Nov 2026\n\n" + NAMES_TEXT)
    meta, chunks = read_all(path)
    assert meta.delimiter == ";" and meta.sheets[0].header_row == 5
    assert meta.title_lines == ["DATA PENERIMA BANSOS", "Bulan: Nov 2026"] and meta.periode == "2026-11"
    assert one(chunks)[0].index.tolist() == [6, 7, 8]


def test_csv_numeric_nik_and_kk(tmp_path):
    text = (
        "NIK,Nama,Kode Desa,No KK\n"
        "9.17101234567890E+15,A,5205012001,5205010101010001\n"
        "5205014507890000.0,B,5205012001,5.20501E+15\n"
        "'5205 0145-0789.0004,C,52.05.01.2001,5205010101010004\n"
        '"5,20501E+15",D,5205012001,5205010101010005\n'
    )
    path = tmp_path / "nik.csv"
    path.write_text(text)
    frame, issues = one(read_all(path)[1])
    assert frame["nik"].isna().tolist() == [True, True, False, True]
    assert frame.loc[4, "nik"] == "5205014507890004" and frame.loc[4, "kode_desa"] == "5205012001"
    assert issue_set(issues) == {
        (2, "nik", "nik_angka_excel", "9.17101234567890E+15"),
        (3, "nik", "nik_angka_excel", "5205014507890000.0"),
        (3, "no_kk", "kk_angka_excel", "5.20501E+15"),
        (5, "nik", "nik_angka_excel", "5,20501E+15"),
    }


def test_csv_column_excel_rounded_to_15_digits(tmp_path):
    """Excel wrote a numeric column (format "0") with 15 significant digits: every NIK ends in 0."""
    rounded = [f"52050145078{i:04d}0" for i in range(30)]
    exact = [f"52050145078{i:04d}{i % 9 + 1}" for i in range(30)]
    path = tmp_path / "bulat.csv"
    path.write_text("NIK,Nama,Kode Desa,No KK\n" + "".join(f"{n},W,5205012001,{k}\n" for n, k in zip(rounded, exact)))
    frame, issues = one(read_all(path)[1])
    # kept for the linkage's loose comparison, flagged: never trusted for the exact join
    assert frame["nik"].tolist() == rounded and frame["no_kk"].notna().all()
    assert frame[EXCEL_NIK].all()
    assert set(issues["aturan"]) == {"nik_mungkin_dibulatkan"} and len(issues) == 30
    # A normal column (about 1 in 10 serials end in 0) is left alone.
    mixed = exact[:27] + rounded[:3]
    path.write_text("NIK,Nama,Kode Desa,No KK\n" + "".join(f"{n},W,5205012001,{n}\n" for n in mixed))
    frame, issues = one(read_all(path)[1])
    assert frame["nik"].notna().all() and issues.empty


def test_csv_million_rows_streams_in_bounded_memory(tmp_path):
    psutil = pytest.importorskip("psutil")
    path = big_csv(tmp_path / "besar.csv", 1_000_000)
    process = psutil.Process()
    baseline = process.memory_info().rss
    _meta, chunks = read_submission(path, "dtks", ReadOptions(chunk_rows=200_000))
    sizes, peak, expected_next = [], 0, 2
    for chunk in chunks:
        sizes.append(len(chunk.frame))
        assert chunk.frame.index[0] == expected_next  # row numbers continue across chunks
        expected_next = chunk.frame.index[-1] + 1
        peak = max(peak, process.memory_info().rss - baseline)
    assert sum(sizes) == 1_000_000 and len(sizes) > 1 and max(sizes) <= 200_000
    assert peak < 600_000_000, f"RSS grew by {peak / 1e6:.0f} MB"


# --------------------------------------------------------------------------------------------- headers


def test_title_rows_above_header(tmp_path):
    rows = [
        ["DAFTAR PENERIMA PROGRAM KELUARGA HARAPAN"],
        ["Kabupaten Lombok Tengah", None, "Periode: November 2026"],
        [],
        ["No", "NIK Penerima", "Nama KPM", "Kode Wilayah", "Nomor KK", "Nominal"],
        [1, "5205014507890001", "Budi", "5205012001", "5205010101010001", 750000.0],
    ]
    meta, chunks = read_all(write_xlsx(tmp_path / "pkh.xlsx", {"PKH": rows}), "intervensi")
    sheet = meta.sheets[0]
    assert sheet.header_row == 4 and sheet.unmapped_columns == ["No"]
    assert sheet.column_map == {"NIK Penerima": "nik", "Nama KPM": "nama", "Kode Wilayah": "kode_desa",
                                "Nomor KK": "no_kk", "Nominal": "nilai_bantuan"}
    assert meta.title_lines == ["DAFTAR PENERIMA PROGRAM KELUARGA HARAPAN",
                                "Kabupaten Lombok Tengah Periode: November 2026"]
    assert meta.periode == "2026-11"
    frame, _ = one(chunks)
    assert frame.index.tolist() == [5] and frame.loc[5, "nilai_bantuan"] == "750000"


def test_table_not_starting_at_a1(tmp_path):
    rows = [[], [None, "Rekap DTKS Nov 2026"], [], [], [None, None, *DTKS_HEADER], [], [None, None, *dtks_rows(1)[0]]]
    meta, chunks = read_all(write_xlsx(tmp_path / "geser.xlsx", {"Data": rows}))
    assert meta.sheets[0].header_row == 5 and meta.periode == "2026-11"
    frame, _ = one(chunks)
    assert frame.index.tolist() == [7] and frame.loc[7, "nama"] == "Warga 1"


def test_csv_old_mac_line_endings(tmp_path):
    path = tmp_path / "mac.csv"
    path.write_bytes(NAMES_TEXT.replace("\n", "\r").encode("cp1252"))
    frame, _ = one(read_all(path)[1])
    assert frame["nama"].tolist() == ["Ña'im", "André", "Sri Rahayu"] and frame.index.tolist() == [2, 3, 4]


def test_two_row_header_with_merged_group_title(tmp_path):
    rows = [
        ["No", "Identitas", None, None, "Alamat", "Kode Desa"],
        [None, "NIK", "Nama", "No KK", None, None],
        [1, "5205014507890001", "Budi", "5205010101010001", "Dusun A", "5205012001"],
    ]
    merges = {"Data": [(0, 1, 0, 3, "Identitas"), (0, 0, 1, 0, "No"), (0, 4, 1, 4, "Alamat"),
                       (0, 5, 1, 5, "Kode Desa")]}
    meta, chunks = read_all(write_xlsx(tmp_path / "dua_baris.xlsx", {"Data": rows}, merges=merges))
    assert meta.sheets[0].header_row == 2
    assert set(meta.sheets[0].column_map.values()) == {"nik", "nama", "no_kk", "alamat", "kode_desa"}
    frame, _ = one(chunks)
    assert frame.index.tolist() == [3] and frame.loc[3, "alamat"] == "Dusun A"


def test_group_title_over_names_is_combined(tmp_path):
    """"Kepala Keluarga" spanning "NIK | Nama", "Tempat/Tanggal Lahir" spanning "Tempat | Tanggal"."""
    keluarga = [
        ["1. No", "2. ID Keluarga", "Kepala Keluarga", None, "Tempat/Tanggal Lahir", None, "Kode Desa", "Desil"],
        [None, None, "NIK", "Nama", "Tempat", "Tanggal", None, None],
        [1, "P3KE-001", "5205014507890001", "Budi", "Praya", "1989-07-05", "5205012001", 1],
    ]
    merges = {"Keluarga": [(0, 2, 0, 3, "Kepala Keluarga"), (0, 4, 0, 5, "Tempat/Tanggal Lahir")]}
    path = write_xlsx(tmp_path / "p3ke.xlsx", {"Keluarga": keluarga, "Anggota": ANGGOTA}, merges=merges)
    meta, chunks = read_all(path, "p3ke")
    sheet = meta.sheets[0]
    assert (sheet.sheet, sheet.header_row) == ("keluarga", 2)
    assert sheet.column_map == {"2. ID Keluarga": "id_keluarga_p3ke", "NIK Kepala Keluarga": "nik_kepala_keluarga",
                                "Nama Kepala Keluarga": "nama_kepala_keluarga", "Tempat lahir": "tempat_lahir",
                                "Tanggal lahir": "tanggal_lahir", "Kode Desa": "kode_desa", "Desil": "desil"}
    frame, _ = one(chunks, "keluarga")
    assert frame.loc[3, "nik_kepala_keluarga"] == "5205014507890001" and frame.loc[3, "tempat_lahir"] == "Praya"


def test_split_header_second_row_is_not_data(tmp_path):
    path = tmp_path / "split.csv"
    path.write_text("NIK,Nama,Alamat,,Kode Desa,No KK\n,,RT,RW,,\n"
                    "5205014507890001,Budi,3,4,5205012001,5205010101010001\n")
    meta, chunks = read_all(path)
    frame, _ = one(chunks)
    assert meta.sheets[0].header_row == 1 and frame.index.tolist() == [3]


def test_no_recognisable_header(tmp_path):
    path = tmp_path / "acak.csv"
    path.write_text("kolom1,kolom2,kolom3\n1,2,3\n4,5,6\n")
    assert rejected(path).code == "no_header"
    xlsx = write_xlsx(tmp_path / "acak.xlsx", {"Data": [["Laporan"], ["a", "b"], [1, 2]]})
    assert rejected(xlsx).code == "no_header"


def test_header_below_search_window_is_not_found(tmp_path):
    path = tmp_path / "jauh.csv"
    path.write_text("judul\n" * 10 + NAMES_TEXT)
    assert rejected(path, header_search_rows=5).code == "no_header"
    meta, _ = read_all(path, header_search_rows=30)
    assert meta.sheets[0].header_row == 11


def test_missing_required_columns(tmp_path):
    path = tmp_path / "kurang.csv"
    path.write_text("NIK,Nama,Alamat\n5205014507890001,Budi,Dusun A\n")
    error = rejected(path)
    # every header named with confidence and still a required column missing: refused (nothing to ask about);
    # a desa may be given by its code or by its name
    assert error.code == "missing_columns" and error.missing_columns == ["kode_desa|nama_desa", "no_kk"]
    bps = tmp_path / "bps.csv"
    bps.write_text("NIK,Nama,KODE BPS,No KK\n5205014507890001,Budi,5205010001,5205010101010001\n")
    error = rejected(bps)
    assert error.missing_columns == ["kode_desa|nama_desa"] and "bps" in error.detail.lower()


def test_intervensi_needs_nik_or_kk(tmp_path):
    only_kk = tmp_path / "kk.csv"
    only_kk.write_text("No KK,Nama KPM,Kode Desa\n5205010101010001,Budi,5205012001\n")
    frame, _ = one(read_all(only_kk, "intervensi")[1])
    assert frame["no_kk"].tolist() == ["5205010101010001"]
    neither = tmp_path / "none.csv"
    neither.write_text("Nama KPM,Kode Desa\nBudi,5205012001\n")
    assert rejected(neither, "intervensi").missing_columns == ["nik|no_kk"]


def test_required_columns_are_known_headers():
    for jenis_sheet, groups in REQUIRED_COLUMNS.items():
        for group in groups:
            assert all(c in ALIASES for c in group), jenis_sheet


# --------------------------------------------------------------------------------------------- xlsx cells


def test_xlsx_numeric_nik_and_kk_cells(tmp_path):
    """A number cell of 16 digits below 2**53 whose last digit is not 0 cannot have been cut by Excel (a double
    holds it whole; Excel's 15 digits would have made it end in 0): kept and trusted. Ending in 0, or above
    2**53 (Papua, 91-96), it may have been rounded: a NIK is kept but flagged, a family card number dropped."""
    rows = [
        DTKS_HEADER,
        [5205014507890001, "A", "5205012001", "5205010101010001"],  # written by a program: whole
        [520501450789001, "B", "5205012001", 5205010101010002],  # 15 digits: not a NIK, kept as written
        ["5205014507890003", "C", 5205012001, "5205 0101 0101 0003"],
        [5205014507890010, "D", "5205012001", 5205010101010010],  # ends in 0: maybe rounded
        [9171014507890001, "E", "5205012001", "5205010101010004"],  # above 2**53: doubles skip integers here
    ]
    frame, issues = one(read_all(write_xlsx(tmp_path / "angka.xlsx", {"Data": rows}))[1])
    assert frame["nik"].tolist() == ["5205014507890001", "520501450789001", "5205014507890003",
                                     "5205014507890010", str(int(float(9171014507890001)))]
    assert frame[EXCEL_NIK].fillna(False).tolist() == [False, False, False, True, True]
    assert frame["no_kk"].tolist()[:3] == ["5205010101010001", "5205010101010002", "5205010101010003"]
    assert pd.isna(frame.loc[5, "no_kk"])  # a family card that may be rounded would join two families
    assert frame["kode_desa"].tolist() == ["5205012001"] * 5
    assert issue_set(issues) == {
        (5, "nik", "nik_mungkin_dibulatkan", "5205014507890010"),
        (5, "no_kk", "kk_mungkin_dibulatkan", "5205010101010010"),
        (6, "nik", "nik_mungkin_dibulatkan", str(int(float(9171014507890001)))),
    }


def test_xlsx_error_cells_and_formulas(tmp_path):
    rows = [["NIK", "Nama", "Kode Desa", "No KK", "Desil", "Nilai Bantuan", "Alamat"]]
    rows += [[f"520501450789000{i}", f"W{i}", "5205012001", f"520501010101000{i}", None, None, "#VALUE!"]
             for i in range(1, 5)]
    formulas = {"Data": [
        (1, 4, "=NA()", "#N/A"), (2, 4, "=Z1", "#REF!"), (3, 4, "=2*2", 4), (4, 4, "=1/0", "#DIV/0!"),
        (1, 5, "=100000*2", 200000), (2, 5, "=A1", ""), (3, 5, '="Rp "&"5"', "Rp 5"),
    ]}  # fmt: skip
    frame, issues = one(read_all(write_xlsx(tmp_path / "rumus.xlsx", {"Data": rows}, formulas=formulas))[1])
    assert frame["desil"].tolist()[2] == "4" and frame["desil"].isna().tolist() == [True, True, False, True]
    assert frame.loc[2, "nilai_bantuan"] == "200000" and frame.loc[4, "nilai_bantuan"] == "Rp 5"
    assert frame["alamat"].isna().all()
    found = issue_set(issues)
    assert {(2, "desil", "sel_galat_excel", "#N/A"), (3, "desil", "sel_galat_excel", "#REF!"),
            (5, "desil", "sel_galat_excel", "#DIV/0!")} <= found
    assert (3, "nilai_bantuan", "rumus_tanpa_nilai", None) in found
    assert {(r, "alamat", "sel_galat_excel", "#VALUE!") for r in range(2, 6)} <= found


def test_xlsx_with_prefixed_xml_elements(tmp_path):
    rows = [DTKS_HEADER + ["Desil"], *[r + [None] for r in dtks_rows(3)]]
    formulas = {"Data": [(1, 4, "=NA()", "#N/A"), (2, 4, "=A1", ""), (3, 4, "=1+1", 2)]}
    path = prefix_sheet_xml(write_xlsx(tmp_path / "dotnet.xlsx", {"Data": rows}, formulas=formulas))
    assert b"<x:c " in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    frame, issues = one(read_all(path)[1])
    assert frame["desil"].tolist()[2] == "2" and len(frame) == 3
    assert issue_set(issues) == {(2, "desil", "sel_galat_excel", "#N/A"), (3, "desil", "rumus_tanpa_nilai", None)}


def test_xlsx_dates_numbers_and_text(tmp_path):
    rows = [
        ["NIK", "Nama", "Kode Desa", "No KK", "Tanggal Lahir", "Desil", "Jumlah ART", "Alamat"],
        ["5205014507890001", "A", "5205012001", "5205010101010001", dt.date(1990, 5, 1), 1.0, 4, 12.5],
        ["5205014507890002", "B", "5.205012001E+09", "5205010101010002", "01-02-1980", "2", "3.0", "  Jl. A\u200b "],
        ["5205014507890003", "C", "9999", "5205010101010003", dt.datetime(1985, 1, 2, 10, 30), "3.00", None, True],
    ]
    frame, _ = one(read_all(write_xlsx(tmp_path / "tipe.xlsx", {"Data": rows}))[1])
    assert frame["tanggal_lahir"].tolist() == ["1990-05-01", "01-02-1980", "1985-01-02 10:30:00"]
    assert frame["desil"].tolist() == ["1", "2", "3"] and frame["jumlah_anggota"].tolist()[:2] == ["4", "3"]
    assert frame["alamat"].tolist() == ["12.5", "Jl. A", "TRUE"]
    assert frame["kode_desa"].tolist() == ["5205012001", "5205012001", "9999"]  # unknown form kept as written
    assert all(str(t) == "string" for t in frame.dtypes)


def test_xlsx_merged_cells_fill_down(tmp_path):
    rows = [
        ["No KK", "NIK", "Nama", "Kode Desa", "Alamat"],
        ["5205010101010001", "5205014507890001", "Budi", None, None],
        [None, "5205015507890002", "Siti", None, None],
        [None, "5205010107100003", "Ani", None, None],
        ["5205010101010004", "5205014507890004", "Joko", "5205012002", "Dusun B"],
    ]
    merges = {"Data": [(1, 0, 3, 0, "5205010101010001"), (1, 3, 3, 3, "52.05.01.2001"),
                       (1, 4, 3, 4, "Dusun A, RT 01")]}
    frame, issues = one(read_all(write_xlsx(tmp_path / "gabung.xlsx", {"Data": rows}, merges=merges))[1])
    assert frame["no_kk"].tolist() == ["5205010101010001"] * 3 + ["5205010101010004"]
    assert frame["kode_desa"].tolist() == ["5205012001"] * 3 + ["5205012002"]
    assert frame["alamat"].tolist()[:3] == ["Dusun A, RT 01"] * 3 and issues.empty


def test_merged_cells_across_chunk_boundary(tmp_path):
    rows = [DTKS_HEADER] + [[f"520501450789{i:04d}", f"W{i}", None, "5205010101010001"] for i in range(1, 7)]
    merges = {"Data": [(1, 2, 6, 2, "5205012001")]}
    path = write_xlsx(tmp_path / "gabung.xlsx", {"Data": rows}, merges=merges)
    _meta, chunks = read_all(path, chunk_rows=2)
    assert len(chunks) == 3
    frame, _ = one(chunks)
    assert frame["kode_desa"].tolist() == ["5205012001"] * 6


def test_blank_rows_totals_and_signature(tmp_path):
    rows = [
        ["Rekap Penerima"],
        ["No", "NIK", "Nama", "Kode Desa", "No KK", "Nilai Bantuan"],
        [1, 2, 3, 4, 5, 6],  # column-number row under the header
        [1, "5205014507890001", "Budi", "5205012001", "5205010101010001", 300000],
        [None] * 6,
        [None] * 6,
        [2, "5205014507890002", "Siti", "5205012001", "5205010101010002", 300000],
        [3, None, "Anak tanpa NIK", "5205012001", "5205010101010002", None],
        ["JUMLAH", None, None, None, None, 600000],
        [None, "Grand Total", None, None, None, 600000],
        [],
        [None, None, None, "Praya, 30 November 2026"],
        [None, None, None, "Mengetahui,"],
        [None, None, None, "Kepala Dinas Sosial"],
        [],
        [None, None, "Drs. H. Lalu Budi"],
        [None, None, None, "NIP. 19700101 199003 1 001"],
    ]
    _meta, chunks = read_all(write_xlsx(tmp_path / "total.xlsx", {"Data": rows}), "intervensi")
    frame, issues = one(chunks)
    assert frame.index.tolist() == [4, 7, 8]
    assert frame["nama"].tolist() == ["Budi", "Siti", "Anak tanpa NIK"] and issues.empty


def test_siks_ng_export_with_split_region_codes(tmp_path):
    """DTKS as SIKS-NG exports it: names of regions, codes split over KDPROP/KDKAB/KDKEC/KDDESA."""
    header = ["IDDTKS", "PROVINSI", "KABUPATEN", "KECAMATAN", "DESA", "ALAMAT", "NOKK", "NIK", "NAMA", "JNS_KEL",
              "TMPT_LHR", "TGL_LHR", "STA_KAWIN", "HUB_KEL", "PEKERJAAN", "KET_DISABILITAS", "KDPROP", "KDKAB",
              "KDKEC", "KDDESA"]
    rows = [header,
            ["D-1", "NTB", "LOMBOK TENGAH", "PRAYA", "PRAYA", "Jl. A", "5205010101010001", "5205014507890001",
             "Budi", "1", "Praya", "1989-07-05", "Kawin", "1", "Petani", "Tidak", "52", "05", "01", "2001"],
            ["D-2", "NTB", "LOMBOK TENGAH", "PRAYA", "PRAYA", "Jl. B", "5205010101010002", "5205015507890002",
             "Siti", "2", "Praya", "1989-07-15", "Kawin", "2", "IRT", "Tidak", "52", "5205", "01", "2002"]]
    meta, chunks = read_all(write_xlsx(tmp_path / "siks.xlsx", {"DTKS": rows}))
    assert meta.sheets[0].unmapped_columns == []
    frame, _ = one(chunks)
    assert frame["kode_desa"].tolist() == ["5205012001", "5205012002"]
    assert frame["nama_desa"].tolist() == ["PRAYA", "PRAYA"] and frame["nama_kabupaten"].iloc[0] == "LOMBOK TENGAH"
    assert frame["disabilitas"].tolist() == ["Tidak", "Tidak"] and frame["id_dtks"].iloc[0] == "D-1"


def test_section_title_rows_merged_across_the_table(tmp_path):
    rows = [["NIK", "Nama", "Kode Desa", "No KK"], ["KECAMATAN PRAYA"], *dtks_rows(2), ["KECAMATAN JONGGAT"],
            *dtks_rows(1), [None, "Anak belum ber-NIK", "5205012001", "5205010101010001"]]
    merges = {"Data": [(1, 0, 1, 3, "KECAMATAN PRAYA"), (4, 0, 4, 3, "KECAMATAN JONGGAT")]}
    frame, _ = one(read_all(write_xlsx(tmp_path / "seksi.xlsx", {"Data": rows}, merges=merges))[1])
    assert frame.index.tolist() == [3, 4, 6, 7]  # a real row without NIK stays (and is reported by validation)


def test_repeated_header_rows_are_dropped(tmp_path):
    path = tmp_path / "gabungan.csv"
    path.write_text(NAMES_TEXT + NAMES_TEXT.replace("0001", "0101").replace("0002", "0102").replace("0003", "0103"))
    frame, _ = one(read_all(path)[1])
    assert frame.index.tolist() == [2, 3, 4, 6, 7, 8]


def test_hidden_and_chart_sheets_ignored_best_sheet_wins(tmp_path):
    sheets = {
        "Rahasia": [DTKS_HEADER + ["Alamat", "Desil"], *[r + ["x", 1] for r in dtks_rows(9)]],
        "Petunjuk": [["Cara mengisi"], ["NIK", "isi 16 digit"]],
        "Ringkas": [["NIK", "Nama"], ["5205014507890001", "Budi"]],
        "Data": [["Data DTKS"], DTKS_HEADER, *dtks_rows(2)],
    }
    meta, chunks = read_all(write_xlsx(tmp_path / "banyak.xlsx", sheets, hidden=["Rahasia"], chart_sheet=True))
    assert meta.sheets[0].source_sheet == "Data" and meta.sheets[0].header_row == 2
    assert len(one(chunks)[0]) == 2
    assert any(s.startswith("Ringkas") for s in meta.ignored_sheets)
    assert not any(s.startswith(("Rahasia", "Grafik")) for s in meta.ignored_sheets)


# --------------------------------------------------------------------------------------------- P3KE

KELUARGA = [
    ["ID Keluarga P3KE", "Kode Desa", "No KK", "NIK Kepala Keluarga", "Nama Kepala Keluarga", "Desil"],
    ["P3KE-001", "5205012001", "5205010101010001", "5205014507890001", "Budi", 1],
    ["P3KE-002", "5205012001", "5205010101010002", "5205014507890003", "Ani", 2],
]
ANGGOTA = [
    ["ID Keluarga", "ID Individu", "NIK", "Nama", "Hubungan Keluarga"],
    ["P3KE-001", "I-1", "5205014507890001", "Budi", "Kepala Keluarga"],
    ["P3KE-001", "I-2", "5205015507890002", "Siti", "Istri"],
    ["P3KE-002", "I-3", "5205014507890003", "Ani", "Kepala Keluarga"],
]


@pytest.mark.parametrize(
    ("names", "hidden"),
    [(("Data Keluarga", "Anggota Keluarga"), ()), (("KRT", "ART"), ()), (("Sheet1", "Sheet2"), ()),
     (("keluarga ", "INDIVIDU"), ("KRT",))],
)
def test_p3ke_two_sheets(tmp_path, names, hidden):
    sheets = {"Petunjuk": [["Petunjuk pengisian"]], names[1]: ANGGOTA, names[0]: KELUARGA}
    if hidden:
        sheets["KRT"] = [KELUARGA[0], ["X", "1", "2", "3", "4", 1]]
    meta, chunks = read_all(write_xlsx(tmp_path / "p3ke.xlsx", sheets, hidden=hidden), "p3ke")
    assert [c.sheet for c in chunks] == ["keluarga", "anggota"]  # families first, whatever the sheet order
    assert [(s.sheet, s.source_sheet) for s in meta.sheets] == [("keluarga", names[0]), ("anggota", names[1])]
    keluarga, _ = one(chunks, "keluarga")
    anggota, _ = one(chunks, "anggota")
    assert keluarga["id_keluarga_p3ke"].tolist() == ["P3KE-001", "P3KE-002"] and keluarga["desil"].tolist() == ["1", "2"]
    assert anggota["nik"].tolist() == ["5205014507890001", "5205015507890002", "5205014507890003"]


def test_p3ke_flat_sheet_yields_families_and_members(tmp_path):
    rows = [
        ["ID Keluarga", "Kode Desa", "No KK", "Desil", "NIK", "Nama", "Hubungan Keluarga", "Jenis Kelamin"],
        ["P3KE-001", "5205012001", "5205010101010001", 1, "5205015507890002", "Siti", "Istri", "P"],
        ["P3KE-001", "5205012001", "5205010101010001", 1, "5205014507890001", "Budi", "Kepala Keluarga", "L"],
        ["P3KE-002", "5205012001", "5205010101010002", 2, "5205014507890003", "Ani", "KRT", "P"],
        ["P3KE-003", "5205012001", "5205010101010003", 3, 5205014507890004, "Tono", "Anak", "L"],
    ]
    meta, chunks = read_all(write_xlsx(tmp_path / "flat.xlsx", {"P3KE": rows}), "p3ke")
    assert [s.sheet for s in meta.sheets] == ["keluarga", "anggota"] and all(s.flat for s in meta.sheets)
    keluarga, kel_issues = one(chunks, "keluarga")
    anggota, ang_issues = one(chunks, "anggota")
    assert keluarga.index.tolist() == [3, 4, 5]  # the head's row, else the family's first row
    assert keluarga["nik_kepala_keluarga"].tolist()[:2] == ["5205014507890001", "5205014507890003"]
    assert pd.isna(keluarga.loc[5, "nik_kepala_keluarga"])
    assert keluarga["jenis_kelamin_kepala_keluarga"].tolist()[:2] == ["L", "P"]
    assert "nik" not in keluarga.columns and "desil" not in anggota.columns
    assert anggota.index.tolist() == [2, 3, 4, 5]
    assert anggota.loc[5, "nik"] == "5205014507890004"  # a number a program wrote: whole
    assert ang_issues.empty and kel_issues.empty


def test_p3ke_csv_is_flat(tmp_path):
    path = tmp_path / "p3ke.csv"
    path.write_text(
        "IDKELUARGA;KDDESA;NOKK;DESIL;NIK;NAMA;SHDK\n"
        "P3KE-001;52.05.01.2001;5205010101010001;1;5205014507890001;Budi;Kepala Keluarga\n"
        "P3KE-001;52.05.01.2001;5205010101010001;1;5205015507890002;Siti;Istri\n",
        encoding="cp1252",
    )
    _meta, chunks = read_all(path, "p3ke")
    keluarga, _ = one(chunks, "keluarga")
    anggota, _ = one(chunks, "anggota")
    assert keluarga.to_dict("records") == [{
        "id_keluarga_p3ke": "P3KE-001", "kode_desa": "5205012001", "no_kk": "5205010101010001", "desil": "1",
        "nik_kepala_keluarga": "5205014507890001", "nama_kepala_keluarga": "Budi"}]  # fmt: skip
    assert len(anggota) == 2


def test_p3ke_family_sheet_person_columns_describe_the_head(tmp_path):
    keluarga = [["ID Keluarga", "Kode Desa", "No KK", "NIK", "Nama", "Jenis Kelamin", "Desil Kesejahteraan"],
                ["P3KE-001", "5205012001", "5205010101010001", "5205014507890001", "Budi", "L", 1]]
    meta, chunks = read_all(write_xlsx(tmp_path / "p3ke.xlsx", {"Sheet1": keluarga, "Sheet2": ANGGOTA}), "p3ke")
    assert [(s.sheet, s.source_sheet) for s in meta.sheets] == [("keluarga", "Sheet1"), ("anggota", "Sheet2")]
    frame, _ = one(chunks, "keluarga")
    assert frame[["nik_kepala_keluarga", "nama_kepala_keluarga", "jenis_kelamin_kepala_keluarga"]].iloc[0].tolist() \
        == ["5205014507890001", "Budi", "L"]


def test_p3ke_without_member_sheet_is_a_recap_of_families(tmp_path):
    path = write_xlsx(tmp_path / "keluarga_saja.xlsx", {"Keluarga": KELUARGA})
    meta, chunks = read_all(path, "p3ke")
    assert [s.sheet for s in meta.sheets] == ["keluarga"]
    assert {c.sheet for c in chunks} == {"keluarga"}


def test_a_flat_recap_of_families_is_read_as_families_not_members(tmp_path):
    """One row per family, no relationship column: the NIK and name are the head's, no member is made up."""
    rows = [["ID Keluarga DTSEN", "Kode Desa", "No KK", "NIK", "Nama", "Desil Nasional", "Jumlah ART"]]
    rows += [[f"DT-{i}", "5205012001", f"520501010101000{i}", f"520501450789000{i}", f"KK {i}", str(i), "4"]
             for i in range(1, 7)]
    path = tmp_path / "rekap_dtsen.csv"
    path.write_text("\n".join(",".join(r) for r in rows) + "\n")
    meta, chunks = read_all(path, "dtsen")
    assert [s.sheet for s in meta.sheets] == ["keluarga"] and not meta.sheets[0].flat
    keluarga, _ = one(chunks, "keluarga")
    assert {c.sheet for c in chunks} == {"keluarga"} and len(keluarga) == 6
    assert keluarga["nik_kepala_keluarga"].tolist()[0] == "5205014507890001"


def test_p3ke_missing_column_in_member_sheet(tmp_path):
    anggota = [[c for c in row if c != "Nama"] for row in ANGGOTA]
    anggota = [row[:3] for row in ANGGOTA]
    path = write_xlsx(tmp_path / "p3ke.xlsx", {"Keluarga": KELUARGA, "Anggota": anggota})
    error = rejected(path, "p3ke")
    assert error.code == "missing_columns" and error.missing_columns == ["nama"]


def test_sheet_role_names():
    assert [sheet_role(n) for n in ("Keluarga", "Data Keluarga", "KRT", "Anggota Keluarga", "ART", "Individu",
                                    " anggota ", "Sheet1")] == ["keluarga"] * 3 + ["anggota"] * 4 + [None]


# --------------------------------------------------------------------------------------------- properties


# --------------------------------------------------------------------------------------------- generator


def test_every_generated_file_is_read(tmp_path):
    """Every file of the synthetic province reads with all required columns; Excel-number NIK cells that the
    generator wrote into xlsx files (its truth/defects.csv) are all flagged at the right row."""
    generate = pytest.importorskip("satudata_dev.generate")
    if not hasattr(generate, "generate_province"):
        pytest.skip("satudata_dev.generate.generate_province not available yet")
    summary = generate.generate_province(tmp_path, province="52", scale=0.002, seed=7, period="2026-11")
    inbox = tmp_path / "inbox"
    files = sorted(p for p in inbox.rglob("*") if p.is_file())
    assert files
    flagged: set[tuple[str, int, str]] = set()
    read_rows: dict[str, int] = {}
    for path in files:
        jenis = path.parent.name
        meta, chunks = read_submission(path, jenis)
        rows = 0
        for chunk in chunks:
            rows += len(chunk.frame)
            kind = {"keluarga": f"{jenis}_keluarga", "anggota": jenis}.get(chunk.sheet, jenis)
            if jenis == "dtsen" and not path.stem.endswith("2026-11"):
                kind = f"{kind}_earlier"  # the generator counts the period's own extract
            read_rows[kind] = read_rows.get(kind, 0) + len(chunk.frame)
            for issue in chunk.cell_issues.itertuples():
                flagged.add((path.relative_to(tmp_path).as_posix(), int(issue.baris), issue.kolom))
        for sheet in meta.sheets:
            assert sheet.missing_required == [], (path, sheet)
    totals = getattr(summary, "totals", None) or {}
    for kind, written in totals.items():
        if kind in read_rows:  # every generated row is read (title, blank and total rows are not rows)
            assert abs(read_rows[kind] - written) <= 0.02 * written, (kind, read_rows[kind], written)
    assert sum(read_rows.values()) > 0
    truth = next(tmp_path.glob("truth/*/defects.csv"), None)
    if truth is not None:
        defects = pd.read_csv(truth, dtype=str, keep_default_na=False)
        if {"file", "excel_row", "column", "defect"} <= set(defects.columns):
            numeric = defects[(defects["defect"] == "nik_excel_number") & defects["file"].str.endswith(".xlsx")]
            missed = [(f, int(r), c) for f, r, c in zip(numeric["file"], numeric["excel_row"], numeric["column"])
                      if (f, int(r), c) not in flagged]
            assert not missed, missed[:5]
