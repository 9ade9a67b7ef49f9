"""The model learns from the lists in hand: absent columns weigh nothing, the fit falls back when it must, and
each comparison level made for a damage pattern decides the pairs it was made for (real Splink on DuckDB)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from satudata.linkage.fitting import FitOptions, fit_model, present_comparisons, prior_for
from satudata.linkage.link import LinkOptions, _levels, _score_pairs, link_people
from satudata.linkage.model import load_model, missing_parameters
from satudata.linkage.records import prepare_people, with_address_weights

from tests.builders import nik

FIRST = ["Ahmad", "Budi", "Citra", "Dewi", "Eka", "Fajar", "Gita", "Hadi", "Indah", "Joko", "Kartini", "Lestari",
         "Made", "Nur", "Oki", "Putri", "Rina", "Slamet", "Tuti", "Umar", "Wati", "Yusuf", "Zainal", "Agus", "Bayu"]
LAST = ["Saputra", "Wulandari", "Hidayat", "Kusuma", "Pratama", "Santoso", "Rahmawati", "Setiawan", "Utami",
        "Nugroho", "Lestari", "Siregar", "Harahap", "Simanjuntak", "Wijaya", "Gunawan", "Susanti", "Purnama"]
STREETS = ["Melati", "Kenanga", "Cempaka", "Anggrek", "Mawar", "Flamboyan", "Teratai", "Dahlia", "Kamboja"]


def population(n: int, seed: int = 7) -> pd.DataFrame:
    """`n` distinct people with name, birth date, sex and a street address (no NIK, KK or village code)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        born = pd.Timestamp("1950-01-01") + pd.Timedelta(days=int(rng.integers(0, 25_000)))
        rows.append({"id": f"o{i}", "nama": f"{FIRST[rng.integers(len(FIRST))]} {LAST[rng.integers(len(LAST))]} "
                                            f"{LAST[rng.integers(len(LAST))]}",
                     "tanggal_lahir": born.strftime("%d-%m-%Y"), "jenis_kelamin": "LP"[rng.integers(2)],
                     "alamat": f"Jl. {STREETS[rng.integers(len(STREETS))]} No. {rng.integers(1, 300)} "
                               f"RT {rng.integers(1, 15):03d}/RW {rng.integers(1, 8):03d}"})
    return pd.DataFrame(rows)


def two_lists(n: int = 600, overlap: float = 0.7, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame, set]:
    """Two lists of one population: the right one holds `overlap` of the left's people, a few written
    differently (one letter, a day off), and people of its own."""
    people = population(int(n * 1.6), seed)
    left = people.iloc[:n].reset_index(drop=True)
    shared = left.sample(frac=overlap, random_state=seed).copy()
    typo = shared.sample(frac=0.1, random_state=seed + 1).index
    shared.loc[typo, "nama"] = shared.loc[typo, "nama"].str.replace("a", "e", n=1)
    right = pd.concat([shared, people.iloc[n:]], ignore_index=True)
    right["id"] = "r" + right["id"].astype(str)
    truth = {(f"l:{a}", f"r:r{a}") for a in shared["id"]}
    return (prepare_people(left, id_prefix="l:"), prepare_people(right, id_prefix="r:"), truth)


def test_absent_columns_carry_no_weight_and_recall_holds_without_them():
    left, right, truth = two_lists()
    used, absent = present_comparisons(*with_address_weights(left, right), load_model().settings)
    assert {"nik", "no_kk", "wilayah", "tempat_lahir", "nama_ibu"} <= set(absent)
    assert {"nama", "tanggal_lahir", "jenis_kelamin", "alamat"} <= {c["output_column_name"] for c in used}
    result = link_people(left, right)
    # The model of the run has no comparison for what the lists lack; no reason names them.
    assert not {c["output_column_name"] for c in result.model.settings["comparisons"]} & set(absent)
    # A missing NIK is said ("NIK kosong"); columns that weigh nothing otherwise are not named.
    assert not result.links["match_reason"].str.contains("KK|desa|tempat lahir").any()
    links = set(zip(result.links["unique_id_l"], result.links["unique_id_r"], strict=True))
    assert len(links & truth) / len(truth) >= 0.98 and len(links & truth) / len(links) >= 0.995


