"""DTSEN joins the harmonised people and families: real files through intake, both warehouses, any mix of
registries (all three; DTSEN only), then convergence on DTSEN desil."""

from __future__ import annotations

import pandas as pd
import pytest
from satudata.config import Settings
from satudata.intake.run import list_submissions
from satudata.pipeline import harmonise, ingest_once, konvergensi

from tests.builders import DESA, DTKS_HEADER, KAB, nik, write_csv, write_xlsx
from tests.harmonise.test_run import (
    DTKS,
    INTAKE,
    KK1,
    KK2,
    P3KE_ANGGOTA,
    P3KE_ANGGOTA_HEADER,
    P3KE_KELUARGA,
    P3KE_KELUARGA_HEADER,
    PERIODE,
    _frame,
)

# A DTSEN extract as public code names its columns. S1 is DTKS family 1 (P3KE K001), S2 DTKS family 2,
# S9 a family only DTSEN knows. P3KE K003, family 4 and family 6 are not in DTSEN.
KELUARGA_HEADER = ["id_keluarga_dtsen", "kode_desa", "nomor_kartu_keluarga", "nik_kepala_keluarga",
                   "nama_kepala_keluarga", "desil_nasional", "desil_provinsi", "desil_kabupaten_kota"]
N_S9 = nik(2, 2, 1948, 31, True)
KELUARGA = [
    ["S1", DESA[0], KK1, DTKS[0][4], "LALU AHMAD", "1", "1", "2"],
    ["S2", DESA[1], KK2, DTKS[4][4], "AMAQ SAHNAN", "4", "3", "5"],
    ["S9", DESA[1], "5205010101200099", N_S9, "INAQ RAHMAH", "1", "1", "1"],
]
ANGGOTA_HEADER = ["id_keluarga_dtsen", "id_individu_dtsen", "nomor_induk_kependudukan", "nama", "jenis_kelamin",
                  "tanggal_lahir", "hubungan_keluarga"]
ANGGOTA = [
    ["S1", "A1", DTKS[0][4], "LALU AHMAD", "L", "05-07-1960", "Kepala Keluarga"],
    ["S1", "A2", DTKS[1][4], "SITI AMINAH", "P", "09-09-1965", "Istri"],
    ["S1", "A3", DTKS[2][4], "MUHAMMAD RIZKI", "L", "12-03-1990", "Anak"],
    ["S1", "A4", DTKS[3][4], "NURUL HIDAYAH", "P", "15-06-1995", "Anak"],
    ["S2", "A5", DTKS[4][4], "AMAQ SAHNAN", "L", "01-01-1950", "Kepala Keluarga"],
    ["S2", "A6", DTKS[5][4], "INAQ SAHNAN", "P", "03-02-1955", "Istri"],
    ["S9", "A9", N_S9, "INAQ RAHMAH", "P", "02-02-1948", "Kepala Keluarga"],
]


@pytest.fixture
def settings(tmp_path, warehouse_url) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=warehouse_url)
    settings.ensure_folders()
    return settings


def _drop(settings: Settings, *, legacy: bool) -> None:
    inbox = settings.folder("inbox") / KAB
    if legacy:
        write_csv(inbox / "dtks" / f"dtks_{KAB}_{PERIODE}.csv", DTKS_HEADER, DTKS)
        write_xlsx(inbox / "p3ke" / f"p3ke_{KAB}_{PERIODE}.xlsx", {
            "Keluarga": (P3KE_KELUARGA_HEADER, P3KE_KELUARGA),
            "Anggota Keluarga": (P3KE_ANGGOTA_HEADER, P3KE_ANGGOTA),
        })
    write_xlsx(inbox / "dtsen" / f"dtsen_{KAB}_{PERIODE}.xlsx", {
        "Keluarga": (KELUARGA_HEADER, KELUARGA), "Anggota Keluarga": (ANGGOTA_HEADER, ANGGOTA)})
    ingest_once(settings, options=INTAKE)
    assert {s["status"] for s in list_submissions(settings)} == {"accepted"}


