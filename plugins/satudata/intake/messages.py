"""Every word the pipeline says to a regency operator, in Bahasa Indonesia, in one place.

Operators of the kabupaten/kota (Dinas Sosial, Bappeda) read these texts in the report workbook that
answers each file they drop in the inbox. They are often not technical: the texts use their words
("berkas", "kolom", "baris", "sel"), never English jargon, and every problem comes with *how to fix it
in Excel*.

    RULES[code]          -> Rule(code, tingkat, pesan, perbaikan, judul)   one problem of one row/cell
    FILE_REASONS[code]   -> FileReason(code, pesan, perbaikan, judul)       why a whole file was not used
    STATUS[status]       -> Status(status, label, langkah, warna)           the answer for the whole file
    COLUMN_LABELS[col]   -> operator label of a canonical column (intake maps each label back to it)
    COLUMN_HELP[col]     -> what to write in a column (template notes, report)
    format_message(code, **values) / format_fix(code, **values)

`tingkat` decides the fate of a row: "galat" = the row is rejected (not used), "peringatan" = the row is
kept and the operator should fix it in the next submission. `intake.stage.tingkat_of` reads it from here;
the GX suites in `expectations/` name the rule of each expectation in `meta.aturan`.

Placeholders in file reasons are filled from the submission's `reason_detail` (`{batas}`, `{tanggal}`,
`{kolom}` ...); a value that is missing is replaced by a neutral wording, so a text never shows a raw
`{placeholder}`. Lists (e.g. the missing columns) are written with operator column labels.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from satudata.schema import HUBUNGAN_KELUARGA

GALAT = "galat"
PERINGATAN = "peringatan"
TINGKAT_LABELS = {GALAT: "Galat", PERINGATAN: "Peringatan"}
TINGKAT_MEANING = {
    GALAT: "baris ditolak (tidak dipakai) sampai diperbaiki",
    PERINGATAN: "baris tetap diterima, mohon diperbaiki pada kiriman berikutnya",
}


@dataclass(frozen=True)
class Rule:
    code: str
    tingkat: str  # "galat" (row rejected) | "peringatan" (row kept, operator should fix)
    pesan: str  # what is wrong, for the operator
    perbaikan: str  # how to fix it, in Excel terms
    judul: str = ""  # short label (count table of the report)

    @property
    def label(self) -> str:
        return self.judul or self.pesan


@dataclass(frozen=True)
class FileReason:
    code: str
    pesan: str
    perbaikan: str
    judul: str = ""


@dataclass(frozen=True)
class Status:
    status: str  # accepted | partial | rejected | duplicate
    label: str  # as printed, large, in the report
    langkah: str  # "langkah selanjutnya": what the operator does next
    warna: str  # colour of the status text in the report


# --------------------------------------------------------------------------------------------- columns

COLUMN_LABELS: dict[str, str] = {
    # schema.DTKS_COLUMNS / P3KE_* / INTERVENSI_COLUMNS
    "id_dtks": "ID DTKS",
    "kode_desa": "Kode Desa (Kemendagri)",
    "alamat": "Alamat",
    "no_kk": "Nomor KK",
    "nik": "NIK",
    "nama": "Nama",
    "jenis_kelamin": "Jenis Kelamin (L/P)",
    "tempat_lahir": "Tempat Lahir",
    "tanggal_lahir": "Tanggal Lahir",
    "hubungan_keluarga": "Hubungan Keluarga",
    "status_kawin": "Status Kawin",
    "pekerjaan": "Pekerjaan",
    "disabilitas": "Disabilitas (Ya/Tidak)",
    "id_keluarga_p3ke": "ID Keluarga P3KE",
    "nik_kepala_keluarga": "NIK Kepala Keluarga",
    "nama_kepala_keluarga": "Nama Kepala Keluarga",
    "jenis_kelamin_kepala_keluarga": "Jenis Kelamin Kepala Keluarga",
    "desil": "Desil",
    "jumlah_anggota": "Jumlah Anggota Keluarga",
    "id_individu_p3ke": "ID Individu P3KE",
    "id_keluarga_dtsen": "ID Keluarga DTSEN",
    "id_individu_dtsen": "ID Individu DTSEN",
    "desil_nasional": "Desil Nasional",
    "desil_provinsi": "Desil Provinsi",
    "desil_kabupaten_kota": "Desil Kabupaten/Kota",
    "kode_program": "Kode Program",
    "tahap": "Tahap",
    "nilai_bantuan": "Nilai Bantuan (Rp)",
    "tahun_anggaran": "Tahun Anggaran",
    "kode_skpd": "Kode SKPD",
    "nama_skpd": "Nama SKPD",
    "kode_program_apbd": "Kode Program APBD",
    "kode_giat": "Kode Kegiatan",
    "kode_sub_giat": "Kode Sub Kegiatan",
    "nama_sub_giat": "Nama Sub Kegiatan",
    "nama_dana": "Sumber Dana",
    "pagu": "Pagu (Rp)",
    "bulan": "Bulan",
    "realisasi_anggaran": "Realisasi (Rp)",
    "realisasi_fisik": "Realisasi Fisik (%)",
    "kelompok_teks": "Label Kemiskinan",
    "strategi_teks": "Strategi",
    "tanggal_salur": "Tanggal Salur",
    # other columns intake recognises in regency files (intake.headers.ALIASES)
    "kode_desa_bps": "Kode Desa BPS",
    "nama_provinsi": "Nama Provinsi",
    "nama_kabupaten": "Nama Kabupaten/Kota",
    "nama_kecamatan": "Nama Kecamatan",
    "nama_desa": "Nama Desa/Kelurahan",
    "kode_provinsi": "Kode Provinsi",
    "kode_kabupaten": "Kode Kabupaten/Kota",
    "kode_kecamatan": "Kode Kecamatan",
}


def _missing(value: object) -> bool:
    """None, NaN or pandas' NA (without importing pandas here)."""
    return value is None or (isinstance(value, float) and math.isnan(value)) or type(value).__name__ == "NAType"


def column_label(column: object) -> str:
    """Operator label of a canonical column; a column we do not know keeps a readable form of its name."""
    if _missing(column) or column == "":
        return "(seluruh baris)"
    text = str(column)
    if "|" in text:  # a required group from intake.read.missing_required: any one of them would do
        return " atau ".join(column_label(part) for part in text.split("|") if part)
    return COLUMN_LABELS.get(text) or text.replace("_", " ").strip().title()


def labels(columns: Iterable[object]) -> str:
    """'NIK, Nomor KK dan Kode Desa (Kemendagri)'."""
    names = [column_label(c) for c in columns]
    if not names:
        return "-"
    if len(names) == 1:
        return names[0]
    names = [f"({n})" if " atau " in n else n for n in names]
    return ", ".join(names[:-1]) + " dan " + names[-1]


_HUBUNGAN_LIST = ", ".join(HUBUNGAN_KELUARGA)
_TEKS_NIK = (
    "Kolom ini sudah berformat Teks agar Excel menyimpan ke-16 angka. Ketik atau tempel (klik kanan > "
    "Paste Special > Values) tanpa spasi, titik atau tanda petik."
)

