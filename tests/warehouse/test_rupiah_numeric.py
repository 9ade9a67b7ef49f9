"""Migration 0015: rupiah columns become NUMERIC(24, 2) on both engines, rows and values kept (to the sen), and
the bulk path writes Decimal amounts exactly (issue 28, point 8)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import sqlalchemy as sa
from satudata.warehouse.engine import bulk_insert, make_engine, read_frame
from satudata.warehouse.migrate import downgrade, head_revision, upgrade

BEFORE = "0014"  # the revision that declared the budget's amounts DOUBLE (0012) and added their owner (0014)
# (table, a row as the release before wrote it, the rupiah columns)
ROWS = {
    "staging.anggaran": ({"submission_id": 1, "kode_kab": "5205", "periode": "2026-11", "baris": 2, "aktif": True,
                          "lembar": "sub_kegiatan", "pagu": 1250000.5, "realisasi_anggaran": 99.99},
                         ("pagu", "realisasi_anggaran")),
    "staging.intervensi": ({"submission_id": 2, "kode_kab": "5205", "periode": "2026-11", "baris": 2, "aktif": True,
                            "kode_program": "PKH", "nik_valid": False, "kode_desa": "5205011001",
                            "nilai_bantuan": 750000.0}, ("nilai_bantuan",)),
    "core.anggaran_sub_kegiatan": ({"periode": "2026-11", "kode_kab": "5205", "id_sub_kegiatan": "x|y",
                                    "tahun_anggaran": 2026, "pagu": 183898999.99999994, "realisasi": 0.1 + 0.2,
                                    "realisasi_melebihi_pagu": False, "strategi": "s", "aturan_strategi": "a",
                                    "jenis_belanja": "j", "aturan_jenis": "a", "submission_id": 1, "baris": "2"},
                                   ("pagu", "realisasi")),
    "mart.anggaran_ringkasan": ({"periode": "2026-11", "tingkat": "kabupaten", "kode_wilayah": "5205",
                                 "data_anggaran": True, "pagu": 183898999.99999994, "rupiah_berlokasi": 0.1 + 0.2,
                                 "publikasi_id": 1}, ("pagu", "rupiah_berlokasi")),
}
EXPECTED = {"realisasi_anggaran": Decimal("99.99"), "nilai_bantuan": Decimal("750000.00"),
            "realisasi": Decimal("0.30"), "rupiah_berlokasi": Decimal("0.30")}  # 0.1 + 0.2 as a float: 0.30000000000000004


def _expected(table: str, column: str) -> Decimal:
    if column == "pagu":  # 183898999.99999994: the demo's float sum, to the sen
        return Decimal("1250000.50") if table == "staging.anggaran" else Decimal("183899000.00")
    return EXPECTED[column]


def _types(conn, table: str, columns) -> set[tuple[str, int, int]]:
    schema, name = table.split(".")
    rows = conn.execute(sa.text("SELECT column_name, data_type, numeric_precision, numeric_scale "
                                "FROM information_schema.columns WHERE table_schema = :s AND table_name = :t"),
                        {"s": schema, "t": name}).all()
    # PostgreSQL says numeric, DuckDB DECIMAL(24,2)
    return {(t.lower()[:7].replace("decimal", "numeric"), p, s) for c, t, p, s in rows if c in columns}


def test_rupiah_columns_become_exact_and_keep_their_rows(empty_warehouse_url):
    engine = make_engine(empty_warehouse_url)
    try:
        upgrade(engine, BEFORE)
        with engine.begin() as conn:
            for table, (row, _) in ROWS.items():
                bulk_insert(conn, table, pd.DataFrame([row]))
        assert upgrade(engine) == head_revision()
        with engine.connect() as conn:
            for table, (_, columns) in ROWS.items():
                assert _types(conn, table, columns) == {("numeric", 24, 2)}, (table, _types(conn, table, columns))
                stored = read_frame(conn, f"SELECT {', '.join(columns)} FROM {table}")
                assert len(stored) == 1
                for column in columns:
                    value = stored.loc[0, column]
                    assert isinstance(value, Decimal) and value == _expected(table, column), (table, column, value)
        # Decimal amounts go in exactly, however wide (DuckDB would otherwise guess a width from the values)
        exact = pd.DataFrame({"periode": "2026-12", "tingkat": "kabupaten", "kode_wilayah": ["5205", "5206"],
                              "data_anggaran": True, "publikasi_id": 2,
                              "pagu": [Decimal("0.10"), Decimal("9999999999999999999999.99")]})
        with engine.begin() as conn:
            bulk_insert(conn, "mart.anggaran_ringkasan", exact)
            back = read_frame(conn, "SELECT pagu FROM mart.anggaran_ringkasan WHERE periode = '2026-12' "
                                    "ORDER BY kode_wilayah")
        assert back["pagu"].tolist() == [Decimal("0.10"), Decimal("9999999999999999999999.99")]
        # and back: the release before reads its DOUBLE columns again
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM mart.anggaran_ringkasan WHERE periode = '2026-12'"))
        downgrade(engine, BEFORE)
        with engine.connect() as conn:
            assert read_frame(conn, "SELECT pagu FROM core.anggaran_sub_kegiatan")["pagu"].tolist() == [183899000.0]
    finally:
        engine.dispose()
