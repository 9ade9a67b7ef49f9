"""A later release of a period never reveals what an earlier release of the same period hid.

Two releases that hide different cells of nearly the same figures can be subtracted from each other. The
period's current publication is read back from `mart` and what it hid stays hidden in the next release, on
top of what the new figures need (docs/publikasi.md: "a cell once hidden in a period stays hidden in that
period's later releases").

Regencies 5201-5203 and their province, one count that only adds up from regencies to the province
(`penerima_tidak_ditemukan`, in no within-row relation), written straight into `core.indikator_*`.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from satudata.config import Settings
from satudata.publish.publication import plan_publication, publish_period
from satudata.publish.suppress import KONVERGENSI, recoverable, suppress
from satudata.warehouse.engine import bulk_insert, make_engine

from tests.builders import query_rows

PERIODE = "2025-08"
COLUMN = "penerima_tidak_ditemukan"
FIRST = {"5201": 3, "5202": 8, "5203": 10}  # 3 is small; 8, the smallest sibling, goes with it
SECOND = {"5201": 3, "5202": 8, "5203": 7}  # a corrected 5203: alone, these would hide 5203 and publish 5202


def _tables(values: dict[str, int]) -> dict[str, pd.DataFrame]:
    base = {c: 0 for c in KONVERGENSI.counts} | {"keluarga_terdata": 400, "keluarga_p3ke": 300}
    kab = pd.DataFrame([base | {"periode": PERIODE, "kode_provinsi": "52", "kode_kab": k, "nama_wilayah": f"Kab {k}",
                                COLUMN: v} for k, v in values.items()])
    prov = pd.DataFrame([base | {"periode": PERIODE, "kode_provinsi": "52", "nama_wilayah": "Nusa Tenggara Barat",
                                 "keluarga_terdata": 400 * len(values), "keluarga_p3ke": 300 * len(values),
                                 COLUMN: sum(values.values())}])
    return {"konvergensi_kabupaten": kab, "konvergensi_provinsi": prov}


def _compute(url: str, values: dict[str, int]) -> None:
    """The convergence stage's result for the period, as if it had just run."""
    import sqlalchemy as sa

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            for table, frame in _tables(values).items():
                conn.execute(sa.text(f"DELETE FROM core.indikator_{table} WHERE periode = :p"), {"p": PERIODE})
                bulk_insert(conn, f"core.indikator_{table}", frame)
    finally:
        engine.dispose()


def _published(url: str) -> dict[str, int | None]:
    return dict(query_rows(url, f"SELECT kode_kab, {COLUMN} FROM mart.konvergensi_kabupaten WHERE periode = :p",
                           p=PERIODE))


def _publish(settings: Settings, minimum: int = 5) -> dict:
    return publish_period(settings, PERIODE, disetujui_oleh="Ibu Walidata", cara_persetujuan="konfigurasi",
                          run_id="uji", minimum=minimum)


def test_the_second_figures_alone_would_give_the_first_release_away():
    """The premise, without a warehouse: suppressed each on its own, the two releases hide different cells
    and together tell 5201's 3 (first: 5201 + 5202 = 21 - 10; second: 5202 = 8)."""
    first = suppress(_tables(FIRST), 5).tables["konvergensi_kabupaten"].set_index("kode_kab")[COLUMN]
    alone = suppress(_tables(SECOND), 5).tables["konvergensi_kabupaten"].set_index("kode_kab")[COLUMN]
    assert first.isna().to_dict() == {"5201": True, "5202": True, "5203": False}
    assert alone.isna().to_dict() == {"5201": True, "5202": False, "5203": True}
    previous = suppress(_tables(FIRST), 5).tables
    kept = suppress(_tables(SECOND), 5, previous)
    assert kept.tables["konvergensi_kabupaten"].set_index("kode_kab")[COLUMN].isna().to_dict() == {
        "5201": True, "5202": True, "5203": False}
    assert kept.kept == 1 and recoverable(kept.tables, 5) == []


