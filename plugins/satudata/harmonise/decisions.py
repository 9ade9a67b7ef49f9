"""The reviewers' decisions harmonisation applies: the newest per pair, from `core.keputusan_review` (stored by
intake from the regencies' answers, `intake.review`).

    found = latest_decisions(conn, "5205")   # kode_kab, id_dtks, id_individu_p3ke, keputusan, ...
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy.engine import Connection

from satudata.warehouse.engine import read_frame

LATEST_COLUMNS = ["kode_kab", "id_dtks", "id_individu_p3ke", "keputusan", "diputuskan_oleh", "diputuskan_pada",
                  "submission_id", "catatan"]


def latest_decisions(conn: Connection, kode_kab: str | None = None) -> pd.DataFrame:
    """The newest decision per (kode_kab, id_dtks, id_individu_p3ke): what overrides the model."""
    where = "WHERE kode_kab = :k" if kode_kab is not None else ""
    frame = read_frame(conn, f"""
        SELECT {", ".join(LATEST_COLUMNS)}
        FROM (
            SELECT {", ".join(LATEST_COLUMNS)},
                   ROW_NUMBER() OVER (PARTITION BY kode_kab, id_dtks, id_individu_p3ke
                                      ORDER BY diputuskan_pada DESC, submission_id DESC) AS urutan
            FROM core.keputusan_review {where}
        ) AS k
        WHERE urutan = 1
        ORDER BY kode_kab, id_dtks, id_individu_p3ke
    """, {"k": kode_kab} if kode_kab is not None else None)
    return frame[LATEST_COLUMNS]


__all__ = ["LATEST_COLUMNS", "latest_decisions"]
