"""Suppression depends on the figures only: never on the order of the rows or of the tables.

A replay of the same data (`satudata rebuild`) reads the exact indicators in another physical order. When the
greedy secondary suppression broke ties by position, the same figures hid different cells (Kota Mataram, PKH:
`penerima_layak`, `kesalahan_eksklusi`, `kesalahan_inklusi` published in the demo, suppressed in its replay),
and a reader holding both releases could subtract one from the other. Here every input table is shuffled, and
the dict of tables too, and the suppressed cells and the published values must come out the same.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from satudata.publish.suppress import KONVERGENSI, Suppressed, recoverable, suppress

# The identity of a row in each table (what a reader names it by), for comparing two results row by row.
KEYS = {
    "konvergensi_desa": ("kode_provinsi", "kode_kab", "kode_kec", "kode_desa"),
    "konvergensi_kecamatan": ("kode_provinsi", "kode_kab", "kode_kec"),
    "konvergensi_kabupaten": ("kode_provinsi", "kode_kab"),
    "konvergensi_provinsi": ("kode_provinsi",),
    "kantong_kemiskinan": ("kode_provinsi", "kode_kab", "kode_kec", "kode_desa"),
    "cakupan_program": ("tingkat", "kode_wilayah", "kode_program"),
    "anggaran_ringkasan": ("tingkat", "pemilik_anggaran", "kode_wilayah"),
    "anggaran_jangkauan": ("tingkat", "pemilik_anggaran", "kode_wilayah", "kode_program"),
}
PROGRAMMES = ("PKH", "BPNT")
_SMALL = st.integers(0, 9)  # small values: many ties, many small cells


def _konvergensi(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame([{c: 0 for c in KONVERGENSI.counts} | row for row in rows])
    for percent in KONVERGENSI.percents:
        frame[percent] = 50.0
    return frame


def _sum_up(desa: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    summed = desa.groupby(keys, as_index=False)[list(KONVERGENSI.counts)].sum()
    return _konvergensi(summed.to_dict("records"))


@st.composite
def provinces(draw) -> dict[str, pd.DataFrame]:
    """A province of 1-3 regencies, 1-3 kecamatan each, 1-3 desa each, with small random counts in every
    relation suppression knows: within a row, desa to province, between tables, and the province's own budget."""
    desa = []
    for k in range(draw(st.integers(1, 3))):
        kab = f"52{k + 1:02d}"
        for c in range(draw(st.integers(1, 3))):
            kec = f"{kab}{c + 1:02d}"
            for d in range(draw(st.integers(1, 3))):
                covered, uncovered, extra = draw(_SMALL), draw(_SMALL), draw(_SMALL)
                desil1 = covered + uncovered
                desa.append({"kode_provinsi": "52", "kode_kab": kab, "kode_kec": kec, "kode_desa": f"{kec}{d + 1:04d}",
                             "nama_wilayah": f"Desa {kec}{d}", "keluarga_desil1": desil1,
                             "desil1_terintervensi": covered, "desil1_tanpa_program_inti": uncovered,
                             "desil1_tidak_di_dtks": draw(st.integers(0, desil1)), "keluarga_p3ke": desil1 + extra,
                             "keluarga_terdata": desil1 + extra + draw(_SMALL),
                             "lansia_tunggal": draw(_SMALL), "keluarga_penerima": covered + draw(_SMALL)})
    desa = _konvergensi(desa)
    kec = _sum_up(desa, ["kode_provinsi", "kode_kab", "kode_kec"])
    kab = _sum_up(desa, ["kode_provinsi", "kode_kab"])
    prov = _sum_up(desa, ["kode_provinsi"])
    pockets = desa[["kode_provinsi", "kode_kab", "kode_kec", "kode_desa", "keluarga_desil1",
                    "desil1_tanpa_program_inti"]].assign(persen_tanpa_program_inti=50.0, kantong=True)
    pockets["peringkat_provinsi"] = range(1, len(pockets) + 1)
    pockets["peringkat_kabupaten"] = pockets.groupby("kode_kab").cumcount() + 1

    coverage = []
    for code in kab["kode_kab"]:
        for programme in PROGRAMMES:
            layak, eksklusi, inklusi = draw(_SMALL), draw(_SMALL), draw(_SMALL)
            coverage.append({"tingkat": "kabupaten", "kode_wilayah": code, "kode_program": programme,
                             "sasaran_layak": layak + eksklusi, "penerima": layak + inklusi, "penerima_layak": layak,
                             "kesalahan_eksklusi": eksklusi, "kesalahan_inklusi": inklusi,
                             "penerima_tidak_ditemukan": draw(_SMALL), "persen_cakupan": 50.0, "persen_inklusi": 5.0})
    coverage = pd.DataFrame(coverage)
    counts = ["sasaran_layak", "penerima", "penerima_layak", "kesalahan_eksklusi", "kesalahan_inklusi",
              "penerima_tidak_ditemukan"]
    province_rows = coverage.groupby("kode_program", as_index=False)[counts].sum().assign(
        tingkat="provinsi", kode_wilayah="52", persen_cakupan=50.0, persen_inklusi=5.0)
    coverage = pd.concat([coverage, province_rows], ignore_index=True)

    summary = [{"tingkat": "kabupaten", "pemilik_anggaran": "kabupaten", "kode_wilayah": row.kode_kab,
                "keluarga_desil1": row.keluarga_desil1,
                "keluarga_desil1_di_kantong": draw(st.integers(0, int(row.keluarga_desil1)))}
               for row in kab.itertuples()]
    total = {"keluarga_desil1": int(prov.loc[0, "keluarga_desil1"]),
             "keluarga_desil1_di_kantong": sum(r["keluarga_desil1_di_kantong"] for r in summary)}
    summary += [{"tingkat": "provinsi", "pemilik_anggaran": owner, "kode_wilayah": "52", **total}
                for owner in ("kabupaten", "provinsi")]
    summary = pd.DataFrame(summary).assign(pagu=1_000_000.0, persen_desil1_di_kantong=10.0)

    reach = []
    for programme in PROGRAMMES:
        funded = [code for code in kab["kode_kab"] if draw(st.booleans())]
        rows = [("kabupaten", "kabupaten", code, draw(_SMALL) + 3, draw(_SMALL)) for code in funded]
        if rows:
            rows.append(("provinsi", "kabupaten", "52", sum(r[3] for r in rows), sum(r[4] for r in rows)))
        own = draw(st.integers(0, 4))  # the province's own programme reaches a few more families
        rows.append(("provinsi", "provinsi", "52", sum(r[3] for r in rows if r[0] == "kabupaten") + own,
                     sum(r[4] for r in rows if r[0] == "kabupaten")))
        reach += [{"tingkat": t, "pemilik_anggaran": p, "kode_wilayah": w, "kode_program": programme, "pagu": 5e5,
                   "keluarga_terjangkau": max(f, d), "keluarga_desil1_terjangkau": d, "persen_desil1": 50.0,
                   "rupiah_per_keluarga_desil1": 1000.0} for t, p, w, f, d in rows]
    return {"konvergensi_desa": desa, "konvergensi_kecamatan": kec, "konvergensi_kabupaten": kab,
            "konvergensi_provinsi": prov, "kantong_kemiskinan": pockets, "cakupan_program": coverage,
            "anggaran_ringkasan": summary, "anggaran_jangkauan": pd.DataFrame(reach)}


