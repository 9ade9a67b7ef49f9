"""The period has one home (normalise/periode.py): one month table, every form it is read from and printed in."""

from __future__ import annotations

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
