"""Budget classification as data, and staged budget rows turned into lines, on a hand-made regency."""

from __future__ import annotations

import pandas as pd
import pytest
from satudata.config import Settings
from satudata.konvergensi.anggaran import budget_lines, classify, load_budget_rules, parse_budget_rules
from satudata.konvergensi.rules import RuleError

DINSOS, PERKIM, BAPPEDA = "1.06.0.00.0.00.01.0000", "1.04.0.00.0.00.01.0000", "5.01.0.00.0.00.01.0000"


def _line(nama, kode=None, strategi_teks=None, kelompok_teks=None, kode_program=None, kab="5205", skpd=DINSOS):
    return {"kode_kab": kab, "kode_skpd": skpd, "kode_sub_giat": kode, "nama_sub_giat": nama,
            "strategi_teks": strategi_teks, "kelompok_teks": kelompok_teks, "kode_program": kode_program}


@pytest.mark.parametrize("line, strategi, jenis, aturan_jenis", [
    (_line("Pemberian Permakanan bagi Lansia Terlantar", "1.06.04.2.01.0002"),
     "mengurangi_beban", "intervensi_langsung", "J-LANGSUNG-01"),
    # support first, whatever it supports: the Lampung Tengah complaint
    (_line("Koordinasi Pelaksanaan Pemberdayaan Ekonomi Keluarga Miskin", "1.06.04.2.02.0001"),
     "meningkatkan_pendapatan", "penunjang", "J-PENUNJANG-01"),
    (_line("Penyediaan Gaji dan Tunjangan ASN", "1.06.01.2.02.0001"),
     "tidak_terklasifikasi", "penunjang", "J-PENUNJANG-NOMENKLATUR"),
    (_line("Pelatihan Keterampilan Berusaha bagi Keluarga Miskin", "2.07.03.2.01.0004"),
     "meningkatkan_pendapatan", "pemberdayaan", "J-PEMBERDAYAAN-01"),
    (_line("Pembangunan SPAM Jaringan Perpipaan di Kawasan Perdesaan", "1.03.03.2.01.0015"),
     "mengurangi_kantong", "infrastruktur", "J-INFRASTRUKTUR-01"),
    (_line("Perjalanan Dinas Dalam Daerah"), "tidak_terklasifikasi", "penunjang", "J-PENUNJANG-01"),
    (_line("Kegiatan Lain-lain"), "tidak_terklasifikasi", "tidak_terklasifikasi", "tidak ada aturan yang cocok"),
])
def test_each_kind_and_strategy_comes_from_a_named_rule(line, strategi, jenis, aturan_jenis):
    rules = load_budget_rules("2026-11")
    got = classify(pd.DataFrame([line]), rules).iloc[0]
    assert (got["strategi"], got["jenis_belanja"], got["aturan_jenis"]) == (strategi, jenis, aturan_jenis)
    assert rules.berkas == "anggaran_2023.yaml"
    assert all(r.sumber for r in (*rules.jenis, *rules.strategi, *rules.label_sipd, *rules.program))


def test_the_sipd_label_decides_the_strategy_over_the_name():
    rules = load_budget_rules("2026-11")
    got = classify(pd.DataFrame([_line("Pelatihan Keterampilan", strategi_teks="Menurunkan Kantong Kemiskinan")]),
                   rules).iloc[0]
    assert got["strategi"] == "mengurangi_kantong" and got["aturan_strategi"].startswith("LABEL-KANTONG (berkas")
    got = classify(pd.DataFrame([_line("Pelatihan", kelompok_teks="Pengurangan beban pengeluaran")]), rules).iloc[0]
    assert got["strategi"] == "mengurangi_beban"


def test_the_programme_comes_from_the_file_else_from_the_name():
    rules = load_budget_rules("2026-11")
    frame = pd.DataFrame([_line("Rehabilitasi Rumah Tidak Layak Huni"),
                          _line("Bantuan Sosial", kode_program="JPS_GEMILANG"), _line("Bantuan Sosial")])
    got = classify(frame, rules)
    assert list(got["kode_program"].fillna("")) == ["RTLH", "JPS_GEMILANG", ""]
    assert list(got["aturan_program"].fillna("")) == ["P-RTLH", "berkas", ""]


def _rules_with_override(tmp_path, decision: str):
    from satudata.konvergensi.rules import rules_dir

    source = (rules_dir() / "anggaran_2023.yaml").read_text(encoding="utf-8")
    path = tmp_path / "anggaran_2023.yaml"
    path.write_text(source.replace("penyesuaian_kabupaten: {}", decision), encoding="utf-8")
    return path


