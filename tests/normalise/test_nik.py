"""NIK and KK parsing: the structure rules every stage relies on (and no parser raises on wild input)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from satudata.normalise.dates import parse_dates
from satudata.normalise.nik import (
    clean_id_cells,
    clean_nik_cells,
    embedded_sex,
    kk_format_ok,
    kk_or_none,
    nik_matches_birth_date,
    parse_nik,
)

KEC = frozenset({"520501", "910101"})


def nik(kec: str, day: int, month: int, year: int, serial: int, female: bool) -> str:
    return f"{kec}{day + (40 if female else 0):02d}{month:02d}{year % 100:02d}{serial:04d}"


@pytest.mark.parametrize(
    ("value", "valid", "sex"),
    [
        (nik("520501", 5, 7, 1989, 1, True), True, "P"),
        (nik("520501", 15, 7, 1989, 2, False), True, "L"),
        ("5205 0145 0789 0003", True, "P"),  # spaces typed inside
        ("'5205014507890004", True, "P"),  # leading apostrophe (Excel text marker)
        ("5205017202000001", False, None),  # day 32
        ("5205019902000001", False, None),  # day 59
        ("520501450789000", False, None),  # 15 digits
        ("5205014507890000", False, None),  # serial 0000 (also what Excel leaves of a number)
        ("5205012902000001", True, "L"),  # 29 Feb 2000
        ("5205012902010001", False, None),  # 29 Feb 2001 / 1901
        ("9999994507890001", False, None),  # unknown kecamatan
        ("５２０５０１４５０７８９０００１", False, None),  # full-width digits are not ASCII digits
        (None, False, None),
    ],
)
def test_parse_nik(value, valid, sex):
    parsed = parse_nik(pd.Series([value], dtype="object"), KEC).iloc[0]
    assert bool(parsed["valid"]) is valid
    if sex:
        assert parsed["jenis_kelamin"] == sex


def test_nik_matches_birth_date():
    niks = pd.Series([nik("520501", 5, 7, 1989, 1, True), nik("520501", 5, 7, 1989, 1, False), None])
    births = parse_dates(pd.Series(["05-07-1989", "07-05-1989", "05-07-1989"]))["tanggal"]
    assert nik_matches_birth_date(parse_nik(niks, KEC), births).tolist() == [True, False, pd.NA]


def test_excel_damage_and_kk():
    cleaned, flagged = clean_nik_cells(pd.Series(["9.17101234567890E+15", "5205014507890000.0", "5205014507890001"]))
    assert flagged.tolist() == [True, True, False] and cleaned.isna().tolist() == [True, True, False]
    assert kk_format_ok(pd.Series(["5205010101200001", "52050101012000", None, "5205010101200000"])).tolist() == [
        True, False, False, False]


@given(st.lists(st.one_of(st.none(), st.text(max_size=25)), max_size=30))
def test_parsers_never_raise_on_wild_input(values):
    series = pd.Series(values, dtype="object")
    dates = parse_dates(series)
    assert len(dates) == len(values)
    niks = parse_nik(series, KEC)
    assert niks["valid"].dtype == bool
    assert (~niks["valid"] | niks["nik"].str.fullmatch(r"[0-9]{16}").fillna(False)).all()
    # The embedded date's digits as `pd.to_numeric` reads them, whatever the storage of the text.
    digits = niks["nik"].where(niks["format_ok"])
    for column, (a, b) in {"bulan": (8, 10), "tahun2": (10, 12)}.items():
        expected = pd.to_numeric(digits.str[a:b], errors="coerce").astype("float64")
        assert niks[column].equals(expected)
    for text in (series, series.astype("string[python]"), series.astype("string[pyarrow]")):
        assert parse_nik(text, KEC)[["hari", "bulan", "tahun2"]].equals(niks[["hari", "bulan", "tahun2"]])


@given(
    st.sampled_from(sorted(KEC)),
    st.dates(min_value=pd.Timestamp("1901-01-01").date(), max_value=pd.Timestamp("2025-12-31").date()),
    st.integers(1, 9999),
    st.booleans(),
)
def test_every_well_formed_nik_round_trips(kec, born, serial, female):
    value = nik(kec, born.day, born.month, born.year, serial, female)
    parsed = parse_nik(pd.Series([value]), KEC).iloc[0]
    assert parsed["valid"]
    assert parsed["jenis_kelamin"] == ("P" if female else "L")
    assert (parsed["hari"], parsed["bulan"], parsed["tahun2"]) == (born.day, born.month, born.year % 100)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.none(), st.text(max_size=25),
                          st.from_regex(r"['\s]*[0-9][0-9 .,\-eE+]{0,22}", fullmatch=True)), max_size=30))
def test_clean_nik_cells_total_and_idempotent(values):
    series = pd.Series(values, dtype="string")
    cleaned, flagged = clean_nik_cells(series)
    assert len(cleaned) == len(series) and flagged.dtype == bool
    assert cleaned[flagged].isna().all()
    again, flagged_again = clean_nik_cells(cleaned)
    assert again.fillna("<NA>").tolist() == cleaned.fillna("<NA>").tolist()
    assert not flagged_again.any()


def test_clean_id_cells_flags_only_ids_excel_rounded():
    values = pd.Series(["'DTKS-0001", "123.0", "5.20501E+15", "5205014507890001.0", "5205014507890000", None],
                       dtype="string")
    numeric = [False, False, False, False, True, False]
    cleaned, flagged = clean_id_cells(values, numeric)
    assert cleaned.tolist()[:2] == ["DTKS-0001", "123"]
    assert flagged.tolist() == [False, False, True, True, True, False]
    assert cleaned[flagged].isna().all()


def test_embedded_sex_and_kk_without_parsing_again():
    niks = pd.Series(["5205015507900001", "5205011507900001", "5205019907900001", None], dtype="string")
    assert embedded_sex(niks).tolist()[:2] == ["P", "L"]
    assert embedded_sex(niks).isna().tolist()[2:] == [True, True]
    assert kk_or_none(pd.Series(["5205010101200001", "5205 0101", None], dtype="string")).tolist()[0] \
        == "5205010101200001"
    assert kk_or_none(pd.Series(["5205 0101"], dtype="string")).isna().all()
