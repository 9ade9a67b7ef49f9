"""The answer to a regency: `outbox/<kode_kab>/<id>-<jenis>-<file>.laporan.xlsx`, in Bahasa Indonesia.

    write_report(path, ReportSummary(...), issues, rejected_rows)

Sheets:
  * "Ringkasan"      what was received, the status (large, coloured), counts, the file-level reason and how
                     to fix it, "Langkah selanjutnya", a count per rule, how the header was read, sha256.
  * "Masalah"        one line per problem: Baris, [Lembar], Kolom, Nilai, Tingkat, Masalah, Cara memperbaiki,
                     sorted by row; autofilter, frozen header. Capped at `MAX_ISSUE_ROWS` (Excel's sheet
                     limit is 1,048,576 rows) with a final note row.
  * "Baris Ditolak"  the refused rows, under the template's columns (operator labels, which intake maps back
                     to the canonical columns), every value written as text (NIK/KK never become numbers),
                     plus "Masalah" (that row's problems) and "Baris Asal" (its row in the operator's file).
                     P3KE: one sheet per template sheet, "Baris Ditolak Keluarga" / "Baris Ditolak Anggota".

`issues`: baris (Excel row as the operator sees it), kolom (canonical column or None for the whole row),
aturan (rule code of `intake.messages.RULES`), nilai; optional `tingkat` (else taken from the catalogue)
and `sheet` (utama / keluarga / anggota). `rejected_rows`: canonical columns + `baris`, optional `lembar`
(Data / Keluarga / Anggota Keluarga).

The workbook is built with XlsxWriter in memory, then written to a temporary file in the target folder,
fsynced and `os.replace`d: a reader of the outbox sees the old report or the new one, never half of one,
and a failure leaves no temporary file behind. Messages are mapped per rule code over factorised columns
(no per-row formatting); sheets with more than `FAST_ROWS_FROM` rows get their rows generated as
worksheet XML column by column and spliced into the package XlsxWriter wrote (`Splicer`), which is what
keeps 100,000 issues around a second instead of ~5 s of per-cell XlsxWriter calls.
"""

from __future__ import annotations

import math
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from satudata.intake.messages import (
    COLUMN_LABELS,
    FILE_REASONS,
    GALAT,
    JENIS_LABELS,
    PERINGATAN,
    RULES,
    TINGKAT_LABELS,
    column_label,
    format_fix,
    format_message,
    rule_label,
    status_info,
)
from satudata.intake.report_questions import write_pemetaan, write_total
from satudata.intake.waktu import format_when, local_zone
from satudata.normalise.periode import periode_text
from satudata.schema import FAMILY_REGISTRIES
from satudata.sheets.splice import Column, Splicer
from satudata.sheets.writer import StyledWorkbook

SHEET_RINGKASAN = "Ringkasan"
SHEET_MASALAH = "Masalah"
SHEET_DITOLAK = "Baris Ditolak"
MAX_ISSUE_ROWS = 1_000_000  # lines on "Masalah" before the closing note (Excel: 1,048,576 rows per sheet)
MAX_REJECTED_ROWS = 1_000_000
WRAP_ISSUES_UP_TO = 10_000  # wrap long texts on "Masalah" only while the sheet is small

SHEET_KEYS = {"utama": "Data", "keluarga": "Keluarga", "anggota": "Anggota Keluarga"}
_SHEET_ORDER = {"Data": 0, "Keluarga": 1, "Anggota Keluarga": 2}
_DITOLAK_NAMES = {"Keluarga": "Baris Ditolak Keluarga", "Anggota Keluarga": "Baris Ditolak Anggota"}
_TEXT_KEYS = frozenset({"nik", "no_kk", "nik_kepala_keluarga", "kode_desa", "id_dtks", "id_keluarga_p3ke",
                        "id_individu_p3ke", "id_keluarga_dtsen", "id_individu_dtsen", "kode_desa_bps"})
