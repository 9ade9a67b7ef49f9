"""Clerical review: uncertain pairs go to the regency as a workbook, its decisions come back and override the model.

    write_review_workbook(outbox/<kode_kab>/review_padanan_<periode>.xlsx, pairs, kode_kab=..., periode=...)
    # the operator fills `keputusan` (SAMA / BEDA) and drops the file in inbox/<kode_kab>/review/
    decisions, problems = read_review_decisions(path)
    store_decisions(conn, decisions, kode_kab=..., submission_id=..., decided_at=..., periode_review=...)
    latest_decisions(conn, kode_kab)  # what the linker applies on its next run

The workbook ("Review Padanan" + "Petunjuk", in Bahasa Indonesia) has title rows, a row of merged group
cells (PASANGAN / DTKS / P3KE / HASIL PENCOCOKAN / DIISI OPERATOR) and one real header row whose cells are
the machine names (`id_dtks`, `id_individu_p3ke`, `nik_dtks` ... `keputusan`, `diperiksa_oleh`, `catatan`).
NIK, KK, ids and region codes are text cells (Excel keeps only 15 significant digits of a number).

The reader finds that header row by its names (case, spaces, punctuation and a parenthetical ignored, plus
the variants operators type, `ALIASES`), in xlsx/xls (opened like intake does, with its zip-bomb checks)
and in CSV re-saves (intake's sniffing: UTF-8, UTF-8 with BOM, Windows-1252, UTF-16; `,` `;` tab `|`).
Row numbers (`baris`) are the ones the operator sees in Excel. A blank decision is no decision; an
unreadable one, a row without its ids, and a pair decided both ways in one file are problems (rule codes
of `intake.messages.RULES`). A file without the id/decision columns raises `ReviewFileError`.

History is append-only (`core.keputusan_review`); the newest decision per (kode_kab, pair) wins. Only
pairs queued for that regency (`core.antrian_review`, any periode) are stored.

Intake hands every file of `inbox/<kode_kab>/review/` to `process_review_submission`, which stores the
usable decisions and records the ledger status in one transaction, and answers the regency in
`outbox/<kode_kab>/<file>.laporan.xlsx`.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import logging
import math
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from satudata.fileio import write_atomically
from satudata.intake import ledger
from satudata.intake.ledger import Submission
from satudata.intake.messages import RULES, format_fix, format_message, status_info
from satudata.intake.report import format_when
from satudata.intake.run import ProcessResult, finish_rejected, result_of
from satudata.intake.scan import safe_name
from satudata.normalise.periode import period_from_name, periode_text
from satudata.reference.wilayah import Wilayah
from satudata.sheets import sniff
from satudata.sheets.style import HEADER, HEADER_OPERATOR, TITLE
from satudata.sheets.workbook import FileRejected, open_xls, open_xlsx
from satudata.warehouse.engine import bulk_insert, read_frame

if TYPE_CHECKING:
    from satudata.config import Settings

log = logging.getLogger(__name__)

SHEET_REVIEW = "Review Padanan"
SHEET_PETUNJUK = "Petunjuk"
SIDES = ("dtks", "p3ke")
SIDE_FIELDS = ("nik", "no_kk", "nama", "jenis_kelamin", "tempat_lahir", "tanggal_lahir", "hubungan_keluarga",
               "kode_desa", "alamat")
ID_COLUMNS = ("id_dtks", "id_individu_p3ke")
OPERATOR_COLUMNS = ("keputusan", "diperiksa_oleh", "catatan")
REQUIRED_COLUMNS = ("id_dtks", "id_individu_p3ke", "keputusan")
SAMA, BEDA = "sama", "beda"
HEADER_SEARCH_ROWS = 30
DECISION_COLUMNS = ["baris", "id_dtks", "id_individu_p3ke", "keputusan", "diperiksa_oleh", "catatan"]
PROBLEM_COLUMNS = ["baris", "kolom", "nilai", "aturan", "pesan", "id_dtks", "id_individu_p3ke"]
LATEST_COLUMNS = ["kode_kab", "id_dtks", "id_individu_p3ke", "keputusan", "diputuskan_oleh", "diputuskan_pada",
                  "submission_id", "catatan"]

# Spellings of a decision, compared after upper-casing and dropping everything but letters and digits.
SAMA_WORDS = frozenset({"SAMA", "S", "YA", "Y", "IYA", "COCOK", "BENAR", "SAMAORANG", "ORANGSAMA", "1", "TRUE"})
BEDA_WORDS = frozenset({"BEDA", "B", "BERBEDA", "TIDAK", "T", "TDK", "TIDAKCOCOK", "TIDAKSAMA", "BUKAN", "SALAH",
                        "BEDAORANG", "ORANGBEDA", "0", "FALSE"})

# canonical column -> header variants operators produce (normalised by `_header_key`).
ALIASES: dict[str, tuple[str, ...]] = {
    "id_dtks": ("id_dtks", "ID DTKS", "IDDTKS", "ID Individu DTKS", "ID ART DTKS"),
    "id_individu_p3ke": ("id_individu_p3ke", "ID Individu P3KE", "ID P3KE", "ID Individu", "ID ART P3KE",
                         "ID Anggota P3KE"),
    "keputusan": ("keputusan", "Keputusan (SAMA/BEDA)", "Keputusan Review", "Keputusan Operator", "Hasil Review",
                  "Hasil Pemeriksaan", "Putusan"),
    "diperiksa_oleh": ("diperiksa_oleh", "Diperiksa Oleh", "Pemeriksa", "Nama Pemeriksa", "Petugas",
                       "Nama Petugas", "Verifikator", "Diputuskan Oleh", "Reviewer"),
    "catatan": ("catatan", "Catatan", "Keterangan", "Ket", "Catatan Pemeriksa", "Catatan Operator"),
}

# What the operator reads on the workbook.
_SIDE_GROUP = {"dtks": "DTKS", "p3ke": "P3KE"}
_WIDTHS = {"id_dtks": 18, "id_individu_p3ke": 18, "nik": 19, "no_kk": 19, "nama": 26, "jenis_kelamin": 8,
           "tempat_lahir": 15, "tanggal_lahir": 13, "hubungan_keluarga": 18, "kode_desa": 12, "alamat": 30,
           "kemiripan": 11, "alasan": 46, "keputusan": 13, "diperiksa_oleh": 20, "catatan": 34}
_TEXT_FIELDS = frozenset({"nik", "no_kk", "kode_desa"})
_PAIR_COLUMNS = "id_dtks dan id_individu_p3ke"  # a problem of the pair as a whole
_PETUNJUK = {
    "Apa isi berkas ini": (
        "Berkas ini berisi pasangan data DTKS dan P3KE yang mungkin adalah orang yang sama, tetapi sistem tidak "
        "cukup yakin. Setiap baris di lembar 'Review Padanan' memuat satu pasangan: data DTKS di kiri, data P3KE di "
        "kanan, lalu 'kemiripan' (perkiraan sistem bahwa keduanya orang yang sama; 100% = pasti sama) dan 'alasan' "
        "(bagian data yang sama atau berbeda). Sel P3KE yang isinya berbeda dengan DTKS diberi warna kuning. "
        "Pasangan diurutkan dari kemiripan tertinggi."),
    "Cara mengisi": (
        "Periksa kedua data (bila perlu cocokkan dengan KTP, Kartu Keluarga, atau tanyakan kepada petugas desa), "
        "lalu isi kolom 'keputusan' (pilih dari daftar pada sel):\n"
        "  SAMA  = kedua data adalah orang yang sama.\n"
        "  BEDA  = kedua data adalah dua orang yang berbeda.\n"
        "  kosong = belum diputuskan; pasangan tetap menunggu dan boleh diputuskan kemudian.\n"
        "Isi 'diperiksa_oleh' dengan nama petugas yang memeriksa, dan 'catatan' bila perlu (misalnya: NIK di P3KE "
        "salah ketik)."),
    "Yang tidak boleh diubah": (
        "Jangan mengubah atau menghapus isi kolom id_dtks dan id_individu_p3ke, dan jangan mengganti judul kolom: "
        "dengan kedua ID itulah keputusan Anda dikenali. Menyaring (filter) dan mengurutkan seluruh tabel boleh. "
        "Jangan menambah baris pasangan baru: hanya pasangan yang ada di berkas ini yang dapat diputuskan."),
    "Mengirim kembali": (
        "Simpan sebagai Excel Workbook (.xlsx), boleh dengan nama yang sama, lalu letakkan di folder "
        "inbox/{kode_kab}/review/. Tidak perlu menunggu semua pasangan selesai: berkas boleh dikirim beberapa kali, "
        "dan untuk setiap pasangan yang dipakai adalah keputusan yang terakhir diterima. Jawaban otomatis (laporan) "
        "muncul di folder outbox/{kode_kab}/."),
    "Kapan keputusan berlaku": (
        "Keputusan dipakai pada harmonisasi berikutnya (proses padanan DTKS–P3KE): SAMA menghubungkan kedua data "
        "sebagai satu orang, BEDA memisahkannya, walaupun penilaian sistem berbeda. Setiap keputusan dicatat "
        "bersama nama pemeriksa dan waktu diterimanya."),
    "Data pribadi": (
        "Berkas ini berisi NIK dan nama (data pribadi, UU 27/2022 tentang Pelindungan Data Pribadi). Jangan "
        "mengirimnya melalui surel atau aplikasi pesan; simpan hanya di folder bersama yang disediakan."),
}
_LANGKAH = {
    "accepted": "Semua keputusan yang diisi sudah dicatat dan akan dipakai pada proses harmonisasi berikutnya. "
                "Pasangan yang belum diputuskan boleh diputuskan kemudian: isi kolom keputusan di berkas review "
                "yang sama, lalu letakkan lagi di folder inbox/{kode_kab}/review/.",
    "partial": "Keputusan yang benar sudah dicatat dan akan dipakai pada proses harmonisasi berikutnya. Keputusan "
               "pada baris yang tercantum di lembar 'Masalah' tidak dipakai: perbaiki baris itu di berkas review "
               "Anda (lihat kolom 'Cara memperbaiki'), lalu letakkan lagi berkasnya di folder "
               "inbox/{kode_kab}/review/. Mengirim ulang seluruh berkas tidak apa-apa: keputusan yang sama "
               "dicatat lagi, dan yang terakhir diterima yang dipakai.",
    "rejected": "Tidak ada keputusan dari berkas ini yang dicatat. Baca alasan dan cara memperbaikinya di atas, "
                "perbaiki berkas, lalu letakkan lagi di folder inbox/{kode_kab}/review/. Keputusan yang sudah "
                "diterima sebelumnya tetap berlaku.",
}


class ReviewFileError(Exception):
    """The file cannot be used at all. `code` is a file reason of `intake.messages.FILE_REASONS`; `detail`
    fills its placeholders (`kolom`) and carries an English `detail` for the logs."""

    def __init__(self, code: str, detail: dict | str | None = None):
        detail = {"detail": detail} if isinstance(detail, str) else dict(detail or {})
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


# --------------------------------------------------------------------------------------------- helpers


def _missing(value) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, np.datetime64) and np.isnat(value)


def _ascii_lower(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


def _header_key(value) -> str:
    """'Keputusan (SAMA/BEDA)' -> 'keputusan', 'ID DTKS' / 'id_dtks' -> 'iddtks'."""
    if _missing(value):
        return ""
    text = _ascii_lower(str(value))
    key = re.sub(r"[^a-z0-9]+", "", re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text))
    return key or re.sub(r"[^a-z0-9]+", "", text)


_HEADER_INDEX: dict[str, str] = {_header_key(v): c for c, variants in ALIASES.items() for v in variants}


def _decision_key(value) -> str:
    return re.sub(r"[^A-Z0-9]+", "", _ascii_lower(str(value)).upper())


def _display(value) -> str | None:
    """A cell as the operator sees it (for messages)."""
    if _missing(value):
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() else repr(value)
    if isinstance(value, (datetime, date)):
        return value.strftime("%d-%m-%Y")
    text = str(value).strip()
    return text or None


_SCIENTIFIC = re.compile(r"^[0-9]+(?:[.,][0-9]+)?[eE]\+?[0-9]+$")


def _id_text(value) -> tuple[str | None, bool]:
    """(id as text, damaged): a 16+ digit id stored by Excel as a number has lost its last digits."""
    if _missing(value):
        return None, False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not value.is_integer():
            return repr(value), False
        return f"{value:.0f}", abs(value) >= 1e15
    text = str(value).strip()
    if not text:
        return None, False
    return text, bool(_SCIENTIFIC.match(text))


def _decision(value) -> str | None:
    """'sama', 'beda', None (blank: not decided) or '?' (not readable)."""
    if _missing(value):
        return None
    if isinstance(value, bool):
        return SAMA if value else BEDA
    if isinstance(value, (int, float)):
        return SAMA if value == 1 else BEDA if value == 0 else "?"
    key = _decision_key(value)
    if not key:
        return None  # blank, or only '-' / '.': nothing decided
    if key in SAMA_WORDS:
        return SAMA
    if key in BEDA_WORDS:
        return BEDA
    return "?"


def _optional_text(value) -> str | None:
    text = _display(value)
    return text[:2000] if text else None


def _problem(baris: int, kolom: str | None, nilai, aturan: str, id_dtks=None, id_p3ke=None) -> dict:
    rule = RULES.get(aturan)
    return {"baris": baris, "kolom": kolom, "nilai": nilai, "aturan": aturan,
            "pesan": rule.pesan if rule else format_message(aturan), "id_dtks": id_dtks, "id_individu_p3ke": id_p3ke}


def _problems_frame(items: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(items, columns=PROBLEM_COLUMNS, dtype=object)
    frame["baris"] = frame["baris"].astype("int64")
    return frame.sort_values(["baris", "kolom"], kind="stable", na_position="first").reset_index(drop=True)


def _atomic_write(path: Path, build: Callable[[io.BytesIO], None]) -> Path:
    """Build a workbook in memory, then write it whole or not at all."""

    buffer = io.BytesIO()
    build(buffer)
    return write_atomically(path, buffer.getvalue())


def _new_book(buffer: io.BytesIO):
    import xlsxwriter

    return xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False})


def _kabupaten(kode_kab: str) -> str:
    try:

        name = Wilayah.load().name(kode_kab)
    except Exception:  # noqa: BLE001 - a missing name never stops the workbook
        name = None
    return f"{name} ({kode_kab})" if name else kode_kab


# --------------------------------------------------------------------------------------------- workbook


def _layout() -> list[tuple[str, str, str | None]]:
    """[(column name in the header row, group, field)] in sheet order."""
    columns = [("id_dtks", "PASANGAN (jangan diubah)", None), ("id_individu_p3ke", "PASANGAN (jangan diubah)", None)]
    for side in SIDES:
        columns += [(f"{f}_{side}", _SIDE_GROUP[side], f) for f in SIDE_FIELDS]
    columns += [("kemiripan", "HASIL PENCOCOKAN", None), ("alasan", "HASIL PENCOCOKAN", None)]
    columns += [(c, "DIISI OPERATOR", None) for c in OPERATOR_COLUMNS]
    return columns


def write_review_workbook(path: Path, pairs: pd.DataFrame, *, kode_kab: str, periode: str) -> Path:
    """Write `outbox/<kode_kab>/review_padanan_<periode>.xlsx` for the regency (atomically). Returns the path.

    `pairs`: id_dtks, id_individu_p3ke, match_probability (0..1), match_reason and, per side s in (dtks, p3ke),
    nik_s, no_kk_s, nama_s, jenis_kelamin_s, tempat_lahir_s, tanggal_lahir_s, hubungan_keluarga_s, kode_desa_s,
    alamat_s (any side column may be missing or null). Rows are written by probability, highest first.
    """
    pairs = pairs.copy() if pairs is not None else pd.DataFrame(columns=list(ID_COLUMNS))
    for column in (*ID_COLUMNS, "match_probability", "match_reason"):
        if column not in pairs:
            pairs[column] = None
    pairs["_p"] = pd.to_numeric(pairs["match_probability"], errors="coerce")
    pairs = pairs.sort_values(["_p", "id_dtks", "id_individu_p3ke"], ascending=[False, True, True],
                              kind="stable", na_position="last").reset_index(drop=True)
    layout = _layout()

    def build(buffer: io.BytesIO) -> None:
        book = _new_book(buffer)
        book.set_properties({"title": f"Review padanan DTKS-P3KE {kode_kab} {periode}",
                             "author": "Satu Data Kemiskinan"})
        add = book.add_format
        fmt = {
            "title": add(TITLE),
            "note": add({"italic": True, "font_color": "#595959"}),
            "group": add({"bold": True, "align": "center", "valign": "vcenter", "border": 1, "bg_color": "#BDD7EE"}),
            "group_op": add({"bold": True, "align": "center", "valign": "vcenter", "border": 1,
                             "bg_color": "#FFE699"}),
            "header": add(HEADER),
            "header_op": add(HEADER_OPERATOR),
            "id": add({"num_format": "@", "bg_color": "#F2F2F2"}),
            "text": add({"num_format": "@"}),
            "plain": add({}),
            "date": add({"num_format": "dd-mm-yyyy", "align": "left"}),
            "percent": add({"num_format": "0.0%", "align": "center"}),
            "wrap": add({"text_wrap": True, "valign": "top"}),
            "operator": add({"num_format": "@", "bg_color": "#FFF2CC", "border": 1, "border_color": "#BFBFBF"}),
            "differs": add({"bg_color": "#FFEB9C"}),
            "sama": add({"bg_color": "#C6EFCE", "font_color": "#006100", "bold": True}),
            "beda": add({"bg_color": "#FFC7CE", "font_color": "#9C0006", "bold": True}),
        }
        sheet = book.add_worksheet(SHEET_REVIEW)
        _review_sheet(sheet, fmt, layout, pairs, kode_kab, periode)
        _petunjuk_sheet(book.add_worksheet(SHEET_PETUNJUK), fmt, kode_kab, periode)
        sheet.activate()
        book.close()

    written = _atomic_write(path, build)
    log.info("review workbook %s: %d pair(s) for %s %s", written, len(pairs), kode_kab, periode)
    return written


def _review_sheet(sheet, fmt: dict, layout, pairs: pd.DataFrame, kode_kab: str, periode: str) -> None:
    from xlsxwriter.utility import xl_col_to_name

    group_row, header_row = 3, 4
    first = header_row + 1
    n = len(pairs)
    sheet.write_string(0, 0, f"REVIEW PADANAN DTKS – P3KE · {_kabupaten(kode_kab)} · Periode: {periode}",
                       fmt["title"])
    sheet.write_string(1, 0, "Isi kolom 'keputusan': SAMA jika kedua data adalah orang yang sama, BEDA jika orang "
                             "yang berbeda, kosongkan jika belum yakin. Baca lembar 'Petunjuk' sebelum mengisi.",
                       fmt["note"])
    sheet.write_string(2, 0, f"Jumlah pasangan yang perlu direview: {n}." if n else
                       "Tidak ada pasangan yang perlu direview untuk periode ini.", fmt["note"])
    position = {name: i for i, (name, _, _) in enumerate(layout)}
    start = 0
    for i in range(1, len(layout) + 1):  # merged group cells over each run of columns of one group
        if i == len(layout) or layout[i][1] != layout[start][1]:
            group = layout[start][1]
            style = fmt["group_op"] if group == "DIISI OPERATOR" else fmt["group"]
            if i - 1 > start:
                sheet.merge_range(group_row, start, group_row, i - 1, group, style)
            else:
                sheet.write_string(group_row, start, group, style)
            start = i
    for col, (name, group, field_name) in enumerate(layout):
        operator = group == "DIISI OPERATOR"
        sheet.write_string(header_row, col, name, fmt["header_op"] if operator else fmt["header"])
        width = _WIDTHS.get(field_name or name, 14)
        if name in ID_COLUMNS:
            style = fmt["id"]
        elif operator:
            style = fmt["operator"]
        elif field_name in _TEXT_FIELDS:
            style = fmt["text"]
        else:
            style = None
        sheet.set_column(col, col, width, style)
    sheet.set_row(group_row, 20)

    columns = {name: (pairs[name].tolist() if name in pairs else [None] * n) for name, _, _ in layout
               if name not in ("kemiripan", "alasan", *OPERATOR_COLUMNS)}
    probability = pairs["_p"].tolist()
    reasons = pairs["match_reason"].tolist()
    for r in range(n):
        row = first + r
        for col, (name, _group, field_name) in enumerate(layout):
            if name == "kemiripan":
                p = probability[r]
                if not _missing(p):
                    sheet.write_number(row, col, float(p), fmt["percent"])
                continue
            if name == "alasan":
                text = _display(reasons[r])
                if text:
                    sheet.write_string(row, col, text[:32_767], fmt["wrap"])
                continue
            if name in OPERATOR_COLUMNS:
                continue
            value = columns[name][r]
            if _missing(value):
                continue
            if field_name == "tanggal_lahir" and isinstance(value, (datetime, date, pd.Timestamp, np.datetime64)):
                stamp = pd.Timestamp(value)
                sheet.write_datetime(row, col, stamp.to_pydatetime().replace(tzinfo=None), fmt["date"])
                continue
            style = fmt["id"] if name in ID_COLUMNS else fmt["text"] if field_name in _TEXT_FIELDS else fmt["plain"]
            text = _display(value) if not isinstance(value, str) else value.strip()
            if text:
                sheet.write_string(row, col, text[:32_767], style)

    last_col = len(layout) - 1
    sheet.freeze_panes(first, 2)
    sheet.autofilter(header_row, 0, header_row + max(n, 1), last_col)
    if n:
        last = first + n - 1
        decision = position["keputusan"]
        sheet.data_validation(first, decision, last, decision, {
            "validate": "list", "source": ["SAMA", "BEDA"], "ignore_blank": True,
            "input_title": "Keputusan", "input_message": "SAMA = orang yang sama\nBEDA = orang berbeda\n"
                                                         "kosong = belum diputuskan",
            "error_title": "Pilih SAMA atau BEDA", "error_type": "stop",
            "error_message": "Isi hanya SAMA atau BEDA (pilih dari daftar), atau kosongkan sel jika belum yakin.",
        })
        sheet.conditional_format(first, decision, last, decision,
                                 {"type": "cell", "criteria": "==", "value": '"SAMA"', "format": fmt["sama"]})
        sheet.conditional_format(first, decision, last, decision,
                                 {"type": "cell", "criteria": "==", "value": '"BEDA"', "format": fmt["beda"]})
        for field_name in SIDE_FIELDS:  # a P3KE cell that differs from its DTKS counterpart is highlighted
            a = xl_col_to_name(position[f"{field_name}_dtks"])
            b = xl_col_to_name(position[f"{field_name}_p3ke"])
            col = position[f"{field_name}_p3ke"]
            top = first + 1
            sheet.conditional_format(first, col, last, col, {
                "type": "formula", "format": fmt["differs"],
                "criteria": f'=AND(${a}{top}<>"",${b}{top}<>"",${a}{top}<>${b}{top})',
            })


def _petunjuk_sheet(sheet, fmt: dict, kode_kab: str, periode: str) -> None:
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 110)
    sheet.write_string(0, 0, "PETUNJUK REVIEW PADANAN DTKS – P3KE", fmt["title"])
    sheet.write_string(1, 0, f"{_kabupaten(kode_kab)} · Periode: {periode}", fmt["note"])
    row = 3
    for title, text in _PETUNJUK.items():
        body = text.format(kode_kab=kode_kab)
        sheet.write_string(row, 0, title, fmt["header"])
        sheet.write_string(row, 1, body, fmt["wrap"])
        lines = sum(max(1, math.ceil(len(part) / 105)) for part in body.split("\n"))
        sheet.set_row(row, 15 * lines + 3)
        row += 1


# --------------------------------------------------------------------------------------------- reading


@dataclass
class _Parsed:
    decisions: pd.DataFrame
    problems: pd.DataFrame
    answered_rows: int  # rows carrying a decision (usable or not)
    undecided: int  # pairs left blank
    header_row: int  # Excel row / CSV record (1-based)
    periode: str | None  # from the title rows ("Periode: 2026-11")
    sheet: str | None  # worksheet read (None for CSV)


def _header_positions(cells: list) -> dict[str, int]:
    found: dict[str, int] = {}
    for pos, value in enumerate(cells):
        canonical = _HEADER_INDEX.get(_header_key(value))
        if canonical and canonical not in found:
            found[canonical] = pos
    return found


def _find_header(rows: list[list]) -> tuple[int, dict[str, int]] | tuple[None, dict[str, int]]:
    """(row index, canonical -> position) of the first row naming every required column; else (None, best)."""
    best: dict[str, int] = {}
    for index, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found = _header_positions(cells)
        if all(c in found for c in REQUIRED_COLUMNS):
            return index, found
        if len(found) > len(best):
            best = found
    return None, best


def _title_periode(rows: list[list]) -> str | None:
    for cells in rows:
        for value in cells:
            text = _display(value) or ""
            match = re.search(r"(?i)periode\D{0,20}(20[0-9]{2})-(0[1-9]|1[0-2])(?![0-9])", text)
            if match:
                return f"{match.group(1)}-{match.group(2)}"
    return None


def _csv_rows(raw: bytes, sniffed) -> list[list]:
    """Records of a CSV (row i = record i + 1, as Excel numbers them when it opens the file)."""

    codec = sniffed.codec or "utf-8"
    if not codec.startswith("utf-16"):
        raw = raw.replace(b"\0", b"")
    text = codecs.decode(raw, codec, sniff.FALLBACK_ERRORS if codec == "utf-8" else "replace")
    text = text.removeprefix("\ufeff")
    forced = re.fullmatch(r"(?i)sep=(.)", text.split("\n", 1)[0].strip())
    if forced:
        text = text.split("\n", 1)[1] if "\n" in text else ""
    best: tuple[tuple[int, int], str] | None = None
    for delimiter in ((forced.group(1),) if forced else (",", ";", "\t", "|")):
        head = list(itertools.islice(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter),
                                     HEADER_SEARCH_ROWS + 30))
        index, found = _find_header(head)
        score = (len(found) + (10 if index is not None else 0), len(head[index]) if index is not None else 0)
        if best is None or score > best[0]:
            best = (score, delimiter)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=best[1])) if best else []
    return ([[]] + rows) if forced else rows  # the sep= line stays row 1


def _read(path: Path) -> _Parsed:
    """Sniff and open the file as intake does, and parse the first sheet holding the review header
    ("Review Padanan" is tried first)."""

    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, after the workbook reader is done with it
    except OSError as exc:
        raise ReviewFileError("unreadable", f"cannot open file: {exc}") from exc
    try:
        sniffed = sniff.sniff(handle, os.fstat(handle.fileno()).st_size)
        if sniffed.format is None:
            raise ReviewFileError(sniffed.code or "unreadable", sniffed.detail)
        if sniffed.format == "csv":
            handle.seek(0)
            return _parse(_csv_rows(handle.read(), sniffed), None)
        # Opened like intake opens a regency workbook: zip-bomb checks, encrypted/corrupt files recognised.
        if sniffed.format == "xlsx":
            visible, load, book = open_xlsx(handle)
            close = book.close
        else:
            visible, load, book = open_xls(handle)
            close = book.release_resources
        try:
            if not visible:
                raise ReviewFileError("empty_file", "workbook without a visible worksheet")
            first_error: ReviewFileError | None = None
            for name in sorted(visible, key=lambda name: _header_key(name) != _header_key(SHEET_REVIEW)):
                try:
                    return _parse(list(load(name).rows()), name)
                except ReviewFileError as exc:
                    first_error = first_error or exc
            raise first_error
        finally:
            close()
    except FileRejected as exc:
        raise ReviewFileError(exc.code, exc.detail) from exc
    finally:
        handle.close()


def _parse(rows: list[list], sheet: str | None) -> _Parsed:
    index, positions = _find_header(rows)
    if index is None:
        missing = [c for c in REQUIRED_COLUMNS if c not in positions]
        raise ReviewFileError("review_missing_columns", {"kolom": missing, "detail": f"sheet {sheet!r}"})
    periode = _title_periode(rows[:index])

    def cell(cells: list, column: str):
        pos = positions.get(column)
        return cells[pos] if pos is not None and pos < len(cells) else None

    candidates: list[dict] = []
    problems: list[dict] = []
    answered: set[int] = set()
    undecided = 0
    for offset, cells in enumerate(rows[index + 1 :]):
        baris = index + 2 + offset
        raw_decision = cell(cells, "keputusan")
        id_dtks, dtks_damaged = _id_text(cell(cells, "id_dtks"))
        id_p3ke, p3ke_damaged = _id_text(cell(cells, "id_individu_p3ke"))
        decision = _decision(raw_decision)
        if decision is None:
            if id_dtks or id_p3ke:
                undecided += 1
            continue
        answered.add(baris)
        row_problems = []
        for column, value, damaged in (("id_dtks", id_dtks, dtks_damaged),
                                       ("id_individu_p3ke", id_p3ke, p3ke_damaged)):
            if value is None:
                row_problems.append(_problem(baris, column, None, "id_pasangan_kosong", id_dtks, id_p3ke))
            elif damaged:
                row_problems.append(_problem(baris, column, value, "id_angka_excel", id_dtks, id_p3ke))
        if decision == "?":
            row_problems.append(_problem(baris, "keputusan", _display(raw_decision), "keputusan_tidak_dikenal",
                                         id_dtks, id_p3ke))
        if row_problems:
            problems += row_problems
            continue
        candidates.append({"baris": baris, "id_dtks": id_dtks, "id_individu_p3ke": id_p3ke, "keputusan": decision,
                           "diperiksa_oleh": _optional_text(cell(cells, "diperiksa_oleh")),
                           "catatan": _optional_text(cell(cells, "catatan")),
                           "nilai_asli": _display(raw_decision)})
    frame = pd.DataFrame(candidates, columns=[*DECISION_COLUMNS, "nilai_asli"], dtype=object)
    if len(frame):
        answers = frame.groupby(["id_dtks", "id_individu_p3ke"])["keputusan"].transform("nunique")
        conflicting = frame.loc[(answers > 1).to_numpy()]
        problems += [_problem(r.baris, "keputusan", r.nilai_asli, "keputusan_bertentangan", r.id_dtks,
                              r.id_individu_p3ke) for r in conflicting.itertuples(index=False)]
        frame = frame.loc[(answers <= 1).to_numpy()]
        frame = frame.drop_duplicates(["id_dtks", "id_individu_p3ke"], keep="first")
    decisions = frame[DECISION_COLUMNS].reset_index(drop=True)
    decisions["baris"] = decisions["baris"].astype("int64")
    decisions.attrs["periode_review"] = periode
    return _Parsed(decisions, _problems_frame(problems), len(answered), undecided, index + 1, periode, sheet)


def read_review_decisions(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The decisions of a returned review file, and the rows that could not be used.

    decisions: baris, id_dtks, id_individu_p3ke, keputusan ('sama' | 'beda'), diperiksa_oleh, catatan (None when
    blank) — one row per pair; `decisions.attrs["periode_review"]` holds the period named in the title rows.
    problems: baris, kolom, nilai, aturan (rule code of `intake.messages.RULES`), pesan (Bahasa Indonesia),
    id_dtks, id_individu_p3ke. Blank decisions are neither. Raises `ReviewFileError` when the file is unusable.
    """
    parsed = _read(path)
    return parsed.decisions, parsed.problems


