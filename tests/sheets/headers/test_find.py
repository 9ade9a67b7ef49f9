"""One header finder for every table we read (regency files, review answers, person lists): spellings,
typos, two-row headers, required columns, confirmed mappings, and the text above the header."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from satudata.sheets.headers import (
    ALIASES,
    REGISTRY,
    Vocabulary,
    exact_canonical,
    find_header,
    header_key,
    header_signature,
    map_header,
    title_lines,
)


@pytest.mark.parametrize(
    ("header", "canonical"),
    [
        ("No. NIK", "nik"), ("NOMOR NIK", "nik"), ("n i k", "nik"), ("NIK ART", "nik"),
        ("No. Induk Kependudukan", "nik"), ("NOKK", "no_kk"), ("Nomor Kartu Keluarga", "no_kk"), ("KK", "no_kk"),
        ("NAMA_ART", "nama"), ("Nama KPM", "nama"), ("NIK KRT", "nik_kepala_keluarga"),
        ("NIK KK", "nik_kepala_keluarga"), ("NAMA_KK", "nama_kepala_keluarga"), ("JNS_KEL", "jenis_kelamin"),
        ("L/P", "jenis_kelamin"), ("TGL_LHR", "tanggal_lahir"), ("Tgl. Lahir", "tanggal_lahir"),
        ("TMPT_LHR", "tempat_lahir"), ("KDDESA", "kode_desa"), ("KODE_DESA_KEMENDAGRI", "kode_desa"),
        ("Kode Desa/Kel", "kode_desa"), ("Kd. Desa", "kode_desa"), ("SHDK", "hubungan_keluarga"),
        ("Hubungan dengan KK", "hubungan_keluarga"), ("Peringkat Desil", "desil"), ("IDDTKS", "id_dtks"),
        ("Jenis Bantuan", "kode_program"),
        ("Jumlah Bantuan", "nilai_bantuan"), ("Tgl Penyaluran", "tanggal_salur"), ("STA_KAWIN", "status_kawin"),
        ("Penyandang Disabilitas", "disabilitas"), ("Jml Anggota Keluarga", "jumlah_anggota"),
        ("Jenis Kelamin KRT", "jenis_kelamin_kepala_keluarga"), ("Provinsi", "nama_provinsi"),
        ("Kab/Kota", "nama_kabupaten"), ("Kecamatan", "nama_kecamatan"), ("Desa/Kelurahan", "nama_desa"),
        ("KODE BPS", "kode_desa_bps"), ("kode_desa_bps", "kode_desa_bps"), ("KDBPS", "kode_desa_bps"),
        ("Kode Desa (BPS)", "kode_desa_bps"), ("NIK (16 digit)", "nik"), ("Nilai Bantuan (Rp)", "nilai_bantuan"),
        ("  Nama\nLengkap ", "nama"), ("Tgl_Lhr_ART", "tanggal_lahir"),
    ],
)  # fmt: skip
def test_header_variants(header, canonical):
    assert exact_canonical(header) == canonical


@pytest.mark.parametrize(("jenis", "header", "canonical"), [
    ("p3ke", "IDKELUARGA", "id_keluarga_p3ke"), ("p3ke", "ID ART", "id_individu_p3ke"),
    ("dtsen", "IDKELUARGA", "id_keluarga_dtsen"), ("dtks", "ID ART", "id_dtks"),
])  # fmt: skip
def test_an_id_of_no_named_registry_is_the_files_own_registrys(jenis, header, canonical):
    from satudata.schema import COLUMNS_OF_JENIS

    assert REGISTRY.restricted(COLUMNS_OF_JENIS[jenis], jenis).exact(header) == canonical
    assert exact_canonical(header) is None  # without a registry to go by: not sure


@pytest.mark.parametrize("header", ["Kode Dusun", "Nama Dusun", "Pekerjaan Ibu", "Jenis Kelamin Ibu", "RT", "No",
                                    "No Urut", "Keterangan", "Nama Ibu Kandung"])
def test_unrelated_headers_are_not_taken(header):
    assert exact_canonical(header) is None


def test_one_canonical_per_header_the_surest_wins():
    match = map_header(["NIK", "Nama", "Nama Lengkap", "NIK ART", "Tgl Lahir", "Tanggal Lahirr"])
    assert match.columns == {0: "nik", 1: "nama", 4: "tanggal_lahir"}
    assert match.repeated == {"nik": [3], "nama": [2], "tanggal_lahir": [5]}
    assert match.unmapped == ["Nama Lengkap", "NIK ART", "Tanggal Lahirr"]


def test_find_header_prefers_best_then_earliest():
    rows = [["Data NIK dan Nama"], ["NIK", "Nama"], ["NIK", "Nama"], ["NIK", "Nama", "Kode Desa"], ["x"]]
    assert find_header(rows, 30).row == 3
    assert find_header(rows[:3], 30).row == 1
    assert find_header([["NIK"], ["a", "b"]], 30) is None


def test_every_tuning_spelling_names_its_column():
    """Each spelling the matcher learns from is read as its column (tied with another where one spelling
    really names two: "Kode Prog" is SIPD's programme code and reads as "Kode Program")."""
    for canonical, variants in ALIASES.items():
        for variant in variants:
            judgement = REGISTRY.judge(variant)
            assert canonical in {c.kolom for c in judgement.kandidat if c.skor == judgement.skor}, variant


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60))
def test_header_key_total_and_idempotent(text):
    key = header_key(text)
    assert header_key(key) == key
    assert key == key.strip() and "  " not in key
    exact_canonical(text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.one_of(st.text(max_size=20), st.sampled_from(["NIK", "Nama", "No KK", "Kode Desa", ""])),
                         max_size=8), max_size=8))