COLUMN_HELP: dict[str, str] = {
    "id_dtks": "ID orang dalam DTKS (IDDTKS) seperti tertulis di data DTKS dari Kementerian Sosial. Boleh kosong.",
    "kode_desa": (
        "Kode desa/kelurahan tempat tinggal menurut Kemendagri: 10 angka (2+2+2+4), contoh 5205012001 atau "
        "52.05.01.2001. BUKAN kode BPS (contoh BPS: 5205010001). Wajib diisi."
    ),
    "alamat": "Alamat tempat tinggal (dusun/lingkungan, RT/RW, jalan).",
    "no_kk": "Nomor Kartu Keluarga, 16 angka sesuai Kartu Keluarga. " + _TEKS_NIK,
    "nik": "Nomor Induk Kependudukan, 16 angka sesuai KTP atau Kartu Keluarga. " + _TEKS_NIK,
    "nama": "Nama lengkap sesuai KTP/Kartu Keluarga. Wajib diisi.",
    "jenis_kelamin": "L untuk laki-laki, P untuk perempuan (pilih dari daftar).",
    "tempat_lahir": "Kota/kabupaten tempat lahir sesuai KTP/Kartu Keluarga.",
    "tanggal_lahir": "Tanggal lahir sesuai KTP/Kartu Keluarga, format HH-BB-TTTT, contoh 17-08-1985.",
    "hubungan_keluarga": f"Hubungan dengan kepala keluarga, pilih dari daftar: {_HUBUNGAN_LIST}.",
    "status_kawin": "Status perkawinan: Belum Kawin, Kawin, Cerai Hidup atau Cerai Mati.",
    "pekerjaan": "Pekerjaan utama. Untuk pekerja migran tulis: Pekerja Migran.",
    "disabilitas": "Ya jika memiliki disabilitas, Tidak jika tidak (pilih dari daftar).",
    "id_keluarga_p3ke": (
        "ID keluarga dalam data P3KE. Di lembar 'Anggota Keluarga', isi dengan ID keluarga yang sama seperti "
        "di lembar 'Keluarga' agar anggota terhubung dengan keluarganya."
    ),
    "nik_kepala_keluarga": "NIK kepala keluarga, 16 angka sesuai KTP/Kartu Keluarga. " + _TEKS_NIK,
    "nama_kepala_keluarga": "Nama lengkap kepala keluarga sesuai KTP/Kartu Keluarga.",
    "jenis_kelamin_kepala_keluarga": "Jenis kelamin kepala keluarga: L atau P (pilih dari daftar).",
    "desil": "Desil kesejahteraan keluarga dari data P3KE: 1, 2, 3 atau 4 (1 = paling miskin). Wajib diisi.",
    "jumlah_anggota": "Jumlah anggota keluarga (angka), termasuk kepala keluarga.",
    "id_individu_p3ke": "ID orang dalam data P3KE.",
    "id_keluarga_dtsen": (
        "ID keluarga dalam ekstrak DTSEN. Di lembar 'Anggota Keluarga', isi dengan ID keluarga yang sama seperti "
        "di lembar 'Keluarga' agar anggota terhubung dengan keluarganya."
    ),
    "id_individu_dtsen": "ID orang dalam ekstrak DTSEN.",
    "desil_nasional": "Desil nasional keluarga dalam DTSEN: 1 sampai 10 (1 = paling miskin). Wajib diisi.",
    "desil_provinsi": "Desil keluarga di antara keluarga provinsi (DTSEN): 1 sampai 10. Boleh kosong.",
    "desil_kabupaten_kota": "Desil keluarga di antara keluarga kabupaten/kota (DTSEN): 1 sampai 10. Boleh kosong.",
    "kode_program": (
        "Kode program bantuan, pilih dari daftar (lihat lembar 'Daftar Program'), contoh PKH, BPNT, PBI_JK."
    ),
    "tahap": (
        "Tahap penyaluran (1, 2, 3 ...) bila bantuan disalurkan bertahap. Boleh dikosongkan bila tahap sudah "
        "ditulis pada nama berkas, contoh PKH_5205_2026-11 tahap 2.xlsx."
    ),
    "nilai_bantuan": "Nilai bantuan yang diterima dalam rupiah, hanya angka tanpa 'Rp' dan tanpa titik, contoh 600000.",
    "tahun_anggaran": "Tahun anggaran APBD, 4 angka, contoh 2026.",
    "kode_skpd": "Kode SKPD/OPD pelaksana seperti di SIPD, contoh 1.06.0.00.0.00.01.0000.",
    "nama_skpd": "Nama SKPD/OPD pelaksana, contoh Dinas Sosial.",
    "kode_program_apbd": "Kode program nomenklatur APBD (SIPD), contoh 1.06.04. Bukan kode program bantuan.",
    "kode_giat": "Kode kegiatan nomenklatur APBD (SIPD), contoh 1.06.04.2.01.",
    "kode_sub_giat": "Kode sub kegiatan nomenklatur APBD (SIPD), contoh 1.06.04.2.01.0002.",
    "nama_sub_giat": "Nama sub kegiatan seperti di SIPD, contoh Rehabilitasi Rumah Tidak Layak Huni.",
    "nama_dana": "Sumber dana, contoh DAU, DAK, PAD, DBH.",
    "pagu": "Pagu sub kegiatan dalam rupiah (pagu perubahan bila ada), hanya angka, contoh 1500000000.",
    "bulan": "Bulan realisasi, 1 sampai 12 atau nama bulan.",
    "realisasi_anggaran": "Realisasi dalam rupiah: pada lembar Realisasi, yang dibelanjakan pada bulan itu; pada "
                          "lembar Sub Kegiatan, realisasi sampai saat ini.",
    "realisasi_fisik": "Realisasi fisik dalam persen, 0 sampai 100.",
    "kelompok_teks": "Label kemiskinan ekstrem sub kegiatan di SIPD (tagging), bila ada.",
    "strategi_teks": "Strategi penghapusan kemiskinan ekstrem di SIPD (mengurangi beban pengeluaran, meningkatkan "
                     "pendapatan, mengurangi kantong kemiskinan), bila ada.",
    "tanggal_salur": "Tanggal bantuan disalurkan/diterima, format HH-BB-TTTT, contoh 15-11-2026.",
    "kode_desa_bps": "Kode desa menurut BPS. Tidak dipakai: gunakan kolom Kode Desa (Kemendagri).",
    "nama_provinsi": "Nama provinsi (hanya keterangan; yang dipakai adalah Kode Desa Kemendagri).",
    "nama_kabupaten": "Nama kabupaten/kota (hanya keterangan; yang dipakai adalah Kode Desa Kemendagri).",
    "nama_kecamatan": "Nama kecamatan (hanya keterangan; yang dipakai adalah Kode Desa Kemendagri).",
    "nama_desa": "Nama desa/kelurahan (hanya keterangan; yang dipakai adalah Kode Desa Kemendagri).",
    "kode_provinsi": "Kode provinsi Kemendagri, 2 angka (hanya keterangan).",
    "kode_kabupaten": "Kode kabupaten/kota Kemendagri, 4 angka (hanya keterangan).",
    "kode_kecamatan": "Kode kecamatan Kemendagri, 6 angka (hanya keterangan).",
}

