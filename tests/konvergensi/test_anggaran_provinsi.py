"""The province's own APBD beside its regencies', on a hand-made province, on DuckDB and PostgreSQL.

Province 52 holds the hand-made regencies of `test_run` (5205: K1, K2, K3 desil 1, K4 desil 3; 5206: K7 desil 1).
5205 sends its budget recap (`test_anggaran._staged_budget`: pagu 5.5 M); 5206 sends none. The province sends its
own (staged as intake stages a file of `inbox/52/anggaran/`: `kode_kab = '52'`), period 2024-11:

| line (OPD)   | sub-activity                                | pagu       | realisation to November     | kind, programme               | where                              |
|--------------|---------------------------------------------|------------|-----------------------------|-------------------------------|------------------------------------|
| Dinsos prov. | Penyaluran Bantuan Sosial JPS Gemilang      | 7,200,000  | 11 months x 600,000 = 6.6 M | intervensi_langsung, JPS_GEMILANG (rule) | follows its recipients      |
| Perkim prov. | Rehabilitasi Rumah Tidak Layak Huni         | 1.2 M + 0.8 M | 1.0 M + 0.6 M to date    | intervensi_langsung, RTLH     | desa 5205011003 (0.6), 5206011001 (0.4) |
| Bappeda prov.| Koordinasi Penanggulangan Kemiskinan Daerah | 800,000    | 400,000 to date             | penunjang                     | -                                  |

JPS Gemilang's lists: K1 and K4 in 5205, K7 in 5206: three families across two regencies, two in desil 1, so
6.6 M / 2 = 3.3 M per desil-1 family. Its 6.6 M follows them, 2.2 M to each family's desa. Poverty pockets (rules
with a minimum of 1 uncovered desil-1 family): 5205011001 (K2), 5205011002 (K3), 5206011001 (K7).
"""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
from satudata.config import Settings
from satudata.konvergensi.anggaran import classify, parse_budget_rules
from satudata.pipeline import konvergensi

from tests.builders import DESA
from tests.konvergensi.test_anggaran import (
    BAPPEDA,
    DINSOS,
    PERKIM,
    _records,
    _rules_with_override,
    _staged_budget,
)
from tests.konvergensi.test_run import DESA2, KAB, KAB2, KK, PERIODE, N, _frames, _write

PROV = "52"
JPS_LISTS = [  # (programme, person, name, nik, born, desa, kk) and the regency whose list names them
    (("JPS_GEMILANG", "k1_head", "Lalu Ahmad", N["k1_head"], date(1970, 7, 5), DESA[0], KK["K1"]), KAB),
    (("JPS_GEMILANG", "k4_head", "Zainal Abidin", N["k4_head"], date(1975, 6, 6), DESA[2], KK["K4"]), KAB),
    (("JPS_GEMILANG", "k7", "Ni Made Ayu", N["k7"], date(1985, 1, 1), DESA2, KK["K7"]), KAB2),
]
POCKETS = {DESA[0], DESA[1], DESA2}


