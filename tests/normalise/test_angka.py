"""Desil and rupiah amounts as offices write them: read with certainty or reported, never guessed."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from satudata.normalise.angka import nilai_text, parse_desil, parse_rupiah, rupiah_decimal, rupiah_konvensi

# -------------------------------------------------------------------------------------------------- desil

DESIL_READ = [
    ("3", 3), ("3.0", 3), ("03", 3), ("3,0", 3), ("D3", 3), ("D-3", 3), ("d 3", 3), ("Desil 3", 3),
    ("DESIL III", 3), ("III", 3), ("iii", 3), ("Desil ke-3", 3), ("Desil ke 3", 3), ("3 (Miskin)", 3),
    ("Desil 1 - Sangat Miskin", 1), ("D-III", 3), ("X", 10), ("10", 10), ("  Desil   7 ", 7), (3, 3), (3.0, 3),
    (np.int64(4), 4),
]  # fmt: skip
DESIL_REFUSED = ["0", "00", "11", "XI", "", "   ", None, np.nan, "3-4", "3 - 4", "1/2", "IIII", "Miskin", "Desil",
                 "DI", "DX", "3.5", 3.5, True, "D", "Desil 3 dan 4", "3 (desil 4)", "三", "３"]  # fmt: skip


@pytest.mark.parametrize(("value", "expected"), DESIL_READ)
def test_desil_forms(value, expected):
    out = parse_desil(pd.Series([value], dtype=object), maks=10)
    assert out["desil"].tolist() == [expected] and out["ok"].tolist() == [True]


@pytest.mark.parametrize("value", DESIL_REFUSED)
def test_desil_refused(value):
    out = parse_desil(pd.Series([value], dtype=object), maks=10)
    assert out["desil"].isna().all() and out["ok"].tolist() == [False]


def test_desil_above_the_registrys_maximum():
    out = parse_desil(pd.Series(["5", "Desil 4", "V", "4"], index=[7, 8, 9, 10]), maks=4)
    assert out.index.tolist() == [7, 8, 9, 10]
    assert out["desil"].tolist() == [pd.NA, 4, pd.NA, 4]
    assert out["ok"].tolist() == [False, True, False, True]
    assert str(out["desil"].dtype) == "Int64" and out["ok"].dtype == bool


_ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
_DESIL_STYLES = ["{n}", "{n}.0", "{n:02d}", "D{n}", "D-{n}", "Desil {n}", "DESIL {r}", "{r}", "Desil ke-{n}",
                 "{n} (Miskin)", "Desil {n} - Sangat Miskin", "desil   {n}"]


@given(st.integers(1, 10), st.sampled_from(_DESIL_STYLES), st.sampled_from([4, 10]))
def test_every_desil_style_reads_back(n, style, maks):
    out = parse_desil(pd.Series([style.format(n=n, r=_ROMAN[n - 1])]), maks=maks)
    assert out["desil"].tolist() == [n if n <= maks else pd.NA]


@given(st.lists(st.one_of(st.text(max_size=12), st.integers(-5, 20), st.floats(), st.none()), max_size=20))
def test_desil_never_raises_and_stays_in_range(values):
    out = parse_desil(pd.Series(values, dtype=object), maks=10)
    read = out["desil"].dropna()
    assert read.between(1, 10).all()
    assert (out["ok"] == out["desil"].notna()).all()


# ------------------------------------------------------------------------------------------------- rupiah

RUPIAH_READ = [
    ("1.250.000.000,00", "1250000000"), ("1.250.000.000", "1250000000"), ("1,250,000,000.00", "1250000000"),
    ("1250000000", "1250000000"), ("Rp 1.500.000", "1500000"), ("Rp. 1.500.000,-", "1500000"),
    ("Rp1.500.000", "1500000"), ("IDR 1,500,000", "1500000"), ("Rp 2,5 M", "2500000000"),
    ("2,5 Miliar", "2500000000"), ("2,5 milyar", "2500000000"), ("Rp 1,2 T", "1200000000000"),
    ("1,2 Triliun", "1200000000000"), ("750 Jt", "750000000"), ("750 juta", "750000000"), ("15 rb", "15000"),
    ("15 ribu", "15000"), ("15rb", "15000"), ("(1.000.000)", "-1000000"), ("-1.000.000", "-1000000"),
    ("Rp -1.000.000", "-1000000"), ("-Rp 1.000.000", "-1000000"), ("(Rp 1.000.000)", "-1000000"),
    ("0", "0"), ("0,00", "0"), ("1 250 000", "1250000"), ("1\u00a0250\u00a0000", "1250000"),
    ("1 250 000,50", "1250000.5"), ("1.250.000,5", "1250000.5"), ("1,250,000.05", "1250000.05"),
    ("1250000000.5", "1250000000.5"), ("1250000,75", "1250000.75"), ("0.500", None), ("1.500.000 rupiah", "1500000"),
    ("1.234.567,891", None), ("183898999.99999994", "183899000"),  # a float's rendering written as text
    ("9.007.199.254.740.993", "9007199254740993"),  # beyond a double's integers: exact
    ("1234567890123456.78", "1234567890123456.78"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), RUPIAH_READ)
def test_rupiah_forms(text, expected):
    out = parse_rupiah(pd.Series([text]))
    if expected is None:  # a lone separator with 3 digits after it, nothing else in the column to tell
        assert out["nilai"].isna().all() and out["ambigu"].all() and not out["ok"].any()
    else:
        assert out["nilai"].tolist() == [expected] and out["ok"].all() and not out["ambigu"].any()


@pytest.mark.parametrize("text", ["-", "- ", " – ", "—", "Rp -", "Rp. -", "-,-", "Rp -,-"])
def test_an_accountants_dash_is_zero(text):
    out = parse_rupiah(pd.Series([text, "1.500.000"]))
    assert out.loc[0].tolist() == ["0", True, True, False]
    assert not out.loc[1, "nol_strip"]


@pytest.mark.parametrize(
    "text",
    ["", "  ", "abc", "Rp", "--5", "1.000.000-", "1..000", "1.25.000", "1,2,3", "1.250,000.00.0", "12 34",
     "(1.000", "1 2", "Rp 1,5 X", "Rp 999.999.999.999.999.999.999", "1e6", "¹²³", "NaN", "Infinity", "1_000"],
)  # fmt: skip
def test_unreadable_amounts(text):
    out = parse_rupiah(pd.Series([text]))
    assert out["nilai"].isna().all() and not out["ok"].any() and not out["nol_strip"].any()


def test_three_digits_after_the_last_separator_are_thousands_unless_the_column_says_otherwise():
    """Rupiah have at most two decimals (sen): "1.500" and "200,000" group thousands. A column that writes
    that separator as its decimal point contradicts such a cell: it is not read, never guessed."""
    assert parse_rupiah(pd.Series(["1.500", "1.250.000"]))["nilai"].tolist() == ["1500", "1250000"]
    assert parse_rupiah(pd.Series(["1.500", "2,5 M"]))["nilai"].tolist() == ["1500", "2500000000"]
    assert parse_rupiah(pd.Series(["200.000", "300.000", "Rp 600.000"]))["nilai"].tolist() == [
        "200000", "300000", "600000"]
    assert parse_rupiah(pd.Series(["1,500", "1,250,000"]))["nilai"].tolist() == ["1500", "1250000"]
    out = parse_rupiah(pd.Series(["1.500", "1,250,000.00"]))  # "." is this column's decimal point
    assert out["ok"].tolist() == [False, True] and not out["ambigu"].any()
    out = parse_rupiah(pd.Series(["1,500", "1.250.000"]))  # "," is this column's decimal comma
    assert out["ok"].tolist() == [False, True]
    # with a scale word three decimals are plausible ("1.250 jt": 1,25 juta or 1.250 juta): the column decides
    assert parse_rupiah(pd.Series(["1.500 Jt", "1.750.000"]))["nilai"].tolist() == ["1500000000", "1750000"]
    assert parse_rupiah(pd.Series(["1.250 jt"]))["ambigu"].all()
    for column in (["1.500 jt", "1250000", "1 250 000"], ["1.500 jt", "1.250.000", "1,250,000"]):
        out = parse_rupiah(pd.Series(column))
        assert out["ambigu"].tolist()[0] and pd.isna(out["nilai"].iloc[0]) and not out["ok"].iloc[0]
    # a reading that the column's convention rules out is unreadable, not ambiguous
    out = parse_rupiah(pd.Series(["0.500 jt", "1.250.000"]))
    assert out["ok"].tolist() == [False, True] and out["ambigu"].tolist() == [False, False]


def test_a_convention_known_from_elsewhere_settles_a_column_that_shows_none():
    bantuan = pd.Series(["2.500 jt", "3.000 jt"])
    assert parse_rupiah(bantuan)["ambigu"].all()  # 2,5 or 2.500 juta: this column alone cannot tell
    pagu = pd.Series(["1.250.000.000", "750.000"])
    konvensi = rupiah_konvensi(pd.concat([bantuan, pagu]))  # the file's amount columns together
    assert konvensi == "id"
    assert parse_rupiah(bantuan, konvensi=konvensi)["nilai"].tolist() == ["2500000000", "3000000000"]
    assert parse_rupiah(bantuan, konvensi="en")["nilai"].tolist() == ["2500000", "3000000"]
    assert rupiah_konvensi(pd.Series(["1.500", "1250000"])) is None
    assert rupiah_konvensi(pd.Series(["1,250,000", "1.250.000"])) is None


def test_excel_numbers_are_rounded_to_sen():
    values = pd.Series(["1250000000", "183898999.99999994", "1.5e+16", "0.1", "1.500 jt"])
    numeric = np.array([True, True, True, True, False])
    out = parse_rupiah(values, numeric)
    assert out["nilai"].tolist() == ["1250000000", "183899000", "15000000000000000", "0.1", pd.NA]
    assert out["ambigu"].tolist() == [False, False, False, False, True]
    floats = parse_rupiah(pd.Series([1250000000.0, 183898999.99999994, np.nan, 2.675, -0.004]))
    assert floats["nilai"].tolist() == ["1250000000", "183899000", pd.NA, "2.68", "0"]
    assert parse_rupiah(pd.Series([10, 2**60], dtype=object))["nilai"].tolist() == ["10", pd.NA]  # 2^60 >= 10^18


def test_same_index_and_types():
    out = parse_rupiah(pd.Series(["Rp 1.000", None, "-"], index=["a", "b", "c"]))
    assert out.index.tolist() == ["a", "b", "c"]
    assert str(out["nilai"].dtype) == "string"
    assert [out[c].dtype for c in ("ok", "nol_strip", "ambigu")] == [bool, bool, bool]
    assert parse_rupiah(pd.Series([], dtype="string")).empty


def test_rupiah_decimal():
    assert rupiah_decimal("Rp 2,5 M") == Decimal(2500000000)
    assert rupiah_decimal("1.500") == Decimal(1500) and rupiah_decimal("1.500", "id") == Decimal(1500)
    assert rupiah_decimal("1.500 jt", "en") == Decimal(1_500_000) and rupiah_decimal("1.500 jt", "id") == Decimal(
        1_500_000_000)
    assert rupiah_decimal("-") == 0
    for text in ("1.500 jt", "abc", ""):
        with pytest.raises(ValueError):
            rupiah_decimal(text)
    assert nilai_text(Decimal("-0.001")) == "0" and nilai_text(Decimal("12.50")) == "12.5"


def _thousands(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


# Each office style: (format of |amount| in whole rupiah and sen, a value of the column that shows its convention)
_STYLES = {
    "id": (lambda r, s: f"{_thousands(r, '.')},{s:02d}", "1.250.000,00"),
    "id_bulat": (lambda r, s: _thousands(r, "."), "1.250.000"),
    "rp_id": (lambda r, s: f"Rp {_thousands(r, '.')},{s:02d}", "Rp 1.250.000,00"),
    "rp_strip": (lambda r, s: f"Rp. {_thousands(r, '.')},-", "Rp. 1.250.000,-"),
    "en": (lambda r, s: f"{_thousands(r, ',')}.{s:02d}", "1,250,000.00"),
    "idr_en": (lambda r, s: f"IDR {_thousands(r, ',')}", "IDR 1,250,000"),
    "polos": (lambda r, s: str(r), "1250000"),
    "spasi": (lambda r, s: _thousands(r, " "), "1 250 000"),
}
_HAS_SEN = {"id", "rp_id", "en"}


@given(st.integers(0, 10**15), st.integers(0, 99), st.sampled_from(sorted(_STYLES)), st.booleans(),
       st.sampled_from(["minus", "kurung"]))
def test_every_office_style_reads_back_exactly(rupiah, sen, style, negative, how):
    write, shows = _STYLES[style]
    sen = sen if style in _HAS_SEN else 0
    text = write(rupiah, sen)
    if negative:
        text = f"-{text}" if how == "minus" else f"({text})"
    expected = Decimal(rupiah) + Decimal(sen) / 100
    expected = -expected if negative and expected else expected
    out = parse_rupiah(pd.Series([text, shows]))
    assert out["nilai"].iloc[0] == nilai_text(expected), text
    assert out["ok"].iloc[0] and not out["ambigu"].iloc[0]


@given(st.integers(1, 999), st.integers(0, 999), st.sampled_from([".", ","]))
def test_a_lone_three_digit_group_is_thousands_and_with_a_scale_word_never_guessed(head, tail, sep):
    text = f"{head}{sep}{tail:03d}"
    assert parse_rupiah(pd.Series([text]))["nilai"].iloc[0] == str(head * 1000 + tail)
    out = parse_rupiah(pd.Series([text + " jt"]))
    assert out["ambigu"].iloc[0] and pd.isna(out["nilai"].iloc[0])


@given(st.lists(st.one_of(st.text(max_size=25), st.from_regex(r"\(?-?(Rp\.? ?)?[0-9., ]{1,20}( ?(M|jt|rb|T))?\)?"),
                          st.integers(), st.floats(), st.none()), max_size=15))
def test_wild_cells_never_raise_and_reread_the_same(values):
    out = parse_rupiah(pd.Series(values, dtype=object))
    assert (out["ok"] == out["nilai"].notna()).all()
    assert not (out["ambigu"] & out["ok"]).any()
    assert (out.loc[out["nol_strip"], "nilai"] == "0").all()
    read = out["nilai"].dropna()
    assert read.str.fullmatch(r"-?[0-9]+(\.[0-9]{1,2})?").all()
    assert (parse_rupiah(read)["nilai"] == read).all()  # idempotent on its own output
