"""The review workbook a regency reads: its uncertain DTKS-P3KE pairs, to decide.

    write_review_workbook(outbox/<kode_kab>/review_padanan_<periode>.xlsx, pairs, kode_kab=..., periode=...)

The workbook ("Review Padanan" + "Petunjuk", in Bahasa Indonesia) has title rows, a row of merged group
cells (PASANGAN / DTKS / P3KE / HASIL PENCOCOKAN / DIISI OPERATOR) and one real header row whose cells are
the machine names (`id_dtks`, `id_individu_p3ke`, `nik_dtks` ... `keputusan`, `diperiksa_oleh`, `catatan`).
NIK, KK, ids and region codes are text cells (Excel keeps only 15 significant digits of a number). The
reading side, and the answer to a returned workbook, are intake's (`intake.review`, `intake.review_answer`).
"""

from __future__ import annotations

import logging
import math
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from satudata.reference.wilayah import kabupaten_label
from satudata.schema import REVIEW_ID_COLUMNS, SHEET_REVIEW
from satudata.sheets.writer import StyledWorkbook, display, is_missing

SHEET_PETUNJUK = "Petunjuk"
SHEET_LINTAS = "Kandidat Lintas Kabupaten"
SIDES = ("dtks", "p3ke")
SIDE_FIELDS = ("nik", "no_kk", "nama", "jenis_kelamin", "tempat_lahir", "tanggal_lahir", "hubungan_keluarga",
               "kode_desa", "alamat")
ID_COLUMNS = REVIEW_ID_COLUMNS
OPERATOR_COLUMNS = ("keputusan", "diperiksa_oleh", "catatan")

# What the operator reads on the workbook.
_SIDE_GROUP = {"dtks": "DTKS", "p3ke": "P3KE"}
_WIDTHS = {"id_dtks": 18, "id_individu_p3ke": 18, "nik": 19, "no_kk": 19, "nama": 26, "jenis_kelamin": 8,
           "tempat_lahir": 15, "tanggal_lahir": 13, "hubungan_keluarga": 18, "kode_desa": 12, "alamat": 30,
           "kemiripan": 11, "alasan": 46, "keputusan": 13, "diperiksa_oleh": 20, "catatan": 34}
_TEXT_FIELDS = frozenset({"nik", "no_kk", "kode_desa"})

log = logging.getLogger(__name__)
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




def _layout() -> list[tuple[str, str, str | None]]:
    """[(column name in the header row, group, field)] in sheet order."""
    columns = [("id_dtks", "PASANGAN (jangan diubah)", None), ("id_individu_p3ke", "PASANGAN (jangan diubah)", None)]
    for side in SIDES:
        columns += [(f"{f}_{side}", _SIDE_GROUP[side], f) for f in SIDE_FIELDS]
    columns += [("kemiripan", "HASIL PENCOCOKAN", None), ("alasan", "HASIL PENCOCOKAN", None)]
    columns += [(c, "DIISI OPERATOR", None) for c in OPERATOR_COLUMNS]
    return columns