_UNKNOWN_PESAN = "Masalah pada data (kode: {code}). Hubungi tim data untuk penjelasan."


@dataclass
class ReportSummary:
    file_name: str
    kode_kab: str
    nama_kab: str | None
    jenis: str
    periode: str | None
    status: str  # accepted | partial | rejected | duplicate
    received_at: datetime
    sha256: str
    rows_total: int
    rows_accepted: int
    rows_rejected: int
    rows_with_warnings: int
    reason_code: str | None = None
    reason_detail: dict | None = None  # format values of the file-level reason ({"kolom": [...], "batas": ...})
    duplicate_of: str | None = None
    header_row: int | None = None
    column_map: dict[str, str] | None = None  # original header -> canonical column
    unmapped_columns: list[str] | None = None
    penggantian: list[str] | None = None  # what the file replaced and what stays, in Bahasa Indonesia
    catatan: list[str] | None = None  # what was assumed or taken out while reading, in Bahasa Indonesia
    keyakinan: dict[str, str] | None = None  # header (as in column_map) -> how sure its reading is
    kode_jawaban: str | None = None  # a held file: what its answer is tied to (`intake.pemetaan.answer_code`)
    pertanyaan: list | None = None  # a held file's column questions (`intake.pertanyaan.SheetQuestions`)
    total_tidak_cocok: list[dict] | None = None  # a held file's totals that its lines do not add up to


# --------------------------------------------------------------------------------------------- helpers


def _int(value) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _rows_for_text(text: str, width_chars: int) -> float:
    lines = sum(max(1, math.ceil(len(part) / width_chars)) for part in text.split("\n"))
    return 15.0 * max(1, lines)


def _texts(series: pd.Series) -> np.ndarray:
    """Column as an object array of str / None (NA, NaN and '' become None)."""
    if series.dtype == object or str(series.dtype) in ("string", "str"):
        values = series.astype("string")
    elif pd.api.types.is_float_dtype(series):
        # a key column that arrived as float: whole numbers without '.0' (digits may already be lost)
        values = series.map(lambda v: None if pd.isna(v) else (f"{v:.0f}" if float(v).is_integer() else repr(v)))
        values = values.astype("string")
    else:
        values = series.astype("string")
    values = values.mask(values.eq(""))
    return values.to_numpy(dtype=object, na_value=None)


# --------------------------------------------------------------------------------------------- preparation


_PREPARED_COLUMNS = ["baris", "lembar", "kolom", "kolom_label", "nilai", "aturan", "tingkat", "pesan",
                     "perbaikan", "judul"]


