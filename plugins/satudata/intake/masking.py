"""What `meta` may keep of a cell: never a NIK, a KK or a resident's name (UU 27/2022 PDP).

`meta` is read by data engineers and monitoring, not only by the regency that sent the file, so a validation
issue there keeps the row, the column, the rule and at most a masked value:

- any run of 12 or more digits (a NIK or KK, also written with spaces or dots, or as an Excel number
  5.205011001200001E+15) keeps its first 4 and last 4 digits: `5205********0480`, enough to tell which
  region's number it was and to find the row beside the row number;
- a name (`nama`, `nama_kepala_keluarga`), or a NIK/KK cell holding words (columns shifted by one), keeps its
  initials only: `Lalu Ahmad` -> `L. A.` (its digits masked as above);
- an address keeps nothing;
- a birth date keeps its year and its layout (`31-02-1985` -> `**-**-1985`): enough to see a year that cannot
  be, or dots for dashes, not whose birthday it was;
- a value of no column (the cells a row has beyond its header, `kolom_berlebih`: mostly a name or an address
  split at a comma) is kept as a name is: initials, digits masked.

The operator's own answer workbook (outbox, the regency's own data) is written from the unmasked issues.
"""

from __future__ import annotations

import math
import re

import pandas as pd

NAME_COLUMNS = frozenset({"nama", "nama_kepala_keluarga"})
ADDRESS_COLUMNS = frozenset({"alamat"})
NUMBER_COLUMNS = frozenset({"nik", "no_kk", "nik_kepala_keluarga"})
BIRTH_DATE_COLUMNS = frozenset({"tanggal_lahir"})
_NOT_A_YEAR = re.compile(r"(?<![0-9])(?![0-9]{4}(?![0-9]))[0-9]+")
_DIGIT_RUN = re.compile(r"[0-9](?:[ .\-/]?[0-9]){11,}")
_WORD = re.compile(r"[^\W\d_]+\.?")
_EXCEL_NUMBER = re.compile(r"[0-9.,\s]+(?:[eE][+-]?[0-9]+)?")  # 5.205011001200481E+15: digits, not words


def mask_digits(text: str) -> str:
    """Every run of 12+ digits (separators allowed between them) as its first and last 4 digits."""
    def mask(found: re.Match) -> str:
        digits = re.sub(r"[^0-9]", "", found.group())
        return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]

    return _DIGIT_RUN.sub(mask, text)


def initials(text: str) -> str:
    """`Hj. Siti Aminah` -> `H. S. A.`: every word of letters as its first letter."""
    return _WORD.sub(lambda found: found.group()[0].upper() + ".", text).strip()


def masked_value(kolom: object, value: object) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value)
    column = str(kolom) if kolom is not None and kolom is not pd.NA else ""
    if column in ADDRESS_COLUMNS:
        return None
    if column in BIRTH_DATE_COLUMNS:
        return _NOT_A_YEAR.sub(lambda found: "*" * len(found.group()), text)
    if (not column or column in NAME_COLUMNS
            or (column in NUMBER_COLUMNS and not _EXCEL_NUMBER.fullmatch(text.strip()))):
        return initials(mask_digits(text)) or None
    return mask_digits(text)


def masked_values(kolom: pd.Series, nilai: pd.Series) -> pd.Series:
    """`nilai` as `meta.validation_issue` may keep it (see the module's rules), row by row beside its `kolom`."""
    return pd.Series([masked_value(k, v) for k, v in zip(kolom, nilai, strict=True)], index=nilai.index,
                     dtype="string")


__all__ = ["ADDRESS_COLUMNS", "BIRTH_DATE_COLUMNS", "NAME_COLUMNS", "NUMBER_COLUMNS", "initials", "mask_digits",
           "masked_value", "masked_values"]
