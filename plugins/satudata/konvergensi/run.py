"""Convergence of a period, step by step (the DAG's tasks) or all at once (CLI and demo).

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
from satudata.konvergensi.action_lists import write_action_list
from satudata.konvergensi.indicators import build_indicators, headline
from satudata.konvergensi.recipients import match_recipients
from satudata.warehouse.engine import make_engine, read_frame
from satudata.warehouse.journal import record_stage
from satudata.warehouse.periods import choose_period as periods_choice

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


def konvergensi(settings: Settings, periode: str | None = None, *, run_id: str | None = None) -> dict:
    """All convergence steps of a period in one process; the DAG runs the same functions as tasks."""
    from satudata.warehouse.bootstrap import init_warehouse

    init_warehouse(settings.warehouse_url)
    periode = choose_period(settings, periode)
    if not periode:
        return {"periode": None, "alasan": "belum ada data yang diharmonisasi"}
    kabs = list_regencies(settings, periode)
    matched = {k: match_recipients(settings, k, periode, run_id=run_id) for k in kabs}
    built = build_indicators(settings, periode, run_id=run_id)
    lists = {k: write_action_list(settings, k, periode) for k in list_regencies(settings, periode,
                                                                                 harmonised_only=True)}
    record_stage(settings.folder("archive"), "konvergensi", periode)
    return {"periode": periode, "penerima": matched, "indikator": built, "daftar_sasaran": lists}