JENIS_LABELS = {
    "dtks": "DTKS (Data Terpadu Kesejahteraan Sosial)",
    "p3ke": "P3KE (Pensasaran Percepatan Penghapusan Kemiskinan Ekstrem)",
    "dtsen": "DTSEN (Data Tunggal Sosial Ekonomi Nasional)",
    "intervensi": "Intervensi (daftar penerima program bantuan)",
    "anggaran": "Anggaran kemiskinan (sub kegiatan APBD bertanda kemiskinan dan realisasinya, SIPD)",
    "review": "Review padanan DTKS–P3KE (keputusan SAMA/BEDA)",
}

# --------------------------------------------------------------------------------------------- row rules

_NIK_TEKS = (
    "Format sel kolom NIK sebagai Teks (klik kanan > Format Cells > Text) lalu ketik ulang NIK lengkap "
    "16 digit dari KTP atau Kartu Keluarga."
)
_CEK_KTP = "Cocokkan dengan KTP atau Kartu Keluarga orang tersebut"
_KODE_DESA = (
    "Kode desa Kemendagri terdiri dari 10 angka (2 provinsi + 2 kabupaten + 2 kecamatan + 4 desa), "
    "contoh 52.05.01.2001 atau 5205012001"
)

_REVIEW_FOLDER = "inbox/<kode kabupaten/kota>/review/, contoh inbox/5205/review/"

