"""The one way we write workbooks: in memory with our styles, strings never read as formulas, numbers or
links, and saved whole or not at all.

    book = StyledWorkbook(title="Sasaran belum terintervensi 5205 2026-11")
    sheet = book.add_worksheet("Data")
    book.write_table(sheet, frame, top=3)          # header in our style, values typed, NIK/KK as text
    book.save(path)                                # temporary file + rename: readers never see half a file

Intake answers, templates, review files, action lists and the forum's exports are all made this way. A
name an operator typed such as `=HYPERLINK(...)` stays text in every one of them (`WORKBOOK_OPTIONS`).
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from satudata.fileio import write_atomically
from satudata.sheets.splice import FAST_ROWS_FROM, Column, Splicer
from satudata.sheets.style import STYLES

AUTHOR = "Satu Data Kemiskinan"
# Text we write stays text: no formula, number or URL is made of it (formula injection, NIKs as numbers).
WORKBOOK_OPTIONS = {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}


def is_missing(value: object) -> bool:
    """None, pandas' NA/NaT, float NaN and NumPy's NaT: cells we leave empty."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, np.datetime64) and bool(np.isnat(value))



def display(value) -> str | None:
    """A cell as the operator sees it (for messages)."""
    if is_missing(value):
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() else repr(value)
    if isinstance(value, (datetime, date)):
        return value.strftime("%d-%m-%Y")
    text = str(value).strip()
    return text or None

def _write_column(sheet, values: pd.Series, first_row: int, col: int, text) -> None:
    """One column's cells from `first_row` down, as `_write_cell` writes each value, with the type decided once
    per column where it can be (a list of a hundred thousand families is millions of cells)."""
    kind = values.dtype
    if isinstance(kind, np.dtype) and kind.kind in "iufb":
        array = values.to_numpy()
        keep = ~np.isnan(array) if kind.kind == "f" else np.ones(len(array), dtype=bool)
        rows = (np.flatnonzero(keep) + first_row).tolist()
        if kind.kind == "b":
            for row, value in zip(rows, array[keep].tolist(), strict=True):
                sheet.write_boolean(row, col, value)
        else:
            for row, value in zip(rows, array[keep].tolist(), strict=True):
                sheet.write_number(row, col, float(value))
        return
    if kind == object or isinstance(kind, pd.StringDtype):  # their cells are the values iterating them gives
        array = values.to_numpy(dtype=object)
        if len(array) and pd.api.types.infer_dtype(array, skipna=True) == "string":  # text and missing only
            present = ~pd.isna(array)
            rows = (np.flatnonzero(present) + first_row).tolist()
            for row, value in zip(rows, array[present], strict=True):
                sheet.write_string(row, col, value, text)
            return
    for row, value in enumerate(values, start=first_row):  # as `itertuples` gives them: e.g. NumPy booleans
        _write_cell(sheet, row, col, value, text)


def _number_text(value: float) -> str:
    return "%.16G" % value  # as XlsxWriter writes a number  # noqa: UP031


def _spliced_columns(frame: pd.DataFrame, text) -> list[Column] | None:
    """The table's columns for `sheets.splice` when every one is numbers or text, as `_write_column` writes
    them (numbers as floats, NaN empty; text in the text style, missing empty); None when one is anything
    else (booleans, dates, mixed values, a number Excel cannot hold): the table then goes cell by cell."""
    columns = []
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position]
        kind = values.dtype
        if isinstance(kind, np.dtype) and kind.kind in "iuf":
            array = values.to_numpy(dtype="float64")
            if np.isinf(array).any():
                return None
            cells = [None if missing else _number_text(value)
                     for value, missing in zip(array.tolist(), np.isnan(array).tolist(), strict=True)]
            columns.append(Column(cells, number=True))
            continue
        if kind == object or isinstance(kind, pd.StringDtype):
            array = values.to_numpy(dtype=object)
            if pd.api.types.infer_dtype(array, skipna=True) in ("string", "empty"):
                present = ~pd.isna(array)
                cells = np.where(present, array, None).tolist()
                distinct = len(set(array[present].tolist()))
                columns.append(Column(cells, shared=distinct * 4 <= len(array), fmt=text))
                continue
        return None
    return columns


