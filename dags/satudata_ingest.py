"""
### satudata_ingest — regencies' files into the warehouse

Every few minutes: make sure the warehouse schema and reference data are current, then take in the
files regencies dropped in `inbox/<kode_kab>/<jenis>/`.

| task | what it does |
|---|---|
| `prepare_warehouse` | Alembic upgrade to the newest schema and reload changed reference data (idempotent) |

Runs one at a time (`max_active_runs=1`) without catch-up: each run takes whatever is in the inbox.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from satudata.dag_support import START_DATE, WAREHOUSE_POOL, Tag, default_args


@dag(
    dag_id="satudata_ingest",
    schedule="*/10 * * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=[Tag.SATUDATA, Tag.INTAKE],
    doc_md=__doc__,
)
def satudata_ingest():
    @task(pool=WAREHOUSE_POOL)
    def prepare_warehouse() -> dict:
        from satudata.pipeline import prepare_warehouse

        return prepare_warehouse()

    prepare_warehouse()


satudata_ingest()
