"""
### satudata_intake — regencies' files into the warehouse

When a file has settled in `inbox/<kode_kab>/<jenis>/` (the `inbox` Asset: the triggerer's `InboxTrigger`
looks every few seconds and touches nothing; `SATUDATA_INGEST_SCHEDULE` may add a cron sweep): take in the
files regencies dropped, answer each one in `outbox/<kode_kab>/<id>-<jenis>-<file>.laporan.xlsx` (Bahasa Indonesia), and
stage the good rows.

| task | what it does |
|---|---|
| `prepare_warehouse` | Alembic upgrade to the newest schema and reload changed reference data (idempotent) |
| `register_files` | archive each ready file untouched, record it in `meta.submission`, then clear it from the inbox; duplicates answered at once |
| `process_regency` (one per regency) | its files in the order they arrived: read, validate with the GX suites in `expectations/`, stage valid rows, write the report; one bad file never blocks another (the task fails after the others, and its retry takes only the unfinished) |
| `build_data_docs` | GX Data Docs (HTML) for engineers under `<data>/gx/` |
| `announce_<jenis>` | emits the `staging_<jenis>` Asset when that jenis got new rows (skipped otherwise) |

Runs one at a time (`max_active_runs=1`) without catch-up: each run takes whatever is in the inbox (a file
dropped during a run queues the next one). A file left half-done by a crash is finished by the next run.
"""

from __future__ import annotations

from airflow.sdk import TriggerRule, dag, task
from satudata.dag_support import (
    STAGING_BY_JENIS,
    START_DATE,
    WAREHOUSE_POOL,
    Tag,
    default_args,
    ingest_schedule,
)


@dag(
    dag_id="satudata_intake",
    schedule=ingest_schedule(),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=[Tag.SATUDATA, Tag.INTAKE],
    doc_md=__doc__,
)
def satudata_intake():
    @task(pool=WAREHOUSE_POOL)
    def prepare_warehouse() -> dict:
        from satudata.pipeline import prepare_warehouse

        return prepare_warehouse()

    @task(pool=WAREHOUSE_POOL)
    def register_files() -> list[int]:
        from satudata.pipeline import register_files

        return register_files()

    @task(pool=WAREHOUSE_POOL, map_index_template="{{ regency_label }}")
    def process_regency(submission_ids: list[int]) -> list[dict]:
        from satudata.pipeline import process_regency

        return process_regency(submission_ids)

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def build_data_docs() -> str | None:
        from satudata.pipeline import build_data_docs

        return build_data_docs()

    prepared = prepare_warehouse()
    pending = register_files()
    prepared >> pending
    processed = process_regency.expand(submission_ids=pending)
    processed >> build_data_docs()

    # What was staged is read from the ledger (by run id), not pulled from every mapped task's XCom.
    for jenis, asset in STAGING_BY_JENIS.items():

        @task(task_id=f"announce_{jenis}", outlets=[asset], trigger_rule=TriggerRule.ALL_DONE)
        def announce(jenis: str = jenis) -> int:
            from satudata.pipeline import announce_staged

            return announce_staged(jenis)

        processed >> announce()


satudata_intake()
