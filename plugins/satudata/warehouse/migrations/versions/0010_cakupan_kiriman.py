"""A submission replaces only what it covers: `meta.cakupan_kiriman`, kecamatan and tranche in staging.

Until now a newer submission of a regency, jenis and period switched every older row off, so a regency that
sent one file per kecamatan kept only the last kecamatan. Now each accepted submission records what it
covers (`meta.cakupan_kiriman`: the kecamatan or desa its rows are in, or '*' for the whole regency; for recipient
lists also the programme and the tranche, `tahap`), and a row stays active unless a newer submission covers
its kecamatan (and programme and tranche). `meta.submission` records how the file was taken (`cara_kirim`:
kabupaten | kecamatan | tambah) and what it replaced (`penggantian`, JSON).

Rows staged before this revision get their kecamatan from their village code (P3KE members from their
family), and their submissions a whole-regency scope: what they did before.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLES = ("dtks", "p3ke_keluarga", "p3ke_anggota", "intervensi")


def upgrade() -> None:
    from satudata.warehouse.migrate import without_indexes

    for table in TABLES:
        with without_indexes(table, "staging", {f"ix_{table}_submission": ["submission_id"]}):
            op.add_column(table, sa.Column("kode_kecamatan", sa.String(6),
                                           comment="the row's kecamatan (P3KE members: their family's)"),
                          schema="staging")
            if table == "p3ke_anggota":
                op.add_column(table, sa.Column("kode_desa", sa.String(10), comment="the family's desa"),
                              schema="staging")
    with without_indexes("intervensi", "staging", {"ix_intervensi_submission": ["submission_id"]}):
        op.add_column("intervensi", sa.Column("tahap", sa.Text, comment="tranche (tahap) of the list, if any"),
                      schema="staging")
    for table in ("dtks", "p3ke_keluarga", "intervensi"):
        op.execute(f"UPDATE staging.{table} SET kode_kecamatan = substr(kode_desa, 1, 6) WHERE kode_desa IS NOT NULL")
    op.execute("UPDATE staging.p3ke_anggota SET kode_desa = (SELECT min(k.kode_desa) "
               "FROM staging.p3ke_keluarga k WHERE k.submission_id = staging.p3ke_anggota.submission_id "
               "AND k.id_keluarga_p3ke = staging.p3ke_anggota.id_keluarga_p3ke)")
    op.execute("UPDATE staging.p3ke_anggota SET kode_kecamatan = substr(kode_desa, 1, 6)")
    op.create_table(
        "cakupan_kiriman",
        sa.Column("submission_id", sa.BigInteger, nullable=False),
        sa.Column("kode_kab", sa.String(4), nullable=False),
        sa.Column("jenis", sa.String(20), nullable=False),
        sa.Column("periode", sa.String(7), nullable=False),
        sa.Column("kode_program", sa.Text, nullable=False, comment="'*': every programme (registries)"),
        sa.Column("tahap", sa.Text, nullable=False, comment="'*': every tranche; '': rows without a tranche"),
        sa.Column("kode_wilayah", sa.Text, nullable=False,
                  comment="a kecamatan (6 digits) or desa (10 digits) it replaces; '*': the whole regency"),
        sa.PrimaryKeyConstraint("submission_id", "kode_program", "tahap", "kode_wilayah"),
        schema="meta",
        comment="what each accepted submission replaces of the older ones",
    )
    op.create_index("ix_cakupan_kiriman_scope", "cakupan_kiriman", ["kode_kab", "jenis", "periode"], schema="meta")
    with without_indexes("submission", "meta", {"ix_submission_sha256": ["sha256"]}):
        op.add_column("submission", sa.Column("cara_kirim", sa.String(20),
                                              comment="kabupaten | kecamatan | tambah"), schema="meta")
        op.add_column("submission", sa.Column("penggantian", sa.Text, comment="what it replaced, as JSON"),
                      schema="meta")
    op.execute("INSERT INTO meta.cakupan_kiriman (submission_id, kode_kab, jenis, periode, kode_program, tahap, "
               "kode_wilayah) SELECT submission_id, kode_kab, jenis, periode, '*', '*', '*' FROM meta.submission "
               "WHERE status IN ('accepted', 'partial') AND periode IS NOT NULL AND jenis <> 'intervensi'")
    op.execute("INSERT INTO meta.cakupan_kiriman (submission_id, kode_kab, jenis, periode, kode_program, tahap, "
               "kode_wilayah) SELECT DISTINCT i.submission_id, i.kode_kab, 'intervensi', i.periode, "
               "i.kode_program, '*', '*' FROM staging.intervensi i JOIN meta.submission s "
               "ON s.submission_id = i.submission_id WHERE s.status IN ('accepted', 'partial') "
               "AND i.kode_program IS NOT NULL")


def downgrade() -> None:
    from satudata.warehouse.migrate import without_indexes

    op.drop_index("ix_cakupan_kiriman_scope", table_name="cakupan_kiriman", schema="meta")
    op.drop_table("cakupan_kiriman", schema="meta")
    with without_indexes("submission", "meta", {"ix_submission_sha256": ["sha256"]}):
        op.drop_column("submission", "penggantian", schema="meta")
        op.drop_column("submission", "cara_kirim", schema="meta")
    with without_indexes("intervensi", "staging", {"ix_intervensi_submission": ["submission_id"]}):
        op.drop_column("intervensi", "tahap", schema="staging")
    for table in TABLES:
        with without_indexes(table, "staging", {f"ix_{table}_submission": ["submission_id"]}):
            op.drop_column(table, "kode_kecamatan", schema="staging")
            if table == "p3ke_anggota":
                op.drop_column(table, "kode_desa", schema="staging")