def test_an_absent_column_changes_no_pair_weight():
    """The same pair scored with the KK column missing, and with it empty on one side: the same weight."""
    left, right, _ = two_lists(300)
    model = fit_model(left, right, load_model(), options=FitOptions(fit=False))
    with_kk = right.assign(no_kk=None)
    a, b = with_address_weights(left, right)
    a2, b2 = with_address_weights(left, with_kk)
    pairs = pd.DataFrame({"unique_id_l": left["unique_id"][:20], "unique_id_r": right["unique_id"][:20]})
    one = _score_pairs(a, b, pairs, model, 2).sort_values("unique_id_l")["match_weight"].to_numpy()
    two = _score_pairs(a2, b2, pairs, model, 2).sort_values("unique_id_l")["match_weight"].to_numpy()
    assert one == pytest.approx(two)


def test_the_model_is_fitted_to_the_lists_and_kept_with_the_run():
    left, right, truth = two_lists(800)
    result = link_people(left, right)
    fit = result.model.fit
    assert fit["dipasang"] and result.model.version.endswith("+data")
    assert fit["pasangan_acak_u"] > 0 and any(s["dipakai"] for s in fit["sesi_em"])
    # The expected true pairs come from the data: close to the truth (560 shared people).
    assert fit["perkiraan_pasangan_benar"] == pytest.approx(len(truth), rel=0.25)
    assert result.stats["prior"] == pytest.approx(prior_for(result.model, len(left), len(right), 0, 0.5))
    assert json.loads(result.model.to_json())["fit"]["sesi_em"]
    shipped = {(c["output_column_name"], lv["label_for_charts"]): lv["m_probability"]
               for c in load_model().settings["comparisons"] for lv in c["comparison_levels"]
               if not lv.get("is_null_level")}
    fitted = {(c["output_column_name"], lv["label_for_charts"]): lv["m_probability"]
              for c in result.model.settings["comparisons"] for lv in c["comparison_levels"]
              if not lv.get("is_null_level")}
    assert any(abs(fitted[k] - shipped[k]) > 0.01 for k in fitted), "nothing was learned"


def test_small_lists_keep_the_shipped_parameters():
    left, right, _ = two_lists(60)
    model = fit_model(left, right, load_model(), options=FitOptions(min_records=200))
    assert not model.fit["dipasang"] and "terlalu kecil" in model.fit["kembali_ke_model_dasar"][0]
    shipped = {c["output_column_name"]: c for c in load_model().settings["comparisons"]}
    for comparison in model.settings["comparisons"]:
        assert comparison == shipped[comparison["output_column_name"]]
    # No expected pairs from the data: the prior falls back to the residual share.
    assert prior_for(model, len(left), len(right), 0, 0.5) == pytest.approx(0.5 / len(right) if len(right) > len(
        left) else 0.5 / len(left), rel=1e-6)


def test_sessions_that_learn_nothing_are_not_used():
    """Lists that share no one: every EM session finds (next to) no matches and is left out, and the
    comparisons keep the shipped m."""
    people = population(900, seed=11)
    left = prepare_people(people.iloc[:450], id_prefix="l:")
    right = prepare_people(people.iloc[450:], id_prefix="r:")
    model = fit_model(*with_address_weights(left, right), load_model(), options=FitOptions(min_records=100))
    assert all(not s["dipakai"] for s in model.fit["sesi_em"])
    assert any("tidak dipakai" in reason for reason in model.fit["kembali_ke_model_dasar"])


def test_an_implausible_fit_falls_back_to_the_shipped_comparison():
    from satudata.linkage.fitting import _sane

    comparison = json.loads(json.dumps(load_model().settings["comparisons"][1]))  # nama
    assert _sane(comparison)
    levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
    levels[0]["m_probability"] = levels[0]["u_probability"] / 2  # agreeing on the name as evidence against
    assert not _sane(comparison)


