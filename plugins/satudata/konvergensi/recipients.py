"""Recipient lists matched to the harmonised people and families of their regency.

The same linker as harmonisation (`harmonise.link.link_people`: exact trusted NIK, then the Splink
model) runs once per regency over the *distinct* recipients of all its programme lists, so a person
named on five lists is linked once. Then, for who is left:

1. a second linkage round against all people again: two spellings of one person across lists (a typo'd
   NIK here, a clean one there) both reach the person, although the first round is one-to-one;
2. a family programme's row whose person is unknown but whose KK is the KK of exactly one harmonised
   family goes to that family (`kk`);
3. a trusted NIK registered in another regency of the province (`nik_provinsi`): the recipient is in a
   registry, just not this regency's.

Every list row gets a status, so nothing is dropped: `ditemukan`, `perlu_review` (the best candidate is
uncertain; the candidate is kept for the action list) or `tidak_ditemukan` (in no registry).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa

from satudata.config import Settings
from satudata.harmonise.link import LinkOptions, link_people
from satudata.harmonise.model import LinkModel, load_model
from satudata.harmonise.model_store import store_model
from satudata.harmonise.records import prepare_people
from satudata.warehouse.engine import make_engine, read_frame, replace_rows

log = logging.getLogger(__name__)

STATUSES = ("ditemukan", "perlu_review", "tidak_ditemukan")
OUTPUT_COLUMNS = ("periode", "kode_kab", "submission_id", "baris", "kode_program", "nik", "nama", "kode_desa",
                  "kunci_penerima", "status_padanan", "id_individu", "id_keluarga", "kode_kab_terdaftar", "match_method",
                  "match_probability", "match_reason")

_RECIPIENTS_SQL = """
SELECT submission_id, baris, kode_program, nik, nik_valid, nik_angka_excel, no_kk, nama, tanggal_lahir, kode_desa, alamat
FROM staging.intervensi WHERE periode = :p AND kode_kab = :k AND aktif
ORDER BY submission_id, baris
"""
_PEOPLE_SQL = """
SELECT i.id_individu, i.id_keluarga, i.nik, i.nik IS NOT NULL AS nik_valid, i.nama, i.jenis_kelamin,
       i.tanggal_lahir, i.kode_desa, COALESCE(f.no_kk_p3ke, f.no_kk_dtks) AS no_kk
FROM core.individu_terpadu i
LEFT JOIN core.keluarga_terpadu f
  ON f.periode = i.periode AND f.kode_kab = i.kode_kab AND f.id_keluarga = i.id_keluarga