_RULES: tuple[Rule, ...] = (
    # --- NIK
    Rule(
        "nik_kosong", PERINGATAN,
        "NIK tidak diisi. Baris tetap diterima, tetapi orang ini tidak dapat dicocokkan dengan data lain.",
        "Isi NIK 16 digit sesuai KTP atau Kartu Keluarga. " + _NIK_TEKS,
        "NIK kosong",
    ),
    Rule(
        "nik_format", PERINGATAN,
        "NIK tidak terdiri dari tepat 16 angka (ada huruf, spasi, tanda baca, atau jumlah angkanya kurang/lebih).",
        "Periksa NIK pada KTP atau Kartu Keluarga. " + _NIK_TEKS + " Jangan menambahkan spasi, titik atau tanda petik.",
        "NIK tidak 16 angka",
    ),
    Rule(
        "nik_kecamatan_tidak_dikenal", PERINGATAN,
        "6 angka pertama NIK (kode provinsi, kabupaten dan kecamatan tempat NIK diterbitkan) tidak cocok dengan "
        "kode kecamatan mana pun dalam daftar wilayah Kemendagri (tahun 2019, 2022 maupun 2025).",
        _CEK_KTP + "; kemungkinan ada angka yang salah ketik di bagian awal NIK. Ketik ulang NIK yang benar.",
        "Awal NIK bukan kode kecamatan",
    ),
    Rule(
        "nik_tanggal_tidak_valid", PERINGATAN,
        "Angka ke-7 sampai ke-12 NIK (tanggal, bulan dan tahun lahir, HHBBTT) bukan tanggal yang ada. "
        "Catatan: pada NIK perempuan, tanggal lahir ditambah 40 (lahir tanggal 5 ditulis 45).",
        _CEK_KTP + ", lalu perbaiki angka NIK yang salah ketik.",
        "Tanggal lahir di dalam NIK tidak ada",
    ),
    Rule(
        "nik_jenis_kelamin_tidak_sesuai", PERINGATAN,
        "Jenis kelamin tidak sesuai dengan NIK. Pada NIK perempuan, angka ke-7 dan ke-8 (tanggal lahir) ditambah "
        "40, sehingga nilainya 41 sampai 71; pada NIK laki-laki nilainya 01 sampai 31.",
        _CEK_KTP + ", lalu perbaiki kolom Jenis Kelamin (L atau P) atau NIK yang salah.",
        "Jenis kelamin tidak sesuai NIK",
    ),
    Rule(
        "nik_tanggal_lahir_tidak_sesuai", PERINGATAN,
        "Tanggal lahir yang tercantum di dalam NIK (angka ke-7 sampai ke-12) berbeda dengan isi kolom "
        "Tanggal Lahir.",
        _CEK_KTP + ", lalu perbaiki NIK atau Tanggal Lahir yang salah.",
        "Tanggal lahir berbeda dengan NIK",
    ),
    Rule(
        "nik_angka_excel", PERINGATAN,
        "NIK tersimpan sebagai angka oleh Excel (misalnya tampil sebagai 5,20501E+15 atau angka terakhirnya "
        "berubah menjadi 0). Excel hanya menyimpan 15 angka, sehingga angka terakhir NIK hilang; NIK ini tidak "
        "dipakai.",
        _NIK_TEKS + " Mengubah format sel saja tidak cukup: angka yang sudah hilang harus diketik ulang.",
        "NIK rusak karena disimpan sebagai angka",
    ),
    Rule(
        "kk_angka_excel", PERINGATAN,
        "Nomor KK tersimpan sebagai angka oleh Excel (misalnya tampil sebagai 5,20501E+15 atau angka terakhirnya "
        "berubah menjadi 0). Excel hanya menyimpan 15 angka, sehingga angka terakhir Nomor KK hilang; nomor ini "
        "tidak dipakai.",
        "Format sel kolom Nomor KK sebagai Teks (klik kanan > Format Cells > Text) lalu ketik ulang Nomor KK "
        "lengkap 16 digit dari Kartu Keluarga. Mengubah format sel saja tidak cukup.",
        "Nomor KK rusak karena disimpan sebagai angka",
    ),
    Rule(
        "id_angka_excel", PERINGATAN,
        "ID (ID DTKS atau ID P3KE) tersimpan sebagai angka oleh Excel, sehingga angka-angka terakhirnya hilang; "
        "ID ini tidak dipakai.",
        "Format sel kolom ID sebagai Teks (klik kanan > Format Cells > Text) lalu salin ulang ID dari data asli "
        "(DTKS/P3KE) dengan Paste Special > Values.",
        "ID rusak karena disimpan sebagai angka",
    ),
    Rule(
        "nik_ganda", GALAT,
        "NIK ini sudah ada di baris sebelumnya dalam berkas yang sama (untuk daftar penerima bantuan: NIK yang "
        "sama pada program yang sama). Baris pertama diterima; baris ini ditolak.",
        "Hapus baris yang dobel. Jika ternyata dua orang berbeda, salah satu NIK salah ketik: " + _CEK_KTP.lower()
        + " dan perbaiki NIK-nya.",
        "NIK ganda",
    ),
    Rule(
        "baris_ganda", GALAT,
        "Baris ini sama persis dengan baris lain sebelumnya dalam berkas yang sama (data dobel).",
        "Hapus baris yang dobel, cukup satu baris untuk setiap orang atau keluarga.",
        "Baris ganda",
    ),
    # --- KK
    Rule(
        "no_kk_format", PERINGATAN,
        "Nomor KK tidak terdiri dari tepat 16 angka, atau 4 angka terakhirnya 0000 (tanda angka terakhir hilang "
        "karena Excel).",
        "Periksa Nomor KK pada Kartu Keluarga. Format sel kolom Nomor KK sebagai Teks (klik kanan > Format Cells "
        "> Text) lalu ketik ulang 16 digit tanpa spasi atau titik.",
        "Nomor KK tidak 16 angka",
    ),
    Rule(
        "no_kk_kosong", PERINGATAN,
        "Nomor KK tidak diisi, sehingga orang ini tidak dapat dikelompokkan dengan anggota keluarganya.",
        "Isi Nomor Kartu Keluarga 16 digit (format sel sebagai Teks: klik kanan > Format Cells > Text).",
        "Nomor KK kosong",
    ),
    Rule(
        "kk_tanpa_kepala_keluarga", PERINGATAN,
        "Dalam satu Nomor KK ini tidak ada anggota yang tercatat sebagai 'Kepala Keluarga' pada kolom "
        "Hubungan Keluarga.",
        "Pada kolom Hubungan Keluarga, tandai satu anggota keluarga tersebut sebagai 'Kepala Keluarga' sesuai "
        "Kartu Keluarga.",
        "Keluarga tanpa kepala keluarga",
    ),
    # --- wilayah
    Rule(
        "kode_desa_kosong", GALAT,
        "Kode desa tidak diisi, sehingga tidak diketahui di desa/kelurahan mana orang atau keluarga ini tinggal.",
        "Isi kode desa Kemendagri. " + _KODE_DESA + ".",
        "Kode desa kosong",
    ),
    Rule(
        "kode_desa_tidak_dikenal", GALAT,
        "Kode desa tidak terdapat dalam daftar kode wilayah Kemendagri yang berlaku (Kepmendagri 2025).",
        _KODE_DESA + ". Pastikan bukan kode BPS (contoh kode BPS: 5205010001) dan tidak ada angka yang hilang "
        "atau salah ketik. Jika desa mengalami pemekaran atau perubahan kode, gunakan kode terbaru.",
        "Kode desa tidak dikenal",
    ),
    Rule(
        "kode_desa_luar_kabupaten", GALAT,
        "Kode desa ini milik kabupaten/kota lain, bukan kabupaten/kota pengirim berkas (4 angka pertama kode "
        "desa adalah kode kabupaten/kota).",
        "Periksa kode desa dan perbaiki jika salah ketik. Data penduduk kabupaten/kota lain dikirim oleh "
        "kabupaten/kota tersebut melalui foldernya sendiri; hapus baris ini dari berkas Anda.",
        "Desa di luar kabupaten/kota",
    ),
    # --- P3KE
    Rule(
        "desil_tidak_valid", GALAT,
        "Desil kosong atau bukan 1, 2, 3 atau 4 (1 = paling miskin).",
        "Isi kolom Desil dengan 1, 2, 3 atau 4 sesuai data P3KE (di template, pilih dari daftar pada sel).",
        "Desil tidak valid",
    ),
    Rule(
        "desil_dtsen_tidak_valid", GALAT,
        "Desil DTSEN kosong (desil nasional) atau bukan angka 1 sampai 10 (1 = paling miskin).",
        "Isi kolom Desil Nasional dengan angka 1 sampai 10 sesuai ekstrak DTSEN; Desil Provinsi dan Desil "
        "Kabupaten/Kota, bila ada, juga 1 sampai 10.",
        "Desil DTSEN tidak valid",
    ),
    Rule(
        "id_keluarga_tidak_ada", GALAT,
        "Anggota keluarga ini merujuk ke ID Keluarga P3KE (atau Nomor KK) yang tidak ada di lembar 'Keluarga'.",
        "Tambahkan keluarganya di lembar 'Keluarga', atau perbaiki ID Keluarga P3KE pada baris ini agar sama "
        "persis dengan yang tertulis di lembar 'Keluarga'.",
        "Keluarga tidak ada di lembar Keluarga",
    ),
    # --- intervensi
    Rule(
        "kode_program_tidak_dikenal", GALAT,
        "Kode program tidak dikenal (tidak ada dalam daftar program).",
        "Gunakan salah satu kode dari lembar 'Daftar Program' di template (contoh PKH, BPNT, PBI_JK). Jika ini "
        "program daerah yang belum terdaftar, hubungi tim data agar program tersebut ditambahkan.",
        "Kode program tidak dikenal",
    ),
    Rule(
        "kode_program_kosong", GALAT,
        "Kode program tidak diisi, sehingga tidak diketahui bantuan apa yang diterima.",
        "Isi kolom Kode Program (pilih dari daftar), atau jika seluruh berkas berisi satu program, cantumkan "
        "program itu di nama berkas, contoh intervensi_PKH_5205_2026-11.xlsx.",
        "Kode program kosong",
    ),
    Rule(
        "nilai_bantuan_tidak_valid", PERINGATAN,
        "Nilai bantuan bukan angka rupiah yang dapat dibaca.",
        "Tulis nilai bantuan dalam rupiah, hanya angka, tanpa 'Rp' dan tanpa titik pemisah ribuan, contoh 600000.",
        "Nilai bantuan tidak valid",
    ),
    Rule(
        "sub_kegiatan_kosong", GALAT,
        "Kode dan nama sub kegiatan sama-sama kosong, sehingga baris anggaran ini tidak dapat dikenali.",
        "Isi Kode Sub Kegiatan (contoh 1.06.04.2.01.0002) dan/atau Nama Sub Kegiatan sesuai SIPD.",
        "Sub kegiatan kosong",
    ),
    Rule(
        "kode_sub_giat_format", PERINGATAN,
        "Kode sub kegiatan tidak berbentuk kode nomenklatur (urusan.bidang.program.kegiatan.sub kegiatan). Baris "
        "tetap dipakai dan digolongkan menurut namanya.",
        "Salin kode sub kegiatan dari SIPD apa adanya, contoh 1.06.04.2.01.0002, sebagai teks.",
        "Kode sub kegiatan tidak baku",
    ),
    Rule(
        "opd_kosong", GALAT,
        "Kode dan nama OPD (perangkat daerah) sama-sama kosong pada baris sub kegiatan.",
        "Isi Kode SKPD dan/atau Nama SKPD/OPD yang melaksanakan sub kegiatan ini.",
        "OPD kosong",
    ),
    Rule(
        "kode_skpd_format", PERINGATAN,
        "Kode SKPD/OPD tidak berbentuk kode bertitik seperti di SIPD. Baris tetap dipakai.",
        "Salin kode SKPD dari SIPD apa adanya, contoh 1.06.0.00.0.00.01.0000, sebagai teks.",
        "Kode OPD tidak baku",
    ),
    Rule(
        "pagu_tidak_valid", GALAT,
        "Pagu kosong atau bukan angka rupiah yang dapat dibaca (pagu tidak boleh negatif).",
        "Tulis pagu dalam rupiah, hanya angka, contoh 1500000000 (boleh 1.500.000.000), tanpa rumus yang galat.",
        "Pagu tidak valid",
    ),
    Rule(
        "realisasi_tidak_valid", GALAT,
        "Realisasi anggaran kosong pada lembar realisasi, atau bukan angka rupiah yang dapat dibaca (tidak boleh "
        "negatif).",
        "Tulis realisasi dalam rupiah, hanya angka, contoh 250000000. Bulan tanpa realisasi diisi 0.",
        "Realisasi tidak valid",
    ),
    Rule(
        "bulan_tidak_valid", GALAT,
        "Bulan realisasi kosong atau bukan bulan 1 sampai 12.",
        "Isi bulan dengan angka 1 sampai 12 atau nama bulan (Januari ... Desember).",
        "Bulan tidak valid",
    ),
    Rule(
        "realisasi_melebihi_pagu", PERINGATAN,
        "Realisasi melebihi pagu pada baris yang sama. Baris tetap dipakai; periksa apakah pagu perubahan belum "
        "dicatat atau realisasi salah ketik.",
        "Periksa angka pagu (pakai pagu perubahan bila ada) dan realisasi di SIPD, lalu kirim ulang rekap lengkap.",
        "Realisasi melebihi pagu",
    ),
    Rule(
        "tahun_anggaran_tidak_valid", GALAT,
        "Tahun anggaran bukan tahun 4 angka yang wajar (2015 sampai tahun depan).",
        "Isi tahun anggaran dengan 4 angka, contoh 2026.",
        "Tahun anggaran tidak valid",
    ),
    Rule(
        "realisasi_fisik_tidak_valid", PERINGATAN,
        "Realisasi fisik bukan persen 0 sampai 100.",
        "Tulis realisasi fisik sebagai persen, contoh 75 atau 75,5.",
        "Realisasi fisik tidak valid",
    ),
    Rule(
        "program_anggaran_tidak_dikenal", PERINGATAN,
        "Program bantuan yang dibiayai sub kegiatan ini tidak ada di daftar program, sehingga jangkauannya tidak "
        "dapat dihitung. Baris tetap dipakai.",
        "Tulis kode program dari daftar (RTLH, BLT_DD, JPS_GEMILANG ...) atau kosongkan; program daerah yang belum "
        "terdaftar: hubungi tim data.",
        "Program bantuan tidak dikenal",
    ),
    Rule(
        "lokasi_desa_tidak_dikenal", PERINGATAN,
        "Kode desa lokasi sub kegiatan tidak ada di daftar Kemendagri. Baris tetap dipakai tanpa lokasi.",
        "Tulis kode desa Kemendagri 10 angka, contoh 5205012001, atau kosongkan bila sub kegiatan tidak di satu desa.",
        "Lokasi desa tidak dikenal",
    ),
    Rule(
        "lokasi_desa_luar_kabupaten", PERINGATAN,
        "Desa lokasi sub kegiatan berada di luar kabupaten/kota pengirim. Baris tetap dipakai.",
        "Periksa kode desa lokasi; gunakan desa di kabupaten/kota Anda.",
        "Lokasi desa di luar kabupaten",
    ),
    Rule(
        "tanggal_salur_tidak_valid", PERINGATAN,
        "Tanggal salur tidak dapat dibaca sebagai tanggal, atau tanggal itu tidak ada (misalnya 31-02-2026).",
        "Tulis tanggal salur dengan format HH-BB-TTTT, contoh 15-11-2026, atau sebagai tanggal Excel.",
        "Tanggal salur tidak valid",
    ),
    Rule(
        "tanggal_salur_tidak_wajar", PERINGATAN,
        "Tanggal salur tidak masuk akal: sebelum tahun 2015 atau lebih dari satu bulan setelah hari ini.",
        "Periksa tahun, bulan dan tanggal penyaluran bantuan (misalnya 2062 seharusnya 2026) lalu perbaiki.",
        "Tanggal salur tidak wajar",
    ),
    # --- person
    Rule(
        "nama_kosong", GALAT,
        "Nama tidak diisi.",
        "Isi nama lengkap sesuai KTP atau Kartu Keluarga.",
        "Nama kosong",
    ),
    Rule(
        "nama_tidak_wajar", PERINGATAN,
        "Nama tidak wajar: hanya berisi angka/tanda baca atau hanya satu huruf.",
        "Periksa apakah isi kolom bergeser (misalnya NIK masuk ke kolom Nama), lalu isi nama lengkap sesuai KTP "
        "atau Kartu Keluarga.",
        "Nama tidak wajar",
    ),
    Rule(
        "tanggal_lahir_tidak_valid", PERINGATAN,
        "Tanggal lahir tidak dapat dibaca sebagai tanggal, atau tanggal itu tidak ada (misalnya 31-02-1985).",
        "Tulis tanggal lahir dengan format HH-BB-TTTT, contoh 17-08-1985, atau sebagai tanggal Excel. "
        + _CEK_KTP + ".",
        "Tanggal lahir tidak valid",
    ),
    Rule(
        "tanggal_lahir_tidak_wajar", PERINGATAN,
        "Tanggal lahir tidak masuk akal: di masa depan atau lebih dari 120 tahun yang lalu.",
        "Periksa tahun lahir (misalnya 2085 seharusnya 1985). " + _CEK_KTP + ".",
        "Tanggal lahir tidak wajar",
    ),
    Rule(
        "jenis_kelamin_tidak_valid", PERINGATAN,
        "Jenis kelamin tidak dikenali.",
        "Isi L untuk laki-laki atau P untuk perempuan (di template, pilih dari daftar pada sel).",
        "Jenis kelamin tidak valid",
    ),
    Rule(
        "hubungan_keluarga_tidak_valid", PERINGATAN,
        "Hubungan keluarga tidak dikenali.",
        f"Isi dengan salah satu pilihan berikut: {_HUBUNGAN_LIST} (di template, pilih dari daftar pada sel).",
        "Hubungan keluarga tidak valid",
    ),
    # --- cells
    Rule(
        "sel_galat_excel", PERINGATAN,
        "Sel berisi tanda galat Excel (#N/A, #REF!, #VALUE! dan sejenisnya), sehingga isinya tidak diketahui; "
        "sel ini dianggap kosong.",
        "Tanda ini biasanya berasal dari rumus (misalnya VLOOKUP) yang gagal. Perbaiki rumusnya atau ketik nilai "
        "yang benar, lalu ganti rumus dengan nilainya: salin kolom, klik kanan > Paste Special > Values.",
        "Sel berisi galat Excel",
    ),
    Rule(
        "rumus_tanpa_nilai", PERINGATAN,
        "Sel berisi rumus yang tersimpan tanpa hasil hitungannya, sehingga isinya tidak terbaca.",
        "Buka berkas di Excel, tekan Ctrl+Alt+F9 agar semua rumus dihitung, lalu ganti rumus dengan nilainya "
        "(salin kolom, klik kanan > Paste Special > Values) dan simpan.",
        "Rumus tanpa hasil",
    ),
    Rule(
        "kolom_berlebih", PERINGATAN,
        "Baris ini berisi lebih banyak sel daripada judul kolom; isi sel di kanan kolom terakhir diabaikan.",
        "Periksa apakah isi baris bergeser ke kanan. Pada berkas CSV hal ini biasanya karena ada koma atau titik "
        "koma di dalam alamat/nama: simpan berkas sebagai Excel (.xlsx), atau hapus isi sel di luar tabel.",
        "Kelebihan sel di kanan tabel",
    ),
    # --- review padanan (berkas yang dikembalikan melalui inbox/<kode kabupaten/kota>/review/)
    Rule(
        "keputusan_tidak_dikenal", GALAT,
        "Isi kolom keputusan tidak dikenali. Yang diterima hanya SAMA (kedua data orang yang sama) atau BEDA "
        "(dua orang yang berbeda); sel kosong berarti belum diputuskan. Keputusan pada baris ini tidak dipakai.",
        "Pilih SAMA atau BEDA dari daftar pada sel kolom keputusan, atau kosongkan sel jika belum yakin, lalu "
        "letakkan lagi berkasnya di folder " + _REVIEW_FOLDER + ".",
        "Keputusan tidak dikenali",
    ),
    Rule(
        "id_pasangan_kosong", GALAT,
        "Kolom id_dtks atau id_individu_p3ke pada baris ini kosong, sehingga tidak diketahui pasangan mana yang "
        "diputuskan. Keputusan pada baris ini tidak dipakai.",
        "Jangan mengubah atau menghapus isi kolom id_dtks dan id_individu_p3ke. Salin kembali kedua ID dari berkas "
        "review asli di folder outbox kabupaten/kota Anda (klik kanan > Paste Special > Values), atau isi "
        "keputusan pada berkas review yang asli.",
        "ID pasangan kosong",
    ),
    Rule(
        "keputusan_bertentangan", GALAT,
        "Pasangan yang sama diputuskan lebih dari sekali dalam berkas ini dengan keputusan yang berbeda (SAMA dan "
        "BEDA). Tidak ada keputusan yang dipakai untuk pasangan ini.",
        "Hapus baris yang dobel atau samakan keputusannya, lalu letakkan lagi berkasnya di folder "
        + _REVIEW_FOLDER + ".",
        "Keputusan bertentangan",
    ),
    Rule(
        "pasangan_tidak_dalam_antrian", GALAT,
        "Pasangan tidak ada dalam antrian review kabupaten/kota ini: ID DTKS dan ID P3KE ini tidak pernah "
        "dikirim untuk direview ke kabupaten/kota Anda. Keputusan pada baris ini tidak dipakai.",
        "Jangan mengubah isi kolom id_dtks dan id_individu_p3ke dan jangan menambah baris baru: putuskan hanya "
        "pasangan yang tercantum di berkas review dari folder outbox kabupaten/kota Anda. Periksa juga bahwa "
        "berkas diletakkan di folder kabupaten/kota yang benar.",
        "Pasangan tidak ada dalam antrian review",
    ),
)