def _codes(series: pd.Series) -> tuple[np.ndarray, list]:
    """Factorised column: codes (-1 = missing) and the distinct values as Python objects."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return codes, [None if pd.isna(u) else u for u in list(uniques)]


def _lookup(codes: np.ndarray, values: list, missing=None) -> np.ndarray:
    """values[code] for every code, `missing` for -1 — an object array, by one numpy take."""
    table = np.empty(len(values) + 1, dtype=object)
    table[: len(values)] = values
    table[-1] = missing
    return table[codes]


def _object_frame(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.DataFrame({k: pd.Series(v, dtype=object) if v.dtype == object else pd.Series(v)
                         for k, v in columns.items()})


def prepare_issues(issues: pd.DataFrame | None) -> pd.DataFrame:
    """The issue list as shown on "Masalah", sorted by (lembar,) baris, galat first.

    Everything is computed per distinct value (rule code, column, sheet) and spread over the rows by
    factorised codes: no per-row Python formatting.
    """
    if issues is None or len(issues) == 0:
        empty = {c: np.empty(0, dtype=object) for c in _PREPARED_COLUMNS}
        empty["baris"] = np.empty(0, dtype=np.int64)
        return _object_frame(empty)
    n = len(issues)
    baris = pd.to_numeric(issues["baris"], errors="coerce").fillna(0).astype("int64").to_numpy()

    aturan_codes, aturan_values = _codes(issues["aturan"])
    aturan_values = [str(a) for a in aturan_values]
    aturan = _lookup(aturan_codes, aturan_values, "tidak_diketahui")
    all_codes = [*aturan_values, "tidak_diketahui"]
    idx = np.where(aturan_codes < 0, len(aturan_values), aturan_codes)

    def per_rule(fn) -> np.ndarray:
        table = np.empty(len(all_codes), dtype=object)
        table[:] = [fn(c) for c in all_codes]
        return table[idx]

    pesan = per_rule(lambda c: RULES[c].pesan if c in RULES else _UNKNOWN_PESAN.format(code=c))
    perbaikan = per_rule(format_fix)
    judul = per_rule(rule_label)
    tingkat = per_rule(lambda c: RULES[c].tingkat if c in RULES else GALAT)
    if "tingkat" in issues:  # the tingkat intake applied wins: it decided the row's fate
        given_codes, given_values = _codes(issues["tingkat"])
        given = _lookup(given_codes, [str(g).lower() if str(g).lower() in (GALAT, PERINGATAN) else None
                                      for g in given_values])
        tingkat = np.where(pd.isna(given), tingkat, given).astype(object)

    if "kolom" in issues:
        kolom_codes, kolom_values = _codes(issues["kolom"])
        kolom_values = [str(k) for k in kolom_values]
    else:
        kolom_codes, kolom_values = np.full(n, -1), []
    kolom = _lookup(kolom_codes, kolom_values)
    kolom_label = _lookup(kolom_codes, [column_label(k) for k in kolom_values], column_label(None))

    if "sheet" in issues and issues["sheet"].notna().any():
        sheet_codes, sheet_values = _codes(issues["sheet"])
        names = [SHEET_KEYS.get(str(v), str(v)) for v in sheet_values]
        lembar = _lookup(sheet_codes, names, "Data")
        rank = _lookup(sheet_codes, [_SHEET_ORDER.get(v, 9) for v in names], 9).astype(np.int64)
    else:
        lembar = np.full(n, None, dtype=object)
        rank = np.zeros(n, dtype=np.int64)

    if "nilai" in issues:
        nilai_series = issues["nilai"].astype("string").str.slice(0, 500)
        nilai = nilai_series.mask(nilai_series.eq("")).to_numpy(dtype=object, na_value=None)
    else:
        nilai = np.full(n, None, dtype=object)

    order = np.lexsort((np.arange(n), tingkat != GALAT, baris, rank))
    columns = {"baris": baris, "lembar": lembar, "kolom": kolom, "kolom_label": kolom_label, "nilai": nilai,
               "aturan": aturan, "tingkat": tingkat, "pesan": pesan, "perbaikan": perbaikan, "judul": judul}
    return _object_frame({k: v[order] for k, v in columns.items()})


def rule_counts(prepared: pd.DataFrame) -> pd.DataFrame:
    """Rows affected per rule (a row counts once per rule), most frequent first, galat before peringatan."""
    if prepared.empty:
        return pd.DataFrame(columns=["aturan", "judul", "pesan", "tingkat", "jumlah"])
    keys = ["aturan", "baris"] + (["lembar"] if prepared["lembar"].notna().any() else [])
    distinct = prepared.drop_duplicates(keys)
    counts = distinct.groupby("aturan", sort=False).agg(
        jumlah=("baris", "size"), tingkat=("tingkat", "first"), judul=("judul", "first"), pesan=("pesan", "first")
    ).reset_index()
    counts["_galat"] = counts["tingkat"] != GALAT
    counts = counts.sort_values(["jumlah", "_galat", "aturan"], ascending=[False, True, True], kind="stable")
    return counts.drop(columns="_galat").reset_index(drop=True)


def _row_problems(prepared: pd.DataFrame, by_sheet: bool, rejected: pd.DataFrame | None = None) -> dict:
    """{(lembar, baris): 'Kode Desa (Kemendagri): Kode desa tidak dikenal; NIK ganda'} for the rejected rows:
    galat first, each problem once per row, the column named unless the short label already names it."""
    if rejected is not None and "baris" in rejected:
        wanted = pd.to_numeric(rejected["baris"], errors="coerce").dropna().astype("int64").unique()
        prepared = prepared.loc[prepared["baris"].isin(wanted).to_numpy()]
    if prepared.empty:
        return {}
    kolom, judul = prepared["kolom"].tolist(), prepared["judul"].tolist()
    text_of: dict = {}
    for pair in set(zip(kolom, judul, strict=True)):
        column, title = pair
        label = column_label(column)
        named = column is None or label.split(" (")[0].lower() in str(title).lower()
        text_of[pair] = str(title) if named else f"{label}: {title}"
    lembar = prepared["lembar"].tolist() if by_sheet else [""] * len(prepared)
    out: dict[tuple, list[str]] = {}
    for sheet, row, pair in zip(lembar, prepared["baris"].tolist(), zip(kolom, judul, strict=True), strict=True):
        parts = out.setdefault((sheet or "", row), [])
        text = text_of[pair]
        if text not in parts:
            parts.append(text)
    return {key: "; ".join(parts) for key, parts in out.items()}


# --------------------------------------------------------------------------------------------- workbook


class _Formats:
    def __init__(self, workbook: StyledWorkbook, status_colour: str):
        add, style = workbook.add_format, workbook.style
        self.title = add({"bold": True, "font_size": 16})
        self.subtitle = style("note")
        self.label = style("label")
        self.value = style("wrap")
        self.number = style("number")
        self.number_bold = add({"num_format": "#,##0", "align": "left", "bold": True})
        self.section = add({"bold": True, "font_size": 12, "font_color": "#1F4E78", "bottom": 1})
        self.header = style("header")
        self.status = add({"bold": True, "font_size": 22, "font_color": status_colour, "valign": "vcenter"})
        self.galat = add({"font_color": "#C00000", "bold": True})
        self.peringatan = add({"font_color": "#C65911"})
        self.wrap = style("wrap")
        self.text = style("text")
        self.note = add({"italic": True, "font_color": "#C00000", "bold": True})
        self.small = style("small")


class _Lines:
    """A sheet written top to bottom, one line after the other: `row` is the next free row."""

    def __init__(self, sheet, f: _Formats):
        self.sheet, self.f, self.row = sheet, f, 0

    def line(self, text: str, fmt=None, *, skip: int = 1) -> None:
        self.sheet.write_string(self.row, 0, text, fmt)
        self.row += skip

    def pair(self, label: str, value, fmt=None, *, height_chars: int | None = 95) -> None:
        """A label and its value; a long text gets the height to show it whole."""
        sheet, f, row = self.sheet, self.f, self.row
        sheet.write_string(row, 0, label, f.label)
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            sheet.write_number(row, 1, int(value), fmt or f.number)
        else:
            text = "-" if value is None or value == "" else str(value)
            sheet.write_string(row, 1, text, fmt or f.value)
            if height_chars and (len(text) > height_chars or "\n" in text):
                sheet.set_row(row, _rows_for_text(text, height_chars))
        self.row += 1


def _ringkasan(sheet, f: _Formats, summary: ReportSummary, counts: pd.DataFrame, issues_shown: int,
               issues_total: int, rejected_sheets: list[str], rejected_rows_written: int) -> None:
    status = status_info(summary.status)
    for col, width in enumerate((36, 95, 13, 14, 30)):
        sheet.set_column(col, col, width)
    lines = _Lines(sheet, f)
    lines.line("LAPORAN PEMERIKSAAN BERKAS DATA", f.title)
    lines.line("Satu Data Kemiskinan — jawaban otomatis atas berkas yang dikirim kabupaten/kota.", f.subtitle,
               skip=2)
    _ringkasan_status(lines, summary, status)
    _ringkasan_langkah(lines, summary, status, issues_shown, issues_total, rejected_sheets, rejected_rows_written)
    lines.row += 1
    _ringkasan_counts(lines, counts)
    lines.row += 1
    _ringkasan_pembacaan(lines, summary)
    sheet.freeze_panes(0, 0)


def _ringkasan_status(lines: _Lines, summary: ReportSummary, status) -> None:
    """What was received, its status (large, coloured) and the row counts."""
    pair = lines.pair
    pair("Nama berkas", summary.file_name)
    kabupaten = summary.kode_kab or "-"
    if summary.nama_kab:
        kabupaten = f"{kabupaten} – {summary.nama_kab}"
    pair("Kabupaten/Kota", kabupaten)
    pair("Jenis data", JENIS_LABELS.get(summary.jenis, summary.jenis or "-"))
    pair("Periode data", periode_text(summary.periode))
    pair("Diterima pada", format_when(summary.received_at, summary.kode_kab))
    lines.row += 1
    lines.sheet.write_string(lines.row, 0, "STATUS", lines.f.label)
    lines.sheet.write_string(lines.row, 1, status.label, lines.f.status)
    lines.sheet.set_row(lines.row, 36)
    lines.row += 2
    pair("Jumlah baris data", _int(summary.rows_total), lines.f.number_bold)
    pair("Baris diterima", _int(summary.rows_accepted))
    pair("Baris ditolak (galat)", _int(summary.rows_rejected))
    pair("Baris diterima dengan peringatan", _int(summary.rows_with_warnings))
    lines.row += 1


def _ringkasan_langkah(lines: _Lines, summary: ReportSummary, status, issues_shown: int, issues_total: int,
                       rejected_sheets: list[str], rejected_rows_written: int) -> None:
    """The file-level reason and how to fix it, what was replaced, and what the operator does next."""
    pair = lines.pair
    detail = dict(summary.reason_detail or {})
    if summary.reason_code:
        known = summary.reason_code in FILE_REASONS or summary.reason_code in RULES
        pair("Alasan", format_message(summary.reason_code, **detail))
        pair("Cara memperbaiki", format_fix(summary.reason_code, **detail))
        if not known:
            pair("Kode alasan", summary.reason_code)
    if summary.duplicate_of:
        pair("Sama dengan berkas", summary.duplicate_of)
    if summary.penggantian:  # what this file replaced and what stays (intake.cakupan)
        pair("Yang digantikan", " ".join(summary.penggantian))
    for note in summary.catatan or ():
        pair("Catatan pembacaan", note)
    if summary.kode_jawaban:
        pair("Kode jawaban", summary.kode_jawaban)
    steps = status.langkah
    if summary.status == "rejected" and rejected_rows_written:
        steps += (" Baris yang bermasalah tercantum di lembar " + " dan ".join(f"'{s}'" for s in rejected_sheets)
                  + f" serta '{SHEET_MASALAH}'.")
    if summary.status in ("accepted", "partial") and _int(summary.rows_with_warnings):
        steps += f" Daftar peringatan ada di lembar '{SHEET_MASALAH}'."
    if len(rejected_sheets) > 1 and summary.status == "partial":
        steps += (" Baris keluarga dan anggota keluarga yang ditolak ada di lembar terpisah: "
                  + " dan ".join(f"'{s}'" for s in rejected_sheets) + ".")
    pair("Langkah selanjutnya", steps)
    if issues_shown < issues_total:
        pair("Catatan", f"Lembar '{SHEET_MASALAH}' hanya memuat {issues_shown:,} dari {issues_total:,} masalah "
             "(batas jumlah baris Excel).".replace(",", "."), lines.f.note)


def _ringkasan_counts(lines: _Lines, counts: pd.DataFrame) -> None:
    """"RINCIAN MASALAH": rows affected per rule."""
    sheet, f = lines.sheet, lines.f
    lines.line("RINCIAN MASALAH", f.section)
    if counts.empty:
        lines.line("Tidak ada masalah yang ditemukan pada baris data.")
        return
    for col, header in enumerate(("Masalah", "Keterangan", "Tingkat", "Jumlah baris", "Kode aturan")):
        sheet.write_string(lines.row, col, header, f.header)
    lines.row += 1
    for item in counts.itertuples(index=False):
        row = lines.row
        sheet.write_string(row, 0, str(item.judul), f.wrap)
        sheet.write_string(row, 1, str(item.pesan), f.wrap)
        sheet.write_string(row, 2, TINGKAT_LABELS.get(item.tingkat, str(item.tingkat)),
                           f.galat if item.tingkat == GALAT else f.peringatan)
        sheet.write_number(row, 3, int(item.jumlah), f.number)
        sheet.write_string(row, 4, str(item.aturan), f.small)
        sheet.set_row(row, max(_rows_for_text(str(item.pesan), 95), _rows_for_text(str(item.judul), 36)))
        lines.row += 1
    lines.line("Galat = baris ditolak (tidak dipakai) sampai diperbaiki. Peringatan = baris tetap diterima, mohon "
               "diperbaiki pada kiriman berikutnya. Cara memperbaiki setiap masalah ada di lembar "
               f"'{SHEET_MASALAH}'.", f.small)


def _ringkasan_pembacaan(lines: _Lines, summary: ReportSummary) -> None:
    """"PEMBACAAN BERKAS": how the header was read, the file's fingerprint, when the report was made."""
    sheet, f, pair = lines.sheet, lines.f, lines.pair
    lines.line("PEMBACAAN BERKAS", f.section)
    pair("Baris judul kolom", f"baris ke-{summary.header_row}" if summary.header_row else "-")
    if summary.column_map:
        for col, header in enumerate(("Judul kolom di berkas Anda", "Dibaca sebagai kolom", "Keyakinan")):
            sheet.write_string(lines.row, col, header, f.header)
        lines.row += 1
        for original, canonical in summary.column_map.items():
            sheet.write_string(lines.row, 0, str(original), f.wrap)
            sheet.write_string(lines.row, 1, f"{column_label(canonical)} ({canonical})", f.wrap)
            sheet.write_string(lines.row, 2, (summary.keyakinan or {}).get(original, "-"), f.wrap)
            lines.row += 1
    unmapped = [str(u) for u in (summary.unmapped_columns or []) if str(u).strip()]
    pair("Kolom yang tidak dikenali (diabaikan)", ", ".join(unmapped) if unmapped else "tidak ada")
    lines.row += 1
    pair("Kode sidik berkas (SHA-256)", summary.sha256 or "-", f.small, height_chars=None)
    pair("Laporan dibuat", format_when(datetime.now(UTC), summary.kode_kab), f.small)


