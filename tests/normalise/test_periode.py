"""The period has one home (normalise/periode.py): one month table, every form it is read from and printed in."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from satudata.normalise import periode


@given(st.integers(2000, 2099), st.integers(1, 12))  # file names carry 20xx years only
def test_periode_prints_and_reads_back_in_every_form(year, month):
    value = f"{year:04d}-{month:02d}"
    assert periode.is_periode(value)
    name = periode.nama_periode(value)
    assert name == f"{periode.BULAN[month - 1]} {year}"
    assert periode.periode_text(value) == f"{name} ({value})"
    assert periode.parse_periode([f"Periode: {name}"]) == value
    assert periode.period_from_name(f"PKH Dompu {name}.xlsx") == value
    assert periode.period_from_name(f"dtks_5205_{value}.xlsx") == value


def test_one_month_table_serves_dates_and_periods():
    from satudata.normalise import dates

    assert dates.MONTHS is periode.MONTHS
    assert not periode.is_periode("2026-13") and not periode.is_periode("../2026-11")
    assert periode.periode_text(None) == "tidak diketahui"


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["Periode: November 2026"], "2026-11"), (["Data bulan Nop 2026"], "2026-11"),
        (["Keadaan 30 September 2026"], "2026-09"), (["Period: March 2027"], "2027-03"),
        (["2026-11"], "2026-11"), (["Periode 11/2026"], "2026-11"), (["Periode: 30/11/2026"], "2026-11"),
        (["Dicetak 05/12/2026", "Kabupaten X"], None), (["Bulan Mei 2026"], "2026-05"), (["Agt-2026"], "2026-08"),
        (["Laporan", "Periode: Desember 2026"], "2026-12"), ([], None), (["Kecamatan Praya"], None),
    ],
)  # fmt: skip
def test_parse_periode(lines, expected):
    assert periode.parse_periode(lines) == expected


# ------------------------------------------------------------------------------------- quarters, semesters


@pytest.mark.parametrize(
    ("name", "expected", "bentuk", "teks"),
    [
        ("DTSEN TW3 2026.xlsx", "2026-07", "triwulan", "TW3 2026"),
        ("DTSEN TW III 2026.xlsx", "2026-07", "triwulan", "TW III 2026"),
        ("DTSEN TW-3-2026.xlsx", "2026-07", "triwulan", "TW-3-2026"),
        ("DTSEN TW.3 2026.xlsx", "2026-07", "triwulan", "TW.3 2026"),
        ("Triwulan 3 2026.xlsx", "2026-07", "triwulan", "Triwulan 3 2026"),
        ("DTSEN Triwulan III 2026.xlsx", "2026-07", "triwulan", "Triwulan III 2026"),
        ("Triwulan Ketiga 2026.xlsx", "2026-07", "triwulan", "Triwulan Ketiga 2026"),
        ("Triwulan ke-2 2026.xlsx", "2026-04", "triwulan", "Triwulan ke-2 2026"),
        ("Q3 2026.xlsx", "2026-07", "triwulan", "Q3 2026"),
        ("dtsen_2026Q4.xlsx", "2026-10", "triwulan", "2026Q4"),
        ("Kuartal 1 2027.csv", "2027-01", "triwulan", "Kuartal 1 2027"),
        ("dtsen_5205_TW3_2026.csv", "2026-07", "triwulan", "TW3_2026"),
        ("TWIII2026.xlsx", "2026-07", "triwulan", "TWIII2026"),
        ("DTSEN Dompu 2026 TW4 final.xlsx", "2026-10", "triwulan", "2026 TW4"),
        ("DTSEN TW4 Dompu 2026.xlsx", "2026-10", "triwulan", "TW4"),  # the one year elsewhere in the name
        ("Semester II 2026.xlsx", "2026-07", "semester", "Semester II 2026"),
        ("Semester 1 2026.xlsx", "2026-01", "semester", "Semester 1 2026"),
    ],
)  # fmt: skip
def test_quarters_and_semesters_in_names(name, expected, bentuk, teks):
    assert periode.period_from_name(name) == expected
    found = periode.understand_periode(name, [])
    assert (found.periode, found.sumber, found.bentuk, found.teks, found.lain) == (expected, "nama_berkas", bentuk,
                                                                                  teks, ())


@pytest.mark.parametrize(
    "name",
    [
        "TWITTER 2026.xlsx", "NETWORK 2026.xlsx", "IQ300 2026.xlsx", "Q300.xlsx", "Desa Marga 2026.xlsx",
        "Desa 2026.xlsx", "TW 1-2 2026.xlsx", "TW I s.d. III 2026.xlsx", "Semester 3 2026.xlsx", "TW5 2026.xlsx",
        "TW3.xlsx",  # no year anywhere: never invented
        "TW3 dompu 2025 rev 2026.xlsx",  # two years, none beside the quarter
    ],
)  # fmt: skip
def test_words_that_are_no_period(name):
    assert periode.period_from_name(name) is None
    assert periode.understand_periode(name, []) is None


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["Triwulan III Tahun Anggaran 2026"], "2026-07"), (["Laporan Triwulan III", "Tahun 2026"], "2026-07"),
        (["Periode: TW IV/2026"], "2026-10"), (["Q2 2027"], "2027-04"), (["Semester II 2026"], "2026-07"),
        (["Periode Juli - September 2026"], "2026-07"), (["Periode Jan s.d. Mar 2026"], "2026-01"),
        (["TW III (Juli - September 2026)"], "2026-07"), (["Januari - Juni 2026"], "2026-01"),
        (["Periode Juli - Agustus 2026"], None),  # two months, not one period
        (["Triwulan III"], None), (["Dicetak 05/12/2026", "Triwulan IV"], None),  # a print date is no year
        (["Triwulan III", "Tahun 2025", "TA 2026"], None),  # two years stated: none chosen
        (["Desa Marga 2026"], None), (["TWITTER 2026"], None),
    ],
)  # fmt: skip
def test_quarters_in_title_rows(lines, expected):
    assert periode.parse_periode(lines) == expected


def test_a_quarter_without_year_takes_the_title_year_and_says_where():
    found = periode.understand_periode("DTSEN_TW3.xlsx", ["DATA DTSEN KABUPATEN DOMPU", "Tahun 2026"])
    assert found == periode.PeriodeFound("2026-07", "nama_berkas", "triwulan", "TW3", "Tahun 2026", ())
    assert periode.understand_periode("DTSEN_TW3.xlsx", ["DATA DTSEN"]) is None
    assert periode.understand_periode("DTSEN_TW3.xlsx", ["Tahun 2025", "Tahun 2026"]) is None


def test_name_and_title_that_disagree_expose_the_conflict():
    found = periode.understand_periode("DTSEN_TW3_2026.xlsx", ["Periode: Januari 2026"])
    assert (found.periode, found.sumber, found.lain) == ("2026-07", "nama_berkas", ("2026-01",))
    # a month inside the quarter is still another reading: the caller asks
    assert periode.understand_periode("DTSEN_TW3.xlsx", ["Periode: Agustus 2026"]).lain == ("2026-08",)
    agreeing = periode.understand_periode("DTSEN_TW3_2026.xlsx", ["Periode Juli - September 2026"])
    assert agreeing.lain == ()
    # two readings in the name itself
    assert periode.understand_periode("dtsen TW4 2026-11.xlsx", []).lain == ("2026-11",)
    assert periode.understand_periode("dtsen 2026-11 TW4.xlsx", []).lain == ("2026-11",)


def test_title_rows_alone():
    found = periode.understand_periode("data.xlsx", ["Laporan", "Periode: November 2026"])
    assert found == periode.PeriodeFound("2026-11", "isi_berkas", "bulan", "November 2026")
    assert periode.understand_periode("data.xlsx", []) is None


_QUARTER_STYLES = ["TW{q} {y}", "TW {r} {y}", "TW-{q}-{y}", "TW.{q}_{y}", "Triwulan {q} {y}", "Triwulan {r} {y}",
                   "Triwulan {w} {y}", "Q{q} {y}", "{y}Q{q}", "Kuartal {q} {y}", "_TW{q}_{y}", "{y} - TW{q}"]
_ROMAN = ["I", "II", "III", "IV"]
_ORDINAL = ["Pertama", "Kedua", "Ketiga", "Keempat"]


@given(st.integers(2000, 2099), st.integers(1, 4), st.sampled_from(_QUARTER_STYLES), st.sampled_from(["", "DTSEN "]),
       st.sampled_from([".xlsx", ".csv"]))
def test_every_quarter_style_reads_back_as_its_first_month(year, quarter, style, prefix, suffix):
    text = style.format(q=quarter, r=_ROMAN[quarter - 1], w=_ORDINAL[quarter - 1], y=year)
    expected = f"{year}-{3 * quarter - 2:02d}"
    assert periode.period_from_name(prefix + text + suffix) == expected
    found = periode.understand_periode(prefix + text + suffix, [f"Periode: {text}"])
    assert (found.periode, found.bentuk, found.lain) == (expected, "triwulan", ())
    assert found.teks in prefix + text
    assert periode.parse_periode([f"Data {text}"]) == expected


@given(st.text(max_size=60), st.lists(st.text(max_size=60), max_size=4))
def test_wild_names_and_titles_never_raise(name, lines):
    found = periode.understand_periode(name, lines)
    by_name, by_title = periode.period_from_name(name), periode.parse_periode(lines)
    for value in (by_name, by_title):
        assert value is None or periode.is_periode(value)
    if found is None:
        assert by_name is None and by_title is None
    else:
        assert periode.is_periode(found.periode) and found.periode not in found.lain
        assert found.teks in (name if found.sumber == "nama_berkas" else "\n".join(lines))
        assert found.periode == (by_name if by_name else found.periode)
        if found.sumber == "isi_berkas":
            assert found.periode == by_title