RULES: dict[str, Rule] = {rule.code: rule for rule in _RULES}

# --------------------------------------------------------------------------------------------- file reasons

_FOLDER = "inbox/<kode kabupaten/kota>/<jenis data>/, contoh inbox/5205/dtks/"

_FILE_REASONS: tuple[FileReason, ...] = (
    FileReason(
        "empty_file",
        "Berkas kosong: tidak ada baris data yang dapat dibaca.",
        "Periksa bahwa Anda menyimpan berkas yang benar dan bahwa data berada di lembar (sheet) pertama atau di "
        "lembar yang memakai judul kolom template. Simpan ulang lalu letakkan lagi di folder inbox.",
        "Berkas kosong",
    ),
    FileReason(
        "unreadable",
        "Berkas tidak dapat dibaca.",
        "Buka berkas di Excel; jika bisa dibuka, simpan ulang sebagai Excel Workbook (.xlsx) melalui "
        "File > Save As, lalu letakkan lagi di folder inbox. Jika tidak bisa dibuka, minta salinan baru dari "
        "sumber datanya.",
        "Berkas tidak terbaca",
    ),
    FileReason(
        "corrupt_xlsx",
        "Berkas Excel rusak atau tidak lengkap (mungkin terpotong saat disalin atau diunduh).",
        "Buka berkas di Excel; jika Excel menawarkan perbaikan, setujui, lalu simpan ulang sebagai .xlsx. "
        "Jika berkas tidak bisa dibuka, salin ulang dari sumbernya dan tunggu sampai penyalinan selesai sebelum "
        "meletakkannya di folder inbox.",
        "Berkas Excel rusak",
    ),
    FileReason(
        "encrypted",
        "Berkas dilindungi kata sandi (password), sehingga tidak dapat dibaca oleh sistem.",
        "Buka berkas di Excel dengan kata sandinya, hapus kata sandi (File > Info > Protect Workbook > Encrypt "
        "with Password, kosongkan isiannya), simpan, lalu letakkan lagi di folder inbox. Folder kiriman sudah "
        "terlindungi, jadi kata sandi tidak diperlukan.",
        "Berkas berkata sandi",
    ),
    FileReason(
        "not_a_spreadsheet",
        "Berkas ini bukan tabel data, melainkan {jenis_berkas}, apa pun akhiran namanya (misalnya PDF, gambar "
        "atau dokumen Word yang diganti namanya).",
        "Kirim data dalam bentuk tabel Excel (.xlsx) atau CSV, sebaiknya memakai template. Hasil pindaian (scan) "
        "atau PDF tidak dapat dibaca: data harus diketik ke template.",
        "Bukan berkas tabel",
    ),
    FileReason(
        "too_large_uncompressed",
        "Isi berkas Excel ini terlalu besar untuk diproses dengan aman.",
        "Hapus lembar, gambar atau format yang tidak diperlukan dan simpan ulang, atau bagi data menjadi "
        "beberapa berkas per kecamatan. Bila perlu, simpan sebagai CSV (File > Save As > CSV UTF-8).",
        "Berkas terlalu besar",
    ),
    FileReason(
        "no_header",
        "Judul kolom tidak ditemukan: pada 30 baris pertama tidak ada baris yang berisi sedikitnya dua judul "
        "kolom yang dikenali (misalnya NIK, Nama, Kode Desa).",
        "Pastikan baris judul kolom ada di bagian atas tabel dan memakai nama kolom seperti di template. Cara "
        "paling mudah: salin data Anda ke template (Paste Special > Values) lalu kirim template tersebut.",
        "Judul kolom tidak ditemukan",
    ),
    FileReason(
        "missing_columns",
        "Kolom wajib tidak ditemukan: {kolom}.",
        "Tambahkan kolom tersebut dengan judul seperti di template dan isi datanya, atau salin data Anda ke "
        "template. Periksa juga apakah judul kolom salah ketik atau berada di lembar (sheet) lain.",
        "Kolom wajib tidak ada",
    ),
    FileReason(
        "unsupported_format",
        "Berkas ini berupa {jenis_berkas}, yang tidak dapat dibaca sistem. Yang diterima: Excel (.xlsx, .xlsm, "
        ".xls), LibreOffice/OpenOffice Calc (.ods) dan CSV (.csv, .tsv, .txt).",
        "Buka berkas di program asalnya lalu simpan sebagai Excel Workbook (.xlsx) atau, di LibreOffice, sebagai "
        "ODF Spreadsheet (.ods) melalui File > Save As, kemudian letakkan berkas itu di folder " + _FOLDER + ".",
        "Jenis berkas tidak diterima",
    ),
    FileReason(
        "line_too_long",
        "Berkas teks ini berisi satu baris yang sangat panjang (lebih dari {batas} karakter) tanpa ganti baris, "
        "sehingga baris dan kolomnya tidak dapat dipisahkan. Biasanya berkas terpotong atau disimpan dengan "
        "pemisah baris yang tidak dikenal.",
        "Buka data asli di Excel atau LibreOffice lalu simpan ulang sebagai Excel Workbook (.xlsx), atau sebagai "
        "CSV UTF-8 (File > Save As > CSV UTF-8), kemudian letakkan lagi di folder " + _FOLDER + ".",
        "Baris tanpa ganti baris",
    ),
    FileReason(
        "sheet_missing",
        "Berkas P3KE harus berisi dua lembar (sheet): 'Keluarga' dan 'Anggota Keluarga', atau satu "
        "lembar anggota keluarga yang juga berisi kolom keluarga (Desil, ID Keluarga P3KE). Salah satu lembar "
        "tidak ditemukan.",
        "Gunakan template P3KE: isi data keluarga di lembar 'Keluarga' dan data setiap anggota di lembar "
        "'Anggota Keluarga', lalu kirim ulang. Jangan mengganti nama lembar.",
        "Lembar P3KE tidak lengkap",
    ),
    FileReason(
        "wrong_regency",
        "Data di berkas ini sebagian besar milik {nama_kab_isi} (kode {kode_kab_isi}), bukan kabupaten/kota "
        "folder pengirim ({kode_kab_folder}).",
        "Periksa apakah berkas terletak di folder yang benar: setiap kabupaten/kota mengirim datanya sendiri ke "
        "folder inbox/<kode kabupaten/kota>/. Jika berkas salah folder, pindahkan ke folder yang benar; jika "
        "kode desa di berkas salah, perbaiki kode desanya lalu kirim ulang.",
        "Data milik kabupaten/kota lain",
    ),
    FileReason(
        "bps_coding",
        "Kode wilayah di berkas ini adalah kode BPS, bukan kode Kemendagri{rincian}. Keduanya berbeda: kode desa Kemendagri terdiri dari 2+2+2+4 angka "
        "(contoh 52.05.01.2001), sedangkan kode BPS 2+2+3+3 angka (contoh 5205010001). Kode kecamatan dan desa "
        "pada kedua sistem tidak sama, sehingga kode BPS tidak dapat dipakai.",
        "Ganti isi kolom kode desa dengan kode desa Kemendagri (Kepmendagri tentang kode dan data wilayah "
        "administrasi pemerintahan), lalu kirim ulang. Jika Anda memiliki tabel padanan kode BPS-Kemendagri, "
        "gunakan tabel itu; bila tidak, minta bantuan tim data.",
        "Kode wilayah BPS",
    ),
    FileReason(
        "too_many_bad_rows",
        "Terlalu banyak baris yang ditolak: {rincian}, melebihi batas {batas}. Seluruh berkas tidak dipakai, agar data yang sudah ada tidak tergantikan oleh data yang "
        "banyak salahnya.",
        "Lihat lembar 'Ringkasan' (jumlah per masalah) dan 'Masalah' untuk mengetahui kesalahan yang paling "
        "sering, biasanya satu kolom yang salah untuk semua baris (misalnya kode desa BPS, NIK tersimpan sebagai "
        "angka, atau kolom tertukar). Perbaiki di berkas asli lalu kirim ulang berkas lengkap.",
        "Terlalu banyak baris ditolak",
    ),
    FileReason(
        "unknown_jenis",
        "Nama folder jenis data tidak dikenal ({folder}). Nama folder yang benar hanya: dtks, p3ke, "
        "dtsen, intervensi, anggaran atau review.",
        "Pindahkan berkas ke folder yang benar, contoh inbox/5205/dtks/ untuk data DTKS, inbox/5205/p3ke/ untuk "
        "P3KE, inbox/5205/dtsen/ untuk ekstrak DTSEN, inbox/5205/intervensi/ untuk daftar penerima bantuan, inbox/5205/anggaran/ untuk rekap anggaran kemiskinan (SIPD), atau inbox/5205/review/ untuk berkas "
        "review_padanan yang sudah diisi keputusannya.",
        "Folder jenis data tidak dikenal",
    ),
    FileReason(
        "unknown_regency_folder",
        "Nama folder kabupaten/kota tidak dikenal ({folder}). Nama folder harus berupa kode kabupaten/kota "
        "Kemendagri 4 angka, contoh 5205.",
        "Pindahkan berkas ke folder kabupaten/kota Anda: inbox/<kode kabupaten/kota 4 angka>/<jenis data>/. "
        "Jika folder Anda belum ada, hubungi tim data.",
        "Folder kabupaten/kota tidak dikenal",
    ),
    FileReason(
        "symlink",
        "Berkas ini hanya tautan (shortcut/link) ke berkas lain, bukan berkas data yang sebenarnya. Tautan tidak "
        "diterima.",
        "Salin berkas aslinya (bukan shortcut) ke folder " + _FOLDER + ".",
        "Tautan, bukan berkas",
    ),
    FileReason(
        "duplicate",
        "Isi berkas ini sama persis dengan berkas yang sudah diterima pada {tanggal} ({berkas}). Tidak ada yang "
        "perlu dilakukan.",
        "Jika Anda sebenarnya ingin mengirim berkas yang sudah diperbaiki, periksa bahwa perbaikan sudah disimpan "
        "(File > Save) sebelum berkas disalin ke folder inbox, lalu kirim ulang.",
        "Berkas sudah pernah diterima",
    ),
    FileReason(
        "superseded",
        "Semua baris berkas ini sudah digantikan oleh berkas yang lebih baru untuk wilayah, jenis data dan "
        "periode yang sama{berkas_baru}. Data yang dipakai adalah data dari berkas yang lebih baru.",
        "Tidak ada yang perlu dilakukan. Ini hanya pemberitahuan.",
        "Digantikan berkas yang lebih baru",
    ),
    FileReason(
        "internal_error",
        "Terjadi gangguan pada sistem saat memproses berkas ini; kesalahannya bukan pada berkas Anda. Berkas "
        "tersimpan aman di arsip dan akan diproses ulang.",
        "Tidak perlu mengirim ulang. Jika dalam satu hari kerja belum ada laporan baru untuk berkas ini, hubungi "
        "tim data dan sebutkan nama berkas serta kode sidik berkas (SHA-256) di lembar 'Ringkasan'.",
        "Gangguan sistem",
    ),
    # --- review padanan
    FileReason(
        "review_missing_columns",
        "Berkas review ini tidak memiliki kolom yang diperlukan: {kolom}. Tanpa kolom itu keputusan tidak dapat "
        "dibaca.",
        "Gunakan berkas review_padanan dari folder outbox kabupaten/kota Anda apa adanya: jangan menghapus, "
        "memindahkan ke lembar lain atau mengganti judul kolom id_dtks, id_individu_p3ke dan keputusan. Isi kolom "
        "keputusan, simpan sebagai Excel Workbook (.xlsx), lalu letakkan di folder " + _REVIEW_FOLDER + ".",
        "Kolom review tidak ada",
    ),
    FileReason(
        "review_no_decisions",
        "Kolom keputusan belum diisi pada baris mana pun, sehingga tidak ada keputusan yang dicatat.",
        "Isi kolom keputusan dengan SAMA atau BEDA untuk pasangan yang sudah Anda periksa (sel kosong berarti "
        "belum diputuskan), simpan, lalu letakkan lagi berkasnya di folder " + _REVIEW_FOLDER + ".",
        "Belum ada keputusan",
    ),
    FileReason(
        "review_no_usable_decisions",
        "Tidak ada keputusan yang dapat dipakai: semua baris yang berisi keputusan bermasalah ({ditolak} baris).",
        "Lihat lembar 'Masalah' untuk nomor baris, masalah dan cara memperbaikinya. Perbaiki berkas, lalu letakkan "
        "lagi di folder " + _REVIEW_FOLDER + ".",
        "Tidak ada keputusan yang dapat dipakai",
    ),
)