def _masalah(sheet, f: _Formats, prepared: pd.DataFrame, with_sheet: bool, splicer: Splicer) -> int:
    headers = ["Baris"] + (["Lembar"] if with_sheet else []) + ["Kolom", "Nilai", "Tingkat", "Masalah",
                                                                "Cara memperbaiki"]
    widths = [8] + ([18] if with_sheet else []) + [26, 26, 12, 80, 80]
    total = len(prepared)
    shown = min(total, MAX_ISSUE_ROWS)
    wrap = f.wrap if shown <= WRAP_ISSUES_UP_TO else None
    for col, (header, width) in enumerate(zip(headers, widths, strict=True)):
        sheet.set_column(col, col, width, wrap if header in ("Masalah", "Cara memperbaiki") else None)
        sheet.write_string(0, col, header, f.header)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(shown, 1), len(headers) - 1)
    if total == 0:
        sheet.write_string(1, 0, "Tidak ada masalah yang ditemukan.")
        return 0

    part = prepared.iloc[:shown]
    is_galat = (part["tingkat"] == GALAT).to_numpy()
    columns = [Column(part["baris"].to_numpy(dtype=np.int64).tolist(), number=True)]
    if with_sheet:
        columns.append(Column(part["lembar"].tolist(), shared=True))
    columns += [
        Column(part["kolom_label"].tolist(), shared=True),
        Column(part["nilai"].tolist(), fmt=f.text),
        Column(np.where(is_galat, TINGKAT_LABELS[GALAT], TINGKAT_LABELS[PERINGATAN]).tolist(), shared=True,
                fmt=[f.galat if g else f.peringatan for g in is_galat.tolist()]),
        Column(part["pesan"].tolist(), shared=True, fmt=wrap),
        Column(part["perbaikan"].tolist(), shared=True, fmt=wrap),
    ]
    trailer = None
    if shown < total:
        trailer = ((f"Daftar dipotong: masih ada {total - shown:,} masalah lain yang tidak ditampilkan karena "
                    "batas jumlah baris Excel. Perbaiki masalah di atas (biasanya kesalahan yang sama berulang di "
                    "banyak baris), lalu kirim ulang berkas; laporan berikutnya akan menampilkan sisanya.")
                   .replace(",", "."), f.note)
    splicer.write_rows(sheet, 1, columns, trailer)
    return shown


