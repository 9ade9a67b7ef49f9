"""The sheets of an answer that asks: "Pemetaan Kolom" (which column is which) and "Konfirmasi Total".

A held file's answer carries its questions. On "Pemetaan Kolom" every header of each table of the file is a
row: where it is, what it says, three sample values (long numbers masked), the system's suggestion and how sure
it is, whether it must be answered, and a drop-down of the columns it may be. Hidden columns keep what the
answer is read back with (`intake.pemetaan.read_answer`): the header's signature, the cell's position and the
table's role. The answer code (`kiriman-sha`) ties the answer to the held file.
"""

from __future__ import annotations

from decimal import Decimal

from satudata.intake.messages import COLUMN_LABELS, column_label
from satudata.intake.pemetaan import (
    ABAIKAN,
    DIISI_OLEH,
    KEPUTUSAN_TOTAL,
    PEMETAAN_COLUMNS,
    SHEET_PEMETAAN,
    SHEET_TOTAL,
)
from satudata.intake.pertanyaan import SheetQuestions

_LIST_SHEET = "Daftar Kolom"
_WHY = {"ragu": "Judul kolom belum pasti dikenali", "bersaing": "Lebih dari satu kolom tampak sama",
        "wajib_hilang": "Kolom wajib belum ditemukan; apakah kolom ini yang dimaksud?"}


def _level(score: float) -> str:
    percent = f"{round(score * 100)}%"
    if score >= 0.8:
        return f"Tinggi ({percent})"
    if score >= 0.5:
        return f"Sedang ({percent})"
    return f"Rendah ({percent})"


def _choices(questions: list[SheetQuestions]) -> list[str]:
    columns = sorted({c for q in questions for c in q.kolom_boleh}, key=lambda c: column_label(c))
    return [column_label(c) for c in columns] + [ABAIKAN]


def write_pemetaan(workbook, formats, code: str, file_name: str, questions: list[SheetQuestions]) -> None:
    """The "Pemetaan Kolom" sheet (and the hidden list its drop-downs offer)."""
    book = workbook.book
    sheet = book.add_worksheet(SHEET_PEMETAAN)
    choices = _choices(questions)
    listing = book.add_worksheet(_LIST_SHEET)
    for i, label in enumerate(choices):
        listing.write_string(i, 0, label)
    listing.hide()
    answer = workbook.add_format({"bg_color": "#FFF2CC", "border": 1, "text_wrap": True})
    sheet.write_string(0, 0, f"PEMETAAN KOLOM — berkas {file_name}", formats.title)
    sheet.write_string(1, 0, f"Kode jawaban: {code}", formats.label)
    sheet.write_string(2, 0, f"{DIISI_OLEH} (nama operator):", formats.label)
    sheet.write_blank(2, 1, None, answer)
    sheet.write_string(3, 0, "Isi kolom 'Kolom yang dimaksud' (pilih dari daftar) untuk setiap baris bertanda "
                             "'Ya'; baris lain boleh diubah bila keliru. Simpan, lalu letakkan berkas ini di folder "
                             "inbox kabupaten/kota Anda (contoh inbox/5205/pemetaan/). Jawaban disimpan dan berkas "
                             "berikutnya dengan judul kolom yang sama dibaca tanpa bertanya lagi.", formats.wrap)
    sheet.set_row(3, 45)
    top = 5
    for c, header in enumerate(PEMETAAN_COLUMNS):
        sheet.write_string(top, c, header, formats.header)
    row = top + 1
    for table in questions:
        where = table.sumber_lembar or "CSV"
        for q in table.kolom:
            sheet.write_string(row, 0, where, formats.text)
            sheet.write_string(row, 1, q.huruf, formats.text)
            sheet.write_string(row, 2, q.judul, formats.text)
            sheet.write_string(row, 3, " | ".join(q.contoh), formats.text)
            sheet.write_string(row, 4, column_label(q.usulan) if q.usulan else "(tidak dikenali)", formats.text)
            sheet.write_string(row, 5, _level(q.keyakinan) if not q.kolom or q.ditanya else "Tinggi", formats.text)
            sheet.write_string(row, 6, f"Ya — {_WHY.get(q.sebab, q.sebab)}" if q.ditanya else "-", formats.wrap)
            current = COLUMN_LABELS.get(q.kolom) if q.kolom and not q.ditanya else None
            if current:
                sheet.write_string(row, 7, current, answer)
            else:
                sheet.write_blank(row, 7, None, answer)
            sheet.write_string(row, 8, table.tanda_header)
            sheet.write_string(row, 9, str(q.posisi))
            sheet.write_string(row, 10, table.lembar)
            row += 1
    if row > top + 1:
        sheet.data_validation(top + 1, 7, row - 1, 7, {
            "validate": "list", "source": f"='{_LIST_SHEET}'!$A$1:$A${len(choices)}",
            "error_title": "Pilih dari daftar", "error_message": "Pilih nama kolom dari daftar, atau "
                                                                f"{ABAIKAN}."})
    for c, width in enumerate((18, 7, 30, 40, 28, 14, 40, 32)):
        sheet.set_column(c, c, width)
    sheet.set_column(8, 10, None, None, {"hidden": True})
    sheet.freeze_panes(top + 1, 0)