def _province_budget(periode: str) -> pd.DataFrame:
    base = {"submission_id": 91, "kode_kab": PROV, "periode": periode, "aktif": True, "tahun_anggaran": 2024,
            "nama_skpd": None, "kode_program_apbd": None, "kode_giat": None, "nama_dana": "DAU", "pagu": None,
            "bulan": None, "realisasi_anggaran": None, "realisasi_fisik": None, "kelompok_teks": None,
            "strategi_teks": None, "kode_program": None, "kode_desa": None, "kode_kecamatan": None}
    rtlh = {"lembar": "sub_kegiatan", "kode_skpd": PERKIM, "kode_sub_giat": "1.04.02.2.01.0009",
            "nama_sub_giat": "Rehabilitasi Rumah Tidak Layak Huni"}
    rows = [
        {"baris": 2, "lembar": "sub_kegiatan", "kode_skpd": DINSOS, "kode_sub_giat": "1.06.04.2.01.0003",
         "nama_sub_giat": "Penyaluran Bantuan Sosial JPS Gemilang", "pagu": 7_200_000},
        {**rtlh, "baris": 3, "pagu": 1_200_000, "realisasi_anggaran": 1_000_000, "kode_desa": DESA[2],
         "kode_kecamatan": DESA[2][:6]},
        {**rtlh, "baris": 4, "pagu": 800_000, "realisasi_anggaran": 600_000, "kode_desa": DESA2,
         "kode_kecamatan": DESA2[:6]},
        {"baris": 5, "lembar": "sub_kegiatan", "kode_skpd": BAPPEDA, "kode_sub_giat": "5.01.02.2.01.0001",
         "nama_sub_giat": "Koordinasi Penanggulangan Kemiskinan Daerah", "pagu": 800_000,
         "realisasi_anggaran": 400_000},
        *({"baris": 1 + month, "lembar": "realisasi", "kode_skpd": DINSOS, "kode_sub_giat": "1.06.04.2.01.0003",
           "nama_sub_giat": None, "bulan": month, "realisasi_anggaran": 600_000} for month in range(1, 13)),
    ]
    return pd.DataFrame([{**base, **row} for row in rows]).astype({"bulan": "Int64", "tahun_anggaran": "Int64"})


def _jps_lists(periode: str) -> pd.DataFrame:
    frame = _frames(periode, lists=[entry for entry, _ in JPS_LISTS])["staging.intervensi"]
    return frame.assign(kode_kab=[kab for _, kab in JPS_LISTS], submission_id=[950 + i for i in range(len(JPS_LISTS))])


def _submission(periode: str) -> pd.DataFrame:
    """The province's file in the ledger, as intake records a file of inbox/52/anggaran/."""
    return pd.DataFrame([{
        "submission_id": 91, "file_name": f"anggaran_{PROV}_{periode}.xlsx", "inbox_path": f"{PROV}/anggaran/x.xlsx",
        "archive_path": f"{PROV}/x.xlsx", "sha256": "9" * 64, "size_bytes": 1000, "kode_kab": PROV,
        "jenis": "anggaran", "periode": periode, "received_at": datetime.now(UTC), "status": "accepted",
        "rows_total": 16, "rows_accepted": 16, "rows_rejected": 0, "rows_warning": 0, "attempts": 1}])


@pytest.fixture
def province(tmp_path, warehouse_url, monkeypatch) -> Settings:
    """The regencies, JPS Gemilang's lists in both, and the pockets' minimum lowered to 1 (a copy of the rules)."""
    from satudata.konvergensi.rules import rules_dir

    rules = tmp_path / "rules"
    shutil.copytree(rules_dir(), rules)
    path = rules / "konvergensi_2023.yaml"
    text = path.read_text(encoding="utf-8")
    assert "minimal_keluarga_tanpa_program: 5" in text
    path.write_text(text.replace("minimal_keluarga_tanpa_program: 5", "minimal_keluarga_tanpa_program: 1"),
                    encoding="utf-8")
    monkeypatch.setenv("SATUDATA_RULES_DIR", str(rules))
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=warehouse_url)
    settings.ensure_folders()
    _write(warehouse_url, _frames(PERIODE))
    _write(warehouse_url, {"staging.intervensi": _jps_lists(PERIODE), "staging.anggaran": _staged_budget(PERIODE)})
    return settings


def _with_province_budget(settings: Settings) -> Settings:
    _write(settings.warehouse_url, {"staging.anggaran": _province_budget(PERIODE),
                                    "meta.submission": _submission(PERIODE)})
    return settings


def _own(url: str, table: str) -> list[dict]:
    return _records(url, f"SELECT * FROM core.indikator_{table} WHERE pemilik_anggaran = 'provinsi'")


