"""The poverty budget: staged APBD sub-activities and their realisation, classified lines, budget against reach.

A regency's budget recap (SIPD export or its own, jenis `anggaran`) is staged row by row in
`staging.anggaran` (sub-activity rows with pagu, month rows with realisation). Convergence turns the rows
of a period into one line per sub-activity (`core.anggaran_sub_kegiatan`), each with its strategy, kind of
spending and programme *and the rule that decided each* (`include/rules/anggaran_*.yaml`, recorded in
`meta.aturan_anggaran`), and the desa it is spent in (`core.anggaran_lokasi`). The indicators
(`core.indikator_anggaran*`) set the money against the families the programmes reached; publication copies
them to `mart` (amounts are public APBD figures; family counts are suppressed like every count).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TEXT = sa.Text
RUPIAH = sa.Double  # sums of whole rupiah stay exact far beyond any APBD (2**53)
COUNT = sa.BigInteger
PERCENT = sa.Double


def _area() -> list[sa.Column]:
    return [
        sa.Column("periode", sa.String(7), nullable=False),
        sa.Column("tingkat", sa.String(10), nullable=False, comment="kabupaten | provinsi"),
        sa.Column("kode_wilayah", sa.String(10), nullable=False),
        sa.Column("nama_wilayah", TEXT),
    ]


def _indicator_tables() -> dict[str, list[sa.Column]]:
    return {
        "anggaran": [
            *_area(),
            sa.Column("kode_skpd", TEXT, comment="OPD code (regency rows)"),
            sa.Column("nama_skpd", TEXT, comment="OPD name (regency rows)"),
            sa.Column("strategi", sa.String(40), nullable=False),
            sa.Column("jenis_belanja", sa.String(40), nullable=False),
            sa.Column("jumlah_sub_kegiatan", COUNT, nullable=False),
            sa.Column("pagu", RUPIAH, nullable=False),
            sa.Column("realisasi", RUPIAH),
            sa.Column("persen_realisasi", PERCENT),
        ],
        "anggaran_jangkauan": [
            *_area(),
            sa.Column("kode_program", sa.String(40), nullable=False),
            sa.Column("sumber_desil", sa.String(10), comment="whose desil counted: p3ke | dtsen"),
            sa.Column("jumlah_sub_kegiatan", COUNT, nullable=False),
            sa.Column("pagu", RUPIAH, nullable=False),
            sa.Column("realisasi", RUPIAH),
            sa.Column("dasar_rupiah", sa.String(10), nullable=False, comment="realisasi | pagu"),
            sa.Column("keluarga_terjangkau", COUNT, nullable=False),
            sa.Column("keluarga_desil1_terjangkau", COUNT, nullable=False),
            sa.Column("persen_desil1", PERCENT),
            sa.Column("rupiah_per_keluarga_desil1", RUPIAH),
        ],
        "anggaran_ringkasan": [
            *_area(),
            sa.Column("data_anggaran", sa.Boolean, nullable=False, comment="false: no budget file for the period"),
            sa.Column("sumber_desil", sa.String(10)),
            sa.Column("dasar_rupiah", sa.String(10), comment="realisasi | pagu"),
            sa.Column("jumlah_sub_kegiatan", COUNT),
            sa.Column("pagu", RUPIAH),
            sa.Column("realisasi", RUPIAH),
            sa.Column("persen_realisasi", PERCENT),
            sa.Column("pagu_intervensi_langsung", RUPIAH),
            sa.Column("pagu_pemberdayaan", RUPIAH),
            sa.Column("pagu_infrastruktur", RUPIAH),
            sa.Column("pagu_penunjang", RUPIAH),
            sa.Column("pagu_tidak_terklasifikasi", RUPIAH),
            sa.Column("persen_penunjang", PERCENT),
            sa.Column("sub_kegiatan_realisasi_melebihi_pagu", COUNT),
            sa.Column("rupiah_berlokasi", RUPIAH, comment="spent in a known desa (named, or by recipients)"),
            sa.Column("rupiah_di_kantong", RUPIAH, comment="... of it in poverty pockets"),
            sa.Column("persen_rupiah_di_kantong", PERCENT),
            sa.Column("keluarga_desil1", COUNT),
            sa.Column("keluarga_desil1_di_kantong", COUNT),
            sa.Column("persen_desil1_di_kantong", PERCENT),
        ],
    }


def upgrade() -> None:
    op.create_table(
        "anggaran",
        sa.Column("submission_id", sa.BigInteger, nullable=False),
        sa.Column("kode_kab", sa.String(4), nullable=False),
        sa.Column("periode", sa.String(7), nullable=False),
        sa.Column("baris", sa.Integer, nullable=False, comment="row number as the operator sees it"),
        sa.Column("aktif", sa.Boolean, nullable=False, comment="false once a newer submission replaced it"),
        sa.Column("lembar", sa.String(12), nullable=False, comment="sub_kegiatan | realisasi"),
        sa.Column("tahun_anggaran", sa.Integer),
        sa.Column("kode_skpd", TEXT),
        sa.Column("nama_skpd", TEXT),
        sa.Column("kode_program_apbd", TEXT, comment="SIPD programme code of the nomenclature"),
        sa.Column("kode_giat", TEXT),
        sa.Column("kode_sub_giat", TEXT),
        sa.Column("nama_sub_giat", TEXT),
        sa.Column("nama_dana", TEXT),
        sa.Column("pagu", sa.Numeric(18, 2)),
        sa.Column("bulan", sa.SmallInteger, comment="1..12 on a realisation row"),
        sa.Column("realisasi_anggaran", sa.Numeric(18, 2),
                  comment="the month's realisation (bulan set), else realisation to date"),
        sa.Column("realisasi_fisik", sa.Double, comment="percent"),
        sa.Column("kelompok_teks", TEXT, comment="SIPD extreme-poverty label"),
        sa.Column("strategi_teks", TEXT, comment="SIPD strategy label"),
        sa.Column("kode_program", sa.String(40), comment="social programme the line funds, as written"),
        sa.Column("kode_desa", sa.String(10)),
        sa.Column("kode_kecamatan", sa.String(6)),
        schema="staging",
    )
    op.create_index("ix_anggaran_submission", "anggaran", ["submission_id"], schema="staging")

    op.create_table(
        "aturan_anggaran",
        sa.Column("periode", sa.String(7), nullable=False),
        sa.Column("berlaku_mulai", sa.String(7), nullable=False),
        sa.Column("berkas", TEXT, nullable=False, comment="rule file under include/rules/"),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("isi", TEXT, nullable=False, comment="the rules as applied, JSON"),
        sa.Column("dimuat_pada", sa.DateTime(timezone=True), nullable=False),
        schema="meta",
    )
    op.create_table(
        "anggaran_sub_kegiatan",
        sa.Column("periode", sa.String(7), nullable=False),
        sa.Column("kode_kab", sa.String(4), nullable=False),
        sa.Column("id_sub_kegiatan", TEXT, nullable=False, comment="OPD and sub-activity: one line"),
        sa.Column("tahun_anggaran", sa.Integer, nullable=False),
        sa.Column("kode_skpd", TEXT),
        sa.Column("nama_skpd", TEXT),
        sa.Column("kode_program_apbd", TEXT),
        sa.Column("kode_giat", TEXT),
        sa.Column("kode_sub_giat", TEXT),
        sa.Column("nama_sub_giat", TEXT),
        sa.Column("pagu", RUPIAH, nullable=False),
        sa.Column("realisasi", RUPIAH, comment="to the period's month; empty when none was reported"),
        sa.Column("realisasi_fisik", sa.Double),
        sa.Column("realisasi_melebihi_pagu", sa.Boolean, nullable=False),
        sa.Column("kelompok_teks", TEXT),
        sa.Column("strategi_teks", TEXT),
        sa.Column("strategi", sa.String(40), nullable=False),
        sa.Column("aturan_strategi", TEXT, nullable=False, comment="the rule that decided it"),
        sa.Column("jenis_belanja", sa.String(40), nullable=False),
        sa.Column("aturan_jenis", TEXT, nullable=False, comment="the rule that decided it"),
        sa.Column("kode_program", sa.String(40), comment="recipient-list programme it funds"),
        sa.Column("aturan_program", TEXT, comment="berkas (the file said so) or the rule"),
        sa.Column("submission_id", sa.BigInteger, nullable=False),
        sa.Column("baris", TEXT, nullable=False, comment="the file rows it was made from"),
        schema="core",
    )
    op.create_index("ix_anggaran_sub_kegiatan_scope", "anggaran_sub_kegiatan", ["periode", "kode_kab"], schema="core")
    op.create_table(
        "anggaran_lokasi",
        sa.Column("periode", sa.String(7), nullable=False),
        sa.Column("kode_kab", sa.String(4), nullable=False),
        sa.Column("id_sub_kegiatan", TEXT, nullable=False),
        sa.Column("kode_desa", sa.String(10), nullable=False),
        sa.Column("porsi", sa.Double, nullable=False, comment="share of the line's money spent in the desa"),
        schema="core",
    )
    op.create_index("ix_anggaran_lokasi_scope", "anggaran_lokasi", ["periode", "kode_kab"], schema="core")
    for table, columns in _indicator_tables().items():
        op.create_table(f"indikator_{table}", *columns, schema="core")
        op.create_index(f"ix_indikator_{table}_periode", f"indikator_{table}", ["periode"], schema="core")
    for table, columns in _indicator_tables().items():
        for column in columns:
            if column.name.startswith(("keluarga", "persen_desil1", "rupiah_per")):
                column.nullable = True  # a suppressed cell is empty
        op.create_table(table, *columns, sa.Column("publikasi_id", sa.BigInteger, nullable=False),
                        sa.Column("sel_disensor", TEXT), schema="mart")
        op.create_index(f"ix_{table}_periode", table, ["periode"], schema="mart")


def downgrade() -> None:
    for table in _indicator_tables():
        op.drop_table(table, schema="mart")
        op.drop_table(f"indikator_{table}", schema="core")
    op.drop_table("anggaran_lokasi", schema="core")
    op.drop_table("anggaran_sub_kegiatan", schema="core")
    op.drop_table("aturan_anggaran", schema="meta")
    op.drop_table("anggaran", schema="staging")
