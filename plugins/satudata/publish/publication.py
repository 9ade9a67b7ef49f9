"""Versioned, atomic publication of one period into `mart`.

The exact indicators of the period (`core.indikator_*`) are read, small cells suppressed
(`suppress.py`), and the result is switched into `mart` in one transaction together with its
`meta.publikasi` record and the data dictionary: a reader sees the previous publication of the period
or the new one, never a mix, and other periods are untouched. Publishing figures identical to the
current publication is a no-op, so a re-run leaves the warehouse as it was.

A cell once hidden in a period stays hidden in that period's later releases: the new figures are suppressed
against the period's current publication as it stands in `mart` (`suppress(..., previous=...)`), so two
releases of a period never let a reader subtract one from the other. Suppression depends on the figures only,
not on the order the warehouse returns rows in: a replay (`satudata rebuild`) publishes the same cells.
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
from satudata.publish.suppress import canonical_order, suppress
from satudata.schema import INDICATOR_TABLES
from satudata.warehouse import journal
from satudata.warehouse.engine import bulk_insert, make_engine, read_frame
from satudata.warehouse.locks import exclusive

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
    by them; dropped, it is simply not in the list (it stays in konvergensi_desa, suppressed). Equal ranks,
    if any, go by desa code, never by the order of the rows.
    """
    kept = frame[frame["desil1_tanpa_program_inti"].notna()].copy()
    for column, group in (("peringkat_provinsi", "kode_provinsi"), ("peringkat_kabupaten", "kode_kab")):
        ordered = kept.sort_values([group, column, "kode_desa"], kind="stable")
        kept[column] = (ordered.groupby(group).cumcount() + 1).reindex(kept.index).astype("Int64")
    return kept.reset_index(drop=True)


def _previous(conn, periode: str) -> tuple[int | None, dict[str, pd.DataFrame]]:
    """The period's current publication as `mart` holds it (`sel_disensor` says what it hid), if any."""
    current = current_publication(conn, periode)
    if current is None:
        return None, {}
    pid = int(current["publikasi_id"])
    return pid, {t: read_frame(conn, f"SELECT * FROM mart.{t} WHERE periode = :p AND publikasi_id = :i",
                               {"p": periode, "i": pid})
                 for t in INDICATOR_TABLES}


def _suppressed(exact: dict[str, pd.DataFrame], minimum: int, previous: dict[str, pd.DataFrame] | None = None):
    result = suppress(exact, minimum, previous)
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


def _same_as(current: dict | None, fingerprint: str, sources: dict) -> bool:
    """The period's current publication already says this: the same published rows from the same submissions.

    Both count: new figures that change only cells the period keeps hidden publish the same rows, and are
    still a new version, because the submissions behind it (recorded in `meta.publikasi`) changed.
    """
    if current is None or current["sidik_jari"] != fingerprint:
        return False
    try:
        return json.loads(current["submission_ids"] or "null") == sources
    except (TypeError, ValueError):
        return False


def current_publication(conn, periode: str) -> dict | None:
    rows = read_frame(conn, "SELECT * FROM meta.publikasi WHERE periode = :p AND status = 'terbit'", {"p": periode})
    return None if rows.empty else rows.iloc[0].to_dict()


def _headline(frame: pd.DataFrame) -> dict:
    columns = ("keluarga_desil1", "desil1_terintervensi", "desil1_tanpa_program_inti", "persen_cakupan_desil1",
               "keluarga_penerima_di_atas_desil", "penerima_tidak_ditemukan", "keluarga_tumpang_tindih_pelanggaran",
               "keluarga_tumpang_tindih_audit")
    out = {}
    for row in frame.sort_values("kode_provinsi", kind="stable").to_dict("records"):
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
            sources = _sources(conn, periode)
            current = current_publication(conn, periode)
            _, previous = _previous(conn, periode)
            old_head = read_frame(conn, "SELECT * FROM mart.konvergensi_provinsi WHERE periode = :p", {"p": periode})
            rules = conn.execute(sa.text("SELECT berkas FROM meta.aturan_konvergensi WHERE periode = :p"),
                                 {"p": periode}).scalar_one_or_none()
    finally:
        engine.dispose()
    if exact["konvergensi_provinsi"].empty:
        raise NothingToPublish(f"no indicators computed for {periode}: run the convergence stage first")
    result = _suppressed(exact, minimum, previous)
    fingerprint = _fingerprint(result.tables, minimum)
    return {
        "periode": periode, "aturan": rules, "ambang_sel_kecil": minimum,
        "baris": {t: len(f) for t, f in result.tables.items()},
        "sel_disensor": result.cells(), "sel_disensor_primer": result.primary,
        "sel_disensor_sekunder": result.secondary, "sel_disensor_sebelumnya": result.kept,
        "publikasi_sekarang": None if current is None else int(current["publikasi_id"]),
        "berubah": not _same_as(current, fingerprint, sources),
        "angka_utama_baru": _headline(result.tables["konvergensi_provinsi"]),
        "angka_utama_lama": _headline(old_head) if not old_head.empty else None,
        "sidik_jari": fingerprint,
    }


