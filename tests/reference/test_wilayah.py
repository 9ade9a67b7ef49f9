"""Region codes: normalisation of every form regencies write, and the lookup API."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from satudata.reference.wilayah import Wilayah, ancestor, dotted, level, normalise_kode, parent


@pytest.fixture(scope="module")
def wilayah() -> Wilayah:
    return Wilayah.load()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("52.05.01.2001", "5205012001"),
        ("5205012001", "5205012001"),
        (" 52.05.01.2001 ", "5205012001"),
        (5205012001, "5205012001"),
        (5205012001.0, "5205012001"),
        ("5205012001.0", "5205012001"),
        ("5.205012001E+09", "5205012001"),
        ("5.205012001e9", "5205012001"),
        ("52.05", "5205"),
        ("5205", "5205"),
        (5205.0, "5205"),
        ("52.05.01", "520501"),
        ("52", "52"),
        # not region codes
        ("", None),
        (None, None),
        ("abc", None),
        ("520501200", None),  # 9 digits
        ("52.5", None),
        (52.05, None),  # a float 52.05 is not a dotted code
        ("5.2050120015E+09", None),  # fractional
        (float("nan"), None),
        (-5205, None),
        (True, None),
        ("52.05.01.20010", None),
    ],
)
def test_normalise_kode(raw, expected):
    assert normalise_kode(raw) == expected


def test_dotted_level_parent_ancestor():
    assert dotted("5205012001") == "52.05.01.2001"
    assert dotted("5205") == "52.05"
    assert level("5205012001") == "desa"
    assert level("520501") == "kecamatan"
    assert level("5205") == "kabupaten"
    assert level("52") == "provinsi"
    assert parent("5205012001") == "520501"
    assert parent("520501") == "5205"
    assert parent("5205") == "52"
    assert parent("52") is None
    assert ancestor("5205012001", "kabupaten") == "5205"
    assert ancestor("5205", "kecamatan") is None


def test_ntb_counts_match_the_2025_list(wilayah):
    regencies = wilayah.children("52")
    assert len(regencies) == 10
    assert wilayah.name("5205") == "Kabupaten Dompu"
    assert len(wilayah.descendants("52", "kecamatan")) == 117
    assert len(wilayah.descendants("52", "desa")) == 1166


def test_is_inside(wilayah):
    desa = wilayah.descendants("5205", "desa")[0]
    assert wilayah.is_inside(desa, "5205")
    assert wilayah.is_inside(desa, "52")
    assert not wilayah.is_inside(desa, "5206")
    assert not wilayah.is_inside("5205999999", "5205")  # not a real desa
    assert not wilayah.is_inside("5205", "5205")


def test_old_lists_are_kept_for_nik_prefixes(wilayah):
    # Papua (91) was split in 2022: a kecamatan of Kabupaten Merauke moved to Papua Selatan (93).
    old = [r for r in wilayah.regions() if r.level == "kecamatan" and not r.is_current]
    assert old, "the 2019/2022 lists must contribute codes that are no longer current"
    sample = old[0].kode
    assert wilayah.is_known_kecamatan(sample)
    assert not wilayah.exists(sample)
    assert wilayah.exists(sample, current_only=False)


@given(st.sampled_from(["52", "5205", "520501", "5205012001", "9471031001", "1101012001"]))
def test_every_written_form_normalises_to_the_same_code(code):
    forms = [code, dotted(code), int(code), float(code), f"{float(code):.9E}", f"{code}.0"]
    assert {normalise_kode(f) for f in forms} == {code}


@given(st.one_of(st.text(max_size=20), st.integers(), st.floats(allow_nan=True), st.none(), st.binary()))
def test_normalise_never_raises_and_returns_a_code_or_none(value):
    result = normalise_kode(value)
    assert result is None or (result.isdigit() and len(result) in (2, 4, 6, 10))
