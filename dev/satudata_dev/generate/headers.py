"""Header spellings regencies really use, and the title lines some put above the header.

HEADER_VARIANTS[canonical] = (canonical, SIKS-NG export style, Title Case, UPPER SPACED, *other spellings).
A file picks one style (index 1..3) for all its columns and then respells a few columns with any
non-canonical variant, as operators edit templates by hand. With the `header_variant` defect off, every
header is the canonical snake_case name.
"""

from __future__ import annotations

import numpy as np
from satudata.normalise.periode import BULAN

HEADER_VARIANTS: dict[str, tuple[str, ...]] = {
    "id_dtks": ("id_dtks", "IDDTKS", "ID DTKS", "ID DTKS", "ID_DTKS", "IDARTBDT"),
    "kode_desa": ("kode_desa", "KDDESA", "Kode Wilayah Desa", "KODE DESA", "Kode Desa/Kelurahan", "KODE_DESA"),
    "alamat": ("alamat", "ALAMAT", "Alamat", "ALAMAT", "ALAMAT LENGKAP", "Alamat Rumah"),
    "no_kk": ("no_kk", "NOKK", "Nomor Kartu Keluarga", "NO KK", "No. KK", "NO_KK", "NOMOR KK"),
    "nik": ("nik", "NIK", "NIK", "NOMOR NIK", "No. NIK", "NIK ART", "NO NIK"),
    "nama": ("nama", "NAMA_ART", "Nama Lengkap", "NAMA", "Nama", "NAMA LENGKAP"),
    "jenis_kelamin": ("jenis_kelamin", "JNS_KEL", "Jenis Kelamin", "JENIS KELAMIN", "JK", "L/P"),
    "tempat_lahir": ("tempat_lahir", "TMP_LHR", "Tempat Lahir", "TEMPAT LAHIR", "TMPT LAHIR"),
    "tanggal_lahir": ("tanggal_lahir", "TGL_LHR", "Tanggal Lahir", "TANGGAL LAHIR", "TGL LAHIR", "Tgl. Lahir"),
    "hubungan_keluarga": (
        "hubungan_keluarga", "HUB_KRT", "Hubungan Keluarga", "HUBUNGAN DENGAN KEPALA KELUARGA", "SHDK",
        "HUB. KELUARGA",
    ),
    "status_kawin": ("status_kawin", "STA_KAWIN", "Status Perkawinan", "STATUS KAWIN", "STATUS PERKAWINAN"),
    "pekerjaan": ("pekerjaan", "PEKERJAAN", "Pekerjaan", "JENIS PEKERJAAN", "Pekerjaan Utama"),
    "disabilitas": ("disabilitas", "DISABILITAS", "Penyandang Disabilitas", "STATUS DISABILITAS", "DIFABEL"),
    "id_keluarga_p3ke": ("id_keluarga_p3ke", "IDKELUARGA", "ID Keluarga P3KE", "ID KELUARGA P3KE", "ID Keluarga"),
    "nik_kepala_keluarga": (
        "nik_kepala_keluarga", "NIK_KRT", "NIK Kepala Keluarga", "NIK KEPALA KELUARGA", "NIK KRT",
    ),
    "nama_kepala_keluarga": (
        "nama_kepala_keluarga", "NAMA_KRT", "Nama Kepala Keluarga", "NAMA KEPALA KELUARGA", "NAMA KRT",
    ),
    "jenis_kelamin_kepala_keluarga": (
        "jenis_kelamin_kepala_keluarga", "JNS_KEL_KRT", "Jenis Kelamin Kepala Keluarga",
        "JENIS KELAMIN KEPALA KELUARGA", "JK KRT",
    ),
    "desil": ("desil", "DESIL", "Desil Kesejahteraan", "DESIL KESEJAHTERAAN", "Desil"),
    "jumlah_anggota": ("jumlah_anggota", "JML_ART", "Jumlah Anggota Keluarga", "JUMLAH ANGGOTA", "JML ANGGOTA"),
    "id_individu_p3ke": ("id_individu_p3ke", "IDINDIVIDU", "ID Individu P3KE", "ID INDIVIDU", "ID Individu"),
    # DTSEN extracts as public code that syncs them names the columns.
    "id_keluarga_dtsen": ("id_keluarga_dtsen", "ID_KELUARGA_DTSEN", "ID Keluarga DTSEN", "ID KELUARGA DTSEN"),
    "id_individu_dtsen": ("id_individu_dtsen", "ID_INDIVIDU_DTSEN", "ID Individu DTSEN", "ID INDIVIDU DTSEN"),
    "desil_nasional": ("desil_nasional", "DESIL_NASIONAL", "Desil Nasional", "DESIL NASIONAL"),
    "desil_provinsi": ("desil_provinsi", "DESIL_PROVINSI", "Desil Provinsi", "DESIL PROVINSI"),
    "desil_kabupaten_kota": ("desil_kabupaten_kota", "DESIL_KABUPATEN_KOTA", "Desil Kabupaten/Kota",
                             "DESIL KAB/KOTA"),
    "kode_program": ("kode_program", "KODE_PROGRAM", "Kode Program", "KODE PROGRAM", "PROGRAM"),
    "nilai_bantuan": ("nilai_bantuan", "NILAI_BANTUAN", "Nilai Bantuan", "NILAI BANTUAN", "NOMINAL", "Nilai (Rp)"),
    "tanggal_salur": ("tanggal_salur", "TGL_SALUR", "Tanggal Penyaluran", "TANGGAL SALUR", "Tgl Salur"),
}