def test_dtsen_links_to_the_harmonised_people_and_families(settings):
    _drop(settings, legacy=True)
    harmonise(PERIODE, settings)
    links = _frame(settings, "SELECT id_individu, id_individu_dtsen, id_keluarga_dtsen, match_method "
                             "FROM core.padanan_dtsen")
    assert set(links.itertuples(index=False, name=None)) == {
        ("dtks:D001", "A1", "S1", "nik"), ("dtks:D002", "A2", "S1", "nik"), ("dtks:D003", "A3", "S1", "nik"),
        ("dtks:D004", "A4", "S1", "nik"), ("dtks:D005", "A5", "S2", "nik"), ("dtks:D006", "A6", "S2", "nik"),
    }
    families = _frame(settings, "SELECT id_keluarga, di_dtks, di_p3ke, di_dtsen, id_keluarga_dtsen, desil, desil_dtsen, "
                                "desil_dtsen_kabupaten, jumlah_anggota FROM core.keluarga_terpadu").set_index("id_keluarga")
    assert families.loc["p3ke:K001", ["id_keluarga_dtsen", "desil", "desil_dtsen", "desil_dtsen_kabupaten"]].tolist() \
        == ["S1", 1, 1, 2]
    assert families.loc[f"dtks:{KK2}", ["di_dtsen", "desil_dtsen"]].tolist() == [True, 4]
    s9 = families.loc["dtsen:S9"]
    assert (not s9["di_dtks"], not s9["di_p3ke"], s9["di_dtsen"], s9["desil_dtsen"], s9["jumlah_anggota"]) == \
        (True, True, True, 1, 1)
    people = _frame(settings, "SELECT id_individu, id_keluarga, di_dtsen, id_individu_dtsen FROM core.individu_terpadu")
    assert people.set_index("id_individu").loc["dtsen:A9", "id_keluarga"] == "dtsen:S9"
    assert int(people["di_dtsen"].sum()) == len(ANGGOTA)
    missing = _frame(settings, "SELECT id_record FROM core.konflik_padanan WHERE jenis_konflik = 'keluarga_tidak_di_dtsen'")
    in_legacy = families[(families["di_dtks"] | families["di_p3ke"])]
    assert set(missing["id_record"]) == set(in_legacy.index[~in_legacy["di_dtsen"]]) and len(missing) >= 3
    assert "p3ke:K003" in set(missing["id_record"])

    before = _frame(settings, "SELECT * FROM core.keluarga_terpadu ORDER BY id_keluarga")
    harmonise(PERIODE, settings)
    after = _frame(settings, "SELECT * FROM core.keluarga_terpadu ORDER BY id_keluarga")
    pd.testing.assert_frame_equal(before, after)


def test_a_regency_with_dtsen_only_is_harmonised_and_converged(settings):
    _drop(settings, legacy=False)
    harmonise(PERIODE, settings)
    families = _frame(settings, "SELECT id_keluarga, di_dtks, di_p3ke, di_dtsen, desil_dtsen FROM core.keluarga_terpadu")
    assert sorted(families["id_keluarga"]) == ["dtsen:S1", "dtsen:S2", "dtsen:S9"]
    assert families["di_dtsen"].all() and not (families["di_dtks"] | families["di_p3ke"]).any()
    assert len(_frame(settings, "SELECT * FROM core.individu_terpadu")) == len(ANGGOTA)
    assert _frame(settings, "SELECT * FROM core.konflik_padanan WHERE jenis_konflik = 'keluarga_tidak_di_dtsen'").empty

    result = konvergensi(PERIODE, settings)
    assert result["indikator"]["aturan"] == "konvergensi_2025.yaml"
    head = _frame(settings, "SELECT keluarga_desil1 FROM core.indikator_konvergensi_kabupaten WHERE kode_kab = :k",
                  k=KAB)
    assert head["keluarga_desil1"].tolist() == [2]  # S1 and S9 rank 1 nationally
    kinds = _frame(settings, "SELECT DISTINCT sumber_desil FROM core.konvergensi_keluarga")
    assert kinds["sumber_desil"].tolist() == ["dtsen"]


@pytest.mark.airflow
def test_the_dags_take_dtsen_from_the_inbox_to_the_transition(airflow_dags, monkeypatch, tmp_path,
                                                               duckdb_warehouse_url):
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=duckdb_warehouse_url)
    settings.ensure_folders()
    monkeypatch.setenv("SATUDATA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SATUDATA_STABLE_SECONDS", "0")
    monkeypatch.setenv("SATUDATA_WAREHOUSE_URL", duckdb_warehouse_url)
    inbox = settings.folder("inbox") / KAB
    write_csv(inbox / "dtks" / f"dtks_{KAB}_{PERIODE}.csv", DTKS_HEADER, DTKS)
    write_xlsx(inbox / "dtsen" / f"dtsen_{KAB}_{PERIODE}.xlsx", {
        "Keluarga": (KELUARGA_HEADER, KELUARGA), "Anggota Keluarga": (ANGGOTA_HEADER, ANGGOTA)})

    run = airflow_dags["satudata_intake"].test()
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances() if ti.task_id.startswith("announce_")}
    assert states["announce_dtsen"] == "success" and states["announce_p3ke"] == "skipped"
    for dag_id in ("satudata_harmonise", "satudata_konvergensi"):
        assert "success" in str(airflow_dags[dag_id].test(run_conf={"periode": PERIODE}).state), dag_id
    links = _frame(settings, "SELECT match_method, count(*) AS n FROM core.padanan_dtsen GROUP BY match_method")
    assert links.set_index("match_method")["n"].to_dict() == {"nik": 6}  # DTKS (no P3KE) x DTSEN
    transition = _frame(settings, "SELECT indikator, kategori, SUM(jumlah) AS n FROM core.indikator_transisi_dtsen "
                                  "WHERE tingkat = 'kabupaten' GROUP BY indikator, kategori")
    missing = transition[transition["indikator"] == "tidak_di_dtsen"].set_index("kategori")["n"].to_dict()
    assert missing == {"hanya_dtks": 2}  # DTKS families 4 and 6
    assert (settings.folder("outbox") / KAB / f"tindak_lanjut_dtsen_{PERIODE}.xlsx").is_file()