# --------------------------------------------------------------------------------------------- warehouse


def check_decisions(conn: Connection, decisions: pd.DataFrame, kode_kab: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(decisions about pairs queued for this regency, problems for the others)."""
    if decisions.empty:
        return decisions, _problems_frame([])
    queued = read_frame(conn, "SELECT DISTINCT id_dtks, id_individu_p3ke FROM core.antrian_review "
                              "WHERE kode_kab = :k", {"k": kode_kab})
    keys = set(zip(queued["id_dtks"].astype(str), queued["id_individu_p3ke"].astype(str), strict=True))
    known = np.array([(a, b) in keys for a, b in zip(decisions["id_dtks"], decisions["id_individu_p3ke"],
                                                         strict=True)], dtype=bool)
    unknown = decisions.loc[~known]
    problems = [_problem(int(r.baris) if "baris" in decisions else 0, None, f"{r.id_dtks} / {r.id_individu_p3ke}",
                         "pasangan_tidak_dalam_antrian", r.id_dtks, r.id_individu_p3ke)
                for r in unknown.itertuples(index=False)]
    return decisions.loc[known].reset_index(drop=True), _problems_frame(problems)


def store_decisions(conn: Connection, decisions: pd.DataFrame, *, kode_kab: str, submission_id: int,
                    decided_at: datetime, periode_review: str | None) -> int:
    """Append the decisions about pairs queued for `kode_kab` to `core.keputusan_review`; returns rows written.

    Who: `diperiksa_oleh`, else "operator <kode_kab>". When: `decided_at` (timezone-aware; naive means UTC).
    Decisions about pairs that are not in `core.antrian_review` for this regency are not stored
    (`check_decisions` names them).
    """
    usable, _ = check_decisions(conn, decisions, kode_kab)
    if usable.empty:
        return 0
    when = pd.Timestamp(decided_at)
    when = when.tz_localize(UTC) if when.tzinfo is None else when.tz_convert(UTC)
    who = [w if isinstance(w, str) and w.strip() else f"operator {kode_kab}"
           for w in (usable["diperiksa_oleh"] if "diperiksa_oleh" in usable else [None] * len(usable))]
    n = len(usable)
    frame = pd.DataFrame({
        "kode_kab": pd.Series([kode_kab] * n, dtype=object),
        "id_dtks": usable["id_dtks"].astype(str).to_numpy(dtype=object),
        "id_individu_p3ke": usable["id_individu_p3ke"].astype(str).to_numpy(dtype=object),
        "keputusan": usable["keputusan"].astype(str).str.lower().to_numpy(dtype=object),
        "diputuskan_oleh": pd.Series(who, dtype=object),
        "diputuskan_pada": pd.Series([when] * n, dtype=f"datetime64[us, {UTC}]"),
        "periode_review": pd.Series([periode_review] * n, dtype=object),
        "submission_id": pd.Series([int(submission_id)] * n, dtype="int64"),
        "catatan": pd.Series(usable["catatan"].tolist() if "catatan" in usable else [None] * n, dtype=object),
    })
    bad = ~frame["keputusan"].isin([SAMA, BEDA])
    if bad.any():
        raise ValueError(f"keputusan must be 'sama' or 'beda': {sorted(frame.loc[bad, 'keputusan'].unique())}")
    return bulk_insert(conn, "core.keputusan_review", frame)


def latest_decisions(conn: Connection, kode_kab: str | None = None) -> pd.DataFrame:
    """The newest decision per (kode_kab, id_dtks, id_individu_p3ke): what overrides the model."""
    where = "WHERE kode_kab = :k" if kode_kab is not None else ""
    frame = read_frame(conn, f"""
        SELECT {", ".join(LATEST_COLUMNS)}
        FROM (
            SELECT {", ".join(LATEST_COLUMNS)},
                   ROW_NUMBER() OVER (PARTITION BY kode_kab, id_dtks, id_individu_p3ke
                                      ORDER BY diputuskan_pada DESC, submission_id DESC) AS urutan
            FROM core.keputusan_review {where}
        ) AS k
        WHERE urutan = 1
        ORDER BY kode_kab, id_dtks, id_individu_p3ke
    """, {"k": kode_kab} if kode_kab is not None else None)
    return frame[LATEST_COLUMNS]


# --------------------------------------------------------------------------------------------- intake


def process_review_submission(settings: Settings, engine: Engine, submission: Submission) -> ProcessResult:
    """Intake of a file from `inbox/<kode_kab>/review/`: store its usable decisions, record the ledger status,
    answer the regency. `accepted`: every filled decision was stored; `partial`: some rows had problems;
    `rejected`: the file is unusable or holds no usable decision (nothing stored)."""

    path = settings.folder("archive") / submission.archive_path
    periode = period_from_name(submission.file_name)
    try:
        parsed = _read(path)
    except ReviewFileError as exc:
        return finish_rejected(settings, engine, submission, exc.code, exc.detail, None, None, (0, 0, 0, 0),
                                periode=periode)
    periode = periode or parsed.periode
    target = settings.folder("outbox") / submission.kode_kab / f"{safe_name(submission.file_name)}.laporan.xlsx"
    with engine.begin() as conn:
        usable, unknown = check_decisions(conn, parsed.decisions, submission.kode_kab)
        problems = _problems_frame([*parsed.problems.to_dict("records"), *unknown.to_dict("records")])
        # Processing a submission again replaces what it stored before (append-only across submissions).
        conn.execute(sa.text("DELETE FROM core.keputusan_review WHERE submission_id = :s"),
                     {"s": submission.submission_id})
        stored = store_decisions(conn, usable, kode_kab=submission.kode_kab, submission_id=submission.submission_id,
                                 decided_at=submission.received_at, periode_review=periode)
        bad_rows = int(problems["baris"].nunique())
        counts = {"keputusan_dicatat": stored, "sama": int((usable["keputusan"] == SAMA).sum()),
                  "beda": int((usable["keputusan"] == BEDA).sum()), "belum_diputuskan": parsed.undecided,
                  "ditolak": bad_rows}  # `ditolak` also fills the file reason's placeholder
        if stored == 0:
            status = "rejected"
            code = "review_no_usable_decisions" if bad_rows else "review_no_decisions"
        else:
            status, code = ("partial", None) if bad_rows else ("accepted", None)
        _write_answer(target, submission, status=status, reason_code=code, counts=counts, periode=periode,
                      problems=problems, decisions=usable)
        ledger.update(
            conn, submission.submission_id, status=status, reason_code=code, reason_detail=counts,
            processed_at=datetime.now(UTC), report_path=target.relative_to(settings.folder("outbox")).as_posix(),
            periode=periode or submission.periode, rows_total=parsed.answered_rows,
            rows_accepted=parsed.answered_rows - bad_rows, rows_rejected=bad_rows, rows_warning=0,
        )
        final = ledger.get(conn, submission.submission_id)
    log.info("review submission %d (%s, sheet %r, header row %d): %s, %d decision(s) stored, %d problem row(s), "
             "%d undecided", submission.submission_id, submission.inbox_path, parsed.sheet, parsed.header_row, status,
             stored, bad_rows, parsed.undecided)
    return result_of(final, ["core.keputusan_review"] if stored else [])


def _write_answer(path: Path, submission: Submission, *, status: str, reason_code: str | None, counts: dict,
                  periode: str | None, problems: pd.DataFrame, decisions: pd.DataFrame) -> Path:
    """The answer to a review file: "Ringkasan", "Masalah" (rows whose decision was not used, how to fix them)
    and "Keputusan Dicatat" (what was recorded), in Bahasa Indonesia."""

    info = status_info(status)
    kode_kab = submission.kode_kab

    def build(buffer: io.BytesIO) -> None:
        book = _new_book(buffer)
        book.set_properties({"title": f"Laporan {submission.file_name}", "author": "Satu Data Kemiskinan",
                             "subject": info.label})
        add = book.add_format
        label = add({"bold": True, "valign": "top"})
        value = add({"text_wrap": True, "valign": "top"})
        number = add({"num_format": "#,##0", "align": "left"})
        header = add(HEADER)
        text = add({"num_format": "@", "valign": "top"})
        small = add({"font_color": "#7F7F7F"})

        sheet = book.add_worksheet("Ringkasan")
        sheet.set_column(0, 0, 40)
        sheet.set_column(1, 1, 100)
        row = 0

        def pair(name: str, content, fmt=value) -> None:
            nonlocal row
            sheet.write_string(row, 0, name, label)
            if isinstance(content, int):
                sheet.write_number(row, 1, content, number)
            else:
                body = str(content) if content not in (None, "") else "-"
                sheet.write_string(row, 1, body, fmt)
                if len(body) > 100:
                    sheet.set_row(row, 15 * math.ceil(len(body) / 100) + 3)
            row += 1

        sheet.write_string(row, 0, "LAPORAN BERKAS REVIEW PADANAN", add({"bold": True, "font_size": 16}))
        sheet.write_string(row + 1, 0, "Satu Data Kemiskinan — jawaban otomatis atas hasil review padanan DTKS–P3KE "
                                        "yang dikirim kabupaten/kota.", add({"italic": True, "font_color": "#595959"}))
        row += 3
        pair("Nama berkas", submission.file_name)
        pair("Kabupaten/Kota", _kabupaten(kode_kab))
        pair("Periode review", periode_text(periode))
        pair("Diterima pada", format_when(submission.received_at, kode_kab))
        row += 1
        sheet.write_string(row, 0, "STATUS", label)
        sheet.write_string(row, 1, info.label, add({"bold": True, "font_size": 22, "font_color": info.warna}))
        sheet.set_row(row, 36)
        row += 2
        pair("Keputusan dicatat", int(counts["keputusan_dicatat"]))
        pair("   SAMA (orang yang sama)", int(counts["sama"]))
        pair("   BEDA (orang berbeda)", int(counts["beda"]))
        pair("Baris bermasalah (keputusan tidak dipakai)", int(counts["ditolak"]))
        pair("Pasangan belum diputuskan (keputusan kosong)", int(counts["belum_diputuskan"]))
        row += 1
        if reason_code:
            pair("Alasan", format_message(reason_code, **counts))
            pair("Cara memperbaiki", format_fix(reason_code, **counts))
        pair("Langkah selanjutnya", _LANGKAH[status].format(kode_kab=kode_kab))
        row += 1
        pair("Kode sidik berkas (SHA-256)", submission.sha256 or "-", small)
        pair("Laporan dibuat", format_when(datetime.now(UTC), kode_kab), small)

        masalah = book.add_worksheet("Masalah")
        heads = [("Baris", 8), ("id_dtks", 18), ("id_individu_p3ke", 18), ("Kolom", 18), ("Nilai", 20),
                 ("Masalah", 70), ("Cara memperbaiki", 70)]
        for col, (name, width) in enumerate(heads):
            masalah.set_column(col, col, width, value if name in ("Masalah", "Cara memperbaiki") else None)
            masalah.write_string(0, col, name, header)
        masalah.freeze_panes(1, 0)
        masalah.autofilter(0, 0, max(len(problems), 1), len(heads) - 1)
        if problems.empty:
            masalah.write_string(1, 0, "Tidak ada masalah yang ditemukan.")
        for r, item in enumerate(problems.itertuples(index=False), start=1):
            masalah.write_number(r, 0, int(item.baris))
            for col, content in ((1, item.id_dtks), (2, item.id_individu_p3ke),
                                 (3, item.kolom or _PAIR_COLUMNS), (4, item.nilai)):
                if not _missing(content) and str(content):
                    masalah.write_string(r, col, str(content)[:32_767], text)
            masalah.write_string(r, 5, str(item.pesan), value)
            masalah.write_string(r, 6, format_fix(item.aturan), value)

        dicatat = book.add_worksheet("Keputusan Dicatat")
        heads = [("Baris", 8), ("id_dtks", 18), ("id_individu_p3ke", 18), ("keputusan", 12), ("diperiksa_oleh", 24),
                 ("catatan", 40)]
        for col, (name, width) in enumerate(heads):
            dicatat.set_column(col, col, width)
            dicatat.write_string(0, col, name, header)
        dicatat.freeze_panes(1, 0)
        if decisions.empty:
            dicatat.write_string(1, 0, "Tidak ada keputusan yang dicatat dari berkas ini.")
        for r, item in enumerate(decisions.itertuples(index=False), start=1):
            dicatat.write_number(r, 0, int(item.baris))
            who = item.diperiksa_oleh if isinstance(item.diperiksa_oleh, str) else f"operator {kode_kab} (tanpa nama)"
            for col, content in ((1, item.id_dtks), (2, item.id_individu_p3ke), (3, str(item.keputusan).upper()),
                                 (4, who), (5, item.catatan)):
                if not _missing(content) and str(content):
                    dicatat.write_string(r, col, str(content)[:32_767], text)
        sheet.activate()
        book.close()

    return _atomic_write(path, build)


__all__ = [
    "ALIASES", "BEDA", "BEDA_WORDS", "REQUIRED_COLUMNS", "SAMA", "SAMA_WORDS", "SHEET_PETUNJUK", "SHEET_REVIEW",
    "ReviewFileError", "check_decisions", "latest_decisions", "process_review_submission", "read_review_decisions",
    "store_decisions", "write_review_workbook",
]