RESPELL_SHARE = 0.25  # columns of a styled file spelled with another variant than the file's style

TITLE_LINES = {
    "dtks": ("DATA TERPADU KESEJAHTERAAN SOSIAL (DTKS)", "DATA TERPADU KESEJAHTERAAN SOSIAL"),
    "p3ke": (
        "DATA PENSASARAN PERCEPATAN PENGHAPUSAN KEMISKINAN EKSTREM (P3KE)",
        "DATA P3KE - PENSASARAN PERCEPATAN PENGHAPUSAN KEMISKINAN EKSTREM",
    ),
    "dtsen": ("DATA TUNGGAL SOSIAL EKONOMI NASIONAL (DTSEN)", "EKSTRAK DTSEN"),
    "intervensi": ("DAFTAR PENERIMA {nama_program}", "DAFTAR KPM {kode_program}"),
}


def choose_headers(columns: list[str], u: np.ndarray, enabled: bool) -> dict[str, str]:
    """Header text per canonical column for one file, from a block of uniforms drawn for that file.

    Args:
        columns: canonical columns in file order.
        u: at least 1 + 2 * len(columns) uniforms in [0, 1) (the file's style draws).
        enabled: False gives canonical headers (the `header_variant` defect did not hit this file).
    """
    if not enabled:
        return {c: c for c in columns}
    style = 1 + int(u[0] * 3)
    headers = {}
    for k, column in enumerate(columns):
        variants = HEADER_VARIANTS[column]
        if u[1 + 2 * k] < RESPELL_SHARE:
            others = variants[1:]
            headers[column] = others[int(u[2 + 2 * k] * len(others))]
        else:
            headers[column] = variants[style]
    return headers


def title_lines(jenis: str, kab_name: str, period: tuple[int, int], u: np.ndarray, **fmt: str) -> list[str]:
    """Title lines above the header: title, regency, period and usually a blank line (u: 4 uniforms)."""
    title = TITLE_LINES[jenis][int(u[0] * len(TITLE_LINES[jenis]))].format(**fmt)
    lines = [title, kab_name.upper()]
    if u[1] < 0.8:
        lines.append(f"Periode: {BULAN[period[1] - 1]} {period[0]}")
    if u[2] < 0.7:
        lines.append("")
    return lines
