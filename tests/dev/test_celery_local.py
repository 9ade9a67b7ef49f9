"""Scale-out, for real: `satudata_konvergensi` on a Celery worker, as the `celery` profile of docker-compose runs it.

No containers and no mocks: the components of the profile run as subprocesses of this project's
virtualenv (`satudata_dev.celery_local`): `airflow api-server`, `scheduler`, `dag-processor` and
`airflow celery worker --concurrency 2`, with

- a fresh PostgreSQL database as Airflow's metadata database and as the Celery result backend
  (`db+postgresql://...`, as in docker-compose.yaml): a clone of one that `airflow db migrate` and
  `airflow pools set` made once for the test run (`airflow_pg_metadata_url` in tests/conftest.py),
- a Redis database of its own on the local server (127.0.0.1:6379) as the broker,
- the test's PostgreSQL warehouse (`SATUDATA_WAREHOUSE_URL`): a DuckDB file cannot take writers from
  two worker processes.

The warehouse holds the two hand-made regencies of test_konvergensi (5205 and 5206, one recipient added
in 5206). The run is triggered through the REST API with `{"periode": "2026-11"}`, and the test checks
that every task instance, the per-regency mapped ones above all, went through Celery: the Celery task id
the executor recorded, SUCCESS for it in the result backend, the worker named as the task's host and in
Celery's record, the worker's own log; then the rows and the files the tasks wrote.
"""

from __future__ import annotations

import time
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa
from satudata.config import Settings
from satudata.konvergensi.action_lists import action_list_path
from satudata_dev.celery_local import CeleryCluster, claim_redis_db, release_redis_db

from tests.builders import query_rows
from tests.konvergensi.test_run import DESA2, KAB, KAB2, KK, LISTS, PERIODE, N, _frames, _write

pytestmark = [pytest.mark.airflow, pytest.mark.celery, pytest.mark.postgres, pytest.mark.timeout(600),
              pytest.mark.xdist_group("servers")]

DAG_ID = "satudata_konvergensi"
WORKER = "satudata-worker-1"
MAPPED = ("match_recipients", "write_action_list")


def _scenario() -> dict[str, pd.DataFrame]:
    """test_konvergensi's regencies, plus a PKH recipient in 5206 so that both regencies have recipients."""
    frames = _frames(PERIODE)
    recipients = frames["staging.intervensi"]
    extra = recipients.iloc[[0]].copy()
    extra = extra.assign(submission_id=950, kode_kab=KAB2, kode_program="PKH", nik=N["k7"], nik_valid=True,
                         no_kk=KK["K7"], nama="Ni Made Ayu", tanggal_lahir=date(1985, 1, 1),
                         tanggal_lahir_teks="01-01-1985", kode_desa=DESA2)
    frames["staging.intervensi"] = pd.concat([recipients, extra], ignore_index=True)
    return frames


