"""Publication of a period: the period, the approver and the approval text. The steps, run as the DAG's tasks or
all at once by `satudata.pipeline.publish` (CLI, demo):

1. `plan_publication`: what would change, for the walidata (data custodian) who approves;
2. approval: a human-in-the-loop task in production, configuration in the demo and tests, a named
   person on the command line;
3. `publish_period`: suppressed figures switched into `mart` in one transaction;
4. `write_exports` and `write_report`: files for the forum and a CKAN portal.
"""

from __future__ import annotations

import logging
import os

import sqlalchemy as sa

from satudata.config import Settings
from satudata.warehouse.periods import choose_period as periods_choice

log = logging.getLogger(__name__)

APPROVER_VARIABLE = "SATUDATA_PUBLISH_APPROVER"


def configured_approver(requested: str | None = None) -> str | None:
    """The walidata named by configuration (run parameter, else `SATUDATA_PUBLISH_APPROVER`), if any.

    Set only where a person has approved in advance (the demo, tests, a scripted backfill); otherwise the
    DAG asks in Airflow.
    """
    name = (requested or os.environ.get(APPROVER_VARIABLE) or "").strip()
    return name or None


def computed_periods(conn) -> list[str]:
    return list(conn.execute(sa.text(
        "SELECT DISTINCT periode FROM core.indikator_konvergensi_provinsi ORDER BY periode")).scalars())


def choose_period(settings: Settings, periode: str | None = None) -> str | None:
    """The period asked for, else the newest with computed indicators (None when there is none)."""
    return periods_choice(settings.warehouse_url, periode, computed_periods)


def plan_text(plan: dict) -> str:
    """The approval request's body (Markdown, Bahasa Indonesia)."""
    lines = [f"**Periode {plan['periode']}** (aturan `{plan['aturan']}`, sel kecil < {plan['ambang_sel_kecil']} disensor)",
             ""]
    if plan["publikasi_sekarang"] is None:
        lines.append("Periode ini belum pernah diterbitkan.")
    elif not plan["berubah"]:
        lines.append(f"Angka sama dengan publikasi {plan['publikasi_sekarang']}: tidak ada yang berubah.")
    else:
        lines.append(f"Menggantikan publikasi {plan['publikasi_sekarang']}.")
    lines += ["", "| provinsi | angka | sekarang | baru |", "|---|---|---|---|"]
    old = plan.get("angka_utama_lama") or {}
    for prov, figures in plan["angka_utama_baru"].items():
        for key, value in figures.items():
            before = (old.get(prov) or {}).get(key, "-")
            lines.append(f"| {prov} | {key} | {'-' if before is None else before} | {'disensor' if value is None else value} |")
    lines += ["", "Baris per tabel: " + ", ".join(f"{t} {n}" for t, n in plan["baris"].items()),
              f"Sel disensor: {plan['sel_disensor_primer']} primer, {plan['sel_disensor_sekunder']} sekunder."]
    return "\n".join(lines)