def write_review_workbook(path: Path, pairs: pd.DataFrame, *, kode_kab: str, periode: str,
                          lintas: pd.DataFrame | None = None) -> Path:
    """Write `outbox/<kode>/review_padanan_<periode>.xlsx` for a regency, or for a province's cross-regency pairs
    (`kode_kab` of two digits), atomically. Returns the path.

    `pairs`: id_dtks, id_individu_p3ke, match_probability (0..1), match_reason and, per side s in (dtks, p3ke),
    nik_s, no_kk_s, nama_s, jenis_kelamin_s, tempat_lahir_s, tanggal_lahir_s, hubungan_keluarga_s, kode_desa_s,
    alamat_s (any side column may be missing or null). Rows are written by probability, highest first.
    `lintas`: the regency's own people with a candidate in another regency (`sumber`, `id`, the own side's fields,
    `kandidat_di`): listed on a sheet of their own, without the other regency's person, decided by the province.
    """
    pairs = pairs.copy() if pairs is not None else pd.DataFrame(columns=list(ID_COLUMNS))
    for column in (*ID_COLUMNS, "match_probability", "match_reason"):
        if column not in pairs:
            pairs[column] = None
    pairs["_p"] = pd.to_numeric(pairs["match_probability"], errors="coerce")
    pairs = pairs.sort_values(["_p", "id_dtks", "id_individu_p3ke"], ascending=[False, True, True],
                              kind="stable", na_position="last").reset_index(drop=True)
    layout = _layout()

    workbook = StyledWorkbook(title=f"Review padanan DTKS-P3KE {kode_kab} {periode}")
    add, style = workbook.add_format, workbook.style
    fmt = {
        "title": style("title"),
        "note": style("note"),
        "group": add({"bold": True, "align": "center", "valign": "vcenter", "border": 1, "bg_color": "#BDD7EE"}),
        "group_op": add({"bold": True, "align": "center", "valign": "vcenter", "border": 1,
                         "bg_color": "#FFE699"}),
        "header": style("header"),
        "header_op": style("header_operator"),
        "id": add({"num_format": "@", "bg_color": "#F2F2F2"}),
        "text": style("text"),
        "plain": add({}),
        "date": style("date"),
        "percent": style("percent"),
        "wrap": style("wrap"),
        "operator": add({"num_format": "@", "bg_color": "#FFF2CC", "border": 1, "border_color": "#BFBFBF"}),
        "differs": add({"bg_color": "#FFEB9C"}),
        "sama": add({"bg_color": "#C6EFCE", "font_color": "#006100", "bold": True}),
        "beda": add({"bg_color": "#FFC7CE", "font_color": "#9C0006", "bold": True}),
    }
    sheet = workbook.add_worksheet(SHEET_REVIEW)
    _review_sheet(sheet, fmt, layout, pairs, kode_kab, periode)
    if lintas is not None and len(lintas):
        _lintas_sheet(workbook.add_worksheet(SHEET_LINTAS), fmt, lintas, kode_kab, periode)
    _petunjuk_sheet(workbook.add_worksheet(SHEET_PETUNJUK), fmt, kode_kab, periode)
    sheet.activate()
    written = workbook.save(path)
    log.info("review workbook %s: %d pair(s) for %s %s", written, len(pairs), kode_kab, periode)
    return written


def _review_sheet(sheet, fmt: dict, layout, pairs: pd.DataFrame, kode_kab: str, periode: str) -> None:
    group_row, header_row = 3, 4
    first = header_row + 1
    n = len(pairs)
    sheet.write_string(0, 0, f"REVIEW PADANAN DTKS – P3KE · {kabupaten_label(kode_kab)} · Periode: {periode}",
                       fmt["title"])
    sheet.write_string(1, 0, "Isi kolom 'keputusan': SAMA jika kedua data adalah orang yang sama, BEDA jika orang "
                             "yang berbeda, kosongkan jika belum yakin. Baca lembar 'Petunjuk' sebelum mengisi.",
                       fmt["note"])
    sheet.write_string(2, 0, f"Jumlah pasangan yang perlu direview: {n}." if n else
                       "Tidak ada pasangan yang perlu direview untuk periode ini.", fmt["note"])
    _review_header(sheet, fmt, layout, group_row, header_row)
    _review_rows(sheet, fmt, layout, pairs, first)
    sheet.freeze_panes(first, 2)
    sheet.autofilter(header_row, 0, header_row + max(n, 1), len(layout) - 1)
    if n:
        _review_checks(sheet, fmt, layout, first, first + n - 1)


def _review_header(sheet, fmt: dict, layout, group_row: int, header_row: int) -> None:
    """The merged group cells over each run of columns of one group, the header row and the column styles."""
    start = 0
    for i in range(1, len(layout) + 1):
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


