"""A regency's staged registries for a period, prepared for linkage once and kept in the warehouse.

    src = prepared_sources(settings, conn, "5205", "2026-11")    # Sources: dtks, p3ke, dtsen, ... frames
    src, to_store = prepared_or_new(conn, "5205", "2026-11")      # the same, storing left to the caller
    src, to_store = prepare(read_prepared(conn, "5205", "2026-11"))   # the same, `conn` free before preparing
    table = cached_columns(conn, "5205", "2026-11", "dtks", ["unique_id", "nik"])   # a few columns, Arrow
    for kab, tables in columns_by_regency(conn, kabs, "2026-11", ("dtks", "p3ke"), columns): ...   # many regencies

Period: a regency's harmonisation for period P uses, per registry, its newest active submission whose
period is not after P (registries are refreshed at different rhythms).

The preparation (`load_sources`: dedupe, `records.prepare_people`, family keys) is kept per (regency,
period) in the restricted `core.persiapan_padanan`, one Parquet blob per part. The three harmonisation
steps (often separate Airflow tasks) prepare a regency once. The key names the submissions (a newer file is
a new submission) and the preparation's version, so the stored preparation cannot go stale; it is a
speed-up only and is rebuilt whenever it is missing. Parquet is a data format: personal data stays in the
warehouse, and reading it back runs no code. Readers that need a few columns of one part (the province
pass, the review workbooks) read only those (`cached_columns`, `columns_by_regency`), never the whole
preparation.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from satudata.config import Settings
from satudata.linkage.families import dtks_family_keys
from satudata.linkage.records import prepare_people
from satudata.warehouse.engine import read_frame

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


def _read_staged(conn, kode_kab: str, periode: str, submissions=None) -> dict:
    """The staged rows a regency's preparation reads (the connection is held for reading only, not while
    preparing: a DuckDB file read by a worker is free for the writing process sooner)."""
    (per_d, ids_d), (per_p, ids_p) = submissions or source_submissions(conn, kode_kab, periode)
    per_s, ids_s = _source_rows(conn, "staging.dtsen_keluarga", kode_kab, periode)
    where = "WHERE kode_kab = :k AND periode = :p AND aktif ORDER BY submission_id, baris"
    return {
        "ids": (ids_d, ids_p, ids_s),
        "dtks": read_frame(conn, f"SELECT submission_id, baris, id_dtks, kode_desa, alamat, no_kk, {_PERSON} "
                                 f"FROM staging.dtks {where}", {"k": kode_kab, "p": per_d or ""}),
        "keluarga": read_frame(conn, "SELECT submission_id, baris, id_keluarga_p3ke, kode_desa, alamat, no_kk, "
                                     "nik_kepala_keluarga, nama_kepala_keluarga, jenis_kelamin_kepala_keluarga, desil, "
                                     f"jumlah_anggota FROM staging.p3ke_keluarga {where}",
                               {"k": kode_kab, "p": per_p or ""}),
        "anggota": read_frame(conn, "SELECT submission_id, baris, id_keluarga_p3ke, id_individu_p3ke, "
                                    f"no_kk AS no_kk_anggota, {_PERSON} FROM staging.p3ke_anggota {where}",
                              {"k": kode_kab, "p": per_p or ""}),
        "dtsen_keluarga": read_frame(conn, "SELECT submission_id, baris, id_keluarga_dtsen, kode_desa, alamat, no_kk, "
                                           "nik_kepala_keluarga, nama_kepala_keluarga, jenis_kelamin_kepala_keluarga, "
                                           "desil_nasional, desil_provinsi, desil_kabupaten_kota, jumlah_anggota "
                                           f"FROM staging.dtsen_keluarga {where}", {"k": kode_kab, "p": per_s or ""}),
        "dtsen_anggota": read_frame(conn, "SELECT submission_id, baris, id_keluarga_dtsen, id_individu_dtsen, "
                                          f"no_kk AS no_kk_anggota, {_PERSON} FROM staging.dtsen_anggota {where}",
                                    {"k": kode_kab, "p": per_s or ""}),
    }


def _prepare_staged(kode_kab: str, periode: str, staged: dict) -> Sources:
    """`Sources` from the staged rows: repeats collapsed, linkage features, family keys."""
    ids_d, ids_p, ids_s = staged["ids"]
    dtks, dup_d = _dedupe(staged["dtks"], "id_dtks", "dtks")
    keluarga = staged["keluarga"]
    keluarga = keluarga.assign(id_keluarga_p3ke=keluarga["id_keluarga_p3ke"].astype("string").str.strip())
    keluarga = keluarga.drop_duplicates("id_keluarga_p3ke").reset_index(drop=True)
    anggota, dup_p = _dedupe(staged["anggota"], "id_individu_p3ke", "p3ke")
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
    dtsen_keluarga = staged["dtsen_keluarga"]
    dtsen_keluarga["id_keluarga_dtsen"] = dtsen_keluarga["id_keluarga_dtsen"].astype("string").str.strip()
    dtsen_keluarga = dtsen_keluarga.drop_duplicates("id_keluarga_dtsen").reset_index(drop=True)
    dtsen_anggota, dup_s = _dedupe(staged["dtsen_anggota"], "id_individu_dtsen", "dtsen")
    dtsen_anggota["id_keluarga_dtsen"] = dtsen_anggota["id_keluarga_dtsen"].astype("string").str.strip()
    dtsen = dtsen_anggota.merge(dtsen_keluarga[["id_keluarga_dtsen", "kode_desa", "alamat", "no_kk", "desil_nasional"]],
                                on="id_keluarga_dtsen", how="left")
    dtsen["no_kk"] = dtsen["no_kk"].where(dtsen["no_kk"].notna(), dtsen.pop("no_kk_anggota"))
    dtsen = _with_features(dtsen, prepare_people(dtsen, id_prefix="dtsen:"))
    dtsen["keluarga"] = "dtsen:" + dtsen["id_keluarga_dtsen"].astype(str)
    return Sources(kode_kab, periode, max(ids_d, default=None), max(ids_p, default=None), dtks, p3ke, keluarga,
                   pd.concat([dup_d, dup_p, dup_s], ignore_index=True), dtsen, dtsen_keluarga,
                   max(ids_s, default=None))


def load_sources(conn, kode_kab: str, periode: str, submissions=None) -> Sources:
    """A regency's staged registries for the period, prepared for linkage (not kept: `prepared_sources`)."""
    return _prepare_staged(kode_kab, periode, _read_staged(conn, kode_kab, periode, submissions))


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