def test_the_provinces_own_budget_is_set_against_its_reach_in_all_its_regencies(province):
    url = _with_province_budget(province).warehouse_url
    result = konvergensi(PERIODE, province)
    assert result["indikator"]["anggaran"] == {"aturan": "anggaran_2023.yaml", "kabupaten": [KAB], "provinsi": [PROV],
                                               "sub_kegiatan": 6, "tidak_terklasifikasi": 0}
    lines = {r["kode_sub_giat"]: r for r in _records(url, "SELECT * FROM core.anggaran_sub_kegiatan "
                                                          f"WHERE kode_kab = '{PROV}'")}
    assert {r["pemilik_anggaran"] for r in lines.values()} == {"provinsi"}
    jps = lines["1.06.04.2.01.0003"]
    assert (jps["pagu"], jps["realisasi"], jps["kode_program"], jps["aturan_program"]) == (
        7_200_000, 6_600_000, "JPS_GEMILANG", "P-JPS-GEMILANG")
    assert (lines["1.04.02.2.01.0009"]["realisasi"], lines["1.04.02.2.01.0009"]["kode_program"]) == (1_600_000, "RTLH")
    assert lines["5.01.02.2.01.0001"]["jenis_belanja"] == "penunjang"
    located = {r["kode_desa"]: round(r["porsi"], 6) for r in _records(
        url, f"SELECT * FROM core.anggaran_lokasi WHERE kode_kab = '{PROV}'")}
    assert located == {DESA[2]: 0.6, DESA2: 0.4}, "a province line's desa lie in any of its regencies"

    reach = {r["kode_program"]: r for r in _own(url, "anggaran_jangkauan")}
    assert set(reach) == {"JPS_GEMILANG", "RTLH"}
    jps = reach["JPS_GEMILANG"]
    assert (jps["tingkat"], jps["kode_wilayah"], jps["dasar_rupiah"], jps["sumber_desil"]) == (
        "provinsi", PROV, "realisasi", "p3ke")
    # K1 and K4 on 5205's list, K7 on 5206's: three families, K1 and K7 in desil 1
    assert (jps["keluarga_terjangkau"], jps["keluarga_desil1_terjangkau"], jps["persen_desil1"]) == (3, 2, 66.7)
    assert (jps["pagu"], jps["realisasi"], jps["rupiah_per_keluarga_desil1"]) == (7_200_000, 6_600_000, 3_300_000)
    assert (reach["RTLH"]["keluarga_terjangkau"], reach["RTLH"]["pagu"]) == (0, 2_000_000)
    assert pd.isna(reach["RTLH"]["rupiah_per_keluarga_desil1"])
    # the regencies' rows are as before: the province's money is never in them
    regency = {(r["tingkat"], r["kode_program"]): r for r in _records(
        url, "SELECT * FROM core.indikator_anggaran_jangkauan WHERE pemilik_anggaran = 'kabupaten'")}
    assert set(regency) == {("kabupaten", "BLT_DD"), ("kabupaten", "RTLH"), ("provinsi", "BLT_DD"), ("provinsi", "RTLH")}
    assert regency[("provinsi", "RTLH")]["pagu"] == 2_000_000  # 5205's own RTLH line only

    pockets = {r["kode_desa"] for r in _records(url, "SELECT kode_desa FROM core.indikator_kantong_kemiskinan "
                                                     "WHERE kantong")}
    assert pockets == POCKETS
    summary = {(r["tingkat"], r["pemilik_anggaran"], r["kode_wilayah"]): r
               for r in _records(url, "SELECT * FROM core.indikator_anggaran_ringkasan")}
    assert set(summary) == {("kabupaten", "kabupaten", KAB), ("kabupaten", "kabupaten", KAB2),
                            ("provinsi", "kabupaten", PROV), ("provinsi", "provinsi", PROV)}
    own = summary[("provinsi", "provinsi", PROV)]
    assert (own["data_anggaran"], own["dasar_rupiah"], own["jumlah_sub_kegiatan"], own["pagu"], own["realisasi"]) == (
        True, "realisasi", 3, 10_000_000, 8_600_000)
    assert (own["persen_realisasi"], own["pagu_intervensi_langsung"], own["pagu_penunjang"], own["persen_penunjang"]) == (
        86.0, 9_200_000, 800_000, 8.0)
    assert (own["pagu_pemberdayaan"], own["pagu_infrastruktur"], own["sub_kegiatan_realisasi_melebihi_pagu"]) == (0, 0, 0)
    # located: JPS 6.6 M by its families' desa (2.2 M each), RTLH's 1.6 M by the desa its rows name;
    # in pockets: 5205011001 (K1's 2.2 M) and 5206011001 (K7's 2.2 M + RTLH's 0.64 M)
    assert (own["rupiah_berlokasi"], own["rupiah_di_kantong"], own["persen_rupiah_di_kantong"]) == (
        8_200_000, 5_040_000, 61.5)
    assert (own["keluarga_desil1"], own["keluarga_desil1_di_kantong"], own["persen_desil1_di_kantong"]) == (4, 4, 100.0)
    regencies = summary[("provinsi", "kabupaten", PROV)]
    assert (regencies["pagu"], regencies["keluarga_desil1"]) == (5_500_000, 4), "the regencies' sum is unchanged"

    by_opd = {(r["kode_skpd"], r["strategi"], r["jenis_belanja"]): r["pagu"] for r in _own(url, "anggaran")}
    assert by_opd == {(DINSOS, "mengurangi_beban", "intervensi_langsung"): 7_200_000,
                      (PERKIM, "mengurangi_beban", "intervensi_langsung"): 2_000_000,
                      (BAPPEDA, "tidak_terklasifikasi", "penunjang"): 800_000}
    summed = _records(url, "SELECT SUM(pagu) AS pagu FROM core.indikator_anggaran WHERE tingkat = 'provinsi' "
                           "AND pemilik_anggaran = 'kabupaten'")[0]
    assert summed["pagu"] == 5_500_000

    # a re-run for the same period gives the same tables
    tables = ("core.anggaran_sub_kegiatan ORDER BY kode_kab, id_sub_kegiatan",
              "core.anggaran_lokasi ORDER BY kode_kab, kode_desa",
              "core.indikator_anggaran ORDER BY tingkat, pemilik_anggaran, kode_wilayah, kode_skpd, jenis_belanja",
              "core.indikator_anggaran_ringkasan ORDER BY tingkat, pemilik_anggaran, kode_wilayah",
              "core.indikator_anggaran_jangkauan ORDER BY tingkat, pemilik_anggaran, kode_wilayah, kode_program")
    before = [pd.DataFrame(_records(url, f"SELECT * FROM {t}")) for t in tables]
    konvergensi(PERIODE, province)
    for table, frame in zip(tables, before, strict=True):
        pd.testing.assert_frame_equal(pd.DataFrame(_records(url, f"SELECT * FROM {table}")), frame)


