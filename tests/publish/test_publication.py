"""Publication: small-cell suppression, the atomic versioned switch into mart, no personal data in mart,
exports a CKAN portal accepts, access control on PostgreSQL, and the publish DAG.

The scenario is the hand-made pair of regencies of `test_konvergensi.py`, whose exact figures are known.
"""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import date

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from satudata.config import Settings
from satudata.pipeline import konvergensi
from satudata.publish import publication as publication_module
from satudata.publish.exports import latest_dir, write_exports
from satudata.publish.publication import NothingToPublish, plan_publication, publish_period
from satudata.publish.suppress import KONVERGENSI, recoverable, suppress
from satudata.schema import INDICATOR_TABLES
from satudata.warehouse.engine import make_engine

from tests.builders import DESA, query_rows
from tests.konvergensi.test_run import BEFORE, KAB, KK, LISTS, OLD, PERIODE, N, _frames, _write

APPROVER = "Ibu Walidata"


@pytest.fixture
def computed(tmp_path, warehouse_url) -> Settings:
    """The scenario with its convergence indicators computed for two periods."""
    settings_ = Settings(data_dir=tmp_path / "data", warehouse_url=warehouse_url)
    settings_.ensure_folders()
    _write(warehouse_url, _frames(PERIODE))
    _write(warehouse_url, _frames(OLD))
    konvergensi(OLD, settings_)
    konvergensi(PERIODE, settings_)
    return settings_


def _publish(settings_: Settings, periode: str = PERIODE, minimum: int = 5) -> dict:
    return publish_period(settings_, periode, disetujui_oleh=APPROVER, cara_persetujuan="konfigurasi",
                          run_id="test", minimum=minimum)


# ---------------------------------------------------------------------------------------------- suppression


def _konvergensi_rows(rows: list[dict], keys: dict) -> pd.DataFrame:
    frame = pd.DataFrame([{c: 0 for c in KONVERGENSI.counts} | keys | row for row in rows])
    for percent in KONVERGENSI.percents:
        frame[percent] = 50.0
    return frame


def test_a_small_cell_and_the_cells_that_would_reveal_it_are_suppressed():
    kab = _konvergensi_rows([
        {"kode_kab": "5205", "keluarga_terdata": 40, "keluarga_p3ke": 30, "keluarga_desil1": 12,
         "desil1_terintervensi": 9, "desil1_tanpa_program_inti": 3},
        {"kode_kab": "5206", "keluarga_terdata": 50, "keluarga_p3ke": 40, "keluarga_desil1": 20,
         "desil1_terintervensi": 12, "desil1_tanpa_program_inti": 8},
        {"kode_kab": "5207", "keluarga_terdata": 60, "keluarga_p3ke": 50, "keluarga_desil1": 25,
         "desil1_terintervensi": 15, "desil1_tanpa_program_inti": 10},
    ], {"kode_provinsi": "52"})
    prov = _konvergensi_rows([{"keluarga_terdata": 150, "keluarga_p3ke": 120, "keluarga_desil1": 57,
                               "desil1_terintervensi": 36, "desil1_tanpa_program_inti": 21}], {"kode_provinsi": "52"})
    result = suppress({"konvergensi_kabupaten": kab, "konvergensi_provinsi": prov}, 5)
    k = result.tables["konvergensi_kabupaten"].set_index("kode_kab")
    # 3 is small (primary); 9 would give it away as 12 - 9 (same row); 8 as 21 - 10 - 3 (the province).
    assert pd.isna(k.loc["5205", "desil1_tanpa_program_inti"])
    assert pd.isna(k.loc["5205", "desil1_terintervensi"]) and k.loc["5205", "keluarga_desil1"] == 12
    assert pd.isna(k.loc["5206", "desil1_tanpa_program_inti"]), "the smallest sibling shares the secret"
    assert k.loc["5207", "desil1_tanpa_program_inti"] == 10
    assert pd.isna(k.loc["5205", "persen_eksklusi_desil1"]) and pd.isna(k.loc["5205", "persen_cakupan_desil1"])
    assert "desil1_tanpa_program_inti" in k.loc["5205", "sel_disensor"].split(",")
    assert pd.isna(k.loc["5206", "desil1_terintervensi"]), "5206's row relation now has one unknown: hide one more"
    assert result.tables["konvergensi_provinsi"].loc[0, "desil1_tanpa_program_inti"] == 21
    assert recoverable(result.tables, 5) == []
    # Zero says nobody: it is published.
    assert k.loc["5205", "lansia_tunggal"] == 0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=5),
                min_size=1, max_size=4), st.integers(2, 10))
