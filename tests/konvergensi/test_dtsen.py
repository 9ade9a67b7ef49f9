"""Convergence in the DTSEN regime on hand-made regencies, with exact expected figures, on both warehouses.

KAB has DTSEN (two quarterly extracts); KAB2 has none, so it keeps P3KE's desil under the 2025 rules.
    K1  P3KE 1, DTSEN 1          K2  P3KE 1, DTSEN 3 (was 2)     K3  P3KE 1, not in DTSEN
    K4  P3KE 3, DTSEN 6          KK5 DTKS only, DTSEN 2 (was 3)  D9  DTSEN only, desil 1
    DOLD in the earlier extract only
PBI-JK (desil <= 5 from 2025) reaches k4_wife only, whose family ranks 6.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from satudata.config import Settings
from satudata.pipeline import konvergensi

from tests.builders import DESA, nik, query_rows
from tests.konvergensi.test_run import FAMILIES, KAB, KAB2, KK, LISTS, _frames, _write

PERIODE = "2026-11"
DTSEN_NOW = {"K1": 1, "K2": 3, "K4": 6, "KK5": 2}
DTSEN_BEFORE = {"K1": 1, "K2": 2, "K4": 6, "KK5": 3, "DOLD": 4}
D9_NIK = nik(9, 9, 1949, 77, True)


def _dtsen_frames() -> dict[str, pd.DataFrame]:
    frames = _frames(PERIODE)
    fam, people = frames["core.keluarga_terpadu"], frames["core.individu_terpadu"]
    key = fam["id_keluarga"].str.split(":", n=1).str[1].map({v: k for k, v in KK.items()}).fillna(
        fam["id_keluarga"].str.split(":", n=1).str[1])
    fam["di_dtsen"] = key.isin(DTSEN_NOW)
    fam["desil_dtsen"] = key.map(DTSEN_NOW).astype("Int64")
    fam["id_keluarga_dtsen"] = ("D" + key).where(fam["di_dtsen"])
    fam["no_kk_dtsen"] = None
    fam["jumlah_anggota_dtsen"] = fam["jumlah_anggota"].where(fam["di_dtsen"], 0)
    fam = pd.concat([fam, pd.DataFrame([{
        "periode": PERIODE, "kode_kab": KAB, "id_keluarga": "dtsen:D9", "di_dtks": False, "di_p3ke": False,
        "desil": pd.NA, "status_dtks": "tidak_terdaftar", "jumlah_anggota": 1, "jumlah_anggota_dtks": 0,
        "jumlah_anggota_p3ke": 0, "anggota_terpadan": 0, "kode_desa": DESA[0], "nik_kepala_keluarga": D9_NIK,
        "nama_kepala_keluarga": "Inaq Rahmah", "jenis_kelamin_kepala_keluarga": "P", "di_dtsen": True,
        "desil_dtsen": 1, "id_keluarga_dtsen": "D9", "jumlah_anggota_dtsen": 1,
    }])], ignore_index=True).astype({"desil": "Int64", "desil_dtsen": "Int64"})
    person_family = people["id_keluarga"].map(dict(zip(fam["id_keluarga"], fam["di_dtsen"], strict=True)))
    people["di_dtsen"] = person_family.fillna(False).astype(bool)
    people = pd.concat([people, pd.DataFrame([{
        "periode": PERIODE, "kode_kab": KAB, "id_individu": "dtsen:S9", "id_keluarga": "dtsen:D9", "di_dtks": False,
        "di_p3ke": False, "di_dtsen": True, "id_individu_dtsen": "S9", "nik": D9_NIK, "nama": "Inaq Rahmah",
        "jenis_kelamin": "P", "tanggal_lahir": date(1949, 9, 9), "kode_desa": DESA[0],
        "hubungan_keluarga": "Kepala Keluarga", "pekerjaan": "Tidak Bekerja", "disabilitas": "Tidak",
    }])], ignore_index=True)
    extracts = []
    for periode, ranks, sid in (("2026-08", DTSEN_BEFORE, 801), ("2026-11", {**DTSEN_NOW, "9": 1}, 802)):
        for row, (k, d) in enumerate(ranks.items(), start=2):
            extracts.append({"submission_id": sid, "kode_kab": KAB, "periode": periode, "baris": row, "aktif": True,
                             "id_keluarga_dtsen": f"D{k}", "kode_desa": DESA[0], "kode_kecamatan": DESA[0][:6],
                             "nik_kepala_keluarga_valid": False, "desil_nasional": d})
    frames.update({"core.keluarga_terpadu": fam, "core.individu_terpadu": people,
                   "staging.dtsen_keluarga": pd.DataFrame(extracts)})
    return frames


@pytest.fixture
def dtsen_scenario(tmp_path, warehouse_url) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=warehouse_url)
    settings.ensure_folders()
    _write(warehouse_url, _dtsen_frames())
    return settings


def test_dtsen_regime_gives_the_known_figures(dtsen_scenario):
    url = dtsen_scenario.warehouse_url
    result = konvergensi(PERIODE, dtsen_scenario)
    assert result["indikator"]["aturan"] == "konvergensi_2025.yaml"
    # The regime's desil per regency: DTSEN where it was sent, P3KE where it was not.
    assert dict(query_rows(url, "SELECT kode_kab, min(sumber_desil) FROM core.konvergensi_keluarga WHERE periode = :p "
                                "GROUP BY kode_kab", p=PERIODE)) == {KAB: "dtsen", KAB2: "p3ke"}
    desil1 = dict(query_rows(url, "SELECT kode_kab, keluarga_desil1 FROM core.indikator_konvergensi_kabupaten "
                                  "WHERE periode = :p", p=PERIODE))
    assert desil1 == {KAB: 2, KAB2: 1}  # K1 and D9 by DTSEN; K7 by P3KE

    rows = query_rows(url, "SELECT indikator, kategori, kode_program, satuan, jumlah FROM core.indikator_transisi_dtsen "
                           "WHERE periode = :p AND tingkat = 'kabupaten' ORDER BY 1, 2", p=PERIODE)
    got: dict[tuple, tuple] = {}
    for i, k, p, s, n in rows:  # rows are by desil too: add them up per category
        got[(i, k, p or "")] = (s, got.get((i, k, p or ""), (s, 0))[1] + n)
    assert got == {
        ("p3ke_desil1_menurut_dtsen", "desil_1", ""): ("keluarga", 1),
        ("p3ke_desil1_menurut_dtsen", "desil_3", ""): ("keluarga", 1),
        ("p3ke_desil1_menurut_dtsen", "tidak_di_dtsen", ""): ("keluarga", 1),
        ("tidak_di_dtsen", "dtks_dan_p3ke", ""): ("keluarga", 1),
        ("perpindahan_desil", "keluar", ""): ("keluarga", 1),
        ("perpindahan_desil", "masuk", ""): ("keluarga", 1),
        ("perpindahan_desil", "naik", ""): ("keluarga", 1),
        ("perpindahan_desil", "tetap", ""): ("keluarga", 2),
        ("perpindahan_desil", "turun", ""): ("keluarga", 1),
        # k4_wife (DTSEN 6) on PBI-JK; K1 (3), K2 (1), KK5 (2) and D9 (1) within desil 5 and not on it
        ("program_dtsen", "penerima_di_atas_batas", "PBI_JK"): ("orang", 1),
        ("program_dtsen", "layak_belum_menerima", "PBI_JK"): ("orang", 7),
    }
    assert all(r[0] == KAB for r in query_rows(url, "SELECT kode_wilayah FROM core.indikator_transisi_dtsen "
                                                    "WHERE periode = :p AND tingkat = 'kabupaten'", p=PERIODE))
    province = dict(query_rows(url, "SELECT indikator || '/' || kategori, SUM(jumlah) FROM core.indikator_transisi_dtsen "
                                    "WHERE periode = :p AND tingkat = 'provinsi' GROUP BY 1", p=PERIODE))
    assert province["perpindahan_desil/tetap"] == 2 and province["program_dtsen/layak_belum_menerima"] == 7

    lists = result["daftar_sasaran"] if "daftar_sasaran" in result else result.get("action_lists", {})
    outbox = dtsen_scenario.folder("outbox")
    path = outbox / KAB / f"tindak_lanjut_dtsen_{PERIODE}.xlsx"
    assert path.is_file() and not (outbox / KAB2 / f"tindak_lanjut_dtsen_{PERIODE}.xlsx").exists(), lists
    reaktivasi = pd.read_excel(path, sheet_name="Reaktivasi", header=3, dtype=str, engine="calamine")
    assert len(reaktivasi) == 7 and set(reaktivasi["Program"]) == {"PBI_JK"}
    usulan = pd.read_excel(path, sheet_name="Usulan SIKS-NG", header=3, dtype=str, engine="calamine")
    # K3: P3KE but not in DTSEN; K4: P3KE and ranked 6 > 5. KK5 receives PKH but ranks 2.
    assert sorted(usulan["Kepala Keluarga"]) == sorted(f[7][0][1] for f in FAMILIES if f[1] in ("K3", "K4"))
    assert usulan.set_index("Kepala Keluarga").loc["Baiq Fatimah", "Usulan"] == "Usulkan masuk DTSEN"
    assert "DTSEN desil 6 (> 5)" in usulan.set_index("Kepala Keluarga").loc["Zainal Abidin", "Bukti"]


def test_a_rerun_gives_the_same_transition(dtsen_scenario):
    url = dtsen_scenario.warehouse_url
    sql = ("SELECT tingkat, kode_wilayah, indikator, kategori, kode_program, desil_asal, desil_dtsen, jumlah "
           "FROM core.indikator_transisi_dtsen WHERE periode = :p ORDER BY 1, 2, 3, 4, 5, 6, 7")
    konvergensi(PERIODE, dtsen_scenario)
    first = query_rows(url, sql, p=PERIODE)
    konvergensi(PERIODE, dtsen_scenario)
    assert query_rows(url, sql, p=PERIODE) == first and first


def test_lists_name_the_recipients_we_built():
    assert any(prog == "PBI_JK" and key == "k4_wife" for prog, key, *_ in LISTS)


def test_a_regency_sets_its_own_limit_with_its_basis(dtsen_scenario, tmp_path, monkeypatch):
    import shutil

    import yaml
    from satudata.konvergensi.rules import RuleError, load_rules, rules_dir

    own = tmp_path / "aturan"
    shutil.copytree(rules_dir(), own)
    path = own / "konvergensi_2025.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["penyesuaian_kabupaten"] = {KAB: {"PBI_JK": {"desil_maks": 6, "sumber": "Perbup contoh 1/2025"}}}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("SATUDATA_RULES_DIR", str(own))
    konvergensi(PERIODE, dtsen_scenario)
    url = dtsen_scenario.warehouse_url
    # Desil 6 is now within KAB's PBI-JK limit: k4_wife is no inclusion error, her husband an exclusion one.
    rows = dict(query_rows(url, "SELECT kategori, SUM(jumlah) FROM core.indikator_transisi_dtsen WHERE periode = :p "
                                "AND tingkat = 'kabupaten' AND indikator = 'program_dtsen' GROUP BY kategori",
                           p=PERIODE))
    assert rows == {"layak_belum_menerima": 8}
    assert query_rows(url, "SELECT kode_kab, kode_program, desil_maks, sumber FROM meta.program_kabupaten "
                           "WHERE periode = :p", p=PERIODE) == [(KAB, "PBI_JK", 6, "Perbup contoh 1/2025")]

    data["penyesuaian_kabupaten"][KAB]["PBI_JK"].pop("sumber")
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RuleError, match="sumber"):
        load_rules(PERIODE)
