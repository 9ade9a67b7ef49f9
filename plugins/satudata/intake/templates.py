"""Excel templates for regency operators: `satudata template dtks|p3ke|dtsen|intervensi --out FILE.xlsx`.

    write_template("dtks", Path("template_dtks.xlsx"))
    write_template("intervensi", Path("t.xlsx"), programmes=[{"kode_program": "PKH", "nama_program": ...}])

Each template has a "Petunjuk" sheet (instructions in Bahasa Indonesia, the texts of
`include/pesan/petunjuk.yaml`) and the data sheet(s) — "Data" for DTKS and intervensi, "Keluarga" +
"Anggota Keluarga" for P3KE — whose header row is the *canonical* column names of `satudata.schema`, so
intake maps every column exactly. Each header cell carries a note
explaining the column (`messages.COLUMN_HELP`). NIK / KK / kode desa / ID columns are formatted as Text
(`@`), both as the column format and on the first `TEMPLATE_ROWS` data cells, so Excel keeps all 16
digits; date columns have a date format and a validation that refuses impossible dates; desil,
jenis kelamin, hubungan keluarga, disabilitas, status kawin and kode program have dropdowns (a long list
lives on the hidden "Daftar" sheet). The intervensi template also lists the programmes on a
"Daftar Program" sheet. No example rows are written on data sheets: an example the operator forgets to
delete would be submitted as data (examples are on "Petunjuk").

Programmes come from `include/reference/program.csv` (and `program_lokal_*.csv`, as
`satudata.reference.program` reads them) unless given.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from satudata.intake.messages import COLUMN_HELP, COLUMN_LABELS, JENIS_LABELS, PETUNJUK, enumeration
from satudata.schema import (
    ANGGARAN_REALISASI_COLUMNS,
    ANGGARAN_SHEETS,
    ANGGARAN_SUB_KEGIATAN_COLUMNS,
    DTKS_COLUMNS,
    DTSEN_ANGGOTA_COLUMNS,
    DTSEN_KELUARGA_COLUMNS,
    HUBUNGAN_KELUARGA,
    INTERVENSI_COLUMNS,
    P3KE_ANGGOTA_COLUMNS,
    P3KE_KELUARGA_COLUMNS,
)
from satudata.sheets.writer import StyledWorkbook

TEMPLATE_ROWS = 10_000  # data rows pre-formatted cell by cell (the column format covers the rest)
EXCEL_LAST_ROW = 1_048_575  # 0-based
LIST_LIMIT = 255  # Excel's limit on an inline dropdown list (characters, commas included)

# jenis -> data sheet name -> canonical columns. Sheet names match what intake calls them
# (`intake.stage.SHEET_LABEL`), and the report's "Baris Ditolak" uses the same columns.
TEMPLATE_SHEETS: dict[str, dict[str, tuple[str, ...]]] = {
    "dtks": {"Data": DTKS_COLUMNS},
    "p3ke": {"Keluarga": P3KE_KELUARGA_COLUMNS, "Anggota Keluarga": P3KE_ANGGOTA_COLUMNS},
    "dtsen": {"Keluarga": DTSEN_KELUARGA_COLUMNS, "Anggota Keluarga": DTSEN_ANGGOTA_COLUMNS},
    # A recipient list may carry its tranche (`tahap`); the generator's files do not, so it is the template's.
    "intervensi": {"Data": (INTERVENSI_COLUMNS[0], "tahap", *INTERVENSI_COLUMNS[1:])},
    "anggaran": {ANGGARAN_SHEETS["sub_kegiatan"]: ANGGARAN_SUB_KEGIATAN_COLUMNS,
                 ANGGARAN_SHEETS["realisasi"]: ANGGARAN_REALISASI_COLUMNS},
}

# Columns intake cannot do without (kept in step with `intake.read.REQUIRED_COLUMNS`, checked by a test;
# kode_program is required in the template because a row without it is rejected).
REQUIRED: dict[tuple[str, str], frozenset[str]] = {
    ("dtks", "Data"): frozenset({"nik", "nama", "kode_desa", "no_kk"}),
    ("p3ke", "Keluarga"): frozenset({"id_keluarga_p3ke", "kode_desa", "desil", "nik_kepala_keluarga"}),
    ("p3ke", "Anggota Keluarga"): frozenset({"id_keluarga_p3ke", "nik", "nama"}),
    ("dtsen", "Keluarga"): frozenset({"id_keluarga_dtsen", "kode_desa", "desil_nasional", "nik_kepala_keluarga"}),
    ("dtsen", "Anggota Keluarga"): frozenset({"id_keluarga_dtsen", "nik", "nama"}),
    ("intervensi", "Data"): frozenset({"kode_program", "nik", "nama", "kode_desa"}),
    ("anggaran", "Sub Kegiatan"): frozenset({"kode_sub_giat", "pagu"}),
    ("anggaran", "Realisasi"): frozenset({"kode_sub_giat", "bulan", "realisasi_anggaran"}),
}

TEXT_COLUMNS = frozenset({
    "nik", "no_kk", "nik_kepala_keluarga", "kode_desa", "id_dtks", "id_keluarga_p3ke", "id_individu_p3ke",
    "id_keluarga_dtsen", "id_individu_dtsen",
    # nomenclature codes: as numbers Excel would turn 1.06 into 1,06 and drop trailing zeros
    "kode_skpd", "kode_program_apbd", "kode_giat", "kode_sub_giat",
})  # fmt: skip
SIXTEEN_DIGITS = frozenset({"nik", "no_kk", "nik_kepala_keluarga"})
DATE_COLUMNS = {
    # column -> (earliest date, latest date as an Excel formula)
    "tanggal_lahir": (dt.date(1900, 1, 1), "=TODAY()"),
    "tanggal_salur": (dt.date(2015, 1, 1), "=TODAY()+31"),
}
DATE_FORMAT = "dd-mm-yyyy"
STATUS_KAWIN = ("Belum Kawin", "Kawin", "Cerai Hidup", "Cerai Mati")

EXAMPLES = {
    "id_dtks": "3201234567890123",
    "kode_desa": "5205012001",
    "alamat": "Dusun Sori, RT 002/RW 001",
    "no_kk": "5205010101200003",
    "nik": "5205014708850003",
    "nama": "Siti Aminah",
    "jenis_kelamin": "P",
    "tempat_lahir": "Dompu",
    "tanggal_lahir": "07-08-1985",
    "hubungan_keluarga": "Istri",
    "status_kawin": "Kawin",
    "pekerjaan": "Petani",
    "disabilitas": "Tidak",
    "id_keluarga_p3ke": "P3KE520501000123",
    "nik_kepala_keluarga": "5205011203800001",
    "nama_kepala_keluarga": "Ahmad Yani",
    "jenis_kelamin_kepala_keluarga": "L",
    "desil": "1",
    "jumlah_anggota": "4",
    "id_individu_p3ke": "P3KE520501000123-02",
    "id_keluarga_dtsen": "DTSEN5205010000456",
    "id_individu_dtsen": "DTSEN5205010000456-02",
    "desil_nasional": "3",
    "desil_provinsi": "2",
    "desil_kabupaten_kota": "4",
    "kode_program": "PKH",
    "tahap": "2",
    "nilai_bantuan": "750000",
    "tanggal_salur": "15-11-2026",
    "tahun_anggaran": "2026",
    "kode_skpd": "1.06.0.00.0.00.01.0000",
    "nama_skpd": "Dinas Sosial",
    "kode_program_apbd": "1.06.04",
    "kode_giat": "1.06.04.2.01",
    "kode_sub_giat": "1.06.04.2.01.0002",
    "nama_sub_giat": "Pemberian Permakanan bagi Penyandang Disabilitas Terlantar",
    "nama_dana": "DAU",
    "pagu": "1500000000",
    "bulan": "9",
    "realisasi_anggaran": "250000000",
    "realisasi_fisik": "60",
    "kelompok_teks": "Kemiskinan Ekstrem",
    "strategi_teks": "Mengurangi beban pengeluaran masyarakat",
}


# --------------------------------------------------------------------------------------------- programmes


def load_programme_list(directory: Path | None = None) -> list[dict]:
    """The programme rows of `program.csv` (then `program_lokal_*.csv`), as dicts, codes upper-cased."""
    from satudata.config import reference_dir

    directory = Path(directory or reference_dir())
    rows: dict[str, dict] = {}
    for path in [directory / "program.csv", *sorted(directory.glob("program_lokal_*.csv"))]:
        if not path.exists():
            continue
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                code = (row.get("kode_program") or "").strip().upper()
                if code:
                    rows[code] = {k: (v or "").strip() for k, v in row.items() if k} | {"kode_program": code}
    return list(rows.values())


# --------------------------------------------------------------------------------------------- writing


class _Lists:
    """Dropdown sources: short lists inline, long ones on the hidden "Daftar" sheet."""

    def __init__(self, book):
        self.book = book
        self.sheet = None
        self.next_col = 0

    def source(self, title: str, values: Sequence[str]):
        values = [str(v) for v in values]
        if values and len(",".join(values)) <= LIST_LIMIT and not any("," in v for v in values):
            return values
        if self.sheet is None:
            self.sheet = self.book.add_worksheet("Daftar")
            self.sheet.hide()
        col = self.next_col
        self.next_col += 1
        self.sheet.write_string(0, col, title)
        for i, value in enumerate(values, start=1):
            self.sheet.write_string(i, col, value)
        letter = _col_letter(col)
        return f"=Daftar!${letter}$2:${letter}${max(len(values), 1) + 1}"


def _col_letter(col: int) -> str:
    from xlsxwriter.utility import xl_col_to_name

    return xl_col_to_name(col)


# Dropdowns and checks that are the same in every template, by column (copied per use: XlsxWriter keeps them).
_DESIL_DTSEN = {
    "validate": "whole", "criteria": "between", "minimum": 1, "maximum": 10,
    "input_title": "Desil DTSEN", "input_message": "Angka 1 sampai 10 (1 = paling miskin).",
    "error_title": "Desil tidak valid", "error_message": "Desil DTSEN hanya boleh 1 sampai 10.",
}  # fmt: skip
_JENIS_KELAMIN = {
    "validate": "list", "source": ["L", "P"],
    "input_title": "Jenis kelamin", "input_message": "L = laki-laki, P = perempuan.",
    "error_title": "Jenis kelamin tidak valid", "error_message": "Isi L (laki-laki) atau P (perempuan).",
}  # fmt: skip
_FIXED_VALIDATIONS: dict[str, dict] = {
    "desil": {
        "validate": "list", "source": ["1", "2", "3", "4"],
        "input_title": "Desil", "input_message": "Pilih 1, 2, 3 atau 4 (1 = paling miskin).",
        "error_title": "Desil tidak valid", "error_message": "Desil hanya boleh 1, 2, 3 atau 4.",
    },
    "desil_nasional": _DESIL_DTSEN, "desil_provinsi": _DESIL_DTSEN, "desil_kabupaten_kota": _DESIL_DTSEN,
    "jenis_kelamin": _JENIS_KELAMIN, "jenis_kelamin_kepala_keluarga": _JENIS_KELAMIN,
    "disabilitas": {
        "validate": "list", "source": ["Ya", "Tidak"],
        "error_title": "Isian tidak valid", "error_message": "Isi Ya atau Tidak.",
    },
    "status_kawin": {
        "validate": "list", "source": list(STATUS_KAWIN), "error_type": "warning",
        "error_title": "Status kawin", "error_message": "Sebaiknya pilih dari daftar. Tetap simpan isian ini?",
    },
    "bulan": {
        "validate": "whole", "criteria": "between", "minimum": 1, "maximum": 12,
        "input_title": "Bulan realisasi", "input_message": "Angka 1 sampai 12.",
        "error_title": "Bulan tidak valid", "error_message": "Bulan hanya boleh 1 sampai 12.",
    },
    "kode_desa": {
        "validate": "length", "criteria": "between", "minimum": 10, "maximum": 13, "error_type": "warning",
        "input_title": "Kode desa Kemendagri",
        "input_message": "10 angka, contoh 5205012001 atau 52.05.01.2001. Bukan kode BPS.",
        "error_title": "Kode desa",
        "error_message": "Kode desa Kemendagri terdiri dari 10 angka (boleh dengan titik: 52.05.01.2001).",
    },
}  # fmt: skip


def _validations(columns: Sequence[str], programmes: list[dict], lists: _Lists) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for column in columns:
        validation = _validation(column, programmes, lists)
        if validation is not None:
            out[column] = validation
    return out


def _validation(column: str, programmes: list[dict], lists: _Lists) -> dict | None:
    """The data validation of a column, or None; a long dropdown list goes to the "Daftar" sheet."""
    if column in _FIXED_VALIDATIONS:
        return copy.deepcopy(_FIXED_VALIDATIONS[column])
    title = COLUMN_LABELS.get(column, column)[:32]
    if column == "hubungan_keluarga":
        return {
            "validate": "list", "source": lists.source("hubungan_keluarga", HUBUNGAN_KELUARGA),
            "input_title": "Hubungan keluarga", "input_message": "Pilih dari daftar.",
            "error_title": "Hubungan keluarga tidak valid",
            "error_message": f"Pilih salah satu: {', '.join(HUBUNGAN_KELUARGA)}."[:255],
        }
    if column == "kode_program":
        codes = [p["kode_program"] for p in programmes]
        if not codes:
            return None
        return {
            "validate": "list", "source": lists.source("kode_program", codes),
            "input_title": "Kode program", "input_message": "Pilih kode program (lihat lembar Daftar Program).",
            "error_title": "Kode program tidak dikenal",
            "error_message": "Pilih kode dari daftar. Program daerah yang belum terdaftar: hubungi tim data.",
        }
    if column in ("pagu", "realisasi_anggaran"):
        return {
            "validate": "decimal", "criteria": ">=", "value": 0,
            "input_title": title, "input_message": "Rupiah, angka tanpa 'Rp'.",
            "error_title": "Rupiah tidak valid", "error_message": "Tulis angka rupiah 0 atau lebih.",
        }
    if column in DATE_COLUMNS:
        earliest, latest = DATE_COLUMNS[column]
        return {
            "validate": "date", "criteria": "between", "minimum": earliest, "maximum": latest,
            "input_title": title, "input_message": "Tulis tanggal sebagai HH-BB-TTTT, contoh 17-08-1985.",
            "error_title": "Tanggal tidak valid",
            "error_message": (
                f"Tanggal tidak ada atau tidak wajar (harus antara {earliest:%d-%m-%Y} dan "
                + ("hari ini" if latest == "=TODAY()" else "satu bulan setelah hari ini")
                + "). Tulis sebagai HH-BB-TTTT, contoh 17-08-1985."
            ),
        }
    if column in SIXTEEN_DIGITS:
        return {
            "validate": "length", "criteria": "==", "value": 16,
            "input_title": title, "input_message": "16 angka, tanpa spasi atau titik. Sel ini berformat Teks.",
            "error_title": "Harus 16 angka",
            "error_message": "NIK dan Nomor KK terdiri dari tepat 16 angka. Periksa KTP/Kartu Keluarga.",
        }
    return None


def _write_data_sheet(book, name: str, jenis: str, columns: Sequence[str], programmes: list[dict],
                      lists: _Lists, formats: dict) -> None:
    sheet = book.add_worksheet(name)
    required = REQUIRED.get((jenis, name), frozenset())
    validations = _validations(columns, programmes, lists)
    for col, column in enumerate(columns):
        label = COLUMN_LABELS.get(column, column)
        width = max(len(column), len(label)) + 4
        if column in SIXTEEN_DIGITS or column.startswith("id_"):
            width = max(width, 22)
        if column in ("alamat", "nama", "nama_kepala_keluarga"):
            width = max(width, 30)
        column_format = (formats["text"] if column in TEXT_COLUMNS
                         else formats["date"] if column in DATE_COLUMNS else None)
        sheet.set_column(col, col, width, column_format)
        sheet.write_string(0, col, column, formats["header_required" if column in required else "header"])
        note = f"{label}" + (" — WAJIB diisi." if column in required else " — boleh kosong bila tidak ada.")
        note += "\n\n" + COLUMN_HELP.get(column, "")
        if column in EXAMPLES:
            note += f"\n\nContoh: {EXAMPLES[column]}"
        sheet.write_comment(0, col, note, {"x_scale": 3, "y_scale": 2.2, "author": "Satu Data Kemiskinan"})
        if column in validations:
            sheet.data_validation(1, col, EXCEL_LAST_ROW, col, validations[column])
    # Cell-by-cell formats on the first rows: Excel keeps whatever is typed or pasted there as text/date.
    cell_formats = [(col, formats["text"] if c in TEXT_COLUMNS else formats["date"])
                    for col, c in enumerate(columns) if c in TEXT_COLUMNS or c in DATE_COLUMNS]
    for row in range(1, TEMPLATE_ROWS + 1):
        for col, fmt in cell_formats:
            sheet.write_blank(row, col, None, fmt)
    sheet.freeze_panes(1, 0)
    sheet.set_row(0, 30)


def _write_petunjuk(sheet, jenis: str, formats: dict) -> None:
    """The "Petunjuk" sheet: the texts of `include/pesan/petunjuk.yaml`, filled for `jenis`."""
    sheet.set_column(0, 0, 4)
    sheet.set_column(1, 1, 110, formats["wrap"])
    sheet.write_string(0, 0, PETUNJUK["judul"].format(nama_jenis=JENIS_LABELS[jenis].upper()), formats["title"])
    row = 2
    for number, text in enumerate(_petunjuk_points(jenis), start=1):
        sheet.write_string(row, 0, f"{number}.", formats["bold"])
        sheet.write_string(row, 1, text, formats["wrap"])
        row += 1
    row += 1
    # every column of every data sheet: wajib or not, what it holds, an example
    words = PETUNJUK["daftar_kolom"]
    for name, columns in TEMPLATE_SHEETS[jenis].items():
        required = REQUIRED.get((jenis, name), frozenset())
        sheet.write_string(row, 1, words["lembar"].format(lembar=name), formats["bold"])
        row += 1
        sheet.write_string(row, 1, words["judul"], formats["header"])
        row += 1
        for column in columns:
            text = words["baris"].format(kolom=column, label=COLUMN_LABELS.get(column, column),
                                         wajib=words["wajib" if column in required else "tidak_wajib"],
                                         bantuan=COLUMN_HELP.get(column, ""))
            if column in EXAMPLES:
                text += words["contoh"].format(contoh=EXAMPLES[column])
            sheet.write_string(row, 1, text, formats["wrap"])
            row += 1
        row += 1


def _petunjuk_points(jenis: str) -> list[str]:
    """The numbered instructions of the "Petunjuk" sheet for `jenis`: every template's, some replaced, then
    the jenis' own (petunjuk.yaml: poin, ganti_poin, tambah_poin)."""
    values = {"lembar": enumeration([f"'{s}'" for s in TEMPLATE_SHEETS[jenis]]),
              "satu_baris": PETUNJUK["satu_baris"][jenis], "contoh_berkas": PETUNJUK["contoh_berkas"][jenis],
              "jenis": jenis}
    replaced = PETUNJUK["ganti_poin"].get(jenis, {})
    points = [replaced.get(key, text) for key, text in PETUNJUK["poin"].items()]
    points += PETUNJUK["tambah_poin"].get(jenis, {}).values()
    return [text.format(**values) for text in points]


