"""DTSEN: staged extracts, the crosswalk to the harmonised people and families, the transition indicators.

DTSEN (Data Tunggal Sosial Ekonomi Nasional, Inpres 4/2025) is staged like P3KE, as families and members
(`staging.dtsen_keluarga`, `staging.dtsen_anggota`) with its three desil rankings. Harmonisation links its
people to the harmonised ones (`core.padanan_dtsen`, one row per link with probability and reason) and
carries the DTSEN ids and desil into `core.individu_terpadu` / `core.keluarga_terpadu`; people and
families only DTSEN knows become harmonised rows of their own. Convergence records which desil it used
(`core.konvergensi_keluarga.sumber_desil`), and the transition from P3KE to DTSEN is counted in
`core.indikator_transisi_dtsen`, published as `mart.transisi_dtsen`.

Existing rows get `di_dtsen = false`: nothing staged before this revision came from DTSEN.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TEXT = sa.Text


def _staging_columns() -> list[sa.Column]:
    return [
        sa.Column("submission_id", sa.BigInteger, nullable=False),
        sa.Column("kode_kab", sa.String(4), nullable=False),
        sa.Column("periode", sa.String(7), nullable=False),
        sa.Column("baris", sa.Integer, nullable=False, comment="row number as the operator sees it"),
        sa.Column("aktif", sa.Boolean, nullable=False, comment="false once a newer submission replaced it"),
    ]


def _transisi_columns() -> list[sa.Column]:
    return [
        sa.Column("periode", sa.String(7), nullable=False),
        sa.Column("tingkat", sa.String(10), nullable=False, comment="kabupaten | provinsi"),
        sa.Column("kode_wilayah", sa.String(10), nullable=False),
        sa.Column("nama_wilayah", TEXT),
        sa.Column("indikator", sa.String(40), nullable=False),
        sa.Column("kategori", sa.String(40), nullable=False),
        sa.Column("kode_program", sa.String(40), comment="for the programme indicators"),
        sa.Column("desil_asal", sa.SmallInteger, comment="P3KE desil, or DTSEN desil of the earlier quarter"),
        sa.Column("desil_dtsen", sa.SmallInteger, comment="DTSEN national desil now"),
        sa.Column("satuan", sa.String(10), nullable=False, comment="keluarga | orang"),
        sa.Column("periode_dtsen", sa.String(7), comment="the DTSEN extract read (regency rows)"),
        sa.Column("periode_dtsen_sebelumnya", sa.String(7), comment="the earlier extract compared (movement)"),
        sa.Column("jumlah", sa.BigInteger, nullable=False),
    ]


def upgrade() -> None:
    from satudata.warehouse.migrate import without_indexes

    person = [
        sa.Column("nik", TEXT, comment="digits as written; trust it only where nik_valid"),
        sa.Column("nik_valid", sa.Boolean, nullable=False),
        sa.Column("nama", TEXT),
        sa.Column("jenis_kelamin", sa.String(1)),
        sa.Column("tempat_lahir", TEXT),
        sa.Column("tanggal_lahir", sa.Date),
        sa.Column("tanggal_lahir_teks", TEXT),
        sa.Column("hubungan_keluarga", TEXT),
        sa.Column("status_kawin", TEXT),
        sa.Column("pekerjaan", TEXT),
        sa.Column("disabilitas", TEXT),
        sa.Column("nik_angka_excel", sa.Boolean),
    ]
    op.create_table(
        "dtsen_keluarga",
        *_staging_columns(),
        sa.Column("id_keluarga_dtsen", TEXT),
        sa.Column("kode_desa", sa.String(10), nullable=False),
        sa.Column("kode_kecamatan", sa.String(6)),
        sa.Column("alamat", TEXT),
        sa.Column("no_kk", TEXT),
        sa.Column("nik_kepala_keluarga", TEXT),
        sa.Column("nik_kepala_keluarga_valid", sa.Boolean, nullable=False),
        sa.Column("nama_kepala_keluarga", TEXT),
        sa.Column("jenis_kelamin_kepala_keluarga", sa.String(1)),
        sa.Column("desil_nasional", sa.SmallInteger, nullable=False, comment="1..10, national ranking"),
        sa.Column("desil_provinsi", sa.SmallInteger, comment="1..10 within the province"),
        sa.Column("desil_kabupaten_kota", sa.SmallInteger, comment="1..10 within the regency"),
        sa.Column("jumlah_anggota", sa.Integer),
        schema="staging",
    )
    op.create_table(
        "dtsen_anggota",
        *_staging_columns(),
        sa.Column("id_keluarga_dtsen", TEXT),
        sa.Column("id_individu_dtsen", TEXT),
        sa.Column("no_kk", TEXT),
        *person,
        sa.Column("kode_kecamatan", sa.String(6), comment="the family's kecamatan"),
        sa.Column("kode_desa", sa.String(10), comment="the family's desa"),
        schema="staging",
    )
    for table in ("dtsen_keluarga", "dtsen_anggota"):
        op.create_index(f"ix_{table}_submission", table, ["submission_id"], schema="staging")

    scope = {"periode": ["periode", "kode_kab"]}
    with without_indexes("individu_terpadu", "core", {"ix_individu_terpadu_scope": scope["periode"]}):
        op.add_column("individu_terpadu", sa.Column("id_individu_dtsen", TEXT), schema="core")
        op.add_column("individu_terpadu", sa.Column("di_dtsen", sa.Boolean, nullable=False,
                                                    server_default=sa.false()), schema="core")
    with without_indexes("keluarga_terpadu", "core", {"ix_keluarga_terpadu_scope": scope["periode"]}):
        for column in (sa.Column("id_keluarga_dtsen", TEXT), sa.Column("no_kk_dtsen", TEXT),
                       sa.Column("di_dtsen", sa.Boolean, nullable=False, server_default=sa.false()),
                       sa.Column("desil_dtsen", sa.SmallInteger, comment="DTSEN national desil"),
                       sa.Column("desil_dtsen_provinsi", sa.SmallInteger),
                       sa.Column("desil_dtsen_kabupaten", sa.SmallInteger),
                       sa.Column("jumlah_anggota_dtsen", sa.Integer, nullable=False, server_default="0")):
            op.add_column("keluarga_terpadu", column, schema="core")
    with without_indexes("konvergensi_keluarga", "core", {"ix_konvergensi_keluarga_scope": scope["periode"]}):
        for column in (sa.Column("di_dtsen", sa.Boolean, nullable=False, server_default=sa.false()),
                       sa.Column("desil_p3ke", sa.SmallInteger),
                       sa.Column("desil_dtsen", sa.SmallInteger),
                       sa.Column("sumber_desil", sa.String(10), nullable=False, server_default="p3ke",
                                 comment="whose desil `desil` is under the period's rules: p3ke | dtsen")):
            op.add_column("konvergensi_keluarga", column, schema="core")
    op.execute("UPDATE core.konvergensi_keluarga SET desil_p3ke = desil")
    op.add_column("harmonisasi", sa.Column("submission_dtsen", sa.BigInteger), schema="meta")
    op.add_column("program_periode", sa.Column("sumber", TEXT, comment="where the rule file took eligibility from"),
                  schema="meta")
    op.create_table(
        "sumber_desil",
        sa.Column("periode", sa.String(7), nullable=False),
        sa.Column("kode_kab", sa.String(4), nullable=False),
        sa.Column("sumber_desil", sa.String(10), nullable=False, comment="p3ke | dtsen"),
        schema="meta",
    )
    op.create_table(
        "program_kabupaten",
        sa.Column("periode", sa.String(7), nullable=False),
        sa.Column("kode_kab", sa.String(4), nullable=False),
        sa.Column("kode_program", sa.String(40), nullable=False),
        sa.Column("desil_maks", sa.Integer, nullable=False, comment="the regency's own limit, over program_periode's"),
        sa.Column("sumber", TEXT, nullable=False, comment="the regency's basis (Perbup, SK ...)"),
        schema="meta",
    )

    op.create_table(
        "padanan_dtsen",
        sa.Column("periode", sa.String(7), nullable=False),
        sa.Column("kode_kab", sa.String(4), nullable=False),
        sa.Column("id_individu", TEXT, nullable=False, comment="core.individu_terpadu.id_individu"),
        sa.Column("id_individu_dtsen", TEXT, nullable=False),
        sa.Column("id_keluarga_dtsen", TEXT),
        sa.Column("match_probability", sa.Float),
        sa.Column("match_weight", sa.Float),
        sa.Column("match_method", sa.String(30), nullable=False),
        sa.Column("match_reason", TEXT),
        schema="core",
    )
    op.create_index("ix_padanan_dtsen_scope", "padanan_dtsen", ["periode", "kode_kab"], schema="core")
    op.create_table("indikator_transisi_dtsen", *_transisi_columns(), schema="core")
    op.create_index("ix_indikator_transisi_dtsen_periode", "indikator_transisi_dtsen", ["periode"], schema="core")
    columns = _transisi_columns()
    for column in columns:
        if column.name == "jumlah":
            column.nullable = True  # a suppressed cell is empty
    op.create_table("transisi_dtsen", *columns, sa.Column("publikasi_id", sa.BigInteger, nullable=False),
                    sa.Column("sel_disensor", TEXT), schema="mart")
    op.create_index("ix_transisi_dtsen_periode", "transisi_dtsen", ["periode"], schema="mart")


def downgrade() -> None:
    from satudata.warehouse.migrate import without_indexes

    op.drop_table("transisi_dtsen", schema="mart")
    op.drop_table("indikator_transisi_dtsen", schema="core")
    op.drop_table("padanan_dtsen", schema="core")
    op.drop_column("harmonisasi", "submission_dtsen", schema="meta")
    op.drop_column("program_periode", "sumber", schema="meta")
    op.drop_table("program_kabupaten", schema="meta")
    op.drop_table("sumber_desil", schema="meta")
    for table, columns in (
        ("konvergensi_keluarga", ("sumber_desil", "desil_dtsen", "desil_p3ke", "di_dtsen")),
        ("keluarga_terpadu", ("jumlah_anggota_dtsen", "desil_dtsen_kabupaten", "desil_dtsen_provinsi", "desil_dtsen",
                              "di_dtsen", "no_kk_dtsen", "id_keluarga_dtsen")),
        ("individu_terpadu", ("di_dtsen", "id_individu_dtsen")),
    ):
        with without_indexes(table, "core", {f"ix_{table}_scope": ["periode", "kode_kab"]}):
            for column in columns:
                op.drop_column(table, column, schema="core")
    op.drop_table("dtsen_anggota", schema="staging")
    op.drop_table("dtsen_keluarga", schema="staging")
