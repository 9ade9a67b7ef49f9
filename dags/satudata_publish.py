"""
### satudata_publish — the Satu Data warehouse the forum reads

Runs when the convergence indicators change (Asset `indikator_konvergensi`), or by hand for a period
(`periode`; empty = the newest computed). The walidata (data custodian) approves every publication:

| task | what it does |
|---|---|
| `prepare_warehouse` | migrate the warehouse; roles, grants and row-level security on PostgreSQL |
| `choose_period` | the period to publish |
| `plan_publication` | suppression applied aside; what would change (headline figures, rows, suppressed cells) |
| `route_approval` | a walidata named by configuration (run parameter `disetujui_oleh` or `SATUDATA_PUBLISH_APPROVER`, for the demo, tests and scripted backfills) or a person in Airflow |
| `walidata_approval` | human-in-the-loop: the plan is shown in Airflow (Browse → Required Actions); *Reject* skips everything after it |
| `approved_by_configuration` | the configured approval, recorded as such |
| `publish` | the new `mart` state switched in one transaction; `meta.publikasi` records who, when, what, from which submissions |
| `write_exports` | CSV + XLSX per table, data dictionary, Frictionless `datapackage.json` in `publikasi/<periode>/publikasi_<id>/` |
| `write_report` | the forum's report in the same folder: HTML with interactive charts (Vega-Lite) and a PDF (Typst) |
| `announce_publication` | emits the `mart_publikasi` Asset |
"""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.sdk import Param, dag, task
from airflow.task.trigger_rule import TriggerRule
from satudata.dag_support import (
    INDIKATOR_KONVERGENSI,
    MART_PUBLIKASI,
    START_DATE,
    WAREHOUSE_POOL,
    Tag,
    default_args,
)


@dag(
    dag_id="satudata_publish",
    schedule=INDIKATOR_KONVERGENSI,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=[Tag.SATUDATA, Tag.PUBLISH],
    params={
        "periode": Param(None, type=["null", "string"], description="YYYY-MM; empty = newest computed period"),
        "disetujui_oleh": Param(None, type=["null", "string"],
                                description="walidata approving by configuration; empty = ask in Airflow"),
    },
    doc_md=__doc__,
)
def satudata_publish():
    @task(pool=WAREHOUSE_POOL)
    def prepare_warehouse() -> dict:
        from satudata.pipeline import prepare_warehouse

        return prepare_warehouse()

    @task
    def choose_period(params: dict | None = None) -> str:
        from satudata.pipeline import publish_period_choice

        return publish_period_choice((params or {}).get("periode"))

    @task
    def plan_publication(periode: str) -> dict:
        from satudata.pipeline import plan_publication

        return plan_publication(periode)

    @task.branch
    def route_approval(params: dict | None = None) -> str:
        from satudata.pipeline import approval_route

        return approval_route((params or {}).get("disetujui_oleh"))

    @task
    def approved_by_configuration(params: dict | None = None) -> dict:
        from satudata.pipeline import configured_approval

        return configured_approval((params or {}).get("disetujui_oleh"))

    @task(pool=WAREHOUSE_POOL, trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
    def publish(periode: str, ti=None) -> dict:
        from satudata.pipeline import approval_from_hitl, publish_approved

        # One of the two approval tasks ran; the other was skipped and left no XCom.
        approval = (ti.xcom_pull(task_ids="approved_by_configuration")
                    or approval_from_hitl(ti.xcom_pull(task_ids="walidata_approval")))
        if not approval:
            raise ValueError("no approval recorded for this publication")
        return publish_approved(periode, approval)

    @task
    def write_exports(periode: str) -> dict:
        from satudata.pipeline import write_exports

        return write_exports(periode)

    @task
    def write_report(periode: str) -> dict:
        from satudata.pipeline import write_report

        return write_report(periode)

    @task(outlets=[MART_PUBLIKASI])
    def announce_publication(published: dict) -> dict:
        return published

    prepared = prepare_warehouse()
    periode = choose_period()
    prepared >> periode
    plan = plan_publication(periode)
    route = route_approval()
    plan >> route
    hitl = ApprovalOperator(
        task_id="walidata_approval",
        subject="Terbitkan data konvergensi periode {{ ti.xcom_pull(task_ids='choose_period') }}?",
        body="{{ ti.xcom_pull(task_ids='plan_publication')['ringkasan_md'] }}",
        response_timeout=timedelta(days=14),
        ignore_downstream_trigger_rules=True,  # Reject: nothing after it runs, whatever its trigger rule
    )
    configured = approved_by_configuration()
    route >> [hitl, configured]
    published = publish(periode)
    [hitl, configured] >> published
    exported = write_exports(periode)
    published >> exported
    reported = write_report(periode)
    exported >> reported
    reported >> announce_publication(published)


satudata_publish()
