"""Ask instead of guess: confirmed column mappings, a file's own control totals, held submissions.

A file whose required or measure column is not understood with confidence is held
(`meta.submission.status = 'menunggu_pemetaan'`) and its answer carries a sheet "Pemetaan Kolom". The mapping
the operator confirms is kept per regency, jenis and header signature (`meta.pemetaan_kolom`) and used for that
regency's later files with the same header, without asking. Sum, subtotal and total rows of a file and the
parent rows of a code hierarchy are never staged as lines: they are checked against the lines under them
(`meta.total_kendali`, every control total with the file's figure, ours and the difference). Budget rows
keep a SIPD programme name and a cash plan (`rak`) when the file has them.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

AMOUNT = sa.Numeric(24, 2)  # rupiah to the sen, exact on both engines


def upgrade() -> None:
    from satudata.warehouse.migrate import without_indexes

    with without_indexes("anggaran", "staging", {"ix_anggaran_submission": ["submission_id"]}):
        # A SIPD programme *name* ("PROGRAM PERLINDUNGAN DAN JAMINAN SOSIAL") is not the social programme a
        # line funds (kode_program): kept apart so the name rules can still classify the line.
        op.add_column("anggaran", sa.Column("nama_program_apbd", sa.Text,
                                            comment="SIPD programme name of the nomenclature"), schema="staging")
        op.add_column("anggaran", sa.Column("nama_giat", sa.Text, comment="kegiatan name"), schema="staging")
        op.add_column("anggaran", sa.Column("rak", AMOUNT, comment="cash plan (rencana anggaran kas), rupiah"),
                      schema="staging")
    op.execute("CREATE SEQUENCE IF NOT EXISTS meta.pemetaan_kolom_id_seq START 1")
    op.create_table(
        "pemetaan_kolom",
        sa.Column("pemetaan_id", sa.BigInteger, primary_key=True,
                  server_default=sa.text("nextval('meta.pemetaan_kolom_id_seq')")),
        sa.Column("kode_kab", sa.String(4), nullable=False, comment="the regency (or province) whose files use it"),
        sa.Column("jenis", sa.String(20), nullable=False),
        sa.Column("lembar", sa.String(20), nullable=False, comment="the table of the file: utama, keluarga ..."),
        sa.Column("tanda_header", sa.String(64), nullable=False,
                  comment="sha256 of the normalised header texts in order: the header's signature"),
        sa.Column("header", sa.Text, nullable=False, comment="the header texts, JSON list"),
        sa.Column("pemetaan", sa.Text, nullable=False,
                  comment="JSON {header text: canonical column or null (ignored)}"),
        sa.Column("submission_tanya", sa.BigInteger, comment="the held submission that asked"),
        sa.Column("submission_jawab", sa.BigInteger, comment="the answer that confirmed it (null: a data engineer)"),
        sa.Column("dikonfirmasi_oleh", sa.Text, nullable=False),
        sa.Column("dikonfirmasi_pada", sa.DateTime(timezone=True), nullable=False),
        sa.Column("aktif", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("dihapus_oleh", sa.Text),
        sa.Column("dihapus_pada", sa.DateTime(timezone=True)),
        schema="meta",
        comment="column mappings confirmed by an operator, per regency, jenis and header signature",
    )
    op.create_index("ix_pemetaan_kolom_lookup", "pemetaan_kolom", ["kode_kab", "jenis", "tanda_header"],
                    schema="meta")
    op.create_table(
        "total_kendali",
        sa.Column("submission_id", sa.BigInteger, nullable=False),
        sa.Column("sheet", sa.String(20), nullable=False),
        sa.Column("baris", sa.BigInteger, nullable=False, comment="the total row as the operator sees it"),
        sa.Column("jenis_baris", sa.String(20), nullable=False, comment="total | subtotal | induk"),
        sa.Column("label", sa.Text, comment="what the row says (JUMLAH, Sub Total, a programme code)"),
        sa.Column("kolom", sa.String(40), nullable=False, comment="the canonical column it totals, or 'baris'"),
        sa.Column("nilai_berkas", AMOUNT, comment="the file's own figure"),
        sa.Column("nilai_rincian", AMOUNT, comment="the sum of the lines it covers, as read"),
        sa.Column("selisih", AMOUNT),
        sa.Column("baris_rincian", sa.BigInteger, comment="how many lines it covers"),
        sa.Column("cocok", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("submission_id", "sheet", "baris", "kolom"),
        schema="meta",
        comment="the control totals of each file checked against its lines",
    )


def downgrade() -> None:
    from satudata.warehouse.migrate import without_indexes

    with without_indexes("anggaran", "staging", {"ix_anggaran_submission": ["submission_id"]}):
        for column in ("rak", "nama_giat", "nama_program_apbd"):
            op.drop_column("anggaran", column, schema="staging")
    op.drop_table("total_kendali", schema="meta")
    op.drop_table("pemetaan_kolom", schema="meta")
    op.execute("DROP SEQUENCE IF EXISTS meta.pemetaan_kolom_id_seq")
