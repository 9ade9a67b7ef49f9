"""Canonical columns of each kind (`jenis`) of submission.

This is the contract between the regencies' files, the synthetic generator, intake and the warehouse.
Column names are the Indonesian terms the registries themselves use, in snake_case.
"""

from __future__ import annotations

from dataclasses import dataclass

JENIS = ("dtks", "p3ke", "dtsen", "intervensi", "anggaran")

# DTKS: one row per person, grouped into families by `no_kk`.
DTKS_COLUMNS = (
    "id_dtks",  # the registry's own person id (IDDTKS)
    "kode_desa",  # 10-digit Kemendagri desa/kelurahan code of residence
    "alamat",
    "no_kk",  # 16-digit family card number (text)
    "nik",  # 16-digit NIK (text)
    "nama",
    "jenis_kelamin",  # L / P
    "tempat_lahir",
    "tanggal_lahir",
    "hubungan_keluarga",  # see HUBUNGAN_KELUARGA
    "status_kawin",
    "pekerjaan",
    "disabilitas",  # Ya / Tidak
)

# P3KE comes as two sheets, as the real P3KE Excel: families and their members.
P3KE_KELUARGA_COLUMNS = (
    "id_keluarga_p3ke",
    "kode_desa",
    "alamat",
    "no_kk",
    "nik_kepala_keluarga",
    "nama_kepala_keluarga",
    "jenis_kelamin_kepala_keluarga",
    "desil",  # welfare decile 1..4, 1 = poorest
    "jumlah_anggota",
)
P3KE_ANGGOTA_COLUMNS = (
    "id_keluarga_p3ke",
    "id_individu_p3ke",
    "nik",
    "nama",
    "jenis_kelamin",
    "tempat_lahir",
    "tanggal_lahir",
    "hubungan_keluarga",
    "status_kawin",
    "pekerjaan",
    "disabilitas",
)
P3KE_SHEETS = {"keluarga": "Keluarga", "anggota": "Anggota Keluarga"}

# DTSEN (Data Tunggal Sosial Ekonomi Nasional, Inpres 4/2025): BPS's registry of the whole population,
# families ranked in desil 1-10 nationally, within the province and within the regency, refreshed every
# quarter. No column specification is public: these are the names extracts seen in public code use
# (`nomor_induk_kependudukan`, `nomor_kartu_keluarga`, `desil_nasional` ...), mapped in sheets.headers.
DTSEN_KELUARGA_COLUMNS = (
    "id_keluarga_dtsen",
    "kode_desa",
    "alamat",
    "no_kk",
    "nik_kepala_keluarga",
    "nama_kepala_keluarga",
    "jenis_kelamin_kepala_keluarga",
    "desil_nasional",  # 1..10, 1 = poorest tenth of the country; the desil programmes follow
    "desil_provinsi",
    "desil_kabupaten_kota",
    "jumlah_anggota",
)
DTSEN_ANGGOTA_COLUMNS = (
    "id_keluarga_dtsen",
    "id_individu_dtsen",
    "nik",
    "nama",
    "jenis_kelamin",
    "tempat_lahir",
    "tanggal_lahir",
    "hubungan_keluarga",
    "status_kawin",
    "pekerjaan",
    "disabilitas",
)


@dataclass(frozen=True)
class FamilyRegistry:
    """A registry sent as families and their members (two sheets, or one flat sheet of members)."""

    jenis: str
    label: str  # as operators know it: "P3KE", "DTSEN"
    family_id: str  # the registry's family id column
    person_id: str  # the registry's person id column
    keluarga_columns: tuple[str, ...]
    anggota_columns: tuple[str, ...]
    desil_columns: tuple[str, ...]  # family columns holding a desil
    desil_max: int  # the highest desil the registry ranks
    # A header the vocabulary maps to the key's column is this registry's value column when the file has
    # none of its own: "Desil" in a DTSEN extract is its national desil, "ID Keluarga" its family id.
    folds: tuple[tuple[str, str], ...] = ()

    @property
    def suite_keluarga(self) -> str:
        return f"{self.jenis}_keluarga"

    @property
    def suite_anggota(self) -> str:
        return f"{self.jenis}_anggota"

    @property
    def family_only(self) -> frozenset[str]:
        """Columns that only a family sheet carries."""
        return frozenset({*self.desil_columns, "nik_kepala_keluarga", "nama_kepala_keluarga", "jumlah_anggota",
                          "jenis_kelamin_kepala_keluarga"})


FAMILY_REGISTRIES: dict[str, FamilyRegistry] = {
    "p3ke": FamilyRegistry("p3ke", "P3KE", "id_keluarga_p3ke", "id_individu_p3ke", P3KE_KELUARGA_COLUMNS,
                           P3KE_ANGGOTA_COLUMNS, ("desil",), 4, folds=(("desil_nasional", "desil"),)),
    "dtsen": FamilyRegistry("dtsen", "DTSEN", "id_keluarga_dtsen", "id_individu_dtsen", DTSEN_KELUARGA_COLUMNS,
                            DTSEN_ANGGOTA_COLUMNS, ("desil_nasional", "desil_provinsi", "desil_kabupaten_kota"), 10,
                            folds=(("desil", "desil_nasional"), ("id_keluarga_p3ke", "id_keluarga_dtsen"),
                                   ("id_individu_p3ke", "id_individu_dtsen"))),
}

