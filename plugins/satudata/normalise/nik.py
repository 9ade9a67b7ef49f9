"""NIK and KK numbers, parsed column-wise.

A NIK (Nomor Induk Kependudukan) has 16 digits: `PPKKCC` the kecamatan where the person was first
registered, `DDMMYY` the birth date with 40 added to the day for women, and a 4-digit serial from 0001.
A KK (family card) number has 16 digits too: kecamatan, issue date, serial. It is a weak key: it changes
when a family moves, splits or loses its head.

Nothing here proves a NIK is *real* (only Dukcapil can); it tells whether it is *well formed*.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Zero-width characters that copy-paste leaves inside cells (RE2 syntax: pandas strings are Arrow strings).
ZERO_WIDTH = r"[\x{200b}\x{200c}\x{200d}\x{2060}\x{feff}]"
# Separators people type inside NIK/KK (spaces of every kind, dots, commas, dashes, quotes, slashes ...).
_NIK_SEPARATORS = r"[\x{09}-\x{0d}\x{1c}-\x{20}\x{85}\p{Z}.,\-'`\x{2019}\x{2018}\"_/]"
_FLOAT_TEXT = r"[0-9]+[.,][0-9]*[eE][+]?[0-9]+|[0-9]+[.,]0+"
_SCI_CLEANED = r"[0-9]+[eE][+]?[0-9]+"


def clean_nik_cells(values: pd.Series, numeric: np.ndarray | None = None) -> tuple[pd.Series, pd.Series]:
    """NIK/KK cells -> (digits-only text or <NA>, flagged).

    Flagged (value set to <NA>): cells Excel stored as numbers (`numeric`), and text showing a float
    rendering: scientific notation (`9.17101E+15`) or a zero decimal part (`5205014507890000.0`).
    Otherwise spaces, dots, dashes, commas, slashes, underscores and quotes are removed
    (`'5205 0145-0789.0001` -> `5205014507890001`). Total and idempotent on its own output.
    """
    text = values.astype("string").str.strip()
    plain = (text.str.isascii() & text.str.isdecimal()).fillna(True).astype(bool)  # usual case: nothing to do
    flagged = pd.Series(False, index=values.index)
    cleaned = text.copy()
    if not plain.all():
        odd = text[~plain]
        odd_flagged = odd.str.fullmatch(_FLOAT_TEXT)
        odd_cleaned = odd.str.replace(_NIK_SEPARATORS, "", regex=True)
        odd_flagged = (odd_flagged | odd_cleaned.str.fullmatch(_SCI_CLEANED)).fillna(False).astype(bool)
        flagged[~plain] = odd_flagged.to_numpy()
        cleaned[~plain] = odd_cleaned.where(odd_cleaned.str.len() > 0)
    if numeric is not None:
        flagged = flagged | pd.Series(numeric, index=values.index)
    return cleaned.mask(flagged), flagged


# Every integer below 2**53 is exact in a double: a number written by a program (SIKS-NG exports, pandas,
# openpyxl) holds a 16-digit NIK whole up to here. Excel keeps 15 significant digits, so what it typed or
# re-saved ends in 0. Papua's province codes (91-96) lie above 2**53, where doubles skip integers.
EXACT_DOUBLE_LIMIT = 2**53


def excel_number_cells(values: pd.Series, numeric: np.ndarray | None) -> tuple[pd.Series, pd.Series, pd.Series]:
    """NIK/KK cells, knowing which were numbers in the workbook -> (cleaned, lost, maybe_rounded).

    A number cell of 16 digits, below 2**53, whose last digit is not 0 cannot have been cut: kept and
    trusted. One ending in 0, or above 2**53, may have been rounded: kept, `maybe_rounded`. A number cell of
    another length is kept as written (it fails the format checks). Text showing a float rendering
    (`9.17101E+15`, `5205014507890000.0`) has lost its digits: `lost`, emptied. Text is cleaned as by
    `clean_nik_cells`.
    """
    cleaned, lost = clean_nik_cells(values)
    maybe = pd.Series(False, index=values.index)
    if numeric is not None and numeric.any():
        is_number = pd.Series(numeric, index=values.index)
        digits = values.astype("string").str.strip().where(is_number)
        sixteen = digits.str.fullmatch(r"[1-9][0-9]{15}").fillna(False).astype(bool)
        big = pd.Series(False, index=values.index)
        if sixteen.any():
            big[sixteen] = [int(v) >= EXACT_DOUBLE_LIMIT for v in digits[sixteen]]
        ends_zero = digits.str.endswith("0").fillna(False).astype(bool)
        maybe = is_number & sixteen & (ends_zero | big)
        cleaned = cleaned.where(~is_number, digits)
        lost = lost & ~is_number
    return cleaned, lost, maybe


def clean_id_cells(values: pd.Series, numeric: np.ndarray | None = None) -> tuple[pd.Series, pd.Series]:
    """Record ids (ID DTKS, ID Keluarga P3KE ...) -> (text or <NA>, flagged).

    Quotes typed in front are dropped and a zero decimal part of a short number removed (`123.0` -> `123`).
    Flagged (value set to <NA>): ids of 16 or more digits Excel stored as numbers (`numeric`) or shows as a
    float (`5.2e+15`, `5205014507890001.0`): their last digits are lost. Other ids are kept as written.
    """
    text = values.astype("string").str.lstrip("'`\u2018\u2019\"").str.strip()
    sci = text.str.fullmatch(r"[0-9]+([.,][0-9]*)?[eE][+]?[0-9]+").fillna(False).astype(bool)
    whole = text.str.extract(r"^([0-9]+)[.,]0+$", expand=False)
    long_float = whole.str.len().ge(16).fillna(False).astype(bool)
    flagged = sci | long_float
    if numeric is not None:
        flagged |= pd.Series(numeric, index=values.index) & text.str.len().ge(16).fillna(False).astype(bool)
    text = whole.where(whole.notna() & ~long_float, text)
    return text.where(text.str.len() > 0).mask(flagged), flagged


def nik_format_ok(nik: pd.Series) -> pd.Series:
    """16 ASCII digits and a serial other than 0000 (cleaned text in, booleans out)."""
    return (nik.str.fullmatch(r"[0-9]{16}").fillna(False).astype(bool)
            & nik.str[12:].ne("0000").fillna(False).astype(bool))


def _digits_at(digits: pd.Series, start: int, stop: int) -> pd.Series:
    """Characters `start:stop` of well-formed NIKs (16 ASCII digits, <NA> elsewhere) as float64, NaN where NA.
    Arrow's cast: `pd.to_numeric` read Arrow text one value at a time (17 s of NTB's ingest)."""
    arrow = pa.array(digits.array, from_pandas=True)  # any text storage: pandas hands Arrow its own
    part = pc.cast(pc.utf8_slice_codeunits(arrow, start, stop), pa.float64())
    return pd.Series(part.to_numpy(zero_copy_only=False), index=digits.index, dtype="float64")


def embedded_sex(nik: pd.Series) -> pd.Series:
    """L/P from the day digits of well-formed NIKs (women have 40 added), <NA> elsewhere."""
    day = _digits_at(nik.where(nik_format_ok(nik)), 6, 8)
    sex = pd.Series(np.where(day > 40, "P", "L"), index=nik.index, dtype="string")
    return sex.where(day.between(1, 31) | day.between(41, 71))


def parse_nik(values: pd.Series, known_kecamatan: set[str] | frozenset[str] | None = None) -> pd.DataFrame:
    """Take NIKs apart. One row per input value, same index.

    Columns:
      `nik` cleaned text (None when empty); `format_ok` 16 ASCII digits and serial not 0000;
      `kecamatan` first six digits; `kecamatan_dikenal` prefix in `known_kecamatan` (NA when no list given);
      `jenis_kelamin` L/P from the day; `hari`, `bulan`, `tahun2` embedded date parts;
      `tanggal_ok` the embedded day/month form a real date in some century;
      `valid` all of the above hold.
    """
    nik = clean_nik_cells(values)[0]
    format_ok = nik_format_ok(nik)
    digits = nik.where(format_ok)
    kecamatan = digits.str[:6]
    day_raw, month, year2 = (_digits_at(digits, a, a + 2) for a in (6, 8, 10))
    female = day_raw > 40
    day = day_raw.where(~female, day_raw - 40)
    # 29 February exists in 2000 but not 1900: accept a date valid in either century.
    dates_2000 = pd.to_datetime(
        pd.DataFrame({"year": 2000 + year2, "month": month, "day": day}), errors="coerce"
    )
    dates_1900 = pd.to_datetime(
        pd.DataFrame({"year": 1900 + year2, "month": month, "day": day}), errors="coerce"
    )
    tanggal_ok = (dates_2000.notna() | dates_1900.notna()) & (day_raw.between(1, 31) | day_raw.between(41, 71))
    sex = pd.Series(np.where(female, "P", "L"), index=values.index, dtype="string").where(format_ok)
    if known_kecamatan is None:
        kec_known = pd.Series(pd.NA, index=values.index, dtype="boolean")
    else:
        kec_known = kecamatan.isin(known_kecamatan).astype("boolean").where(format_ok, False)
    valid = format_ok & tanggal_ok.astype(bool) & kec_known.fillna(True).astype(bool)
    return pd.DataFrame(
        {
            "nik": nik,
            "format_ok": format_ok,
            "kecamatan": kecamatan,
            "kecamatan_dikenal": kec_known,
            "jenis_kelamin": sex,
            "hari": day,
            "bulan": month,
            "tahun2": year2,
            "tanggal_ok": tanggal_ok.astype(bool),
            "valid": valid,
        },
        index=values.index,
    )


def nik_matches_birth_date(parsed: pd.DataFrame, tanggal_lahir: pd.Series) -> pd.Series:
    """True where the NIK's embedded date equals `tanggal_lahir` (NA where either is unknown)."""
    known = parsed["tanggal_ok"] & tanggal_lahir.notna()
    same = (
        (parsed["hari"] == tanggal_lahir.dt.day)
        & (parsed["bulan"] == tanggal_lahir.dt.month)
        & (parsed["tahun2"] == tanggal_lahir.dt.year % 100)
    )
    return same.astype("boolean").where(known)


def kk_format_ok(values: pd.Series) -> pd.Series:
    return nik_format_ok(clean_nik_cells(values)[0])


def kk_or_none(values: pd.Series) -> pd.Series:
    """A KK number as 16 digits, <NA> where it is not (cleaned once at intake; later stages only check)."""
    kk = values.astype("string").str.strip()
    return kk.where(kk.str.fullmatch(r"[0-9]{16}").fillna(False).astype(bool))