def test_a_province_without_its_own_budget_says_so(province):
    url = province.warehouse_url
    result = konvergensi(PERIODE, province)
    assert (result["indikator"]["anggaran"]["kabupaten"], result["indikator"]["anggaran"]["provinsi"]) == ([KAB], [])
    own = _own(url, "anggaran_ringkasan")
    assert len(own) == 1
    own = own[0]
    assert (own["tingkat"], own["kode_wilayah"], own["data_anggaran"], own["keluarga_desil1"]) == (
        "provinsi", PROV, False, 4)
    assert all(pd.isna(own[c]) for c in ("pagu", "realisasi", "persen_penunjang", "rupiah_berlokasi", "dasar_rupiah"))
    assert _own(url, "anggaran") == [] and _own(url, "anggaran_jangkauan") == []
    regencies = _records(url, "SELECT * FROM core.indikator_anggaran_ringkasan WHERE tingkat = 'provinsi' "
                              "AND pemilik_anggaran = 'kabupaten'")
    assert [(r["kode_wilayah"], r["data_anggaran"], r["pagu"]) for r in regencies] == [(PROV, True, 5_500_000)]
    headline = result["indikator"]["provinsi"][PROV]
    assert headline["anggaran"]["pagu"] == 5_500_000 and not headline["anggaran_provinsi"]["data_anggaran"]
    assert headline["jangkauan_anggaran_provinsi"] == []


