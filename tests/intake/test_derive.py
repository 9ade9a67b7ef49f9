"""The columns the suites check (`intake.derive`): what a NIK says, where a desa lies, how often a key was
seen in the file (across its chunks), and the family a member needs."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as settings_h
from hypothesis import strategies as st
from satudata.intake.derive import (
    FileState,
    ReferenceParameters,
    derive,
    isin_lookup,
    iso_dates,
    normalise_hubungan,
    normalise_sex,
)

from tests.builders import DESA, KAB, OTHER_KAB_DESA, nik


@pytest.fixture(scope="module")
def params() -> ReferenceParameters:
    from satudata.reference.program import ProgrammeMatcher
    from satudata.reference.wilayah import Wilayah

    return ReferenceParameters(kode_kab=KAB, today=pd.Timestamp("2026-11-15"), wilayah=Wilayah.load(),
                               programmes=ProgrammeMatcher.load())


def _frame(rows: list[dict], start: int = 2) -> pd.DataFrame:
    return pd.DataFrame(rows, index=pd.Index(range(start, start + len(rows)), dtype="int64")).astype("string")


def test_a_nik_is_read_and_counted_across_the_chunks_of_a_file(params):
    state = FileState()
    woman = nik(7, 8, 1985, 3, female=True)
    first = derive("dtks", _frame([{"nik": woman, "nama": "Siti", "kode_desa": "52.05.01.1001",
                                    "jenis_kelamin": "perempuan", "hubungan_keluarga": "istri/suami"},
                                   {"nik": "12345", "nama": "Budi", "kode_desa": OTHER_KAB_DESA,
                                    "jenis_kelamin": "Lk", "hubungan_keluarga": "KRT"}]), params, state)
    assert first.index.tolist() == [2, 3]
    assert first["nik_16digit"].tolist() == [True, False]
    assert first["nik_ddmmyy"].iloc[0] == "070885"  # the birth date: a woman's day is +40 in the NIK
    assert first["nik_jenis_kelamin"].iloc[0] == "P"
    assert first["nik_kemunculan"].iloc[0] == 1
    # a rule that holds only where another does: the NIK's date is checked on 16-digit NIKs only
    assert first["nik_format_ok_jika_nik_16digit"].iloc[0] == first["nik_format_ok"].iloc[0]
    assert pd.isna(first["nik_format_ok_jika_nik_16digit"].iloc[1])
    assert first["kode_desa"].tolist() == [DESA[0], OTHER_KAB_DESA]
    assert first["kode_desa_kab"].tolist() == [KAB, OTHER_KAB_DESA[:4]]
    assert first["jenis_kelamin"].tolist() == ["P", "L"]
    assert first["hubungan_keluarga"].tolist() == ["Istri", "Kepala Keluarga"]
    assert first["tanggal_lahir_ada"].tolist() == [False, False]  # a DTKS row always has the date checks

    second = derive("dtks", _frame([{"nik": woman, "nama": "Siti", "kode_desa": DESA[0]}], start=4), params, state)
    assert second["nik_kemunculan"].tolist() == [2]


def test_a_member_needs_a_family_the_family_sheet_accepted(params):
    state = FileState()
    families = derive("p3ke_keluarga", _frame([{"id_keluarga_p3ke": "K1", "desil": "Desil 3"},
                                               {"id_keluarga_p3ke": "K2", "desil": "III"}]), params, state)
    assert families["desil"].tolist() == ["3", "3"]
    assert families["id_keluarga_kemunculan"].tolist() == [1, 1]
    state.refused_families["K2"] = (3, "desil_tidak_valid")
    members = derive("p3ke_anggota", _frame([{"id_keluarga_p3ke": k, "nama": "A"} for k in ("K1", "K2", "K9")]),
                     params, state)
    assert members["id_keluarga_ada"].tolist() == [True, True, False]
    assert members["keluarga_diterima"].tolist() == [True, False, True]


def test_sex_and_relation_as_the_suites_spell_them_and_unknown_text_kept():
    assert normalise_sex(pd.Series(["laki-laki", "Wanita", "2", "x", None], dtype="string")).tolist() == [
        "L", "P", "P", "x", pd.NA]
    assert normalise_hubungan(pd.Series(["anak kandung", "Famili", "tetangga"], dtype="string")).tolist() == [
        "Anak", "Famili Lain", "tetangga"]


@settings_h(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=4)), max_size=40),
       st.sets(st.one_of(st.text(max_size=4), st.integers()), max_size=30),
       st.sampled_from(["string[pyarrow]", "object", "string[python]"]))
def test_isin_lookup_answers_what_pandas_isin_answers(values, lookup, dtype):
    """Arrow's own lookup for Arrow text, pandas' for the rest: the same answer, an empty cell never found."""
    series = pd.Series(values, dtype=dtype, index=range(7, 7 + len(values)))
    found = isin_lookup(series, lookup)
    assert found.dtype == bool and found.index.equals(series.index)
    assert found.tolist() == [v is not None and v in lookup for v in values]


@given(st.lists(st.one_of(st.none(), st.datetimes(min_value=dt.datetime(1800, 1, 1),
                                                   max_value=dt.datetime(2100, 12, 31))), max_size=40),
       st.sampled_from(["%Y-%m-%d", "%d%m%y", "%d-%m-%Y"]))
@settings_h(max_examples=150, deadline=None)
def test_dates_are_written_as_python_writes_them(values, fmt):
    parsed = pd.to_datetime(pd.Series(values, dtype=object)).set_axis(range(10, 10 + len(values)))
    expected = [None if v is None else v.strftime(fmt) for v in values]
    written = iso_dates(parsed, fmt)
    assert written.index.equals(parsed.index)
    assert [None if pd.isna(v) else v for v in written] == expected
