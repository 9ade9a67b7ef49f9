"""A header against every known spelling: what generalises, what is only suggested, what is left alone."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from satudata.schema import COLUMNS_OF_JENIS
from satudata.sheets.headers import NOTHING, REGISTRY, ColumnModel, Lexicon

BUDGET = REGISTRY.restricted(COLUMNS_OF_JENIS["anggaran"])
PERSONS = REGISTRY.restricted(COLUMNS_OF_JENIS["p3ke"], "p3ke")


@pytest.mark.parametrize(("header", "column"), [
    # spellings no corpus holds, understood from their words
    ("HUB. DGN KRT", "hubungan_keluarga"), ("ID_KEL", "id_keluarga_p3ke"), ("Tgl Lhr ART", "tanggal_lahir"),
    ("NIK (16 digit)", "nik"), ("n i k", "nik"), ("Hubungn Keluarga", "hubungan_keluarga"),
    ("Pekrjaan Utama", "pekerjaan"), ("Kode Wilayah Desa/Kel", "kode_desa"), ("Bulan Realisasi", "bulan"),
])  # fmt: skip
def test_understood_with_confidence(header, column):
    assert PERSONS.exact(header) == column or BUDGET.exact(header) == column


@pytest.mark.parametrize("header", [
    "Nama Ibu Kandung", "NIK Ibu", "Kode Dusun", "Nama Dusun", "Sisa Anggaran", "No", "No Urut", "RT", "Lalu Ahmad",
    "Keterangan", "Nama Pendamping",
])  # fmt: skip
def test_never_taken_for_a_column(header):
    assert PERSONS.exact(header) is None and BUDGET.exact(header) is None


def test_the_head_word_decides_realisation_against_month():
    judgement = BUDGET.judge("Realisasi s.d. Bulan Ini (Rp)")
    assert judgement.usulan == "realisasi_anggaran"  # suggested (or taken), never the month
    assert BUDGET.judge("Bulan Realisasi").kolom == "bulan"


def test_a_spelling_of_two_columns_is_only_a_suggestion():
    model = ColumnModel({"kode_program": ["Kode Program"], "kode_program_apbd": ["Kode Prog"]}, Lexicon.load())
    judgement = model.judge("Kode Program")
    assert judgement.tingkat == "ragu" and judgement.kolom is None and judgement.usulan == "kode_program"


def test_a_known_non_column_wins_over_a_near_column():
    model = ColumnModel({"nama": ["Nama", "Nama Lengkap"], NOTHING: ["Nama Ibu Kandung"]}, Lexicon.load())
    assert model.judge("NAMA IBU KANDUNG").tanpa_kolom
    assert model.judge("Nama Lengkap").kolom == "nama"


def test_a_registry_file_reads_an_unqualified_id_as_its_own():
    dtsen = REGISTRY.restricted(COLUMNS_OF_JENIS["dtsen"], "dtsen")
    assert dtsen.exact("ID Keluarga") == "id_keluarga_dtsen" and PERSONS.exact("ID Keluarga") == "id_keluarga_p3ke"
    assert dtsen.exact("ID Individu DTKS") != "id_individu_dtsen"  # a registry named is never another's


def test_version_words_after_the_head_are_nothing_and_as_the_head_everything():
    assert BUDGET.exact("Pagu Akhir") == "pagu" and BUDGET.exact("Perubahan Pagu") is None
    assert PERSONS.exact("NIK PENGURUS") == "nik" and PERSONS.exact("NAMA KPM") == "nama"
    assert PERSONS.exact("Tanggal Lahir Ayah") is None


def test_only_the_allowed_columns_are_named():
    assert BUDGET.exact("NIK") is None
    assert PERSONS.exact("Pagu (Rp)") is None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60))
def test_a_judgement_is_total_and_consistent(text):
    judgement = REGISTRY.judge(text)
    scores = [c.skor for c in judgement.kandidat]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    assert judgement.tingkat in ("pasti", "ragu", "tidak")
    if judgement.kolom is not None:
        assert judgement.tingkat == "pasti" and judgement.kolom == judgement.kandidat[0].kolom
