"""The linker's parts on small frames: one-to-one resolution, family keys and family links, the model file,
and the pairs that must never link (real Splink on DuckDB, the committed model)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from satudata.linkage.families import dtks_family_keys, link_families
from satudata.linkage.link import LinkOptions, exact_nik_candidates, link_people, one_to_one
from satudata.linkage.lookup import isin
from satudata.linkage.model import COMPARISONS, MODEL_FORMAT, apply_floors, load_model, model_path
from satudata.linkage.records import prepare_people

from tests.builders import nik


def people(rows: list[dict], prefix: str) -> pd.DataFrame:
    return prepare_people(pd.DataFrame(rows), id_prefix=prefix)


def person(id_: str, nama: str, tanggal: str, sex: str = "L", nik_: str | None = None, kk: str | None = None,
           desa: str = "5205011001") -> dict:
    return {"id": id_, "nik": nik_, "no_kk": kk, "nama": nama, "tanggal_lahir": tanggal, "jenis_kelamin": sex,
            "kode_desa": desa, "alamat": "Dusun Satu"}


@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6), st.floats(0.01, 1.0)), max_size=40))
@settings(max_examples=200, deadline=None)
def test_one_to_one_keeps_each_id_once_and_mutual_bests(triples):
    frame = pd.DataFrame([{"unique_id_l": f"l{a}", "unique_id_r": f"r{b}", "match_probability": p}
                          for a, b, p in triples]).drop_duplicates(["unique_id_l", "unique_id_r"])
    if frame.empty:
        return
    kept = one_to_one(frame)
    assert not kept["unique_id_l"].duplicated().any() and not kept["unique_id_r"].duplicated().any()
    # The single best pair overall is always kept.
    top = frame.sort_values(["match_probability", "unique_id_l", "unique_id_r"], ascending=[False, True, True]).iloc[0]
    assert ((kept["unique_id_l"] == top["unique_id_l"]) & (kept["unique_id_r"] == top["unique_id_r"])).any()
    # Maximal: no dropped pair has both of its ids free.
    free = frame[~frame["unique_id_l"].isin(kept["unique_id_l"]) & ~frame["unique_id_r"].isin(kept["unique_id_r"])]
    assert free.empty


def test_dtks_family_keys_repair_missing_and_rounded_kk():
    rows = pd.DataFrame({
        "baris": [2, 3, 4, 5, 6, 7],
        "no_kk": ["5205010101200017", None, "5205010101200010", "5205010101200021", None, "5205010101200021"],
        "kode_desa": ["5205011001"] * 4 + ["5205011002", "5205011001"],
        "hubungan_keluarga": ["Kepala Keluarga", "Istri", "Anak", "Kepala Keluarga", "Kepala Keluarga", "Anak"],
    })
    keys = dtks_family_keys(rows).tolist()
    assert keys[:3] == ["5205010101200017"] * 3  # missing KK of a wife; Excel-rounded KK of a child
    assert keys[3] == keys[5] == "5205010101200021"
    assert keys[4] == "baris-6"  # a head without KK in another desa is a family of its own


def _family_keys_row_by_row(rows: pd.DataFrame) -> list[str]:
    """The rule of `dtks_family_keys` for rows without a KK, one row after the other (the reference)."""
    values, out = rows["no_kk"].tolist(), []
    for i, kk in enumerate(values):
        if isinstance(kk, str):
            out.append(kk)
        elif i and rows["hubungan_keluarga"].iat[i] != "Kepala Keluarga" \
                and rows["kode_desa"].iat[i] == rows["kode_desa"].iat[i - 1]:
            out.append(out[-1])
        else:
            out.append(f"baris-{rows['baris'].iat[i]}")
    return out


@given(st.lists(st.tuples(st.sampled_from(["5205010101200017", "5205010101200021", None]),
                          st.sampled_from(["5205011001", "5205011002"]),
                          st.sampled_from(["Kepala Keluarga", "Anak"])), min_size=1, max_size=30))
@settings(max_examples=200, deadline=None)
def test_rows_without_kk_follow_the_row_above_as_one_pass_down_the_file(triples):
    rows = pd.DataFrame(triples, columns=["no_kk", "kode_desa", "hubungan_keluarga"]).assign(
        baris=lambda f: range(2, len(f) + 2))
    assert dtks_family_keys(rows).tolist() == _family_keys_row_by_row(rows)


def _unrounded_by_replace(rows: pd.DataFrame) -> list:
    """The Excel-rounding repair as first written (a dict of fixes applied with `Series.replace`): the reference
    for rows that all carry a KK."""
    kk, desa = rows["no_kk"].astype("string"), rows["kode_desa"].astype("string")
    counts = kk.value_counts()
    lonely = set(counts.index[(counts.to_numpy() == 1) & counts.index.str.endswith("0")])
    number = pd.to_numeric(kk, errors="coerce").astype("float64")
    mapping: dict[str, str] = {}
    for shift in (1, -1):
        neighbour = kk.shift(shift)
        close = (kk.isin(lonely).to_numpy() & neighbour.notna().to_numpy() & kk.ne(neighbour).fillna(False).to_numpy()
                 & (number - number.shift(shift)).abs().le(10).fillna(False).to_numpy()
                 & desa.eq(desa.shift(shift)).fillna(False).astype(bool).to_numpy())
        for i in np.flatnonzero(close):
            mapping.setdefault(kk.iloc[i], neighbour.iloc[i])
    return kk.replace(mapping).tolist() if mapping else kk.tolist()


@given(st.lists(st.tuples(st.sampled_from(["5205010101200010", "5205010101200017", "5205010101200009",
                                           "5205010101200030", "5205010101200021", "5205010101200038"]),
                          st.sampled_from(["5205011001", "5205011002"])), min_size=1, max_size=40))
@settings(max_examples=300, deadline=None)
def test_excel_rounded_kk_is_repaired_as_the_dict_of_fixes_did(pairs):
    rows = pd.DataFrame(pairs, columns=["no_kk", "kode_desa"]).assign(
        hubungan_keluarga="Anak", baris=lambda f: range(2, len(f) + 2))
    assert dtks_family_keys(rows).tolist() == _unrounded_by_replace(rows)


@given(st.lists(st.sampled_from(["a", "b", "c", None]), max_size=20),
       st.lists(st.sampled_from(["a", "c", "d", None]), max_size=20))
@settings(max_examples=200, deadline=None)
def test_isin_answers_as_pandas_does_on_arrow_text(values, among):
    column = pd.Series(values, dtype="str")
    expected = column.isin(among).to_numpy()
    for other in (among, pd.Series(among, dtype="str"), pd.Series(among, dtype=object), set(among)):
        assert isin(column, other).tolist() == expected.tolist()
    assert isin(pd.Series(values, dtype=object), among).tolist() == pd.Series(values, dtype=object).isin(among).tolist()


def test_families_link_through_members_one_to_one_then_by_kk():
    members = pd.DataFrame({"keluarga_l": ["d1", "d1", "d1", "d2"], "keluarga_r": ["p1", "p1", "p2", "p2"],
                            "kepala": [True, False, False, True]})
    kk_l = pd.DataFrame({"keluarga": ["d1", "d2", "d3"], "no_kk": ["A", "B", "C"]})
    kk_r = pd.DataFrame({"keluarga": ["p1", "p2", "p3"], "no_kk": ["X", "Y", "C"]})
    linked = link_families(members, kk_l, kk_r).set_index("keluarga_l")
    assert linked.loc["d1", "keluarga_r"] == "p1" and linked.loc["d1", "anggota_terpadan"] == 2
    assert linked.loc["d2", "keluarga_r"] == "p2"
    assert linked.loc["d3", ["keluarga_r", "match_method"]].tolist() == ["p3", "kk"]


def test_the_committed_model_is_versioned_and_complete():
    payload = json.loads(model_path().read_text(encoding="utf-8"))
    assert payload["format"] == MODEL_FORMAT and payload["version"] and payload["trained_on"]["regencies"]
    model = load_model()
    assert [c["output_column_name"] for c in model.settings["comparisons"]] == [
        c["output_column_name"] for c in COMPARISONS]
    for comparison in model.settings["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        assert all(lv["m_probability"] > 0 and lv["u_probability"] > 0 for lv in levels), comparison["output_column_name"]
        assert sum(lv["m_probability"] for lv in levels) == pytest.approx(1.0)
        assert sum(lv["u_probability"] for lv in levels) == pytest.approx(1.0)
    # Re-applying the floors changes nothing: the file holds the floored model.
    def parameters(settings_: dict) -> list[float]:
        return [lv.get(k, 0.0) for c in settings_["comparisons"] for lv in c["comparison_levels"]
                for k in ("m_probability", "u_probability")]

    assert parameters(apply_floors(model.settings)) == pytest.approx(parameters(model.settings))


def test_a_nik_shared_inside_one_list_is_not_trusted_alone():
    shared = nik(1, 2, 1980, 5, False)
    left = people([person("a", "Ahmad", "1980-02-01", nik_=shared), person("b", "Abdul Gani", "1975-03-03",
                                                                            nik_=shared)], "l:")
    right = people([person("x", "Ahmad", "1980-02-01", nik_=shared)], "r:")
    assert exact_nik_candidates(left, right).empty
    result = link_people(left, right)
    assert set(zip(result.links["unique_id_l"], result.links["unique_id_r"], strict=True)) == {("l:a", "r:x")}
    assert result.links["match_method"].tolist() == ["probabilistic"]


def test_twins_of_one_family_without_nik_are_not_crossed():
    kk = "5205010101200099"
    left = people([person("hasan", "Hasan", "2005-05-01", kk=kk), person("zul", "Muhammad Ali", "2012-02-14", kk=kk)],
                  "l:")
    right = people([person("husen", "Husen", "2005-05-01", kk=kk), person("zk", "Zulkifli", "2012-02-14", kk=kk)],
                   "r:")
    result = link_people(left, right)
    assert result.links.empty, result.links[["unique_id_l", "unique_id_r", "match_reason"]]


def test_reasons_name_what_agreed_and_thresholds_are_validated():
    left = people([person("a", "Hj. Siti Aminah, S.Pd", "1965-09-09", sex="P", kk="5205010101200001")], "l:")
    right = people([person("b", "St. Aminah", "1965-09-09", sex="P", kk="5205010101200001")], "r:")
    result = link_people(left, right)
    reason = result.links["match_reason"].iloc[0]
    assert "tanggal lahir sama" in reason and "KK sama" in reason and "NIK kosong" in reason
    assert "tempat lahir" not in reason  # a column the lists do not have is not mentioned
    with pytest.raises(ValueError):
        LinkOptions(threshold=0)
    with pytest.raises(ValueError):
        LinkOptions(threshold=0.6, review_from=0.8)


def test_a_pass_across_regencies_never_generates_pairs_within_one():
    """The province pass: pairs inside one regency were compared by that regency's pass. Putting the
    condition in the blocking rules gives the same links as filtering after prediction, from fewer pairs."""
    left = people([
        person("a1", "Lalu Ahmad Fauzi", "05-07-1960", desa="5201011001"),  # moved: in P3KE of 5202
        person("a2", "Baiq Nurhayati", "09-09-1965", "P", desa="5201011001"),  # stays: in P3KE of 5201
        person("a3", "Muhammad Rizki", "12-03-1990", desa="5201011001"),  # only in DTKS
    ], "dtks:")
    right = people([
        person("b1", "Lalu Ahmad Fauzi", "05-07-1960", kk="5202010101200001", desa="5202011001"),
        person("b2", "Baiq Nurhayati", "09-09-1965", "P", desa="5201011001"),
    ], "p3ke:")
    left["kab_berkas"], right["kab_berkas"] = ["5201", "5201", "5201"], ["5202", "5201"]
    kab_of = dict(zip(pd.concat([left["unique_id"], right["unique_id"]]),
                      pd.concat([left["kab_berkas"], right["kab_berkas"]]), strict=True))

    def across(pairs: pd.DataFrame) -> pd.Series:
        return pairs["unique_id_l"].map(kab_of) != pairs["unique_id_r"].map(kab_of)

    filtered = link_people(left, right, pair_filter=across)
    blocked = link_people(left, right, pair_filter=across,
                          only_pairs_where=("kab_berkas", 'l."kab_berkas" <> r."kab_berkas"'))
    pairs = ["unique_id_l", "unique_id_r", "match_method", "match_probability"]
    assert blocked.links[pairs].reset_index(drop=True).equals(filtered.links[pairs].reset_index(drop=True))
    assert set(zip(blocked.links["unique_id_l"], blocked.links["unique_id_r"], strict=True)) == {("dtks:a1", "p3ke:b1")}
    # The within-regency pair (a2, b2), identical in every field, was compared only without the condition.
    assert blocked.stats["comparisons"] < filtered.stats["comparisons"]
