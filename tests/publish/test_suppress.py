"""Suppression of the budget tables when a province has its own APBD beside its regencies' (pemilik_anggaran).

The province's own programme reaches the families on the programme's lists in all its regencies, while only
the regencies that fund the programme from their own APBD have a row: the relation is partial, and the
unpublished remainder (families of the other regencies) must not be small and readable by subtraction.
"""

from __future__ import annotations

import pandas as pd
import pytest
from satudata.publish.suppress import recoverable, suppress


def _reach(rows: list[tuple]) -> pd.DataFrame:
    """(tingkat, pemilik_anggaran, kode_wilayah, families, desil-1 families) of programme JPS_GEMILANG."""
    return pd.DataFrame([{
        "periode": "2024-11", "tingkat": tingkat, "pemilik_anggaran": pemilik, "kode_wilayah": kode,
        "kode_program": "JPS_GEMILANG", "pagu": 1_000_000.0, "keluarga_terjangkau": k,
        "keluarga_desil1_terjangkau": d, "persen_desil1": round(100 * d / k, 1) if k else None,
        "rupiah_per_keluarga_desil1": round(1_000_000 / d) if d else None,
    } for tingkat, pemilik, kode, k, d in rows])


def test_a_small_remainder_of_the_provinces_own_reach_is_not_given_away():
    # 5205 funds JPS Gemilang itself (20 families); the province's own JPS Gemilang reaches 22: 2 are in a
    # regency with no row of its own, and would be read as 22 - 20.
    table = _reach([("kabupaten", "kabupaten", "5205", 20, 12), ("provinsi", "kabupaten", "52", 20, 12),
                    ("provinsi", "provinsi", "52", 22, 13)])
    result = suppress({"anggaran_jangkauan": table}, 5)
    got = result.tables["anggaran_jangkauan"].set_index(["tingkat", "pemilik_anggaran"])
    own = got.loc[("provinsi", "provinsi")]
    assert pd.isna(own["keluarga_terjangkau"]) and pd.isna(own["keluarga_desil1_terjangkau"])
    assert pd.isna(own["rupiah_per_keluarga_desil1"]) and own["pagu"] == 1_000_000, "amounts stay public"
    # the total alone hidden would be the part plus nothing: one part goes with it, and so on upwards
    assert pd.isna(got.loc[("kabupaten", "kabupaten"), "keluarga_terjangkau"])
    assert recoverable(result.tables, 5) == []


@pytest.mark.parametrize("own, hidden", [((30, 20), False), ((20, 12), False), ((22, 13), True)])
def test_the_remainder_decides_and_nothing_published_is_recoverable(own, hidden):
    table = _reach([("kabupaten", "kabupaten", "5205", 20, 12), ("provinsi", "kabupaten", "52", 20, 12),
                    ("provinsi", "provinsi", "52", *own)])
    result = suppress({"anggaran_jangkauan": table}, 5)
    row = result.tables["anggaran_jangkauan"].iloc[2]
    assert pd.isna(row["keluarga_terjangkau"]) == hidden
    assert recoverable(result.tables, 5) == []
    # what a reader sees of the exact table, without suppression, is flagged by the audit
    if hidden:
        assert recoverable({"anggaran_jangkauan": table}, 5), "22 - 20 = 2 families is a leak"


def test_the_regencies_sum_nests_the_regency_rows_and_not_the_provinces_own():
    # 5205's 3 families are small: its sibling 5201 goes with it in the regencies' sum; the province's own
    # row (another APBD) reaches the same 23 families and stays published.
    table = _reach([("kabupaten", "kabupaten", "5205", 3, 2), ("kabupaten", "kabupaten", "5201", 20, 10),
                    ("provinsi", "kabupaten", "52", 23, 12), ("provinsi", "provinsi", "52", 23, 12)])
    result = suppress({"anggaran_jangkauan": table}, 5)
    got = result.tables["anggaran_jangkauan"]
    assert got["keluarga_terjangkau"].isna().tolist() == [True, True, False, False]
    assert recoverable(result.tables, 5) == []
