"""Dates in the forms regencies write, parsed column-wise.

Accepted: `DD-MM-YYYY`, `DD/MM/YYYY`, `DD.MM.YYYY`, `YYYY-MM-DD` (with or without a time part),
`DD-MM-YY`, `12 Januari 1980` / `12 Jan 1980` (Indonesian or English month names), eight digits
`DDMMYYYY` or `YYYYMMDD` (whichever gives a year between 1800 and next year) and Excel serial day numbers
(`29221`). Day-first, as Indonesians write; a value that only makes sense month-first (`12/31/1980`) is
read month-first and flagged. A year outside 1800..next year is no date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from satudata.normalise.periode import MONTHS

_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
# Arrow's regular expressions (RE2) take `\s` as ASCII spaces; Python's also take the no-break space Excel
# cells carry and the other Unicode spaces: the same set, written out.
_SPACE = r"[\s\v\pZ\x{1c}-\x{1f}\x{85}]"
_MONTH_WORDS = {month: sorted((w for w, m in MONTHS.items() if m == month), key=len, reverse=True)
                for month in sorted(set(MONTHS.values()))}
_LAYOUTS = (
    r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})$",  # 1980-12-31
    r"^(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4}|\d{2})$",  # 31-12-1980, 31/12/80
    r"^(?P<d>\d{2})(?P<m>\d{2})(?P<y>\d{4})$",  # 31121980
)


def _components(text: pd.Series) -> pd.DataFrame:
    """Split each value into year, month, day strings: one regular expression per layout over the whole
    column (Arrow, in C++; a registry has tens of thousands of distinct dates)."""
    values = pc.utf8_trim_whitespace(pa.array(text, type=pa.string()))
    values = pc.replace_substring_regex(values, r"[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "")
    if pc.any(pc.match_substring_regex(values, "[A-Za-z]")).as_py():
        for month, words in _MONTH_WORDS.items():
            values = pc.replace_substring_regex(values, r"(?i)\b(" + "|".join(words) + r")\b\.?", f"-{month}-")
    values = pc.replace_substring_regex(values, f"{_SPACE}*-{_SPACE}*", "-")
    values = pc.replace_substring_regex(values, f"{_SPACE}+", "-")
    values = pc.utf8_trim(pc.replace_substring_regex(values, "-{2,}", "-"), "-")
    layouts = [pc.extract_regex(values, pattern) for pattern in _LAYOUTS]
    return pd.DataFrame({part: pc.coalesce(*(pc.struct_field(found, part) for found in layouts)).to_pandas()
                         for part in "ymd"}).set_axis(text.index)


def _compact_year_first(text: pd.Series) -> pd.DataFrame:
    return text.str.strip().str.extract(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")  # 19801231


def _numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").astype("float64")


def parse_dates(values: pd.Series, *, today: pd.Timestamp | None = None) -> pd.DataFrame:
    """Parse a column of date strings (see `_parse_dates`); each distinct text is parsed once.

    Registries repeat dates a lot (placeholder dates, siblings, distribution dates), so parsing the
    distinct values and mapping back is several times faster than parsing every row.
    """
    raw = values.astype("string")
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    parsed = _parse_dates(pd.Series(uniques, dtype="string"), today=today)
    missing = codes < 0
    taken = parsed.iloc[np.where(missing, 0, codes)] if len(parsed) else parsed.reindex(range(len(codes)))
    taken = taken.set_axis(values.index)
    if missing.any():
        taken.loc[missing, "tanggal"] = pd.NaT
        taken.loc[missing, ["bulan_hari_tertukar", "tidak_valid"]] = False
    return taken.astype({"bulan_hari_tertukar": bool, "tidak_valid": bool})


def _parse_dates(values: pd.Series, *, today: pd.Timestamp | None = None) -> pd.DataFrame:
    """Parse a column of date strings.

    Returns a frame with the same index and columns:
      - `tanggal` (datetime64[ns] or NaT),
      - `bulan_hari_tertukar` (bool: read month-first because day-first was impossible),
      - `tidak_valid` (bool: a value was given but is no date).
    Two-digit years are placed in the century that keeps the date in the past.
    """
    today = today or pd.Timestamp.today().normalize()
    raw = values.astype("string")
    present = raw.notna() & raw.str.strip().ne("")
    earliest, latest = 1800, today.year + 1

    def to_dates(parts: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
        year = _numbers(parts["y"])
        short = parts["y"].str.len().eq(2)
        century = np.where(year + 2000 <= today.year, 2000, 1900)
        year = year.where(~short.fillna(False).astype(bool), year + century)
        month = _numbers(parts["m"])
        day = _numbers(parts["d"])
        swapped = (month > 12) & (day <= 12)
        month, day = month.where(~swapped, day), day.where(~swapped, month)
        year = year.where(year.between(earliest, latest))
        frame = pd.DataFrame({"year": year, "month": month, "day": day}, index=values.index)
        return pd.to_datetime(frame, errors="coerce"), swapped

    text = raw.fillna("")
    parsed, swapped = to_dates(_components(text))
    # Eight digits that are no DDMMYYYY date may be YYYYMMDD (19801231), as databases export them.
    year_first, swapped_yf = to_dates(_compact_year_first(text))
    use_year_first = parsed.isna() & year_first.notna()
    parsed = parsed.where(~use_year_first, year_first)
    swapped = swapped.where(~use_year_first, swapped_yf)

    # Excel serial day numbers (1900 date system), only in a plausible range (1900..2100).
    serial = _numbers(raw.where(raw.str.fullmatch(r"\s*\d{4,5}(\.0+)?\s*", na=False)))
    serial = serial.where((serial > 60) & (serial < 73051))
    from_serial = _EXCEL_EPOCH + pd.to_timedelta(serial, unit="D")
    parsed = parsed.fillna(from_serial.where(parsed.isna()))

    return pd.DataFrame(
        {
            "tanggal": parsed,
            "bulan_hari_tertukar": (swapped & parsed.notna()).fillna(False).astype(bool),
            "tidak_valid": (present & parsed.isna()).astype(bool),
        },
        index=values.index,
    )


def parse_date(value: object) -> pd.Timestamp | None:
    """One value; convenience for tests and small inputs."""
    result = parse_dates(pd.Series([value], dtype="object"))["tanggal"].iloc[0]
    return None if pd.isna(result) else result


# Day-month written when the real birth date is unknown (Ditjen Dukcapil, Permendagri 19/2010):
# 31 December under Simduk (1970s to 2004), 1 July under SIAK (2004 on). 1 January is what
# spreadsheets and entry forms make of a year alone ("1960" -> 01-01-1960). Not included: the 15th,
# written when only the month is known, would also flag a thirtieth of all real birth dates.
PLACEHOLDER_DAY_MONTHS = ((1, 1), (31, 12), (1, 7))


def placeholder_dates(tanggal: pd.Series) -> pd.Series:
    """True where a birth date falls on a placeholder day-month (`PLACEHOLDER_DAY_MONTHS`); NaT is False.

    Such a date says little about the person: two records sharing 01-07-1950 agree on the year only.
    """
    tanggal = pd.to_datetime(tanggal, errors="coerce")
    day, month = tanggal.dt.day, tanggal.dt.month
    flagged = pd.Series(False, index=tanggal.index)
    for d, m in PLACEHOLDER_DAY_MONTHS:
        flagged |= (day == d) & (month == m)
    return flagged.fillna(False).astype(bool)