FILE_REASONS: dict[str, FileReason] = {reason.code: reason for reason in _FILE_REASONS}

# --------------------------------------------------------------------------------------------- statuses

_SALIN_PERBAIKAN = (
    "Baris yang ditolak ada di lembar 'Baris Ditolak', dengan kolom 'Masalah' yang menjelaskan kesalahannya "
    "dan kolom 'Baris Asal' yang menunjukkan nomor barisnya di berkas Anda. Perbaiki baris-baris itu, lalu "
    "salin ke berkas asli Anda (menggantikan baris lama) atau ke template bersama SEMUA baris lain, dan "
    "letakkan berkas lengkap itu di folder inbox yang sama dengan periode yang sama. Penting: berkas baru "
    "menggantikan seluruh data lama wilayah yang dicakupnya (seluruh kabupaten/kota, atau kecamatan/desa "
    "yang ada di berkas; untuk data intervensi: per program dan tahap), jadi kirim data lengkap wilayah itu, "
    "bukan hanya baris yang diperbaiki."
)

STATUS: dict[str, Status] = {
    "accepted": Status(
        "accepted", "DITERIMA",
        "Semua baris diterima dan sudah masuk ke Satu Data. Baris dengan peringatan (lihat lembar 'Masalah') "
        "tetap dipakai; mohon perbaiki pada kiriman periode berikutnya.",
        "#1E7B34",
    ),
    "partial": Status(
        "partial", "DITERIMA SEBAGIAN",
        "Baris yang benar sudah diterima dan masuk ke Satu Data; baris dengan galat ditolak. " + _SALIN_PERBAIKAN,
        "#C65911",
    ),
    "rejected": Status(
        "rejected", "DITOLAK",
        "Berkas ini tidak dipakai sama sekali. Baca alasan dan cara memperbaikinya di atas, perbaiki berkas, "
        "lalu letakkan berkas yang sudah diperbaiki di folder inbox yang sama. Data periode ini yang sudah "
        "diterima sebelumnya (jika ada) tetap dipakai.",
        "#C00000",
    ),
    "duplicate": Status(
        "duplicate", "DUPLIKAT (sudah pernah diterima)",
        "Berkas dengan isi yang sama sudah pernah diterima dan diproses; berkas ini diabaikan. Tidak ada yang "
        "perlu dilakukan, kecuali Anda sebenarnya ingin mengirim berkas yang sudah diperbaiki.",
        "#595959",
    ),
}
STATUS_LABELS = {code: status.label for code, status in STATUS.items()}
NEXT_STEPS = {code: status.langkah for code, status in STATUS.items()}


