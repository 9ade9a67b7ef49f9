"""What a submission replaces: only what it covers (its `cakupan`).

A regency sends its registries whole, or one file per kecamatan (sometimes per desa), and its recipient lists
per programme and tranche (PKH *tahap* 1, 2 ...). Every accepted submission records its scope in
`meta.cakupan_kiriman`, and a staged row stays active (`aktif`) unless a *newer* submission of the same
regency, jenis and period covers its place (and, for recipient lists, its programme and tranche):

- **kabupaten**: the whole regency (a re-export replaces everything, of each programme it lists);
- **kecamatan**: the kecamatan its rows are in (a kecamatan file replaces that kecamatan only); where its rows
  come from fewer than half of a kecamatan's desa, only those desa (a desa's own list replaces that desa);
- **tambah**: nothing (a file that only adds, e.g. a late tranche sent with `tambah` in its name).

A budget recap (`anggaran`) is always the regency's whole budget of the period: a newer one replaces it
(unless it says `tambah`).

How a file is taken is decided by the operator's word in the file or folder name (`ganti`: the whole regency;
`tambah`: add only) or else by the file itself: rows from at least half of the regency's kecamatan (and more
than one) make a regency-wide file, fewer a kecamatan file. A recipient list's tranche comes from a `tahap`
column or the file name ("PKH tahap 2", "BPNT_T3", "Tahap II"); different tranches add up, the same tranche
sent again replaces itself.

`refresh_active` recomputes `aktif` of a regency, jenis and period from the scopes on record: the outcome
does not depend on the order in which files are processed (a reprocessed old file never switches a newer
one off), and running it twice changes nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from satudata.reference.wilayah import Wilayah
from satudata.warehouse.engine import read_frame

ALL = "*"
TABLES = {"dtks": ("staging.dtks",), "p3ke": ("staging.p3ke_keluarga", "staging.p3ke_anggota"),
          "dtsen": ("staging.dtsen_keluarga", "staging.dtsen_anggota"),
          "intervensi": ("staging.intervensi",), "anggaran": ("staging.anggaran",)}
GANTI_WORDS = frozenset({"ganti", "pengganti", "gantikan", "timpa"})
TAMBAH_WORDS = frozenset({"tambah", "tambahan", "susulan"})
_WORD = re.compile(r"[a-z0-9]+")
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8", "ix": "9",
          "x": "10", "xi": "11", "xii": "12"}
_TAHAP = re.compile(r"(?i)(?:\btahap|\btermin|\bgelombang|(?<![a-z])t)[\s_.-]*([0-9]{1,2}|[ivx]{1,4})(?![0-9a-z])")
REGENCY_WIDE_SHARE = 0.5  # of the regency's kecamatan: at least this many (and more than one) = regency-wide


@dataclass
class Scope:
    cara: str  # "kabupaten" | "kecamatan" | "tambah"
    units: list[tuple[str, str, str]] = field(default_factory=list)  # (kode_program, tahap, kode_wilayah)
    sebab: str = ""  # why: "kata 'ganti' pada nama berkas", "baris dari 12 dari 14 kecamatan" ...


def operator_word(inbox_path: str) -> tuple[str | None, str]:
    """'ganti' or 'tambah' when the operator wrote it in the file name or a folder below the jenis folder."""
    parts = inbox_path.replace("\\", "/").split("/")[2:]  # <kode_kab>/<jenis>/ are the contract, not words
    for part in reversed(parts):
        words = set(_WORD.findall(part.rsplit(".", 1)[0].lower() if part == parts[-1] else part.lower()))
        if words & GANTI_WORDS:
            return "ganti", part
        if words & TAMBAH_WORDS:
            return "tambah", part
    return None, ""


def normalise_tahap(value: object) -> str | None:
    """'2', 'II', 'Tahap 2', 'T2' -> '2'; None when no tranche can be read."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    text = str(value).strip().lower()
    if not text:
        return None
    if text.isascii() and text.isdigit():  # not str.isdigit alone: '¹' is a digit int() refuses
        return str(int(text))
    match = _TAHAP.search(text) or re.fullmatch(r"([0-9]{1,2}|[ivx]{1,4})", text)
    if not match:
        return None
    token = match.group(1).lower()
    return str(int(token)) if token.isdigit() else _ROMAN.get(token)


def tahap_from_name(file_name: str) -> str | None:
    stem = file_name.rsplit(".", 1)[0]
    match = _TAHAP.search(stem.replace("_", " "))
    return normalise_tahap(match.group(0)) if match else None


