"""The report's budget chapters: the province's own APBD shown beside its regencies', never inside their sum."""

from __future__ import annotations

import pandas as pd
from satudata.publish.report_anggaran import bagian_anggaran, bagian_jangkauan_anggaran, format_rupiah
from satudata.publish.report_model import Data

WILAYAH = {"52": "Nusa Tenggara Barat", "5205": "Kabupaten Dompu", "5206": "Kabupaten Bima"}


def _summary(tingkat, pemilik, kode, pagu, **more) -> dict:
    kinds = {"pagu_intervensi_langsung": pagu, "pagu_pemberdayaan": 0, "pagu_infrastruktur": 0,
             "pagu_penunjang": 0, "pagu_tidak_terklasifikasi": 0}
    return {"tingkat": tingkat, "pemilik_anggaran": pemilik, "kode_wilayah": kode, "data_anggaran": pagu is not None,
            "pagu": pagu, "realisasi": None if pagu is None else pagu / 2, "persen_realisasi": 50.0,
            "persen_penunjang": 0.0, "persen_rupiah_di_kantong": None, "persen_desil1_di_kantong": None,
            "sub_kegiatan_realisasi_melebihi_pagu": 0, "sel_disensor": None,
            **(kinds if pagu is not None else dict.fromkeys(kinds)), **more}


def _data(summary: list[dict], reach: list[dict] | None = None) -> Data:
    return Data("2024-11", {}, {"anggaran_ringkasan": pd.DataFrame(summary),
                                "anggaran_jangkauan": pd.DataFrame(reach or [])}, pd.DataFrame(), WILAYAH)


def test_the_provinces_own_budget_is_a_bar_and_a_row_of_its_own():
    data = _data([_summary("kabupaten", "kabupaten", "5205", 5_500_000.0),
                  _summary("kabupaten", "kabupaten", "5206", None),
                  _summary("provinsi", "kabupaten", "52", 5_500_000.0),
                  _summary("provinsi", "provinsi", "52", 2.2e12)])
    bagian = bagian_anggaran(data)
    assert [row[0] for row in bagian.tabel.rows] == ["Provinsi Nusa Tenggara Barat (APBD provinsi)", "Kabupaten Dompu"]
    assert [row[1] for row in bagian.tabel.rows] == ["Rp2,2 T", "Rp5,5 jt"]
    assert bagian.tabel.note == "Kabupaten/kota tanpa rekap anggaran periode ini: Kabupaten Bima."
    categories = {r["kategori"] for rows in bagian.grafik["datasets"].values() for r in rows if "kategori" in r}
    assert categories == {"APBD Prov. Nusa Tenggara Barat", "Kab. Dompu"}, "one bar per APBD, the sum not repeated"
    assert bagian.svg.startswith("<svg")


def test_a_province_without_its_own_budget_is_named_and_one_alone_is_shown():
    missing = bagian_anggaran(_data([_summary("kabupaten", "kabupaten", "5205", 1e9),
                                     _summary("provinsi", "provinsi", "52", None)]))
    assert "APBD provinsi tanpa rekap anggaran periode ini: Nusa Tenggara Barat." in missing.tabel.note
    alone = bagian_anggaran(_data([_summary("kabupaten", "kabupaten", "5205", None),
                                   _summary("provinsi", "provinsi", "52", 3e9)]))
    assert [row[0] for row in alone.tabel.rows] == ["Provinsi Nusa Tenggara Barat (APBD provinsi)"]
    nothing = bagian_anggaran(_data([_summary("kabupaten", "kabupaten", "5205", None),
                                     _summary("provinsi", "provinsi", "52", None)]))
    assert nothing.grafik is None and "maupun provinsi" in nothing.pengganti


def test_the_reach_of_the_provinces_programme_stands_beside_the_regencies():
    reach = [{"tingkat": t, "pemilik_anggaran": p, "kode_wilayah": k, "kode_program": prog, "pagu": 7.2e6,
              "realisasi": 6.6e6, "keluarga_terjangkau": n, "keluarga_desil1_terjangkau": d, "persen_desil1": 50.0,
              "rupiah_per_keluarga_desil1": None if d is None else 6.6e6 / d,
              "sel_disensor": "keluarga_desil1_terjangkau,rupiah_per_keluarga_desil1" if d is None else None}
             for t, p, k, prog, n, d in (("kabupaten", "kabupaten", "5205", "RTLH", 10, 6),
                                         ("provinsi", "kabupaten", "52", "RTLH", 10, 6),
                                         ("provinsi", "provinsi", "52", "JPS_GEMILANG", 30, None))]
    bagian = bagian_jangkauan_anggaran(_data([], reach))
    assert [row[:2] for row in bagian.tabel.rows] == [["Provinsi Nusa Tenggara Barat (APBD provinsi)", "JPS_GEMILANG"],
                                                      ["Kabupaten Dompu", "RTLH"]]
    assert bagian.tabel.rows[0][5:] == ["disensor", "50,0", "disensor"]
    assert bagian.tabel.rows[1][7] == format_rupiah(1.1e6) == "Rp1,1 jt"