def _by_key(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(KEYS[name]), kind="stable").reset_index(drop=True)


def _outcome(result: Suppressed) -> dict[str, pd.DataFrame]:
    """Each table as published (values, `sel_disensor`) beside its mask, rows in key order."""
    out = {}
    for name, published in result.tables.items():
        mask = result.masks[name].add_prefix("disensor_")
        out[name] = _by_key(name, pd.concat([published.reset_index(drop=True), mask], axis=1))
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(provinces(), st.integers(3, 6), st.data())
def test_the_same_figures_are_suppressed_alike_whatever_the_order(tables, minimum, data):
    first = suppress(tables, minimum)
    reference = _outcome(first)
    names = data.draw(st.permutations(sorted(tables)), label="table order")
    shuffled = {}
    for name in names:
        order = data.draw(st.permutations(range(len(tables[name]))), label=f"rows of {name}")
        shuffled[name] = tables[name].iloc[list(order)]
    second = suppress(shuffled, minimum)
    again = _outcome(second)
    assert set(again) == set(reference)
    for name, frame in reference.items():
        pd.testing.assert_frame_equal(again[name], frame, obj=name)
    assert (second.primary, second.secondary, second.cells()) == (first.primary, first.secondary, first.cells())
    assert recoverable(second.tables, minimum) == []


