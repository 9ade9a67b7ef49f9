"""A file's own totals against its lines: subtotals, grand totals, totals above their group, budget parents
and account rows, counts in a label; never a sum staged as a line."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from satudata.intake.rows import ControlRow
from satudata.intake.totals import Reconciler, sen


def _lines(rows: dict[int, dict[str, str]]) -> pd.DataFrame:
    return pd.DataFrame.from_dict(rows, orient="index").astype("string")


def test_subtotals_and_a_grand_total_match_and_a_wrong_one_is_named():
    lines = _lines({3: {"nilai_bantuan": "300.000"}, 4: {"nilai_bantuan": "300.000"},
                    6: {"nilai_bantuan": "600.000"}, 7: {"nilai_bantuan": "200.000"}})
    controls = [ControlRow(5, "Sub Total Desa A", {"nilai_bantuan": "600.000"}),
                ControlRow(8, "Sub Total Desa B", {"nilai_bantuan": "800.000"}),
                ControlRow(9, "JUMLAH 4 KPM", {"nilai_bantuan": "1.500.000"})]
    reconciler = Reconciler("intervensi")
    reconciler.observe("utama", lines, controls)
    checks = {(c.baris, c.kolom): c for c in reconciler.checks()}
    assert checks[(5, "nilai_bantuan")].cocok and checks[(8, "nilai_bantuan")].cocok
    grand = checks[(9, "nilai_bantuan")]
    assert not grand.cocok and grand.nilai_rincian == Decimal(1400000) and grand.selisih == Decimal(100000)
    assert checks[(9, "baris")].cocok  # "4 KPM": four lines


def test_a_total_written_above_its_group_and_totals_across_chunks():
    reconciler = Reconciler("anggaran")
    reconciler.observe("sub_kegiatan", _lines({2: {"pagu": "1.000.000"}}), [ControlRow(1, "TOTAL", {"pagu": "3500000"})])
    reconciler.observe("sub_kegiatan", _lines({3: {"pagu": "2.500.000"}}), [])
    assert [c.cocok for c in reconciler.checks()] == [True]


def test_budget_parents_are_checked_against_their_lines_and_never_staged():
    frame = _lines({
        2: {"kode_sub_giat": "1.06.04", "nama_sub_giat": "PROGRAM PERLINDUNGAN DAN JAMINAN SOSIAL", "pagu": "13.140.000.000"},
        3: {"kode_sub_giat": "1.06.04.2.01", "nama_sub_giat": "Kegiatan A", "pagu": "13.140.000.000"},
        4: {"kode_sub_giat": "1.06.04.2.01.0002", "nama_sub_giat": "Sub A", "pagu": "10.000.000.000"},
        5: {"kode_sub_giat": "1.06.04.2.01.0003", "nama_sub_giat": "Sub B", "pagu": "3.140.000.000"},
    })
    reconciler = Reconciler("anggaran")
    lines = reconciler.budget_lines("sub_kegiatan", frame)
    assert list(lines.index) == [4, 5]  # the programme and kegiatan rows are sums, not lines
    checks = reconciler.checks()
    assert {c.baris for c in checks} == {2, 3} and all(c.cocok and c.jenis_baris == "induk" for c in checks)
    frame.loc[2, "pagu"] = "39.420.000.000"  # counted three times in the file's own figure: held, not staged
    reconciler = Reconciler("anggaran")
    reconciler.budget_lines("sub_kegiatan", frame)
    wrong = reconciler.mismatches()
    assert [(c.baris, c.selisih) for c in wrong] == [(2, Decimal(26280000000))]


def test_account_rows_are_details_of_their_line_and_fill_an_empty_amount():
    frame = _lines({
        2: {"kode_sub_giat": "1.06.04.2.01.0002", "pagu": None},
        3: {"kode_sub_giat": "5.1.02.01.01.0024", "pagu": "700.000"},
        4: {"kode_sub_giat": "5.1.02.01.01.0026", "pagu": "300.000"},
        5: {"kode_sub_giat": "1.06.04.2.01.0003", "pagu": "500.000"},
        6: {"kode_sub_giat": "5.1.02.01.01.0024", "pagu": "400.000"},
    })
    reconciler = Reconciler("anggaran")
    lines = reconciler.budget_lines("sub_kegiatan", frame)
    assert list(lines.index) == [2, 5] and lines.loc[2, "pagu"] == "1000000"
    assert reconciler.filled == [("sub_kegiatan", 2, "pagu")]
    assert [(c.baris, c.cocok) for c in reconciler.checks()] == [(5, False)]  # 500.000 against 400.000


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10**13), min_size=1, max_size=30), st.data())
def test_a_correct_total_always_matches_wherever_the_rows_are_cut(amounts, data):
    cut = data.draw(st.integers(min_value=0, max_value=len(amounts)))
    rows = {i + 2: {"pagu": f"{a:,}".replace(",", ".")} for i, a in enumerate(amounts)}
    total = ControlRow(len(amounts) + 2, "JUMLAH", {"pagu": str(sum(amounts))})
    reconciler = Reconciler("anggaran")
    first = {k: v for k, v in rows.items() if k < cut + 2}
    rest = {k: v for k, v in rows.items() if k >= cut + 2}
    reconciler.observe("s", _lines(first) if first else _lines({}).reindex(columns=["pagu"]), [])
    reconciler.observe("s", _lines(rest) if rest else _lines({}).reindex(columns=["pagu"]), [total])
    assert all(c.cocok for c in reconciler.checks())


def test_amounts_are_whole_sen():
    values, present = sen(pd.Series(["Rp 1.250.000,50", "-", None, "2,5 M"], dtype="string"))
    assert list(values) == [125000050, 0, 0, 250000000000] and list(present) == [True, True, False, True]