def scope_of(conn: Connection, *, submission_id: int, kode_kab: str, jenis: str, inbox_path: str,
             wilayah: Wilayah) -> Scope:
    """The scope of a staged submission, from the operator's word or its own rows."""
    word, where = operator_word(inbox_path)
    if word == "tambah":
        return Scope("tambah", [], f"kata '{where}' pada nama berkas/folder")
    if jenis == "anggaran":  # a budget recap is the regency's whole, never part of it
        return Scope("kabupaten", [(ALL, "", ALL)], "rekap anggaran seluruh kabupaten/kota"
                     + (f" (kata '{where}' pada nama berkas/folder)" if word == "ganti" else ""))
    table = TABLES[jenis][0]
    programme = ("kode_program, coalesce(tahap, '') AS tahap" if jenis == "intervensi"
                 else f"'{ALL}' AS kode_program, '' AS tahap")
    rows = read_frame(conn, f"SELECT DISTINCT {programme}, kode_kecamatan, kode_desa FROM {table} "
                            "WHERE submission_id = :s", {"s": submission_id})
    rows = rows.dropna(subset=["kode_program"])
    kecamatan = sorted(set(rows["kode_kecamatan"].dropna()))
    in_regency = len(wilayah.children(kode_kab))
    wide = len(kecamatan) > 1 and len(kecamatan) >= REGENCY_WIDE_SHARE * max(in_regency, 1)
    if word == "ganti" or wide:
        # A regency-wide list replaces its programmes' rows of the tranches it holds (all of them: 'ganti').
        if jenis != "intervensi":
            units = [(ALL, "", ALL)]
        elif word == "ganti":
            units = sorted({(p, ALL, ALL) for p in rows["kode_program"]})
        else:
            units = sorted({(p, t, ALL) for p, t in zip(rows["kode_program"], rows["tahap"], strict=True)})
        reason = (f"kata '{where}' pada nama berkas/folder" if word == "ganti"
                  else f"baris dari {len(kecamatan)} dari {in_regency} kecamatan")
        return Scope("kabupaten", units, reason)
    # A kecamatan the file holds only a few desa of is replaced desa by desa.
    rows = rows.dropna(subset=["kode_kecamatan"])
    desa_seen = rows.dropna(subset=["kode_desa"]).groupby("kode_kecamatan")["kode_desa"].nunique()
    by_desa = {k for k, n in desa_seen.items()
               if n < REGENCY_WIDE_SHARE * max(len(wilayah.children(k)), 1)}
    units = sorted({(p, t, d if k in by_desa else k) for p, t, k, d in
                    zip(rows["kode_program"], rows["tahap"], rows["kode_kecamatan"], rows["kode_desa"], strict=True)
                    if k not in by_desa or isinstance(d, str)})
    return Scope("kecamatan", units, f"baris dari {len(kecamatan)} dari {in_regency} kecamatan")


def record_scope(conn: Connection, scope: Scope, *, submission_id: int, kode_kab: str, jenis: str,
                 periode: str) -> None:
    conn.execute(sa.text("DELETE FROM meta.cakupan_kiriman WHERE submission_id = :s"), {"s": submission_id})
    if scope.units:
        conn.execute(sa.text(
            "INSERT INTO meta.cakupan_kiriman (submission_id, kode_kab, jenis, periode, kode_program, tahap, "
            "kode_wilayah) VALUES (:s, :k, :j, :p, :program, :tahap, :wilayah)"),
            [{"s": submission_id, "k": kode_kab, "j": jenis, "p": periode, "program": p, "tahap": t, "wilayah": k}
             for p, t, k in scope.units])


def _covered_by(alias: str, jenis: str, newer: str) -> str:
    """SQL: a scope row `c` covers row `alias` of staging (`newer`: the condition on c.submission_id)."""
    programme = (f"AND (c.kode_program = '{ALL}' OR c.kode_program = {alias}.kode_program) "
                 f"AND (c.tahap = '{ALL}' OR c.tahap = coalesce({alias}.tahap, ''))") if jenis == "intervensi" else ""
    return (f"SELECT 1 FROM meta.cakupan_kiriman c WHERE c.kode_kab = {alias}.kode_kab AND c.jenis = '{jenis}' "
            f"AND c.periode = {alias}.periode AND {newer} "
            f"AND (c.kode_wilayah = '{ALL}' OR c.kode_wilayah = {alias}.kode_kecamatan "
            f"OR c.kode_wilayah = {alias}.kode_desa) {programme}")