def status_info(status: str) -> Status:
    """The status of a finished submission; an unfinished one (received/processing) reads as 'DIPROSES'."""
    return STATUS.get(status) or Status(
        status, "SEDANG DIPROSES",
        "Berkas sedang diproses. Laporan lengkap akan muncul di folder outbox setelah pemeriksaan selesai.",
        "#595959",
    )


# --------------------------------------------------------------------------------------------- formatting

_DEFAULTS = {
    "kolom": "(lihat daftar kolom di template)",
    "jenis_berkas": "jenis berkas yang tidak dikenal",
    "batas": "yang ditetapkan",
    "tanggal": "sebelumnya",
    "berkas": "berkas sebelumnya",
    "porsi": "sebagian besar",
    "ditolak": "banyak",
    "total": "seluruh baris",
    "rincian": "",
    "nama_kab_isi": "kabupaten/kota lain",
    "kode_kab_isi": "lain",
    "kode_kab_folder": "folder ini",
    "baris_kode_bps": "sebagian besar",
    "baris_berkode": "seluruh",
    "folder": "-",
    "berkas_baru": "",
}


class _Values(dict):
    def __missing__(self, key: str) -> str:
        return _DEFAULTS.get(key, "-")


def _value_text(key: str, value: object) -> str:
    if value is None or value == "" or (isinstance(value, (list, tuple, set, frozenset)) and not value):
        return _DEFAULTS.get(key, "-")
    if key in ("kolom", "columns") and isinstance(value, (list, tuple, set, frozenset)):
        return labels(sorted(value) if isinstance(value, (set, frozenset)) else value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(v) for v in value) or "-"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}".replace(",", ".")
    return str(value)