def _write_programmes(sheet, programmes: list[dict], formats: dict) -> None:
    headers = ("Kode Program", "Nama Program", "Sasaran", "Desil Maksimal", "Penyelenggara", "Keterangan")
    keys = ("kode_program", "nama_program", "unit", "desil_maks", "penyelenggara", "keterangan")
    widths = (18, 50, 12, 15, 35, 80)
    for col, (header, width) in enumerate(zip(headers, widths, strict=True)):
        sheet.set_column(col, col, width)
        sheet.write_string(0, col, header, formats["header"])
    for row, programme in enumerate(programmes, start=1):
        for col, key in enumerate(keys):
            value = str(programme.get(key) or "")
            if value:
                sheet.write_string(row, col, value)
    sheet.freeze_panes(1, 0)


def write_template(jenis: str, out: Path, programmes: list[dict] | None = None) -> Path:
    """Write the operator template for `jenis` (dtks | p3ke | dtsen | intervensi) to `out`, atomically."""
    if jenis not in TEMPLATE_SHEETS:
        raise ValueError(f"unknown jenis {jenis!r}; expected one of {', '.join(TEMPLATE_SHEETS)}")
    if programmes is None:
        programmes = load_programme_list()
    programmes = [p | {"kode_program": str(p["kode_program"]).strip().upper()} for p in programmes
                  if str(p.get("kode_program") or "").strip()]
    workbook = StyledWorkbook(title=f"Template {JENIS_LABELS[jenis]}", comments="Isi sesuai lembar Petunjuk.")
    book = workbook.book
    formats = {
        "title": workbook.style("title"),
        "bold": workbook.style("label"),
        "wrap": workbook.style("wrap"),
        "header": workbook.style("header"),
        "header_required": workbook.add_format({"bold": True, "bg_color": "#9BC2E6", "border": 1,
                                                "valign": "vcenter"}),
        "text": workbook.style("text"),
        "date": workbook.add_format({"num_format": DATE_FORMAT}),
    }
    petunjuk = book.add_worksheet("Petunjuk")
    _write_petunjuk(petunjuk, jenis, formats)
    lists = _Lists(book)
    for name, columns in TEMPLATE_SHEETS[jenis].items():
        _write_data_sheet(book, name, jenis, columns, programmes, lists, formats)
    if jenis == "intervensi":
        _write_programmes(book.add_worksheet("Daftar Program"), programmes, formats)
    petunjuk.activate()
    return workbook.save(out)


__all__ = ["REQUIRED", "TEMPLATE_ROWS", "TEMPLATE_SHEETS", "TEXT_COLUMNS", "load_programme_list", "write_template"]
