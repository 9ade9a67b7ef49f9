"""Harmonisation end to end on a hand-made regency whose every link is known: real files through intake,
real Splink on DuckDB, both warehouses, the review loop, idempotent re-runs."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from satudata.config import Settings
from satudata.intake.run import IntakeOptions, list_submissions
from satudata.linkage.link import LinkOptions
from satudata.pipeline import harmonise, ingest_once

from tests.builders import DESA, DTKS_HEADER, KAB, aged, nik, write_csv, write_xlsx

INTAKE = IntakeOptions(stable_seconds=0, max_rejected_share=0.9)
PERIODE = "2026-11"
KK1, KK2, KK4_DTKS, KK4_P3KE, KK6 = ("5205010101200001", "5205010101200002", "5205010101200004",
                                     "5205010202210004", "5205010101200006")
N_CONFLICT = nik(10, 10, 1970, 21, False)


def _typo_kecamatan(value: str) -> str:
    return value[:2] + "06" + value[4:]  # 520501... -> 520601...: one digit, serial intact


def _transposed(value: str) -> str:
    return value[:7] + value[8] + value[7] + value[9:]  # adjacent digits of the birth day and month swapped


DTKS = [
    # family 1 (also in P3KE, desil 1)
    ["D001", DESA[0], "Dusun Satu", KK1, nik(5, 7, 1960, 11, False), "Lalu Ahmad", "L", "05-07-1960", "Kepala Keluarga"],
    ["D002", DESA[0], "Dusun Satu", KK1, nik(9, 9, 1965, 12, True), "Hj. Siti Aminah", "P", "09-09-1965", "Istri"],
    ["D003", DESA[0], "Dusun Satu", KK1, nik(12, 3, 1990, 13, False), "Muhammad Rizki", "L", "12-03-1990", "Anak"],
    ["D004", DESA[0], "Dusun Satu", KK1, nik(15, 6, 1995, 22, True), "Nurul Hidayah", "P", "15-06-1995", "Anak"],
    # family 2 (DTKS only)
    ["D005", DESA[1], "Dusun Dua", KK2, nik(1, 1, 1950, 14, False), "Amaq Sahnan", "L", "01-01-1950", "Kepala Keluarga"],
    ["D006", DESA[1], "Dusun Dua", KK2, nik(3, 2, 1955, 23, True), "Inaq Sahnan", "P", "03-02-1955", "Istri"],
    # family 4 (KK re-issued in P3KE)
    ["D007", DESA[2], "Dusun Empat", KK4_DTKS, nik(7, 7, 1970, 16, False), "Zainal Abidin", "L", "07-07-1970",
     "Kepala Keluarga"],
    ["D008", DESA[2], "Dusun Empat", KK4_DTKS, nik(8, 8, 1995, 17, False), "Safrudin", "L", "08-08-1995", "Anak"],
    ["D009", DESA[2], "Dusun Empat", KK4_DTKS, nik(1, 5, 2005, 18, False), "Hasan", "L", "01-05-2005", "Anak"],
    ["D010", DESA[2], "Dusun Empat", KK4_DTKS, nik(1, 5, 2005, 19, False), "Husen", "L", "01-05-2005", "Anak"],
    ["D011", DESA[2], "Dusun Empat", KK4_DTKS, nik(3, 11, 1998, 20, False), "Rahmat Hidayat", "L", "03-11-1998",
     "Anak"],
    # family 6: a DTKS man whose NIK a P3KE clerk typed for a young woman
    ["D012", DESA[3], "Dusun Enam", KK6, N_CONFLICT, "Wayan Sudarma", "L", "10-10-1970", "Kepala Keluarga"],
]
P3KE_KELUARGA_HEADER = ["ID Keluarga P3KE", "Kode Desa", "Alamat", "No KK", "NIK Kepala Keluarga",
                        "Nama Kepala Keluarga", "Desil", "Jumlah Anggota"]
P3KE_KELUARGA = [
    ["K001", DESA[0], "Dusun Satu", KK1, nik(5, 7, 1960, 11, False), "Lalu Ahmad", "1", "3"],
    ["K003", DESA[1], "Dusun Tiga", "5205010101200003", nik(20, 10, 1980, 15, True), "Baiq Fatimah", "1", "1"],
    ["K004", DESA[2], "Dusun Empat", KK4_P3KE, nik(7, 7, 1970, 16, False), "Zainal Abidin", "2", "5"],
    ["K006", DESA[3], "Dusun Enam", "5205010303220006", N_CONFLICT, "Ni Made Ayu", "3", "1"],
]
P3KE_ANGGOTA_HEADER = ["ID Keluarga P3KE", "ID Individu", "NIK", "Nama", "Jenis Kelamin", "Tanggal Lahir",
                       "Hubungan Keluarga"]
P3KE_ANGGOTA = [
    ["K001", "I001", nik(5, 7, 1960, 11, False), "LALU AHMAD", "L", "05-07-1960", "Kepala Keluarga"],
    ["K001", "I002", nik(9, 9, 1965, 12, True), "Siti Aminah", "P", "09-09-1965", "Istri"],
    ["K001", "I003", _typo_kecamatan(nik(12, 3, 1990, 13, False)), "Moh. Rizki", "L", "12-03-1990", "Anak"],
    ["K003", "I010", nik(20, 10, 1980, 15, True), "Baiq Fatimah", "P", "20-10-1980", "Kepala Keluarga"],
    ["K004", "I011", nik(7, 7, 1970, 16, False), "Zainal Abidin", "L", "07-07-1970", "Kepala Keluarga"],
    ["K004", "I012", "", "Saprudin", "L", "08-08-1995", "Anak"],
    ["K004", "I013", "", "Hasan", "L", "01-05-2005", "Anak"],
    ["K004", "I014", nik(1, 5, 2005, 19, False), "Husen", "L", "01-05-2005", "Anak"],
    ["K004", "I015", _transposed(nik(3, 11, 1998, 20, False)), "Rahmat Hidayat", "L", "11-03-1998", "Anak"],
    ["K006", "I016", N_CONFLICT, "Ni Made Ayu", "P", "05-05-1995", "Kepala Keluarga"],
]
EXPECTED_LINKS = {
    ("D001", "I001", "nik"), ("D002", "I002", "nik"), ("D003", "I003", "probabilistic"), ("D007", "I011", "nik"),
    ("D008", "I012", "probabilistic"), ("D009", "I013", "probabilistic"), ("D010", "I014", "nik"),
    ("D011", "I015", "probabilistic"),
}


@pytest.fixture
def settings(tmp_path, warehouse_url) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=warehouse_url)
    settings.ensure_folders()
    return settings


def _drop_regency_files(settings: Settings) -> None:
    inbox = settings.folder("inbox") / KAB
    write_csv(inbox / "dtks" / f"dtks_{KAB}_{PERIODE}.csv", DTKS_HEADER, DTKS)
    write_xlsx(inbox / "p3ke" / f"p3ke_{KAB}_{PERIODE}.xlsx", {
        "Keluarga": (P3KE_KELUARGA_HEADER, P3KE_KELUARGA),
        "Anggota Keluarga": (P3KE_ANGGOTA_HEADER, P3KE_ANGGOTA),
    })
    ingest_once(settings, options=INTAKE)
    assert {s["status"] for s in list_submissions(settings)} <= {"accepted", "partial"}


def _frame(settings: Settings, sql: str, **params) -> pd.DataFrame:
    engine = sa.create_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            result = conn.execute(sa.text(sql), params)
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    finally:
        engine.dispose()


def _links(settings: Settings) -> set[tuple[str, str, str]]:
    found = _frame(settings, "SELECT id_dtks, id_individu_p3ke, match_method FROM core.padanan_individu")
    return set(found.itertuples(index=False, name=None))


def test_hand_made_regency_links_exactly_as_known(settings):
    _drop_regency_files(settings)
    summary = harmonise(PERIODE, settings)
    assert summary["periode"] == PERIODE
    assert _links(settings) == EXPECTED_LINKS

    pairs = _frame(settings, "SELECT * FROM core.padanan_individu ORDER BY id_dtks")
    assert pairs["match_reason"].str.len().gt(20).all(), "every link says why"
    assert (pairs["match_probability"] >= LinkOptions().threshold).all()
    d011 = pairs.set_index("id_dtks").loc["D011", "match_reason"]
    assert "tertukar" in d011, d011  # the day/month swap and the transposed NIK are named

    people = _frame(settings, "SELECT * FROM core.individu_terpadu")
    assert len(people) == len(DTKS) + 2  # every DTKS person + the two P3KE people linked to nobody
    assert set(people.loc[~people["di_dtks"], "id_individu_p3ke"]) == {"I010", "I016"}

    families = _frame(settings, "SELECT * FROM core.keluarga_terpadu").set_index("id_keluarga")
    assert len(families) == 6
    assert families.loc["p3ke:K001", ["di_dtks", "di_p3ke", "anggota_terpadan"]].tolist() == [True, True, 3]
    assert families.loc["p3ke:K004", "no_kk_dtks"] == KK4_DTKS  # linked through members despite the new KK
    assert families.loc["p3ke:K004", "no_kk_p3ke"] == KK4_P3KE
    assert families.loc["p3ke:K004", "jumlah_anggota"] == 5
    assert not families.loc["p3ke:K003", "di_dtks"] and families.loc["p3ke:K003", "desil"] == 1
    assert families.loc[f"dtks:{KK2}", "status_dtks"] == "terdaftar"
    assert not families.loc[f"dtks:{KK2}", "di_p3ke"]
    assert people.set_index("id_dtks").loc["D004", "id_keluarga"] == "p3ke:K001"

    conflicts = _frame(settings, "SELECT jenis_konflik, id_record, id_terkait FROM core.konflik_padanan")
    kinds = conflicts.groupby("jenis_konflik")["id_record"].apply(set).to_dict()
    assert kinds["nik_sama_identitas_beda"] == {"D012"}
    assert kinds["desil1_tidak_di_dtks"] == {"p3ke:K003"}
    assert kinds["individu_dtks_tidak_di_p3ke"] == {"D004"}
    assert kinds["keluarga_dtks_tidak_di_p3ke"] == {f"dtks:{KK2}", f"dtks:{KK6}"}

    meta = _frame(settings, "SELECT * FROM meta.harmonisasi")
    assert len(meta) == 1 and meta.loc[0, "model_version"]


def test_rerun_gives_the_same_warehouse(settings):
    _drop_regency_files(settings)
    harmonise(PERIODE, settings)
    tables = ("core.padanan_individu", "core.individu_terpadu", "core.keluarga_terpadu", "core.konflik_padanan")

    def snapshot():
        frames = {}
        for table in tables:
            frame = _frame(settings, f"SELECT * FROM {table}").astype(str)
            frames[table] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
        return frames

    first = snapshot()
    harmonise(PERIODE, settings)
    second = snapshot()
    for table in tables:
        pd.testing.assert_frame_equal(first[table], second[table], check_dtype=False)


def test_review_decisions_override_the_model(settings, warehouse_url):
    _drop_regency_files(settings)
    # A threshold no probabilistic pair reaches sends them all to the regency's review workbook.
    strict = LinkOptions(threshold=0.999999999, review_from=0.5)
    harmonise(PERIODE, settings, options=strict)
    queue = _frame(settings, "SELECT id_dtks, id_individu_p3ke, berkas FROM core.antrian_review")
    assert {("D009", "I013"), ("D008", "I012")} <= set(zip(queue["id_dtks"], queue["id_individu_p3ke"], strict=True))
    workbook = settings.folder("outbox") / queue["berkas"].iloc[0]
    assert workbook.name == f"review_padanan_{PERIODE}.xlsx"

    book = openpyxl.load_workbook(workbook)
    sheet = book["Review Padanan"]
    header_row = next(r for r in range(1, 10) if sheet.cell(r, 1).value == "id_dtks")
    columns = {sheet.cell(header_row, c).value: c for c in range(1, sheet.max_column + 1)}
    for row in range(header_row + 1, sheet.max_row + 1):
        pair = (sheet.cell(row, columns["id_dtks"]).value, sheet.cell(row, columns["id_individu_p3ke"]).value)
        if pair == ("D009", "I013"):
            sheet.cell(row, columns["keputusan"]).value = "SAMA"
            sheet.cell(row, columns["diperiksa_oleh"]).value = "Baiq Operator"
        elif pair == ("D008", "I012"):
            sheet.cell(row, columns["keputusan"]).value = "BEDA"
    answer = settings.folder("inbox") / KAB / "review" / workbook.name
    answer.parent.mkdir(parents=True, exist_ok=True)
    book.save(answer)
    aged(answer)
    ingest_once(settings, options=INTAKE)

    harmonise(PERIODE, settings, options=strict)
    links = _frame(settings, "SELECT * FROM core.padanan_individu").set_index("id_dtks")
    assert links.loc["D009", "match_method"] == "review"
    assert "Baiq Operator" in links.loc["D009", "match_reason"]
    assert "D008" not in links.index
    queue = _frame(settings, "SELECT id_dtks FROM core.antrian_review")
    assert not {"D009", "D008"} & set(queue["id_dtks"]), "decided pairs leave the queue"


def _staged_for_airflow(tmp_path, url: str, monkeypatch) -> Settings:
    """The hand-made regency staged, and the environment an Airflow task reads its settings from."""
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=url)
    settings.ensure_folders()
    _drop_regency_files(settings)
    monkeypatch.setenv("SATUDATA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SATUDATA_WAREHOUSE_URL", url)
    return settings


@pytest.mark.airflow
def test_harmonise_dag_runs_the_same_steps(airflow_dags, monkeypatch, tmp_path, duckdb_warehouse_url):
    settings = _staged_for_airflow(tmp_path, duckdb_warehouse_url, monkeypatch)

    run = airflow_dags["satudata_harmonise"].test()
    assert "success" in str(run.state)
    states: dict[str, list[str]] = {}
    for ti in run.get_task_instances():
        states.setdefault(ti.task_id, []).append(str(ti.state))
    assert states["link_regency"] == ["success"] and states["build_regency"] == ["success"], "mapped per regency"
    assert states["announce_harmonised"] == ["success"]
    assert _links(settings) == EXPECTED_LINKS
    assert len(_frame(settings, "SELECT * FROM core.individu_terpadu")) == len(DTKS) + 2


def test_cli_harmonise_and_an_explicit_retrain(tmp_path, duckdb_warehouse_url, capsys):
    import json

    from satudata.cli import main
    from satudata.linkage.model import load_model, model_path

    settings = Settings(data_dir=tmp_path / "data", warehouse_url=duckdb_warehouse_url)
    settings.ensure_folders()
    _drop_regency_files(settings)
    location = ["--data-dir", str(settings.data_dir), "--warehouse", duckdb_warehouse_url]
    capsys.readouterr()
    assert main(["harmonise", *location]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["periode"] == PERIODE and summary["padanan"]["nik/kabupaten"] == 4
    assert summary["konflik"]["nik_sama_identitas_beda"] == 1

    committed = model_path().read_bytes()
    out = tmp_path / "model.json"
    assert main(["link-model", "train", "--version", "test-1", "--out", str(out), "--max-pairs", "1e4",
                 *location]) == 0
    trained = load_model(out)
    assert trained.version == "test-1" and trained.trained_on["regencies"] == [KAB]
    assert model_path().read_bytes() == committed, "training never touches the committed model unless asked"
    with pytest.raises(SystemExit):
        main(["link-model", "train", *location])  # a version is required


@pytest.mark.parametrize("only", ["dtks", "p3ke"])
def test_a_regency_with_one_registry_only_is_harmonised_without_links(tmp_path, duckdb_warehouse_url, only):
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=duckdb_warehouse_url)
    settings.ensure_folders()
    inbox = settings.folder("inbox") / KAB
    if only == "dtks":
        write_csv(inbox / "dtks" / f"dtks_{KAB}_{PERIODE}.csv", DTKS_HEADER, DTKS)
    else:
        write_xlsx(inbox / "p3ke" / f"p3ke_{KAB}_{PERIODE}.xlsx", {
            "Keluarga": (P3KE_KELUARGA_HEADER, P3KE_KELUARGA),
            "Anggota Keluarga": (P3KE_ANGGOTA_HEADER, P3KE_ANGGOTA),
        })
    ingest_once(settings, options=INTAKE)
    harmonise(PERIODE, settings)
    assert _links(settings) == set()
    people = _frame(settings, "SELECT * FROM core.individu_terpadu")
    assert len(people) == (len(DTKS) if only == "dtks" else len(P3KE_ANGGOTA))
    families = _frame(settings, "SELECT * FROM core.keluarga_terpadu")
    assert (families["di_dtks"] == (only == "dtks")).all() and (families["di_p3ke"] == (only == "p3ke")).all()


def test_nothing_staged_is_a_quiet_no_op(tmp_path, duckdb_warehouse_url):
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=duckdb_warehouse_url)
    settings.ensure_folders()
    assert harmonise(settings=settings)["periode"] is None


@pytest.mark.airflow
def test_harmonise_dag_backfills_the_period_it_is_given(airflow_dags, monkeypatch, tmp_path, duckdb_warehouse_url):
    settings = _staged_for_airflow(tmp_path, duckdb_warehouse_url, monkeypatch)
    # Nothing was staged for 2026-10 or before: the run is asked for that period and harmonises nothing.
    run = airflow_dags["satudata_harmonise"].test(run_conf={"periode": "2026-10"})
    assert "success" in str(run.state)
    assert _links(settings) == set()
    run = airflow_dags["satudata_harmonise"].test(run_conf={"periode": PERIODE})
    assert "success" in str(run.state)
    assert _links(settings) == EXPECTED_LINKS
    periods = _frame(settings, "SELECT DISTINCT periode FROM core.padanan_individu")["periode"].tolist()
    assert periods == [PERIODE]
