"""Recipient lists matched to the harmonised people and families of their regency.

The same linker as harmonisation (`linkage.link.link_people`: exact trusted NIK, then the Splink
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

The model is the one harmonisation fitted to the regency's registries for the period (`meta.model_padanan`,
scope `kabupaten`): the same people, so the same m and u. Recipients are fitted again only when that fit is
missing or was made from another shipped model, and the log says so (one INFO line).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa

from satudata.config import Settings
from satudata.linkage.link import LinkOptions, link_people
from satudata.linkage.lookup import isin
from satudata.linkage.model import LinkModel, load_model, with_parameters
from satudata.linkage.records import prepare_people
from satudata.warehouse.engine import make_engine, read_frame, replace_rows
from satudata.warehouse.model_store import store_model, stored_models
from satudata.warehouse.workers import reading_engine

log = logging.getLogger(__name__)

STATUSES = ("ditemukan", "perlu_review", "tidak_ditemukan")
# What matching a regency's lists holds at its peak per list row + harmonised person (`warehouse.workers`
# schedules by it): Lombok Timur at NTB's full scale, 1.17 M of them, peaked at 2.51 GB in one process.
RECIPIENT_ROW_BYTES = 2_300
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


def registry_fit(conn, kode_kab: str, periode: str, shipped: LinkModel) -> tuple[LinkModel | None, str]:
    """The model harmonisation fitted to this regency's registries for the period, on the structure of the
    shipped model (a comparison the registries could not feed keeps the shipped parameters), or None and why
    it cannot be reused."""
    fitted = [m for m in stored_models(conn, periode, kode_kab) if (m.trained_on or {}).get("lingkup") == "kabupaten"]
    if not fitted:
        return None, "no fit of the registries stored for this regency and period"
    made_from = (fitted[0].fit or {}).get("model_dasar")
    if made_from != shipped.version:
        return None, f"the registries were fitted from model {made_from}, the shipped model is {shipped.version}"
    if not (fitted[0].fit or {}).get("dipasang"):
        return None, "the registries' run kept the shipped parameters (nothing fitted to reuse)"
    settings = with_parameters(shipped.settings, fitted[0].settings)
    settings["probability_two_random_records_match"] = shipped.settings["probability_two_random_records_match"]
    reused = LinkModel(fitted[0].version, fitted[0].trained_at, fitted[0].trained_on, settings,
                       {"dipakai_ulang": {"periode": periode, "kode_kab": kode_kab, "lingkup": "kabupaten"}})
    return reused, ""


def match_recipient_rows(rows: pd.DataFrame, people: pd.DataFrame, *, family_programmes: set[str],
                         options: LinkOptions | None = None, model: LinkModel | None = None,
                         reused: LinkModel | None = None) -> tuple[pd.DataFrame, dict]:
    """Status and harmonised person/family of every recipient row (aligned with `rows`).

    `rows`: staging.intervensi columns; `people`: id_individu, id_keluarga, nik, nama, jenis_kelamin,
    tanggal_lahir, kode_desa, no_kk. Returns columns status_padanan, id_individu, id_keluarga,
    match_method, match_probability, match_reason, plus the counts.
    `reused`: a model already fitted to these people (`registry_fit`), used as it is in both rounds; without
    it, the model is fitted to the distinct recipients in the first round and that fit serves the second.
    """
    model = model or load_model()
    options = options or LinkOptions()
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
    found, review = _link_rounds(left, people, options, model, reused, stats)

    # Spread the representatives' answers to every row with the same identity.
    rep = key.map(pd.Series(left["unique_id"].to_numpy(), index=key[first].to_numpy()))
    for answers, status in ((found, "ditemukan"), (review, "perlu_review")):
        table = answers.set_index("unique_id_l")
        hit = isin(rep, table.index)
        if hit.any():
            picked = table.reindex(rep[hit].to_numpy())
            out.loc[hit, "status_padanan"] = status
            out.loc[hit, "id_individu"] = picked["unique_id_r"].to_numpy()
            out.loc[hit, "match_method"] = picked["match_method"].to_numpy()
            out.loc[hit, "match_probability"] = picked["match_probability"].astype(float).to_numpy()
            out.loc[hit, "match_reason"] = picked["match_reason"].to_numpy()
    family_of = people.drop_duplicates("id_individu", keep="last").set_index("id_individu")["id_keluarga"]
    out.loc[out["status_padanan"] == "ditemukan", "id_keluarga"] = out["id_individu"].map(family_of)

    # Family programmes: a row whose person is unknown may still name its family by KK.
    kk_people = people.dropna(subset=["no_kk"]).drop_duplicates(["no_kk", "id_keluarga"])
    unique_kk = kk_people[~kk_people["no_kk"].duplicated(keep=False)].set_index("no_kk")["id_keluarga"]
    by_kk = (out["status_padanan"] != "ditemukan") & rows["kode_program"].isin(family_programmes) \
        & isin(left_all["no_kk"], unique_kk.index)
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


_ANSWER_COLUMNS = ["unique_id_l", "unique_id_r", "match_method", "match_probability", "match_reason"]


def _link_rounds(left: pd.DataFrame, people: pd.DataFrame, options: LinkOptions, model: LinkModel,
                 reused: LinkModel | None, stats: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The distinct recipients linked to the people in two rounds: the links of both (`found`) and the
    uncertain candidates of the last round (`review`), one row per recipient (`_ANSWER_COLUMNS`)."""
    found = review = pd.DataFrame(columns=_ANSWER_COLUMNS)
    if people.empty:
        return found, review
    rounds = []
    right = prepare_people(people.rename(columns={"id_individu": "id"}))
    todo = left
    fixed = replace(options, fit=replace(options.fit, fit=False))  # the parameters as given, nothing fitted
    current, current_options = (reused, fixed) if reused is not None else (model, options)
    for round_no in (1, 2):
        result = link_people(todo, right, options=current_options, model=current)
        if round_no == 1:
            stats["model"] = replace(result.model, version=current.version,
                                     fit={**(result.model.fit or {}), **(current.fit or {})}
                                     ) if reused is not None else result.model  # kept with the run
            # The second round links what is left of the same lists: the first round's model serves it.
            current = replace(result.model, settings=with_parameters(current.settings, result.model.settings))
            current_options = fixed
        rounds.append(result.links[_ANSWER_COLUMNS])
        found = pd.concat(rounds, ignore_index=True)
        stats[f"putaran_{round_no}"] = len(result.links)
        todo = todo[~isin(todo["unique_id"], found["unique_id_l"])]
        if round_no == 2 or result.links.empty or todo.empty:
            pending = result.review[~isin(result.review["unique_id_l"], found["unique_id_l"])]
            review = pending.assign(match_method="review_queue")[_ANSWER_COLUMNS]
            break
    return found, review


