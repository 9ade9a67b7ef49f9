"""
### satudata_harmonise — DTKS and P3KE matched into one list of people and families

**Shape only: this stage is not built yet** (see the harmonisation issue). It will run when the staged
DTKS or P3KE tables change and will:

| task (planned) | what it will do |
|---|---|
| `link_regency` (mapped per regency) | exact NIK pass, then Splink probabilistic pass; one-to-one links with weight and reason |
| `link_province` | people across regencies of the province |
| `build_core` | `core.individu_terpadu`, `core.keluarga_terpadu`, conflicts, review queue |

It emits the `core_terpadu` Asset.
"""

from __future__ import annotations

from airflow.sdk import dag
from satudata.dag_support import STAGING_DTKS, STAGING_P3KE, START_DATE, Tag, default_args


@dag(
    dag_id="satudata_harmonise",
    schedule=(STAGING_DTKS | STAGING_P3KE),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=[Tag.SATUDATA, Tag.HARMONISATION],
    doc_md=__doc__,
)
def satudata_harmonise():
    pass


satudata_harmonise()