# Programme recipient lists (one row per recipient person or family).
INTERVENSI_COLUMNS = (
    "kode_program",
    "nik",
    "no_kk",
    "nama",
    "tanggal_lahir",
    "kode_desa",
    "alamat",
    "nilai_bantuan",  # rupiah per period
    "tanggal_salur",  # distribution date
)

# The regency's poverty budget (APBD sub-activities tagged for extreme poverty, SIPD). No official export
# specification is public: these are the names public tools that sync SIPD use (`kode_sub_giat`,
# `nama_sub_giat`, `kode_skpd`, `pagu`, `bulan`, `realisasi_anggaran`, `kelompok_teks`, `strategi_teks`),
# mapped in sheets.headers. A workbook holds one or both tables: the sub-activities with their pagu (one row
# per sub-activity, or per sub-activity and desa/programme it funds) and the realisation by month.
ANGGARAN_SUB_KEGIATAN_COLUMNS = (
    "tahun_anggaran",
    "kode_skpd",  # the OPD (perangkat daerah) spending it
    "nama_skpd",
    "kode_program_apbd",  # SIPD programme code of the nomenclature (1.06.04), not a social programme
    "kode_giat",
    "kode_sub_giat",  # sub-activity code of the nomenclature (1.06.04.2.01.0002)
    "nama_sub_giat",
    "nama_dana",  # funding source (DAU, DAK, PAD ...)
    "pagu",  # rupiah
    "realisasi_anggaran",  # rupiah spent to date, when the file has no monthly sheet
    "kelompok_teks",  # SIPD's extreme-poverty label on the sub-activity
    "strategi_teks",  # SIPD's strategy label (Inpres 4/2022)
    "kode_program",  # the programme of the recipient lists it funds (RTLH, BLT_DD ...), if any
    "kode_desa",  # the desa it is spent in, if one
)
ANGGARAN_REALISASI_COLUMNS = (
    "tahun_anggaran",
    "kode_skpd",
    "kode_sub_giat",
    "nama_sub_giat",
    "bulan",  # 1..12
    "realisasi_anggaran",  # rupiah spent in that month
    "realisasi_fisik",  # physical progress, percent
)
ANGGARAN_SHEETS = {"sub_kegiatan": "Sub Kegiatan", "realisasi": "Realisasi"}
# Recognised in a budget file beside the staged columns: SIPD's programme and kegiatan names and the cash plan.
ANGGARAN_EXTRA_COLUMNS = ("nama_program_apbd", "nama_giat", "rak")

# Region names and codes above desa level: recognised in every kind of file (a desa given by name is
# resolved with them; codes above desa make up a split desa code).
REGION_COLUMNS = ("nama_provinsi", "nama_kabupaten", "nama_kecamatan", "nama_desa", "kode_provinsi",
                  "kode_kabupaten", "kode_kecamatan", "kode_desa_bps")
_PERSON_FILE_COLUMNS = frozenset({*DTKS_COLUMNS, *P3KE_KELUARGA_COLUMNS, *P3KE_ANGGOTA_COLUMNS,
                                  *DTSEN_KELUARGA_COLUMNS, *DTSEN_ANGGOTA_COLUMNS, *INTERVENSI_COLUMNS, "tahap",
                                  *REGION_COLUMNS})
# The columns a header of each kind of file may name: registries and recipient lists share the person
# columns (a PKH list may carry an ID DTKS); a budget recap has its own.
COLUMNS_OF_JENIS: dict[str, frozenset[str]] = {
    **{jenis: _PERSON_FILE_COLUMNS for jenis in ("dtks", "p3ke", "dtsen", "intervensi")},
    "anggaran": frozenset({*ANGGARAN_SUB_KEGIATAN_COLUMNS, *ANGGARAN_REALISASI_COLUMNS, *ANGGARAN_EXTRA_COLUMNS,
                           *REGION_COLUMNS}),
}

HUBUNGAN_KELUARGA = (
    "Kepala Keluarga",
    "Istri",
    "Suami",
    "Anak",
    "Menantu",
    "Cucu",
    "Orang Tua",
    "Mertua",
    "Famili Lain",
    "Lainnya",
)
JENIS_KELAMIN = ("L", "P")
DESIL = (1, 2, 3, 4)  # P3KE
DESIL_DTSEN = tuple(range(1, 11))

# Occupation value that marks a migrant worker (Pekerja Migran Indonesia) in DTKS/P3KE extracts.
PEKERJAAN_PEKERJA_MIGRAN = "Pekerja Migran"

# The indicator tables konvergensi writes (core.indikator_<t>) and publish releases (mart.<t>), in the
# dictionary's order: the four region levels first. Shared here so that the stages name them alike
# without importing each other.
INDICATOR_TABLES = ("konvergensi_desa", "konvergensi_kecamatan", "konvergensi_kabupaten", "konvergensi_provinsi",
                    "cakupan_program", "tumpang_tindih", "kantong_kemiskinan", "graduasi", "transisi_dtsen",
                    "anggaran", "anggaran_jangkauan", "anggaran_ringkasan")

# The review workbook harmonisation writes and intake reads back: its sheet and the ids of a pair.
SHEET_REVIEW = "Review Padanan"
REVIEW_ID_COLUMNS = ("id_dtks", "id_individu_p3ke")
