"""Prepared linkage inputs in the warehouse, instead of files in data/work/harmonisasi.

A regency's registries, prepared for linkage (cleaned names, NIK, dates, family keys), are read by the
three harmonisation steps. They hold NIK and names, so they live in the restricted `core` schema (row-level
security per regency on PostgreSQL, like every `core` table with `kode_kab`), as Parquet bytes: a data
format, so reading them back can never run code, unlike the files of data/work they replace.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from satudata.warehouse.access import apply_access_control

    op.create_table(
        "persiapan_padanan",
        sa.Column("periode", sa.String(7), nullable=False),
        sa.Column("kode_kab", sa.String(4), nullable=False),
        sa.Column("kunci", sa.Text, nullable=False,
                  comment="the submissions prepared and the preparation's version: a new file is a new key"),
        sa.Column("bagian", sa.String(16), nullable=False, comment="dtks | p3ke | keluarga | duplicates"),
        sa.Column("isi", sa.LargeBinary, nullable=False, comment="the prepared frame as Parquet"),
        sa.Column("dibuat_pada", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("periode", "kode_kab", "bagian"),
        schema="core",
        comment="restricted: personal data; rebuilt from staging at any time",
    )
    apply_access_control(op.get_bind(), force=True)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("DROP POLICY IF EXISTS operator_kabupaten ON core.persiapan_padanan"))
        bind.execute(sa.text("DROP POLICY IF EXISTS pipeline_semua ON core.persiapan_padanan"))
    op.drop_table("persiapan_padanan", schema="core")
