"""Convergence of a period: what its steps share (the period, the regencies, the headline). The steps, run as
the DAG's tasks or all at once by `satudata.pipeline.konvergensi` (CLI, demo, rebuild):

1. `match_recipients` per regency (`recipients.py`);
2. `build_indicators` for the period, province-wide (`indicators.py`, SQL in `include/sql/konvergensi/`);
3. `write_action_list` per regency (`action_lists.py`).
"""

from __future__ import annotations

import json
import logging

import pandas as pd
import sqlalchemy as sa

from satudata.config import Settings
from satudata.konvergensi.indicators import headline
from satudata.warehouse.engine import make_engine, read_frame
from satudata.warehouse.periods import choose_period as periods_choice
from satudata.warehouse.workers import rows_per_regency

log = logging.getLogger(__name__)


def periods(conn) -> list[str]:
    """Harmonised periods, oldest first."""
    return list(conn.execute(sa.text("SELECT DISTINCT periode FROM meta.harmonisasi ORDER BY periode")).scalars())


def regencies(conn, periode: str) -> list[str]:
    """Regencies of the period with harmonised registries or recipient lists."""
    return sorted(conn.execute(sa.text(
        "SELECT kode_kab FROM meta.harmonisasi WHERE periode = :p "
        "UNION SELECT DISTINCT kode_kab FROM staging.intervensi WHERE periode = :p AND aktif"),
        {"p": periode}).scalars())


def harmonised_regencies(conn, periode: str) -> list[str]:
    return sorted(conn.execute(sa.text("SELECT kode_kab FROM meta.harmonisasi WHERE periode = :p"),
                               {"p": periode}).scalars())


def choose_period(settings: Settings, periode: str | None = None) -> str | None:
    """The period asked for, else the newest harmonised one (None when nothing is harmonised)."""
    return periods_choice(settings.warehouse_url, periode, periods)


def list_regencies(settings: Settings, periode: str, *, harmonised_only: bool = False) -> list[str]:
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            return harmonised_regencies(conn, periode) if harmonised_only else regencies(conn, periode)
    finally:
        engine.dispose()


def regencies_and_sizes(settings: Settings, periode: str) -> tuple[list[str], dict[str, int]]:
    """The period's regencies and, per regency, how many recipient rows and harmonised people matching them
    reads: what decides whether worker processes are worth starting, and how many regencies fit in memory side
    by side. The engine is disposed before returning: DuckDB workers open the file read-only after this."""
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            sizes = rows_per_regency(conn, [
                "SELECT kode_kab, count(*) FROM staging.intervensi WHERE aktif AND periode = :p GROUP BY kode_kab",
                "SELECT kode_kab, count(*) FROM core.individu_terpadu WHERE periode = :p GROUP BY kode_kab",
            ], {"p": periode})
            kabs = regencies(conn, periode)
            return kabs, {kab: sizes.get(kab, 0) for kab in kabs}
    finally:
        engine.dispose()


def period_headline(settings: Settings, periode: str) -> dict:
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            return headline(conn, periode)
    finally:
        engine.dispose()


def recipient_summary(settings: Settings, periode: str) -> pd.DataFrame:
    """Per regency, the last recipient-matching summary of the period (meta.konvergensi)."""
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            rows = read_frame(conn, "SELECT kode_kab, ringkasan FROM meta.konvergensi WHERE periode = :p "
                                    "AND langkah = 'padanan_penerima' ORDER BY kode_kab", {"p": periode})
    finally:
        engine.dispose()
    return pd.DataFrame([json.loads(r) for r in rows["ringkasan"]])
