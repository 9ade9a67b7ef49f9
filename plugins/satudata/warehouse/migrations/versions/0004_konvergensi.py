"""Convergence: recipients matched to harmonised people, the family-level facts and the `mart` indicators.

`core` keeps what names people (recipient matches, the per-family facts the action lists are drawn
from); `mart` only aggregates. The rules and the programme reference applied to a period are kept in
`meta`, so every figure can be traced to the rule file that produced it. All rows are keyed by
`periode` (and `kode_kab` where a regency owns them), so a re-run replaces exactly what it wrote.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TEXT = sa.Text
COUNT = sa.BigInteger
PERCENT = sa.Double  # sa.Float is 4-byte REAL on DuckDB


def _periode() -> sa.Column:
    return sa.Column("periode", sa.String(7), nullable=False)


def _area(level: str) -> list[sa.Column]:
    """Region columns of a table at `level` (desa, kecamatan, kabupaten or provinsi)."""
    columns = [sa.Column("kode_provinsi", sa.String(2), nullable=False)]
    if level in ("kabupaten", "kecamatan", "desa"):
        columns.append(sa.Column("kode_kab", sa.String(4), nullable=False))
    if level in ("kecamatan", "desa"):
        columns.append(sa.Column("kode_kec", sa.String(6), comment="empty: families with no known desa"))
    if level == "desa":
        columns.append(sa.Column("kode_desa", sa.String(10), comment="empty: families with no known desa"))
    columns.append(sa.Column("nama_wilayah", TEXT))
    return columns


INDICATORS = (
    ("keluarga_terdata", "families in DTKS or P3KE"),
    ("keluarga_p3ke", "families in P3KE"),
    ("keluarga_desil1", "P3KE families of desil 1"),
    ("desil1_terintervensi", "desil-1 families with at least one core programme"),
    ("desil1_tanpa_program_inti", "desil-1 families with no core programme (exclusion error)"),
    ("desil1_tidak_di_dtks", "desil-1 families not registered in DTKS"),
    ("keluarga_penerima", "families receiving at least one programme"),
    ("keluarga_penerima_di_atas_desil", "recipient families above a programme's eligible desil (inclusion error)"),
    ("penerima_tidak_ditemukan", "recipients found in no registry"),
    ("penerima_perlu_review", "recipients whose match needs a reviewer"),
    ("keluarga_tumpang_tindih_pelanggaran", "families receiving a combination the rules forbid"),
    ("keluarga_tumpang_tindih_audit", "families receiving a combination the rules flag for audit"),
    ("lansia_tunggal", "priority families: elderly living alone"),
    ("lansia_tunggal_terintervensi", "... of them receiving at least one core programme"),
    ("disabilitas", "priority families: with a member with a disability"),
    ("disabilitas_terintervensi", "... of them receiving at least one core programme"),
    ("kepala_keluarga_perempuan", "priority families: female-headed"),
    ("kepala_keluarga_perempuan_terintervensi", "... of them receiving at least one core programme"),
    ("pekerja_migran", "priority families: with a migrant worker"),
    ("pekerja_migran_terintervensi", "... of them receiving at least one core programme"),
)
PERCENTAGES = (
    ("persen_cakupan_desil1", "desil1_terintervensi / keluarga_desil1 x 100"),
    ("persen_eksklusi_desil1", "desil1_tanpa_program_inti / keluarga_desil1 x 100"),
    ("persen_inklusi", "keluarga_penerima_di_atas_desil / keluarga_penerima x 100"),
)


def _indicators() -> list[sa.Column]:
    return [sa.Column(name, COUNT, nullable=False, comment=why) for name, why in INDICATORS] + [
        sa.Column(name, PERCENT, comment=why) for name, why in PERCENTAGES
    ]


def upgrade() -> None:
    # --- what applied to the period (not personal)
    op.create_table(
        "aturan_konvergensi",
        _periode(),
        sa.Column("berlaku_mulai", sa.String(7), nullable=False, comment="first period the rule file applies to"),
        sa.Column("berkas", TEXT, nullable=False, comment="rule file under include/rules/"),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("isi", TEXT, nullable=False, comment="the rules as applied, JSON"),
        sa.Column("dimuat_pada", sa.DateTime(timezone=True), nullable=False),
        schema="meta",
    )
    op.create_table(
        "program_periode",
        _periode(),
        sa.Column("kode_program", sa.String(40), nullable=False),
        sa.Column("nama_program", sa.String(200), nullable=False),
        sa.Column("penyelenggara", sa.String(200)),
        sa.Column("unit", sa.String(10), nullable=False, comment="individu | keluarga"),
        sa.Column("sumber_dana", sa.String(20)),
        sa.Column("desil_maks", sa.Integer, comment="highest eligible desil; empty = any registered family"),
        sa.Column("program_inti", sa.Boolean, nullable=False),
        sa.Column("strategi_inpres", sa.String(20)),
        sa.Column("kode_wilayah", sa.String(10), comment="region the programme runs in; empty = everywhere"),
        sa.Column("wajib_dtks", sa.Boolean, nullable=False, comment="recipients must be registered in DTKS"),
        schema="meta",
    )
    op.create_table(
        "aturan_tumpang_tindih",
        _periode(),
        sa.Column("kode_aturan", sa.String(60), nullable=False),
        sa.Column("program_a", sa.String(40), nullable=False),
        sa.Column("program_b", sa.String(40), nullable=False),
        sa.Column("tingkat", sa.String(12), nullable=False, comment="pelanggaran | audit"),
        sa.Column("dasar_hukum", TEXT),
        sa.Column("keterangan", TEXT),
        schema="meta",
    )
    op.create_table(
        "nilai_kategori",
        _periode(),
        sa.Column("kolom", sa.String(40), nullable=False, comment="disabilitas | pekerjaan"),
        sa.Column("nilai", TEXT, nullable=False, comment="lower(trim(value)) as found in the data"),
        sa.Column("kategori", sa.String(40), nullable=False, comment="disabilitas | pekerja_migran"),
        schema="meta",
    )
    op.create_table(
        "konvergensi",
        _periode(),
        sa.Column("kode_kab", sa.String(4), nullable=False, comment="'' for the province-wide step"),
        sa.Column("langkah", sa.String(30), nullable=False, comment="padanan_penerima | indikator | daftar_sasaran"),
        sa.Column("run_id", TEXT),
        sa.Column("dihitung_pada", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ringkasan", TEXT, nullable=False, comment="counts as JSON"),
        schema="meta",
    )

    # --- restricted: recipients and the per-family facts
    op.create_table(
        "penerima_program",
        _periode(),
        sa.Column("kode_kab", sa.String(4), nullable=False, comment="regency whose list holds the row"),
        sa.Column("submission_id", sa.BigInteger, nullable=False),
        sa.Column("baris", sa.Integer, nullable=False),
        sa.Column("kode_program", sa.String(40), nullable=False),
        sa.Column("nik", TEXT),
        sa.Column("nama", TEXT),
        sa.Column("kode_desa", sa.String(10), comment="desa named on the list"),
        sa.Column("kunci_penerima", TEXT, nullable=False,
                  comment="one key per recipient across lists: trusted NIK, else cleaned name, birth date, desa"),
        sa.Column("status_padanan", sa.String(20), nullable=False,
                  comment="ditemukan | perlu_review | tidak_ditemukan"),
        sa.Column("id_individu", TEXT, comment="core.individu_terpadu.id_individu"),
        sa.Column("id_keluarga", TEXT, comment="core.keluarga_terpadu.id_keluarga"),
        sa.Column("kode_kab_terdaftar", sa.String(4), comment="regency where the person is registered"),
        sa.Column("match_method", sa.String(16), comment="nik | probabilistic | review | kk | nik_provinsi; review_queue when perlu_review"),
        sa.Column("match_probability", sa.Double),
        sa.Column("match_reason", TEXT),
        schema="core",
    )
    op.create_table(
        "sasaran_program",
        _periode(),
        sa.Column("kode_kab", sa.String(4), nullable=False, comment="regency where the unit is registered"),
        sa.Column("kode_program", sa.String(40), nullable=False),
        sa.Column("unit", sa.String(10), nullable=False, comment="individu | keluarga"),
        sa.Column("id_keluarga", TEXT),
        sa.Column("id_individu", TEXT, comment="empty for family programmes"),
        sa.Column("layak", sa.Boolean, nullable=False, comment="eligible under the period's rules"),
        sa.Column("menerima", sa.Boolean, nullable=False, comment="on the programme's list, found in a registry"),
        schema="core",
    )
    op.create_table(
        "konvergensi_keluarga",
        _periode(),
        sa.Column("kode_kab", sa.String(4), nullable=False),
        sa.Column("id_keluarga", TEXT, nullable=False),
        sa.Column("kode_desa", sa.String(10)),
        sa.Column("desil", sa.SmallInteger),
        sa.Column("di_dtks", sa.Boolean, nullable=False),
        sa.Column("di_p3ke", sa.Boolean, nullable=False),
        sa.Column("jumlah_anggota", sa.Integer, nullable=False),
        sa.Column("lansia_tunggal", sa.Boolean, nullable=False),
        sa.Column("disabilitas", sa.Boolean, nullable=False),
        sa.Column("kepala_keluarga_perempuan", sa.Boolean, nullable=False),
        sa.Column("pekerja_migran", sa.Boolean, nullable=False),
        sa.Column("program_diterima", TEXT, comment="programme codes received, ; separated"),
        sa.Column("jumlah_program_inti", sa.Integer, nullable=False),
        sa.Column("program_di_atas_desil", TEXT, comment="programmes received above their eligible desil"),
        sa.Column("program_layak_belum_diterima", TEXT, comment="eligible programmes not received"),
        sa.Column("tumpang_tindih_pelanggaran", TEXT, comment="overlap rules violated"),
        sa.Column("tumpang_tindih_audit", TEXT, comment="overlap rules flagged for audit"),
        schema="core",
    )
    for table in ("penerima_program", "sasaran_program", "konvergensi_keluarga"):
        op.create_index(f"ix_{table}_scope", table, ["periode", "kode_kab"], schema="core")

    # --- mart: aggregates only
    for level, table in (("desa", "konvergensi_desa"), ("kecamatan", "konvergensi_kecamatan"),
                         ("kabupaten", "konvergensi_kabupaten"), ("provinsi", "konvergensi_provinsi")):
        op.create_table(table, _periode(), *_area(level), *_indicators(), schema="mart")
    op.create_table(
        "cakupan_program",
        _periode(),
        sa.Column("tingkat", sa.String(10), nullable=False, comment="kabupaten | provinsi"),
        sa.Column("kode_wilayah", sa.String(10), nullable=False),
        sa.Column("nama_wilayah", TEXT),
        sa.Column("kode_program", sa.String(40), nullable=False),
        sa.Column("nama_program", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(10), nullable=False),
        sa.Column("desil_maks", sa.Integer),
        sa.Column("program_inti", sa.Boolean, nullable=False),
        sa.Column("sasaran_layak", COUNT, nullable=False, comment="eligible units (families or people)"),
        sa.Column("penerima", COUNT, nullable=False, comment="units receiving, found in a registry"),
        sa.Column("penerima_layak", COUNT, nullable=False, comment="eligible units receiving"),
        sa.Column("kesalahan_eksklusi", COUNT, nullable=False, comment="eligible units not receiving"),
        sa.Column("kesalahan_inklusi", COUNT, nullable=False,
                  comment="units receiving but not eligible (above the desil, not in P3KE, outside the region)"),
        sa.Column("penerima_tidak_ditemukan", COUNT, nullable=False, comment="list rows found in no registry"),
        sa.Column("persen_cakupan", PERCENT),
        sa.Column("persen_inklusi", PERCENT),
        schema="mart",
    )
    op.create_table(
        "tumpang_tindih",
        _periode(),
        sa.Column("tingkat", sa.String(10), nullable=False, comment="kabupaten | provinsi"),
        sa.Column("kode_wilayah", sa.String(10), nullable=False),
        sa.Column("nama_wilayah", TEXT),
        sa.Column("kode_aturan", sa.String(60), nullable=False),
        sa.Column("program_a", sa.String(40), nullable=False),
        sa.Column("program_b", sa.String(40), nullable=False),
        sa.Column("tingkat_aturan", sa.String(12), nullable=False, comment="pelanggaran | audit"),
        sa.Column("jumlah_keluarga", COUNT, nullable=False),
        schema="mart",
    )
    op.create_table(
        "kantong_kemiskinan",
        _periode(),
        sa.Column("kode_provinsi", sa.String(2), nullable=False),
        sa.Column("kode_kab", sa.String(4), nullable=False),
        sa.Column("kode_kec", sa.String(6), nullable=False),
        sa.Column("kode_desa", sa.String(10), nullable=False),
        sa.Column("nama_desa", TEXT),
        sa.Column("nama_kecamatan", TEXT),
        sa.Column("keluarga_desil1", COUNT, nullable=False),
        sa.Column("desil1_tanpa_program_inti", COUNT, nullable=False),
        sa.Column("persen_tanpa_program_inti", PERCENT),
        sa.Column("peringkat_provinsi", sa.Integer, nullable=False),
        sa.Column("peringkat_kabupaten", sa.Integer, nullable=False),
        sa.Column("kantong", sa.Boolean, nullable=False, comment="a poverty pocket under the period's rules"),
        schema="mart",
    )
    op.create_table(
        "graduasi",
        _periode(),
        sa.Column("periode_sebelumnya", sa.String(7), nullable=False),
        sa.Column("tingkat", sa.String(10), nullable=False, comment="kabupaten | provinsi"),
        sa.Column("kode_wilayah", sa.String(10), nullable=False),
        sa.Column("nama_wilayah", TEXT),
        sa.Column("status", sa.String(12), nullable=False, comment="membaik | tetap | memburuk | keluar | baru"),
        sa.Column("desil_sebelumnya", sa.SmallInteger),
        sa.Column("desil_sekarang", sa.SmallInteger),
        sa.Column("jumlah_keluarga", COUNT, nullable=False),
        schema="mart",
    )


def downgrade() -> None:
    for table in ("graduasi", "kantong_kemiskinan", "tumpang_tindih", "cakupan_program", "konvergensi_provinsi",
                  "konvergensi_kabupaten", "konvergensi_kecamatan", "konvergensi_desa"):
        op.drop_table(table, schema="mart")
    for table in ("konvergensi_keluarga", "sasaran_program", "penerima_program"):
        op.drop_table(table, schema="core")
    for table in ("konvergensi", "nilai_kategori", "aturan_tumpang_tindih", "program_periode",
                  "aturan_konvergensi"):
        op.drop_table(table, schema="meta")