def _template_columns(jenis: str, lembar: str) -> tuple[str, ...]:
    from satudata.intake.templates import TEMPLATE_SHEETS

    sheets = TEMPLATE_SHEETS.get(jenis) or {}
    if lembar in sheets:
        return sheets[lembar]
    if len(sheets) == 1:
        return next(iter(sheets.values()))
    return ()


def _ditolak_groups(jenis: str, rejected: pd.DataFrame | None) -> list[tuple[str, str, pd.DataFrame]]:
    """[(sheet name, lembar, rows)] — one "Baris Ditolak" sheet, or one per P3KE template sheet."""
    if rejected is None or rejected.empty:
        return []
    if "lembar" in rejected and rejected["lembar"].notna().any():
        lembar = rejected["lembar"].astype("string").fillna("Data")
        lembar = lembar.map(lambda s: SHEET_KEYS.get(s, s)).astype("string")
        names = sorted(pd.unique(lembar), key=lambda s: (_SHEET_ORDER.get(s, 9), s))
    else:
        lembar, names = None, ["Data"]
    multi = jenis in FAMILY_REGISTRIES or len(names) > 1
    groups = []
    for name in names:
        rows = rejected if lembar is None else rejected.loc[(lembar == name).to_numpy()]
        sheet_name = (_DITOLAK_NAMES.get(name) or f"{SHEET_DITOLAK} {name}")[:31] if multi else SHEET_DITOLAK
        groups.append((sheet_name, name, rows))
    return groups


