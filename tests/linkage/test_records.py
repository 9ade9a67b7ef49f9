"""Person records ready for linkage: staged rows are trusted by intake's flags, other lists by normalise.nik."""

from __future__ import annotations

import pandas as pd
from satudata.linkage.records import prepare_people

NIK_P = "5205015507900001"  # a woman born 15-07-1990 (day + 40)
NIK_BAD_DATE = "5205019907900002"  # day 99: no date


def test_staged_rows_are_trusted_by_their_flags_not_parsed_again():
    staged = pd.DataFrame({
        "id": ["1", "2", "3"], "nik": [NIK_P, NIK_BAD_DATE, None], "nik_valid": [True, True, False],
        "nik_angka_excel": [False, False, True], "nama": ["Ani", "Budi", "Cici"], "no_kk": ["5205010101200001",
                                                                                        None, "52050"],
    })
    out = prepare_people(staged)
    # Intake decided: its nik_valid holds (even where a local parse would disagree), nothing re-parsed.
    assert out["nik_dipercaya"].tolist() == [True, True, False]
    assert out["jenis_kelamin"].tolist()[0] == "P"
    assert out["no_kk"].tolist()[0] == "5205010101200001" and pd.isna(out["no_kk"].iloc[2])


def test_lists_from_outside_intake_are_parsed_here():
    listed = pd.DataFrame({"id": ["1", "2"], "nik": ["5205 0155 0790 0001", NIK_BAD_DATE], "nama": ["Ani", "Budi"],
                           "no_kk": ["5205.0101.2000.0001", "52050"]})
    out = prepare_people(listed, nik_flagged=pd.Series([True, False]))
    assert out["nik"].tolist() == [NIK_P, NIK_BAD_DATE]
    assert out["nik_dipercaya"].tolist() == [False, False]  # flagged by the caller; no real date
    assert out["jenis_kelamin"].tolist()[0] == "P" and pd.isna(out["jenis_kelamin"].iloc[1])
    assert out["no_kk"].iloc[0] == "5205010120000001" and pd.isna(out["no_kk"].iloc[1])