WHERE i.periode = :p AND i.kode_kab = :k
"""


def harmonised(conn, kode_kab: str, periode: str) -> bool:
    return conn.execute(sa.text("SELECT count(*) FROM meta.harmonisasi WHERE periode = :p AND kode_kab = :k"),
                        {"p": periode, "k": kode_kab}).scalar_one() > 0


def _identity_keys(prepared: pd.DataFrame) -> pd.Series:
    """Rows that are certainly the same recipient share a key: the trusted NIK, else the cleaned name with
    birth date and desa. A row without a name is a person of its own (never merged)."""
    fields = prepared[["nama_bersih", "tanggal_lahir", "kode_desa"]].astype("string").fillna("")
    # Column-wise concatenation: a row-wise join was a third of the stage at NTB scale.
    loose = "x|" + fields["nama_bersih"] + "|" + fields["tanggal_lahir"] + "|" + fields["kode_desa"]
    loose = loose.where(prepared["nama_bersih"].notna(), "baris|" + prepared["unique_id"].astype(str))
    return ("nik|" + prepared["nik"].astype("string")).where(prepared["nik_dipercaya"], loose)


def match_recipient_rows(rows: pd.DataFrame, people: pd.DataFrame, *, family_programmes: set[str],
                         options: LinkOptions | None = None, model: LinkModel | None = None
                         ) -> tuple[pd.DataFrame, dict]:
    """Status and harmonised person/family of every recipient row (aligned with `rows`).

    `rows`: staging.intervensi columns; `people`: id_individu, id_keluarga, nik, nama, jenis_kelamin,
    tanggal_lahir, kode_desa, no_kk. Returns columns status_padanan, id_individu, id_keluarga,
    match_method, match_probability, match_reason, plus the counts.
    """
    model = model or load_model()
    rows = rows.reset_index(drop=True)
    out = pd.DataFrame({"status_padanan": "tidak_ditemukan", "id_individu": None, "id_keluarga": None,
                        "match_method": None, "match_probability": float("nan"), "match_reason": None},
                       index=rows.index)
    stats = {"baris": len(rows)}
    if rows.empty:
        return out.assign(nik_dipercaya=pd.Series(dtype=bool), nik_bersih=pd.Series(dtype="string"),
                          kunci_penerima=pd.Series(dtype="string")), stats
    left_all = prepare_people(rows.assign(id=rows.index.astype(str)))
    key = _identity_keys(left_all)
    first = ~key.duplicated()
    left = left_all[first]
    stats["penerima_berbeda"] = len(left)
    family_of = dict(zip(people["id_individu"], people["id_keluarga"], strict=True))

    found: dict[str, tuple] = {}  # representative row id -> (id_individu, method, probability, reason)
    review: dict[str, tuple] = {}
    if not people.empty:
        right = prepare_people(people.rename(columns={"id_individu": "id"}))
        todo = left
        for round_no in (1, 2):
            result = link_people(todo, right, options=options, model=model)
            if round_no == 1:
                stats["model"] = result.model  # fitted on all distinct recipients: kept with the run
            for r in result.links.itertuples(index=False):
                found[r.unique_id_l] = (r.unique_id_r, r.match_method, r.match_probability, r.match_reason)
            stats[f"putaran_{round_no}"] = len(result.links)
            todo = todo[~todo["unique_id"].isin(found)]
            if round_no == 2 or result.links.empty or todo.empty:
                for r in result.review.itertuples(index=False):
                    if r.unique_id_l not in found:
                        review[r.unique_id_l] = (r.unique_id_r, "review_queue", r.match_probability, r.match_reason)
                break

    # Spread the representatives' answers to every row with the same identity.
    rep_of_key = dict(zip(key[first], left["unique_id"], strict=True))
    rep = key.map(rep_of_key)
    for answers, status in ((found, "ditemukan"), (review, "perlu_review")):
        hit = rep.isin(answers)
        if hit.any():
            values = rep[hit].map(answers)
            out.loc[hit, "status_padanan"] = status
            out.loc[hit, "id_individu"] = values.str[0]
            out.loc[hit, "match_method"] = values.str[1]
            out.loc[hit, "match_probability"] = values.str[2].astype(float)
            out.loc[hit, "match_reason"] = values.str[3]
    out.loc[out["status_padanan"] == "ditemukan", "id_keluarga"] = out["id_individu"].map(family_of)

    # Family programmes: a row whose person is unknown may still name its family by KK.
    kk_people = people.dropna(subset=["no_kk"]).drop_duplicates(["no_kk", "id_keluarga"])
    unique_kk = kk_people[~kk_people["no_kk"].duplicated(keep=False)].set_index("no_kk")["id_keluarga"]
    by_kk = (out["status_padanan"] != "ditemukan") & rows["kode_program"].isin(family_programmes) \
        & left_all["no_kk"].isin(unique_kk.index)
    if by_kk.any():
        out.loc[by_kk, "status_padanan"] = "ditemukan"
        out.loc[by_kk, "id_individu"] = None
        out.loc[by_kk, "id_keluarga"] = left_all.loc[by_kk, "no_kk"].map(unique_kk).values
        out.loc[by_kk, "match_method"] = "kk"
        out.loc[by_kk, "match_probability"] = float("nan")
        out.loc[by_kk, "match_reason"] = "orang tidak ditemukan; No KK sama dengan satu keluarga terdata"
    stats["lewat_kk"] = int(by_kk.sum())
    out["nik_dipercaya"] = left_all["nik_dipercaya"].values
    out["nik_bersih"] = left_all["nik"].values
    out["kunci_penerima"] = key.values
    return out, stats


def match_recipients(settings: Settings, kode_kab: str, periode: str, *, run_id: str | None = None,
                     options: LinkOptions | None = None, model: LinkModel | None = None) -> dict:
    """Match one regency's recipient lists of a period and replace its `core.penerima_program` rows."""
    from satudata.konvergensi.rules import load_rules

    started = time.perf_counter()
    rules = load_rules(periode)
    family_programmes = {p.kode_program for p in rules.programmes if p.unit == "keluarga"}
    engine = make_engine(settings.warehouse_url)
    scope, params = "periode = :p AND kode_kab = :k", {"p": periode, "k": kode_kab}
    try:
        with engine.connect() as conn:
            rows = read_frame(conn, _RECIPIENTS_SQL, params)
            ready = harmonised(conn, kode_kab, periode)
            people = read_frame(conn, _PEOPLE_SQL, params) if ready else None
        if not ready:
            # Without the regency's harmonised registry every recipient would look "not found": wait instead.
            summary = {"kode_kab": kode_kab, "periode": periode, "baris": len(rows), "status": "menunggu_harmonisasi"}
            log.warning("regency %s %s: %d recipient rows but no harmonised DTKS/P3KE yet; nothing matched",
                        kode_kab, periode, len(rows))
            write_summary(engine, periode, kode_kab, run_id, summary)
            return summary
        matched, stats = match_recipient_rows(rows, people, family_programmes=family_programmes, options=options,
                                              model=model)
        fitted = stats.pop("model", None)
        elsewhere = _registered_elsewhere(engine, kode_kab, periode, matched)
        matched["kode_kab_terdaftar"] = pd.Series(kode_kab, index=matched.index).where(
            matched["status_padanan"] == "ditemukan")
        if not elsewhere.empty:
            hit = matched.index.isin(elsewhere.index)
            matched.loc[hit, ["id_individu", "id_keluarga", "kode_kab_terdaftar"]] = \
                elsewhere[["id_individu", "id_keluarga", "kode_kab"]].loc[matched.index[hit]].values
            matched.loc[hit, "status_padanan"] = "ditemukan"
            matched.loc[hit, "match_method"] = "nik_provinsi"
            matched.loc[hit, "match_probability"] = 1.0
            matched.loc[hit, "match_reason"] = "NIK sama, terdaftar di kabupaten/kota " + \
                elsewhere["kode_kab"].loc[matched.index[hit]].values
        frame = pd.DataFrame({
            "periode": periode, "kode_kab": kode_kab, "submission_id": rows["submission_id"].astype("int64"),
            "baris": rows["baris"].astype("int64"), "kode_program": rows["kode_program"],
            "nik": rows["nik"], "nama": rows["nama"], "kode_desa": rows["kode_desa"],
            **{c: matched[c] for c in ("kunci_penerima", "status_padanan", "id_individu", "id_keluarga", "kode_kab_terdaftar",
                                       "match_method", "match_probability", "match_reason")},
        })[list(OUTPUT_COLUMNS)]
        counts = frame["status_padanan"].value_counts()
        summary = {"kode_kab": kode_kab, "periode": periode, **stats,
                   **{s: int(counts.get(s, 0)) for s in STATUSES},
                   "metode": {str(k): int(v) for k, v in frame["match_method"].value_counts().items()},
                   "kabupaten_lain": len(elsewhere), "seconds": round(time.perf_counter() - started, 2)}
        with engine.begin() as conn:
            replace_rows(conn, "core.penerima_program", frame, scope, params)
            write_summary(conn, periode, kode_kab, run_id, summary)
            if fitted is not None:
                store_model(conn, fitted, periode=periode, kode_kab=kode_kab, lingkup="penerima", run_id=run_id)
    finally:
        engine.dispose()
    log.info("regency %s %s recipients matched: %s", kode_kab, periode, summary)
    return summary