def test_no_suppressed_cell_can_be_recovered_by_subtraction(kecamatan, minimum):
    """Random desa counts, summed into kecamatan, regency and province: after suppression no published
    count is small, nothing published changed, and no relation leaves a single unknown."""
    desa_rows = []
    for k, villages in enumerate(kecamatan):
        for d, (covered, uncovered) in enumerate(villages):
            desa_rows.append({"kode_kab": "5205", "kode_kec": f"5205{k:02d}", "kode_desa": f"5205{k:02d}{d:04d}",
                              "desil1_terintervensi": covered, "desil1_tanpa_program_inti": uncovered,
                              "keluarga_desil1": covered + uncovered})
    desa = _konvergensi_rows(desa_rows, {"kode_provinsi": "52"})
    sums = ["keluarga_desil1", "desil1_terintervensi", "desil1_tanpa_program_inti"]
    kec = desa.groupby(["kode_provinsi", "kode_kab", "kode_kec"], as_index=False)[sums].sum()
    kec = _konvergensi_rows(kec.to_dict("records"), {})
    kab = _konvergensi_rows(kec.groupby(["kode_provinsi", "kode_kab"], as_index=False)[sums].sum().to_dict("records"),
                            {})
    prov = _konvergensi_rows(kab.groupby(["kode_provinsi"], as_index=False)[sums].sum().to_dict("records"), {})
    tables = {"konvergensi_desa": desa, "konvergensi_kecamatan": kec, "konvergensi_kabupaten": kab,
              "konvergensi_provinsi": prov}
    result = suppress(tables, minimum)
    assert recoverable(result.tables, minimum) == []
    for name, frame in result.tables.items():
        for column in sums:
            published = frame[column].dropna().astype(int)
            assert not ((published >= 1) & (published < minimum)).any(), (name, column)
            assert (published == tables[name].loc[published.index, column]).all()


# ---------------------------------------------------------------------------------------------- publication


def test_publication_is_versioned_idempotent_and_keeps_other_periods(computed):
    url = computed.warehouse_url
    plan = plan_publication(computed, PERIODE, minimum=5)
    assert plan["publikasi_sekarang"] is None and plan["berubah"]
    first = _publish(computed)
    old = _publish(computed, OLD)
    assert first["berubah"] and first["publikasi_id"] != old["publikasi_id"]
    # A desa whose uncovered count is suppressed is not listed among the pockets (its rank would bound it).
    assert query_rows(computed.warehouse_url, "SELECT count(*) FROM mart.kantong_kemiskinan "
                                              "WHERE desil1_tanpa_program_inti IS NULL") == [(0,)]
    again = _publish(computed)
    assert not again["berubah"] and again["publikasi_id"] == first["publikasi_id"], "same figures: no new version"

    record = query_rows(url, "SELECT status, disetujui_oleh, cara_persetujuan, ambang_sel_kecil, aturan, "
                             "submission_ids FROM meta.publikasi WHERE publikasi_id = :i", i=first["publikasi_id"])[0]
    assert record[:5] == ("terbit", APPROVER, "konfigurasi", 5, "konvergensi_2023.yaml")
    assert json.loads(record[5])["intervensi"] == sorted(900 + i for i in range(len(LISTS)))

    # New figures for the period: a new version replaces the old one; the other period is untouched.
    extra = _frames(PERIODE, lists=[("PBI_JK", "k2", "Inaq Saenah", N["k2"], date(1950, 2, 2), DESA[0], KK["K2"])])
    _write(url, {"staging.intervensi": extra["staging.intervensi"].assign(submission_id=999)})
    konvergensi(PERIODE, computed)
    second = _publish(computed)
    assert second["berubah"] and second["publikasi_id"] > old["publikasi_id"]
    statuses = dict(query_rows(url, "SELECT publikasi_id, status FROM meta.publikasi"))
    assert statuses == {first["publikasi_id"]: "diganti", old["publikasi_id"]: "terbit", second["publikasi_id"]: "terbit"}
    for table in INDICATOR_TABLES:
        ids = dict(query_rows(url, f"SELECT periode, MIN(publikasi_id) FROM mart.{table} GROUP BY periode"))
        if ids:
            assert ids == {PERIODE: second["publikasi_id"], OLD: old["publikasi_id"]} or table == "graduasi", table


