"""Canonical columns of each kind (`jenis`) of submission.

This is the contract between the regencies' files, the synthetic generator, intake and the warehouse.
Column names are the Indonesian terms the registries themselves use, in snake_case.
"""

from __future__ import annotations

JENIS = ("dtks", "p3ke", "intervensi")

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
DESIL = (1, 2, 3, 4)

# Occupation value that marks a migrant worker (Pekerja Migran Indonesia) in DTKS/P3KE extracts.
PEKERJAAN_PEKERJA_MIGRAN = "Pekerja Migran"
