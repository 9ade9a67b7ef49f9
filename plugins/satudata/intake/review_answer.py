"""The answer to a returned review workbook: "Ringkasan", "Masalah" and "Keputusan Dicatat", in Bahasa Indonesia.

    write_review_answer(outbox/<kode_kab>/<id>-review-<file>.laporan.xlsx, submission, status=..., ...)
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from satudata.intake.messages import format_fix, format_message, status_info
from satudata.intake.waktu import format_when
from satudata.normalise.periode import periode_text
from satudata.reference.wilayah import kabupaten_label
from satudata.sheets.writer import StyledWorkbook, is_missing
from satudata.warehouse.ledger import Submission

_PAIR_COLUMNS = "id_dtks dan id_individu_p3ke"  # a problem of the pair as a whole
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


def write_review_answer(path: Path, submission: Submission, *, status: str, reason_code: str | None,
                        counts: dict, periode: str | None, problems: pd.DataFrame, decisions: pd.DataFrame) -> Path:
    """The answer to a review file: "Ringkasan", "Masalah" (rows whose decision was not used, how to fix them)
    and "Keputusan Dicatat" (what was recorded), in Bahasa Indonesia."""

    info = status_info(status)
    workbook = StyledWorkbook(title=f"Laporan {submission.file_name}", subject=info.label)
    styles = {name: workbook.style(name) for name in ("label", "wrap", "number", "header", "text", "small")}
    sheet = workbook.book.add_worksheet("Ringkasan")
    _write_ringkasan(workbook, sheet, styles, submission, info, reason_code, counts, periode, status)
    _write_masalah(workbook.book.add_worksheet("Masalah"), styles, problems)
    _write_dicatat(workbook.book.add_worksheet("Keputusan Dicatat"), styles, decisions, submission.kode_kab)
    sheet.activate()
    return workbook.save(path)


def _write_ringkasan(workbook: StyledWorkbook, sheet, styles: dict, submission: Submission, info,
                     reason_code: str | None, counts: dict, periode: str | None, status: str) -> None:
    """What was received, the status (large, coloured), what was recorded, and what the operator does next."""
    kode_kab, add = submission.kode_kab, workbook.add_format
    sheet.set_column(0, 0, 40)
    sheet.set_column(1, 1, 100)
    row = 0

    def pair(name: str, content, fmt=styles["wrap"]) -> None:
        nonlocal row
        sheet.write_string(row, 0, name, styles["label"])
        if isinstance(content, int):
            sheet.write_number(row, 1, content, styles["number"])
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
    pair("Kabupaten/Kota", kabupaten_label(kode_kab))
    pair("Periode review", periode_text(periode))
    pair("Diterima pada", format_when(submission.received_at, kode_kab))
    row += 1
    sheet.write_string(row, 0, "STATUS", styles["label"])
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
    pair("Kode sidik berkas (SHA-256)", submission.sha256 or "-", styles["small"])
    pair("Laporan dibuat", format_when(datetime.now(UTC), kode_kab), styles["small"])


def _write_masalah(masalah, styles: dict, problems: pd.DataFrame) -> None:
    """The rows whose decision was not used: the pair, the problem and how to fix it."""
    heads = [("Baris", 8), ("id_dtks", 18), ("id_individu_p3ke", 18), ("Kolom", 18), ("Nilai", 20),
             ("Masalah", 70), ("Cara memperbaiki", 70)]
    for col, (name, width) in enumerate(heads):
        masalah.set_column(col, col, width, styles["wrap"] if name in ("Masalah", "Cara memperbaiki") else None)
        masalah.write_string(0, col, name, styles["header"])
    masalah.freeze_panes(1, 0)
    masalah.autofilter(0, 0, max(len(problems), 1), len(heads) - 1)
    if problems.empty:
        masalah.write_string(1, 0, "Tidak ada masalah yang ditemukan.")
    for r, item in enumerate(problems.itertuples(index=False), start=1):
        masalah.write_number(r, 0, int(item.baris))
        for col, content in ((1, item.id_dtks), (2, item.id_individu_p3ke),
                             (3, item.kolom or _PAIR_COLUMNS), (4, item.nilai)):
            if not is_missing(content) and str(content):
                masalah.write_string(r, col, str(content)[:32_767], styles["text"])
        masalah.write_string(r, 5, str(item.pesan), styles["wrap"])
        masalah.write_string(r, 6, format_fix(item.aturan), styles["wrap"])


def _write_dicatat(dicatat, styles: dict, decisions: pd.DataFrame, kode_kab: str) -> None:
    """The decisions recorded from the file, with who checked each pair."""
    heads = [("Baris", 8), ("id_dtks", 18), ("id_individu_p3ke", 18), ("keputusan", 12), ("diperiksa_oleh", 24),
             ("catatan", 40)]
    for col, (name, width) in enumerate(heads):
        dicatat.set_column(col, col, width)
        dicatat.write_string(0, col, name, styles["header"])
    dicatat.freeze_panes(1, 0)
    if decisions.empty:
        dicatat.write_string(1, 0, "Tidak ada keputusan yang dicatat dari berkas ini.")
    for r, item in enumerate(decisions.itertuples(index=False), start=1):
        dicatat.write_number(r, 0, int(item.baris))
        who = item.diperiksa_oleh if isinstance(item.diperiksa_oleh, str) else f"operator {kode_kab} (tanpa nama)"
        for col, content in ((1, item.id_dtks), (2, item.id_individu_p3ke), (3, str(item.keputusan).upper()),
                             (4, who), (5, item.catatan)):
            if not is_missing(content) and str(content):
                dicatat.write_string(r, col, str(content)[:32_767], styles["text"])


__all__ = ["write_review_answer"]
