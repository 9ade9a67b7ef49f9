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
