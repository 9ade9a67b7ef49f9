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


def _table_cells(path, name: str) -> list[tuple]:
    return [tuple(c.value for c in row) for row in openpyxl.load_workbook(path)[name].iter_rows()]


@pytest.mark.parametrize("rows", [1_999, 2_500])  # below and above the size from which rows are spliced
def test_a_large_table_is_spliced_with_the_cells_of_the_cell_by_cell_path(tmp_path, monkeypatch, rows):
    from satudata.sheets import splice, writer

    frame = pd.DataFrame({
        "No": range(1, rows + 1),
        "NIK": [f"52050101800{i:05d}" if i % 7 else None for i in range(rows)],
        "Nama": ["=SUM(A1)" if i == 3 else f"Ani & <Budi> {i % 5}" for i in range(rows)],
        "Jumlah": [float(i) / 3 if i % 11 else float("nan") for i in range(rows)],
        "Kecamatan": pd.Series([f"Kec {i % 4}" for i in range(rows)], dtype="string"),
    })

    def write(name: str):
        book = StyledWorkbook(title="uji")
        sheet = book.add_worksheet("Data")
        sheet.write_string(0, 0, "Judul", book.style("title"))
        book.write_table(sheet, frame, top=2)
        return book.save(tmp_path / name)

    fast = write("cepat.xlsx")
    monkeypatch.setattr(writer, "FAST_ROWS_FROM", 10**9)
    slow = write("lambat.xlsx")
    assert _table_cells(fast, "Data") == _table_cells(slow, "Data")
    ws = openpyxl.load_workbook(fast)["Data"]
    assert ws["B5"].data_type == "s" and ws["B5"].number_format == "@" and ws["C7"].value == "=SUM(A1)"
    assert ws["C7"].data_type == "s" and ws.auto_filter.ref == f"A3:E{rows + 3}" and ws.freeze_panes == "A4"
    read = pd.read_excel(fast, sheet_name="Data", header=2, dtype=str, engine="calamine")
    assert len(read) == rows and read["Nama"].iloc[3] == "=SUM(A1)"
    assert (rows >= splice.FAST_ROWS_FROM) == ("inlineStr" in _sheet_xml(fast))


def _sheet_xml(path) -> str:
    import zipfile

    with zipfile.ZipFile(path) as package:
        return package.read("xl/worksheets/sheet1.xml").decode()


def test_nothing_is_written_below_a_spliced_table(tmp_path):
    book = StyledWorkbook(title="uji")
    sheet = book.add_worksheet("Data")
    book.write_table(sheet, pd.DataFrame({"nama": [f"n{i}" for i in range(3_000)]}))
    sheet.write_string(3_005, 0, "catatan di bawah")
    with pytest.raises(RuntimeError, match="below its spliced table"):
        book.getvalue()
