"""Harmonisation against the warehouse: staged DTKS and P3KE in, `core` tables out.

Three steps, each idempotent for a period (it replaces exactly the rows it owns, in one transaction):

1. `link_regency` — one regency's DTKS people against its P3KE people: `core.padanan_individu`
   (`lingkup = 'kabupaten'`), `core.antrian_review` and the review workbook in the regency's outbox.
2. `link_province` — people left unlinked in their own regency, across the regencies of a province
   (`lingkup = 'provinsi'`): families who moved, rows sent by the wrong regency.
3. `build_regency` — `core.individu_terpadu`, `core.keluarga_terpadu`, `core.konflik_padanan` and
   `meta.harmonisasi` of one regency from the pairs of steps 1-2, then DTSEN linked to them
   (`harmonise.dtsen`: the crosswalk `core.padanan_dtsen`, DTSEN ids and desil on people and families).

Period: a regency's harmonisation for period P uses, per registry, its newest active submission whose
period is not after P (registries are refreshed at different rhythms).
"""

from __future__ import annotations

import io
import json
import logging
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa

from satudata.config import Settings
from satudata.harmonise import province
from satudata.harmonise.dtsen import CONFLICTS as DTSEN_CONFLICTS
from satudata.harmonise.dtsen import attach_dtsen
from satudata.harmonise.families import HEAD, dtks_family_keys, link_families
from satudata.harmonise.fitting import FitOptions
from satudata.harmonise.link import LinkOptions, link_people
from satudata.harmonise.model import LinkModel, load_model
from satudata.harmonise.model_store import store_model
from satudata.harmonise.records import LINK_COLUMNS, prepare_people
from satudata.intake.journal import record_stage
from satudata.normalise.nik import kk_or_none
from satudata.warehouse.engine import make_engine, read_frame, replace_rows

log = logging.getLogger(__name__)

_PERSON = ("nik, nik_valid, nik_angka_excel, nama, jenis_kelamin, tempat_lahir, tanggal_lahir, hubungan_keluarga, "
           "pekerjaan, disabilitas")


@dataclass
class Sources:
    """One regency's staged registries for a period, prepared for linkage."""

    kode_kab: str
    periode: str
    submission_dtks: int | None  # the newest of the DTKS submissions read (a regency may send several)
    submission_p3ke: int | None
    dtks: pd.DataFrame  # one row per DTKS person (duplicate rows collapsed), with linkage features
    p3ke: pd.DataFrame  # one row per P3KE member, with its family's columns
    keluarga: pd.DataFrame  # P3KE families
    duplicates: pd.DataFrame  # rows collapsed as exact repeats: sumber, id_record, baris
    dtsen: pd.DataFrame  # one row per DTSEN member, with its family's columns and linkage features
    dtsen_keluarga: pd.DataFrame  # DTSEN families
    submission_dtsen: int | None = None


# ---------------------------------------------------------------------------------------------- reading


REGISTRY_TABLES = ("staging.dtks", "staging.p3ke_keluarga", "staging.dtsen_keluarga")


def periods(conn, kode_kab: str | None = None) -> list[str]:
    where = "WHERE aktif" + (" AND kode_kab = :k" if kode_kab else "")
    sql = " UNION ".join(f"SELECT DISTINCT periode FROM {t} {where}" for t in REGISTRY_TABLES) + " ORDER BY 1"
    return [r[0] for r in conn.execute(sa.text(sql), {"k": kode_kab})]


def regencies(conn, periode: str) -> list[str]:
    """Regencies with staged DTKS, P3KE or DTSEN for the period or before it."""
    sql = " UNION ".join(f"SELECT DISTINCT kode_kab FROM {t} WHERE aktif AND periode <= :p"
                         for t in REGISTRY_TABLES) + " ORDER BY 1"
    return [r[0] for r in conn.execute(sa.text(sql), {"p": periode})]


def _source_rows(conn, table: str, kode_kab: str, periode: str) -> tuple[str | None, list[int]]:
    """The newest period not after `periode` with active rows of a registry, and its active submissions (a
    regency may send one file per kecamatan: they are read together)."""
    row = conn.execute(sa.text(f"SELECT max(periode) FROM {table} WHERE kode_kab = :k AND aktif AND periode <= :p"),
                       {"k": kode_kab, "p": periode}).first()
    if row is None or row[0] is None:
        return None, []
    ids = [int(r[0]) for r in conn.execute(sa.text(
        f"SELECT DISTINCT submission_id FROM {table} WHERE kode_kab = :k AND aktif AND periode = :p ORDER BY 1"),
        {"k": kode_kab, "p": row[0]})]
    return row[0], ids


def _row_keys(rows: pd.DataFrame) -> pd.Series:
    """A row's own key where it has no id: its row number, prefixed by its submission when several are read."""
    baris = rows["baris"].astype(str)
    if rows["submission_id"].nunique() > 1:
        return rows["submission_id"].astype(str) + "." + baris
    return baris


