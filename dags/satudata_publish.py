"""
### satudata_publish — the Satu Data warehouse the forum reads

**Shape only: this stage is not built yet** (see the publication issue). It will run when the
convergence indicators change and will:

| task (planned) | what it will do |
|---|---|
| `build_publication` | new `mart` state built aside, small cells suppressed, no personal data |
| `approve` | the walidata (data custodian) approves a summary of what changed (human-in-the-loop) |
| `switch` | the new state switched in one transaction; `meta.publikasi` records it |
| `export` | CSV/XLSX + `datapackage.json`, data dictionary, HTML report with charts |

It emits the `mart_publikasi` Asset.
"""

from __future__ import annotations

from airflow.sdk import dag
from satudata.dag_support import MART_KONVERGENSI, START_DATE, Tag, default_args


@dag(
    dag_id="satudata_publish",
    schedule=MART_KONVERGENSI,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=[Tag.SATUDATA, Tag.PUBLICATION],
    doc_md=__doc__,
)
def satudata_publish():
    pass


satudata_publish()
