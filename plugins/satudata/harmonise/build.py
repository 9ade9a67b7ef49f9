"""Step 3 of harmonisation: one regency's harmonised people and families, from the pairs of steps 1-2.

    built = compute_build(settings, "5205", "2026-11", run_id, None, options, model)   # reads, computes
    summary = write_build(settings, built)                                  # writes it, in one transaction
    summary = build_regency(settings, "5205", "2026-11")                    # both (an Airflow task)

Writes `core.individu_terpadu`, `core.keluarga_terpadu`, the build-time conflicts of `core.konflik_padanan`
and `meta.harmonisasi`, then DTSEN linked to them (`harmonise.dtsen`: the crosswalk `core.padanan_dtsen`, DTSEN
ids and desil on people and families); the regency's review workbook goes to its outbox. The compute half
only reads the warehouse, so regencies can be built in worker processes while one process writes
(`warehouse.workers`), as in step 1 (`harmonise.regency`).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa

from satudata.config import Settings
from satudata.harmonise import province
from satudata.harmonise.dtsen import CONFLICTS as DTSEN_CONFLICTS
from satudata.harmonise.dtsen import attach_dtsen
from satudata.harmonise.regency import in_list
from satudata.harmonise.sources import Sources, prepare, read_prepared, store_prepared
from satudata.linkage.families import HEAD, link_families
from satudata.linkage.link import LinkOptions
from satudata.linkage.lookup import isin
from satudata.linkage.model import LinkModel, load_model
from satudata.linkage.records import LINK_COLUMNS
from satudata.normalise.nik import kk_or_none
from satudata.warehouse.engine import make_engine, read_frame, replace_rows
from satudata.warehouse.workers import reading_engine

log = logging.getLogger(__name__)

BUILD_CONFLICTS = ("duplikat_baris", "duplikat_nik", "desil1_tidak_di_dtks", "keluarga_dtks_tidak_di_p3ke",
                   "individu_dtks_tidak_di_p3ke", "keluarga_pecah")
OWN_CONFLICTS = (*BUILD_CONFLICTS, *DTSEN_CONFLICTS)  # what build_regency replaces
# What building a regency holds at its peak per DTKS + P3KE person (`warehouse.workers` schedules by it): Lombok
# Timur at NTB's full scale, 967 k people and 614 k DTSEN members, peaked at 3.16 GB in one process.
BUILD_ROW_BYTES = 3_300


@dataclass
class Built:
    """What `compute_build` made of one regency, ready to write."""

    kode_kab: str
    periode: str
    people: pd.DataFrame  # core.individu_terpadu rows
    families: pd.DataFrame  # core.keluarga_terpadu rows
    conflicts: pd.DataFrame  # core.konflik_padanan rows of OWN_CONFLICTS
    crosswalk: pd.DataFrame  # core.padanan_dtsen rows
    meta: pd.DataFrame  # the meta.harmonisasi row
    counts: dict
    workbook: str | None  # the review workbook written to the outbox, relative to it
    preparation: list[dict] | None  # a new preparation to store (None: it was stored already)
    seconds: float


def _read_build(conn, kode_kab: str, periode: str):
    reading = read_prepared(conn, kode_kab, periode)
    pairs = read_frame(conn, "SELECT * FROM core.padanan_individu WHERE periode = :p AND "
                             "(kode_kab = :k OR kode_kab_p3ke = :k)", {"p": periode, "k": kode_kab})
    review = read_frame(conn, "SELECT * FROM core.antrian_review WHERE periode = :p AND "
                              "(kode_kab = :k OR (lingkup = 'provinsi' AND kode_kab_p3ke = :k))",
                        {"p": periode, "k": kode_kab})
    nik_conflicts = conn.execute(sa.text(
        "SELECT jenis_konflik, count(*) FROM core.konflik_padanan WHERE periode = :p AND kode_kab = :k "
        "GROUP BY jenis_konflik"), {"p": periode, "k": kode_kab}).fetchall()
    return reading, pairs, review, nik_conflicts


def compute_build(settings: Settings, kode_kab: str, periode: str, run_id: str | None = None,
                  model_version: str | None = None, options: LinkOptions | None = None,
                  model: LinkModel | None = None) -> Built:
    """The regency's harmonised people and families with DTSEN linked to them, its conflicts and the review
    workbook (written to the outbox); reads the warehouse, writes nothing to it."""
    started = time.perf_counter()
    model = model or load_model()
    engine = reading_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            reading, pairs, review, nik_conflicts = _read_build(conn, kode_kab, periode)
    finally:
        engine.dispose()  # a DuckDB file is let go of before the long computation
    src, preparation = prepare(reading)
    del reading
    people, families, conflicts = assemble(src, pairs)
    workbook = _write_review(settings, src, review, kode_kab, periode)
    harmonised = pd.concat([src.dtks[list(LINK_COLUMNS)], src.p3ke[list(LINK_COLUMNS)]], ignore_index=True)
    dtsen, dtsen_keluarga, submissions = src.dtsen, src.dtsen_keluarga, _submissions(src)
    # DTKS and P3KE as prepared (every column, the original text beside the normalised) are not needed past
    # this point: let go of them before DTSEN is linked, the step that needs the most memory.
    del src
    with_dtsen = attach_dtsen(periode, kode_kab, people, families, harmonised, dtsen, dtsen_keluarga,
                              options=options, model=model)
    del harmonised, dtsen, dtsen_keluarga
    people, families = with_dtsen.people, with_dtsen.families
    conflicts = pd.concat([c for c in (conflicts, with_dtsen.conflicts) if not c.empty] or [pd.DataFrame()],
                          ignore_index=True)
    counts = _summary(people, families, conflicts, pairs, review.loc[review["kode_kab"].eq(kode_kab)], kode_kab)
    counts.update({k: v for k, v in with_dtsen.stats.items()})
    counts["konflik"].update({k: int(v) for k, v in nik_conflicts if k not in OWN_CONFLICTS})
    meta = pd.DataFrame([{
        "periode": periode, "kode_kab": kode_kab, "run_id": run_id,
        "model_version": model_version or model.version, **submissions,
        "dihitung_pada": datetime.now(UTC),
        "ringkasan": json.dumps(counts, ensure_ascii=False),
    }])
    return Built(kode_kab, periode, people, families, conflicts, with_dtsen.crosswalk, meta, counts, workbook,
                 preparation, time.perf_counter() - started)


def _submissions(src: Sources) -> dict:
    return {"submission_dtks": src.submission_dtks, "submission_p3ke": src.submission_p3ke,
            "submission_dtsen": src.submission_dtsen}


def write_build(settings: Settings, built: Built) -> dict:
    """Replace the regency's step-3 rows by `built`, in one transaction."""
    started = time.perf_counter()
    scope, params = "periode = :p AND kode_kab = :k", {"p": built.periode, "k": built.kode_kab}
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.begin() as conn:
            store_prepared(conn, built.preparation)
            replace_rows(conn, "core.individu_terpadu", built.people, scope, params)
            replace_rows(conn, "core.keluarga_terpadu", built.families, scope, params)
            replace_rows(conn, "core.konflik_padanan", built.conflicts,
                         f"{scope} AND {in_list('jenis_konflik', OWN_CONFLICTS)}", params)
            replace_rows(conn, "core.padanan_dtsen", built.crosswalk, scope, params)
            if built.workbook:
                conn.execute(sa.text(f"UPDATE core.antrian_review SET berkas = :b WHERE {scope} "
                                     "AND lingkup = 'kabupaten'"), {**params, "b": built.workbook})
            replace_rows(conn, "meta.harmonisasi", built.meta, scope, params)
    finally:
        engine.dispose()
    counts = {**built.counts, "review_workbook": built.workbook,
              "seconds": round(built.seconds + time.perf_counter() - started, 2)}
    log.info("regency %s %s built: %s", built.kode_kab, built.periode, counts)
    return counts


