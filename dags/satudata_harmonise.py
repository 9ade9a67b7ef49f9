"""
### satudata_harmonise — DTKS, P3KE and DTSEN matched into one list of people and families

Runs when staged DTKS, P3KE or DTSEN change (Assets from `satudata_intake`), or by hand for a period
(`periode` = `YYYY-MM`; empty = the newest staged period). Every task replaces exactly the rows it owns
for the period, so a re-run or a backfill gives the same warehouse.

| task | what it does |
|---|---|
| `prepare_warehouse` | migrate the warehouse (new tables of this stage) |
| `choose_period` | the period to harmonise |
| `list_regencies` | regencies with staged DTKS, P3KE or DTSEN for it |
| `link_regency` (mapped) | exact NIK pass, then Splink probabilistic pass; pairs with weight and reason; review queue |
| `link_province` | people left unlinked, across the province's regencies |
| `build_regency` (mapped) | `core.individu_terpadu`, `core.keluarga_terpadu`, conflicts, review workbook in the outbox; DTSEN linked to them (NIK first, then the fitted model): `core.padanan_dtsen` |
| `announce_harmonised` | emits the `core_terpadu` Asset with the period's counts |

The model is the versioned file `include/models/padanan_individu.json`; runs never retrain it.
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task
from satudata.dag_support import (
    CORE_TERPADU,
    STAGING_DTKS,
    STAGING_DTSEN,
    STAGING_P3KE,
    START_DATE,
    WAREHOUSE_POOL,
    Tag,
    default_args,
)


@dag(
    dag_id="satudata_harmonise",
    schedule=(STAGING_DTKS | STAGING_P3KE | STAGING_DTSEN),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=[Tag.SATUDATA, Tag.HARMONISE],
    params={"periode": Param(None, type=["null", "string"], description="YYYY-MM; empty = newest staged period")},
    doc_md=__doc__,
)
def satudata_harmonise():
    @task(pool=WAREHOUSE_POOL)
    def prepare_warehouse() -> dict:
        from satudata.pipeline import prepare_warehouse

        return prepare_warehouse()

    @task
    def choose_period(params: dict | None = None) -> str:
        from satudata.pipeline import harmonise_period

        return harmonise_period((params or {}).get("periode"))

    @task
    def list_regencies(periode: str) -> list[str]:
        from satudata.pipeline import harmonise_regencies

        return harmonise_regencies(periode)

    @task(pool=WAREHOUSE_POOL, map_index_template="{{ kode_kab_label }}")
    def link_regency(kode_kab: str, periode: str) -> dict:
        from satudata.pipeline import link_regency

        return link_regency(kode_kab, periode)

    @task(pool=WAREHOUSE_POOL)
    def link_province(periode: str) -> dict:
        from satudata.pipeline import link_province

        return link_province(periode)

    @task(pool=WAREHOUSE_POOL, map_index_template="{{ kode_kab_label }}")
    def build_regency(kode_kab: str, periode: str) -> dict:
        from satudata.pipeline import build_regency

        return build_regency(kode_kab, periode)

    @task(outlets=[CORE_TERPADU])
    def announce_harmonised(periode: str) -> dict:
        from satudata.pipeline import announce_harmonised

        return announce_harmonised(periode)

    prepared = prepare_warehouse()
    periode = choose_period()
    prepared >> periode
    kabs = list_regencies(periode)
    linked = link_regency.partial(periode=periode).expand(kode_kab=kabs)
    province = link_province(periode)
    linked >> province
    built = build_regency.partial(periode=periode).expand(kode_kab=kabs)
    province >> built
    built >> announce_harmonised(periode)


satudata_harmonise()