@dataclass
class Matched:
    """One regency's matched recipient rows, computed and not yet written (`frame` None: no harmonised
    registry yet, nothing matched)."""

    kode_kab: str
    periode: str
    run_id: str | None
    frame: pd.DataFrame | None
    summary: dict
    fitted: LinkModel | None = None


def compute_recipients(settings: Settings, kode_kab: str, periode: str, run_id: str | None = None,
                       options: LinkOptions | None = None, model: LinkModel | None = None) -> Matched:
    """Match one regency's recipient lists of a period; reads the warehouse (the harmonised people of this
    and, for trusted NIKs, the other regencies), writes nothing."""
    from satudata.konvergensi.rules import load_rules

    started = time.perf_counter()
    rules = load_rules(periode)
    family_programmes = {p.kode_program for p in rules.programmes if p.unit == "keluarga"}
    params = {"p": periode, "k": kode_kab}
    shipped = model or load_model()
    engine = reading_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            rows = read_frame(conn, _RECIPIENTS_SQL, params)
            ready = harmonised(conn, kode_kab, periode)
            people = read_frame(conn, _PEOPLE_SQL, params) if ready else None
            reused, why = registry_fit(conn, kode_kab, periode, shipped) if ready else (None, "")
    finally:
        engine.dispose()  # a DuckDB file is let go of before the long computation
    if not ready:
        summary = {"kode_kab": kode_kab, "periode": periode, "baris": len(rows), "status": "menunggu_harmonisasi"}
        return Matched(kode_kab, periode, run_id, None, summary)
    if reused is None:
        log.info("regency %s %s: recipients' model fitted anew: %s", kode_kab, periode, why)
    matched, stats = match_recipient_rows(rows, people, family_programmes=family_programmes, options=options,
                                          model=shipped, reused=reused)
    fitted = stats.pop("model", None)
    engine = reading_engine(settings.warehouse_url)
    try:
        elsewhere = _registered_elsewhere(engine, kode_kab, periode, matched)
    finally:
        engine.dispose()
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
    return Matched(kode_kab, periode, run_id, frame, summary, fitted)


def write_recipients(settings: Settings, matched: Matched) -> dict:
    """Replace the regency's `core.penerima_program` rows and its summary by `matched`, in one transaction."""
    kode_kab, periode, summary = matched.kode_kab, matched.periode, matched.summary
    engine = make_engine(settings.warehouse_url)
    try:
        if matched.frame is None:
            # Without the regency's harmonised registry every recipient would look "not found": wait instead.
            log.warning("regency %s %s: %d recipient rows but no harmonised DTKS/P3KE yet; nothing matched",
                        kode_kab, periode, summary["baris"])
            write_summary(engine, periode, kode_kab, matched.run_id, summary)
            return summary
        with engine.begin() as conn:
            replace_rows(conn, "core.penerima_program", matched.frame, "periode = :p AND kode_kab = :k",
                         {"p": periode, "k": kode_kab})
            write_summary(conn, periode, kode_kab, matched.run_id, summary)
            if matched.fitted is not None:
                store_model(conn, matched.fitted, periode=periode, kode_kab=kode_kab, lingkup="penerima",
                            run_id=matched.run_id)
    finally:
        engine.dispose()
    log.info("regency %s %s recipients matched: %s", kode_kab, periode, summary)
    return summary


def match_recipients(settings: Settings, kode_kab: str, periode: str, *, run_id: str | None = None,
                     options: LinkOptions | None = None, model: LinkModel | None = None) -> dict:
    """Match one regency's recipient lists of a period and replace its `core.penerima_program` rows."""
    return write_recipients(settings, compute_recipients(settings, kode_kab, periode, run_id, options, model))


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
    hit = todo[isin(todo["nik_bersih"], found.index)]
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