def test_mart_equals_the_exact_indicators_when_nothing_is_small(computed):
    """With a minimum of 1 nothing is suppressed: mart carries exactly the figures of the SQL."""
    _publish(computed, minimum=1)
    url = computed.warehouse_url
    engine = make_engine(url)
    with engine.connect() as conn:  # by name: a column added later sits after sel_disensor in mart
        names = {t: list(conn.execute(sa.text(f"SELECT * FROM core.indikator_{t} LIMIT 0")).keys())
                 for t in INDICATOR_TABLES}
    engine.dispose()
    for table in INDICATOR_TABLES:
        exact = sorted(query_rows(url, f"SELECT * FROM core.indikator_{table} WHERE periode = :p", p=PERIODE), key=repr)
        published = query_rows(url, f"SELECT {', '.join(names[table])}, publikasi_id FROM mart.{table} "
                                    "WHERE periode = :p", p=PERIODE)
        assert sorted((r[:-1] for r in published), key=repr) == exact, table
        assert {r[-1] for r in published} <= {query_rows(url, "SELECT MAX(publikasi_id) FROM meta.publikasi")[0][0]}
    kab = query_rows(url, "SELECT keluarga_desil1, desil1_tanpa_program_inti, persen_cakupan_desil1 FROM "
                          "mart.konvergensi_kabupaten WHERE periode = :p AND kode_kab = :k", p=PERIODE, k=KAB)
    assert kab == [(3, 2, 33.3)]


def test_a_failed_switch_leaves_the_previous_publication(computed, monkeypatch):
    url = computed.warehouse_url
    first = _publish(computed, minimum=5)
    before = {t: sorted(query_rows(url, f"SELECT * FROM mart.{t}"), key=repr) for t in INDICATOR_TABLES}
    real = publication_module.bulk_insert

    def failing(conn, table, frame):
        if table == "mart.graduasi":
            raise OSError("disk full while writing mart.graduasi")
        return real(conn, table, frame)

    monkeypatch.setattr(publication_module, "bulk_insert", failing)
    with pytest.raises(OSError, match="disk full"):
        _publish(computed, minimum=1)
    after = {t: sorted(query_rows(url, f"SELECT * FROM mart.{t}"), key=repr) for t in INDICATOR_TABLES}
    assert after == before
    assert query_rows(url, "SELECT publikasi_id, status FROM meta.publikasi WHERE periode = :p", p=PERIODE) == [
        (first["publikasi_id"], "terbit")]


def test_nothing_computed_is_nothing_to_publish(tmp_path, duckdb_warehouse_url):
    settings_ = Settings(data_dir=tmp_path / "data", warehouse_url=duckdb_warehouse_url)
    with pytest.raises(NothingToPublish):
        _publish(settings_, "2030-01")


# ---------------------------------------------------------------------------------------------- personal data


_SIXTEEN_DIGITS = re.compile(r"(?<![0-9])[0-9]{16}(?![0-9])")
_DENIED_COLUMNS = re.compile(r"(^|_)(nik|nama_kepala|no_kk|nama_lengkap|id_individu|id_keluarga|id_dtks|alamat)($|_)")


