"""The province's own poverty budget: whose APBD a budget line or indicator row is (`pemilik_anggaran`).

A province sends its own APBD recap into `inbox/<kode_prov>/anggaran/`; intake stages it in `staging.anggaran`
like a regency's, with `kode_kab` = the 2-digit province code. From `core` on, every budget line and budget
indicator row says whose APBD it is:

- `pemilik_anggaran = 'kabupaten'`: a regency's APBD. Regency rows (`tingkat = 'kabupaten'`) and, as before,
  province rows that are the SUM of the province's regencies (`tingkat = 'provinsi'`);
- `pemilik_anggaran = 'provinsi'`: the province's own APBD (`tingkat = 'provinsi'`, `kode_wilayah` the province),
  set against the province's reach: recipients of the programmes it funds in all its regencies.

`tingkat` keeps meaning the level of the region a row describes; the new column is orthogonal to it, so the
rows published before keep their meaning (they read 'kabupaten'). No rupiah column is added.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

COLUMN = "pemilik_anggaran"
COMMENT = "whose APBD: kabupaten (a regency's, or the sum of a province's regencies) | provinsi (the province's own)"
# table -> its indexes (DuckDB cannot alter a table an index depends on: they are dropped and made again)
TABLES = {
    ("core", "anggaran_sub_kegiatan"): {"ix_anggaran_sub_kegiatan_scope": ["periode", "kode_kab"]},
    **{("core", f"indikator_{t}"): {f"ix_indikator_{t}_periode": ["periode"]}
       for t in ("anggaran", "anggaran_jangkauan", "anggaran_ringkasan")},
    **{("mart", t): {f"ix_{t}_periode": ["periode"]} for t in ("anggaran", "anggaran_jangkauan", "anggaran_ringkasan")},
}


def upgrade() -> None:
    from satudata.warehouse.migrate import without_indexes

    for (schema, table), indexes in TABLES.items():
        with without_indexes(table, schema, indexes):
            # every row written before this revision is a regency's (or the sum of regencies)
            op.add_column(table, sa.Column(COLUMN, sa.String(10), nullable=False, server_default="kabupaten",
                                           comment=COMMENT), schema=schema)


def downgrade() -> None:
    from satudata.warehouse.migrate import without_indexes

    for (schema, table), indexes in TABLES.items():
        with without_indexes(table, schema, indexes):
            # the code before this revision would read a province's lines as a regency's: they go (a re-run of
            # the period under this revision computes them again)
            op.execute(sa.text(f"DELETE FROM {schema}.{table} WHERE {COLUMN} = 'provinsi'"))
            op.drop_column(table, COLUMN, schema=schema)