def test_ties_are_broken_by_key_not_by_position():
    """Two sibling regencies with the same count: the one with the lower code goes with the small one, in
    either order of the rows (the Mataram case: ties between equal cells decided by row position)."""
    rows = [("5201", 3), ("5271", 8), ("5272", 8)]
    kab = _konvergensi([{"kode_provinsi": "52", "kode_kab": k, "desil1_tidak_di_dtks": v} for k, v in rows])
    prov = _konvergensi([{"kode_provinsi": "52", "desil1_tidak_di_dtks": 19}])
    for frame in (kab, kab.iloc[::-1]):
        result = suppress({"konvergensi_provinsi": prov, "konvergensi_kabupaten": frame}, 5)
        got = result.tables["konvergensi_kabupaten"].set_index("kode_kab")["desil1_tidak_di_dtks"]
        assert got.isna().to_dict() == {"5201": True, "5271": True, "5272": False}


def _shuffled(tables: dict[str, pd.DataFrame], data, label: str) -> dict[str, pd.DataFrame]:
    out = {}
    for name in data.draw(st.permutations(sorted(tables)), label=f"{label}: table order"):
        order = data.draw(st.permutations(range(len(tables[name]))), label=f"{label}: rows of {name}")
        out[name] = tables[name].iloc[list(order)]
    return out


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(provinces(), provinces(), st.integers(3, 6), st.data())
def test_a_later_release_hides_what_the_earlier_hid_whatever_the_order(earlier, later, minimum, data):
    """Any earlier release of the period (figures drawn apart: some rows match by key, some do not): every cell it
    hid is hidden again, the new release leaks nothing by itself, and the order of the rows of either, and of
    their tables, changes nothing."""
    previous = suppress(earlier, minimum).tables
    first = suppress(later, minimum, previous)
    second = suppress(_shuffled(later, data, "new"), minimum, _shuffled(previous, data, "previous"))
    reference, again = _outcome(first), _outcome(second)
    for name, frame in reference.items():
        pd.testing.assert_frame_equal(again[name], frame, obj=name)
    assert recoverable(first.tables, minimum) == []
    for name, old in previous.items():
        keys = list(KEYS[name])
        new = first.tables[name].merge(old[[*keys, "sel_disensor"]], on=keys, how="inner", suffixes=("", "_lama"))
        for now, before in zip(new["sel_disensor"], new["sel_disensor_lama"], strict=True):
            assert set((before or "").split(",")) - {""} <= set((now or "").split(",")), (name, before, now)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(provinces(), st.data())
def test_what_publication_makes_of_the_suppressed_tables_does_not_depend_on_the_order(tables, data):
    """The fingerprint that decides "identical figures make no new version", the re-ranked poverty pockets, and
    the rows' order in mart (key order) are the same for the same figures in any order."""
    from satudata.publish.publication import _fingerprint, _suppressed
    from satudata.publish.suppress import canonical_order

    first = _suppressed(tables, 5)
    second = _suppressed(_shuffled(tables, data, "exact"), 5)
    assert _fingerprint(first.tables, 5) == _fingerprint(second.tables, 5)
    assert _fingerprint(first.tables, 5) != _fingerprint(first.tables, 4)
    for name, frame in first.tables.items():
        other = second.tables[name]
        pd.testing.assert_frame_equal(frame.iloc[canonical_order(name, frame)].reset_index(drop=True),
                                      other.iloc[canonical_order(name, other)].reset_index(drop=True), obj=name)
    pockets = first.tables["kantong_kemiskinan"]
    assert sorted(pockets["peringkat_provinsi"]) == list(range(1, len(pockets) + 1))