def test_a_regency_overrides_one_line_and_the_basis_is_kept(tmp_path):
    path = _rules_with_override(tmp_path, 'penyesuaian_kabupaten:\n  "5205":\n    - {kode_sub_giat: "1.06.04.2.02.0001", '
                                          'jenis_belanja: pemberdayaan, sumber: "SK Bupati Dompu 12/2026"}\n')
    rules = parse_budget_rules(path)
    frame = pd.DataFrame([_line("Koordinasi Pemberdayaan", "1.06.04.2.02.0001"),
                          _line("Koordinasi Pemberdayaan", "1.06.04.2.02.0001", kab="5201")])
    got = classify(frame, rules)
    assert list(got["jenis_belanja"]) == ["pemberdayaan", "penunjang"]
    assert got["aturan_jenis"].iloc[0] == "penyesuaian_kabupaten.5205: SK Bupati Dompu 12/2026"


@pytest.mark.parametrize("decision, message", [
    ('penyesuaian_kabupaten:\n  "5205":\n    - {kode_sub_giat: "1.06.04.2.02.0001", jenis_belanja: pemberdayaan}\n',
     "sumber"),
    ('penyesuaian_kabupaten:\n  "5205":\n    - {kode_sub_giat: "1", jenis_belanja: hadiah, sumber: "SK"}\n',
     "jenis_belanja"),
    ('penyesuaian_kabupaten:\n  "5205":\n    - {kode_sub_giat: "1", kode_program: XYZ, sumber: "SK"}\n', "XYZ"),
])
def test_a_rule_file_that_cannot_be_applied_says_where(tmp_path, decision, message):
    with pytest.raises(RuleError, match=message):
        parse_budget_rules(_rules_with_override(tmp_path, decision))


ROWS = [  # the staged rows of a hand-made regency (two regencies: nothing leaks between them)
    # lembar, kab, skpd, sub_giat, nama, dana, pagu, bulan, realisasi, fisik, program, desa, tahun, baris
    ("sub_kegiatan", "5205", DINSOS, "1.06.04.2.01.0002", "Pemberian Permakanan", "DAU", 1_000_000, None, None, None,
     None, None, 2026, 2),
    ("sub_kegiatan", "5205", DINSOS, "1.06.04.2.01.0002", "Pemberian Permakanan", "DAK", 500_000, None, None, None,
     None, None, 2026, 3),
    ("sub_kegiatan", "5205", PERKIM, "1.04.02.2.01.0009", "Rehabilitasi Rumah Tidak Layak Huni", "DAK", 600_000, None,
     700_000, None, None, "5205011001", 2026, 4),
    ("sub_kegiatan", "5205", PERKIM, "1.04.02.2.01.0009", "Rehabilitasi Rumah Tidak Layak Huni", "DAK", 200_000, None,
     100_000, None, None, "5205011002", 2026, 5),
    ("sub_kegiatan", "5205", BAPPEDA, "5.01.02.2.01.0001", "Koordinasi Penanggulangan Kemiskinan", "DAU", 300_000, None,
     None, None, None, None, 2026, 6),
    ("sub_kegiatan", "5205", BAPPEDA, "5.01.02.2.01.0001", "Koordinasi Penanggulangan Kemiskinan", "DAU", 999, None,
     None, None, None, None, 2025, 7),  # last year's row: left out
    ("realisasi", "5205", None, "1.06.04.2.01.0002", None, None, None, 1, 200_000, 10, None, None, None, 2),
    ("realisasi", "5205", DINSOS, "1.06.04.2.01.0002", None, None, None, 11, 300_000, 60, None, None, None, 3),
    ("realisasi", "5205", DINSOS, "1.06.04.2.01.0002", None, None, None, 12, 900_000, 90, None, None, None, 4),
    ("sub_kegiatan", "5201", DINSOS, "1.06.04.2.01.0002", "Pemberian Permakanan", "DAU", 50_000, None, None, None,
     None, None, None, 2),
]
COLUMNS = ["lembar", "kode_kab", "kode_skpd", "kode_sub_giat", "nama_sub_giat", "nama_dana", "pagu", "bulan",
           "realisasi_anggaran", "realisasi_fisik", "kode_program", "kode_desa", "tahun_anggaran", "baris"]


def _rows() -> pd.DataFrame:
    frame = pd.DataFrame(ROWS, columns=COLUMNS)
    for column in ("nama_skpd", "kode_program_apbd", "kode_giat", "kelompok_teks", "strategi_teks"):
        frame[column] = None
    frame["submission_id"] = 7
    return frame


