"""The one workbook writer: shared styles, text that stays text (no formula, number or link is made of it),
typed values, and files written whole or not at all."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from satudata.sheets.writer import StyledWorkbook, is_missing


def test_text_stays_text_and_numbers_stay_numbers(tmp_path):
    frame = pd.DataFrame({"nik": ["5205010101800001", "=HYPERLINK(\"http://x\")"], "jumlah": [3, None],
                          "aktif": [True, False], "keterangan (diisi operator)": [None, None]})
    book = StyledWorkbook(title="uji")
    sheet = book.add_worksheet("Data")
    book.write_table(sheet, frame, top=2, operator_columns=["keterangan (diisi operator)"])
    path = book.save(tmp_path / "keluar" / "uji.xlsx")
    ws = openpyxl.load_workbook(path)["Data"]
    assert ws["A4"].value == "5205010101800001" and ws["A4"].data_type == "s" and ws["A4"].number_format == "@"
    assert ws["A5"].value == '=HYPERLINK("http://x")' and ws["A5"].data_type == "s"
    assert ws["B4"].value == 3 and ws["B5"].value is None and ws["C4"].value is True
    assert ws["A3"].fill.fgColor.rgb.endswith("DDEBF7") and ws["D3"].fill.fgColor.rgb.endswith("FFF2CC")
    assert ws.freeze_panes == "A4" and ws.auto_filter.ref == "A3:D5"
    assert openpyxl.load_workbook(path).properties.creator == "Satu Data Kemiskinan"


def test_an_empty_table_says_so(tmp_path):
    book = StyledWorkbook(title="kosong")
    book.write_table(book.add_worksheet("Data"), pd.DataFrame({"nik": []}), empty_note="Tidak ada baris.")
    ws = openpyxl.load_workbook(book.save(tmp_path / "kosong.xlsx"))["Data"]
    assert ws["A2"].value == "Tidak ada baris." and ws.auto_filter.ref is None


def test_a_failed_save_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "laporan.xlsx"
    target.write_bytes(b"lama")
    book = StyledWorkbook(title="uji")
    book.add_worksheet("Data").write_string(0, 0, "baru")

    def broken(*_args, **_kwargs):
        raise OSError("disk penuh")

    monkeypatch.setattr("os.replace", broken)
    with pytest.raises(OSError, match="disk penuh"):
        book.save(target)
    assert target.read_bytes() == b"lama" and [p.name for p in tmp_path.iterdir()] == ["laporan.xlsx"]


@pytest.mark.parametrize(("value", "missing"), [(None, True), (pd.NA, True), (float("nan"), True), (pd.NaT, True),
                                                (0, False), ("", False)])
def test_missing_values(value, missing):
    assert is_missing(value) is missing
