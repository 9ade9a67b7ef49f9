"""
### satudata_konvergensi — do the programmes reach the poorest families?

Runs when harmonised data (`core_terpadu`) or recipient lists (`staging_intervensi`) change, or by hand
for a period (`periode` = `YYYY-MM`; empty = the newest harmonised period). The rules of the period are
the YAML file of `include/rules/` in force for it; the indicators are the SQL of
`include/sql/konvergensi/`. Every task replaces exactly what it owns for the period, so a re-run or a
backfill gives identical tables.

| task | what it does |
|---|---|
| `prepare_warehouse` | migrate the warehouse (new tables of this stage) |
| `choose_period` | the period to compute |
| `list_regencies` | regencies with harmonised data or recipient lists in the period |
| `match_recipients` (mapped) | recipient lists linked to harmonised people and families (same linker as harmonisation) |
| `build_indicators` | rules applied (P3KE desil, or DTSEN desil from the 2025 rules); coverage, exclusion/inclusion, overlaps, priority groups, pockets, graduation, the DTSEN transition into `core.indikator_*`, in one transaction |
| `list_harmonised_regencies` | regencies that get an action list |
| `write_action_list` (mapped) | `outbox/<kode_kab>/sasaran_belum_terintervensi_<periode>.xlsx`; under DTSEN desil also `tindak_lanjut_dtsen_<periode>.xlsx` (reactivation, SIKS-NG proposals) |
| `announce_konvergensi` | emits the `indikator_konvergensi` Asset with the headline figures |
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task
from satudata.dag_support import (
    CORE_TERPADU,
    INDIKATOR_KONVERGENSI,
    STAGING_INTERVENSI,
    START_DATE,
    WAREHOUSE_POOL,
    Tag,
    default_args,
)


@dag(
    dag_id="satudata_konvergensi",
    schedule=(CORE_TERPADU | STAGING_INTERVENSI),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=[Tag.SATUDATA, Tag.KONVERGENSI],
    params={"periode": Param(None, type=["null", "string"], description="YYYY-MM; empty = newest harmonised period")},
    doc_md=__doc__,
)
def satudata_konvergensi():
    @task(pool=WAREHOUSE_POOL)
    def prepare_warehouse() -> dict:
        from satudata.pipeline import prepare_warehouse

        return prepare_warehouse()

    @task
    def choose_period(params: dict | None = None) -> str:
        from satudata.pipeline import konvergensi_period

        return konvergensi_period((params or {}).get("periode"))

    @task
    def list_regencies(periode: str) -> list[str]:
        from satudata.pipeline import konvergensi_regencies

        return konvergensi_regencies(periode)

    @task(pool=WAREHOUSE_POOL, map_index_template="{{ kode_kab_label }}")
    def match_recipients(kode_kab: str, periode: str) -> dict:
        from satudata.pipeline import match_recipients

        return match_recipients(kode_kab, periode)

    @task(pool=WAREHOUSE_POOL)
    def build_indicators(periode: str) -> dict:
        from satudata.pipeline import build_indicators

        return build_indicators(periode)

    @task
    def list_harmonised_regencies(periode: str) -> list[str]:
        from satudata.pipeline import konvergensi_regencies

        return konvergensi_regencies(periode, harmonised_only=True)

    @task(pool=WAREHOUSE_POOL, map_index_template="{{ kode_kab_label }}")
    def write_action_list(kode_kab: str, periode: str) -> dict:
        from satudata.pipeline import write_action_list

        return write_action_list(kode_kab, periode)

    @task(outlets=[INDIKATOR_KONVERGENSI])
    def announce_konvergensi(periode: str) -> dict:
        from satudata.pipeline import announce_konvergensi

        return announce_konvergensi(periode)

    prepared = prepare_warehouse()
    periode = choose_period()
    prepared >> periode
    matched = match_recipients.partial(periode=periode).expand(kode_kab=list_regencies(periode))
    built = build_indicators(periode)
    matched >> built
    kabs = list_harmonised_regencies(periode)
    built >> kabs
    lists = write_action_list.partial(periode=periode).expand(kode_kab=kabs)
    lists >> announce_konvergensi(periode)


satudata_konvergensi()