def test_rows_become_one_line_per_opd_and_sub_activity_with_realisation_to_the_month():
    lines, lokasi = budget_lines(_rows(), load_budget_rules("2026-11"), "2026-11")
    got = {(r.kode_kab, r.kode_sub_giat): r for r in lines.itertuples()}
    assert len(lines) == 4
    permakanan = got[("5205", "1.06.04.2.01.0002")]
    # pagu of both funding sources; the month rows to November, the one without OPD found its line
    assert (permakanan.pagu, permakanan.realisasi, permakanan.realisasi_fisik) == (1_500_000, 500_000, 60)
    assert (permakanan.jenis_belanja, permakanan.strategi) == ("intervensi_langsung", "mengurangi_beban")
    rtlh = got[("5205", "1.04.02.2.01.0009")]
    # no month rows: the realisation to date written on its pagu rows
    assert (rtlh.pagu, rtlh.realisasi, rtlh.realisasi_melebihi_pagu) == (800_000, 800_000, False)
    assert (rtlh.kode_program, rtlh.aturan_program, rtlh.baris) == ("RTLH", "P-RTLH", "4,5")
    koordinasi = got[("5205", "5.01.02.2.01.0001")]
    assert (koordinasi.pagu, pd.isna(koordinasi.realisasi), koordinasi.jenis_belanja) == (300_000, True, "penunjang")
    assert got[("5201", "1.06.04.2.01.0002")].pagu == 50_000
    by_desa = {r.kode_desa: round(r.porsi, 6) for r in lokasi.itertuples()}
    assert by_desa == {"5205011001": 0.75, "5205011002": 0.25}


def test_a_line_over_its_pagu_is_flagged():
    rows = _rows()
    rows.loc[rows["bulan"] == 11, "realisasi_anggaran"] = 1_400_000
    lines, _ = budget_lines(rows, load_budget_rules("2026-12"), "2026-12")
    permakanan = lines[lines["kode_sub_giat"].eq("1.06.04.2.01.0002") & lines["kode_kab"].eq("5205")].iloc[0]
    assert (permakanan.realisasi, bool(permakanan.realisasi_melebihi_pagu)) == (2_500_000, True)


# --- budget against reach, through the warehouse, on the hand-made regencies of test_run (both engines) ---

def _staged_budget(periode: str) -> pd.DataFrame:
    """Kabupaten 5205's budget recap; 5206 sent none."""
    from tests.builders import DESA
    from tests.konvergensi.test_run import KAB

    base = {"submission_id": 90, "kode_kab": KAB, "periode": periode, "aktif": True, "tahun_anggaran": 2024,
            "nama_skpd": None, "kode_program_apbd": None, "kode_giat": None, "nama_dana": "DAU", "pagu": None,
            "bulan": None, "realisasi_anggaran": None, "realisasi_fisik": None, "kelompok_teks": None,
            "strategi_teks": None, "kode_program": None, "kode_desa": None, "kode_kecamatan": None}
    rows = [
        {"baris": 2, "lembar": "sub_kegiatan", "kode_skpd": DINSOS, "kode_sub_giat": "1.06.04.2.01.0005",
         "nama_sub_giat": "Penyaluran Bantuan Langsung Tunai bagi Keluarga Miskin", "pagu": 3_000_000,
         "kode_program": "BLT_DD"},
        {"baris": 3, "lembar": "sub_kegiatan", "kode_skpd": PERKIM, "kode_sub_giat": "1.04.02.2.01.0009",
         "nama_sub_giat": "Rehabilitasi Rumah Tidak Layak Huni", "pagu": 2_000_000, "realisasi_anggaran": 1_500_000,
         "kode_desa": DESA[1], "kode_kecamatan": DESA[1][:6]},
        {"baris": 4, "lembar": "sub_kegiatan", "kode_skpd": BAPPEDA, "kode_sub_giat": "5.01.02.2.01.0001",
         "nama_sub_giat": "Koordinasi Penanggulangan Kemiskinan", "pagu": 500_000, "realisasi_anggaran": 500_000},
        *({"baris": 1 + month, "lembar": "realisasi", "kode_skpd": DINSOS, "kode_sub_giat": "1.06.04.2.01.0005",
           "nama_sub_giat": None, "bulan": month, "realisasi_anggaran": 200_000} for month in range(1, 13)),
    ]
    return pd.DataFrame([{**base, **row} for row in rows]).astype({"bulan": "Int64", "tahun_anggaran": "Int64"})