def replaced_rows(conn: Connection, *, submission_id: int, kode_kab: str, jenis: str, periode: str) -> pd.DataFrame:
    """Rows of older submissions still active that this submission's recorded scope covers: what it replaces
    (submission_id, file_name, received_at, kode_kecamatan, kode_desa, kode_program, tahap, baris)."""
    table = TABLES[jenis][0]
    if jenis == "intervensi":
        select, group = ", t.kode_program, coalesce(t.tahap, '') AS tahap", ", t.kode_program, coalesce(t.tahap, '')"
    else:
        select, group = ", CAST(NULL AS TEXT) AS kode_program, '' AS tahap", ""
    covered = _covered_by("t", jenis, "c.submission_id = :s")
    return read_frame(conn, f"""
        SELECT t.submission_id, s.file_name, s.received_at, t.kode_kecamatan, t.kode_desa {select}, count(*) AS baris
        FROM {table} t JOIN meta.submission s ON s.submission_id = t.submission_id
        WHERE t.kode_kab = :k AND t.periode = :p AND t.aktif AND t.submission_id < :s AND EXISTS ({covered})
        GROUP BY t.submission_id, s.file_name, s.received_at, t.kode_kecamatan, t.kode_desa {group}
        ORDER BY t.submission_id, t.kode_kecamatan, t.kode_desa""", {"s": submission_id, "k": kode_kab, "p": periode})


def still_active(conn: Connection, *, submission_id: int, kode_kab: str, jenis: str, periode: str) -> int:
    """Rows of other submissions of the regency, jenis and period that stay active beside this one."""
    table = TABLES[jenis][0]
    return int(conn.execute(sa.text(f"SELECT count(*) FROM {table} WHERE kode_kab = :k AND periode = :p AND aktif "
                                    "AND submission_id <> :s"),
                            {"k": kode_kab, "p": periode, "s": submission_id}).scalar_one())


def refresh_active(conn: Connection, *, kode_kab: str, jenis: str, periode: str) -> None:
    """`aktif` of every staged row of a regency, jenis and period, from the scopes on record."""
    for table in TABLES[jenis]:
        covered = _covered_by("t", jenis, "c.submission_id > t.submission_id")
        conn.execute(sa.text(f"UPDATE {table} AS t SET aktif = NOT EXISTS ({covered}) "
                             "WHERE t.kode_kab = :k AND t.periode = :p"), {"k": kode_kab, "p": periode})


def mark_superseded(conn: Connection, *, kode_kab: str, jenis: str, periode: str) -> list[int]:
    """Accepted submissions none of whose rows is active any more are superseded by the newest submission
    covering them, with the reason (`reason_code` 'superseded': which files replaced how many of its rows); one
    that is active again, after a newer one was withdrawn, no longer is. One query for all of them (a regency
    sending one file per kecamatan has dozens), and only what changed is written."""
    table = TABLES[jenis][0]
    rows = read_frame(conn, f"""
        SELECT s.submission_id, s.superseded_by, s.reason_code, s.reason_detail,
               (SELECT count(*) FROM {table} t WHERE t.submission_id = s.submission_id AND t.aktif) AS aktif
        FROM meta.submission s
        WHERE s.kode_kab = :k AND s.jenis = :j AND s.periode = :p AND s.status IN ('accepted', 'partial')
    """, {"k": kode_kab, "j": jenis, "p": periode})
    by = _replaced_by(conn, table, jenis, [int(s) for s in rows.loc[rows["aktif"] == 0, "submission_id"]])
    superseded = []
    for r in rows.itertuples(index=False):  # per submission, not per row
        sid = int(r.submission_id)
        current = int(r.superseded_by) if pd.notna(r.superseded_by) else None
        mine = by.get(sid)
        if mine is not None:
            superseded.append(sid)
            target = int(mine["oleh"].max())
            detail = {"berkas_baru": "; ".join(f"{b.file_name} ({int(b.baris):,} baris)".replace(",", ".")
                                               for b in mine.itertuples(index=False))}
            if current == target and r.reason_code == "superseded" and _json(r.reason_detail) == detail:
                continue
            conn.execute(sa.text("UPDATE meta.submission SET superseded_by = :t, reason_code = 'superseded', "
                                 "reason_detail = :d WHERE submission_id = :s"),
                         {"t": target, "s": sid, "d": json.dumps(detail, ensure_ascii=False)})
        elif current is not None:
            keep = r.reason_code if r.reason_code != "superseded" else None
            conn.execute(sa.text("UPDATE meta.submission SET superseded_by = NULL, reason_code = :c, "
                                 "reason_detail = CASE WHEN :c IS NULL THEN NULL ELSE reason_detail END "
                                 "WHERE submission_id = :s"), {"s": sid, "c": keep})
    return superseded