def build_regency(settings: Settings, kode_kab: str, periode: str, *, run_id: str | None = None,
                  model_version: str | None = None, options: LinkOptions | None = None,
                  model: LinkModel | None = None) -> dict:
    """Step 3 for one regency: its harmonised people and families with DTSEN linked to them, its conflicts and
    the review workbook."""
    return write_build(settings, compute_build(settings, kode_kab, periode, run_id, model_version, options, model))


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
    merged = d["keluarga"].map(fam_of_dtks)  # a DTKS family linked by KK takes its P3KE family's key
    d_keluarga = _first_of(partner, merged.where(merged.notna(), d["keluarga"]))
    p_linked = set(own["id_individu_p3ke"]) | p3ke_elsewhere
    p = p3ke[~isin(p3ke["id"], p_linked)]
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
    missing = people[people["di_dtks"] & ~people["di_p3ke"] & isin(people["id_keluarga"], both)]
    parts.append(_conflict(periode, kab, "individu_dtks_tidak_di_p3ke", "dtks", missing["id_dtks"].values,
                           "anggota keluarga DTKS tidak tercatat dalam keluarganya di P3KE",
                           terkait=missing["id_keluarga"].values))
    if not members.empty:
        chosen = set(zip(fam_links["keluarga_l"], fam_links["keluarga_r"], strict=True))
        extra = members.drop_duplicates(["keluarga_l", "keluarga_r"])
        extra = extra[[(a, b) not in chosen for a, b in zip(extra["keluarga_l"], extra["keluarga_r"], strict=True)]]
        extra = extra[isin(extra["keluarga_l"], fam_links["keluarga_l"])]
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


__all__ = ["BUILD_CONFLICTS", "BUILD_ROW_BYTES", "OWN_CONFLICTS", "Built", "assemble", "build_regency", "compute_build", "write_build"]