@example(rows=[["R", "RW", "NII"]])  # found by CI: one column, one suggestion, one known non-column
def test_find_header_total(rows):
    match = find_header(rows, 30)
    if match is not None:
        # known headers of no column ("RW", "Keterangan") count as header words beside the suggestions
        evidence = match.score + len(match.doubtful) + len(match.nothing)
        assert match.score >= 2 or (match.score >= 1 and evidence >= 3)
        assert 0 <= match.first_row <= match.row < len(rows)
        assert len(set(match.columns.values())) == len(match.columns)




def test_a_header_of_filler_words_only_keeps_them():
    assert header_key("No") == "no" and header_key("No.") == "no" and header_key("Nomor") == "nomor"
    assert header_key("No KK") == "kk" and header_key("Nomor Urut") == "urut"
    assert exact_canonical("No") is None


REVIEW = Vocabulary({"id_dtks": ["ID DTKS"], "id_individu_p3ke": ["ID P3KE"], "keputusan": ["Keputusan (SAMA/BEDA)"],
                     "catatan": ["Catatan", "Ket"]})


def test_a_vocabulary_of_its_own_with_required_columns():
    rows = [["REVIEW PADANAN · Periode: 2026-11"], [], ["PASANGAN", "", "DIISI OPERATOR"],
            ["id_dtks", "ID P3KE", "Keputusan", "Catatan"], ["D1", "P1", "SAMA", ""]]
    match = REVIEW.find_header(rows, required=("id_dtks", "id_individu_p3ke", "keputusan"), min_score=1)
    assert match.row == 3 and match.columns == {0: "id_dtks", 1: "id_individu_p3ke", 2: "keputusan", 3: "catatan"}
    assert title_lines(rows, match.first_row) == ["REVIEW PADANAN · Periode: 2026-11", "PASANGAN DIISI OPERATOR"]
    assert REVIEW.find_header(rows[:3] + [["id_dtks", "ID P3KE", "Catatan"]], required=("keputusan",)) is None
    assert REVIEW.best_effort([["id_dtks", "Catatan"]]).canonicals == {"id_dtks", "catatan"}


def test_every_cell_naming_a_taken_column_is_remembered():
    ids = Vocabulary({"id": ["No", "ID DTKS", "ID Penerima"], "nama": ["Nama"]})
    match = ids.map_header(["No", "Nama", "ID DTKS", "ID Penerima"])
    assert match.columns == {0: "id", 1: "nama"} and match.repeated == {"id": [2, 3]}


def test_a_confirmed_mapping_is_the_header_whatever_the_matcher_thinks():
    rows = [["DAFTAR PENERIMA"], ["Kol A", "Kol B", "NIK"], ["x", "5", "5205014507890001"]]
    assert find_header(rows, 30) is None  # one known column: no header
    signature = header_signature(["Kol A", "Kol B", "NIK"])
    known = {signature: {"0": "nama", "1": None, "2": "nik"}}
    match = REGISTRY.find_header(rows, 30, known=known)
    assert match.confirmed and match.row == 1 and match.columns == {0: "nama", 2: "nik"}
    assert match.unmapped == ["Kol B"]
    # the same header in other case, spacing and punctuation has the same signature
    assert header_signature(["KOL  A", "kol-b", "N.I.K"]) == signature
    assert header_signature(["Kol A", "NIK", "Kol B"]) != signature


def test_a_row_of_suggestions_with_one_sure_column_is_a_header():
    rows = [["Nama Penerima Manfaat Program", "Realisasi s.d. Bulan Ini (Rp)", "NIK", "Alamat Rumah Tinggal"]]
    match = find_header(rows, 30)
    assert match is not None and match.columns[2] == "nik" and match.doubtful


def test_two_row_header_with_group_titles():
    rows = [["", "Kepala Keluarga", "", "Tempat/Tanggal Lahir", ""], ["Nama", "NIK", "Nama", "Tempat", "Tanggal"],
            ["Budi", "5205010101800001", "Budi", "Dompu", "1980-01-01"]]
    match = find_header(rows, 30)
    assert (match.first_row, match.row) == (0, 1)
    assert match.columns == {0: "nama", 1: "nik_kepala_keluarga", 2: "nama_kepala_keluarga", 3: "tempat_lahir",
                             4: "tanggal_lahir"}
    assert REGISTRY.find_header(rows, 30).columns == match.columns