def _lists_as_arrow(t: pa.DataType) -> pd.ArrowDtype | None:
    return pd.ArrowDtype(t) if pa.types.is_list(t) else None


def to_frame(table: pa.Table) -> pd.DataFrame:
    """A stored part (or some of its columns) as the frame `_to_parquet` stored; list columns (address
    words, short forms) as Arrow lists.

    The pandas metadata Parquet keeps describes every column of the part: it is cut to the columns read, or
    pyarrow would look up the dtype of a list column that is not there (and fail on its name).
    """
    metadata = table.schema.metadata or {}
    if b"pandas" in metadata:
        spec = json.loads(metadata[b"pandas"])
        present = set(table.column_names)
        spec["columns"] = [c for c in spec.get("columns", []) if (c.get("field_name") or c.get("name")) in present]
        table = table.replace_schema_metadata({**metadata, b"pandas": json.dumps(spec).encode()})
    return table.to_pandas(types_mapper=_lists_as_arrow)


def _from_parquet(data: bytes) -> pd.DataFrame:
    return to_frame(pq.read_table(io.BytesIO(data)))


def _key(conn, kode_kab: str, periode: str) -> tuple[tuple, list[int], str]:
    """The submissions a regency's preparation reads and the key they make (with the preparation's version)."""
    sources_of = source_submissions(conn, kode_kab, periode)
    (_, ids_d), (_, ids_p) = sources_of
    _, ids_s = _source_rows(conn, "staging.dtsen_keluarga", kode_kab, periode)
    key = "_".join(".".join(map(str, ids)) for ids in (ids_d, ids_p, ids_s)) + f"_v{PREPARE_VERSION}"
    return sources_of, ids_s, key


# A DuckDB file reads the bytes of every stored preparation for any query that selects `isi`, whatever its
# WHERE (they share one vector): about a second at NTB's full scale. So a query asks first which parts are
# there (`_present`, milliseconds), and a pass over many regencies reads them in one query (`columns_by_regency`).


def _parts_in(parts) -> str:
    return ", ".join(f"'{p}'" for p in parts)  # our own part names, never user input


def _present(conn, kode_kab: str, periode: str, key: str) -> set[str]:
    return set(conn.execute(sa.text("SELECT bagian FROM core.persiapan_padanan WHERE periode = :p AND kode_kab = :k "
                                    "AND kunci = :key"), {"p": periode, "k": kode_kab, "key": key}).scalars())


def _stored(conn, kode_kab: str, periode: str, key: str, parts=_PARTS) -> dict[str, bytes]:
    rows = conn.execute(sa.text("SELECT bagian, isi FROM core.persiapan_padanan WHERE periode = :p AND kode_kab = :k "
                                f"AND kunci = :key AND bagian IN ({_parts_in(parts)})"),
                        {"p": periode, "k": kode_kab, "key": key}).all()
    return {bagian: bytes(isi) for bagian, isi in rows}


@dataclass
class Reading:
    """What a regency's preparation read from the warehouse: the stored parts, or the staged rows to prepare."""

    kode_kab: str
    periode: str
    ids: tuple[list[int], list[int], list[int]]  # DTKS, P3KE, DTSEN submissions
    key: str
    stored: dict[str, bytes] | None = None
    staged: dict | None = None