@pytest.fixture
def budget_scenario(tmp_path, warehouse_url):
    from tests.konvergensi.test_run import BEFORE, PERIODE, _frames, _previous_period, _write

    settings = Settings(data_dir=tmp_path / "data", warehouse_url=warehouse_url)
    settings.ensure_folders()
    _write(warehouse_url, _frames(PERIODE))
    _write(warehouse_url, _frames(BEFORE, families=_previous_period(), lists=[]))
    _write(warehouse_url, {"staging.anggaran": _staged_budget(PERIODE)})
    return settings


def _records(url: str, sql: str) -> list[dict]:
    from satudata.warehouse.engine import make_engine, read_frame

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return read_frame(conn, sql).to_dict("records")
    finally:
        engine.dispose()


def test_budget_set_against_reach_gives_the_known_figures(budget_scenario):
    from satudata.pipeline import konvergensi

    from tests.konvergensi.test_run import KAB, KAB2, PERIODE

    url = budget_scenario.warehouse_url
    result = konvergensi(PERIODE, budget_scenario)
    assert result["indikator"]["anggaran"] == {"aturan": "anggaran_2023.yaml", "kabupaten": [KAB], "provinsi": [],
                                               "sub_kegiatan": 3, "tidak_terklasifikasi": 0}
    lines = {r["kode_sub_giat"]: r for r in _records(url, "SELECT * FROM core.anggaran_sub_kegiatan")}
    # months to November only: 11 x 200,000
    assert lines["1.06.04.2.01.0005"]["realisasi"] == 2_200_000
    assert (lines["1.04.02.2.01.0009"]["kode_program"], lines["1.04.02.2.01.0009"]["aturan_program"]) == ("RTLH", "P-RTLH")
    assert lines["5.01.02.2.01.0001"]["aturan_jenis"] == "J-PENUNJANG-01"

    reach = {(r["tingkat"], r["kode_program"]): r for r in _records(url, "SELECT * FROM core.indikator_anggaran_jangkauan")}
    blt = reach[("kabupaten", "BLT_DD")]
    # BLT DD reached K1 (desil 1); the stranger on the list is in no registry
    assert (blt["keluarga_terjangkau"], blt["keluarga_desil1_terjangkau"], blt["persen_desil1"]) == (1, 1, 100.0)
    assert (blt["dasar_rupiah"], blt["rupiah_per_keluarga_desil1"], blt["sumber_desil"]) == ("realisasi", 2_200_000, "p3ke")
    rtlh = reach[("kabupaten", "RTLH")]
    assert (rtlh["keluarga_terjangkau"], rtlh["pagu"]) == (0, 2_000_000) and pd.isna(rtlh["rupiah_per_keluarga_desil1"])
    assert reach[("provinsi", "BLT_DD")]["keluarga_terjangkau"] == 1

    summary = {r["kode_wilayah"]: r for r in _records(url, "SELECT * FROM core.indikator_anggaran_ringkasan "
                                                           "WHERE pemilik_anggaran = 'kabupaten'")}
    kab = summary[KAB]
    assert (kab["data_anggaran"], kab["pagu"], kab["realisasi"], kab["pagu_penunjang"]) == (True, 5_500_000, 4_200_000,
                                                                                             500_000)
    assert (kab["pagu_intervensi_langsung"], kab["persen_penunjang"], kab["persen_realisasi"]) == (5_000_000, 9.1, 76.4)
    # located: RTLH's 1.5 M in its desa, BLT DD's 2.2 M in K1's desa (the family it reached)
    assert kab["rupiah_berlokasi"] == 3_700_000
    pockets = {r["kode_desa"] for r in _records(url, "SELECT kode_desa FROM core.indikator_kantong_kemiskinan "
                                                     f"WHERE kode_kab = '{KAB}' AND kantong")}
    from tests.builders import DESA

    expected = (2_200_000 if DESA[0] in pockets else 0) + (1_500_000 if DESA[1] in pockets else 0)
    assert kab["rupiah_di_kantong"] == expected
    assert not summary[KAB2]["data_anggaran"]
    assert pd.isna(summary[KAB2]["pagu"]) and summary[KAB2]["keluarga_desil1"] == 1
    assert summary["52"]["pagu"] == 5_500_000

    by_kind = {(r["kode_skpd"], r["jenis_belanja"]): r["pagu"] for r in _records(
        url, f"SELECT * FROM core.indikator_anggaran WHERE tingkat = 'kabupaten' AND kode_wilayah = '{KAB}'")}
    assert by_kind == {(DINSOS, "intervensi_langsung"): 3_000_000, (PERKIM, "intervensi_langsung"): 2_000_000,
                       (BAPPEDA, "penunjang"): 500_000}

    # a re-run for the same period gives the same tables
    tables = ("core.anggaran_sub_kegiatan ORDER BY id_sub_kegiatan", "core.anggaran_lokasi ORDER BY kode_desa",
              "core.indikator_anggaran_ringkasan ORDER BY kode_wilayah, pemilik_anggaran",
              "core.indikator_anggaran_jangkauan ORDER BY tingkat, kode_program, pemilik_anggaran, kode_wilayah")
    before = [pd.DataFrame(_records(url, f"SELECT * FROM {t}")) for t in tables]
    konvergensi(PERIODE, budget_scenario)
    for table, frame in zip(tables, before, strict=True):
        pd.testing.assert_frame_equal(pd.DataFrame(_records(url, f"SELECT * FROM {table}")), frame)