def _review_rows(sheet, fmt: dict, layout, pairs: pd.DataFrame, first: int) -> None:
    """One row per pair from row `first`; the operator's columns stay empty."""
    n = len(pairs)
    columns = {name: (pairs[name].tolist() if name in pairs else [None] * n) for name, _, _ in layout
               if name not in ("kemiripan", "alasan", *OPERATOR_COLUMNS)}
    probability = pairs["_p"].tolist()
    reasons = pairs["match_reason"].tolist()
    for r in range(n):
        row = first + r
        for col, (name, _group, field_name) in enumerate(layout):
            if name == "kemiripan":
                p = probability[r]
                if not is_missing(p):
                    sheet.write_number(row, col, float(p), fmt["percent"])
                continue
            if name == "alasan":
                text = display(reasons[r])
                if text:
                    sheet.write_string(row, col, text[:32_767], fmt["wrap"])
                continue
            if name in OPERATOR_COLUMNS:
                continue
            value = columns[name][r]
            if is_missing(value):
                continue
            if field_name == "tanggal_lahir" and isinstance(value, (datetime, date, pd.Timestamp, np.datetime64)):
                stamp = pd.Timestamp(value)
                sheet.write_datetime(row, col, stamp.to_pydatetime().replace(tzinfo=None), fmt["date"])
                continue
            style = fmt["id"] if name in ID_COLUMNS else fmt["text"] if field_name in _TEXT_FIELDS else fmt["plain"]
            text = display(value) if not isinstance(value, str) else value.strip()
            if text:
                sheet.write_string(row, col, text[:32_767], style)


def _review_checks(sheet, fmt: dict, layout, first: int, last: int) -> None:
    """Rows `first`..`last`: the decision list with its colours, and the P3KE cells that differ from DTKS."""
    from xlsxwriter.utility import xl_col_to_name

    position = {name: i for i, (name, _, _) in enumerate(layout)}
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


def _lintas_sheet(sheet, fmt: dict, lintas: pd.DataFrame, kode_kab: str, periode: str) -> None:
    """The regency's own people who may be a person of another regency: only its own side, and where the
    candidate is. The pair is decided in the province's review, which alone sees both sides."""
    sheet.write_string(0, 0, f"KANDIDAT DI KABUPATEN/KOTA LAIN · {kabupaten_label(kode_kab)} · Periode: {periode}",
                       fmt["title"])
    sheet.write_string(1, 0, "Orang di data Anda ini mungkin sama dengan seseorang di data kabupaten/kota lain. "
                             "Data orang di kabupaten/kota lain tidak ditampilkan (data pribadi warga wilayah lain); "
                             "pasangan ini diperiksa dan diputuskan oleh tim data provinsi. Tidak ada yang perlu diisi.",
                       fmt["note"])
    columns = ["sumber", "id", *[f for f in SIDE_FIELDS if f in lintas], "kandidat_di"]
    for col, name in enumerate(columns):
        sheet.write_string(3, col, name, fmt["header"])
        sheet.set_column(col, col, _WIDTHS.get(name, 16), fmt["text"] if name in _TEXT_FIELDS else None)
    for r, item in enumerate(lintas[columns].itertuples(index=False), start=4):
        for col, value in enumerate(item):
            text = display(value)
            if text:
                sheet.write_string(r, col, text[:32_767], fmt["text"] if columns[col] in _TEXT_FIELDS else fmt["plain"])
    sheet.freeze_panes(4, 0)


def _petunjuk_sheet(sheet, fmt: dict, kode_kab: str, periode: str) -> None:
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 110)
    sheet.write_string(0, 0, "PETUNJUK REVIEW PADANAN DTKS – P3KE", fmt["title"])
    sheet.write_string(1, 0, f"{kabupaten_label(kode_kab)} · Periode: {periode}", fmt["note"])
    row = 3
    for title, text in _PETUNJUK.items():
        body = text.format(kode_kab=kode_kab)
        sheet.write_string(row, 0, title, fmt["header"])
        sheet.write_string(row, 1, body, fmt["wrap"])
        lines = sum(max(1, math.ceil(len(part) / 105)) for part in body.split("\n"))
        sheet.set_row(row, 15 * lines + 3)
        row += 1


__all__ = ["ID_COLUMNS", "OPERATOR_COLUMNS", "SHEET_PETUNJUK", "SHEET_REVIEW", "SIDES", "SIDE_FIELDS",
           "write_review_workbook"]
