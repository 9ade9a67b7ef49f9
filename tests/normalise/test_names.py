"""Name normalisation for linking, and placeholder birth dates: what is removed, what is kept, what folds."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from satudata.normalise import names as N
from satudata.normalise.dates import PLACEHOLDER_DAY_MONTHS, placeholder_dates
from satudata.normalise.names import (
    COLUMNS,
    DEGREES,
    TITLES,
    WEAK_DEGREES,
    fold_phonetic,
    normalise_name,
    normalise_names,
)

NAME_SHAPE = re.compile(r"[A-Z]+( [A-Z]+)*")


def keys(value: object) -> pd.Series:
    return normalise_names(pd.Series([value], dtype="object")).iloc[0]


# ------------------------------------------------------------------------------------- nama_bersih
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Hj. Siti Aminah, S.Pd", "SITI AMINAH"),
        ("  siti   aminah ", "SITI AMINAH"),
        ("Ma'ruf", "MARUF"),
        ("Ma’ruf", "MARUF"),
        ("Ma`ruf", "MARUF"),
        ("Ma´ruf", "MARUF"),
        ("Syafi‘i", "SYAFII"),
        ("André", "ANDRE"),
        ("Valérie", "VALERIE"),
        ("Ａｈｍａｄ", "AHMAD"),  # full-width
        ("Nur-Hidayah", "NUR HIDAYAH"),
        ("Budi (Alm.)", "BUDI"),
        ("Budi/Santoso 2", "BUDI SANTOSO"),
        ("Aminah, Siti", "AMINAH SITI"),  # a comma before a name keeps the name
    ],
)
def test_case_unicode_and_punctuation(raw, expected):
    assert normalise_name(raw) == expected


@pytest.mark.parametrize(
    "title",
    ["H.", "H", "HJ.", "Hj", "Haji", "Hajjah", "Drs.", "Dra.", "Dr.", "dr.", "Ir.", "Prof.", "KH.", "K.H.",
     "Ustadz", "Ustaz", "TGH.", "T.G.H.", "TGKH", "Tuan Guru", "Tuan Guru Haji", "Drs. H.", "Prof. Dr. Ir. H.",
     "Almarhum", "Alm.", "Bpk.", "Ibu", "Ny."],
)  # fmt: skip
def test_titles_before_the_name_are_removed(title):
    assert normalise_name(f"{title} Budi Santoso") == "BUDI SANTOSO"


@pytest.mark.parametrize("title", sorted(TITLES))
def test_every_title_is_removed_in_front(title):
    assert normalise_name(f"{title}. Rahmat Hidayat") == "RAHMAT HIDAYAT"


@pytest.mark.parametrize(
    "degree",
    ["S.Pd", "S.Pd.I", "S. Pd", "S. Pd. I.", "SPd", "S.PdI", "S.Ag", "S.E", "S.H", "S.T", "S.Kom", "S.Sos", "S.IP",
     "S.Kep", "S.KM", "S.Si", "S.Farm", "S.Tr", "A.Md", "A.Ma", "A.Ma.Pd", "A.Md.Kep", "Amd.Kep", "M.Pd",
     "M.Si", "M.M", "M.Ag", "M.Kes", "Ns", "AMD", "SE", "SH", "SPD", "SAG", "BSc", "MBA", "S.Kep., Ns.",
     "S.Pd., M.Pd.", "S.Pd.,Gr.", "Ph.D", "Lc"],
)  # fmt: skip
def test_degrees_after_a_comma_are_removed(degree):
    assert normalise_name(f"Siti Aminah, {degree}") == "SITI AMINAH"
    assert normalise_name(f"Aminah, {degree}") == "AMINAH"


@pytest.mark.parametrize("degree", sorted(DEGREES))
def test_every_degree_is_removed_after_two_name_tokens(degree):
    assert normalise_name(f"Rahmat Hidayat {degree}") == "RAHMAT HIDAYAT"


@pytest.mark.parametrize("degree", sorted(DEGREES - WEAK_DEGREES))
def test_unambiguous_degrees_are_removed_after_one_name_token(degree):
    assert normalise_name(f"Aminah {degree}") == "AMINAH"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Budi SE", "BUDI SE"),  # one name token: SE could be part of the name
        ("Budi ST", "BUDI ST"),
        ("Liem Ma", "LIEM MA"),
        ("Budi Santoso SE", "BUDI SANTOSO"),
        ("Budi, SE", "BUDI"),
        ("Budi Santoso SE MM", "BUDI SANTOSO"),
        ("Ir. H. Budi, S.T., M.T.", "BUDI"),
        ("Siti Aminah S.Pd.I", "SITI AMINAH"),
        ("Siti Aminah SPd", "SITI AMINAH"),
        ("Siti Aminah S. Pd", "SITI AMINAH"),
    ],
)
def test_short_degrees_need_a_comma_or_two_name_tokens(raw, expected):
    assert normalise_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Hadi Susanto", "HADI SUSANTO"),
        ("Sri Rahayu", "SRI RAHAYU"),
        ("Ni Made Sari", "NI MADE SARI"),
        ("Siti Hajar", "SITI HAJAR"),
        ("Hasan Basri", "HASAN BASRI"),
        ("Irwan Setiawan", "IRWAN SETIAWAN"),
        ("Drajat", "DRAJAT"),
        ("Haji", "HAJI"),  # nothing else: kept
        ("H", "H"),
        ("Hj.", "HJ"),
        ("Drs. H.", "H"),
        ("Ahmad Hadi H", "AHMAD HADI H"),  # H only goes in front
        ("Sepriadi Sese", "SEPRIADI SESE"),
        ("Budi S. Wibowo", "BUDI S WIBOWO"),
        ("Nurul Hidayah", "NURUL HIDAYAH"),
        ("Abdullah", "ABDULLAH"),
        ("Stefanus", "STEFANUS"),
        ("Budi M", "BUDI M"),
        ("M", "M"),
        ("Lalu Sahnan", "LALU SAHNAN"),
        ("Lalu Muhammad Zaini", "LALU MUHAMMAD ZAINI"),
        ("Baiq Nurul Aini", "BAIQ NURUL AINI"),
        ("Amaq Sahnan", "AMAQ SAHNAN"),
        ("I Gusti Ngurah Rai", "I GUSTI NGURAH RAI"),
    ],
)
def test_does_not_over_remove(raw, expected):
    assert normalise_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        *[(f"{v} Ali", "MUHAMMAD ALI") for v in
          ["Muhammad", "Muhamad", "Muhammed", "Mohammad", "Mohamad", "Mohammed", "Mochammad", "Mochamad", "Moch.",
           "Moh.", "Muh", "Muhd.", "Mhd.", "Md.", "M.", "Mohd", "H. M.", "H.M."]],
        ("Ali Moh. Yusuf", "ALI MUHAMMAD YUSUF"),
        ("Ali M. Yusuf", "ALI M YUSUF"),  # M inside a name is an initial
        ("I Md. Sudarma", "I MADE SUDARMA"),  # Md after I is Balinese Made
        ("I Wyn. Sudarma", "I WAYAN SUDARMA"),
        ("Ni Kt. Sari", "NI KETUT SARI"),
        ("I Gst. Ngr. Rai", "I GUSTI NGURAH RAI"),
        ("Lalu M. Zaini", "LALU MUHAMMAD ZAINI"),
        ("Abd. Rahman", "ABDUL RAHMAN"),
        ("Abdoel Rahman", "ABDUL RAHMAN"),
        ("St. Aisah", "SITI AISAH"),
        ("Sitti Aisah", "SITI AISAH"),
        ("Nurul St. Aminah", "NURUL SITI AMINAH"),
        ("St.", "SITI"),
        ("Noor Hasanah", "NUR HASANAH"),
        ("Noer Hasanah", "NUR HASANAH"),
        ("Achmad Yani", "AHMAD YANI"),
        ("Akhmad Yani", "AHMAD YANI"),
        ("Ahmed Yani", "AHMAD YANI"),
    ],
)  # fmt: skip
def test_variants(raw, expected):
    assert normalise_name(raw) == expected


# ------------------------------------------------------------------------------------ nama_fonetik
@pytest.mark.parametrize(
    "spellings",
    [
        ("Saprudin", "Safrudin", "Sapruddin", "Safruddin"),
        ("Zainal", "Jainal", "Zaenal"),
        ("Hadi", "Hady"),
        ("Suparman", "Soeparman"),
        ("Djoko", "Joko"),
        ("Tjahjo", "Cahyo"),
        ("Khairul", "Hairul", "Chairul", "Haerul"),
        ("Syamsul", "Samsul", "Sjamsul"),
        ("Abdullah", "Abdulah"),
        ("Muhammad Ali", "Moh. Ali", "M. Ali", "Muh Ali", "Moehammad Ali"),
        ("Siti Aisyah", "St. Aisah"),
        ("Yusuf", "Jusuf", "Yusup"),
        ("Zulkifli", "Julkifli", "Dzulkifli"),
        ("Novita", "Nofita", "Nopita"),
        ("Fathurrahman", "Faturahman"),
        ("Ramadhan", "Ramadan"),
        ("Nurhidayati", "Noorhidayati"),
        ("Sapiah", "Sapiyah", "Safiah"),
        ("Fatimah", "Fatima"),
        ("Iqbal", "Ikbal"),
        ("Christina", "Kristina"),
        ("Chandra", "Candra"),
        ("Nyoman", "Njoman"),
        ("Eko", "Ekoo"),
        ("Desi", "Desy"),
    ],
)
def test_spellings_of_one_name_fold_together(spellings):
    folded = {keys(s)["nama_fonetik"] for s in spellings}
    assert len(folded) == 1, folded


@pytest.mark.parametrize(
    ("a", "b"),
    [("Hadi", "Hadijah"), ("Ali", "Aliyah"), ("Rahmat", "Rahman"), ("Siti", "Sri"), ("Ani", "Ana"),
     ("Agus", "Bagus"), ("Budi", "Bude"), ("Wahyu", "Wahyudi"), ("Sapri", "Saprudin"), ("Nur", "Nurul")],
)  # fmt: skip
def test_different_names_stay_apart(a, b):
    assert keys(a)["nama_fonetik"] != keys(b)["nama_fonetik"]


# ---------------------------------------------------------------------------- nama_depan, nama_urut
@pytest.mark.parametrize(
    ("raw", "depan"),
    [
        ("Muhammad Ali", "ALI"),
        ("H. M. Ali Akbar", "ALI"),
        ("Siti Nur Aisyah", "AISA"),
        ("Ni Made Sari", "SARI"),
        ("Ni Luh Putu Sari", "SARI"),
        ("I Gusti Ngurah Rai", "RAI"),
        ("Ida Bagus Made Oka", "OKA"),
        ("Ida Ayu Ketut Sari", "SARI"),
        ("Anak Agung Gede Agung", "AGUNG"),
        ("Lalu Muhammad Zaini", "JAINI"),
        ("Baiq Nurul Aini", "AINI"),
        ("Amaq Sahnan", "SAHNAN"),
        ("Inaq Rabiah", "RABIA"),
        ("Sri Rahayu", "RAHAJU"),
        ("Abdul Rahman", "RAHMAN"),
        ("Hadi Susanto", "HADI"),
        ("Ida Royani", "IDA"),  # Ida alone is a given name
        ("Muhammad", "MUHAMAD"),  # all prefixes: the first token
        ("Siti Nur", "SITI"),
        ("I Wayan", "I"),
    ],
)
def test_nama_depan(raw, depan):
    assert keys(raw)["nama_depan"] == depan


def test_nama_urut_ignores_order():
    assert keys("Ali, Muhammad")["nama_urut"] == keys("Muhammad Ali")["nama_urut"] == "ALI MUHAMAD"


# ---------------------------------------------------------------------------------- odd input, frame
@pytest.mark.parametrize(
    "value",
    [None, float("nan"), pd.NA, pd.NaT, 12, 12.5, True, "", "   ", ",,,", "123-456", "😀😀", "\x00\x1f\x7f",
     "...", b"\xff\xfe", ["Budi"], {"nama": "Budi"}],
)  # fmt: skip
def test_no_name_gives_na(value):
    row = normalise_names(pd.Series([value, "Budi"], dtype="object")).iloc[0]
    assert row.isna().all()


def test_wild_input_never_raises():
    long = "Hj. Siti Aminah, S.Pd " * 500  # 11 kB
    frame = normalise_names(pd.Series([long, "Budi😀\x00Santoso", b"Ma\xe2\x80\x99ruf", "\u0301\u0301"]))
    assert frame["nama_bersih"].tolist()[1:] == ["BUDI SANTOSO", "MARUF", pd.NA]
    assert NAME_SHAPE.fullmatch(frame["nama_bersih"].iloc[0])


def test_frame_shape_index_and_dtypes():
    series = pd.Series(["Moh. Ali", None, "Moh. Ali", ""], index=["x", "y", "z", "w"], dtype="object")
    frame = normalise_names(series)
    assert list(frame.columns) == list(COLUMNS)
    assert frame.index.equals(series.index)
    assert all(frame[c].dtype == "string" for c in COLUMNS)
    assert frame["nama_bersih"].tolist() == ["MUHAMMAD ALI", pd.NA, "MUHAMMAD ALI", pd.NA]
    assert normalise_names(pd.Series([], dtype="object")).shape == (0, 4)
    assert (
        normalise_names(pd.Series(["Budi", "Budi"], dtype="string"))["nama_bersih"].tolist() == ["BUDI"] * 2
    )


def test_each_distinct_value_is_normalised_once(monkeypatch):
    calls = []
    keys_of = N._keys
    monkeypatch.setattr(N, "_keys", lambda value: calls.append(value) or keys_of(value))
    normalise_names(pd.Series(["Budi", "Ani", None, "Budi", "Ani", "Budi"] * 1000, dtype="object"))
    assert sorted(calls) == ["Ani", "Budi"]


# --------------------------------------------------------------------------------------- properties
_PIECES = ["H.", "Hj", "Haji", "Drs.", "K.H.", "Tuan", "Guru", "S.Pd", "S. Pd. I", "SE", "ST", "St.", "M.", "Md",
           "Moh", "Abd.", "Siti", "I", "Ni", "Lalu", "A.Md.Kep", "Ma’ruf", "é", "Noor", "Budi", "Santoso", "Nyoman",
           "NY", "Gst", "Hadi", "Syafi'i", "Tjahjo", "Soeparman", "Chandra", "Aisyah", "Ekoo", "Desy", "x", ""]  # fmt: skip
name_like = st.lists(
    st.tuples(st.sampled_from(_PIECES), st.sampled_from([" ", ", ", ".", "-", "", "  ", ","])), max_size=7
).map(lambda parts: "".join(p + sep for p, sep in parts))
wild_text = st.one_of(
    name_like, st.text(max_size=40), st.text(alphabet="AEIOUHYJZSCDTKGPFQXaeiouy .,'’", max_size=30)
)
any_cell = st.one_of(st.none(), st.floats(), st.integers(), st.booleans(), st.binary(max_size=10), wild_text)


@settings(max_examples=400)
@given(wild_text)
def test_bersih_is_idempotent_and_well_formed(text):
    once = normalise_name(text)
    assert normalise_name(once) == once
    if once is not None:
        assert NAME_SHAPE.fullmatch(once), once


@settings(max_examples=400)
@given(wild_text)
def test_fold_is_idempotent(text):
    row = keys(text)
    if pd.isna(row["nama_fonetik"]):
        assert row.isna().all()
        return
    fonetik = row["nama_fonetik"]
    assert fold_phonetic(fonetik) == fonetik
    assert fold_phonetic(row["nama_bersih"]) == fonetik
    for column in COLUMNS:
        assert NAME_SHAPE.fullmatch(row[column]), (column, row[column])
    tokens = fonetik.split()
    assert row["nama_depan"] in tokens
    assert row["nama_urut"] == " ".join(sorted(tokens))


@settings(max_examples=200)
@given(st.lists(any_cell, max_size=20), st.randoms(use_true_random=False))
def test_frame_agrees_with_single_values(values, random):
    index = random.sample(range(1000), len(values))
    series = pd.Series(values, index=index, dtype="object")
    frame = normalise_names(series)
    assert frame.index.equals(series.index)
    expected = [normalise_name(v) for v in values]
    assert [None if pd.isna(v) else v for v in frame["nama_bersih"]] == expected


# ------------------------------------------------------------------------------ placeholder dates
def test_placeholder_dates():
    tanggal = pd.Series(
        pd.to_datetime(
            ["1950-01-01", "1960-12-31", "2005-07-01", "1980-06-15", "1980-07-02", None, "1999-01-31"]
        ),
        index=list("abcdefg"),
    )
    flagged = placeholder_dates(tanggal)
    assert flagged.index.equals(tanggal.index)
    assert flagged.dtype == bool
    assert flagged.tolist() == [True, True, True, False, False, False, False]
    assert placeholder_dates(pd.Series([], dtype="datetime64[ns]")).tolist() == []
    assert placeholder_dates(pd.Series([pd.NaT, pd.NaT])).tolist() == [False, False]


@given(st.dates(min_value=pd.Timestamp("1900-01-01").date(), max_value=pd.Timestamp("2030-12-31").date()))
def test_placeholder_dates_by_day_month(born):
    flagged = placeholder_dates(pd.Series([pd.Timestamp(born)])).iloc[0]
    assert flagged == ((born.day, born.month) in PLACEHOLDER_DAY_MONTHS)