def test_mapped_regency_tasks_run_on_a_celery_worker(tmp_path, pg_warehouse_url, airflow_pg_metadata_url):
    started = time.monotonic()
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=pg_warehouse_url)
    settings.ensure_folders()
    _write(pg_warehouse_url, _scenario())

    _, broker_url = claim_redis_db()
    cluster = CeleryCluster.create(
        tmp_path / "airflow",
        metadata_url=airflow_pg_metadata_url,  # psycopg2, the driver docker-compose.yaml uses
        broker_url=broker_url,
        result_backend="db+" + airflow_pg_metadata_url.replace("+psycopg2", ""),
        extra_env={
            "SATUDATA_WAREHOUSE_URL": pg_warehouse_url,
            "SATUDATA_DATA_DIR": str(settings.data_dir),
            "SATUDATA_TASK_RETRIES": "0",
        },
    )
    try:
        cluster.start_core()
        cluster.start_worker(WORKER, concurrency=2)
        cluster.wait_dag(DAG_ID)
        cluster.unpause(DAG_ID)
        run_id = cluster.trigger(DAG_ID, {"periode": PERIODE})
        state = cluster.wait_run(DAG_ID, run_id, timeout=300)
        tis = cluster.task_instances(DAG_ID, run_id)
        evidence = cluster.celery_evidence(DAG_ID, run_id)
        worker_log = cluster.read_log(WORKER)
        tails = cluster.tails(60)
    finally:
        cluster.stop_all()
        release_redis_db(broker_url)
    print(f"\nCelery scale-out test: {time.monotonic() - started:.0f} s, run {run_id}")

    assert state == "success", f"{DAG_ID} {run_id}: {state}\n" + "\n".join(
        f"{t['task_id']}[{t['map_index']}] {t['state']}" for t in tis) + "\n" + tails

    # The DAG mapped the per-regency tasks over both regencies, and every task instance succeeded.
    by_task: dict[str, list[dict]] = {}
    for ti in tis:
        by_task.setdefault(ti["task_id"], []).append(ti)
    for task_id in MAPPED:
        mapped = by_task[task_id]
        assert sorted(t["map_index"] for t in mapped) == [0, 1], task_id
        assert sorted(t["rendered_map_index"] for t in mapped) == [KAB, KAB2], "named after the regency"
    assert {t["state"] for t in tis} == {"success"}, [(t["task_id"], t["state"]) for t in tis]
    assert len(by_task["announce_konvergensi"]) == 1

    # ... and ran on the Celery worker: the task process reported the worker's name as its host,
    # the executor recorded a Celery task id, the result backend holds SUCCESS from celery@<worker>.
    assert {t["hostname"] for t in tis} == {WORKER}, [(t["task_id"], t["hostname"]) for t in tis]
    assert {t["queue"] for t in tis} == {"default"}
    assert len(evidence) == len(tis)
    for row in evidence:
        where = f"{row['task_id']}[{row['map_index']}]"
        assert row["external_executor_id"], f"{where}: no Celery task id"
        assert row["celery_status"] == "SUCCESS", f"{where}: {row}"
        assert row["celery_worker"] == f"celery@{WORKER}", f"{where}: {row}"
        assert f"execute_workload[{row['external_executor_id']}] received" in worker_log, where
    # The two regencies' tasks were distinct Celery tasks.
    for task_id in MAPPED:
        ids = {r["external_executor_id"] for r in evidence if r["task_id"] == task_id}
        assert len(ids) == 2, task_id

    # What the mapped tasks wrote: each regency's recipients matched (with this run's id) ...
    rows = dict(query_rows(pg_warehouse_url, "SELECT kode_kab, count(*) FROM core.penerima_program "
                                             "WHERE periode = :p GROUP BY kode_kab ORDER BY kode_kab", p=PERIODE))
    assert rows == {KAB: len(LISTS), KAB2: 1}
    found = query_rows(pg_warehouse_url, "SELECT status_padanan, id_individu FROM core.penerima_program "
                                         "WHERE periode = :p AND kode_kab = :k", p=PERIODE, k=KAB2)
    assert found == [("ditemukan", "dtks:k7")]
    summaries = query_rows(pg_warehouse_url, "SELECT kode_kab, run_id FROM meta.konvergensi WHERE periode = :p "
                                             "AND langkah = 'padanan_penerima' ORDER BY kode_kab", p=PERIODE)
    assert summaries == [(KAB, run_id), (KAB2, run_id)]
    # ... the province's indicators (one task after the mapped ones) ...
    engine = sa.create_engine(pg_warehouse_url)
    try:
        with engine.connect() as conn:
            kabs = conn.execute(sa.text("SELECT kode_kab FROM core.indikator_konvergensi_kabupaten "
                                        "WHERE periode = :p ORDER BY kode_kab"), {"p": PERIODE}).scalars().all()
    finally:
        engine.dispose()
    assert kabs == [KAB, KAB2]
    # ... and each regency's action list in its outbox folder.
    for kab in (KAB, KAB2):
        assert action_list_path(settings, kab, PERIODE).is_file(), kab