def test_the_shipped_model_has_parameters_for_every_level():
    assert missing_parameters(load_model()) == []


# ----------------------------------------------------------------------------------------- damage patterns
def levels_of(pairs: list[tuple[dict, dict]]) -> pd.DataFrame:
    """The level each comparison reached, per pair of records (shipped model, every column present)."""
    base = {"nik": None, "no_kk": None, "nama": "Budi Santoso", "tanggal_lahir": "12-08-1975", "jenis_kelamin": "L",
            "kode_desa": "5205011001", "alamat": "Dusun Sukamaju RT 003/RW 002", "tempat_lahir": "Dompu"}
    left = prepare_people(pd.DataFrame([{**base, **a, "id": str(i)} for i, (a, _) in enumerate(pairs)]), id_prefix="l:")
    right = prepare_people(pd.DataFrame([{**base, **b, "id": str(i)} for i, (_, b) in enumerate(pairs)]),
                           id_prefix="r:")
    left, right = with_address_weights(left, right)
    model = fit_model(left, right, load_model(), options=FitOptions(fit=False))
    ids = pd.DataFrame({"unique_id_l": left["unique_id"], "unique_id_r": right["unique_id"]})
    scored = _score_pairs(left, right, ids, model, 2)
    order = scored["unique_id_l"].str.removeprefix("l:").astype(int).argsort()
    return _levels(scored.iloc[order].reset_index(drop=True), model)


def test_each_damage_pattern_reaches_its_level():
    real = nik(1, 8, 1975, 123, False)
    cases = [
        ("nik", {"nik": real}, {"nik": real[:15] + "0"}, "NIK sama 15 angka pertama (angka terakhir dibulatkan Excel)"),
        ("nik", {"nik": real}, {"nik": real[:6] + real[7] + real[6] + real[8:]},
         "NIK beda satu angka (salah ketik/tertukar), nomor urut sama"),
        ("nama", {"nama": "Hamzah Wulandari"}, {"nama": "Hamzah"}, "nama satu memuat yang lain"),
        ("nama", {"nama": "Hj. Ni Wulandari"}, {"nama": "Ni"}, "nama satu memuat yang lain"),
        ("nama", {"nama": "Muhammad Rizki Ramadhan"}, {"nama": "Rizki"}, "nama satu memuat yang lain"),
        ("nama", {"nama": "Wawan"}, {"nama": "Hermawan Saputra"},
         "nama panggilan atau bentuk pendek (Wawan/Hermawan, Yanti/Suryanti)"),
        ("nama", {"nama": "Yanti"}, {"nama": "Suryanti Wulandari"},
         "nama panggilan atau bentuk pendek (Wawan/Hermawan, Yanti/Suryanti)"),
        ("nama", {"nama": "Budi"}, {"nama": "Budiman Harahap"}, "nama panggilan atau bentuk pendek (Wawan/Hermawan, Yanti/Suryanti)"),
        ("tanggal_lahir", {"tanggal_lahir": "12-08-1975"}, {"tanggal_lahir": "08-12-1975"},
         "tanggal lahir sama tetapi hari dan bulan tertukar"),
        ("tanggal_lahir", {"tanggal_lahir": "12-08-1975"}, {"tanggal_lahir": "09-08-1975"},
         "tanggal lahir selisih seminggu atau kurang"),
        ("tanggal_lahir", {"tanggal_lahir": "12-08-1975"}, {"tanggal_lahir": "12-08-1957"},
         "tanggal lahir beda satu angka (salah ketik/tertukar)"),
        ("tanggal_lahir", {"tanggal_lahir": "12-08-1975"}, {"tanggal_lahir": "01-07-1975"},
         "tahun lahir sama, satu tanggal pengganti"),
        ("tanggal_lahir", {"tanggal_lahir": "01-07-1975"}, {"tanggal_lahir": "01-07-1975"},
         "tanggal lahir sama (tanggal pengganti)"),
        ("alamat", {"alamat": "Dusun Sukamaju RT 003/RW 002"}, {"alamat": "Dsn. Sukamaju RT.3 RW.2"}, "alamat sama"),
        ("rt_rw", {"alamat": "Dusun Sukamaju RT 003/RW 002"}, {"alamat": "Dsn. Sukamaju RT.3 RW.2"}, "RT/RW sama"),
        ("alamat", {"alamat": "Jl. Pahlawan No. 12 Kel. Dasan Agung"},
         {"alamat": "Jalan Pahlawan 12, Dasan Agung Baru"}, "alamat sangat mirip"),
    ]
    reached = levels_of([(a, b) for _, a, b, _ in cases])
    for i, (comparison, a, b, expected) in enumerate(cases):
        assert reached.loc[i, comparison] == expected, (a, b, reached.loc[i].to_dict())