def _dedupe(rows: pd.DataFrame, id_column: str, sumber: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows sharing an id are one record (kept: the first); a missing id becomes the row's number."""
    ids = rows[id_column].astype("string").str.strip()
    ids = ids.where(ids.str.len() > 0, "baris-" + _row_keys(rows))
    rows = rows.assign(id=ids.astype(str))
    repeated = rows["id"].duplicated()
    duplicates = pd.DataFrame({"sumber": sumber, "id_record": rows.loc[repeated, "id"],
                               "baris": rows.loc[repeated, "baris"]})
    return rows[~repeated].reset_index(drop=True), duplicates


def source_submissions(conn, kode_kab: str, periode: str) -> tuple[tuple[str | None, list[int]],
                                                                      tuple[str | None, list[int]]]:
    """The DTKS and P3KE a regency's harmonisation for the period reads: (source period, submissions) each."""
    return (_source_rows(conn, "staging.dtks", kode_kab, periode),
            _source_rows(conn, "staging.p3ke_keluarga", kode_kab, periode))


def load_sources(conn, kode_kab: str, periode: str, submissions=None) -> Sources:
    (per_d, ids_d), (per_p, ids_p) = submissions or source_submissions(conn, kode_kab, periode)
    where = "WHERE kode_kab = :k AND periode = :p AND aktif ORDER BY submission_id, baris"
    dtks = read_frame(conn, f"SELECT submission_id, baris, id_dtks, kode_desa, alamat, no_kk, {_PERSON} "
                            f"FROM staging.dtks {where}", {"k": kode_kab, "p": per_d or ""})
    keluarga = read_frame(conn, "SELECT submission_id, baris, id_keluarga_p3ke, kode_desa, alamat, no_kk, "
                                "nik_kepala_keluarga, nama_kepala_keluarga, jenis_kelamin_kepala_keluarga, desil, "
                                f"jumlah_anggota FROM staging.p3ke_keluarga {where}", {"k": kode_kab, "p": per_p or ""})
    anggota = read_frame(conn, "SELECT submission_id, baris, id_keluarga_p3ke, id_individu_p3ke, "
                               f"no_kk AS no_kk_anggota, {_PERSON} FROM staging.p3ke_anggota {where}",
                         {"k": kode_kab, "p": per_p or ""})
    dtks, dup_d = _dedupe(dtks, "id_dtks", "dtks")
    keluarga = keluarga.assign(id_keluarga_p3ke=keluarga["id_keluarga_p3ke"].astype("string").str.strip())
    keluarga = keluarga.drop_duplicates("id_keluarga_p3ke").reset_index(drop=True)
    anggota, dup_p = _dedupe(anggota, "id_individu_p3ke", "p3ke")
    anggota["id_keluarga_p3ke"] = anggota["id_keluarga_p3ke"].astype("string").str.strip()
    family = keluarga[["id_keluarga_p3ke", "kode_desa", "alamat", "no_kk", "desil"]]
    p3ke = anggota.merge(family, on="id_keluarga_p3ke", how="left")
    p3ke["no_kk"] = p3ke["no_kk"].where(p3ke["no_kk"].notna(), p3ke.pop("no_kk_anggota"))

    dtks_features = prepare_people(dtks, id_prefix="dtks:")
    p3ke_features = prepare_people(p3ke, id_prefix="p3ke:")
    dtks = _with_features(dtks, dtks_features)
    dtks["keluarga"] = "dtks:" + dtks_family_keys(dtks.assign(baris=_row_keys(dtks))).astype(str)
    p3ke = _with_features(p3ke, p3ke_features)
    p3ke["keluarga"] = "p3ke:" + p3ke["id_keluarga_p3ke"].astype(str)
    per_s, ids_s = _source_rows(conn, "staging.dtsen_keluarga", kode_kab, periode)
    dtsen_keluarga = read_frame(conn, "SELECT submission_id, baris, id_keluarga_dtsen, kode_desa, alamat, no_kk, "
                                      "nik_kepala_keluarga, nama_kepala_keluarga, jenis_kelamin_kepala_keluarga, "
                                      "desil_nasional, desil_provinsi, desil_kabupaten_kota, jumlah_anggota "
                                      f"FROM staging.dtsen_keluarga {where}", {"k": kode_kab, "p": per_s or ""})
    dtsen_anggota = read_frame(conn, "SELECT submission_id, baris, id_keluarga_dtsen, id_individu_dtsen, "
                                     f"no_kk AS no_kk_anggota, {_PERSON} FROM staging.dtsen_anggota {where}",
                               {"k": kode_kab, "p": per_s or ""})
    dtsen_keluarga["id_keluarga_dtsen"] = dtsen_keluarga["id_keluarga_dtsen"].astype("string").str.strip()
    dtsen_keluarga = dtsen_keluarga.drop_duplicates("id_keluarga_dtsen").reset_index(drop=True)
    dtsen_anggota, dup_s = _dedupe(dtsen_anggota, "id_individu_dtsen", "dtsen")
    dtsen_anggota["id_keluarga_dtsen"] = dtsen_anggota["id_keluarga_dtsen"].astype("string").str.strip()
    dtsen = dtsen_anggota.merge(dtsen_keluarga[["id_keluarga_dtsen", "kode_desa", "alamat", "no_kk", "desil_nasional"]],
                                on="id_keluarga_dtsen", how="left")
    dtsen["no_kk"] = dtsen["no_kk"].where(dtsen["no_kk"].notna(), dtsen.pop("no_kk_anggota"))
    dtsen = _with_features(dtsen, prepare_people(dtsen, id_prefix="dtsen:"))
    dtsen["keluarga"] = "dtsen:" + dtsen["id_keluarga_dtsen"].astype(str)
    return Sources(kode_kab, periode, max(ids_d, default=None), max(ids_p, default=None), dtks, p3ke, keluarga,
                   pd.concat([dup_d, dup_p, dup_s], ignore_index=True), dtsen, dtsen_keluarga,
                   max(ids_s, default=None))


def _with_features(raw: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
    """Raw columns as written (renamed `<column>_asli` where a feature takes their name) and the features."""
    raw = raw.drop(columns=["id"])
    overlap = [c for c in features.columns if c in raw.columns]
    return pd.concat([raw.rename(columns={c: f"{c}_asli" for c in overlap}), features], axis=1)


# ---------------------------------------------------------------------------------------------- caching

PREPARE_VERSION = 6  # raise when load_sources/prepare_people change what they produce
_PARTS = ("dtks", "p3ke", "keluarga", "duplicates", "dtsen", "dtsen_keluarga")


def _to_parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, engine="pyarrow")
    return buffer.getvalue()


def _from_parquet(data: bytes) -> pd.DataFrame:
    """Back to the frame `_to_parquet` stored; list columns (address words, short forms) as Arrow lists."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(data))
    return table.to_pandas(types_mapper=lambda t: pd.ArrowDtype(t) if pa.types.is_list(t) else None)


def prepared_sources(settings: Settings, conn, kode_kab: str, periode: str) -> Sources:
    """`load_sources`, kept per (regency, period) in the restricted `core.persiapan_padanan`.

    The three harmonisation steps (often separate Airflow tasks) prepare a regency once. The key names
    the submissions (a newer file is a new submission) and the preparation's version, so the stored
    preparation cannot go stale; it is a speed-up only and is rebuilt whenever it is missing. Stored as
    Parquet, a data format: personal data stays in the warehouse, and reading it back runs no code.
    """
    sources_of = source_submissions(conn, kode_kab, periode)
    (_, ids_d), (_, ids_p) = sources_of
    _, ids_s = _source_rows(conn, "staging.dtsen_keluarga", kode_kab, periode)
    key = "_".join(".".join(map(str, ids)) for ids in (ids_d, ids_p, ids_s)) + f"_v{PREPARE_VERSION}"
    rows = conn.execute(sa.text("SELECT bagian, isi FROM core.persiapan_padanan "
                                "WHERE periode = :p AND kode_kab = :k AND kunci = :key"),
                        {"p": periode, "k": kode_kab, "key": key}).all()
    stored = {bagian: bytes(isi) for bagian, isi in rows}
    if set(stored) == set(_PARTS):
        frames = {part: _from_parquet(stored[part]) for part in _PARTS}
        return Sources(kode_kab, periode, max(ids_d, default=None), max(ids_p, default=None), **frames,
                       submission_dtsen=max(ids_s, default=None))
    sources = load_sources(conn, kode_kab, periode, sources_of)
    now = datetime.now(UTC)
    conn.execute(sa.text("DELETE FROM core.persiapan_padanan WHERE periode = :p AND kode_kab = :k"),
                 {"p": periode, "k": kode_kab})
    conn.execute(sa.text("INSERT INTO core.persiapan_padanan (periode, kode_kab, kunci, bagian, isi, dibuat_pada) "
                         "VALUES (:p, :k, :key, :bagian, :isi, :t)"),
                 [{"p": periode, "k": kode_kab, "key": key, "bagian": part, "isi": _to_parquet(getattr(sources, part)),
                   "t": now} for part in _PARTS])
    conn.commit()
    return sources


# ---------------------------------------------------------------------------------------------- step 1

NIK_CONFLICTS = ("nik_sama_nama_beda", "nik_sama_tanggal_lahir_beda", "nik_sama_identitas_beda",
                 "kemungkinan_duplikat")
PROVINCE_CONFLICTS = ("individu_dua_kabupaten", "nik_dua_kabupaten")
BUILD_CONFLICTS = ("duplikat_baris", "duplikat_nik", "desil1_tidak_di_dtks", "keluarga_dtks_tidak_di_p3ke",
                   "individu_dtks_tidak_di_p3ke", "keluarga_pecah")
OWN_CONFLICTS = (*BUILD_CONFLICTS, *DTSEN_CONFLICTS)  # what build_regency replaces


def _strip(ids: pd.Series) -> pd.Series:
    return ids.astype(str).str.split(":", n=1).str[1]


def _decisions(conn, kode_kab: str | None) -> pd.DataFrame:
    from satudata.harmonise.review import latest_decisions

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


def _pairs_rows(pairs: pd.DataFrame, periode: str, kab_l: pd.Series, kab_r: pd.Series, lingkup: str) -> pd.DataFrame:
    return pd.DataFrame({
        "periode": periode, "kode_kab": kab_l.values, "id_dtks": _strip(pairs["unique_id_l"]).values,
        "id_individu_p3ke": _strip(pairs["unique_id_r"]).values, "kode_kab_p3ke": kab_r.values,
        "lingkup": lingkup, "match_probability": pairs["match_probability"].astype(float).values,
        "match_weight": pairs["match_weight"].astype(float).values,
        "match_method": pairs["match_method"].values, "match_reason": pairs["match_reason"].values,
    })


def _review_rows(review: pd.DataFrame, periode: str, kab_l: pd.Series, kab_r: pd.Series,
                 lingkup: str) -> pd.DataFrame:
    return pd.DataFrame({
        "periode": periode, "kode_kab": kab_l.values, "id_dtks": _strip(review["unique_id_l"]).values,
        "id_individu_p3ke": _strip(review["unique_id_r"]).values, "kode_kab_p3ke": kab_r.values,
        "match_probability": review["match_probability"].astype(float).values,
        "match_weight": review["match_weight"].astype(float).values, "match_reason": review["match_reason"].values,
        "lingkup": lingkup,
    })


def _nik_conflict_rows(conflicts: pd.DataFrame, periode: str, kode_kab: str) -> pd.DataFrame:
    return pd.DataFrame({
        "periode": periode, "kode_kab": kode_kab, "jenis_konflik": conflicts["jenis_konflik"].values,
        "sumber": "keduanya", "id_record": _strip(conflicts["unique_id_l"]).values,
        "id_terkait": _strip(conflicts["unique_id_r"]).values, "nik": conflicts["nik"].values,
        "keterangan": conflicts["keterangan"].values,
    })


def _duplicate_rows(duplicates: pd.DataFrame, periode: str, kode_kab: str) -> pd.DataFrame:
    if duplicates.empty:
        return pd.DataFrame()
    sumber = duplicates["side"].map({"l": "dtks", "r": "p3ke"})
    other = duplicates["side"].map({"l": "P3KE", "r": "DTKS"})
    return pd.DataFrame({
        "periode": periode, "kode_kab": kode_kab, "jenis_konflik": "kemungkinan_duplikat", "sumber": sumber.values,
        "id_record": _strip(duplicates["unique_id"]).values, "id_terkait": _strip(duplicates["same_as"]).values,
        "nik": None,
        "keterangan": ("kemungkinan orang yang sama dengan " + _strip(duplicates["same_as"]) + " (keduanya cocok dengan "
                       + other + " " + _strip(duplicates["via"]) + ", peluang "
                       + (duplicates["match_probability"] * 100).round(1).astype(str) + "%)").values,
    })


def _in_list(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"  # our own constants, never user input


def link_regency(settings: Settings, kode_kab: str, periode: str, *, options: LinkOptions | None = None,
                 model: LinkModel | None = None) -> dict:
    """Step 1 for one regency: link its DTKS and P3KE people; write pairs, review queue, NIK conflicts."""
    started = time.perf_counter()
    model = model or load_model()
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            sources = prepared_sources(settings, conn, kode_kab, periode)
            decisions = _decisions(conn, kode_kab)
        result = link_people(sources.dtks, sources.p3ke, options=options, model=model, decisions=decisions)
        kab_l = pd.Series(kode_kab, index=result.links.index)
        pairs = _pairs_rows(result.links, periode, kab_l, kab_l, "kabupaten")
        kab_review = pd.Series(kode_kab, index=result.review.index)
        review = _review_rows(result.review, periode, kab_review, kab_review, "kabupaten")
        conflicts = pd.concat([_nik_conflict_rows(result.nik_conflicts, periode, kode_kab),
                               _duplicate_rows(result.possible_duplicates, periode, kode_kab)], ignore_index=True)
        scope = "periode = :p AND kode_kab = :k"
        params = {"p": periode, "k": kode_kab}
        with engine.begin() as conn:
            replace_rows(conn, "core.padanan_individu", pairs, f"{scope} AND lingkup = 'kabupaten'", params)
            replace_rows(conn, "core.antrian_review", review, f"{scope} AND lingkup = 'kabupaten'", params)
            replace_rows(conn, "core.konflik_padanan", conflicts,
                         f"{scope} AND {_in_list('jenis_konflik', NIK_CONFLICTS)}", params)
            store_model(conn, result.model, periode=periode, kode_kab=kode_kab, lingkup="kabupaten")
    finally:
        engine.dispose()
    summary = {"kode_kab": kode_kab, "periode": periode, "dtks": len(sources.dtks), "p3ke": len(sources.p3ke),
               **{k: v for k, v in result.stats.items() if k not in ("left", "right")},
               "nik_conflicts": len(conflicts), "seconds_total": round(time.perf_counter() - started, 2)}
    log.info("regency %s %s linked: %s", kode_kab, periode, summary)
    return summary


# ---------------------------------------------------------------------------------------------- step 2


def link_province(settings: Settings, periode: str, *, provinsi: str | None = None,
                  options: LinkOptions | None = None, model: LinkModel | None = None) -> dict:
    """Step 2: people left unlinked in their own regency, linked across the regencies of each province."""
    started = time.perf_counter()
    model = model or load_model()
    engine = make_engine(settings.warehouse_url)
    summary: dict = {"periode": periode, "provinsi": {}}
    try:
        with engine.connect() as conn:
            kabs = [k for k in regencies(conn, periode) if provinsi is None or k.startswith(provinsi)]
            linked = read_frame(conn, "SELECT id_dtks, id_individu_p3ke, kode_kab, kode_kab_p3ke "
                                      "FROM core.padanan_individu WHERE periode = :p AND lingkup = 'kabupaten'",
                                {"p": periode})
            decisions = _decisions(conn, None)
        for prov in sorted({k[:2] for k in kabs}):
            prov_kabs = [k for k in kabs if k[:2] == prov]
            summary["provinsi"][prov] = _link_one_province(settings, engine, periode, prov_kabs, linked, decisions,
                                                           options, model)
    finally:
        engine.dispose()
    summary["seconds_total"] = round(time.perf_counter() - started, 2)
    log.info("province pass %s: %s", periode, summary)
    return summary


def _link_one_province(settings, engine, periode, kabs, linked, decisions, options, model) -> dict:
    lefts, rights, niks = [], [], []
    columns = list(LINK_COLUMNS)  # only what the linker reads: raw columns made this pass 8.6 GB at NTB 1.0
    for kab in kabs:
        with engine.connect() as conn:
            src = prepared_sources(settings, conn, kab, periode)
        done_l = set("dtks:" + linked.loc[linked["kode_kab"] == kab, "id_dtks"].astype(str))
        done_r = set("p3ke:" + linked.loc[linked["kode_kab_p3ke"] == kab, "id_individu_p3ke"].astype(str))
        lefts.append(src.dtks.loc[~src.dtks["unique_id"].isin(done_l), columns].assign(kab_berkas=kab))
        rights.append(src.p3ke.loc[~src.p3ke["unique_id"].isin(done_r), columns].assign(kab_berkas=kab))
        for side, frame in (("dtks", src.dtks), ("p3ke", src.p3ke)):
            trusted = frame.loc[frame["nik_dipercaya"], ["nik", "unique_id"]]
            niks.append(trusted.assign(kab_berkas=kab, sumber=side))
        del src
    # Ids are unique within a regency's list, not across regencies: make them so for this pass.
    left = pd.concat(lefts, ignore_index=True)
    right = pd.concat(rights, ignore_index=True)
    left["unique_id"] = left["kab_berkas"] + "|" + left["unique_id"]
    right["unique_id"] = right["kab_berkas"] + "|" + right["unique_id"]
    kab_of = dict(zip(left["unique_id"], left["kab_berkas"], strict=True))
    kab_of.update(zip(right["unique_id"], right["kab_berkas"], strict=True))

    def across(pairs: pd.DataFrame) -> pd.Series:
        return pairs["unique_id_l"].map(kab_of) != pairs["unique_id_r"].map(kab_of)

    prov_decisions = decisions.copy()
    if not prov_decisions.empty:  # decisions name ids without the regency prefix of this pass
        by_l = left.assign(u=left["unique_id"].str.split("|", n=1).str[1]).set_index("u")["unique_id"]
        by_r = right.assign(u=right["unique_id"].str.split("|", n=1).str[1]).set_index("u")["unique_id"]
        prov_decisions["unique_id_l"] = prov_decisions["unique_id_l"].map(by_l[~by_l.index.duplicated()])
        prov_decisions["unique_id_r"] = prov_decisions["unique_id_r"].map(by_r[~by_r.index.duplicated()])
        prov_decisions = prov_decisions.dropna(subset=["unique_id_l", "unique_id_r"])
    # The leftovers of every regency's pass hold few true pairs by construction: EM would learn little from
    # them, so this pass takes the shipped (province) model as it is, on the comparisons the lists can feed.
    options = replace(options or LinkOptions(), fit=FitOptions(fit=False))
    result = link_people(left, right, options=options, model=model, decisions=prov_decisions, pair_filter=across,
                         only_pairs_where=("kab_berkas", 'l."kab_berkas" <> r."kab_berkas"'))

    def unprefixed(pairs: pd.DataFrame) -> pd.DataFrame:
        return pairs.assign(unique_id_l=pairs["unique_id_l"].str.split("|", n=1).str[1],
                            unique_id_r=pairs["unique_id_r"].str.split("|", n=1).str[1])

    links = result.links
    kab_l, kab_r = links["unique_id_l"].map(kab_of), links["unique_id_r"].map(kab_of)
    pairs = _pairs_rows(unprefixed(links), periode, kab_l, kab_r, "provinsi")
    review = _review_rows(unprefixed(result.review), periode, result.review["unique_id_l"].map(kab_of),
                          result.review["unique_id_r"].map(kab_of), "provinsi")
    params = {"p": periode}
    kab_list = _in_list("kode_kab", tuple(kabs))
    with engine.connect() as conn:
        earlier = read_frame(conn, "SELECT DISTINCT id_dtks, id_individu_p3ke, kode_kab, kode_kab_p3ke FROM "
                                   f"core.padanan_individu WHERE lingkup = 'provinsi' AND periode < :p AND {kab_list}",
                             params)
    pairs, held = province.hold_new_links(pairs, earlier)
    review = pd.concat([r for r in (review, province.held_as_review(held)) if len(r)] or [review], ignore_index=True)
    conflicts = _province_conflicts(pairs, pd.concat(niks, ignore_index=True), periode)
    workbook = _write_province_review(settings, engine, review, kabs[0][:2], periode)
    with engine.begin() as conn:
        store_model(conn, result.model, periode=periode, kode_kab=kabs[0][:2], lingkup="provinsi")
        replace_rows(conn, "core.padanan_individu", pairs, f"periode = :p AND lingkup = 'provinsi' AND {kab_list}",
                     params)
        replace_rows(conn, "core.antrian_review", review, f"periode = :p AND lingkup = 'provinsi' AND {kab_list}",
                     params)
        replace_rows(conn, "core.konflik_padanan", conflicts,
                     f"periode = :p AND {kab_list} AND {_in_list('jenis_konflik', PROVINCE_CONFLICTS)}", params)
        if workbook:
            conn.execute(sa.text(f"UPDATE core.antrian_review SET berkas = :b WHERE periode = :p AND "
                                 f"lingkup = 'provinsi' AND {kab_list}"), {**params, "b": workbook})
    return {"regencies": len(kabs), "left": len(left), "right": len(right), "links": len(pairs),
            "links_held": len(held), "review_queue": len(review), "conflicts": len(conflicts),
            "review_workbook": workbook,
            **{k: v for k, v in result.stats.items() if k.startswith(("seconds", "comparisons", "nik_"))}}


def _province_conflicts(pairs: pd.DataFrame, niks: pd.DataFrame, periode: str) -> pd.DataFrame:
    """A person linked across regencies, and a trusted NIK held by records of two or more regencies."""
    rows = []
    for own, other, own_id, other_id, sumber in (("kode_kab", "kode_kab_p3ke", "id_dtks", "id_individu_p3ke", "dtks"),
                                                  ("kode_kab_p3ke", "kode_kab", "id_individu_p3ke", "id_dtks", "p3ke")):
        rows.append(pd.DataFrame({
            "periode": periode, "kode_kab": pairs[own].values, "jenis_konflik": "individu_dua_kabupaten",
            "sumber": sumber, "id_record": pairs[own_id].values, "id_terkait": pairs[other_id].values, "nik": None,
            "keterangan": ("terdaftar di " + ("DTKS" if sumber == "dtks" else "P3KE") + " kabupaten/kota ini dan di "
                           + ("P3KE" if sumber == "dtks" else "DTKS") + " kabupaten/kota " + pairs[other].astype(str)
                           ).values,
        }))
    spread = niks.groupby("nik")["kab_berkas"].nunique()
    shared = niks[niks["nik"].isin(spread[spread > 1].index)]
    if not shared.empty:
        kabs_of = shared.groupby("nik")["kab_berkas"].agg(lambda k: ", ".join(sorted(set(k))))
        rows.append(pd.DataFrame({
            "periode": periode, "kode_kab": shared["kab_berkas"].values, "jenis_konflik": "nik_dua_kabupaten",
            "sumber": shared["sumber"].values, "id_record": _strip(shared["unique_id"]).values, "id_terkait": None,
            "nik": shared["nik"].values,
            "keterangan": ("NIK yang sama ada di data kabupaten/kota " + shared["nik"].map(kabs_of)).values,
        }))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


# ---------------------------------------------------------------------------------------------- step 3


def build_regency(settings: Settings, kode_kab: str, periode: str, *, run_id: str | None = None,
                  model_version: str | None = None, options: LinkOptions | None = None,
                  model: LinkModel | None = None) -> dict:
    """Step 3: the regency's harmonised people and families with DTSEN linked to them, its conflicts and the
    review workbook."""
    started = time.perf_counter()
    model = model or load_model()
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            src = prepared_sources(settings, conn, kode_kab, periode)
            pairs = read_frame(conn, "SELECT * FROM core.padanan_individu WHERE periode = :p AND "
                                     "(kode_kab = :k OR kode_kab_p3ke = :k)", {"p": periode, "k": kode_kab})
            review = read_frame(conn, "SELECT * FROM core.antrian_review WHERE periode = :p AND "
                                      "(kode_kab = :k OR (lingkup = 'provinsi' AND kode_kab_p3ke = :k))",
                                {"p": periode, "k": kode_kab})
            nik_conflicts = conn.execute(sa.text(
                "SELECT jenis_konflik, count(*) FROM core.konflik_padanan WHERE periode = :p AND kode_kab = :k "
                "GROUP BY jenis_konflik"), {"p": periode, "k": kode_kab}).fetchall()
        people, families, conflicts = assemble(src, pairs)
        harmonised = pd.concat([src.dtks[list(LINK_COLUMNS)], src.p3ke[list(LINK_COLUMNS)]], ignore_index=True)
        with_dtsen = attach_dtsen(periode, kode_kab, people, families, harmonised, src.dtsen, src.dtsen_keluarga,
                                  options=options, model=model)
        people, families = with_dtsen.people, with_dtsen.families
        conflicts = pd.concat([c for c in (conflicts, with_dtsen.conflicts) if not c.empty] or [pd.DataFrame()],
                              ignore_index=True)
        workbook = _write_review(settings, src, review, kode_kab, periode)
        counts = _summary(people, families, conflicts, pairs, review.loc[review["kode_kab"].eq(kode_kab)], kode_kab)
        counts.update({k: v for k, v in with_dtsen.stats.items()})
        counts["konflik"].update({k: int(v) for k, v in nik_conflicts if k not in OWN_CONFLICTS})
        meta = pd.DataFrame([{
            "periode": periode, "kode_kab": kode_kab, "run_id": run_id,
            "model_version": model_version or model.version, "submission_dtks": src.submission_dtks,
            "submission_p3ke": src.submission_p3ke, "submission_dtsen": src.submission_dtsen,
            "dihitung_pada": datetime.now(UTC),
            "ringkasan": json.dumps(counts, ensure_ascii=False),
        }])
        scope, params = "periode = :p AND kode_kab = :k", {"p": periode, "k": kode_kab}
        with engine.begin() as conn:
            replace_rows(conn, "core.individu_terpadu", people, scope, params)
            replace_rows(conn, "core.keluarga_terpadu", families, scope, params)
            replace_rows(conn, "core.konflik_padanan", conflicts,
                         f"{scope} AND {_in_list('jenis_konflik', OWN_CONFLICTS)}", params)
            replace_rows(conn, "core.padanan_dtsen", with_dtsen.crosswalk, scope, params)
            if workbook:
                conn.execute(sa.text(f"UPDATE core.antrian_review SET berkas = :b WHERE {scope} "
                                     "AND lingkup = 'kabupaten'"), {**params, "b": workbook})
            replace_rows(conn, "meta.harmonisasi", meta, scope, params)
    finally:
        engine.dispose()
    counts["review_workbook"] = workbook
    counts["seconds"] = round(time.perf_counter() - started, 2)
    log.info("regency %s %s built: %s", kode_kab, periode, counts)
    return counts


def assemble(src: Sources, pairs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """individu_terpadu, keluarga_terpadu and the build-time conflicts of one regency."""
    kab, periode = src.kode_kab, src.periode
    dtks, p3ke = src.dtks, src.p3ke
    own = pairs[pairs["kode_kab"] == kab]
    p3ke_elsewhere = set(pairs.loc[(pairs["kode_kab_p3ke"] == kab) & (pairs["kode_kab"] != kab), "id_individu_p3ke"])
    link_of = own.set_index("id_dtks")

    # Families: member links inside the regency, then KK for families with no linked member.
    p3ke_by_id = p3ke.set_index("id")
    inside = own[own["kode_kab_p3ke"] == kab]
    d_fam = dtks.set_index("id")["keluarga"]
    members = pd.DataFrame({
        "keluarga_l": inside["id_dtks"].map(d_fam).values,
        "keluarga_r": inside["id_individu_p3ke"].map(p3ke_by_id["keluarga"]).values,
        "kepala": (inside["id_dtks"].map(dtks.set_index("id")["hubungan_keluarga"]).eq(HEAD)
                   | inside["id_individu_p3ke"].map(p3ke_by_id["hubungan_keluarga"]).eq(HEAD)).fillna(False).values,
    }).dropna(subset=["keluarga_l", "keluarga_r"])
    # groupby().first() takes each family's first non-missing KK
    kk_l = dtks.groupby("keluarga", sort=False)["no_kk"].first().rename("no_kk").reset_index()
    kk_r = pd.DataFrame({"keluarga": "p3ke:" + src.keluarga["id_keluarga_p3ke"].astype(str),
                         "no_kk": kk_or_none(src.keluarga["no_kk"])})
    fam_links = link_families(members, kk_l, kk_r)
    fam_of_dtks = dict(zip(fam_links["keluarga_l"], fam_links["keluarga_r"], strict=True))

    # People: every DTKS person of the regency, then the P3KE people linked to no DTKS person anywhere.
    d = dtks.assign(id_individu_p3ke=dtks["id"].map(link_of["id_individu_p3ke"]))
    partner = d["id_individu_p3ke"].map(p3ke_by_id["keluarga"]).where(d["id"].map(link_of["kode_kab_p3ke"]) == kab)
    d_keluarga = _first_of(partner, d["keluarga"].map(lambda k: fam_of_dtks.get(k, k)))
    p_linked = set(own["id_individu_p3ke"]) | p3ke_elsewhere
    p = p3ke[~p3ke["id"].isin(p_linked)]
    d_nik = d["nik"].where(d["nik_dipercaya"])
    p_nik_of = p3ke_by_id["nik"].where(p3ke_by_id["nik_dipercaya"])
    people = pd.concat([
        pd.DataFrame({
            "id_individu": "dtks:" + d["id"], "id_keluarga": d_keluarga, "id_dtks": d["id"],
            "id_individu_p3ke": d["id_individu_p3ke"], "di_dtks": True, "di_p3ke": d["id_individu_p3ke"].notna(),
            "nik": _first_of(d_nik, d["id_individu_p3ke"].map(p_nik_of)), "nama": d["nama"],
            "jenis_kelamin": d["jenis_kelamin"], "tanggal_lahir": d["tanggal_lahir"],
            "kode_desa": d["kode_desa"], "hubungan_keluarga": d["hubungan_keluarga"], "pekerjaan": d["pekerjaan"],
            "disabilitas": d["disabilitas"],
            "match_probability": d["id"].map(link_of["match_probability"]),
            "match_weight": d["id"].map(link_of["match_weight"]),
            "match_method": d["id"].map(link_of["match_method"]), "match_reason": d["id"].map(link_of["match_reason"]),
        }),
        pd.DataFrame({
            "id_individu": "p3ke:" + p["id"], "id_keluarga": p["keluarga"], "id_dtks": None,
            "id_individu_p3ke": p["id"], "di_dtks": False, "di_p3ke": True, "nik": p["nik"].where(p["nik_dipercaya"]),
            "nama": p["nama"], "jenis_kelamin": p["jenis_kelamin"], "tanggal_lahir": p["tanggal_lahir"],
            "kode_desa": p["kode_desa"], "hubungan_keluarga": p["hubungan_keluarga"], "pekerjaan": p["pekerjaan"],
            "disabilitas": p["disabilitas"], "match_probability": np.nan, "match_weight": np.nan,
            "match_method": None, "match_reason": None,
        }),
    ], ignore_index=True)
    people.insert(0, "kode_kab", kab)
    people.insert(0, "periode", periode)
    people["tanggal_lahir"] = pd.to_datetime(people["tanggal_lahir"]).dt.date

    families = _families(src, people, fam_links)
    conflicts = _build_conflicts(src, people, families, fam_links, members)
    return people, families, conflicts


def _first_of(*candidates: pd.Series) -> pd.Series:
    """Per row the first non-missing value of the candidates (object dtype: empty frames stay safe)."""
    result = candidates[0].astype(object)
    for other in candidates[1:]:
        result = result.where(result.notna(), other.astype(object))
    return result


def _families(src: Sources, people: pd.DataFrame, fam_links: pd.DataFrame) -> pd.DataFrame:
    kab, periode = src.kode_kab, src.periode
    dtks, kel = src.dtks, src.keluarga
    d_fam = dtks.groupby("keluarga", sort=False).agg(
        jumlah_anggota_dtks=("id", "size"), kode_desa_dtks=("kode_desa", "first"))
    heads = dtks[dtks["hubungan_keluarga"].eq(HEAD)].drop_duplicates("keluarga").set_index("keluarga")
    p_size = src.p3ke.groupby("keluarga").size()
    kel = kel.assign(keluarga="p3ke:" + kel["id_keluarga_p3ke"].astype(str)).set_index("keluarga")
    linked = fam_links.set_index("keluarga_l")
    linked_r = set(fam_links["keluarga_r"])
    rows = pd.DataFrame({"keluarga_dtks": list(d_fam.index) + [k for k in kel.index if k not in linked_r]})
    rows["keluarga_p3ke"] = rows["keluarga_dtks"].map(linked["keluarga_r"]).astype(object)
    rows["keluarga_dtks"] = rows["keluarga_dtks"].astype(object)
    p3ke_only = rows["keluarga_dtks"].str.startswith("p3ke:")
    rows.loc[p3ke_only, "keluarga_p3ke"] = rows.loc[p3ke_only, "keluarga_dtks"]
    rows.loc[p3ke_only, "keluarga_dtks"] = None
    rows["id_keluarga"] = _first_of(rows["keluarga_p3ke"], rows["keluarga_dtks"])
    fd = rows["keluarga_dtks"]
    fp = rows["keluarga_p3ke"]
    size = people.groupby("id_keluarga").size()
    kk_dtks = fd.astype("string").str.split(":", n=1).str[1]  # the repaired key (families.dtks_family_keys)
    kk_dtks = kk_dtks.where(kk_dtks.str.fullmatch(r"[0-9]{16}").fillna(False).astype(bool))
    out = pd.DataFrame({
        "periode": periode, "kode_kab": kab, "id_keluarga": rows["id_keluarga"],
        "no_kk_dtks": kk_dtks, "id_keluarga_p3ke": fp.map(kel["id_keluarga_p3ke"]),
        "no_kk_p3ke": kk_or_none(fp.map(kel["no_kk"])), "di_dtks": fd.notna(), "di_p3ke": fp.notna(),
        "desil": fp.map(kel["desil"]).astype("Int64"),
        "status_dtks": np.where(fd.notna(), "terdaftar", "tidak_terdaftar"),
        "jumlah_anggota": rows["id_keluarga"].map(size).fillna(0).astype(int),
        "jumlah_anggota_dtks": fd.map(d_fam["jumlah_anggota_dtks"]).fillna(0).astype(int),
        "jumlah_anggota_p3ke": fp.map(p_size).fillna(0).astype(int),
        "anggota_terpadan": fd.map(linked["anggota_terpadan"]).fillna(0).astype(int),
        "kode_desa": _first_of(fp.map(kel["kode_desa"]), fd.map(d_fam["kode_desa_dtks"])),
        "nik_kepala_keluarga": _first_of(fp.map(kel["nik_kepala_keluarga"]), fd.map(heads["nik_asli"])),
        "nama_kepala_keluarga": _first_of(fp.map(kel["nama_kepala_keluarga"]), fd.map(heads["nama"])),
        "jenis_kelamin_kepala_keluarga": _first_of(fp.map(kel["jenis_kelamin_kepala_keluarga"]),
                                                   fd.map(heads["jenis_kelamin"])),
        "match_method": fd.map(linked["match_method"]), "match_reason": fd.map(linked["match_reason"]),
    })
    # A DTKS KK rounded by Excel (last digit lost) is the linked P3KE family's KK when they differ by
    # no more than the rounding: keep the number the family really has.
    kk_d = pd.to_numeric(out["no_kk_dtks"], errors="coerce")
    kk_p = pd.to_numeric(out["no_kk_p3ke"], errors="coerce")
    rounded = out["no_kk_dtks"].str.endswith("0").fillna(False).astype(bool) & (kk_d - kk_p).abs().le(10).fillna(False)
    out.loc[rounded, "no_kk_dtks"] = out.loc[rounded, "no_kk_p3ke"]
    out["no_kk_dtks"] = out["no_kk_dtks"].where(out["no_kk_dtks"].notna(), None)
    return out.reset_index(drop=True)


def _conflict(periode, kab, kind, sumber, ids, keterangan, terkait=None, nik=None) -> pd.DataFrame:
    ids = pd.Series(ids, dtype="object").reset_index(drop=True)
    return pd.DataFrame({"periode": periode, "kode_kab": kab, "jenis_konflik": kind, "sumber": sumber,
                         "id_record": ids, "id_terkait": terkait, "nik": nik, "keterangan": keterangan})


def _build_conflicts(src: Sources, people: pd.DataFrame, families: pd.DataFrame, fam_links: pd.DataFrame,
                     members: pd.DataFrame) -> pd.DataFrame:
    kab, periode = src.kode_kab, src.periode
    parts = []
    dup = src.duplicates
    if not dup.empty:
        parts.append(_conflict(periode, kab, "duplikat_baris", dup["sumber"].values, dup["id_record"].values,
                               ("baris " + dup["baris"].astype(str) + " mengulang baris lain dengan ID yang sama").values))
    for sumber, frame in (("dtks", src.dtks), ("p3ke", src.p3ke)):
        trusted = frame[frame["nik_dipercaya"]]
        shared = trusted[trusted["nik"].duplicated(keep=False)]
        if not shared.empty:
            others = shared.groupby("nik")["id"].agg(lambda s: ", ".join(s))
            parts.append(_conflict(periode, kab, "duplikat_nik", sumber, shared["id"].values,
                                   "NIK yang sama dipakai lebih dari satu baris " + sumber.upper(),
                                   terkait=shared["nik"].map(others).values, nik=shared["nik"].values))
    desil1 = families[(families["desil"] == 1) & ~families["di_dtks"]]
    parts.append(_conflict(periode, kab, "desil1_tidak_di_dtks", "p3ke", desil1["id_keluarga"].values,
                           "keluarga desil 1 P3KE tidak ditemukan di DTKS: tidak dapat menerima program berbasis DTKS"))
    only_dtks = families[families["di_dtks"] & ~families["di_p3ke"]]
    parts.append(_conflict(periode, kab, "keluarga_dtks_tidak_di_p3ke", "dtks", only_dtks["id_keluarga"].values,
                           "keluarga DTKS tidak ditemukan di P3KE"))
    both = set(families.loc[families["di_dtks"] & families["di_p3ke"], "id_keluarga"])
    missing = people[people["di_dtks"] & ~people["di_p3ke"] & people["id_keluarga"].isin(both)]
    parts.append(_conflict(periode, kab, "individu_dtks_tidak_di_p3ke", "dtks", missing["id_dtks"].values,
                           "anggota keluarga DTKS tidak tercatat dalam keluarganya di P3KE",
                           terkait=missing["id_keluarga"].values))
    if not members.empty:
        chosen = set(zip(fam_links["keluarga_l"], fam_links["keluarga_r"], strict=True))
        extra = members.drop_duplicates(["keluarga_l", "keluarga_r"])
        extra = extra[[(a, b) not in chosen for a, b in zip(extra["keluarga_l"], extra["keluarga_r"], strict=True)]]
        extra = extra[extra["keluarga_l"].isin(fam_links["keluarga_l"])]
        parts.append(_conflict(periode, kab, "keluarga_pecah", "keduanya", extra["keluarga_l"].values,
                               "anggota satu KK DTKS tercatat di lebih dari satu keluarga P3KE",
                               terkait=extra["keluarga_r"].values))
    parts = [p for p in parts if not p.empty]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _summary(people, families, conflicts, pairs, review, kab) -> dict:
    own = pairs[pairs["kode_kab"] == kab]
    return {
        "individu": len(people), "individu_di_keduanya": int((people["di_dtks"] & people["di_p3ke"]).sum()),
        "individu_hanya_dtks": int((people["di_dtks"] & ~people["di_p3ke"]).sum()),
        "individu_hanya_p3ke": int((~people["di_dtks"] & people["di_p3ke"]).sum()),
        "padanan_per_metode": {str(k): int(v) for k, v in own["match_method"].value_counts().items()},
        "padanan_lintas_kabupaten": int((own["kode_kab_p3ke"] != kab).sum()),
        "keluarga": len(families), "keluarga_di_keduanya": int((families["di_dtks"] & families["di_p3ke"]).sum()),
        "keluarga_hanya_dtks": int((families["di_dtks"] & ~families["di_p3ke"]).sum()),
        "keluarga_hanya_p3ke": int((~families["di_dtks"] & families["di_p3ke"]).sum()),
        "antrian_review": len(review),
        "konflik": ({str(k): int(v) for k, v in conflicts["jenis_konflik"].value_counts().items()}
                    if not conflicts.empty else {}),
    }


def _write_review(settings: Settings, src: Sources, review: pd.DataFrame, kab: str, periode: str) -> str | None:
    """The regency's review workbook: its own pairs to decide, and its own people with a candidate in another
    regency (only their own side: the province decides those, `harmonise.province`)."""
    path = settings.folder("outbox") / kab / f"review_padanan_{periode}.xlsx"
    own = review.loc[review["lingkup"].eq("kabupaten") & review["kode_kab"].eq(kab)]
    cross = review.loc[review["lingkup"].eq("provinsi")]
    lintas = province.own_side_rows(cross, kab, {kab: src})
    if own.empty and lintas.empty:
        return None
    from satudata.harmonise.review_workbook import write_review_workbook

    path.parent.mkdir(parents=True, exist_ok=True)
    write_review_workbook(path, province.review_frame(own, {kab: src}), kode_kab=kab, periode=periode, lintas=lintas)
    return str(path.relative_to(settings.folder("outbox")))


def _write_province_review(settings: Settings, engine, review: pd.DataFrame, prov: str, periode: str) -> str | None:
    """The province's review workbook of cross-regency pairs, both sides shown: for the data engineer or the
    province's walidata, answered in `inbox/<kode_prov>/review/`."""
    if review.empty:
        return None
    from satudata.harmonise.review_workbook import write_review_workbook

    kabs = sorted(set(review["kode_kab"].dropna()) | set(review["kode_kab_p3ke"].dropna()))
    with engine.connect() as conn:
        sources = {kab: prepared_sources(settings, conn, kab, periode) for kab in kabs}
    path = settings.folder("outbox") / prov / f"review_padanan_{periode}.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_review_workbook(path, province.review_frame(review, sources), kode_kab=prov, periode=periode)
    return str(path.relative_to(settings.folder("outbox")))


# ---------------------------------------------------------------------------------------------- all


def harmonise(settings: Settings, periode: str | None = None, *, options: LinkOptions | None = None,
              run_id: str | None = None) -> dict:
    """All three steps for every regency with staged data (what the DAG does, in one process)."""
    from satudata.warehouse.bootstrap import init_warehouse

    init_warehouse(settings.warehouse_url)
    model = load_model()
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            periode = periode or (periods(conn) or [None])[-1]
            kabs = regencies(conn, periode) if periode else []
    finally:
        engine.dispose()
    if not periode:
        return {"periode": None, "regencies": {}}
    linked = {k: link_regency(settings, k, periode, options=options, model=model) for k in kabs}
    province = link_province(settings, periode, options=options, model=model)
    built = {k: build_regency(settings, k, periode, run_id=run_id, model_version=model.version, options=options,
                              model=model) for k in kabs}
    record_stage(settings.folder("archive"), "harmonisasi", periode)
    return {"periode": periode, "model_version": model.version, "link": linked, "province": province,
            "build": built}


def period_summary(settings: Settings, periode: str) -> dict:
    """Province-wide counts of a harmonised period, from `meta.harmonisasi` and `core.konflik_padanan`."""
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            rows = read_frame(conn, "SELECT kode_kab, ringkasan FROM meta.harmonisasi WHERE periode = :p "
                                    "ORDER BY kode_kab", {"p": periode})
            links = read_frame(conn, "SELECT match_method, lingkup, count(*) AS n FROM core.padanan_individu "
                                     "WHERE periode = :p GROUP BY match_method, lingkup", {"p": periode})
            conflicts = read_frame(conn, "SELECT jenis_konflik, count(*) AS n FROM core.konflik_padanan "
                                         "WHERE periode = :p GROUP BY jenis_konflik ORDER BY jenis_konflik",
                                   {"p": periode})
    finally:
        engine.dispose()
    totals: dict[str, int] = {}
    for text in rows["ringkasan"]:
        for key, value in json.loads(text).items():
            if isinstance(value, int):
                totals[key] = totals.get(key, 0) + value
    return {
        "periode": periode, "kabupaten": list(rows["kode_kab"]),
        "padanan": {f"{m}/{lk}": int(n) for m, lk, n in links.itertuples(index=False)},
        "konflik": {k: int(n) for k, n in conflicts.itertuples(index=False)}, **totals,
    }


def train_from_warehouse(settings: Settings, periode: str | None = None, *, version: str,
                         out_path=None, max_pairs: float = 5e6) -> dict:
    """Retrain the model on the staged registries of a period (`satudata link-model train`).

    Deliberate and rare: the file it writes is reviewed and committed like code, and scheduled runs
    only ever load it.
    """
    from satudata.harmonise.fitting import train_model
    from satudata.harmonise.model import load_model, model_path

    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            periode = periode or (periods(conn) or [None])[-1]
            if periode is None:
                raise ValueError("nothing staged: stage DTKS and P3KE before training")
            kabs = regencies(conn, periode)
            sources = [prepared_sources(settings, conn, k, periode) for k in kabs]
    finally:
        engine.dispose()
    # Ids are unique within a regency's list: prefix the regency for the province-wide training set.
    left = pd.concat([s.dtks.assign(unique_id=s.kode_kab + "|" + s.dtks["unique_id"]) for s in sources],
                     ignore_index=True)
    right = pd.concat([s.p3ke.assign(unique_id=s.kode_kab + "|" + s.p3ke["unique_id"]) for s in sources],
                      ignore_index=True)
    out_path = out_path or model_path()
    model = train_model(left, right, version=version, out_path=out_path, u_max_pairs=max_pairs,
                        start=load_model(), trained_on={"periode": periode, "regencies": kabs})
    return {"version": model.version, "path": str(out_path), **model.trained_on}