def _registered_elsewhere(engine, kode_kab: str, periode: str, matched: pd.DataFrame) -> pd.DataFrame:
    """Rows still unmatched whose trusted NIK is one person's in another regency (index = row index)."""
    todo = matched[(matched["status_padanan"] != "ditemukan") & matched["nik_dipercaya"]]
    niks = sorted(set(todo["nik_bersih"].dropna()))
    if not niks:
        return pd.DataFrame(columns=["id_individu", "id_keluarga", "kode_kab"])
    parts = []
    with engine.connect() as conn:
        for start in range(0, len(niks), 5000):
            chunk = niks[start:start + 5000]
            stmt = sa.text("SELECT nik, id_individu, id_keluarga, kode_kab FROM core.individu_terpadu "
                           "WHERE periode = :p AND kode_kab <> :k AND nik IN :niks").bindparams(
                sa.bindparam("niks", expanding=True))
            result = conn.execute(stmt, {"p": periode, "k": kode_kab, "niks": chunk})
            parts.append(pd.DataFrame(result.fetchall(), columns=list(result.keys())))
    found = pd.concat(parts, ignore_index=True)
    found = found[~found["nik"].duplicated(keep=False)].set_index("nik")  # a NIK held twice proves nothing
    hit = todo[todo["nik_bersih"].isin(found.index)]
    return found.loc[hit["nik_bersih"]].set_index(hit.index)


def write_summary(bind, periode: str, kode_kab: str, run_id: str | None, summary: dict,
                  step: str = "padanan_penerima") -> None:
    """Replace the `meta.konvergensi` row of one step (in the caller's transaction when given a connection)."""
    import json

    row = pd.DataFrame([{"periode": periode, "kode_kab": kode_kab, "langkah": step, "run_id": run_id,
                         "dihitung_pada": datetime.now(UTC), "ringkasan": json.dumps(summary, ensure_ascii=False)}])
    where, params = "periode = :p AND kode_kab = :k AND langkah = :s", {"p": periode, "k": kode_kab, "s": step}
    if isinstance(bind, sa.engine.Engine):
        with bind.begin() as conn:
            replace_rows(conn, "meta.konvergensi", row, where, params)
    else:
        replace_rows(bind, "meta.konvergensi", row, where, params)
