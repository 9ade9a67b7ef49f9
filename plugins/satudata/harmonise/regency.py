"""Step 1 of harmonisation: one regency's DTKS people linked to its P3KE people.

    linked = compute_link(settings, "5205", "2026-11", options, model)   # reads the warehouse, computes
    summary = write_link(settings, linked)                               # writes it, in one transaction
    summary = link_regency(settings, "5205", "2026-11")                  # both (an Airflow task)

Writes `core.padanan_individu` and `core.antrian_review` (`lingkup = 'kabupaten'`), the NIK conflicts and
possible duplicates of `core.konflik_padanan`, the fitted model (`meta.model_padanan`) and, when the
regency had none, its stored preparation. The compute half only reads, so regencies can be computed in
worker processes while one process writes (`warehouse.workers`). The row shapes of pairs, review queue and
conflicts are shared with the province pass (`harmonise.province`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import pandas as pd

from satudata.config import Settings
from satudata.harmonise.sources import prepare, read_prepared, store_prepared
from satudata.linkage.link import LinkOptions, link_people
from satudata.linkage.model import LinkModel, load_model
from satudata.warehouse.engine import make_engine, replace_rows
from satudata.warehouse.model_store import store_model
from satudata.warehouse.workers import reading_engine

log = logging.getLogger(__name__)

# What linking a regency holds at its peak per DTKS + P3KE person (`warehouse.workers` schedules by it): Lombok
# Timur at NTB's full scale, 967 k people, peaked at 2.53 GB in one process (preparing, then Splink's scoring).
LINK_ROW_BYTES = 2_600

NIK_CONFLICTS = ("nik_sama_nama_beda", "nik_sama_tanggal_lahir_beda", "nik_sama_identitas_beda",
                 "kemungkinan_duplikat")


def strip_prefix(ids: pd.Series) -> pd.Series:
    """`dtks:D001` -> `D001` (the linker's ids carry their registry)."""
    return ids.astype(str).str.split(":", n=1).str[1]


def in_list(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"  # our own constants, never user input


def decisions(conn, kode_kab: str | None) -> pd.DataFrame:
    """Reviewers' latest answers (of a regency, or all) as the linker takes them."""
    from satudata.harmonise.decisions import latest_decisions

    found = latest_decisions(conn, kode_kab)
    if found.empty:
        return pd.DataFrame(columns=["unique_id_l", "unique_id_r", "keputusan", "keterangan"])
    when = pd.to_datetime(found["diputuskan_pada"], utc=True).dt.strftime("%Y-%m-%d")
    return pd.DataFrame({
        "unique_id_l": "dtks:" + found["id_dtks"].astype(str),
        "unique_id_r": "p3ke:" + found["id_individu_p3ke"].astype(str),
        "keputusan": found["keputusan"].str.lower(),
        "keterangan": found["diputuskan_oleh"].fillna("").astype(str) + " pada " + when,
    })


def pairs_rows(pairs: pd.DataFrame, periode: str, kab_l: pd.Series, kab_r: pd.Series, lingkup: str) -> pd.DataFrame:
    """`core.padanan_individu` rows of the linker's links."""
    return pd.DataFrame({
        "periode": periode, "kode_kab": kab_l.values, "id_dtks": strip_prefix(pairs["unique_id_l"]).values,
        "id_individu_p3ke": strip_prefix(pairs["unique_id_r"]).values, "kode_kab_p3ke": kab_r.values,
        "lingkup": lingkup, "match_probability": pairs["match_probability"].astype(float).values,
        "match_weight": pairs["match_weight"].astype(float).values,
        "match_method": pairs["match_method"].values, "match_reason": pairs["match_reason"].values,
    })


def review_rows(review: pd.DataFrame, periode: str, kab_l: pd.Series, kab_r: pd.Series,
                lingkup: str) -> pd.DataFrame:
    """`core.antrian_review` rows of the linker's uncertain pairs."""
    return pd.DataFrame({
        "periode": periode, "kode_kab": kab_l.values, "id_dtks": strip_prefix(review["unique_id_l"]).values,
        "id_individu_p3ke": strip_prefix(review["unique_id_r"]).values, "kode_kab_p3ke": kab_r.values,
        "match_probability": review["match_probability"].astype(float).values,
        "match_weight": review["match_weight"].astype(float).values, "match_reason": review["match_reason"].values,
        "lingkup": lingkup,
    })


def _nik_conflict_rows(conflicts: pd.DataFrame, periode: str, kode_kab: str) -> pd.DataFrame:
    return pd.DataFrame({
        "periode": periode, "kode_kab": kode_kab, "jenis_konflik": conflicts["jenis_konflik"].values,
        "sumber": "keduanya", "id_record": strip_prefix(conflicts["unique_id_l"]).values,
        "id_terkait": strip_prefix(conflicts["unique_id_r"]).values, "nik": conflicts["nik"].values,
        "keterangan": conflicts["keterangan"].values,
    })


def _duplicate_rows(duplicates: pd.DataFrame, periode: str, kode_kab: str) -> pd.DataFrame:
    if duplicates.empty:
        return pd.DataFrame()
    sumber = duplicates["side"].map({"l": "dtks", "r": "p3ke"})
    other = duplicates["side"].map({"l": "P3KE", "r": "DTKS"})
    same_as = strip_prefix(duplicates["same_as"])
    return pd.DataFrame({
        "periode": periode, "kode_kab": kode_kab, "jenis_konflik": "kemungkinan_duplikat", "sumber": sumber.values,
        "id_record": strip_prefix(duplicates["unique_id"]).values, "id_terkait": same_as.values,
        "nik": None,
        "keterangan": ("kemungkinan orang yang sama dengan " + same_as + " (keduanya cocok dengan "
                       + other + " " + strip_prefix(duplicates["via"]) + ", peluang "
                       + (duplicates["match_probability"] * 100).round(1).astype(str) + "%)").values,
    })


@dataclass
class Linked:
    """What `compute_link` found for one regency, ready to write."""

    kode_kab: str
    periode: str
    pairs: pd.DataFrame  # core.padanan_individu rows
    review: pd.DataFrame  # core.antrian_review rows
    conflicts: pd.DataFrame  # core.konflik_padanan rows of NIK_CONFLICTS
    model: LinkModel | None
    summary: dict
    preparation: list[dict] | None  # a new preparation to store (None: it was stored already)


def compute_link(settings: Settings, kode_kab: str, periode: str, options: LinkOptions | None = None,
                 model: LinkModel | None = None) -> Linked:
    """Link a regency's DTKS and P3KE people; reads the warehouse, writes nothing."""
    started = time.perf_counter()
    model = model or load_model()
    engine = reading_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            reading = read_prepared(conn, kode_kab, periode)
            found = decisions(conn, kode_kab)
    finally:
        engine.dispose()  # a DuckDB file is let go of before the long computation
    sources, preparation = prepare(reading)
    # Only DTKS and P3KE are linked here: the rest of the preparation (DTSEN is the whole population, larger
    # than both: 0.4 GB of Lombok Timur's 1.1) is let go of before Splink takes its share.
    dtks, p3ke = sources.dtks, sources.p3ke
    del reading, sources
    result = link_people(dtks, p3ke, options=options, model=model, decisions=found)
    kab_l = pd.Series(kode_kab, index=result.links.index)
    pairs = pairs_rows(result.links, periode, kab_l, kab_l, "kabupaten")
    kab_review = pd.Series(kode_kab, index=result.review.index)
    review = review_rows(result.review, periode, kab_review, kab_review, "kabupaten")
    conflicts = pd.concat([_nik_conflict_rows(result.nik_conflicts, periode, kode_kab),
                           _duplicate_rows(result.possible_duplicates, periode, kode_kab)], ignore_index=True)
    summary = {"kode_kab": kode_kab, "periode": periode, "dtks": len(dtks), "p3ke": len(p3ke),
               **{k: v for k, v in result.stats.items() if k not in ("left", "right")},
               "nik_conflicts": len(conflicts), "seconds_total": round(time.perf_counter() - started, 2)}
    return Linked(kode_kab, periode, pairs, review, conflicts, result.model, summary, preparation)


def write_link(settings: Settings, linked: Linked) -> dict:
    """Replace the regency's step-1 rows by `linked`, in one transaction."""
    started = time.perf_counter()
    scope = "periode = :p AND kode_kab = :k"
    params = {"p": linked.periode, "k": linked.kode_kab}
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.begin() as conn:
            store_prepared(conn, linked.preparation)
            replace_rows(conn, "core.padanan_individu", linked.pairs, f"{scope} AND lingkup = 'kabupaten'", params)
            replace_rows(conn, "core.antrian_review", linked.review, f"{scope} AND lingkup = 'kabupaten'", params)
            replace_rows(conn, "core.konflik_padanan", linked.conflicts,
                         f"{scope} AND {in_list('jenis_konflik', NIK_CONFLICTS)}", params)
            store_model(conn, linked.model, periode=linked.periode, kode_kab=linked.kode_kab, lingkup="kabupaten")
    finally:
        engine.dispose()
    summary = {**linked.summary,
               "seconds_total": round(linked.summary["seconds_total"] + time.perf_counter() - started, 2)}
    log.info("regency %s %s linked: %s", linked.kode_kab, linked.periode, summary)
    return summary


def link_regency(settings: Settings, kode_kab: str, periode: str, *, options: LinkOptions | None = None,
                 model: LinkModel | None = None) -> dict:
    """Step 1 for one regency: link its DTKS and P3KE people; write pairs, review queue, NIK conflicts."""
    return write_link(settings, compute_link(settings, kode_kab, periode, options, model))


__all__ = ["LINK_ROW_BYTES", "NIK_CONFLICTS", "Linked", "compute_link", "decisions", "in_list", "link_regency", "pairs_rows",
           "review_rows", "strip_prefix", "write_link"]
