"""Header recognition: which column of a regency's file is which canonical column.

Everything a maintainer may need to extend lives in `ALIASES` (canonical column -> the header texts seen
for it). Header text and aliases go through the same normaliser (`header_key`), so an alias is written
once, as people write it ("No. Induk Kependudukan"), and covers its case/space/underscore/punctuation
variants. Abbreviations are expanded token by token (`TOKEN_SYNONYMS`: "tgl" -> "tanggal", "kd" -> "kode",
"lhr" -> "lahir" ...) and filler words dropped (`STOP_WORDS`: "no", "nomor", "nmr" ...), so unseen
combinations such as "TGL_LHR_ART" or "Kd. Desa" resolve without a new alias.

Decisions worth knowing:
  * "NIK KK" / "NIK_KK" means the NIK of the *kepala keluarga* (KK read as Kepala Keluarga, as in
    "Nama KK"), so it maps to `nik_kepala_keluarga`, never to `no_kk`. A bare "KK" / "No KK" is the
    family-card number (`no_kk`).
  * Region columns holding *names* ("Provinsi", "Kabupaten", "Kecamatan", "Desa/Kelurahan") map to
    `nama_provinsi` ... `nama_desa`; only headers that say "kode" map to codes. BPS codes map to
    `kode_desa_bps` so the caller can tell BPS coding from Kemendagri coding.
  * Fuzzy matching (difflib) is a fallback for typos only: it applies to headers with no exact match,
    needs ratio >= 0.85 with every aligned word similar, and never takes a canonical column another
    header already has.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

# canonical column -> header variants (any case/spacing/punctuation). Keep entries human-readable.
ALIASES: dict[str, list[str]] = {
    "nik": [
        "NIK", "No NIK", "Nomor NIK", "NIK ART", "NIK Anggota", "NIK Anggota Keluarga", "NIK Anggota Rumah Tangga",
        "No. Induk Kependudukan", "Nomor Induk Kependudukan", "NIK KTP", "NIK Penerima", "NIK KPM", "NIK Individu",
        "NIK Peserta", "NIK Penduduk", "NIK Jiwa", "NIK Penerima Manfaat", "NIK Sesuai KTP", "NIK Warga",
        "National ID", "NIK Anak",
    ],
    "no_kk": [
        "No KK", "NOKK", "Nomor KK", "Nomor Kartu Keluarga", "No. Kartu Keluarga", "KK", "Kartu Keluarga", "NKK",
        "No KK Penerima", "No KK KPM", "Nomor KK KPM", "No KK ART", "No KK Keluarga", "Nomor KK Keluarga",
        "NO_KK", "NOMORKK", "Family Card Number",
    ],
    "nama": [
        "Nama", "Nama Lengkap", "NAMA_ART", "Nama ART", "Nama Anggota", "Nama Anggota Keluarga",
        "Nama Anggota Rumah Tangga", "Nama Penerima", "Nama KPM", "Nama Penerima Manfaat", "Nama Individu",
        "Nama Peserta", "Nama Penduduk", "Nama Sesuai KTP", "Nama Jiwa", "Nama Warga", "Name", "Full Name",
        "Nama Lengkap ART", "Nama Penerima Bantuan",
    ],
    "nik_kepala_keluarga": [
        "NIK Kepala Keluarga", "NIK KRT", "NIK KK", "NIK Kepala Rumah Tangga", "NIK Kepala", "NIK Kep Kel",
        "NIK Kepala Kel",
    ],
    "nama_kepala_keluarga": [
        "Nama Kepala Keluarga", "Nama KRT", "NAMA_KK", "Nama KK", "Kepala Keluarga", "Nama Kepala Rumah Tangga",
        "Kepala Rumah Tangga", "KRT", "Nama Kep Kel", "Nama Kepala",
    ],
    "jenis_kelamin": [
        "JNS_KEL", "Jenis Kelamin", "JK", "L/P", "Sex", "Gender", "Kelamin", "Jenis Kelamin ART", "JNSKEL",
        "Jenis Kel", "JKEL",
    ],
    "jenis_kelamin_kepala_keluarga": [
        "Jenis Kelamin Kepala Keluarga", "Jenis Kelamin KRT", "JK KRT", "Jenis Kelamin KK", "JNS_KEL_KRT",
        "JK Kepala Keluarga", "Jenis Kelamin Kepala Rumah Tangga", "JK KK", "JNS_KEL_KK", "L/P KRT",
    ],
    "tanggal_lahir": [
        "TGL_LHR", "Tanggal Lahir", "Tgl Lahir", "TGL LAHIR", "Tgl. Lahir", "Tanggal Lahir ART", "TGLLAHIR",
        "TGLLHR", "Date of Birth", "Birth Date", "DOB", "Tanggal Kelahiran",
    ],
    "tempat_lahir": [
        "TMPT_LHR", "Tempat Lahir", "Tmp Lahir", "Tpt Lahir", "Place of Birth", "Kota Lahir", "Tempat Kelahiran",
        "TMPTLHR", "TEMPATLAHIR",
    ],
    "kode_desa": [
        "Kode Desa", "KDDESA", "KD_DESA", "Kode Wilayah", "Kode Kelurahan", "KODE_DESA_KEMENDAGRI",
        "Kode Desa/Kel", "Kode Desa/Kelurahan", "Kode Kelurahan/Desa", "Kode Kel/Desa", "Kode Desa Kemendagri",
        "Kode Wilayah Desa", "Kode Wilayah Kemendagri", "Kode Kemendagri", "Kode Desa Dagri", "ID Desa", "IDDESA",
        "KDKEL", "KDDESAKEL", "Kode Desa Kel", "Village Code", "Kode Wil", "KODEWIL", "Kode Wilayah Administrasi",
    ],
    "kode_desa_bps": [
        "KODE BPS", "kode_desa_bps", "KDBPS", "Kode Desa BPS", "Kode Wilayah BPS", "ID BPS", "Kode BPS Desa",
        "IDBPS", "Kode Desa (BPS)", "Kode Kelurahan BPS", "KDDESA_BPS",
    ],
    "alamat": [
        "Alamat", "Alamat Lengkap", "Alamat Rumah", "Alamat KK", "Alamat Domisili", "Alamat Tempat Tinggal",
        "Address", "Alamat Tinggal", "Alamat Sesuai KTP", "Alamat KTP", "Alamat Keluarga", "ALAMAT_KRT",
    ],
    "hubungan_keluarga": [
        "HUB_KEL", "Hubungan Keluarga", "SHDK", "Hubungan dengan KK", "Hubungan Dengan Kepala Keluarga",
        "Status Hubungan Dalam Keluarga", "Hub KRT", "Hubungan dengan KRT", "Hubungan", "Status dalam Keluarga",
        "Hubungan Dengan Kepala Rumah Tangga", "Status Hubungan", "Hubungan Dalam Keluarga", "HUBKEL", "HUB_KRT",
        "Status Hubungan Keluarga", "Hub. Keluarga",
    ],
    "desil": [
        "Desil", "Desil Kesejahteraan", "Peringkat Desil", "Kategori Desil", "Desil P3KE",
        "Kelompok Desil", "Status Desil", "Peringkat Kesejahteraan", "Desil Keluarga",
    ],
    # DTSEN ranks a family three ways. In a P3KE file "Desil Nasional" is its desil, in a DTSEN file a bare
    # "Desil" is the national one (schema.FamilyRegistry.folds).
    "desil_nasional": [
        "Desil Nasional", "DESIL_NASIONAL", "Desil DTSEN", "Desil Nasional DTSEN", "Peringkat Desil Nasional",
        "Desil Nas", "Desil Kesejahteraan Nasional",
    ],
    "desil_provinsi": ["Desil Provinsi", "DESIL_PROVINSI", "Desil Prov", "Peringkat Desil Provinsi", "Desil Propinsi"],
    "desil_kabupaten_kota": [
        "Desil Kabupaten/Kota", "DESIL_KABUPATEN_KOTA", "Desil Kabupaten", "Desil Kab/Kota", "Desil Kota", "Desil Kab",
        "Desil Kabkota", "Peringkat Desil Kabupaten/Kota",
    ],
    "id_keluarga_dtsen": [
        "ID Keluarga DTSEN", "IDKELUARGADTSEN", "ID_KELUARGA_DTSEN", "ID KK DTSEN", "ID DTSEN", "ID Keluarga (DTSEN)",
        "ID Rumah Tangga DTSEN", "ID Kel DTSEN", "ID Keluarga SE",
    ],
    "id_individu_dtsen": [
        "ID Individu DTSEN", "ID_INDIVIDU_DTSEN", "IDINDIVIDUDTSEN", "ID ART DTSEN", "ID Anggota DTSEN",
        "ID Anggota Keluarga DTSEN",
    ],
    "id_dtks": ["IDDTKS", "ID DTKS", "ID_DTKS", "ID Individu DTKS", "ID ART DTKS", "IDARTBDT", "ID BDT", "ID DTKS ART"],
    "id_keluarga_p3ke": [
        "ID Keluarga P3KE", "ID Keluarga", "IDKELUARGA", "ID_KELUARGA", "ID KK P3KE", "ID Keluarga (P3KE)",
        "ID Rumah Tangga P3KE", "IDKELUARGAP3KE", "ID Kel P3KE", "Kode Keluarga P3KE", "ID P3KE",
    ],
    "id_individu_p3ke": [
        "ID Individu", "ID ART", "ID Anggota", "ID Individu P3KE", "ID Anggota Keluarga", "IDINDIVIDU", "IDART",
        "ID_ART", "ID Anggota P3KE", "ID ART P3KE",
    ],
    "kode_program": [
        "Kode Program", "Program", "Jenis Bantuan", "Nama Program", "Program Bantuan", "Jenis Program",
        "Nama Bantuan", "Bantuan", "Kode Bantuan", "Jenis Intervensi", "Program Intervensi", "Intervensi",
        "Nama Program Bantuan", "Jenis Program Bantuan", "Program Sasaran", "Program Bantuan Terkait",
        "Program Penerima", "Kode Program Bantuan",
    ],
    "nilai_bantuan": [
        "Nilai Bantuan", "Nominal", "Jumlah Bantuan", "Nominal Bantuan", "Besaran Bantuan", "Nilai", "Jumlah Uang",
        "Besar Bantuan", "Nilai (Rp)", "Nilai Bantuan (Rp)", "Jumlah (Rp)", "Rupiah", "Nilai Manfaat",
        "Jumlah Diterima", "Nominal (Rp)", "Besaran",
    ],
    "tahap": ["Tahap", "Tahap Penyaluran", "Tahap Bantuan", "Tahap Salur", "Termin", "Gelombang", "Tahap Ke"],
    "tanggal_salur": [
        "Tanggal Salur", "Tgl Penyaluran", "Tanggal Penyaluran", "Tgl Salur", "Tanggal Pencairan", "Tgl Cair",
        "Tanggal Terima", "Tanggal Distribusi", "Tanggal Penerimaan", "Tgl Terima", "Tanggal Cair",
        "Tanggal Realisasi",
    ],
    # APBD poverty budget (SIPD). In a budget file `kode_program` is the social programme a sub-activity funds
    # (RTLH, BLT_DD ...); a "Kode Program" column holding nomenclature codes (1.06.04) is kode_program_apbd
    # (told apart by its values in intake.read).
    "tahun_anggaran": ["Tahun Anggaran", "TAHUN_ANGGARAN", "TA", "Tahun APBD", "Thn Anggaran", "Tahun"],
    "kode_skpd": [
        "Kode SKPD", "KODE_SKPD", "Kode OPD", "Kode Perangkat Daerah", "Kode Unit", "Kode Unit SKPD", "Kode PD",
    ],
    "nama_skpd": [
        "Nama SKPD", "NAMA_SKPD", "SKPD", "OPD", "Nama OPD", "Perangkat Daerah", "Nama Perangkat Daerah",
        "Unit SKPD", "Nama Unit", "PD Pengampu", "OPD Pengampu", "Dinas",
    ],
    "kode_program_apbd": ["Kode Program APBD", "Kode Program SIPD", "KODE_PROGRAM_APBD", "Kode Prog"],
    "kode_giat": ["Kode Kegiatan", "KODE_GIAT", "Kode Giat", "Kd Kegiatan"],
    "kode_sub_giat": [
        "Kode Sub Kegiatan", "KODE_SUB_GIAT", "Kode Sub Giat", "Kode Subkegiatan", "Kode Sub-Kegiatan",
        "Kd Sub Kegiatan", "Kode Sub Kegiatan SIPD",
    ],
    "nama_sub_giat": [
        "Nama Sub Kegiatan", "NAMA_SUB_GIAT", "Sub Kegiatan", "Nama Sub Giat", "Uraian Sub Kegiatan", "Subkegiatan",
        "Nama Subkegiatan", "Sub-Kegiatan", "Uraian Sub Giat",
    ],
    "nama_dana": ["Sumber Dana", "NAMA_DANA", "Nama Dana", "Dana", "Sumber Pendanaan"],
    "pagu": [
        "Pagu", "Pagu Anggaran", "Pagu (Rp)", "Nilai Pagu", "Pagu Sub Kegiatan", "Alokasi", "Alokasi Anggaran",
        "Anggaran", "Anggaran (Rp)", "Pagu Indikatif", "Jumlah Anggaran", "Nilai Anggaran", "PAGU_GIAT",
        "Pagu Murni", "Pagu Perubahan",
    ],
    "bulan": ["Bulan", "Bulan Realisasi", "BULAN", "Bulan Ke"],
    "realisasi_anggaran": [
        "Realisasi", "Realisasi Anggaran", "REALISASI_ANGGARAN", "Realisasi Keuangan", "Realisasi (Rp)",
        "Realisasi Keuangan (Rp)", "Nilai Realisasi", "Realisasi Belanja", "Serapan", "Serapan Anggaran",
    ],
    "realisasi_fisik": [
        "Realisasi Fisik", "REALISASI_FISIK", "Fisik (%)", "Realisasi Fisik (%)", "Progres Fisik", "Capaian Fisik",
    ],
    "kelompok_teks": ["KELOMPOK_TEKS", "Kelompok Teks", "Label Kemiskinan", "Tagging Kemiskinan", "Label PKE",
                      "Kelompok Label", "Label Kemiskinan Ekstrem"],
    "strategi_teks": ["STRATEGI_TEKS", "Strategi Teks", "Strategi", "Strategi PKE", "Strategi Penanggulangan",
                      "Strategi Penghapusan Kemiskinan Ekstrem", "Strategi Inpres"],
    "status_kawin": [
        "Status Kawin", "STA_KAWIN", "Status Perkawinan", "Status Pernikahan", "Kawin", "Marital Status",
        "STS KAWIN", "STAKAWIN", "Status Nikah", "Perkawinan",
    ],
    "pekerjaan": [
        "Pekerjaan", "Pekerjaan Utama", "Jenis Pekerjaan", "Occupation", "Pekerjaan ART", "Mata Pencaharian",
        "Pekerjaan Pokok", "Status Pekerjaan", "Lapangan Pekerjaan",
    ],
    "disabilitas": [
        "Disabilitas", "Penyandang Disabilitas", "Jenis Disabilitas", "Status Disabilitas", "Difabel",
        "Penyandang Cacat", "Kecacatan", "Jenis Cacat", "Cacat", "Disabilitas (Ya/Tidak)", "Disability",
        "Ket Disabilitas", "Keterangan Disabilitas", "KET_DISABILITAS",
    ],
    "jumlah_anggota": [
        "Jumlah ART", "Jml Anggota Keluarga", "Jumlah Anggota", "Jumlah Anggota Keluarga",
        "Jumlah Anggota Rumah Tangga", "Jumlah Jiwa", "Jml ART", "JML_ART", "Banyak ART", "JMLART", "Jumlah Individu",
        "Jumlah Anggota KK",
    ],
    # Region names (not codes): staged as extra columns by the lead.
    "nama_provinsi": ["Provinsi", "Nama Provinsi", "Prov", "Propinsi", "Province"],
    "nama_kabupaten": [
        "Kabupaten", "Kabupaten/Kota", "Kab/Kota", "Nama Kabupaten", "Nama Kabupaten/Kota", "Kota", "Kab",
        "Nama Kab/Kota", "Regency",
    ],
    "nama_kecamatan": ["Kecamatan", "Nama Kecamatan", "Kec", "District", "Nama Kec"],
    "nama_desa": [
        "Desa", "Kelurahan", "Desa/Kelurahan", "Desa/Kel", "Kelurahan/Desa", "Nama Desa", "Nama Kelurahan",
        "Nama Desa/Kelurahan", "Kel/Desa", "Desa Kelurahan", "Village", "Nama Desa/Kel",
    ],
    # Region codes above desa level (normalised like kode_desa).
    "kode_provinsi": ["Kode Provinsi", "KD_PROV", "KDPROV", "KD_PROP", "KDPROP", "Kode Prov", "Kode Propinsi"],
    "kode_kabupaten": [
        "Kode Kabupaten", "KD_KAB", "KDKAB", "Kode Kabupaten/Kota", "Kode Kab", "Kode Kab/Kota", "KDKABKOTA",
    ],
    "kode_kecamatan": ["Kode Kecamatan", "KD_KEC", "KDKEC", "Kode Kec"],
}  # fmt: skip

CANONICAL_COLUMNS: tuple[str, ...] = tuple(ALIASES)

# Filler words dropped from headers before matching ("No. KK" -> "kk", "Nomor Induk ..." -> "induk ...").
STOP_WORDS = frozenset({"no", "nomor", "nmr", "nomer", "nomr", "nr", "num", "number"})
# Abbreviations expanded word by word. Only unambiguous ones ("kel" could be kelamin/keluarga/kelurahan).
TOKEN_SYNONYMS = {
    "kd": "kode", "kod": "kode", "code": "kode",
    "tgl": "tanggal", "tggl": "tanggal", "tangal": "tanggal", "tanggl": "tanggal", "date": "tanggal",
    "tmp": "tempat", "tmpt": "tempat", "tpt": "tempat", "tmpat": "tempat", "place": "tempat",
    "lhr": "lahir", "lahr": "lahir", "birth": "lahir",
    "jns": "jenis", "jenis": "jenis",
    "jml": "jumlah", "jmlh": "jumlah", "jum": "jumlah", "juml": "jumlah",
    "hub": "hubungan", "hubung": "hubungan",
    "nm": "nama", "nma": "nama",
    "sts": "status", "stat": "status", "sta": "status", "stts": "status",
    "kwn": "kawin", "kaw": "kawin",
    "prop": "provinsi", "propinsi": "provinsi", "prv": "provinsi",
    "kab": "kab", "kec": "kec", "kecamtan": "kecamatan",
    "almt": "alamat", "alm": "alamat",
    "pkrjn": "pekerjaan", "pekerjan": "pekerjaan",
    "indv": "individu", "ind": "individu",
    "angg": "anggota", "agt": "anggota",
    "kpl": "kepala", "kep": "kepala",
}  # fmt: skip

_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_ENUMERATOR = re.compile(r"^\s*(?:\(\s*[0-9]{1,2}\s*\)|[0-9]{1,2}\s*[.)])\s*(?=\S)")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=65536)
def header_key(text: object, *, keep_parens: bool = False) -> str:
    """Normalised header: ASCII lower-case words, abbreviations expanded, filler words dropped.

    A header made of filler words only ("No", "Nomor") keeps them: it names a row-number column.
    Total (never raises) and idempotent: `header_key(header_key(x)) == header_key(x)`.
    """
    if text is None:
        return ""
    value = text if isinstance(text, str) else str(text)
    value = _ENUMERATOR.sub("", value)  # "1. NIK", "(2) Nama", "3) Alamat"
    if not keep_parens:
        value = _PARENS.sub(" ", value)
    value = unicodedata.normalize("NFKD", value)
    value = "".join(ch for ch in value if not unicodedata.combining(ch)).lower()
    value = value.encode("ascii", "ignore").decode("ascii")
    # camelCase / digits glued to words are rare in headers; split only on non-alphanumerics.
    words = [TOKEN_SYNONYMS.get(w, w) for w in _NON_ALNUM.split(value) if w]
    kept = [w for w in words if w not in STOP_WORDS]
    return " ".join(kept or words)


def compact_key(text: object) -> str:
    return header_key(text).replace(" ", "")


def cell_text(value: object) -> str:
    """A header/title cell as display text."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


