"""A pass with a budget skips the blocking rules it cannot afford, says which, and never the first rule; without
a budget, or when every pair fits, every rule runs."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from satudata.linkage import blocking
from satudata.linkage.blocking import affordable_rules
from splink import DuckDBAPI

NARROW = 'l."nik" = r."nik"'
BROAD = 'l."tahun_lahir" = r."tahun_lahir"'
NAME = 'l."nama_depan" = r."nama_depan"'


@pytest.fixture
def tables():
    # 300 x 200 people born in 3 years: the birth year alone makes ~20,000 pairs, the NIK 200
    left = pd.DataFrame({"unique_id": [f"l{i}" for i in range(300)], "nik": [f"{i:016d}" for i in range(300)],
                         "tahun_lahir": [1980 + i % 3 for i in range(300)],
                         "nama_depan": [f"nama{i % 150}" for i in range(300)]})
    right = pd.DataFrame({"unique_id": [f"r{i}" for i in range(200)], "nik": [f"{i:016d}" for i in range(200)],
                          "tahun_lahir": [1980 + i % 3 for i in range(200)],
                          "nama_depan": [f"nama{i % 100}" for i in range(200)]})
    con = duckdb.connect()
    api = DuckDBAPI(con)
    yield [api.register(left, table_name="kiri"), api.register(right, table_name="kanan")]
    con.close()


def test_a_rule_over_the_budget_is_skipped_and_named(tables, monkeypatch, caplog):
    monkeypatch.setattr(blocking, "MIN_BUDGET", 1_000)
    caplog.set_level("INFO", logger="satudata.linkage.blocking")
    kept, skipped = affordable_rules(tables, [NARROW, BROAD, NAME], 500, per_record=2)
    assert kept == [NARROW, NAME]
    assert [s["aturan"] for s in skipped] == [BROAD]
    assert skipped[0]["perkiraan_perbandingan"] > 1_000  # exact here (small lists): ~20,000 pairs
    assert "1 of 3 rules skipped" in caplog.text and "tahun_lahir" in caplog.text


def test_the_first_rule_always_runs(tables, monkeypatch):
    monkeypatch.setattr(blocking, "MIN_BUDGET", 1)
    kept, skipped = affordable_rules(tables, [BROAD, NARROW], 500, per_record=0)
    assert kept[0] == BROAD and BROAD not in [s["aturan"] for s in skipped]


def test_no_budget_or_a_small_pass_keeps_every_rule(tables):
    assert affordable_rules(tables, [NARROW, BROAD], 500, per_record=None) == ([NARROW, BROAD], [])
    # 300 x 200 = 60,000 possible pairs: under the default MIN_BUDGET, nothing is even counted
    assert affordable_rules(tables, [NARROW, BROAD], 500, per_record=0.01) == ([NARROW, BROAD], [])