def _decimal_comma(text: str) -> str:
    """'24.7%' -> '24,7%' (Indonesian decimal comma) for percentages written by Python."""
    return re.sub(r"^(\d+)\.(\d+)%$", r"\1,\2%", text)


def _prepare(code: str, values: Mapping[str, object]) -> _Values:
    prepared = _Values({k: _value_text(k, v) for k, v in values.items()})
    for key in ("batas", "porsi"):
        if key in prepared:
            prepared[key] = _decimal_comma(prepared[key])
    if code == "too_many_bad_rows":
        if values.get("ditolak") is not None and values.get("total"):
            porsi = f"{prepared['porsi']} baris" if values.get("porsi") else "baris"
            prepared["rincian"] = f"{porsi} ditolak ({prepared['ditolak']} dari {prepared['total']})"
        else:
            prepared["rincian"] = "banyak baris ditolak"
    if code == "bps_coding" and values.get("baris_kode_bps") is not None and values.get("baris_berkode"):
        prepared["rincian"] = (f" ({prepared['baris_kode_bps']} dari {prepared['baris_berkode']} baris yang "
                               "berisi kode desa)")
    if code == "wrong_regency" and values.get("nama_kab_isi"):
        prepared["nama_kab_isi"] = f"Kabupaten/Kota {values['nama_kab_isi']}"
    if code == "superseded" and values.get("berkas_baru"):
        prepared["berkas_baru"] = f": {values['berkas_baru']}"
    return prepared


def _fill(template: str, code: str, values: Mapping[str, object]) -> str:
    if "{" not in template:
        return template
    return string.Formatter().vformat(template, (), _prepare(code, values))


def _entry(code: str) -> Rule | FileReason | None:
    return RULES.get(code) or FILE_REASONS.get(code)


def format_message(code: str, **values: object) -> str:
    """The message (pesan) of a row rule or file reason, with its placeholders filled.

    An unknown code still gives a polite text (and the code, for the data team) rather than an error.
    """
    entry = _entry(code)
    if entry is None:
        return f"Masalah pada data (kode: {code}). Hubungi tim data untuk penjelasan."
    return _fill(entry.pesan, code, values)


def format_fix(code: str, **values: object) -> str:
    """How to fix it (perbaikan) for a row rule or file reason."""
    entry = _entry(code)
    if entry is None:
        return "Hubungi tim data dan sebutkan kode masalah ini."
    return _fill(entry.perbaikan, code, values)


def rule_label(code: str) -> str:
    entry = _entry(code)
    return (entry.judul or entry.pesan) if entry is not None else code


def tingkat_of(code: str) -> str:
    """The tingkat of a row rule; codes not in the catalogue count as galat (safe side)."""
    rule = RULES.get(code)
    return rule.tingkat if rule is not None else GALAT


__all__ = [
    "COLUMN_HELP", "COLUMN_LABELS", "FILE_REASONS", "GALAT", "JENIS_LABELS", "NEXT_STEPS", "PERINGATAN", "RULES",
    "STATUS", "STATUS_LABELS", "TINGKAT_LABELS", "TINGKAT_MEANING", "FileReason", "Rule", "Status",
    "column_label", "format_fix", "format_message", "labels", "rule_label", "status_info", "tingkat_of",
]
