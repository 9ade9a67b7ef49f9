"""
### satudata_konvergensi — do the programmes reach the poorest families?

**Shape only: this stage is not built yet** (see the convergence issue). It will run when the harmonised
data or the programme-recipient lists change and will, per period:

| task (planned) | what it will do |
|---|---|
| `match_recipients` | link recipient lists to harmonised people and families (same linker as harmonisation) |
| `build_indicators` | coverage, exclusion/inclusion errors, overlaps, priority groups, pockets, graduation into `mart` |
| `write_action_lists` | `outbox/<kode_kab>/sasaran_belum_terintervensi_<periode>.xlsx` per regency |

It emits the `mart_konvergensi` Asset.
"""

from __future__ import annotations

from airflow.sdk import dag
from satudata.dag_support import CORE_TERPADU, STAGING_INTERVENSI, START_DATE, Tag, default_args


@dag(
    dag_id="satudata_konvergensi",
    schedule=(CORE_TERPADU | STAGING_INTERVENSI),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=[Tag.SATUDATA, Tag.CONVERGENCE],
    doc_md=__doc__,
)
def satudata_konvergensi():
    pass


satudata_konvergensi()
