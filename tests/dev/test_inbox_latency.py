"""The inbox reacts: in a real Airflow (api-server, scheduler, dag-processor, triggerer, a Celery worker) a
file dropped in the inbox is answered in about a minute, with nobody triggering anything.

`satudata_intake` is scheduled on the `inbox` Asset, whose watcher (`satudata.triggers.InboxTrigger`) runs
in the triggerer with the production defaults: it looks every 5 s and takes a file once it has been left
alone for 10 s (`SATUDATA_STABLE_SECONDS`). The test checks that an empty inbox creates no run at all,
then drops a file and measures drop to answer (the report in outbox/). The run is the whole DAG as in
production (`prepare_warehouse` included: the warehouse is a migrated one, as a deployment's is after its
first run). The watcher never touches the file: intake archives it. (A second file measured the same as
the first, 29 s and 33 s here, at 45 s more of the suite: one is measured.)
"""

from __future__ import annotations

import shutil
import time

import pytest
from satudata.config import Settings
from satudata_dev.celery_local import CeleryCluster, claim_redis_db, release_redis_db

from tests.builders import DTKS_HEADER, dtks_rows, query_rows, write_csv

pytestmark = [pytest.mark.airflow, pytest.mark.celery, pytest.mark.postgres, pytest.mark.timeout(600),
              pytest.mark.xdist_group("servers")]  # a latency: measured without a deployment beside it

DAG_ID = "satudata_intake"
ANSWER_WITHIN = 90  # seconds; the issue asks for "about a minute"


def _drop(settings: Settings, staging: str, name: str, rows: list[list]) -> tuple[float, str]:
    """Copy a file into the inbox the way a share does (written elsewhere, then moved in); the moment."""
    source = write_csv(settings.data_dir / staging / name, DTKS_HEADER, rows)
    target = settings.folder("inbox") / "5205" / "dtks" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    moment = time.time()
    shutil.copyfile(source, target)  # a fresh mtime: the watcher waits for it to settle
    return moment, f"*-dtks-{name}.laporan.xlsx"  # <id>-<jenis>-<name>


def test_a_dropped_file_is_answered_within_a_minute(tmp_path, pg_warehouse_url, airflow_pg_metadata_url):
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=pg_warehouse_url)
    settings.ensure_folders()
    _, broker_url = claim_redis_db()
    cluster = CeleryCluster.create(
        tmp_path / "airflow",
        metadata_url=airflow_pg_metadata_url,
        broker_url=broker_url,
        extra_env={"SATUDATA_WAREHOUSE_URL": pg_warehouse_url, "SATUDATA_DATA_DIR": str(settings.data_dir),
                   "SATUDATA_TASK_RETRIES": "0"},
    )
    latencies = []
    try:
        cluster.start_core(triggerer=True)
        cluster.start_worker("satudata-worker-1", concurrency=2)
        cluster.wait_dag(DAG_ID)
        cluster.unpause(DAG_ID)
        cluster.wait_for(lambda: "watching" in cluster.read_log("triggerer"), 90, "the inbox watcher to start")
        time.sleep(7)  # more than one look of the watcher (every 5 s)
        assert cluster.dag_runs(DAG_ID) == [], "an empty inbox costs the scheduler nothing: no run"

        outbox = settings.folder("outbox") / "5205"
        dropped, answer = _drop(settings, "luar", "dtks_5205_2026-11 kiriman 1.csv", dtks_rows(20))
        cluster.wait_for(lambda: any(outbox.glob(answer)), 180, f"the answer {answer}", interval=0.25)
        latencies.append(time.time() - dropped)
        cluster.wait_idle(DAG_ID, timeout=120)
        runs = cluster.dag_runs(DAG_ID)
        tails = cluster.tails(40)
    finally:
        cluster.stop_all()
        release_redis_db(broker_url)
    print(f"\ninbox drop-to-answer latency: {latencies[0]:.1f} s (stable 10 s, poll 5 s)")

    assert {r["run_type"] for r in runs} == {"asset_triggered"}, runs
    assert {r["state"] for r in runs} == {"success"}, tails
    assert len(runs) == 1, "one run for the settled file, none before it"
    assert latencies[0] < ANSWER_WITHIN, latencies
    statuses = query_rows(pg_warehouse_url, "SELECT status FROM meta.submission ORDER BY submission_id")
    assert statuses == [("accepted",)]
    assert not list((settings.folder("inbox") / "5205" / "dtks").iterdir()), "taken in by intake, not the watcher"
