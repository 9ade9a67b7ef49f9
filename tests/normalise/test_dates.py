"""Dates as offices write them: day-first forms, Indonesian month names, Excel serials, swapped fields."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from satudata.normalise.dates import parse_date, parse_dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12-01-1980", "1980-01-12"),
        ("12/01/1980", "1980-01-12"),
        ("12.01.1980", "1980-01-12"),
        ("1980-01-12", "1980-01-12"),
        ("1980-01-12 00:00:00", "1980-01-12"),
        ("12 Januari 1980", "1980-01-12"),
        ("12 Jan. 1980", "1980-01-12"),
        ("17 Agustus 1945", "1945-08-17"),
        ("1 Nopember 2026", "2026-11-01"),
        ("12/31/1980", "1980-12-31"),  # month-first, recognisable only because 31 > 12
        ("29221", "1980-01-01"),  # Excel serial
        ("31-02-1980", None),
        ("abc", None),
        ("", None),
    ],
)
def test_parse_date_forms(text, expected):
    result = parse_date(text)
    assert (result.strftime("%Y-%m-%d") if result is not None else None) == expected


def test_swapped_and_invalid_flags():
    out = parse_dates(pd.Series(["12/31/1980", "x", None, "05-07-80"]), today=pd.Timestamp("2026-11-23"))
    assert out["bulan_hari_tertukar"].tolist() == [True, False, False, False]
    assert out["tidak_valid"].tolist() == [False, True, False, False]
    assert out["tanggal"].iloc[3] == pd.Timestamp("1980-07-05")


def _components_with_python_re(text: pd.Series) -> pd.DataFrame:
    """The layouts as Python's `re` reads them (the form this module had before it moved to Arrow's RE2):
    the oracle for the property below."""
    import re

    from satudata.normalise.periode import MONTHS

    words = re.compile(r"(?i)\b(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\b\.?")
    text = text.str.strip().str.replace(r"[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "", regex=True)
    text = text.str.replace(words, lambda m: f"-{MONTHS[m.group(1).lower()]}-", regex=True)
    text = text.str.replace(r"\s*-\s*", "-", regex=True).str.replace(r"\s+", "-", regex=True)
    text = text.str.replace(r"-{2,}", "-", regex=True).str.strip("-")
    iso = text.str.extract(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})$", flags=re.ASCII)
    dmy = text.str.extract(r"^(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4}|\d{2})$", flags=re.ASCII)
    compact = text.str.extract(r"^(?P<d>\d{2})(?P<m>\d{2})(?P<y>\d{4})$", flags=re.ASCII)
    return iso.combine_first(dmy).combine_first(compact)


_PIECES = st.one_of(
    st.sampled_from(["12", "1", "31", "1980", "80", "2026", "0", "13", "29221", "19801231", "31121980"]),
    st.sampled_from(["-", "/", ".", " ", "\xa0", "  ", "\u2003", "\t", " - ", "T", ":", "00:00:00", " 10:30"]),
    st.sampled_from(["Januari", "jan.", "PEBRUARI", "Agt", "sept", "Nopember", "Des", "may", "Janu", "x", "é"]),
)


_SEPARATOR = st.sampled_from(["-", "/", ".", " ", "\xa0", " \u2003", "\t", " - ", "--", "", "\u3000"])
_DATE_SHAPED = st.tuples(
    st.sampled_from(["1", "07", "12", "31", "32", " 5"]), _SEPARATOR,
    st.sampled_from(["1", "02", "12", "13", "Januari", "jan.", "AGT", "Sept.", "nop"]), _SEPARATOR,
    st.sampled_from(["1980", "80", "2026", "19801", " 10:30", "1980T00:00", "1980 00:00:00"]),
).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_DATE_SHAPED, st.lists(_PIECES, max_size=7).map("".join)), min_size=1, max_size=30))
def test_components_read_as_pythons_re_reads_them(texts):
    from satudata.normalise.dates import _components

    text = pd.Series(texts, dtype="string")
    ours = _components(text).astype("string")
    oracle = _components_with_python_re(text)[["y", "m", "d"]].astype("string")
    pd.testing.assert_frame_equal(ours, oracle, check_index_type=False)