def test_the_budget_is_published_with_family_counts_suppressed(budget_scenario):
    from satudata.pipeline import konvergensi
    from satudata.publish.publication import publish_period

    from tests.konvergensi.test_run import KAB, PERIODE

    url = budget_scenario.warehouse_url
    konvergensi(PERIODE, budget_scenario)
    publish_period(budget_scenario, PERIODE, disetujui_oleh="walidata", cara_persetujuan="cli")
    reach = _records(url, f"SELECT * FROM mart.anggaran_jangkauan WHERE kode_wilayah = '{KAB}' "
                          "AND kode_program = 'BLT_DD'")[0]
    # one family reached: below the minimum cell, and the rupiah per family would give it back
    assert pd.isna(reach["keluarga_desil1_terjangkau"]) and pd.isna(reach["rupiah_per_keluarga_desil1"])
    assert reach["pagu"] == 3_000_000 and "keluarga_desil1_terjangkau" in reach["sel_disensor"]
    kab = _records(url, f"SELECT * FROM mart.anggaran_ringkasan WHERE kode_wilayah = '{KAB}'")[0]
    assert (kab["pagu"], kab["persen_penunjang"]) == (5_500_000, 9.1)


def test_generated_budgets_are_read_and_classified_as_their_truth_says(tmp_path, warehouse_url):
    """Another hand than ours: the dev generator's budget workbooks (SIPD or office headers, amounts as Excel
    numbers, the programme named or only implied) go through intake and the rules, and every line's kind of
    spending, strategy, programme, pagu and realisation match what the generator meant."""
    import shutil

    from satudata.intake.run import IntakeOptions, ingest_once
    from satudata.warehouse.engine import make_engine, read_frame
    from satudata_dev.generate import generate_province

    out = tmp_path / "gen"
    generate_province(out, province="52", scale=0.002, seed=11, period="2026-11")
    truth = pd.read_csv(out / "truth" / "2026-11" / "anggaran.csv", dtype={"kode_kab": str, "kode_desa": str},
                        keep_default_na=False)
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=warehouse_url)
    settings.ensure_folders()
    styles = truth.groupby("kode_kab")["judul_kolom"].first()
    regencies = [*styles[styles == "sipd"].index[:2], *styles[styles == "kantor"].index[:2]]
    assert len(regencies) == 4  # both ways of naming the columns
    for kab in regencies:
        target = settings.folder("inbox") / kab / "anggaran"
        target.mkdir(parents=True)
        shutil.copy(out / "inbox" / kab / "anggaran" / f"anggaran_{kab}_2026-11.xlsx", target)
    summary = ingest_once(settings, options=IntakeOptions(stable_seconds=0))
    assert summary["by_status"] == {"accepted": 4}
    engine = make_engine(warehouse_url)
    try:
        with engine.connect() as conn:
            rows = read_frame(conn, "SELECT * FROM staging.anggaran WHERE aktif")
    finally:
        engine.dispose()
    lines, _ = budget_lines(rows, load_budget_rules("2026-11"), "2026-11")
    got = lines.set_index(["kode_kab", "kode_sub_giat"])
    want = truth[truth["kode_kab"].isin(regencies)].set_index(["kode_kab", "kode_sub_giat"])
    assert sorted(got.index) == sorted(want.index)
    got = got.loc[want.index]
    assert list(got["jenis_belanja"]) == list(want["jenis_belanja"])
    wrong = got.loc[got["strategi"] != want["strategi"], ["nama_sub_giat", "strategi", "aturan_strategi"]]
    assert wrong.empty, wrong.join(want["strategi"], rsuffix="_benar").to_string()
    assert list(got["kode_program"].fillna("")) == list(want["kode_program"])
    assert list(got["pagu"].astype(float)) == list(want["pagu"])
    assert list(got["realisasi"].astype(float)) == list(want["realisasi"])