def test_mart_holds_no_personal_data(computed):
    _publish(computed, minimum=1)  # nothing suppressed: the most that could ever leak
    url = computed.warehouse_url
    people = query_rows(url, "SELECT nama, nik FROM core.individu_terpadu UNION SELECT nama, nik FROM "
                             "staging.intervensi UNION SELECT nama_kepala_keluarga, no_kk_dtks FROM core.keluarga_terpadu")
    names = {str(n).casefold().strip() for n, _ in people if n}
    numbers = {str(x) for _, x in people if x}
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            columns = conn.execute(sa.text("SELECT table_name, column_name FROM information_schema.columns "
                                           "WHERE table_schema = 'mart' ORDER BY 1, 2")).fetchall()
            assert {t for t, _ in columns} == set(INDICATOR_TABLES)
            for table, column in columns:
                assert not _DENIED_COLUMNS.search(column), f"mart.{table}.{column} is named like personal data"
                values = conn.execute(sa.text(f'SELECT DISTINCT CAST("{column}" AS VARCHAR) FROM mart.{table}')
                                      ).scalars().all()
                for value in filter(None, values):
                    text = str(value)
                    assert not _SIXTEEN_DIGITS.search(text), f"mart.{table}.{column}: NIK/KK-like {text!r}"
                    assert text not in numbers
                    assert text.casefold().strip() not in names, f"mart.{table}.{column}: a person's name {text!r}"
                    assert not text.startswith(("p3ke:", "dtks:")), f"mart.{table}.{column}: a record id {text!r}"
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------------- exports


