"""Convergence on hand-made regencies whose every indicator is known, on DuckDB and PostgreSQL.

The harmonised registries (core.keluarga_terpadu / individu_terpadu) and the recipient lists
(staging.intervensi) are written directly, so each figure below can be checked by hand; recipients
still go through the real linker, the real rules files and the real SQL.

Regency 5205, period 2026-11 (rules of 2023):

| family | registry | desil | who | programmes |
|---|---|---|---|---|
| K1 | DTKS + P3KE | 1 | head, wife, son (migrant worker) | PKH (by NIK), BLT_DD (no NIK: linked on name, date, desa, KK) |
| K2 | P3KE only | 1 | a woman of 76 living alone | nothing |
| K3 | DTKS + P3KE | 1 | female head, blind son | Bantuan Beras (not a core programme) |
| K4 | DTKS + P3KE | 3 | head, wife | BPNT (eligible only to desil 2), PBI-JK for the wife |
| KK5 | DTKS only | - | two people | PKH for the head (not in P3KE) |
| - | - | - | someone in no registry | PKH and BLT_DD (one person, counted once) |

Regency 5206 has one desil-1 family with nothing (K7), so the province differs from the regency and
the action lists can be checked for leaks.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import UTC, date, datetime

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from satudata.config import Settings
from satudata.konvergensi.action_lists import (
    SHEET_SASARAN,
    SHEET_TIDAK_DITEMUKAN,
    action_list_path,
)
from satudata.konvergensi.rules import RuleError, load_rules, period_end
from satudata.konvergensi.workbooks import per_distinct
from satudata.pipeline import konvergensi
from satudata.schema import INDICATOR_TABLES
from satudata.warehouse.engine import bulk_insert, make_engine

from tests.builders import DESA, nik, query_rows

KAB, KAB2 = "5205", "5206"
DESA2 = "5206011001"
# A P3KE-regime period (before the 2025 DTSEN rules): these regencies are hand-made for the 2023 rules.
PERIODE, BEFORE, OLD = "2024-11", "2024-10", "2022-11"
KK = {"K1": "5205011001200001", "K2": "5205011001200002", "K3": "5205011002200003", "K4": "5205011003200004",
      "KK5": "5205022001200005", "K6": "5205011001200006", "K7": "5206011001200007"}
N = {  # NIKs
    "k1_head": nik(5, 7, 1970, 1, False), "k1_wife": nik(9, 9, 1972, 2, True), "k1_son": nik(1, 3, 1998, 3, False),
    "k2": nik(2, 2, 1950, 4, True), "k3_head": nik(3, 3, 1980, 5, True), "k3_son": nik(4, 4, 2005, 6, False),
    "k4_head": nik(6, 6, 1975, 7, False), "k4_wife": nik(7, 7, 1977, 8, True),
    "k5_head": nik(8, 8, 1960, 9, False, "520502"), "k5_wife": nik(9, 9, 1962, 10, True, "520502"),
    "k6": nik(6, 6, 1966, 12, False), "k7": nik(1, 1, 1985, 11, True, "520601"),
    "stranger": nik(12, 12, 1990, 99, False),
}

# (kab, family key, desil, di_dtks, di_p3ke, desa, head sex, [(key, name, sex, born, relation, job, disability)])
FAMILIES = [
    (KAB, "K1", 1, True, True, DESA[0], "L", [
        ("k1_head", "Lalu Ahmad", "L", date(1970, 7, 5), "Kepala Keluarga", "Petani", "Tidak"),
        ("k1_wife", "Siti Aminah", "P", date(1972, 9, 9), "Istri", "Mengurus Rumah Tangga", "Tidak"),
        ("k1_son", "Muhammad Rizki", "L", date(1998, 3, 1), "Anak", "Pekerja Migran", "Tidak")]),
    (KAB, "K2", 1, False, True, DESA[0], "P", [
        ("k2", "Inaq Saenah", "P", date(1950, 2, 2), "Kepala Keluarga", "Tidak Bekerja", None)]),
    (KAB, "K3", 1, True, True, DESA[1], "P", [
        ("k3_head", "Baiq Fatimah", "P", date(1980, 3, 3), "Kepala Keluarga", "Buruh Tani", "Tidak"),
        ("k3_son", "Hasan", "L", date(2005, 4, 4), "Anak", "Pelajar", "Tuna Netra")]),
    (KAB, "K4", 3, True, True, DESA[2], "L", [
        ("k4_head", "Zainal Abidin", "L", date(1975, 6, 6), "Kepala Keluarga", "Pedagang", "Tidak"),
        ("k4_wife", "Nurul Hidayah", "P", date(1977, 7, 7), "Istri", "Pedagang", "Tidak")]),
    (KAB, "KK5", None, True, False, DESA[3], "L", [
        ("k5_head", "Amaq Sahnan", "L", date(1960, 8, 8), "Kepala Keluarga", "Nelayan", "Tidak"),
        ("k5_wife", "Inaq Sahnan", "P", date(1962, 9, 9), "Istri", "Nelayan", "Tidak")]),
    (KAB2, "K7", 1, True, True, DESA2, "P", [
        ("k7", "Ni Made Ayu", "P", date(1985, 1, 1), "Kepala Keluarga", "Buruh", "Tidak")]),
]

# (programme, person key or None, name, nik or '', born, desa, kk)
LISTS = [
    ("PKH", "k1_head", "LALU AHMAD", N["k1_head"], date(1970, 7, 5), DESA[0], KK["K1"]),
    ("BLT_DD", "k1_head", "Lalu Ahmad", "", date(1970, 7, 5), DESA[0], KK["K1"]),
    ("BANTUAN_BERAS", "k3_head", "Baiq Fatimah", N["k3_head"], date(1980, 3, 3), DESA[1], KK["K3"]),
    ("BPNT", "k4_head", "Zainal Abidin", N["k4_head"], date(1975, 6, 6), DESA[2], KK["K4"]),
    ("PBI_JK", "k4_wife", "Nurul Hidayah", N["k4_wife"], date(1977, 7, 7), DESA[2], ""),
    ("PKH", "k5_head", "Amaq Sahnan", N["k5_head"], date(1960, 8, 8), DESA[3], KK["KK5"]),
    ("PKH", None, "Wayan Sudarma", N["stranger"], date(1990, 12, 12), DESA[3], ""),
    ("BLT_DD", None, "WAYAN  SUDARMA", N["stranger"], date(1990, 12, 12), DESA[3], ""),  # the same stranger
]


def _frames(periode: str, families=FAMILIES, lists=LISTS) -> dict[str, pd.DataFrame]:
    fam_rows, people_rows = [], []
    for kab, key, desil, dtks, p3ke, desa, head_sex, members in families:
        fid = f"p3ke:{key}" if p3ke else f"dtks:{KK[key]}"
        head = members[0]
        fam_rows.append({
            "periode": periode, "kode_kab": kab, "id_keluarga": fid, "no_kk_dtks": KK[key] if dtks else None,
            "id_keluarga_p3ke": key if p3ke else None, "no_kk_p3ke": KK[key] if p3ke else None,
            "di_dtks": dtks, "di_p3ke": p3ke, "desil": desil, "status_dtks": "terdaftar" if dtks else "tidak_terdaftar",
            "jumlah_anggota": len(members), "jumlah_anggota_dtks": len(members) if dtks else 0,
            "jumlah_anggota_p3ke": len(members) if p3ke else 0, "anggota_terpadan": len(members) if dtks and p3ke else 0,
            "kode_desa": desa, "nik_kepala_keluarga": N[head[0]], "nama_kepala_keluarga": head[1],
            "jenis_kelamin_kepala_keluarga": head_sex, "match_method": None, "match_reason": None,
        })
        for pkey, name, sex, born, relation, job, disability in members:
            people_rows.append({
                "periode": periode, "kode_kab": kab, "id_individu": f"dtks:{pkey}" if dtks else f"p3ke:{pkey}",
                "id_keluarga": fid, "id_dtks": pkey if dtks else None, "id_individu_p3ke": pkey if p3ke else None,
                "di_dtks": dtks, "di_p3ke": p3ke, "nik": N[pkey], "nama": name, "jenis_kelamin": sex,
                "tanggal_lahir": born, "kode_desa": desa, "hubungan_keluarga": relation, "pekerjaan": job,
                "disabilitas": disability,
            })
    recipients = pd.DataFrame([{
        "submission_id": 900 + i, "kode_kab": KAB, "periode": periode, "baris": 2, "aktif": True, "kode_program": prog,
        "nik": n or None, "nik_valid": bool(n), "no_kk": kk or None, "nama": name, "tanggal_lahir": born,
        "tanggal_lahir_teks": born.strftime("%d-%m-%Y"), "kode_desa": desa, "alamat": None, "nilai_bantuan": 600000,
        "tanggal_salur": None,
    } for i, (prog, _, name, n, born, desa, kk) in enumerate(lists)])
    harmonised = pd.DataFrame([{
        "periode": periode, "kode_kab": kab, "run_id": None, "model_version": "test", "submission_dtks": None,
        "submission_p3ke": None, "dihitung_pada": datetime.now(UTC), "ringkasan": "{}",
    } for kab in sorted({f[0] for f in families})])
    return {"core.keluarga_terpadu": pd.DataFrame(fam_rows).astype({"desil": "Int64"}), "core.individu_terpadu": pd.DataFrame(people_rows),
            "staging.intervensi": recipients, "meta.harmonisasi": harmonised}


def _write(url: str, frames: dict[str, pd.DataFrame]) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            for table, frame in frames.items():
                bulk_insert(conn, table, frame)
    finally:
        engine.dispose()


def _previous_period() -> list:
    """2026-10: K1 was desil 1 (stays), K2 desil 2 (falls to 1), K4 desil 2 (rises to 3), K6 desil 2 (leaves);
    K3 is new in 2026-11."""
    before = [f for f in FAMILIES if f[1] != "K3"]
    changed = {"K2": 2, "K4": 2}
    before = [(f[0], f[1], changed.get(f[1], f[2]), *f[3:]) for f in before]
    before.append((KAB, "K6", 2, True, True, DESA[0], "L",
                   [("k6", "Ketut Rai", "L", date(1966, 6, 6), "Kepala Keluarga", "Petani", "Tidak")]))
    return before


@pytest.fixture
def scenario(tmp_path, warehouse_url) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=warehouse_url)
    settings.ensure_folders()
    _write(warehouse_url, _frames(PERIODE))
    _write(warehouse_url, _frames(BEFORE, families=_previous_period(), lists=[]))
    return settings


def _one(url: str, sql: str, **params) -> dict:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            result = conn.execute(sa.text(sql), params)
            rows = [dict(r._mapping) for r in result]
    finally:
        engine.dispose()
    assert len(rows) == 1, rows
    return rows[0]


def test_hand_made_regencies_give_the_known_indicators(scenario):
    url = scenario.warehouse_url
    konvergensi(BEFORE, scenario)
    result = konvergensi(PERIODE, scenario)
    assert result["indikator"]["aturan"] == "konvergensi_2023.yaml"

    recipients = query_rows(url, "SELECT kode_program, nama, status_padanan, id_keluarga, match_method "
                                 "FROM core.penerima_program WHERE periode = :p ORDER BY submission_id", p=PERIODE)
    assert [(r[0], r[2], r[3], r[4]) for r in recipients] == [
        ("PKH", "ditemukan", "p3ke:K1", "nik"),
        ("BLT_DD", "ditemukan", "p3ke:K1", "probabilistic"),
        ("BANTUAN_BERAS", "ditemukan", "p3ke:K3", "nik"),
        ("BPNT", "ditemukan", "p3ke:K4", "nik"),
        ("PBI_JK", "ditemukan", "p3ke:K4", "nik"),
        ("PKH", "ditemukan", f"dtks:{KK['KK5']}", "nik"),
        ("PKH", "tidak_ditemukan", None, None),
        ("BLT_DD", "tidak_ditemukan", None, None),
    ]

    kab = _one(url, "SELECT * FROM core.indikator_konvergensi_kabupaten WHERE periode = :p AND kode_kab = :k", p=PERIODE, k=KAB)
    expected = {
        "keluarga_terdata": 5, "keluarga_p3ke": 4, "keluarga_desil1": 3, "desil1_terintervensi": 1,
        "desil1_tanpa_program_inti": 2, "desil1_tidak_di_dtks": 1, "keluarga_penerima": 4,
        "keluarga_penerima_di_atas_desil": 2, "penerima_tidak_ditemukan": 1, "penerima_perlu_review": 0,
        "keluarga_tumpang_tindih_pelanggaran": 0, "keluarga_tumpang_tindih_audit": 1,
        "lansia_tunggal": 1, "lansia_tunggal_terintervensi": 0, "disabilitas": 1, "disabilitas_terintervensi": 0,
        "kepala_keluarga_perempuan": 2, "kepala_keluarga_perempuan_terintervensi": 0,
        "pekerja_migran": 1, "pekerja_migran_terintervensi": 1,
        "persen_cakupan_desil1": 33.3, "persen_eksklusi_desil1": 66.7, "persen_inklusi": 50.0,
    }
    assert {k: kab[k] for k in expected} == expected
    assert kab["nama_wilayah"] == "Kabupaten Dompu"

    prov = _one(url, "SELECT * FROM core.indikator_konvergensi_provinsi WHERE periode = :p", p=PERIODE)
    assert (prov["keluarga_desil1"], prov["desil1_tanpa_program_inti"], prov["persen_cakupan_desil1"]) == (4, 3, 25.0)
    assert prov["kepala_keluarga_perempuan"] == 3

    # The levels add up: desa -> kecamatan -> kabupaten -> provinsi.
    for table in ("konvergensi_desa", "konvergensi_kecamatan", "konvergensi_kabupaten"):
        total = query_rows(url, f"SELECT SUM(keluarga_desil1), SUM(desil1_tanpa_program_inti), "
                                f"SUM(penerima_tidak_ditemukan) FROM core.indikator_{table} WHERE periode = :p", p=PERIODE)
        assert total == [(4, 3, 1)], table
    desa = query_rows(url, "SELECT kode_desa, keluarga_desil1, desil1_tanpa_program_inti, penerima_tidak_ditemukan "
                           "FROM core.indikator_konvergensi_desa WHERE periode = :p AND kode_kab = :k ORDER BY kode_desa",
                      p=PERIODE, k=KAB)
    assert desa == [(DESA[0], 2, 1, 0), (DESA[1], 1, 1, 0), (DESA[2], 0, 0, 0), (DESA[3], 0, 0, 1)]

    programmes = {r[0]: r[1:] for r in query_rows(
        url, "SELECT kode_program, unit, sasaran_layak, penerima, penerima_layak, kesalahan_eksklusi, "
             "kesalahan_inklusi, penerima_tidak_ditemukan, persen_cakupan, persen_inklusi FROM core.indikator_cakupan_program "
             "WHERE periode = :p AND tingkat = 'kabupaten' AND kode_wilayah = :k", p=PERIODE, k=KAB)}
    assert programmes == {
        "PKH": ("keluarga", 3, 2, 1, 2, 1, 1, 33.3, 50.0),
        "BPNT": ("keluarga", 3, 1, 0, 3, 1, 0, 0.0, 100.0),
        "BLT_DD": ("keluarga", 3, 1, 1, 2, 0, 1, 33.3, 0.0),
        "BANTUAN_BERAS": ("keluarga", 3, 1, 1, 2, 0, 0, 33.3, 0.0),
        "RTLH": ("keluarga", 3, 0, 0, 3, 0, 0, 0.0, None),
        "JPS_GEMILANG": ("keluarga", 3, 0, 0, 3, 0, 0, 0.0, None),  # a province programme of NTB: runs here
        "PBI_JK": ("individu", 8, 1, 1, 7, 0, 0, 12.5, 0.0),  # people of P3KE families (desil <= 4)
    }
    overlaps = query_rows(url, "SELECT kode_aturan, tingkat_aturan, jumlah_keluarga FROM core.indikator_tumpang_tindih "
                               "WHERE periode = :p AND tingkat = 'kabupaten' AND kode_wilayah = :k ORDER BY 1",
                          p=PERIODE, k=KAB)
    assert overlaps == [("blt_dd_dengan_bpnt", "audit", 0), ("blt_dd_dengan_pkh", "audit", 1)]

    pockets = query_rows(url, "SELECT kode_desa, desil1_tanpa_program_inti, persen_tanpa_program_inti, "
                              "peringkat_provinsi, peringkat_kabupaten, kantong FROM core.indikator_kantong_kemiskinan "
                              "WHERE periode = :p ORDER BY peringkat_provinsi", p=PERIODE)
    # Ties on uncovered families are broken by the share, then by the desa code; 5 uncovered make a pocket.
    assert pockets == [(DESA[1], 1, 100.0, 1, 1, False), (DESA2, 1, 100.0, 2, 1, False),
                       (DESA[0], 1, 50.0, 3, 2, False)]

    graduation = query_rows(url, "SELECT status, desil_sebelumnya, desil_sekarang, jumlah_keluarga FROM core.indikator_graduasi "
                                 "WHERE periode = :p AND tingkat = 'kabupaten' AND kode_wilayah = :k ORDER BY 1",
                            p=PERIODE, k=KAB)
    assert graduation == [("baru", None, 1, 1), ("keluar", 2, None, 1), ("membaik", 2, 3, 1),
                          ("memburuk", 2, 1, 1), ("tetap", 1, 1, 1)]
    assert query_rows(url, "SELECT DISTINCT periode_sebelumnya FROM core.indikator_graduasi WHERE periode = :p",
                      p=PERIODE) == [(BEFORE,)]

    family = _one(url, "SELECT * FROM core.konvergensi_keluarga WHERE periode = :p AND id_keluarga = 'p3ke:K3'",
                  p=PERIODE)
    assert family["program_diterima"] == "BANTUAN_BERAS"
    assert family["program_layak_belum_diterima"] == "BLT_DD;BPNT;JPS_GEMILANG;PBI_JK;PKH;RTLH"
    assert family["disabilitas"] and family["kepala_keluarga_perempuan"] and not family["lansia_tunggal"]


def test_the_period_picks_its_rules_and_a_rerun_gives_identical_tables(scenario):
    url = scenario.warehouse_url
    _write(url, _frames(OLD))
    assert konvergensi(OLD, scenario)["indikator"]["aturan"] == "konvergensi_2020.yaml"
    old = _one(url, "SELECT keluarga_tumpang_tindih_pelanggaran AS v, keluarga_tumpang_tindih_audit AS a "
                    "FROM core.indikator_konvergensi_kabupaten WHERE periode = :p AND kode_kab = :k", p=OLD, k=KAB)
    assert (old["v"], old["a"]) == (1, 0), "BLT DD with PKH was a violation under the 2020 rule"
    # 2020: BLT DD eligible up to desil 2, so the desil-3 family K4 is not; nothing else changes for it.
    blt = query_rows(url, "SELECT sasaran_layak FROM core.indikator_cakupan_program WHERE periode = :p AND tingkat = 'kabupaten' "
                          "AND kode_wilayah = :k AND kode_program = 'BLT_DD'", p=OLD, k=KAB)
    assert blt == [(3,)]

    def snapshot() -> dict[str, list]:
        return {t: sorted(query_rows(url, f"SELECT * FROM core.indikator_{t} WHERE periode = :p", p=PERIODE), key=repr)
                for t in INDICATOR_TABLES}

    konvergensi(PERIODE, scenario)
    first = snapshot()
    path = action_list_path(scenario, KAB, PERIODE)
    first_bytes = path.read_bytes()
    konvergensi(PERIODE, scenario)
    assert snapshot() == first
    assert path.read_bytes() == first_bytes
    # Other periods are untouched by a re-run.
    assert query_rows(url, "SELECT count(*) FROM core.indikator_konvergensi_kabupaten WHERE periode = :p", p=OLD) == [(2,)]


def test_action_lists_hold_only_their_regency(scenario):
    konvergensi(PERIODE, scenario)
    book = openpyxl.load_workbook(action_list_path(scenario, KAB, PERIODE), read_only=True)
    rows = list(book[SHEET_SASARAN].iter_rows(min_row=4, values_only=True))
    header, data = rows[0], rows[1:]
    targets = [dict(zip(header, r, strict=True)) for r in data]
    assert [t["ID Keluarga P3KE"] for t in targets] == ["K2", "K3"]
    k2, k3 = targets
    assert k2["NIK Kepala Keluarga"] == N["k2"]  # text, all 16 digits
    assert k2["Terdaftar di DTKS"] == "Tidak" and "Daftarkan ke DTKS" in k2["Saran Tindak Lanjut"]
    assert "Lansia tunggal" in k2["Kelompok Prioritas"] and "Kepala keluarga perempuan" in k2["Kelompok Prioritas"]
    assert "Bantuan Pangan Beras" in k3["Program yang Sudah Diterima"]
    assert "Program Keluarga Harapan" in k3["Layak Menerima"]
    missing = list(book[SHEET_TIDAK_DITEMUKAN].iter_rows(min_row=5, values_only=True))
    assert [(r[0], r[4]) for r in missing] == [("BLT_DD", "WAYAN  SUDARMA"), ("PKH", "Wayan Sudarma")]
    book.close()

    other = openpyxl.load_workbook(action_list_path(scenario, KAB2, PERIODE), read_only=True)
    cells = {str(v) for row in other[SHEET_SASARAN].iter_rows(values_only=True) for v in row if v is not None}
    assert "K7" in cells and not cells & {"K2", "K3", N["k2"], "Inaq Saenah"}
    other.close()


@given(st.lists(st.tuples(st.sampled_from(["PKH;BPNT", "PKH", "", None, float("nan")]), st.sampled_from([True, False, None]),
                          st.sampled_from([1.0, 2.0, float("nan")])), max_size=30))
def test_texts_written_once_per_combination_are_the_texts_of_each_row(rows):
    frame = pd.DataFrame(rows, columns=["program", "di_dtks", "desil"], dtype=object)

    def text(program, di_dtks, desil):
        return f"{program!r}|{di_dtks!r}|{'-' if pd.isna(desil) else int(desil)}"

    expected = [text(*row) for row in frame.itertuples(index=False)]
    assert per_distinct(frame, text).tolist() == expected


def test_recipients_wait_for_harmonisation(tmp_path, duckdb_warehouse_url):
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=duckdb_warehouse_url)
    settings.ensure_folders()
    frames = _frames(PERIODE)
    frames["meta.harmonisasi"] = frames["meta.harmonisasi"][frames["meta.harmonisasi"]["kode_kab"] == KAB2]
    _write(duckdb_warehouse_url, frames)
    result = konvergensi(PERIODE, settings)
    assert result["penerima"][KAB]["status"] == "menunggu_harmonisasi"
    # Not counted as "found in no registry": the registry is simply not there yet.
    assert query_rows(duckdb_warehouse_url, "SELECT count(*) FROM core.penerima_program") == [(0,)]
    assert set(result["daftar_sasaran"]) == {KAB2}


# ---------------------------------------------------------------------------------------------- rules


def test_rules_by_period():
    assert load_rules("2020-01").berkas == "konvergensi_2020.yaml"
    assert load_rules("2022-12").overlaps[0].tingkat == "pelanggaran"
    assert load_rules("2023-01").berkas == "konvergensi_2023.yaml"
    assert {o.tingkat for o in load_rules("2026-11").overlaps} == {"audit"}
    with pytest.raises(RuleError, match="no rule file"):
        load_rules("2019-12")
    with pytest.raises(ValueError, match="YYYY-MM"):
        load_rules("2026-13")


def _rules_dir(tmp_path, change: dict | None = None, text: str | None = None):
    """A rules folder holding the 2023 file with `change` merged into it (or `text` as the whole file)."""
    import yaml
    from satudata.konvergensi.rules import rules_dir

    directory = tmp_path / "rules"
    directory.mkdir(exist_ok=True)
    if text is None:
        data = yaml.safe_load((rules_dir() / "konvergensi_2023.yaml").read_text(encoding="utf-8"))
        data.update(change or {})
        text = yaml.safe_dump(data, allow_unicode=True)
    (directory / "konvergensi_2023.yaml").write_text(text, encoding="utf-8")
    return directory


@pytest.mark.parametrize(("change", "message"), [
    ({"kelayakan": {"PKHX": {"desil_maks": 1}}}, "kelayakan.PKHX.*not in the programme reference"),
    ({"kelayakan": {"PKH": {"desil_maks": 7}}}, "desil_maks` must be 1..4"),
    ({"kelayakan": {"PKH": {"desil": 1}}}, "unknown keys"),
    ({"tumpang_tindih": [{"kode": "x", "program": ["PKH"], "tingkat": "audit"}]}, "exactly two"),
    ({"tumpang_tindih": [{"kode": "x", "program": ["PKH", "BPNT"], "tingkat": "larang"}]}, "tingkat"),
    ({"tumpang_tindih": [{"kode": "x", "program": ["PKH", "BPNT"], "tingkat": "audit"}] * 2}, "defined twice"),
    ({"desil_sasaran": "satu"}, "desil_sasaran"),
    ({"kelompok_prioritas": {"desil_maks": 1}}, "lansia_tunggal"),
    ({"kelompok_prioritas": {**load_rules("2026-11").raw["kelompok_prioritas"],
                             "pekerja_migran": {"pola_pekerjaan": ["(tki"]}}}, "not a valid regular expression"),
])
def test_a_broken_rule_file_is_refused_with_its_name_and_key(tmp_path, change, message):
    with pytest.raises(RuleError, match=message) as error:
        load_rules("2026-11", _rules_dir(tmp_path, change))
    assert "konvergensi_2023.yaml" in str(error.value)


@pytest.mark.parametrize(("text", "message"), [
    ("berlaku_mulai: '2023-01'\ndesil_sasaran: 1\ndesil_sasaran: 2\n", "written twice"),
    ("berlaku_mulai: '2023-01'\n- a\n", "not valid YAML"),
    ("- 1\n- 2\n", "berlaku_mulai|mapping"),
    ("berlaku_mulai: 2023\n", "YYYY-MM"),
])
def test_a_malformed_rule_file_is_refused(tmp_path, text, message):
    with pytest.raises(RuleError, match=message):
        load_rules("2026-11", _rules_dir(tmp_path, text=text))


def test_a_new_rule_and_a_local_programme_need_no_code(tmp_path, monkeypatch, duckdb_warehouse_url):
    reference = tmp_path / "reference"
    reference.mkdir()
    from satudata.config import reference_dir

    for path in reference_dir().glob("*.csv"):
        (reference / path.name).write_bytes(path.read_bytes())
    shutil.copytree(reference_dir().parent / "models", tmp_path / "models")  # the linkage model sits beside it
    (reference / "program_lokal_5205.csv").write_text(
        "kode_program,nama_program,penyelenggara,unit,sumber_dana,desil_maks,program_inti,strategi_inpres,"
        "kode_wilayah,keterangan,alias\n"
        "DOMPU_SEHAT,Dompu Sehat,Pemerintah Kabupaten Dompu,keluarga,APBD,1,tidak,beban,5205,contoh,Dompu Sehat\n",
        encoding="utf-8")
    base = load_rules("2026-11").raw["tumpang_tindih"]
    rules = _rules_dir(tmp_path, {"tumpang_tindih": [
        *base, {"kode": "beras_dengan_bpnt", "program": ["BANTUAN_BERAS", "BPNT"], "tingkat": "pelanggaran"}]})
    monkeypatch.setenv("SATUDATA_REFERENCE_DIR", str(reference))
    monkeypatch.setenv("SATUDATA_RULES_DIR", str(rules))
    applied = load_rules("2026-11")
    assert "DOMPU_SEHAT" in {p.kode_program for p in applied.programmes}
    assert [o.kode for o in applied.overlaps][-1] == "beras_dengan_bpnt"

    settings = Settings(data_dir=tmp_path / "data", warehouse_url=duckdb_warehouse_url)
    settings.ensure_folders()
    lists = [*LISTS, ("DOMPU_SEHAT", "k2", "Inaq Saenah", N["k2"], date(1950, 2, 2), DESA[0], KK["K2"]),
             ("BPNT", "k3_head", "Baiq Fatimah", N["k3_head"], date(1980, 3, 3), DESA[1], KK["K3"])]
    _write(duckdb_warehouse_url, _frames(PERIODE, lists=lists))
    konvergensi(PERIODE, settings)
    local = query_rows(duckdb_warehouse_url, "SELECT tingkat, kode_wilayah, sasaran_layak, penerima FROM "
                                             "core.indikator_cakupan_program WHERE kode_program = 'DOMPU_SEHAT' ORDER BY 1, 2")
    assert local == [("kabupaten", KAB, 3, 1), ("provinsi", "52", 3, 1)], "runs in Dompu only"
    violations = query_rows(duckdb_warehouse_url, "SELECT kode_wilayah, jumlah_keluarga FROM core.indikator_tumpang_tindih "
                                                  "WHERE kode_aturan = 'beras_dengan_bpnt' AND tingkat = 'kabupaten' "
                                                  "ORDER BY 1")
    assert violations == [(KAB, 1), (KAB2, 0)]
    # K3 now has BPNT, a core programme: covered.
    kab = _one(duckdb_warehouse_url, "SELECT desil1_terintervensi FROM core.indikator_konvergensi_kabupaten WHERE kode_kab = :k",
               k=KAB)
    assert kab["desil1_terintervensi"] == 2


RULES_2026 = load_rules(PERIODE)


@pytest.mark.parametrize(("row", "message"), [
    ("PKH,Program Keluarga Harapan Daerah,Pemda,keluarga,APBD,1,ya,beban,5205,,", "already defined in program.csv"),
    ("DOMPU SEHAT,Dompu Sehat,Pemda,keluarga,APBD,1,tidak,beban,5205,,", "kode_program"),
    ("DOMPU_SEHAT,Dompu Sehat,Pemda,rumah,APBD,1,tidak,beban,5205,,", "unit"),
    ("DOMPU_SEHAT,Dompu Sehat,Pemda,keluarga,APBD,5,tidak,beban,5205,,", "desil_maks"),
])
def test_a_local_programme_file_cannot_redefine_or_break_the_reference(tmp_path, row, message):
    from satudata.config import reference_dir
    from satudata.reference.program import ProgrammeFileError, load_programmes

    shutil.copyfile(reference_dir() / "program.csv", tmp_path / "program.csv")
    header = (reference_dir() / "program.csv").read_text(encoding="utf-8").splitlines()[0]
    (tmp_path / "program_lokal_5205.csv").write_text(f"{header}\n{row}\n", encoding="utf-8")
    with pytest.raises(ProgrammeFileError, match=message) as error:
        load_programmes(tmp_path)
    assert "program_lokal_5205.csv baris 2" in str(error.value)


@given(st.integers(1990, 2100), st.integers(1, 12), st.integers(1, 99))
def test_elderly_cutoff_is_the_birthday_at_the_period_end(year, month, age):
    periode = f"{year:04d}-{month:02d}"
    cutoff = replace(RULES_2026, lansia_umur_minimal=age).lansia_born_on_or_before(periode)
    end = period_end(periode)

    def age_at_end(born: date) -> int:
        return end.year - born.year - ((end.month, end.day) < (born.month, born.day))

    assert age_at_end(cutoff) == age  # born on the cutoff: exactly `age` at the period's end
    assert age_at_end(date.fromordinal(cutoff.toordinal() + 1)) == age - 1


@pytest.mark.airflow
def test_konvergensi_dag_runs_the_same_steps(airflow_dags, monkeypatch, tmp_path, duckdb_warehouse_url):
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=duckdb_warehouse_url)
    settings.ensure_folders()
    _write(duckdb_warehouse_url, _frames(PERIODE))
    monkeypatch.setenv("SATUDATA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SATUDATA_WAREHOUSE_URL", duckdb_warehouse_url)

    run = airflow_dags["satudata_konvergensi"].test(run_conf={"periode": PERIODE})
    assert "success" in str(run.state)
    states: dict[str, list[str]] = {}
    for ti in run.get_task_instances():
        states.setdefault(ti.task_id, []).append(str(ti.state))
    assert states["match_recipients"] == ["success"] * 2, "mapped per regency"
    assert states["write_action_list"] == ["success"] * 2
    assert states["announce_konvergensi"] == ["success"]
    kab = _one(duckdb_warehouse_url, "SELECT keluarga_desil1, desil1_tanpa_program_inti FROM "
                                     "core.indikator_konvergensi_kabupaten WHERE kode_kab = :k", k=KAB)
    assert (kab["keluarga_desil1"], kab["desil1_tanpa_program_inti"]) == (3, 2)
    assert action_list_path(settings, KAB, PERIODE).exists()
    summary = json.loads(query_rows(duckdb_warehouse_url, "SELECT ringkasan FROM meta.konvergensi WHERE "
                                                          "langkah = 'indikator'")[0][0])
    assert summary["provinsi"]["52"]["keluarga_desil1"] == 4