def _ditolak(sheet, f: _Formats, jenis: str, lembar: str, rows: pd.DataFrame, problems: dict,
             by_sheet: bool, splicer: Splicer) -> int:
    template = list(_template_columns(jenis, lembar))
    ignore = {"baris", "lembar", "sheet"}
    extras = [c for c in rows.columns if c not in template and c not in ignore and not str(c).startswith("_")]
    columns = template + extras
    headers = [COLUMN_LABELS.get(c, str(c)) for c in columns] + ["Masalah", "Baris Asal"]
    for col, column in enumerate(columns):
        label = headers[col]
        width = 22 if column in _TEXT_KEYS else max(12, min(40, len(label) + 4))
        sheet.set_column(col, col, width, f.text if column in _TEXT_KEYS else None)
        sheet.write_string(0, col, label, f.header)
    n_data = len(columns)
    sheet.set_column(n_data, n_data, 70)
    sheet.set_column(n_data + 1, n_data + 1, 11)
    sheet.write_string(0, n_data, "Masalah", f.header)
    sheet.write_string(0, n_data + 1, "Baris Asal", f.header)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), n_data + 1)

    total = len(rows)
    shown = min(total, MAX_REJECTED_ROWS)
    rows = rows.iloc[:shown]
    baris = (pd.to_numeric(rows["baris"], errors="coerce") if "baris" in rows
             else pd.Series(np.nan, index=rows.index)).astype("Int64")
    key = lembar if by_sheet else ""
    masalah = [problems.get((key, b)) for b in baris.fillna(-1).astype("int64").tolist()]
    body = []
    for column in columns:
        values = _texts(rows[column]).tolist() if column in rows else [None] * shown
        body.append(Column(values, fmt=f.text if column in _TEXT_KEYS else None))
    body.append(Column(masalah, shared=True))
    body.append(Column(baris.to_numpy(dtype=object, na_value=None).tolist(), number=True))
    trailer = None
    if shown < total:
        trailer = (f"Daftar dipotong pada {shown:,} baris (batas jumlah baris Excel).".replace(",", "."), f.note)
    splicer.write_rows(sheet, 1, body, trailer)
    return shown


