"""Versioned, atomic publication of one period into `mart`.

The exact indicators of the period (`core.indikator_*`) are read, small cells suppressed
(`suppress.py`), and the result is switched into `mart` in one transaction together with its
`meta.publikasi` record and the data dictionary: a reader sees the previous publication of the period
or the new one, never a mix, and other periods are untouched. Publishing figures identical to the
current publication is a no-op, so a re-run leaves the warehouse as it was.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa

from satudata.config import Settings
from satudata.intake import journal
from satudata.konvergensi.indicators import INDICATOR_TABLES
from satudata.publish.suppress import suppress
from satudata.warehouse.engine import bulk_insert, make_engine, read_frame

log = logging.getLogger(__name__)

DEFAULT_MINIMUM_CELL = 5
APPROVAL_WAYS = ("hitl", "konfigurasi", "cli")


class NothingToPublish(ValueError):
    """The period has no computed indicators."""


def minimum_cell() -> int:
    """Counts below this are suppressed: `SATUDATA_MIN_CELL`, default 5."""
    value = os.environ.get("SATUDATA_MIN_CELL", str(DEFAULT_MINIMUM_CELL))
    try:
        number = int(value)
    except ValueError as exc:
        raise ValueError(f"SATUDATA_MIN_CELL must be a whole number, not {value!r}") from exc
    if number < 1:
        raise ValueError(f"SATUDATA_MIN_CELL must be at least 1, not {number}")
    return number


def restore_integers(frame: pd.DataFrame) -> pd.DataFrame:
    """Whole-number columns with empty cells come back from the driver as floats (2.0): make them Int64.

    Percentages (`persen_*`) stay decimal whatever their values.
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if column.startswith("persen") or not pd.api.types.is_float_dtype(values):
            continue
        present = values.dropna()
        if (present == present.round()).all():
            out[column] = values.astype("Int64")
    return out


def _exact(conn, periode: str) -> dict[str, pd.DataFrame]:
    return {t: restore_integers(read_frame(conn, f"SELECT * FROM core.indikator_{t} WHERE periode = :p",
                                           {"p": periode}))
            for t in INDICATOR_TABLES}


def _published_pockets(frame: pd.DataFrame) -> pd.DataFrame:
    """Only desa whose uncovered count is published are listed, ranked again among themselves.

    A suppressed desa left in the ranking would sit between two published neighbours and so be bounded
    by them; dropped, it is simply not in the list (it stays in konvergensi_desa, suppressed).
    """
    kept = frame[frame["desil1_tanpa_program_inti"].notna()].copy()
    for column, group in (("peringkat_provinsi", "kode_provinsi"), ("peringkat_kabupaten", "kode_kab")):
        kept[column] = kept.groupby(group)[column].rank(method="first").astype("Int64")
    return kept.reset_index(drop=True)


def _suppressed(exact: dict[str, pd.DataFrame], minimum: int):
    result = suppress(exact, minimum)
    pockets = result.tables["kantong_kemiskinan"]
    listed = pockets["desil1_tanpa_program_inti"].notna().to_numpy()
    result.tables["kantong_kemiskinan"] = _published_pockets(pockets)
    result.masks["kantong_kemiskinan"] = result.masks["kantong_kemiskinan"][listed].reset_index(drop=True)
    return result


def _fingerprint(tables: dict[str, pd.DataFrame], minimum: int) -> str:
    """sha256 of the published content (not of the publication id), independent of row order."""
    digest = hashlib.sha256(f"minimum={minimum}\n".encode())
    for name in sorted(tables):
        frame = tables[name]
        rows = frame.astype("string").fillna("\x00").agg("\x1f".join, axis=1) if len(frame) else pd.Series([], dtype=str)
        text = "\n".join(sorted(rows.tolist()))
        digest.update(f"{name}\n{','.join(frame.columns)}\n{text}\n".encode())
    return digest.hexdigest()


def _sources(conn, periode: str) -> dict:
    harmonised = read_frame(conn, "SELECT kode_kab, submission_dtks, submission_p3ke FROM meta.harmonisasi "
                                  "WHERE periode = :p ORDER BY kode_kab", {"p": periode})
    lists = conn.execute(sa.text("SELECT DISTINCT submission_id FROM core.penerima_program WHERE periode = :p "
                                 "ORDER BY submission_id"), {"p": periode}).scalars().all()
    def ids(values: pd.Series) -> list[int]:
        return sorted({int(v) for v in values.dropna()})

    return {"dtks": ids(harmonised["submission_dtks"]), "p3ke": ids(harmonised["submission_p3ke"]),
            "intervensi": [int(v) for v in lists]}


def current_publication(conn, periode: str) -> dict | None:
    rows = read_frame(conn, "SELECT * FROM meta.publikasi WHERE periode = :p AND status = 'terbit'", {"p": periode})
    return None if rows.empty else rows.iloc[0].to_dict()


