"""Region codes: normalisation of every form regencies write, the lookup API, and places written by name."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from satudata.reference import wilayah as wilayah_module
from satudata.reference.wilayah import (
    STATUS_DIKENAL,
    STATUS_NAMA,
    Wilayah,
    ancestor,
    dotted,
    level,
    normalise_kode,
    parent,
)


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


# ------------------------------------------------------------------------------------------------ place names

def _resolve(w: Wilayah, kab: str, kecamatan: list | None, desa: list | None) -> pd.DataFrame:
    series = [pd.Series(v, dtype=object) if v is not None else None for v in (kecamatan, desa)]
    return w.resolve_names(kab, *series)


def _row(w: Wilayah, kab: str, kecamatan, desa) -> dict:
    return _resolve(w, kab, [kecamatan], [desa]).iloc[0].to_dict()


@pytest.mark.parametrize(
    ("kecamatan", "desa", "kode_desa", "status"),
    [
        ("Dompu", "Bada", "5205011001", "tepat"), ("KEC. DOMPU", "Kel. Bada", "5205011001", "tepat"),
        ("Kecamatan  Dompu", "kelurahan bada.", "5205011001", "tepat"), (None, "Ds. Kareke", "5205012012", "tepat"),
        ("Woja", "Kandai II", "5205051002", "tepat"), (None, "Kandai Dua", "5205051002", "tepat"),
        (None, "Kandai 2", "5205051002", "tepat"), ("Dompu", "Kandai Satu", "5205011006", "tepat"),
        ("Hu'u", "Rasabou", "5205032001", "tepat"),  # "Rasa Bou" in the list; Rasabou is in Bima too
        ("Huu", "Rasa  Bou", "5205032001", "tepat"), ("Kempo", "Taa", "5205022002", "tepat"),  # Ta'a
        ("Dompu", "Bada Kec. Dompu", "5205011001", "tepat"), (None, "Kel Bada Kab. Dompu", "5205011001", "tepat"),
        ("520505", "5205052004", "5205052004", "kode"), ("52.05.05", "52.05.05.2004", "5205052004", "kode"),
        (520505.0, 5205052004.0, "5205052004", "kode"), ("5.20505E+05", "5.205052004E+09", "5205052004", "kode"),
        ("Manggalewa", "Soeka Damai", "5205072005", "ejaan"),  # old spelling: Suka Damai
        ("Hu'u", "Tjempi Djaja", "5205032005", "ejaan"), ("Pajo", "Djamboe", "5205082002", "ejaan"),  # Cempi Jaya, Jambu
        ("Wojaa", "Saneo", "5205052004", "ejaan"), ("Pekat", "Nangamirro", "5205062002", "ejaan"),
        ("Manggelewa", "Soriutu", "5205072001", "ejaan"),
    ],
)  # fmt: skip
def test_dompu_places(wilayah, kecamatan, desa, kode_desa, status):
    row = _row(wilayah, "5205", kecamatan, desa)
    assert (row["kode_desa"], row["kode_kecamatan"], row["status"]) == (kode_desa, kode_desa[:6], status)
    assert pd.isna(row["kandidat"])


@pytest.mark.parametrize(
    ("kecamatan", "desa", "kode_desa", "status"),
    [
        (None, "Beleke", "5201012009", "nama_lama"), ("Narmada", "Kramat Jaya", "5201032015", "nama_lama"),
        (None, "Grimax Indah", "5201032016", "nama_lama"), ("Lingsar", "Batu Kumbang", "5201122002", "nama_lama"),
        ("Gunungsari", "Sesele", "5201092003", "nama_lama"), ("Narmada", "Mekar Sari", "5201032019", "tepat"),
        ("Gunung Sari", "Mekarsari", "5201092012", "tepat"), ("Kuripan", "Kuripan Utara", "5201152003", "tepat"),
        ("Batu Layar", "Batulayar", "5201142001", "tepat"), ("Lembar", "Lembar", "5201132001", "tepat"),
    ],
)  # fmt: skip
def test_lombok_barat_places(wilayah, kecamatan, desa, kode_desa, status):
    row = _row(wilayah, "5201", kecamatan, desa)
    assert (row["kode_desa"], row["status"]) == (kode_desa, status)


def test_a_desa_name_of_two_kecamatan_is_asked_not_chosen(wilayah):
    # Lombok Barat has Mekarsari (Narmada) and Mekar Sari (Gunungsari): written alike by offices
    out = _resolve(wilayah, "5201", None, ["Mekar Sari", "MEKARSARI", "Desa Mekar Sari"])
    assert out["status"].tolist() == ["ambigu"] * 3
    assert out["kode_desa"].isna().all() and out["kode_kecamatan"].isna().all()
    assert out["kandidat"].iloc[0] == ("Desa Mekar Sari, Kec. Gunungsari (5201092012); "
                                       "Desa Mekarsari, Kec. Narmada (5201032019)")


def test_a_kecamatan_typo_between_two_is_settled_by_the_desa(wilayah):
    # Lombok Timur: "Pringgabela" is as near to Pringgabaya as to Pringgasela
    out = _resolve(wilayah, "5203", ["Pringgabela"] * 3, [None, "Pringgasela Selatan", "Pringgabaya Utara"])
    assert out["status"].tolist() == ["ambigu", "ejaan", "ejaan"]
    assert out["kandidat"].iloc[0] == "Kec. Pringgabaya (520308); Kec. Pringgasela (520312)"
    assert out["kode_kecamatan"].tolist()[1:] == ["520312", "520308"]


@pytest.mark.parametrize(
    ("kab", "kecamatan", "desa", "status_kecamatan", "status_desa", "kandidat"),
    [
        ("5205", "Woja", "Kandai III", "tepat", "tidak_dikenal",  # one edit from Kandai II, and no place
         "Kel. Kandai I, Kec. Dompu (5205011006); Kel. Kandai II, Kec. Woja (5205051002)"),
        ("5205", "Kilo", "Bada", "tepat", "tidak_dikenal", "Kel. Bada, Kec. Dompu (5205011001)"),  # another kecamatan
        ("5201", "Gerung", "Kuripan Utara", "tepat", "tidak_dikenal", "Desa Kuripan Utara, Kec. Kuripan (5201152003)"),
        ("5205", "Kab. Dompu", "Bada", "tidak_dikenal", "tepat", None),  # a regency in the kecamatan column
        ("5205", None, "Kec. Woja", None, "tidak_dikenal", None),  # a kecamatan in the desa column
        ("5205", None, "5206022002", None, "tidak_dikenal", "kode 5206022002 bukan kode desa di Kabupaten Dompu"),
        ("5205", None, "Hidirasa", None, "tidak_dikenal", None),  # a desa of Bima, not of Dompu
        ("5205", "Dompu", "5205052004", "tepat", "tidak_dikenal", "Desa Saneo, Kec. Woja (5205052004)"),
        ("5205", None, "Bali", None, "tepat", None),
        ("5205", None, "Bal", None, "tidak_dikenal", None),  # short names: no spelling match (Bada, Bali, Bara)
        ("5205", None, "Dame d", None, "tidak_dikenal", None),
        ("5205", "-", None, "tidak_dikenal", None, None),
    ],
)  # fmt: skip
def test_places_that_are_reported(wilayah, kab, kecamatan, desa, status_kecamatan, status_desa, kandidat):
    row = _row(wilayah, kab, kecamatan, desa)
    assert (row["status_kecamatan"] if pd.notna(row["status_kecamatan"]) else None) == status_kecamatan
    assert (row["status_desa"] if pd.notna(row["status_desa"]) else None) == status_desa
    assert (row["kandidat"] if pd.notna(row["kandidat"]) else None) == kandidat
    if row["status"] not in STATUS_DIKENAL:
        assert pd.isna(row["kode_desa"]) and pd.isna(row["kode_kecamatan"])


def test_only_kecamatan_or_only_desa(wilayah):
    only_kecamatan = wilayah.resolve_names("5205", pd.Series(["Woja", "Pajo", None]), None)
    assert only_kecamatan["kode_kecamatan"].tolist() == ["520505", "520508", pd.NA]
    assert only_kecamatan["kode_desa"].isna().all()
    assert only_kecamatan["status"].tolist() == ["tepat", "tepat", pd.NA]  # nothing written: nothing to say
    with pytest.raises(ValueError):
        wilayah.resolve_names("5205", None, None)
    with pytest.raises(ValueError):
        wilayah.resolve_names("9999", pd.Series(["Woja"]), None)


@pytest.fixture(scope="module")
def contoh(tmp_path_factory) -> Wilayah:
    """A made-up regency 52.99 whose lists changed: a desa renamed (its old name now another desa's), a desa
    moved to a new kecamatan, a kecamatan dissolved."""
    old = ["kode,nama", "52,NUSA TENGGARA BARAT", "52.99,KAB. CONTOH", "52.99.01,Sukamaju", "52.99.02,Lama",
           "52.99.01.2001,Karang Baru", "52.99.01.2002,Pardamean", "52.99.01.2004,Pindah", "52.99.02.2001,Hilang",
           "52.99.01.2005,Sukarame", "52.99.01.2006,Sukarami"]
    new = ["kode,nama", "52,Nusa Tenggara Barat", "52.99,Kabupaten Contoh", "52.99.01,Sukamaju", "52.99.03,Baru Jaya",
           "52.99.01.2001,Karang Baru", "52.99.01.2002,Lawe Perbunga", "52.99.01.2003,Pardamean",
           "52.99.03.2001,Pindah", "52.99.01.2005,Sukarame", "52.99.01.2006,Sukarami"]
    directory = tmp_path_factory.mktemp("wilayah")
    for year, lines in ((2019, old), (2022, old), (2025, new)):
        (directory / f"wilayah_kepmendagri_{year}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Wilayah.from_directory(directory)


@pytest.mark.parametrize(
    ("kecamatan", "desa", "kode_desa", "status"),
    [
        (None, "Lawe Perbunga", "5299012002", "tepat"),
        (None, "Pardamean", None, "ambigu"),  # today's Pardamean, or the old name of Lawe Perbunga
        ("Sukamaju", "Pindah", "5299032001", "nama_lama"),  # listed under Sukamaju before, in Baru Jaya now
        ("Baru Jaya", "Pindah", "5299032001", "tepat"), (None, "5299012004", "5299032001", "nama_lama"),
        (None, "5299022001", None, "tidak_dikenal"),  # Hilang: gone, nothing carries its name
        ("Lama", "Pindah", None, "tidak_dikenal"), ("529902", None, None, "tidak_dikenal"),
        (None, "Sukaram", None, "ambigu"), (None, "Sukarame", "5299012005", "tepat"),
    ],
)  # fmt: skip
def test_changed_lists(contoh, kecamatan, desa, kode_desa, status):
    row = _row(contoh, "5299", kecamatan, desa)
    assert (row["kode_desa"] if pd.notna(row["kode_desa"]) else None, row["status"]) == (kode_desa, status)
    if desa == "Pardamean":
        assert row["kandidat"] == ("Desa Lawe Perbunga, Kec. Sukamaju (5299012002), nama lama Pardamean; "
                                   "Desa Pardamean, Kec. Sukamaju (5299012003)")


NTB_DESA = [(r.kode[:4], r.kode) for r in Wilayah.load().regions()
            if r.level == "desa" and r.is_current and r.kode.startswith("52")]
_PREFIX = ["", "Desa ", "DESA ", "Ds. ", "Kel. ", "Kelurahan ", "Desa/Kel. "]
_CASE = [str, str.upper, str.lower, str.title]


@given(st.sampled_from(NTB_DESA), st.sampled_from(_PREFIX), st.sampled_from(_CASE), st.booleans(),
       st.sampled_from(["", "Kec. ", "KECAMATAN ", "code"]))
def test_every_written_form_of_a_place_resolves_to_it_or_is_asked(wilayah, place, prefix, case, spaced, kec_style):
    kab, kode = place
    name = case(prefix + wilayah.name(kode))
    if spaced:
        name = f"  {name.replace(' ', '  ')} ."
    kecamatan = kode[:6] if kec_style == "code" else case(kec_style + wilayah.name(kode[:6])) if kec_style else None
    row = _row(wilayah, kab, kecamatan, name)
    if row["status"] == "ambigu":  # Mekarsari / Mekar Sari: only without the kecamatan
        assert kecamatan is None and f"({kode})" in row["kandidat"]
    else:  # with a kecamatan code the row is as good as its worse part, the desa name: tepat
        assert (row["kode_desa"], row["kode_kecamatan"], row["status"]) == (kode, kode[:6], "tepat")


@given(st.sampled_from(NTB_DESA), st.integers(0, 40), st.sampled_from("sdit"), st.sampled_from("aeiouknrsx"),
       st.booleans())
def test_a_typo_never_resolves_to_another_place_by_spelling(wilayah, place, at, edit, letter, with_kecamatan):
    kab, kode = place
    name = wilayah.name(kode)
    i = at % len(name)
    typo = {"s": name[:i] + letter + name[i + 1 :], "d": name[:i] + name[i + 1 :], "i": name[:i] + letter + name[i:],
            "t": name[:i] + name[i + 1 : i + 2] + name[i : i + 1] + name[i + 2 :]}[edit]
    row = _row(wilayah, kab, wilayah.name(kode[:6]) if with_kecamatan else None, typo)
    if pd.notna(row["kode_desa"]) and row["kode_desa"] != kode:
        assert row["status"] in ("tepat", "nama_lama"), (typo, row)  # the typo spells another place exactly


_CELLS = st.one_of(st.none(), st.text(max_size=20), st.integers(), st.floats(),
                   st.sampled_from(["Dompu", "Kec. Woja", "Bada", "Kandai I", "520505", "5205052004", "Mekarsari"]))


@given(st.sampled_from(["5205", "5201", "52.01"]), st.lists(st.tuples(_CELLS, _CELLS), max_size=12))
def test_wild_cells_never_raise_and_codes_agree_with_status(wilayah, kab, cells):
    out = _resolve(wilayah, kab, [k for k, _ in cells], [d for _, d in cells])
    assert len(out) == len(cells)
    assert out["status"].dropna().isin(STATUS_NAMA).all()
    known = out["status"].isin(STATUS_DIKENAL).fillna(False).astype(bool)
    assert out.loc[~known, ["kode_kecamatan", "kode_desa"]].isna().all().all()
    kab = normalise_kode(kab)
    for kecamatan, desa in out.loc[known, ["kode_kecamatan", "kode_desa"]].itertuples(index=False):
        assert kecamatan.startswith(kab) and wilayah.exists(kecamatan)
        assert pd.isna(desa) or (desa[:6] == kecamatan and wilayah.exists(desa))
    # the codes it gives resolve to themselves
    again = wilayah.resolve_names(kab, out["kode_kecamatan"][known], out["kode_desa"][known])
    assert (again["status"] == "kode").all()
    assert again["kode_desa"].equals(out["kode_desa"][known]) or again.empty


def test_each_distinct_pair_is_resolved_once(wilayah, monkeypatch):
    calls = []
    original = wilayah_module._Resolver.pair

    def counting(self, kecamatan, desa):
        calls.append((kecamatan, desa))
        return original(self, kecamatan, desa)

    monkeypatch.setattr(wilayah_module._Resolver, "pair", counting)
    kecamatan = pd.Series(["Woja", "Woja", "Dompu", None] * 5000)
    desa = pd.Series(["Saneo", "Saneo", "Bada", "Bali"] * 5000)
    out = wilayah.resolve_names("5205", kecamatan, desa)
    assert len(calls) == 3 and len(out) == 20000
    assert out["kode_desa"].value_counts().to_dict() == {"5205052004": 10000, "5205011001": 5000, "5205011002": 5000}
