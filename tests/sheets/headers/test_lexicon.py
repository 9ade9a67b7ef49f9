"""Reading a header as words: abbreviations, glued words, synonyms, typos, filler words."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from satudata.sheets.headers import REGISTRY, Lexicon
from satudata.sheets.headers.lexicon import ascii_words

LEXICON = REGISTRY.model.lexicon  # the lexicon knowing the corpus's words


@pytest.mark.parametrize(("text", "words"), [
    ("N I K", ["nik"]), ("L/P", ["lp"]), ("1. NIK", ["nik"]), ("(2) Nama", ["nama"]), ("NamaLengkap", ["nama", "lengkap"]),
    ("Fisik (%)", ["fisik", "persen"]), ("Kode A", ["kode", "a"]), ("Tgl.Lahir", ["tgl", "lahir"]),
    ("Désa", ["desa"]), ("", []), (None, []),
])  # fmt: skip
def test_ascii_words(text, words):
    assert ascii_words(text) == words


@pytest.mark.parametrize(("text", "first"), [
    ("HUB. DGN KRT", ("hubungan", "kepala", "rumah", "tangga")),  # abbreviations, filler "dengan" dropped
    ("NOKK", ("kartu", "keluarga")),  # glued: no + kk, then kk read as the family card first
    ("TGLLHR", ("tanggal", "lahir")),
    ("IDDTKS", ("id", "dtks")),
    ("JNS_KEL", ("jenis", "keluarga")),  # kel is ambiguous: every meaning is a reading, the matcher picks
    ("OPD Pelaksana", ("skpd", "pelaksana")),  # synonyms: OPD, SKPD, perangkat daerah are one word
    ("Perangkat Daerah", ("skpd",)),
    ("Tangal Lahirr", ("tanggal", "lahir")),  # one slip from one known word each
    ("No", ("no",)),  # a header of filler words only keeps them: a row number column
])  # fmt: skip
def test_the_first_reading(text, first):
    assert LEXICON.readings(text)[0] == first


def test_an_ambiguous_abbreviation_gives_every_meaning_in_order():
    readings = LEXICON.readings("JNS KEL")
    assert ("jenis", "kelamin") in readings and readings.index(("jenis", "keluarga")) < readings.index(
        ("jenis", "kelamin"))
    assert LEXICON.readings("No KK")[:2] == (("kartu", "keluarga"), ("kepala", "keluarga"))


def test_a_note_in_brackets_is_also_read_without_it():
    assert LEXICON.readings("NIK (16 digit)") == (("nik", "16", "digit"), ("nik",))


def test_a_word_is_not_repaired_into_one_of_two_words():
    lexicon = Lexicon.load().with_vocabulary({"status", "statis"})
    assert lexicon.repair("statos") is None  # one slip from both
    assert lexicon.repair("statuss") == "status"
    assert Lexicon.load().with_vocabulary({"kota"}).repair("kuota") is None  # short words are often other words


def test_a_shorthand_of_dropped_vowels_is_read_as_its_word():
    assert LEXICON.readings("JENIS_KLMIN")[0] == ("jenis", "kelamin")
    assert LEXICON.readings("NAMA_LGKP")[0] == ("nama",)  # lengkap: the record's own name


def test_a_bare_yaml_boolean_in_the_lexicon_is_refused(tmp_path):
    path = tmp_path / "leksikon.yaml"
    path.write_text("kata_pengisi: [no, nomor]\n")  # YAML reads a bare `no` as false
    with pytest.raises(TypeError, match="quote it"):
        Lexicon.from_yaml(path)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60))
def test_readings_are_total_and_made_of_ascii_words(text):
    for reading in LEXICON.readings(text):
        assert reading and all(w and w.isascii() and w == w.lower() for w in reading)
        assert len(set(reading)) == len(reading)