def test_in_another_village_the_address_is_not_counted_again():
    reached = levels_of([({"kode_desa": "5205011001"}, {"kode_desa": "5205022002", "alamat": "Dusun Lain RT 009"})])
    assert reached.loc[0, "wilayah"] == "kecamatan beda, kabupaten sama"
    assert pd.isna(reached.loc[0, "alamat"]) and pd.isna(reached.loc[0, "rt_rw"])


def test_the_province_pass_takes_the_shipped_model():
    left, right, _ = two_lists(300)
    result = link_people(left, right, options=LinkOptions(fit=FitOptions(fit=False)))
    assert not result.model.fit["dipasang"] and result.model.version == load_model().version


def test_a_column_both_lists_carry_is_used_and_decides():
    """The mother's name: no registry stages it, but two lists that carry it are compared on it."""
    reached = levels_of([({"nama_ibu_kandung": "Siti Hajar"}, {"nama_ibu_kandung": "Siti Hajar"}),
                         ({"nama_ibu_kandung": "Siti Hajar"}, {"nama_ibu_kandung": "Kartini"})])
    assert reached["nama_ibu"].tolist() == ["nama ibu sama", "nama ibu beda"]
    assert "nama_ibu" not in levels_of([({}, {})]).columns


def test_levels_no_match_reaches_are_held_at_their_floor():
    """Clean lists (no typo; NIK and KK written alike on both sides): among the pairs of one birth date no match
    differs on NIK, name or KK, so EM drives the m of those levels below what a float holds, and Splink refuses
    the session ("m_probability value 0.0 is below the minimum"). Those levels are held at their floor
    (`model.M_FLOORS`: an error these data never show stays possible) and the session is used."""
    from satudata.linkage.model import M_FLOORS

    people = population(960, seed=7)
    born = pd.to_datetime(people["tanggal_lahir"], format="%d-%m-%Y")
    people["nik"] = [nik(d.day, d.month, d.year, i + 1, sex == "P")
                     for i, (d, sex) in enumerate(zip(born, people["jenis_kelamin"], strict=True))]
    people["no_kk"] = [f"5205010101{i // 4:06d}" for i in range(len(people))]
    left = people.iloc[:600].reset_index(drop=True)
    right = pd.concat([left.sample(frac=0.7, random_state=7), people.iloc[600:]], ignore_index=True)
    right["id"] = "r" + right["id"].astype(str)
    model = fit_model(*with_address_weights(prepare_people(left, id_prefix="l:"), prepare_people(right, id_prefix="r:")),
                      load_model())
    session = next(s for s in model.fit["sesi_em"] if "tanggal_lahir" in s["aturan"])
    assert session["dipakai"], session["alasan"]
    assert "nama: nama beda" in session["m_di_batas_bawah"]
    names = next(c for c in model.settings["comparisons"] if c["output_column_name"] == "nama")
    differ = next(lv for lv in names["comparison_levels"] if lv["label_for_charts"] == "nama beda")
    assert differ["m_probability"] >= M_FLOORS["nama beda"]