def test_exports_are_a_valid_frictionless_package(computed):
    from frictionless import Package, validate

    published = _publish(computed)
    result = write_exports(computed, PERIODE)
    folder = latest_dir(computed, PERIODE)
    assert folder is not None and folder.name == f"publikasi_{published['publikasi_id']}"
    for table in INDICATOR_TABLES:
        assert (folder / f"{table}.csv").exists() and (folder / f"{table}.xlsx").exists()
    assert {"kamus_data.csv", "datapackage.json"} <= set(result["files"])
    report = validate(folder / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    package = Package(folder / "datapackage.json")
    kab = package.get_resource("konvergensi_kabupaten").to_pandas()
    assert set(kab["kode_kab"].astype(str)) == {"5205", "5206"}
    fields = {f.name: f for f in package.get_resource("konvergensi_kabupaten").schema.fields}
    assert fields["keluarga_desil1"].type == "integer" and fields["keluarga_desil1"].description
    # Written once per publication: a second call leaves the folder as it is.
    assert write_exports(computed, PERIODE)["folder"] == result["folder"]


# ---------------------------------------------------------------------------------------------- PostgreSQL


def _as(url: str, role: str) -> sa.Engine:
    return sa.create_engine(sa.make_url(url).set(username=role, password=None))


def test_roles_see_only_what_they_may(tmp_path, pg_warehouse_url):
    from satudata.warehouse.access import create_operator_role

    settings_ = Settings(data_dir=tmp_path / "data", warehouse_url=pg_warehouse_url)
    settings_.ensure_folders()
    _write(pg_warehouse_url, _frames(PERIODE))
    konvergensi(PERIODE, settings_)
    _publish(settings_)
    admin = make_engine(pg_warehouse_url)
    with admin.begin() as conn:
        create_operator_role(conn, "operator_uji_dompu", "5205")
    admin.dispose()

    forum = _as(pg_warehouse_url, "satudata_forum")
    operator = _as(pg_warehouse_url, "operator_uji_dompu")
    pipeline = _as(pg_warehouse_url, "satudata_pipeline")
    try:
        with forum.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM mart.konvergensi_kabupaten")).scalar_one() == 2
            assert conn.execute(sa.text("SELECT count(*) FROM meta.kamus_data")).scalar_one() > 50
        for engine, sql in ((forum, "SELECT count(*) FROM core.individu_terpadu"),
                            (forum, "SELECT count(*) FROM core.indikator_konvergensi_desa"),
                            (forum, "SELECT count(*) FROM staging.intervensi"),
                            (forum, "SELECT count(*) FROM meta.publikasi"),
                            (forum, "DELETE FROM mart.konvergensi_desa"),
                            (operator, "SELECT count(*) FROM staging.dtks"),
                            (operator, "SELECT count(*) FROM meta.operator_kabupaten"),
                            (operator, "SELECT count(*) FROM core.indikator_konvergensi_provinsi"),
                            (operator, "UPDATE core.keluarga_terpadu SET desil = 1")):
            with engine.connect() as conn, pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
                conn.execute(sa.text(sql))
        with operator.connect() as conn:
            kabs = conn.execute(sa.text("SELECT DISTINCT kode_kab FROM core.individu_terpadu")).scalars().all()
            assert kabs == ["5205"], "row-level security: only its own regency"
            assert conn.execute(sa.text("SELECT count(*) FROM core.keluarga_terpadu WHERE kode_kab = '5206'")
                                ).scalar_one() == 0
            assert conn.execute(sa.text("SELECT nama FROM core.wilayah WHERE kode = '5205'")).scalar_one()
        with pipeline.begin() as conn:
            conn.execute(sa.text("UPDATE core.keluarga_terpadu SET jumlah_anggota = jumlah_anggota"))
            assert conn.execute(sa.text("SELECT count(DISTINCT kode_kab) FROM core.individu_terpadu")).scalar_one() == 2
    finally:
        for engine in (forum, operator, pipeline):
            engine.dispose()


def test_readers_never_see_a_half_switched_publication(tmp_path, pg_warehouse_url):
    settings_ = Settings(data_dir=tmp_path / "data", warehouse_url=pg_warehouse_url)
    settings_.ensure_folders()
    _write(pg_warehouse_url, _frames(PERIODE))
    konvergensi(PERIODE, settings_)
    _publish(settings_, minimum=5)
    reader = _as(pg_warehouse_url, "satudata_forum")
    seen: list[tuple] = []
    errors: list[BaseException] = []
    stop = threading.Event()
    tables = [t for t in INDICATOR_TABLES if t != "graduasi"]  # one period only: no graduation rows
    ids_sql = ", ".join(f"(SELECT array_agg(DISTINCT publikasi_id) FROM mart.{t} WHERE periode = :p)" for t in tables)

    def read() -> None:
        try:
            with reader.connect() as conn:
                while not stop.is_set():
                    row = conn.execute(sa.text(f"SELECT {ids_sql}, (SELECT count(*) FROM mart.konvergensi_desa "
                                               "WHERE periode = :p)"), {"p": PERIODE}).one()
                    conn.commit()
                    seen.append(tuple(tuple(x or ()) for x in row[:-1]) + (row[-1],))
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for minimum in (1, 5, 1, 5, 1, 5):  # each switches: the suppression differs
            _publish(settings_, minimum=minimum)
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not errors, errors
    assert len(seen) > 10
    for observation in seen:
        ids, desa_rows = observation[:-1], observation[-1]
        assert all(len(i) <= 1 for i in ids), f"a table with two publications at once: {ids}"
        assert len({i for i in ids if i}) == 1, f"tables from different publications in one read: {ids}"
        assert desa_rows > 0, "a reader saw the period empty"
    assert len({o[0] for o in seen}) >= 2, "the reader saw the switch happen"
    reader.dispose()


# ---------------------------------------------------------------------------------------------- DAG


def test_approval_routes_and_the_hitl_answer():
    from satudata.pipeline import approval_from_hitl, approval_route

    assert approval_route(APPROVER) == "approved_by_configuration"
    assert approval_route(None) in ("walidata_approval", "approved_by_configuration")
    answer = {"chosen_options": ["Approve"], "params_input": {}, "responded_by_user": {"id": "7", "name": "walidata"}}
    assert approval_from_hitl(answer) == {"disetujui_oleh": "walidata", "cara_persetujuan": "hitl"}
    assert approval_from_hitl({**answer, "chosen_options": ["Reject"]}) is None
    assert approval_from_hitl(None) is None


def test_without_configuration_the_dag_asks_a_person(monkeypatch, airflow_dags):
    from airflow.providers.standard.operators.hitl import ApprovalOperator
    from satudata.pipeline import approval_route

    monkeypatch.delenv("SATUDATA_PUBLISH_APPROVER", raising=False)
    assert approval_route(None) == "walidata_approval"
    dag = airflow_dags["satudata_publish"]
    approval = dag.get_task("walidata_approval")
    assert isinstance(approval, ApprovalOperator) and approval.ignore_downstream_trigger_rules
    assert "plan_publication" in approval.body
    assert dag.get_task("publish").upstream_task_ids >= {"walidata_approval", "approved_by_configuration"}


@pytest.mark.airflow
def test_publish_dag_runs_with_configured_approval(airflow_dags, monkeypatch, tmp_path, duckdb_warehouse_url):
    settings_ = Settings(data_dir=tmp_path / "data", warehouse_url=duckdb_warehouse_url)
    settings_.ensure_folders()
    _write(duckdb_warehouse_url, _frames(PERIODE))
    _write(duckdb_warehouse_url, _frames(BEFORE))
    konvergensi(PERIODE, settings_)
    monkeypatch.setenv("SATUDATA_DATA_DIR", str(settings_.data_dir))
    monkeypatch.setenv("SATUDATA_WAREHOUSE_URL", duckdb_warehouse_url)
    monkeypatch.delenv("SATUDATA_PUBLISH_APPROVER", raising=False)

    run = airflow_dags["satudata_publish"].test(run_conf={"periode": PERIODE, "disetujui_oleh": APPROVER})
    assert "success" in str(run.state)
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    assert "skipped" in states["walidata_approval"]
    assert all("success" in states[t] for t in ("approved_by_configuration", "publish", "write_exports",
                                               "write_report", "announce_publication"))
    assert query_rows(duckdb_warehouse_url, "SELECT disetujui_oleh, cara_persetujuan, status FROM meta.publikasi") == [
        (APPROVER, "konfigurasi", "terbit")]
    folder = latest_dir(settings_, PERIODE)
    assert (folder / "datapackage.json").exists() and (folder / f"laporan_{PERIODE}.html").exists()
    assert (folder / f"laporan_{PERIODE}.pdf").read_bytes().startswith(b"%PDF"), "typeset with no browser"
    assert np.isfinite(query_rows(duckdb_warehouse_url, "SELECT count(*) FROM mart.konvergensi_desa")[0][0])


def test_cli_publish_records_the_person_who_approved(tmp_path, duckdb_warehouse_url, capsys):
    from satudata.cli import main

    settings_ = Settings(data_dir=tmp_path / "data", warehouse_url=duckdb_warehouse_url)
    settings_.ensure_folders()
    _write(duckdb_warehouse_url, _frames(PERIODE))
    konvergensi(PERIODE, settings_)
    capsys.readouterr()
    code = main(["publish", "--data-dir", str(settings_.data_dir), "--warehouse", duckdb_warehouse_url,
                 "--period", PERIODE, "--disetujui-oleh", "Bapak Walidata"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["berubah"] and out["laporan"]["html"].endswith(f"laporan_{PERIODE}.html")
    assert out["laporan"]["pdf"].endswith(f"laporan_{PERIODE}.pdf")
    assert query_rows(duckdb_warehouse_url, "SELECT disetujui_oleh, cara_persetujuan, run_id FROM meta.publikasi") == [
        ("Bapak Walidata", "cli", "cli")]
    assert main(["publish", "--data-dir", str(settings_.data_dir), "--warehouse", duckdb_warehouse_url,
                 "--period", "2030-01", "--disetujui-oleh", "Bapak Walidata"]) == 2
