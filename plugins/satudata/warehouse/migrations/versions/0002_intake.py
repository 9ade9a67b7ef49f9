"""Intake: the submission ledger, validation results and issues, and the staging tables.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TEXT = sa.Text


def _staging_columns() -> list[sa.Column]:
    """Columns every staging table starts with: where the row came from and whether it is current."""
    return [
        sa.Column("submission_id", sa.BigInteger, nullable=False),
        sa.Column("kode_kab", sa.String(4), nullable=False),
        sa.Column("periode", sa.String(7), nullable=False),
        sa.Column("baris", sa.Integer, nullable=False, comment="row number as the operator sees it"),
        sa.Column("aktif", sa.Boolean, nullable=False, comment="false once a newer submission replaced it"),
    ]


def _person_columns() -> list[sa.Column]:
    return [
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
    ]


def upgrade() -> None:
    op.execute("CREATE SEQUENCE IF NOT EXISTS meta.submission_id_seq START 1")
    op.create_table(
        "submission",
        sa.Column(
            "submission_id", sa.BigInteger, primary_key=True, server_default=sa.text("nextval('meta.submission_id_seq')")
        ),
        sa.Column("file_name", TEXT, nullable=False, comment="name as dropped by the regency"),
        sa.Column("inbox_path", TEXT, nullable=False, comment="path relative to inbox/"),
        sa.Column("archive_path", TEXT, nullable=False, comment="path relative to archive/"),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("kode_kab", sa.String(4), nullable=False, comment="regency folder the file was dropped in"),
        sa.Column("jenis", sa.String(20), nullable=False),
        sa.Column("periode", sa.String(7)),
        sa.Column("periode_sumber", sa.String(20), comment="nama_berkas | isi_berkas | tanggal_terima"),
        sa.Column("program", TEXT, comment="programme codes in an intervensi file, comma separated"),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason_code", sa.String(40)),
        sa.Column("reason_detail", TEXT),
        sa.Column("rows_total", sa.BigInteger),
        sa.Column("rows_accepted", sa.BigInteger),
        sa.Column("rows_rejected", sa.BigInteger),
        sa.Column("rows_warning", sa.BigInteger),
        sa.Column("report_path", TEXT, comment="path relative to outbox/"),
        sa.Column("duplicate_of", sa.BigInteger),
        sa.Column("superseded_by", sa.BigInteger),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("run_id", TEXT),
        schema="meta",
    )
    op.create_index("ix_submission_sha256", "submission", ["sha256"], schema="meta")

    op.create_table(
        "validation_issue",
        sa.Column("submission_id", sa.BigInteger, nullable=False),
        sa.Column("sheet", sa.String(20), nullable=False),
        sa.Column("baris", sa.Integer),
        sa.Column("kolom", sa.String(60)),
        sa.Column("aturan", sa.String(60), nullable=False),
        sa.Column("tingkat", sa.String(12), nullable=False),
        sa.Column("nilai", TEXT),
        sa.Column("pesan", TEXT),
        schema="meta",
    )
    op.create_index("ix_validation_issue_submission", "validation_issue", ["submission_id"], schema="meta")

    op.create_table(
        "validation_result",
        sa.Column("submission_id", sa.BigInteger, nullable=False),
        sa.Column("sheet", sa.String(20), nullable=False),
        sa.Column("suite", sa.String(60), nullable=False),
        sa.Column("expectation", sa.String(120), nullable=False),
        sa.Column("kolom", sa.String(60)),
        sa.Column("aturan", sa.String(60)),
        sa.Column("success", sa.Boolean, nullable=False),
        sa.Column("element_count", sa.BigInteger),
        sa.Column("unexpected_count", sa.BigInteger),
        sa.Column("result", TEXT, comment="the GX result as JSON, without the per-row lists"),
        sa.Column("validated_at", sa.DateTime(timezone=True), nullable=False),
        schema="meta",
    )
    op.create_index("ix_validation_result_submission", "validation_result", ["submission_id"], schema="meta")

    op.create_table(
        "dtks",
        *_staging_columns(),
        sa.Column("id_dtks", TEXT),
        sa.Column("kode_desa", sa.String(10), nullable=False),
        sa.Column("alamat", TEXT),
        sa.Column("no_kk", TEXT),
        *_person_columns(),
        schema="staging",
    )
    op.create_table(
        "p3ke_keluarga",
        *_staging_columns(),
        sa.Column("id_keluarga_p3ke", TEXT),
        sa.Column("kode_desa", sa.String(10), nullable=False),
        sa.Column("alamat", TEXT),
        sa.Column("no_kk", TEXT),
        sa.Column("nik_kepala_keluarga", TEXT),
        sa.Column("nik_kepala_keluarga_valid", sa.Boolean, nullable=False),
        sa.Column("nama_kepala_keluarga", TEXT),
        sa.Column("jenis_kelamin_kepala_keluarga", sa.String(1)),
        sa.Column("desil", sa.SmallInteger, nullable=False),
        sa.Column("jumlah_anggota", sa.Integer),
        schema="staging",
    )
    op.create_table(
        "p3ke_anggota",
        *_staging_columns(),
        sa.Column("id_keluarga_p3ke", TEXT),
        sa.Column("id_individu_p3ke", TEXT),
        sa.Column("no_kk", TEXT),
        *_person_columns(),
        schema="staging",
    )
    op.create_table(
        "intervensi",
        *_staging_columns(),
        sa.Column("kode_program", sa.String(40), nullable=False),
        sa.Column("nik", TEXT, comment="digits as written; trust it only where nik_valid"),
        sa.Column("nik_valid", sa.Boolean, nullable=False),
        sa.Column("no_kk", TEXT),
        sa.Column("nama", TEXT),
        sa.Column("tanggal_lahir", sa.Date),
        sa.Column("tanggal_lahir_teks", TEXT),
        sa.Column("kode_desa", sa.String(10), nullable=False),
        sa.Column("alamat", TEXT),
        sa.Column("nilai_bantuan", sa.Numeric(18, 2)),
        sa.Column("tanggal_salur", sa.Date),
        schema="staging",
    )
    op.create_table(
        "baris_ditolak",
        sa.Column("submission_id", sa.BigInteger, nullable=False),
        sa.Column("sheet", sa.String(20), nullable=False),
        sa.Column("baris", sa.Integer, nullable=False),
        sa.Column("data", TEXT, nullable=False, comment="the row's canonical columns as JSON"),
        schema="staging",
    )
    for table in ("dtks", "p3ke_keluarga", "p3ke_anggota", "intervensi", "baris_ditolak"):
        op.create_index(f"ix_{table}_submission", table, ["submission_id"], schema="staging")


def downgrade() -> None:
    for table in ("baris_ditolak", "intervensi", "p3ke_anggota", "p3ke_keluarga", "dtks"):
        op.drop_table(table, schema="staging")
    op.drop_table("validation_result", schema="meta")
    op.drop_table("validation_issue", schema="meta")
    op.drop_table("submission", schema="meta")
    op.execute("DROP SEQUENCE IF EXISTS meta.submission_id_seq")