def write_report(path: Path, summary: ReportSummary, issues: pd.DataFrame | None,
                 rejected_rows: pd.DataFrame | None) -> Path:
    """Write the report workbook to `path` atomically (temp file in the same folder, then os.replace)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    prepared = prepare_issues(issues)
    counts = rule_counts(prepared)
    lembar_known = bool(prepared["lembar"].notna().any())
    with_sheet = lembar_known and (summary.jenis in FAMILY_REGISTRIES or prepared["lembar"].dropna().nunique() > 1)
    groups = _ditolak_groups(summary.jenis, rejected_rows)
    by_sheet = lembar_known and rejected_rows is not None and "lembar" in rejected_rows
    problems = _row_problems(prepared, by_sheet, rejected_rows) if groups else {}
    rejected_sheets = [name for name, _, _ in groups] or [SHEET_DITOLAK]
    status = status_info(summary.status)

    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        workbook = StyledWorkbook(title=f"Laporan {summary.file_name}", subject=status.label)
        book = workbook.book
        f = _Formats(workbook, status.warna)
        splicer = Splicer(book)
        ringkasan = book.add_worksheet(SHEET_RINGKASAN)
        if summary.pertanyaan:  # a held file's questions come right after the summary
            write_pemetaan(workbook, f, summary.kode_jawaban or "", summary.file_name, summary.pertanyaan)
        if summary.total_tidak_cocok:
            write_total(workbook, f, summary.kode_jawaban or "", summary.file_name, summary.total_tidak_cocok)
        masalah = book.add_worksheet(SHEET_MASALAH)
        ditolak = [(book.add_worksheet(name), lembar, rows) for name, lembar, rows in groups]
        if not ditolak:
            empty = book.add_worksheet(SHEET_DITOLAK)
            empty.set_column(0, 0, 80)
            empty.write_string(0, 0, "Tidak ada baris yang ditolak.", f.label)
        shown = _masalah(masalah, f, prepared, with_sheet, splicer)
        written = sum(_ditolak(sheet, f, summary.jenis, lembar, rows, problems, by_sheet, splicer)
                      for sheet, lembar, rows in ditolak)
        _ringkasan(ringkasan, f, summary, counts, shown, len(prepared), rejected_sheets, written)
        ringkasan.activate()
        splicer.assemble(workbook.getvalue(), tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


__all__ = ["MAX_ISSUE_ROWS", "SHEET_DITOLAK", "SHEET_MASALAH", "SHEET_RINGKASAN", "ReportSummary",
           "format_when", "local_zone", "prepare_issues", "rule_counts", "write_report"]
