"""Harmonisation: linked people and families, the pairs and their reasons, conflicts, clerical review.

Everything here is restricted (`core`, `meta`): it holds NIK and names. Rows are keyed by `periode` and
`kode_kab` so that a re-run replaces exactly what it wrote.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TEXT = sa.Text


def _scope() -> list[sa.Column]:
    return [
        sa.Column("periode", sa.String(7), nullable=False),
        sa.Column("kode_kab", sa.String(4), nullable=False, comment="regency whose files hold the record"),
    ]


def _match() -> list[sa.Column]:
    return [
        sa.Column("match_probability", sa.Float, comment="Fellegi-Sunter probability (1 for nik / review SAMA)"),
        sa.Column("match_weight", sa.Float, comment="log2 Bayes factor, empty for nik links"),
        sa.Column("match_method", sa.String(16), comment="nik | probabilistic | review"),
        sa.Column("match_reason", TEXT, comment="which fields agreed or disagreed"),
    ]


def upgrade() -> None:
    op.create_table(
        "padanan_individu",
        *_scope(),
        sa.Column("id_dtks", TEXT, nullable=False),
        sa.Column("id_individu_p3ke", TEXT, nullable=False),
        sa.Column("kode_kab_p3ke", sa.String(4), nullable=False),
        sa.Column("lingkup", sa.String(10), nullable=False, comment="kabupaten | provinsi"),
        *_match(),
        schema="core",
    )
    op.create_table(
        "individu_terpadu",
        *_scope(),
        sa.Column("id_individu", TEXT, nullable=False, comment="dtks:<id_dtks> or p3ke:<id_individu_p3ke>"),
        sa.Column("id_keluarga", TEXT, comment="core.keluarga_terpadu.id_keluarga"),
        sa.Column("id_dtks", TEXT),
        sa.Column("id_individu_p3ke", TEXT),
        sa.Column("di_dtks", sa.Boolean, nullable=False),
        sa.Column("di_p3ke", sa.Boolean, nullable=False),
        sa.Column("nik", TEXT),
        sa.Column("nama", TEXT),
        sa.Column("jenis_kelamin", sa.String(1)),
        sa.Column("tanggal_lahir", sa.Date),
        sa.Column("kode_desa", sa.String(10)),
        sa.Column("hubungan_keluarga", TEXT),
        sa.Column("pekerjaan", TEXT),
        sa.Column("disabilitas", TEXT),
        *_match(),
        schema="core",
    )
    op.create_table(
        "keluarga_terpadu",
        *_scope(),
        sa.Column("id_keluarga", TEXT, nullable=False, comment="p3ke:<id_keluarga_p3ke> or dtks:<no_kk>"),
        sa.Column("no_kk_dtks", TEXT),
        sa.Column("id_keluarga_p3ke", TEXT),
        sa.Column("no_kk_p3ke", TEXT),
        sa.Column("di_dtks", sa.Boolean, nullable=False),
        sa.Column("di_p3ke", sa.Boolean, nullable=False),
        sa.Column("desil", sa.SmallInteger),
        sa.Column("status_dtks", sa.String(20), nullable=False, comment="terdaftar | tidak_terdaftar"),
        sa.Column("jumlah_anggota", sa.Integer, nullable=False, comment="harmonised people in the family"),
        sa.Column("jumlah_anggota_dtks", sa.Integer, nullable=False),
        sa.Column("jumlah_anggota_p3ke", sa.Integer, nullable=False),
        sa.Column("anggota_terpadan", sa.Integer, nullable=False, comment="members linked across the two"),
        sa.Column("kode_desa", sa.String(10)),
        sa.Column("nik_kepala_keluarga", TEXT),
        sa.Column("nama_kepala_keluarga", TEXT),
        sa.Column("jenis_kelamin_kepala_keluarga", sa.String(1)),
        sa.Column("match_method", sa.String(16), comment="anggota | kk | review"),
        sa.Column("match_reason", TEXT),
        schema="core",
    )
    op.create_table(
        "konflik_padanan",
        *_scope(),
        sa.Column("jenis_konflik", sa.String(40), nullable=False),
        sa.Column("sumber", sa.String(10), nullable=False, comment="dtks | p3ke | keduanya"),
        sa.Column("id_record", TEXT, comment="the record concerned (id_dtks / id_individu_p3ke / family id)"),
        sa.Column("id_terkait", TEXT, comment="the other record(s) in the conflict"),
        sa.Column("nik", TEXT),
        sa.Column("keterangan", TEXT, comment="what disagrees, in Bahasa Indonesia"),
        schema="core",
    )
    op.create_table(
        "antrian_review",
        *_scope(),
        sa.Column("id_dtks", TEXT, nullable=False),
        sa.Column("id_individu_p3ke", TEXT, nullable=False),
        sa.Column("kode_kab_p3ke", sa.String(4), comment="regency whose files hold the P3KE record"),
        sa.Column("match_probability", sa.Float, nullable=False),
        sa.Column("match_weight", sa.Float),
        sa.Column("match_reason", TEXT),
        sa.Column("lingkup", sa.String(10), nullable=False, server_default=sa.text("'kabupaten'"),
                  comment="kabupaten | provinsi"),
        sa.Column("berkas", TEXT, comment="review workbook in outbox/, relative"),
        schema="core",
    )
    op.create_table(
        "keputusan_review",
        sa.Column("kode_kab", sa.String(4), nullable=False),
        sa.Column("id_dtks", TEXT, nullable=False),
        sa.Column("id_individu_p3ke", TEXT, nullable=False),
        sa.Column("keputusan", sa.String(10), nullable=False, comment="sama | beda"),
        sa.Column("diputuskan_oleh", TEXT, comment="reviewer named in the workbook (else the regency folder)"),
        sa.Column("diputuskan_pada", sa.DateTime(timezone=True), nullable=False),
        sa.Column("periode_review", sa.String(7), comment="period of the review workbook answered"),
        sa.Column("submission_id", sa.BigInteger, nullable=False),
        sa.Column("catatan", TEXT),
        schema="core",
    )
    op.create_index("ix_keputusan_review_pair", "keputusan_review", ["kode_kab", "id_dtks", "id_individu_p3ke"],
                    schema="core")
    op.create_table(
        "harmonisasi",
        *_scope(),
        sa.Column("run_id", TEXT),
        sa.Column("model_version", sa.String(40), nullable=False),
        sa.Column("submission_dtks", sa.BigInteger),
        sa.Column("submission_p3ke", sa.BigInteger),
        sa.Column("dihitung_pada", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ringkasan", TEXT, nullable=False, comment="counts as JSON: links by method, conflicts, review"),
        schema="meta",
    )
    for table in ("padanan_individu", "individu_terpadu", "keluarga_terpadu", "konflik_padanan", "antrian_review"):
        op.create_index(f"ix_{table}_scope", table, ["periode", "kode_kab"], schema="core")


def downgrade() -> None:
    op.drop_table("harmonisasi", schema="meta")
    for table in ("keputusan_review", "antrian_review", "konflik_padanan", "keluarga_terpadu", "individu_terpadu",
                  "padanan_individu"):
        op.drop_table(table, schema="core")