def _write_cell(sheet, row: int, col: int, value: object, text) -> None:
    if is_missing(value):
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, str):
        sheet.write_string(row, col, value, text)
    else:
        sheet.write_number(row, col, value.item() if hasattr(value, "item") else float(value))


class StyledWorkbook:
    """An XlsxWriter workbook in memory with the shared styles by name (`sheets.style.STYLES`)."""

    def __init__(self, *, title: str, subject: str | None = None, comments: str | None = None,
                 created: datetime | None = None):
        import xlsxwriter

        self.buffer = io.BytesIO()
        self.book = xlsxwriter.Workbook(self.buffer, {"in_memory": True, **WORKBOOK_OPTIONS})
        properties = {"title": title, "author": AUTHOR}
        if subject:
            properties["subject"] = subject
        if comments:
            properties["comments"] = comments
        if created is not None:  # a fixed date keeps re-runs for the same period byte-identical
            properties["created"] = created
        self.book.set_properties(properties)
        self._styles: dict[str, object] = {}
        self._splicer: Splicer | None = None
        self._spliced: dict[object, int] = {}  # sheet -> first row of its spliced table

    def style(self, name: str):
        """A shared style by name ("header", "title", "text" ...), created once per workbook."""
        if name not in self._styles:
            self._styles[name] = self.book.add_format(STYLES[name])
        return self._styles[name]

    def add_format(self, properties: Mapping):
        return self.book.add_format(dict(properties))

    def add_worksheet(self, name: str):
        return self.book.add_worksheet(name)

    def write_table(self, sheet, frame: pd.DataFrame, *, top: int = 0, operator_columns: Iterable[str] = (),
                    empty_note: str | None = None, max_width: int = 60) -> None:
        """`frame` as a table from row `top`: header in our style (operator columns in yellow), widths from
        the content, strings as text, numbers as numbers, missing values empty, header frozen, a filter."""
        operator = set(operator_columns)
        text = self.style("text")
        for col, column in enumerate(frame.columns):
            name = str(column)
            sheet.write_string(top, col, name, self.style("header_operator" if name in operator else "header"))
            width = max([len(name)] + [len(str(v)) for v in frame[column].head(200)])
            sheet.set_column(col, col, min(max(width + 2, 8), max_width))
        if frame.empty and empty_note:
            sheet.write_string(top + 1, 0, empty_note, self.style("note"))
        spliced = None
        if len(frame) >= FAST_ROWS_FROM and sheet not in self._spliced:
            self._splicer = self._splicer or Splicer(self.book)
            spliced = _spliced_columns(frame, text) if self._splicer.enabled else None
        if spliced is not None:  # a list of a hundred thousand families: rows as XML, not per-cell calls
            self._splicer.write_rows(sheet, top + 1, spliced, None)
            self._spliced[sheet] = top + 1
        else:
            for col, column in enumerate(frame.columns):
                _write_column(sheet, frame.iloc[:, col], top + 1, col, text)
        sheet.freeze_panes(top + 1, 0)
        if not frame.empty:
            sheet.autofilter(top, 0, top + len(frame), len(frame.columns) - 1)

    def getvalue(self) -> bytes:
        """Close the workbook and return the xlsx bytes."""
        for sheet, first in self._spliced.items():  # spliced rows go after the rows XlsxWriter wrote
            if sheet.dim_rowmax is not None and sheet.dim_rowmax >= first:
                raise RuntimeError(f"sheet {sheet.name!r}: a cell was written below its spliced table")
        self.book.close()
        if self._splicer is None or not self._splicer.bodies:
            return self.buffer.getvalue()
        spliced = io.BytesIO()
        self._splicer.assemble(self.buffer.getvalue(), spliced)
        return spliced.getvalue()

    def save(self, path: str | Path) -> Path:
        """Close the workbook and write it to `path` atomically."""
        return write_atomically(path, self.getvalue())


__all__ = ["AUTHOR", "WORKBOOK_OPTIONS", "StyledWorkbook", "is_missing"]