def read_prepared(conn, kode_kab: str, periode: str) -> Reading:
    """The reading half of `prepared_or_new`: only queries, so the connection can be let go of before
    `prepare` (decoding or preparing takes seconds a DuckDB file need not be held for)."""
    sources_of, ids_s, key = _key(conn, kode_kab, periode)
    (_, ids_d), (_, ids_p) = sources_of
    if _present(conn, kode_kab, periode, key) >= set(_PARTS):
        stored = _stored(conn, kode_kab, periode, key)
        if set(stored) == set(_PARTS):
            return Reading(kode_kab, periode, (ids_d, ids_p, ids_s), key, stored=stored)
    return Reading(kode_kab, periode, (ids_d, ids_p, ids_s), key,
                   staged=_read_staged(conn, kode_kab, periode, sources_of))


def prepare(reading: Reading) -> tuple[Sources, list[dict] | None]:
    """`Sources` from a `Reading`, and the rows to store a new preparation (`store_prepared`; None when it
    was stored already)."""
    kode_kab, periode = reading.kode_kab, reading.periode
    if reading.stored is not None:
        ids_d, ids_p, ids_s = reading.ids
        frames = {part: _from_parquet(reading.stored[part]) for part in _PARTS}
        return Sources(kode_kab, periode, max(ids_d, default=None), max(ids_p, default=None), **frames,
                       submission_dtsen=max(ids_s, default=None)), None
    sources = _prepare_staged(kode_kab, periode, reading.staged)
    now = datetime.now(UTC)
    rows = [{"p": periode, "k": kode_kab, "key": reading.key, "bagian": part,
             "isi": _to_parquet(getattr(sources, part)), "t": now} for part in _PARTS]
    return sources, rows


def prepared_or_new(conn, kode_kab: str, periode: str) -> tuple[Sources, list[dict] | None]:
    """The stored preparation of a regency, or a new one with the rows to store it (`store_prepared`, by
    whichever process writes the warehouse: a worker only reads it)."""
    return prepare(read_prepared(conn, kode_kab, periode))


def store_prepared(conn, rows: list[dict] | None) -> None:
    """Keep a new preparation (`prepared_or_new`), replacing the regency's older one, in the caller's transaction."""
    if not rows:
        return
    conn.execute(sa.text("DELETE FROM core.persiapan_padanan WHERE periode = :p AND kode_kab = :k"),
                 {"p": rows[0]["p"], "k": rows[0]["k"]})
    conn.execute(sa.text("INSERT INTO core.persiapan_padanan (periode, kode_kab, kunci, bagian, isi, dibuat_pada) "
                         "VALUES (:p, :k, :key, :bagian, :isi, :t)"), rows)


def cached_columns(conn, kode_kab: str, periode: str, part: str, columns: list[str]) -> pa.Table:
    """Some columns of one part of a regency's preparation, as Arrow (prepared and stored first if missing)."""
    _, _, key = _key(conn, kode_kab, periode)
    stored = _stored(conn, kode_kab, periode, key, (part,))
    if part not in stored:
        prepared_sources(None, conn, kode_kab, periode)
        stored = _stored(conn, kode_kab, periode, key, (part,))
    return pq.read_table(io.BytesIO(stored[part]), columns=columns)


def columns_by_regency(conn, kabs: list[str], periode: str, parts: tuple[str, ...],
                       columns: list[str]) -> Iterator[tuple[str, dict[str, pa.Table]]]:
    """`cached_columns` of `parts` for each regency of `kabs` in turn, the stored ones read in one query (see
    `_present`); each regency's bytes are let go of once its tables are made."""
    keys = {kab: _key(conn, kab, periode)[2] for kab in kabs}
    rows = conn.execute(sa.text("SELECT kode_kab, kunci, bagian, isi FROM core.persiapan_padanan WHERE periode = :p "
                                f"AND bagian IN ({_parts_in(parts)})"), {"p": periode}).all()
    stored = {(kab, bagian): bytes(isi) for kab, kunci, bagian, isi in rows if keys.get(kab) == kunci}
    del rows
    for kab in kabs:
        tables = {}
        for part in parts:
            data = stored.pop((kab, part), None)
            tables[part] = (pq.read_table(io.BytesIO(data), columns=columns) if data is not None
                            else cached_columns(conn, kab, periode, part, columns))  # prepared and stored first
        yield kab, tables


def prepared_sources(settings: Settings | None, conn, kode_kab: str, periode: str) -> Sources:
    """`load_sources`, prepared once and kept (see the module docstring); `conn` may write."""
    sources, rows = prepared_or_new(conn, kode_kab, periode)
    if rows:
        store_prepared(conn, rows)
        conn.commit()
    return sources