@dataclass
class HeaderMatch:
    """One candidate header: positions -> canonical, plus the texts that did not map."""

    row: int  # 0-based index into the rows examined (the lower row of a two-row header)
    first_row: int  # 0-based index of the upper row (== row for one-row headers)
    columns: dict[int, str] = field(default_factory=dict)  # column position -> canonical
    texts: dict[int, str] = field(default_factory=dict)  # column position -> original header text
    unmapped: list[str] = field(default_factory=list)
    # canonical -> further positions naming it exactly, after the leftmost one that took it
    repeated: dict[str, list[int]] = field(default_factory=dict)

    @property
    def score(self) -> int:
        return len(self.columns)

    @property
    def canonicals(self) -> set[str]:
        return set(self.columns.values())

    def position(self, canonical: str) -> int | None:
        return next((p for p, c in self.columns.items() if c == canonical), None)


class Vocabulary:
    """The header texts of one kind of table: canonical column -> the variants people write.

    The regency files' vocabulary is `REGISTRY` (`ALIASES`); review answers and person lists have their own,
    and all of them are found by the one `find_header`. Aliases go through `header_key`, so each is written
    once, as people write it.
    """

    def __init__(self, aliases: Mapping[str, Sequence[str]]):
        self.aliases = {canonical: list(variants) for canonical, variants in aliases.items()}
        index: dict[str, str] = {}
        for canonical, variants in self.aliases.items():
            for variant in (canonical, *variants):
                key = header_key(variant, keep_parens=True).replace(" ", "")
                if not key:
                    continue
                other = index.get(key)
                if other is not None and other != canonical:
                    raise ValueError(f"alias {variant!r} of {canonical} collides with {other} (key {key!r})")
                index[key] = canonical
        self.index = index
        self._fuzzy_keys = [
            (k, c, k.split())
            for k, c in sorted({(header_key(v, keep_parens=True), c)
                                for c, vs in self.aliases.items() for v in (c, *vs)})
            if len(k) >= 5
        ]

    @property
    def canonical_columns(self) -> tuple[str, ...]:
        return tuple(self.aliases)

    def exact(self, text: object) -> str | None:
        """The canonical column a header names exactly (after normalisation), or None.

        The text with its parenthetical is tried first ("Kode Desa (BPS)"), then without ("NIK (16 digit)").
        """
        if text is None:
            return None
        with_parens = header_key(text, keep_parens=True).replace(" ", "")
        hit = self.index.get(with_parens) if with_parens else None
        if hit is None:
            key = compact_key(text)
            if key and key != with_parens:
                hit = self.index.get(key)
        return hit

    def fuzzy(self, text: object, exclude: set[str] | frozenset[str] = frozenset()) -> str | None:
        """Best alias within difflib ratio 0.85 (typos like "Tangal Lahir"), or None when unsure."""
        key = header_key(text)
        if len(key) < 5 or len(key) > 60:
            return None
        words = key.split()
        best: tuple[float, str | None] = (0.0, None)
        runner_up = 0.0
        matcher = difflib.SequenceMatcher(None, "", key, autojunk=False)
        for alias_key, canonical, alias_words in self._fuzzy_keys:
            if canonical in exclude:
                continue
            matcher.set_seq1(alias_key)
            if matcher.real_quick_ratio() < 0.85 or matcher.quick_ratio() < 0.85:
                continue
            ratio = matcher.ratio()
            if ratio < 0.85:
                continue
            if len(alias_words) == len(words):
                if any(difflib.SequenceMatcher(None, a, b).ratio() < 0.6 for a, b in zip(alias_words, words)):
                    continue
            elif difflib.SequenceMatcher(None, alias_key.replace(" ", ""), key.replace(" ", "")).ratio() < 0.9:
                continue
            if ratio > best[0]:
                if best[1] is not None and best[1] != canonical:
                    runner_up = max(runner_up, best[0])
                best = (ratio, canonical)
            elif canonical != best[1]:
                runner_up = max(runner_up, ratio)
        if best[1] is None or best[0] - runner_up < 0.02:
            return None
        return best[1]

    def map_header(self, cells: Sequence[object], *, fuzzy: bool = True) -> HeaderMatch:
        """Map one header row. Exact matches first (leftmost wins a canonical), then fuzzy for the rest."""
        match = HeaderMatch(row=-1, first_row=-1)
        used: set[str] = set()
        pending: list[int] = []
        unmapped: list[int] = []
        for pos, raw in enumerate(cells):
            text = cell_text(raw)
            if not text:
                continue
            match.texts[pos] = text
            canonical = self.exact(text)
            if canonical is None:
                pending.append(pos)
            elif canonical in used:
                unmapped.append(pos)
                match.repeated.setdefault(canonical, []).append(pos)
            else:
                used.add(canonical)
                match.columns[pos] = canonical
        for pos in pending:
            canonical = self.fuzzy(match.texts[pos], exclude=used) if fuzzy else None
            if canonical is None:
                unmapped.append(pos)
            else:
                used.add(canonical)
                match.columns[pos] = canonical
        match.columns = dict(sorted(match.columns.items()))
        match.unmapped = [match.texts[p] for p in sorted(unmapped)]
        return match

    def combine_rows(self, upper: Sequence[object], lower: Sequence[object]) -> list[str]:
        """Cell-by-cell header of a two-row header.

        A group title carries to the right over the cells it spans (merged or not) and is tried together with
        each name under it: "NIK" under "Kepala Keluarga" is "NIK Kepala Keluarga"; "Tempat" / "Tanggal" under
        "Tempat/Tanggal Lahir" are "Tempat Lahir" / "Tanggal Lahir". Otherwise the lower name wins when it is
        known, the upper one when only it is known.
        """
        out: list[str] = []
        group = ""
        for c in range(max(len(upper), len(lower))):
            lo = cell_text(lower[c]) if c < len(lower) else ""
            up = cell_text(upper[c]) if c < len(upper) else ""
            if up:
                group = up
            choice = None
            if lo and group and group != lo:
                last = header_key(group).rsplit(" ", 1)[-1]
                for candidate in (f"{lo} {group}", f"{group} {lo}", f"{lo} {last}"):
                    if self.exact(candidate) is not None:
                        choice = candidate
                        break
            if choice is None:
                if lo and (self.exact(lo) is not None or not up or self.exact(up) is None):
                    choice = lo
                else:
                    choice = up or lo
            out.append(choice)
        return out

    def find_header(self, rows: Sequence[Sequence[object]], search_rows: int = 30, *,
                    required: Sequence[str] = (), min_score: int = 2) -> HeaderMatch | None:
        """Best header among the first `search_rows` rows.

        Score = distinct canonical columns named exactly; a row qualifies with at least `min_score` of them,
        every `required` one among them. The best qualifying row wins, the earliest on a tie. A two-row
        header (a group title row above the names, or names split over two rows) is considered as the pair
        (r, r+1) combined cell by cell (`combine_rows`); it wins only when it names strictly more columns than
        either row alone and the lower row does not look like data (long digit runs, dates). The winner is
        mapped again with fuzzy matching to place typos too.
        """
        limit = min(len(rows), search_rows)
        needed = set(required)

        def qualifies(m: HeaderMatch) -> bool:
            return m.score >= min_score and needed <= m.canonicals

        texts = [[cell_text(c) for c in row] for row in rows[:limit]]
        best: HeaderMatch | None = None
        singles: list[HeaderMatch] = []
        for r in range(limit):
            m = self.map_header(texts[r], fuzzy=False)
            m.row = m.first_row = r
            singles.append(m)
            if qualifies(m) and (best is None or m.score > best.score):
                best = m
        for r in range(limit - 1):
            upper, lower = texts[r], texts[r + 1]
            if not any(upper) or not any(lower) or _looks_like_data(lower):
                continue
            m = self.map_header(self.combine_rows(upper, lower), fuzzy=False)
            m.row, m.first_row = r + 1, r
            if qualifies(m) and m.score > max(singles[r].score, singles[r + 1].score) and (
                best is None or m.score > best.score
            ):
                best = m
        if best is None:
            return None
        if best.first_row == best.row:
            cells = texts[best.row]
        else:
            cells = self.combine_rows(texts[best.first_row], texts[best.row])
        full = self.map_header(cells, fuzzy=True)
        full.row, full.first_row = best.row, best.first_row
        return full

    def best_effort(self, rows: Sequence[Sequence[object]], search_rows: int = 30) -> HeaderMatch:
        """The row naming the most known columns (none required), for messages about a header not found."""
        found = self.find_header(rows, search_rows, min_score=1)
        return found if found is not None else HeaderMatch(row=-1, first_row=-1)


