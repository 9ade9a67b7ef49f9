"""What the regencies' restricted lists share: the workbook's frame and texts computed per distinct values.

    content = restricted_workbook(title, rules, periode, sheets, guide)   # xlsx bytes
    texts = per_distinct(frame[["a", "b"]], lambda a, b: ...)            # one text per row, computed once per combination
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import numpy as np
import pandas as pd

from satudata.konvergensi.rules import Rules, period_end
from satudata.sheets.writer import StyledWorkbook

SHEET_PETUNJUK = "Petunjuk"


def per_distinct(frame: pd.DataFrame, text: Callable[..., str]) -> np.ndarray:
    """`text(*values)` of each row, computed once per distinct combination of the frame's columns and spread
    back to the rows: a regency's hundred thousand families hold a few hundred combinations of programmes and
    flags. Missing values are passed as they are (None, NaN and NA apart: `text` may tell them apart)."""
    if frame.empty:
        return np.array([], dtype=object)
    keys = frame.copy()
    for i, column in enumerate(frame.columns):
        values = frame[column].to_numpy(dtype=object)
        missing = pd.isna(values)
        kind = np.zeros(len(values), dtype=np.int64)
        if missing.any():  # groupby puts every missing value in one group: keep their types apart
            kind[missing] = pd.factorize(_type_of(values[missing]))[0] + 1
        keys[f"_kind_{i}"] = kind
    group = keys.groupby(list(keys.columns), dropna=False, sort=False).ngroup().to_numpy()
    first = np.unique(group, return_index=True)[1]  # group numbers follow first appearance
    values = [frame[c].to_numpy(dtype=object)[first] for c in frame.columns]
    texts = np.array([text(*row) for row in zip(*values, strict=True)], dtype=object)
    return texts[group]


_type_of = np.frompyfunc(type, 1, 1)


def restricted_workbook(title: str, rules: Rules, periode: str, sheets: list[tuple[str, pd.DataFrame, str, str]],
                        guide: list[tuple[str, str | None]]) -> bytes:
    """A regency's restricted list as the operators know it: per sheet (name, rows, heading, note when
    empty) a heading, the rule file and the PDP notice, the table with the operator's column in yellow;
    then a guide sheet of (line, style: "title" | "note" | None)."""
    end = period_end(periode)
    book = StyledWorkbook(title=title, created=datetime(end.year, end.month, end.day))
    title_style, note = book.style("title"), book.style("note")
    for name, frame, intro, empty in sheets:
        sheet = book.add_worksheet(name)
        sheet.write(0, 0, intro, title_style)
        sheet.write(1, 0, f"Aturan: {rules.judul} ({rules.berkas}). Data bersifat rahasia (UU 27/2022 PDP): "
                          "hanya untuk petugas yang berwenang.", note)
        book.write_table(sheet, frame, top=3, operator_columns=[c for c in frame.columns if "diisi operator" in c],
                         empty_note=empty)
    sheet = book.add_worksheet(SHEET_PETUNJUK)
    for row, (line, style) in enumerate([("Petunjuk", "title"), *guide]):
        sheet.write(row, 0, line, book.style(style) if style else None)
    sheet.set_column(0, 0, 120)
    book.book.worksheets()[0].activate()
    return book.getvalue()