def _json(value) -> object:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _replaced_by(conn: Connection, table: str, jenis: str, submission_ids: list[int]) -> dict[int, pd.DataFrame]:
    """Which newer submissions replaced the rows of each of `submission_ids` (the newest covering each row):
    submission_id -> oleh, file_name, baris (only submissions some newer one covers)."""
    if not submission_ids:
        return {}
    covered = _covered_by("t", jenis, "c.submission_id > t.submission_id").replace("SELECT 1", "SELECT max(c.submission_id)")
    ids = ", ".join(str(int(s)) for s in submission_ids)  # integers of the ledger, never text from a file
    found = read_frame(conn, f"""
        SELECT r.submission_id, r.oleh, s.file_name, count(*) AS baris
        FROM (SELECT t.submission_id, ({covered}) AS oleh FROM {table} t WHERE t.submission_id IN ({ids})) r
        JOIN meta.submission s ON s.submission_id = r.oleh
        GROUP BY r.submission_id, r.oleh, s.file_name ORDER BY r.submission_id, r.oleh""")
    return {int(sid): group.drop(columns="submission_id").reset_index(drop=True)
            for sid, group in found.groupby("submission_id", sort=False)}


def summary(scope: Scope, replaced: pd.DataFrame, staying: int, staged: int) -> dict:
    """What the ledger records and the answer says (`penggantian`)."""
    return {
        "cara_kirim": scope.cara, "sebab": scope.sebab,
        "cakupan": [{"kode_program": p, "tahap": t, "kode_wilayah": k} for p, t, k in scope.units],
        "digantikan": [{"submission_id": int(r.submission_id), "berkas": r.file_name,
                        "diterima": pd.Timestamp(r.received_at).isoformat(), "kode_kecamatan": r.kode_kecamatan,
                        "kode_desa": r.kode_desa,
                        "kode_program": r.kode_program, "tahap": r.tahap, "baris": int(r.baris)}
                       for r in replaced.itertuples(index=False)],
        "tetap_berlaku": int(staying), "baris_berkas": int(staged),
    }


def describe(record: dict, *, jenis_label: str, place_name, when) -> list[str]:
    """The answer's lines in plain Bahasa Indonesia: what this file replaced and what stays.

    `place_name(kode)` names a kecamatan or desa ("Kec. Woja", "Desa Matua"); `when(iso)` a date."""
    def number(n: int) -> str:
        return f"{n:,}".replace(",", ".")

    def programme(item: dict) -> str:
        if item.get("kode_program") in (None, ALL):
            return ""
        tahap = item.get("tahap")
        return item["kode_program"] + (f" tahap {tahap}" if tahap and tahap != ALL else "") + " "

    lines = []
    cara = record["cara_kirim"]
    places = {u["kode_wilayah"] for u in record["cakupan"]}
    if cara == "tambah":
        lines.append(f"Berkas ini ditambahkan ({record['sebab']}): tidak menggantikan data {jenis_label} "
                     "yang sudah diterima.")
    elif cara == "kabupaten":
        lines.append(f"Berkas ini berisi data {jenis_label} seluruh kabupaten/kota ({record['sebab']}).")
    else:
        lines.append(f"Berkas ini berisi data {jenis_label} "
                     + ", ".join(place_name(k) for k in sorted(places)) + ".")
    groups: dict[tuple, int] = {}
    for item in record["digantikan"]:
        if cara == "kabupaten":
            place = ""
        else:  # the unit that covered it: its kecamatan, or its desa where the file went desa by desa
            kode = item["kode_kecamatan"] if item["kode_kecamatan"] in places else item.get("kode_desa")
            place = f"{place_name(kode)} " if kode else ""
        key = (item["submission_id"], item["berkas"], item["diterima"], programme(item) + place)
        groups[key] = groups.get(key, 0) + item["baris"]
    for (_, berkas, diterima, what), rows in groups.items():
        lines.append(f"Menggantikan {number(rows)} baris {what}dari kiriman {when(diterima)} ({berkas}).")
    if not groups and cara != "tambah":
        lines.append("Belum ada data sebelumnya yang digantikan.")
    if record["tetap_berlaku"]:
        if cara == "kecamatan":
            other = "desa lain" if all(len(k) > 6 for k in places) else "kecamatan lain"
        else:
            other = {"kabupaten": "program atau tahap lain", "tambah": "yang sudah diterima"}[cara]
        lines.append(f"Data {other} tetap berlaku ({number(record['tetap_berlaku'])} baris).")
    return lines


def ledger_json(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, default=str)


__all__ = ["ALL", "Scope", "describe", "ledger_json", "mark_superseded", "normalise_tahap", "operator_word",
           "record_scope", "refresh_active", "replaced_rows", "scope_of", "still_active", "summary",
           "tahap_from_name"]
