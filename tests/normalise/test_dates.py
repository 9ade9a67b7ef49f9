"""Dates as offices write them: day-first forms, Indonesian month names, Excel serials, swapped fields."""

from __future__ import annotations

import pandas as pd
import pytest
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
