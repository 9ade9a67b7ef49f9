"""Schemas staging/core/mart/meta and the reference tables (wilayah, population, programmes).

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SCHEMAS = ("staging", "core", "mart", "meta")


def upgrade() -> None:
    for schema in SCHEMAS:
        op.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")

    op.create_table(
        "wilayah",
        sa.Column("kode", sa.String(10), primary_key=True, comment="kode wilayah Kemendagri tanpa titik"),
        sa.Column("kode_bertitik", sa.String(13), nullable=False),
        sa.Column("nama", sa.String(200), nullable=False),
        sa.Column("tingkat", sa.String(10), nullable=False),
        sa.Column("kode_induk", sa.String(10)),
        sa.Column("kode_provinsi", sa.String(2), nullable=False),
        sa.Column("kode_kabupaten", sa.String(4)),
        sa.Column("kode_kecamatan", sa.String(6)),
        sa.Column("ada_2019", sa.Boolean, nullable=False),
        sa.Column("ada_2022", sa.Boolean, nullable=False),
        sa.Column("ada_2025", sa.Boolean, nullable=False),
        schema="core",
    )
    op.create_table(
        "penduduk_kabupaten",
        sa.Column("kode", sa.String(4), primary_key=True),
        sa.Column("nama", sa.String(200), nullable=False),
        sa.Column("laki_laki", sa.BigInteger, nullable=False),
        sa.Column("perempuan", sa.BigInteger, nullable=False),
        sa.Column("total", sa.BigInteger, nullable=False),
        sa.Column("tahun", sa.Integer, nullable=False),
        schema="core",
    )
    op.create_table(
        "program",
        sa.Column("kode_program", sa.String(40), primary_key=True),
        sa.Column("nama_program", sa.String(200), nullable=False),
        sa.Column("penyelenggara", sa.String(200)),
        sa.Column("unit", sa.String(10), nullable=False),
        sa.Column("sumber_dana", sa.String(20)),
        sa.Column("desil_maks", sa.Integer),
        sa.Column("program_inti", sa.Boolean, nullable=False),
        sa.Column("strategi_inpres", sa.String(20)),
        sa.Column("kode_wilayah", sa.String(10)),
        sa.Column("keterangan", sa.Text),
        sa.Column("alias", sa.Text, comment="other names in files and file names, separated by ;"),
        schema="core",
    )
    op.create_table(
        "reference_load",
        sa.Column("dataset", sa.String(100), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("rows_loaded", sa.BigInteger, nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        schema="meta",
    )


def downgrade() -> None:
    op.drop_table("reference_load", schema="meta")
    op.drop_table("program", schema="core")
    op.drop_table("penduduk_kabupaten", schema="core")
    op.drop_table("wilayah", schema="core")