def test_the_provinces_own_budget_is_published_with_family_counts_suppressed(province):
    from satudata.publish.publication import publish_period
    from satudata.publish.report import write_report
    from satudata.publish.suppress import recoverable

    url = _with_province_budget(province).warehouse_url
    konvergensi(PERIODE, province)
    first = publish_period(province, PERIODE, disetujui_oleh="walidata", cara_persetujuan="cli")
    jps = _records(url, "SELECT * FROM mart.anggaran_jangkauan WHERE pemilik_anggaran = 'provinsi' "
                        "AND kode_program = 'JPS_GEMILANG'")[0]
    # three families, two in desil 1: small cells, and the rupiah per family would give the two back
    assert all(pd.isna(jps[c]) for c in ("keluarga_terjangkau", "keluarga_desil1_terjangkau", "persen_desil1",
                                         "rupiah_per_keluarga_desil1"))
    assert set(jps["sel_disensor"].split(",")) >= {"keluarga_terjangkau", "keluarga_desil1_terjangkau",
                                                    "rupiah_per_keluarga_desil1"}
    assert (jps["pagu"], jps["realisasi"], jps["tingkat"], jps["kode_wilayah"]) == (7_200_000, 6_600_000, "provinsi", PROV)
    rtlh = _records(url, "SELECT * FROM mart.anggaran_jangkauan WHERE pemilik_anggaran = 'provinsi' "
                         "AND kode_program = 'RTLH'")[0]
    assert (rtlh["keluarga_terjangkau"], rtlh["pagu"]) == (0, 2_000_000), "zero says nobody: published"
    own = _records(url, "SELECT * FROM mart.anggaran_ringkasan WHERE pemilik_anggaran = 'provinsi'")[0]
    # amounts are public APBD figures; its 4 desil-1 families are small like the province's everywhere
    assert (own["pagu"], own["realisasi"], own["persen_penunjang"], own["rupiah_di_kantong"]) == (
        10_000_000, 8_600_000, 8.0, 5_040_000)
    assert pd.isna(own["keluarga_desil1"]) and "keluarga_desil1" in own["sel_disensor"]
    assert len(_records(url, "SELECT * FROM mart.anggaran WHERE pemilik_anggaran = 'provinsi'")) == 3

    from satudata.schema import INDICATOR_TABLES

    published = {t: pd.DataFrame(_records(url, f"SELECT * FROM mart.{t}")) for t in INDICATOR_TABLES}
    assert recoverable({t: f for t, f in published.items() if not f.empty}, 5) == []
    again = publish_period(province, PERIODE, disetujui_oleh="walidata", cara_persetujuan="cli")
    assert not again["berubah"] and again["publikasi_id"] == first["publikasi_id"]

    # the forum's report shows the province's own budget beside its regencies'
    name = _records(url, f"SELECT nama FROM core.wilayah WHERE kode = '{PROV}'")[0]["nama"]
    written = write_report(province, PERIODE, province.folder("publikasi") / "laporan")
    text = Path(written["html"]).read_text(encoding="utf-8")
    assert f"Provinsi {name} (APBD provinsi)" in text and f"APBD Prov. {name}" in text
    assert "Rp10,0 jt" in text and "Rp8,6 jt" in text and "JPS_GEMILANG" in text


def test_the_province_settles_its_own_lines_with_a_decision_of_its_own(tmp_path):
    path = _rules_with_override(tmp_path, 'penyesuaian_kabupaten:\n  "52":\n    - {kode_sub_giat: "5.01.02.2.01.0001", '
                                          'jenis_belanja: pemberdayaan, sumber: "Pergub NTB 7/2024"}\n')
    rules = parse_budget_rules(path)
    line = {"kode_skpd": BAPPEDA, "kode_sub_giat": "5.01.02.2.01.0001", "nama_sub_giat": "Koordinasi Penanggulangan",
            "strategi_teks": None, "kelompok_teks": None, "kode_program": None}
    got = classify(pd.DataFrame([{**line, "kode_kab": PROV}, {**line, "kode_kab": KAB}]), rules)
    assert list(got["jenis_belanja"]) == ["pemberdayaan", "penunjang"], "the province's decision binds its lines only"
    assert got["aturan_jenis"].iloc[0] == "penyesuaian_kabupaten.52: Pergub NTB 7/2024"