def title_lines(rows: Sequence[Sequence[object]], upto: int) -> list[str]:
    """The non-empty rows above a header (row index `upto`), each as one line of text: where a period
    ("Periode: November 2026") or a region is written."""
    lines = []
    for row in rows[:upto]:
        parts = [text for text in (cell_text(c) for c in row) if text]
        if parts:
            lines.append(" ".join(parts))
    return lines


_DATA_LIKE = re.compile(r"[0-9]{5,}|^[0-9]{1,4}[-/.][0-9]{1,2}[-/.][0-9]{2,4}$")


def _looks_like_data(cells: Sequence[str]) -> bool:
    return any(_DATA_LIKE.search(c) for c in cells if c)


REGISTRY = Vocabulary(ALIASES)  # the regency files' columns
ALIAS_INDEX: dict[str, str] = REGISTRY.index


def exact_canonical(text: object) -> str | None:
    return REGISTRY.exact(text)


def fuzzy_canonical(text: object, exclude: set[str] | frozenset[str] = frozenset()) -> str | None:
    return REGISTRY.fuzzy(text, exclude)


def map_header(cells: Sequence[object], *, fuzzy: bool = True) -> HeaderMatch:
    return REGISTRY.map_header(cells, fuzzy=fuzzy)


def combine_rows(upper: Sequence[object], lower: Sequence[object]) -> list[str]:
    return REGISTRY.combine_rows(upper, lower)


def find_header(rows: Sequence[Sequence[object]], search_rows: int = 30) -> HeaderMatch | None:
    """The regency files' header (`Vocabulary.find_header` with `REGISTRY`)."""
    return REGISTRY.find_header(rows, search_rows)


__all__ = ["ALIASES", "ALIAS_INDEX", "CANONICAL_COLUMNS", "REGISTRY", "STOP_WORDS", "TOKEN_SYNONYMS", "HeaderMatch",
           "Vocabulary", "cell_text", "combine_rows", "compact_key", "exact_canonical", "find_header",
           "fuzzy_canonical", "header_key", "map_header", "title_lines"]