def test_a_later_release_of_the_period_keeps_hidden_what_the_earlier_hid(tmp_path, warehouse_url):
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=warehouse_url)
    settings.ensure_folders()
    _compute(warehouse_url, FIRST)
    first = _publish(settings)
    assert _published(warehouse_url) == {"5201": None, "5202": None, "5203": 10}

    _compute(warehouse_url, SECOND)
    plan = plan_publication(settings, PERIODE, minimum=5)
    assert plan["berubah"] and plan["sel_disensor_sebelumnya"] == 1
    second = _publish(settings)
    assert second["berubah"] and second["publikasi_id"] != first["publikasi_id"]
    assert _published(warehouse_url) == {"5201": None, "5202": None, "5203": 7}, "5202 stays hidden"
    assert second["sel_disensor_sebelumnya"] == 1
    ringkasan = json.loads(query_rows(warehouse_url, "SELECT ringkasan FROM meta.publikasi WHERE publikasi_id = :i",
                                      i=second["publikasi_id"])[0][0])
    assert ringkasan["sel_disensor_sebelumnya"] == 1 and ringkasan["menggantikan"] == first["publikasi_id"]
    sel = dict(query_rows(warehouse_url, "SELECT kode_kab, sel_disensor FROM mart.konvergensi_kabupaten "
                                         "WHERE periode = :p", p=PERIODE))
    assert COLUMN in sel["5202"].split(",")

    # The same figures again: the same cells, no new version.
    again = _publish(settings)
    assert not again["berubah"] and again["publikasi_id"] == second["publikasi_id"]
    # A lower threshold does not reveal either: once hidden in the period, hidden in its later releases.
    lower = _publish(settings, minimum=1)
    assert lower["berubah"] and _published(warehouse_url) == {"5201": None, "5202": None, "5203": 7}
    # Nor does a third release whose own figures need nothing hidden at all.
    _compute(warehouse_url, {"5201": 30, "5202": 8, "5203": 7})
    _publish(settings)
    assert _published(warehouse_url) == {"5201": None, "5202": None, "5203": 7}


def test_another_period_starts_afresh(tmp_path, duckdb_warehouse_url):
    """The rule is per period: what 2025-08 hid says nothing about another period's cells."""
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=duckdb_warehouse_url)
    settings.ensure_folders()
    _compute(duckdb_warehouse_url, FIRST)
    _publish(settings)
    engine = make_engine(duckdb_warehouse_url)
    try:
        with engine.begin() as conn:
            for table, frame in _tables({"5201": 30, "5202": 8, "5203": 7}).items():
                bulk_insert(conn, f"core.indikator_{table}", frame.assign(periode="2025-09"))
    finally:
        engine.dispose()
    publish_period(settings, "2025-09", disetujui_oleh="Ibu Walidata", cara_persetujuan="konfigurasi", minimum=5)
    assert dict(query_rows(duckdb_warehouse_url, f"SELECT kode_kab, {COLUMN} FROM mart.konvergensi_kabupaten "
                                                 "WHERE periode = '2025-09'")) == {"5201": 30, "5202": 8, "5203": 7}


def test_a_part_changed_since_the_last_release_goes_before_one_published_there_unchanged():
    """5201 falls from 6 to 3. Hiding 5202 (8, published before and unchanged) would leave 5201 = 23 - 12 - 8
    to a reader of both releases; 5203 (was 9, now 12) protects it: its old figure is stale."""
    previous = suppress(_tables({"5201": 6, "5202": 8, "5203": 9}), 5).tables
    assert previous["konvergensi_kabupaten"][COLUMN].notna().all()
    result = suppress(_tables({"5201": 3, "5202": 8, "5203": 12}), 5, previous)
    got = result.tables["konvergensi_kabupaten"].set_index("kode_kab")[COLUMN]
    assert got.isna().to_dict() == {"5201": True, "5202": False, "5203": True}
    # without an earlier release the smallest sibling goes, as always
    alone = suppress(_tables({"5201": 3, "5202": 8, "5203": 12}), 5).tables["konvergensi_kabupaten"]
    assert alone.set_index("kode_kab")[COLUMN].isna().to_dict() == {"5201": True, "5202": True, "5203": False}


@pytest.mark.parametrize("reverse", [False, True])
def test_the_earlier_release_is_matched_by_key_not_by_row_order(reverse):
    previous = suppress(_tables(FIRST), 5).tables
    if reverse:
        previous = {name: frame.iloc[::-1] for name, frame in previous.items()}
    new = _tables(SECOND)
    result = suppress({name: new[name].iloc[::-1] for name in reversed(list(new))}, 5, previous)
    got = result.tables["konvergensi_kabupaten"].set_index("kode_kab")[COLUMN]
    assert got.isna().to_dict() == {"5201": True, "5202": True, "5203": False}