def publish_period(settings: Settings, periode: str, *, disetujui_oleh: str, cara_persetujuan: str,
                   run_id: str | None = None, minimum: int | None = None) -> dict:
    """Suppress and switch the period's indicators into `mart` in one transaction; record it."""
    if cara_persetujuan not in APPROVAL_WAYS:
        raise ValueError(f"cara_persetujuan must be one of {APPROVAL_WAYS}, not {cara_persetujuan!r}")
    if not (disetujui_oleh or "").strip():
        raise ValueError("a publication needs the name of the walidata who approved it")
    minimum = minimum or minimum_cell()
    engine = make_engine(settings.warehouse_url)
    try:
        with exclusive(engine, "publikasi"):  # one at a time: each is suppressed against the one before it
            return _publish_locked(engine, settings, periode, disetujui_oleh=disetujui_oleh,
                                   cara_persetujuan=cara_persetujuan, run_id=run_id, minimum=minimum)
    finally:
        engine.dispose()


def _publish_locked(engine, settings: Settings, periode: str, *, disetujui_oleh: str, cara_persetujuan: str,
                    run_id: str | None, minimum: int) -> dict:
    from satudata.publish.dictionary import load_into_warehouse

    with engine.connect() as conn:
        exact = _exact(conn, periode)
        sources = _sources(conn, periode)
        rules = conn.execute(sa.text("SELECT berkas FROM meta.aturan_konvergensi WHERE periode = :p"),
                             {"p": periode}).scalar_one_or_none()
        previous_id, previous = _previous(conn, periode)
    if exact["konvergensi_provinsi"].empty:
        raise NothingToPublish(f"no indicators computed for {periode}: run the convergence stage first")
    result = _suppressed(exact, minimum, previous)  # built aside, before the switch
    fingerprint = _fingerprint(result.tables, minimum)
    summary = {"baris": {t: len(f) for t, f in result.tables.items()}, "sel_disensor": result.cells(),
               "sel_disensor_primer": result.primary, "sel_disensor_sekunder": result.secondary,
               "sel_disensor_sebelumnya": result.kept}
    with engine.begin() as conn:
        current = current_publication(conn, periode)
        if (None if current is None else int(current["publikasi_id"])) != previous_id:
            raise RuntimeError(f"period {periode}: the current publication changed while this one was prepared "
                               "(another process published it without the lock); run the publication again")
        if _same_as(current, fingerprint, sources):
            log.info("period %s: figures and submissions identical to publication %s; nothing to switch",
                     periode, current["publikasi_id"])
            return {"periode": periode, "publikasi_id": int(current["publikasi_id"]), "berubah": False, **summary}
        new_id = int(conn.execute(sa.text("SELECT nextval('meta.publikasi_id_seq')")).scalar_one())
        conn.execute(sa.text("UPDATE meta.publikasi SET status = 'diganti' WHERE periode = :p AND status = 'terbit'"),
                     {"p": periode})
        record = pd.DataFrame([{
            "publikasi_id": new_id, "periode": periode, "status": "terbit", "dibuat_pada": datetime.now(UTC),
            "run_id": run_id, "disetujui_oleh": disetujui_oleh.strip(), "cara_persetujuan": cara_persetujuan,
            "ambang_sel_kecil": minimum, "aturan": rules, "submission_ids": json.dumps(sources),
            "ringkasan": json.dumps({**summary, "menggantikan": previous_id}),
            "sidik_jari": fingerprint,
        }])
        bulk_insert(conn, "meta.publikasi", record)
        for table, frame in result.tables.items():
            conn.execute(sa.text(f"DELETE FROM mart.{table} WHERE periode = :p"), {"p": periode})
            # rows in key order: readers and exports that do not sort see the same order after a replay
            bulk_insert(conn, f"mart.{table}", frame.iloc[canonical_order(table, frame)].assign(publikasi_id=new_id))
        load_into_warehouse(conn)
    journal.record_publication(settings.folder("archive"), record.iloc[0].to_dict())  # rebuild replays it
    log.info("published %s as publication %d (approved by %s via %s): %s", periode, new_id, disetujui_oleh,
             cara_persetujuan, summary)
    return {"periode": periode, "publikasi_id": new_id, "berubah": True, **summary}