def write_total(workbook, formats, code: str, file_name: str, mismatches: list[dict]) -> None:
    """The "Konfirmasi Total" sheet: each total of the file that its lines do not add up to."""
    sheet = workbook.book.add_worksheet(SHEET_TOTAL)
    answer = workbook.add_format({"bg_color": "#FFF2CC", "border": 1})
    money = workbook.add_format({"num_format": "#,##0.00"})
    sheet.write_string(0, 0, f"KONFIRMASI TOTAL — berkas {file_name}", formats.title)
    sheet.write_string(1, 0, f"Kode jawaban: {code}", formats.label)
    sheet.write_string(2, 0, f"{DIISI_OLEH} (nama operator):", formats.label)
    sheet.write_blank(2, 1, None, answer)
    sheet.write_string(3, 0, "Keputusan:", formats.label)
    sheet.write_blank(3, 1, None, answer)
    sheet.data_validation(3, 1, 3, 1, {"validate": "list", "source": list(KEPUTUSAN_TOTAL.values())})
    sheet.write_string(4, 0, "Baris total di berkas tidak sama dengan jumlah baris rinciannya. Perbaiki berkas dan "
                             "kirim ulang, atau pilih 'Pakai baris rincian' bila total di berkas yang keliru, "
                             "simpan, dan letakkan berkas ini di folder inbox kabupaten/kota Anda.", formats.wrap)
    sheet.set_row(4, 45)
    headers = ("Lembar", "Baris", "Uraian", "Kolom", "Jumlah di berkas", "Jumlah baris rincian", "Selisih",
               "Banyak baris rincian")
    for c, header in enumerate(headers):
        sheet.write_string(6, c, header, formats.header)
    for r, item in enumerate(mismatches, start=7):
        sheet.write_string(r, 0, str(item.get("lembar", "")))
        sheet.write_number(r, 1, int(item.get("baris", 0)))
        sheet.write_string(r, 2, str(item.get("label", "")))
        kolom = str(item.get("kolom", ""))
        sheet.write_string(r, 3, "banyak baris" if kolom == "baris" else column_label(kolom))
        for c, key in ((4, "nilai_berkas"), (5, "nilai_rincian"), (6, "selisih")):
            sheet.write_number(r, c, float(Decimal(str(item.get(key, "0")))), money)
        sheet.write_number(r, 7, int(item.get("baris_rincian", 0)))
    for c, width in enumerate((18, 8, 40, 22, 20, 20, 18, 12)):
        sheet.set_column(c, c, width)


__all__ = ["write_pemetaan", "write_total"]