def _headline(frame: pd.DataFrame) -> dict:
    columns = ("keluarga_desil1", "desil1_terintervensi", "desil1_tanpa_program_inti", "persen_cakupan_desil1",
               "keluarga_penerima_di_atas_desil", "penerima_tidak_ditemukan", "keluarga_tumpang_tindih_pelanggaran",
               "keluarga_tumpang_tindih_audit")
    out = {}
    for row in frame.to_dict("records"):
        out[row["kode_provinsi"]] = {c: (None if pd.isna(row[c]) else float(row[c]) if "persen" in c else int(row[c]))
                                     for c in columns if c in row}
    return out


def plan_publication(settings: Settings, periode: str, *, minimum: int | None = None) -> dict:
    """What publishing the period would change: for the walidata who approves it."""
    minimum = minimum or minimum_cell()
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            exact = _exact(conn, periode)
            current = current_publication(conn, periode)
            old_head = read_frame(conn, "SELECT * FROM mart.konvergensi_provinsi WHERE periode = :p", {"p": periode})
            rules = conn.execute(sa.text("SELECT berkas FROM meta.aturan_konvergensi WHERE periode = :p"),
                                 {"p": periode}).scalar_one_or_none()
    finally:
        engine.dispose()
    if exact["konvergensi_provinsi"].empty:
        raise NothingToPublish(f"no indicators computed for {periode}: run the convergence stage first")
    result = _suppressed(exact, minimum)
    fingerprint = _fingerprint(result.tables, minimum)
    return {
        "periode": periode, "aturan": rules, "ambang_sel_kecil": minimum,
        "baris": {t: len(f) for t, f in result.tables.items()},
        "sel_disensor": result.cells(), "sel_disensor_primer": result.primary,
        "sel_disensor_sekunder": result.secondary,
        "publikasi_sekarang": None if current is None else int(current["publikasi_id"]),
        "berubah": current is None or current["sidik_jari"] != fingerprint,
        "angka_utama_baru": _headline(result.tables["konvergensi_provinsi"]),
        "angka_utama_lama": _headline(old_head) if not old_head.empty else None,
        "sidik_jari": fingerprint,
    }


def publish_period(settings: Settings, periode: str, *, disetujui_oleh: str, cara_persetujuan: str,
                   run_id: str | None = None, minimum: int | None = None) -> dict:
    """Suppress and switch the period's indicators into `mart` in one transaction; record it."""
    from satudata.publish.dictionary import load_into_warehouse

    if cara_persetujuan not in APPROVAL_WAYS:
        raise ValueError(f"cara_persetujuan must be one of {APPROVAL_WAYS}, not {cara_persetujuan!r}")
    if not (disetujui_oleh or "").strip():
        raise ValueError("a publication needs the name of the walidata who approved it")
    minimum = minimum or minimum_cell()
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            exact = _exact(conn, periode)
            sources = _sources(conn, periode)
            rules = conn.execute(sa.text("SELECT berkas FROM meta.aturan_konvergensi WHERE periode = :p"),
                                 {"p": periode}).scalar_one_or_none()
        if exact["konvergensi_provinsi"].empty:
            raise NothingToPublish(f"no indicators computed for {periode}: run the convergence stage first")
        result = _suppressed(exact, minimum)  # built aside, before the switch
        fingerprint = _fingerprint(result.tables, minimum)
        summary = {"baris": {t: len(f) for t, f in result.tables.items()}, "sel_disensor": result.cells(),
                   "sel_disensor_primer": result.primary, "sel_disensor_sekunder": result.secondary}
        with engine.begin() as conn:
            current = current_publication(conn, periode)
            if current is not None and current["sidik_jari"] == fingerprint:
                log.info("period %s: figures identical to publication %s; nothing to switch",
                         periode, current["publikasi_id"])
                return {"periode": periode, "publikasi_id": int(current["publikasi_id"]), "berubah": False, **summary}
            new_id = int(conn.execute(sa.text("SELECT nextval('meta.publikasi_id_seq')")).scalar_one())
            conn.execute(sa.text("UPDATE meta.publikasi SET status = 'diganti' WHERE periode = :p AND status = 'terbit'"),
                         {"p": periode})
            record = pd.DataFrame([{
                "publikasi_id": new_id, "periode": periode, "status": "terbit", "dibuat_pada": datetime.now(UTC),
                "run_id": run_id, "disetujui_oleh": disetujui_oleh.strip(), "cara_persetujuan": cara_persetujuan,
                "ambang_sel_kecil": minimum, "aturan": rules, "submission_ids": json.dumps(sources),
                "ringkasan": json.dumps({**summary, "menggantikan": None if current is None
                                         else int(current["publikasi_id"])}),
                "sidik_jari": fingerprint,
            }])
            bulk_insert(conn, "meta.publikasi", record)
            for table, frame in result.tables.items():
                conn.execute(sa.text(f"DELETE FROM mart.{table} WHERE periode = :p"), {"p": periode})
                bulk_insert(conn, f"mart.{table}", frame.assign(publikasi_id=new_id))
            load_into_warehouse(conn)
        journal.record_publication(settings.folder("archive"), record.iloc[0].to_dict())  # rebuild replays it
    finally:
        engine.dispose()
    log.info("published %s as publication %d (approved by %s via %s): %s", periode, new_id, disetujui_oleh,
             cara_persetujuan, summary)
    return {"periode": periode, "publikasi_id": new_id, "berubah": True, **summary}
