"""DAG integrity (policies every DAG must follow) and whole-DAG runs through Airflow itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from satudata.config import PROJECT_ROOT
from satudata.dag_support import OWNER, Tag

DAG_FILES = sorted((PROJECT_ROOT / "dags").glob("*.py"))
EXPECTED_DAGS = {"satudata_intake", "satudata_harmonise", "satudata_konvergensi", "satudata_publish"}
HEAVY_MODULES = ("pandas", "numpy", "great_expectations", "duckdb", "duckdb_engine", "splink", "pyarrow",
                 "openpyxl", "python_calamine", "alembic", "psycopg")


def test_every_stage_has_one_dag_file():
    assert {p.stem for p in DAG_FILES} == EXPECTED_DAGS


def test_dags_load_without_import_errors(airflow_dags):
    assert set(airflow_dags) == EXPECTED_DAGS


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_DAGS))
def test_dag_policies(airflow_dags, dag_id):
    dag = airflow_dags[dag_id]
    assert dag.tags, "every DAG is tagged"
    assert {str(t) for t in dag.tags} <= {t.value for t in Tag}, "tags come from satudata.dag_support.Tag"
    assert Tag.SATUDATA.value in {str(t) for t in dag.tags}
    assert dag.doc_md and dag_id in dag.doc_md, "doc_md documents the DAG (module docstring)"
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert dag.default_args["owner"] == OWNER
    assert dag.default_args["on_failure_callback"] is not None
    for task in dag.tasks:
        assert task.owner == OWNER
        assert task.retries >= 0 and "retries" in dag.default_args
        assert task.task_id.islower() and " " not in task.task_id


def test_ingest_runs_when_the_inbox_watcher_fires(airflow_dags):
    from satudata.triggers import InboxTrigger

    dag = airflow_dags["satudata_intake"]
    assets = list(dag.timetable.asset_condition.objects)
    assert [a.name for a in assets] == ["inbox"], "event-driven: no run while the inbox is empty"
    (watcher,) = assets[0].watchers
    assert isinstance(watcher.trigger, InboxTrigger)
    classpath, kwargs = watcher.trigger.serialize()
    assert classpath == "satudata.triggers.InboxTrigger" and kwargs["inbox"] is None, "the triggerer's own folder"
    assert {t.task_id for t in dag.tasks} >= {"prepare_warehouse", "register_files", "process_regency",
                                              "build_data_docs", "announce_dtks", "announce_p3ke",
                                              "announce_intervensi"}
    assert dag.get_task("process_regency").pool == "satudata_warehouse"


def test_a_cron_sweep_can_be_added_beside_the_watcher():
    code = ("import runpy; d = runpy.run_path('dags/satudata_intake.py')['satudata_intake']()\n"
            "t = d.timetable; print(type(t).__name__, t.timetable.expression, [a.name for a in t.asset_condition.objects])")
    env = {**os.environ, "SATUDATA_INGEST_SCHEDULE": "0 * * * *"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False,
                         cwd=PROJECT_ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["AssetOrTimeSchedule", "0", "*", "*", "*", "*", "['inbox']"]


def test_dag_retries_default_to_two_outside_tests():
    env = {k: v for k, v in os.environ.items() if k != "SATUDATA_TASK_RETRIES"}
    code = "from satudata.dag_support import default_args; print(default_args()['retries'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "2"


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_dag_files_import_nothing_heavy(dag_file: Path):
    """The scheduler parses DAG files constantly: no pandas, GX, DuckDB ... at module level."""
    code = (
        "import json, runpy, sys\n"
        f"runpy.run_path({str(dag_file)!r})\n"
        f"print(json.dumps([m for m in {HEAVY_MODULES!r} if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ.copy(),
                         check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_dag_files_are_thin():
    """A DAG file wires tasks; logic lives in the package (tasks import from satudata inside their body)."""
    for path in DAG_FILES:
        source = path.read_text()
        assert "import pandas" not in source and "sa.text(" not in source and "SELECT " not in source.upper()
        assert len(source.splitlines()) < 200, f"{path.name} is too long for a DAG file"


def _run(dag, monkeypatch, warehouse_url: str) -> str:
    from satudata_dev.airflow_local import run_dag

    monkeypatch.setenv("SATUDATA_WAREHOUSE_URL", warehouse_url)
    return run_dag(dag)


@pytest.mark.airflow
def test_ingest_dag_prepares_the_warehouse(airflow_dags, monkeypatch, empty_warehouse_url):
    state = _run(airflow_dags["satudata_intake"], monkeypatch, empty_warehouse_url)
    assert "success" in state
    engine = sa.create_engine(empty_warehouse_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM core.wilayah WHERE tingkat = 'desa'")).scalar_one() > 80_000
        assert conn.execute(sa.text("SELECT version_num FROM meta.alembic_version")).scalar_one()
    engine.dispose()
    # A re-run of the same DAG is idempotent.
    assert "success" in _run(airflow_dags["satudata_intake"], monkeypatch, empty_warehouse_url)


@pytest.mark.airflow
@pytest.mark.parametrize("dag_id", ["satudata_harmonise", "satudata_konvergensi", "satudata_publish"])
def test_stage_dags_run(airflow_dags, monkeypatch, fresh_duckdb_url, dag_id):
    assert "success" in _run(airflow_dags[dag_id], monkeypatch, fresh_duckdb_url)


@pytest.mark.airflow
def test_ingest_dag_maps_one_task_per_regency_and_announces_assets(airflow_dags, monkeypatch, tmp_path,
                                                                   duckdb_warehouse_url):
    from satudata.config import Settings
    from satudata.intake.run import list_submissions

    from tests.builders import DTKS_HEADER, aged, dtks_rows, write_csv

    data = tmp_path / "data"
    monkeypatch.setenv("SATUDATA_DATA_DIR", str(data))
    monkeypatch.setenv("SATUDATA_STABLE_SECONDS", "0")
    monkeypatch.setenv("SATUDATA_WAREHOUSE_URL", duckdb_warehouse_url)
    write_csv(data / "inbox/5205/dtks/dtks_5205_2026-11.csv", DTKS_HEADER, dtks_rows(12))
    empty = data / "inbox/5201/p3ke/p3ke_5201_2026-11.xlsx"
    empty.parent.mkdir(parents=True)
    empty.write_bytes(b"")
    aged(empty)

    run = airflow_dags["satudata_intake"].test()
    assert "success" in str(run.state)
    states = {}
    for ti in run.get_task_instances():
        states.setdefault(ti.task_id, []).append(str(ti.state))
    assert states["process_regency"] == ["success", "success"], "one mapped task per regency"
    labels = sorted(ti.rendered_map_index for ti in run.get_task_instances() if ti.task_id == "process_regency")
    assert [label.split(" (")[0] for label in labels] == ["5201: 1 berkas", "5205: 1 berkas"], labels
    assert states["announce_dtks"] == ["success"]
    assert states["announce_p3ke"] == ["skipped"], "a rejected file stages nothing: no Asset event"
    assert states["announce_intervensi"] == ["skipped"]
    settings = Settings(data_dir=data, warehouse_url=duckdb_warehouse_url)
    assert sorted(s["status"] for s in list_submissions(settings)) == ["accepted", "rejected"]


@pytest.mark.airflow
def test_ingest_dag_round_trips_kecamatan_files_and_tranches(airflow_dags, monkeypatch, tmp_path,
                                                               duckdb_warehouse_url):
    """Through Airflow: a regency-wide DTKS file, then a kecamatan file (the union stays active); PKH tranche 1,
    then tranche 2 (both count)."""
    from satudata.reference.wilayah import Wilayah

    from tests.builders import DTKS_HEADER, query_rows, write_csv
    from tests.intake.test_cakupan import (
        INTERVENSI_HEADER,
        WOJA,
        intervensi_rows,
        kecamatan_rows,
        regency_rows,
    )

    wilayah = Wilayah.load()
    data = tmp_path / "data"
    monkeypatch.setenv("SATUDATA_DATA_DIR", str(data))
    monkeypatch.setenv("SATUDATA_STABLE_SECONDS", "0")
    monkeypatch.setenv("SATUDATA_WAREHOUSE_URL", duckdb_warehouse_url)
    inbox = data / "inbox" / "5205"
    dag = airflow_dags["satudata_intake"]
    steps = [
        ("dtks/dtks_5205_2026-11.csv", DTKS_HEADER, regency_rows(wilayah, start=1)),
        ("dtks/dtks_5205_2026-11 woja.csv", DTKS_HEADER, kecamatan_rows(wilayah, WOJA, desa=7, start=2001)),
        ("intervensi/PKH_5205_2026-11 tahap 1.csv", INTERVENSI_HEADER, intervensi_rows(wilayah, start=1)),
        ("intervensi/PKH_5205_2026-11 tahap 2.csv", INTERVENSI_HEADER,
         intervensi_rows(wilayah, start=1, paid="25-11-2026")),
    ]
    for name, header, rows in steps:
        write_csv(inbox / name, header, rows)
        assert "success" in str(dag.test().state), name
    assert query_rows(duckdb_warehouse_url, "SELECT kode_kecamatan = :w, count(*) FROM staging.dtks WHERE aktif "
                                            "GROUP BY 1 ORDER BY 1", w=WOJA) == [(False, 112), (True, 28)]
    assert query_rows(duckdb_warehouse_url, "SELECT tahap, count(*) FROM staging.intervensi WHERE aktif "
                                            "GROUP BY 1 ORDER BY 1") == [("1", 32), ("2", 32)]
    assert query_rows(duckdb_warehouse_url, "SELECT count(*) FROM meta.submission WHERE status = 'accepted' "
                                            "AND superseded_by IS NULL") == [(4,)]
