"""NIK and KK numbers, parsed column-wise.

A NIK (Nomor Induk Kependudukan) has 16 digits: `PPKKCC` the kecamatan where the person was first
registered, `DDMMYY` the birth date with 40 added to the day for women, and a 4-digit serial from 0001.
A KK (family card) number has 16 digits too: kecamatan, issue date, serial. It is a weak key: it changes
when a family moves, splits or loses its head.

Nothing here proves a NIK is *real* (only Dukcapil can); it tells whether it is *well formed*.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

_NOT_DIGIT = re.compile(r"[\s.\-'`’]")


def clean_number_text(values: pd.Series) -> pd.Series:
    """Strip the separators people type inside NIK/KK (spaces, dots, dashes, a leading apostrophe)."""
    text = values.astype("string").str.replace(_NOT_DIGIT, "", regex=True)
    return text.where(text.str.len() > 0)


def parse_nik(values: pd.Series, known_kecamatan: set[str] | frozenset[str] | None = None) -> pd.DataFrame:
    """Take NIKs apart. One row per input value, same index.

    Columns:
      `nik` cleaned text (None when empty); `format_ok` 16 ASCII digits and serial not 0000;
      `kecamatan` first six digits; `kecamatan_dikenal` prefix in `known_kecamatan` (NA when no list given);
      `jenis_kelamin` L/P from the day; `hari`, `bulan`, `tahun2` embedded date parts;
      `tanggal_ok` the embedded day/month form a real date in some century;
      `valid` all of the above hold.
    """
    nik = clean_number_text(values)
    format_ok = nik.str.fullmatch(r"[0-9]{16}").fillna(False).astype(bool) & nik.str[12:].ne("0000").fillna(
        False
    ).astype(bool)
    digits = nik.where(format_ok)
    kecamatan = digits.str[:6]
    day_raw = pd.to_numeric(digits.str[6:8], errors="coerce").astype("float64")
    month = pd.to_numeric(digits.str[8:10], errors="coerce").astype("float64")
    year2 = pd.to_numeric(digits.str[10:12], errors="coerce").astype("float64")
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
    kk = clean_number_text(values)
    return kk.str.fullmatch(r"[0-9]{16}").fillna(False).astype(bool) & kk.str[12:].ne("0000").fillna(False).astype(
        bool
    )


def excel_damaged(values: pd.Series) -> pd.Series:
    """Values that show Excel turned the number into a float: scientific notation or a decimal part."""
    text = values.astype("string").str.strip()
    return text.str.fullmatch(r"[0-9]+(\.[0-9]*)?[eE][+]?[0-9]+|[0-9]{12,}\.[0-9]+").fillna(False).astype(bool)
