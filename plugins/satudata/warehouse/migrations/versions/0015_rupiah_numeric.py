"""Rupiah exact from intake to `mart`: every amount NUMERIC(24, 2), never a floating-point number.

0012 declared the budget's lines and indicators DOUBLE: their sums then depended on the order of the rows
(a rebuild of the demo published 183898999.99999994 where the original had 183899000.0). Amounts become
NUMERIC(24, 2), to the sen, summed exactly on both engines (DuckDB DECIMAL, PostgreSQL NUMERIC):

- staging: `anggaran.pagu`, `anggaran.realisasi_anggaran` (were NUMERIC(18, 2): a value the rupiah reader
  accepts, up to 10^18, did not fit) and `intervensi.nilai_bantuan`;
- core: `anggaran_sub_kegiatan.pagu/realisasi` and every rupiah column of `indikator_anggaran*`;
- mart: the same columns of `anggaran*`.

Percentages stay DOUBLE (rounded to one decimal from exact sums), and so does `core.anggaran_lokasi.porsi`
(a share: each desa's rupiah is rounded to the sen before it is summed, in 13_anggaran_ringkasan.sql).
Values already stored are rounded to the sen by the conversion; no row is added or lost.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

RUPIAH = sa.Numeric(24, 2)
_RINGKASAN = ("pagu", "realisasi", "pagu_intervensi_langsung", "pagu_pemberdayaan", "pagu_infrastruktur",
              "pagu_penunjang", "pagu_tidak_terklasifikasi", "rupiah_berlokasi", "rupiah_di_kantong")
_INDICATORS = {"anggaran": ("pagu", "realisasi"),
               "anggaran_jangkauan": ("pagu", "realisasi", "rupiah_per_keluarga_desil1"),
               "anggaran_ringkasan": _RINGKASAN}
# (schema, table) -> (its indexes, which DuckDB cannot keep while a column changes; {column: type before})
TABLES: dict[tuple[str, str], tuple[dict[str, list[str]], dict[str, sa.types.TypeEngine]]] = {
    ("staging", "anggaran"): ({"ix_anggaran_submission": ["submission_id"]},
                              {"pagu": sa.Numeric(18, 2), "realisasi_anggaran": sa.Numeric(18, 2)}),
    ("staging", "intervensi"): ({"ix_intervensi_submission": ["submission_id"]}, {"nilai_bantuan": sa.Numeric(18, 2)}),
    ("core", "anggaran_sub_kegiatan"): ({"ix_anggaran_sub_kegiatan_scope": ["periode", "kode_kab"]},
                                        {"pagu": sa.Double(), "realisasi": sa.Double()}),
    **{("core", f"indikator_{t}"): ({f"ix_indikator_{t}_periode": ["periode"]}, dict.fromkeys(c, sa.Double()))
       for t, c in _INDICATORS.items()},
    **{("mart", t): ({f"ix_{t}_periode": ["periode"]}, dict.fromkeys(c, sa.Double())) for t, c in _INDICATORS.items()},
}


def _convert(to_rupiah: bool) -> None:
    from satudata.warehouse.migrate import without_indexes

    for (schema, table), (indexes, columns) in TABLES.items():
        with without_indexes(table, schema, indexes):
            for column, before in columns.items():
                old, new = (before, RUPIAH) if to_rupiah else (RUPIAH, before)
                op.alter_column(table, column, type_=new, existing_type=old, schema=schema)


def upgrade() -> None:
    _convert(True)


def downgrade() -> None:
    _convert(False)
