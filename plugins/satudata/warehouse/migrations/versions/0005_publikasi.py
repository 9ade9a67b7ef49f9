"""Publication: exact indicators move to restricted `core.indikator_*`; `mart` holds what was published.

The convergence stage computes exact counts, small cells included, so they must not sit where the forum
reads. From here on it writes `core.indikator_<table>`; publication copies a period into
`mart.<table>` with small cells suppressed, a `publikasi_id` and the list of suppressed cells
(`sel_disensor`), in one transaction. `meta.publikasi` records each publication, and `meta.kamus_data`
is the data dictionary the forum reads with `mart`.

Existing exact figures are kept (moved to `core`); `mart` starts empty and is filled by the next
publication, since nothing in it was ever suppressed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = ("konvergensi_desa", "konvergensi_kecamatan", "konvergensi_kabupaten", "konvergensi_provinsi",
          "cakupan_program", "tumpang_tindih", "kantong_kemiskinan", "graduasi")
TEXT = sa.Text


def upgrade() -> None:
    op.execute("CREATE SEQUENCE IF NOT EXISTS meta.publikasi_id_seq START 1")
    for table in TABLES:
        op.execute(f"CREATE TABLE core.indikator_{table} AS SELECT * FROM mart.{table}")
        op.execute(f"ALTER TABLE core.indikator_{table} ALTER COLUMN periode SET NOT NULL")
        op.execute(f"DROP TABLE mart.{table}")
        # Same columns, every count nullable (a suppressed cell is empty), plus the publication's marks.
        op.execute(f"CREATE TABLE mart.{table} AS SELECT *, CAST(NULL AS BIGINT) AS publikasi_id, "
                   f"CAST(NULL AS TEXT) AS sel_disensor FROM core.indikator_{table} WHERE 1 = 0")
        for column in ("periode", "publikasi_id"):
            op.execute(f"ALTER TABLE mart.{table} ALTER COLUMN {column} SET NOT NULL")
        op.create_index(f"ix_indikator_{table}_periode", f"indikator_{table}", ["periode"], schema="core")
        op.create_index(f"ix_{table}_periode", table, ["periode"], schema="mart")
    op.create_table(
        "publikasi",
        sa.Column("publikasi_id", sa.BigInteger, primary_key=True,
                  server_default=sa.text("nextval('meta.publikasi_id_seq')")),
        sa.Column("periode", sa.String(7), nullable=False),
        sa.Column("status", sa.String(12), nullable=False, comment="terbit | diganti (a later one replaced it)"),
        sa.Column("dibuat_pada", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", TEXT, comment="Airflow run, or cli"),
        sa.Column("disetujui_oleh", TEXT, nullable=False, comment="the walidata who approved it"),
        sa.Column("cara_persetujuan", sa.String(20), nullable=False, comment="hitl | konfigurasi | cli"),
        sa.Column("ambang_sel_kecil", sa.Integer, nullable=False, comment="counts below this are suppressed"),
        sa.Column("aturan", TEXT, comment="rule file the indicators were computed under"),
        sa.Column("submission_ids", TEXT, nullable=False, comment="JSON: the staged submissions behind it"),
        sa.Column("ringkasan", TEXT, nullable=False, comment="JSON: rows and suppressed cells per table, changes"),
        sa.Column("sidik_jari", sa.String(64), nullable=False, comment="sha256 of the published rows"),
        schema="meta",
    )
    op.create_index("ix_publikasi_periode", "publikasi", ["periode"], schema="meta")
    op.create_table(
        "kamus_data",
        sa.Column("tabel", sa.String(60), nullable=False),
        sa.Column("kolom", sa.String(60), nullable=False, comment="empty for the table's own entry"),
        sa.Column("judul", TEXT, nullable=False),
        sa.Column("definisi", TEXT, nullable=False),
        sa.Column("konsep", TEXT),
        sa.Column("satuan", TEXT),
        sa.Column("tipe_data", sa.String(20)),
        sa.Column("sumber", TEXT),
        sa.Column("periode", TEXT, comment="reference period of the values"),
        sa.Column("aturan_validasi", TEXT),
        sa.Column("tingkat_akses", sa.String(20), nullable=False, comment="terbuka | terbatas"),
        sa.Column("urutan", sa.Integer, nullable=False),
        schema="meta",
    )


def downgrade() -> None:
    op.drop_table("kamus_data", schema="meta")
    op.drop_table("publikasi", schema="meta")
    for table in TABLES:
        op.execute(f"DROP TABLE mart.{table}")
        op.execute(f"CREATE TABLE mart.{table} AS SELECT * FROM core.indikator_{table}")
        op.execute(f"DROP TABLE core.indikator_{table}")
    op.execute("DROP SEQUENCE IF EXISTS meta.publikasi_id_seq")
