"""The model's SQL rewritten for speed must reach the same levels as the plain form it replaced."""

from __future__ import annotations

import functools
import math

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from satudata.linkage import model

# The address similarity as first written: the shared weight spelled out twice.
_PLAIN_SIM = (f'coalesce({model._ALAMAT_SHARED}, 0) / ("alamat_total_l" + "alamat_total_r" - '
              f'coalesce({model._ALAMAT_SHARED}, 0))')

_WORDS = st.lists(st.sampled_from(["DUSUN", "SUKAMAJU", "RT", "3", "JALAN", "PAHLAWAN", "12", "BARU", "DASAN"]),
                  max_size=6, unique=True)
_WEIGHTS = st.floats(min_value=0.01, max_value=20, allow_nan=False, allow_infinity=False)


def _side(draw, words):
    weights = draw(st.lists(_WEIGHTS, min_size=len(words), max_size=len(words)))
    return words, weights, float(sum(weights))


@st.composite
def _address_pairs(draw):
    left_words, right_words = draw(st.one_of(st.none(), _WORDS)), draw(st.one_of(st.none(), _WORDS))
    left = _side(draw, left_words) if left_words is not None else (None, None, None)
    right = _side(draw, right_words) if right_words is not None else (None, None, None)
    return left, right


@functools.cache
def _duckdb():
    return duckdb.connect()  # one for every example: opening one costs more than the query


def _rows(sql: str, table: pa.Table) -> list[tuple]:
    """`sql` over `table`, known to it as `p`."""
    con = _duckdb()
    con.register("p", table)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.unregister("p")


_COLUMNS = ("alamat_kata_l", "alamat_bobot_l", "alamat_total_l", "alamat_kata_r", "alamat_bobot_r", "alamat_total_r")


@settings(max_examples=150, deadline=None)
@given(pairs=st.lists(_address_pairs(), min_size=1, max_size=30))
def test_the_address_similarity_bound_once_is_the_one_spelled_twice(pairs):
    table = pa.table(dict(zip(_COLUMNS, zip(*[(*left, *right) for left, right in pairs], strict=True), strict=True)),
                 schema=pa.schema([(c, pa.list_(pa.string()) if "kata" in c else pa.list_(pa.float64()) if "bobot" in c
                                    else pa.float64()) for c in _COLUMNS]))
    rows = _rows(f"SELECT {_PLAIN_SIM}, {model._ALAMAT_SIM}, "
                 f"{_PLAIN_SIM} >= 0.7, {model._ALAMAT_SIM} >= 0.7, {_PLAIN_SIM} >= 0.4, "
                 f"{model._ALAMAT_SIM} >= 0.4, {_PLAIN_SIM} > 0, {model._ALAMAT_SIM} > 0 FROM p", table)
    for plain, bound, *levels in rows:
        assert plain == bound or (math.isnan(plain) and math.isnan(bound)), (plain, bound)
        assert levels[0::2] == levels[1::2]


# Texts near each other more often than chance: one edit of the other, or a random text (digits, a letter,
# a character of two bytes).
_TEXT = st.text(alphabet="0123456789Aé", max_size=18)


@st.composite
def _near_texts(draw):
    left = draw(st.one_of(st.none(), _TEXT))
    if left is None or draw(st.booleans()):
        return left, draw(st.one_of(st.none(), _TEXT))
    at = draw(st.integers(0, len(left)))
    edit = draw(st.sampled_from(["substitute", "transpose", "insert", "delete", "two"]))
    new = draw(st.sampled_from("0123456789Aé"))
    if edit == "substitute" and at < len(left):
        return left, left[:at] + new + left[at + 1:]
    if edit == "transpose" and at + 1 < len(left):
        return left, left[:at] + left[at + 1] + left[at] + left[at + 2:]
    if edit == "insert":
        return left, left[:at] + new + left[at:]
    if edit == "delete" and at < len(left):
        return left, left[:at] + left[at + 1:]
    return left, left[::-1] + new


@settings(max_examples=150, deadline=None)
@given(pairs=st.lists(_near_texts(), min_size=1, max_size=40))
def test_one_edit_behind_its_cheap_test_is_damerau_levenshtein_within_one(pairs):
    table = pa.table({"a": [a for a, _ in pairs], "b": [b for _, b in pairs]},
                     schema=pa.schema([("a", pa.string()), ("b", pa.string())]))
    rows = _rows(f"""SELECT CASE WHEN damerau_levenshtein(a, b) <= 1 THEN 1 ELSE 0 END,
                            CASE WHEN {model._within_one_edit("a", "b")} THEN 1 ELSE 0 END FROM p""", table)
    assert [plain for plain, _ in rows] == [fast for _, fast in rows]


_NAME = st.lists(st.sampled_from(["SITI", "NUR", "AMINAH", "HAMZAH", "WULAN", ""]), min_size=1, max_size=4).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(pairs=st.lists(st.tuples(st.one_of(st.none(), _NAME), st.one_of(st.none(), _NAME)), min_size=1, max_size=40))
def test_one_name_in_the_other_from_word_lists_is_the_split_names_test(pairs):
    table = pa.table({"nama_fonetik_l": [a for a, _ in pairs], "nama_fonetik_r": [b for _, b in pairs]},
                 schema=pa.schema([("nama_fonetik_l", pa.string()), ("nama_fonetik_r", pa.string())]))
    words = model.PER_RECORD["nama_kata"][1]
    plain = ("list_has_all(string_split(nama_fonetik_l, ' '), string_split(nama_fonetik_r, ' ')) OR "
             "list_has_all(string_split(nama_fonetik_r, ' '), string_split(nama_fonetik_l, ' '))")
    rows = _rows(f"""
        WITH k AS (SELECT *, {words.replace('"nama_fonetik"', 'nama_fonetik_l')} AS nama_kata_l,
                             {words.replace('"nama_fonetik"', 'nama_fonetik_r')} AS nama_kata_r FROM p)
        SELECT CASE WHEN {plain} THEN 1 ELSE 0 END, CASE WHEN {model._ONE_NAME_IN_OTHER} THEN 1 ELSE 0 END
        FROM k""", table)
    assert [plain for plain, _ in rows] == [fast for _, fast in rows]
