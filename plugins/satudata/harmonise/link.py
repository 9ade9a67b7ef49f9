"""Link two person lists, one-to-one, and say why for every link.

Order of trust:

1. **Review decisions** (`SAMA` / `BEDA` from the regency's reviewers) override everything below.
2. **Exact NIK**: a well-formed NIK that occurs once in each list links on its own, unless the rest of the
   record contradicts it (name *and* birth date different): then it is a conflict, not a link. A NIK
   shared by two people of one list, or one the caller distrusts (Excel-rounded), never links alone.
3. **Probabilistic** (Fellegi-Sunter, Splink on DuckDB) for everyone left, with the shipped model fitted to
   the two lists in hand (`harmonise.fitting`: the comparisons the lists can feed, u, m and the prior from
   their data, the shipped model as prior and fallback). Candidate pairs are resolved one-to-one by mutual
   best probability; the chosen pairs at or above `threshold` are links, those in `[review_from, threshold)`
   go to the review queue.

Both lists are prepared with `records.prepare_people`. The result names ids as the caller gave them
(`unique_id` of each side).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from satudata.harmonise.fitting import FitOptions, fit_model, prior_for
from satudata.harmonise.model import BLOCKING_RULES, COMPARISONS, LinkModel, load_model
from satudata.harmonise.records import ADDRESS_COLUMNS, LINK_COLUMNS, with_address_weights

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.9
DEFAULT_REVIEW_FROM = 0.5

# Prior of the probabilistic pass: the share of the smaller remaining list assumed to have a partner in
# the other. Measured on the generated province it is ~0.2-0.3 within a regency; 0.5 leans towards
# linking by about one bit, which the strict threshold and the name rule below keep in check.
RESIDUAL_MATCH_SHARE = 0.5

PAIR_COLUMNS = ("unique_id_l", "unique_id_r", "match_probability", "match_weight", "match_method", "match_reason")

# Levels (by label) that count as disagreement when a NIK agrees: the conflicts issue 5 asks for.
_NAME_DIFFERS = {"nama agak mirip", "nama beda"}
_DATE_DIFFERS = {"tahun lahir sama", "tahun lahir selisih 1-2 tahun", "tanggal lahir beda"}
# Where a list groups people in households (a KK or an address shared by several records), a probabilistic
# pair whose names share little or nothing is never linked by the model alone, however much else agrees:
# there it is most often two members of one family (twins share birth date, KK and address). At most it goes
# to a reviewer. Lists of one record per household (most programme lists, FEBRL) leave it to the model.
_NO_AUTO_LINK_NAME = {"nama beda", "nama agak mirip"}
HOUSEHOLD_SHARE = 0.2  # share of a list's records sharing a KK or an address with another: households
# Missing values named in the reason; other empty fields are left out (a list may simply not have them).
_SAY_WHEN_EMPTY = {"nik", "nama", "tanggal_lahir"}


@dataclass(frozen=True)
class LinkOptions:
    threshold: float = DEFAULT_THRESHOLD
    review_from: float = DEFAULT_REVIEW_FROM
    threads: int = 2
    fit: FitOptions = field(default_factory=FitOptions)

    def __post_init__(self):
        if not 0 < self.threshold <= 1:
            raise ValueError(f"threshold must be in (0, 1], not {self.threshold}")
        if not 0 < self.review_from <= self.threshold:
            raise ValueError(f"review_from must be in (0, threshold], not {self.review_from}")


@dataclass
class LinkResult:
    links: pd.DataFrame  # PAIR_COLUMNS, one-to-one
    review: pd.DataFrame  # PAIR_COLUMNS (match_method 'review_queue'), disjoint from links
    nik_conflicts: pd.DataFrame  # unique_id_l, unique_id_r, nik, jenis_konflik, keterangan
    # Records that match, above the threshold, a partner already linked to another record of their own
    # list: probably the same person entered twice. Columns: side ('l'/'r'), unique_id, same_as, via.
    possible_duplicates: pd.DataFrame = field(default_factory=pd.DataFrame)
    stats: dict = field(default_factory=dict)
    model: LinkModel | None = None  # the model this run used: the shipped one fitted to the two lists


def _empty_pairs() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="float64" if c.startswith("match_p") or c == "match_weight"
                                      else "object") for c in PAIR_COLUMNS})


class _Scorer:
    """One Splink linker over the two lists, scoring the pairs its blocking rules generate.

    `blocking_rules` replaces the model's (the exact-NIK pass blocks on a pair number it adds as
    `extra_columns`, so that exactly its pairs are scored).
    """

    def __init__(self, left: pd.DataFrame, right: pd.DataFrame, model: LinkModel, threads: int, prior: float,
                 *, blocking_rules: list[str] | None = None, extra_columns: tuple[str, ...] = ()):
        import duckdb
        from splink import DuckDBAPI, Linker

        columns = [*LINK_COLUMNS, *ADDRESS_COLUMNS, *extra_columns]
        settings = model.splink_settings(prior)
        if blocking_rules is not None:
            settings["blocking_rules_to_generate_predictions"] = [{"blocking_rule": r} for r in blocking_rules]
        self.con = duckdb.connect(":memory:", config={"threads": threads})
        db_api = DuckDBAPI(self.con)
        tables = [db_api.register(left[columns].reset_index(drop=True), table_name="kiri"),
                  db_api.register(right[columns].reset_index(drop=True), table_name="kanan")]
        self.linker = Linker(tables, settings, log_level=logging.WARNING)

    def count_comparisons(self) -> int:
        """Candidate pairs the blocking rules generate (computed once; predict reuses them)."""
        blocked = self.linker.inference.compute_blocked_pairs_for_predict()
        return int(self.con.sql(f"SELECT count(*) FROM {blocked.physical_name}").fetchall()[0][0])

    def predict(self, threshold: float | None) -> pd.DataFrame:
        return _oriented(self.linker.inference.predict(threshold_match_probability=threshold).as_pandas_dataframe())

    def close(self) -> None:
        self.con.close()


def _oriented(predicted: pd.DataFrame) -> pd.DataFrame:
    """Splink orders each pair by source dataset name, not by argument order: put `kiri` on the left."""
    if predicted.empty or "source_dataset_l" not in predicted:
        return predicted
    flip = (predicted["source_dataset_l"] == "kanan").to_numpy()
    if not flip.any():
        return predicted
    predicted = predicted.copy()
    for column in [c for c in predicted.columns if c.endswith("_l")]:
        other = column[:-2] + "_r"
        if other in predicted:
            left, right = predicted[column].copy(), predicted[other].copy()
            predicted.loc[flip, column] = right[flip]
            predicted.loc[flip, other] = left[flip]
    return predicted


def _score_pairs(left: pd.DataFrame, right: pd.DataFrame, pairs: pd.DataFrame, model: LinkModel,
                 threads: int) -> pd.DataFrame:
    """Model probability and levels of given pairs (the exact-NIK ones), with a blocking rule that
    yields exactly them: each side carries the pair's number."""
    if pairs.empty:
        return pd.DataFrame()
    number = pd.Series(range(len(pairs)), dtype="int64")
    l_side = left.set_index("unique_id").loc[pairs["unique_id_l"]].reset_index()
    r_side = right.set_index("unique_id").loc[pairs["unique_id_r"]].reset_index()
    l_side["pasangan"], r_side["pasangan"] = number.values, number.values
    scorer = _Scorer(l_side, r_side, model, threads, 0.5, blocking_rules=['l."pasangan" = r."pasangan"'],
                     extra_columns=("pasangan",))
    try:
        return scorer.predict(None)
    finally:
        scorer.close()


def _levels(scored: pd.DataFrame, model: LinkModel) -> pd.DataFrame:
    """The label of the level each pair reached, per comparison (None where a value was missing). A NIK, name
    or birth date the lists lack altogether is a column of None too: the reason says it was empty."""
    out = pd.DataFrame(index=scored.index)
    labels = model.labels()
    absent = set((model.fit or {}).get("perbandingan_tidak_ada") or ())
    for name in [c["output_column_name"] for c in COMPARISONS]:
        if name in absent and name in _SAY_WHEN_EMPTY:
            out[name] = None
            continue
        gamma = scored.get(f"gamma_{name}")
        if name not in labels or gamma is None:
            continue
        level_labels = labels[name]
        top = len(level_labels) - 1
        out[name] = gamma.map(lambda g, lab=level_labels, t=top: None if g is None or pd.isna(g) or g < 0
                              else lab[t - int(g)])
    return out


def _reason(levels: pd.DataFrame, prefix: str = "") -> pd.Series:
    descriptions = {"nik": "NIK", "nama": "nama", "tanggal_lahir": "tanggal lahir", "jenis_kelamin": "jenis kelamin",
                    "wilayah": "desa", "no_kk": "KK", "tempat_lahir": "tempat lahir", "alamat": "alamat",
                    "rt_rw": "RT/RW", "nomor_rumah": "nomor rumah", "kode_pos": "kode pos",
                    "nama_ibu": "nama ibu kandung"}
    parts = [levels[c].fillna(f"{descriptions.get(c, c)} kosong") if c in _SAY_WHEN_EMPTY else levels[c]
             for c in levels.columns]
    if not parts:
        return pd.Series(prefix, index=levels.index)
    text = pd.Series([prefix + "; ".join(v for v in values if isinstance(v, str))
                      for values in zip(*parts, strict=True)], index=levels.index, dtype=object)
    return text


def mutual_best(candidates: pd.DataFrame, left: str, right: str) -> pd.DataFrame:
    """Keep pairs that are each other's best, round after round, until nothing more can be kept.

    `candidates` must already be sorted best first (with ties broken on the ids, so that the result
    is the same on every run); `left`/`right` name the id columns. Each id is kept at most once.
    """
    kept = []
    remaining = candidates
    while not remaining.empty:
        best_l = remaining.drop_duplicates(left)
        best_r = remaining.drop_duplicates(right)
        mutual = best_l.merge(best_r[[left, right]], on=[left, right])
        kept.append(mutual)
        remaining = remaining[~remaining[left].isin(mutual[left]) & ~remaining[right].isin(mutual[right])]
    return pd.concat(kept, ignore_index=True) if kept else candidates


def one_to_one(candidates: pd.DataFrame) -> pd.DataFrame:
    """Person pairs one-to-one by mutual best probability."""
    ordered = candidates.sort_values(["match_probability", "unique_id_l", "unique_id_r"],
                                     ascending=[False, True, True], kind="mergesort")
    return mutual_best(ordered, "unique_id_l", "unique_id_r")


def household_share(side: pd.DataFrame) -> float:
    """Share of a list's records that share their KK, or their full address, with another record of the list."""
    if side.empty:
        return 0.0
    shared = pd.Series(False, index=side.index)
    if "no_kk" in side:
        kk = side["no_kk"]
        shared |= kk.notna() & kk.duplicated(keep=False)
    if "alamat_kata" in side:
        words = side["alamat_kata"].astype("string")  # the list as text: comparable, hashable
        address = words.str.cat([side[c].astype("string").fillna("") for c in ("rt_rw", "nomor_rumah")
                                 if c in side], sep="|")
        shared |= words.notna() & address.duplicated(keep=False)
    return float(shared.mean())


def exact_nik_candidates(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """Pairs whose trusted NIK occurs exactly once among the trusted NIKs of each list."""
    def unique_trusted(side: pd.DataFrame) -> pd.DataFrame:
        trusted = side.loc[side["nik_dipercaya"] & side["nik"].notna(), ["unique_id", "nik"]]
        counts = side["nik"].value_counts()  # any occurrence (trusted or not) makes a NIK ambiguous
        return trusted[trusted["nik"].map(counts).eq(1)]

    return unique_trusted(left).merge(unique_trusted(right), on="nik", suffixes=("_l", "_r"))


def link_people(left: pd.DataFrame, right: pd.DataFrame, *, options: LinkOptions | None = None,
                model: LinkModel | None = None, decisions: pd.DataFrame | None = None,
                pair_filter: Callable[[pd.DataFrame], pd.Series] | None = None,
                only_pairs_where: tuple[str, str] | None = None) -> LinkResult:
    """Link prepared lists `left` and `right` (see the module docstring).

    `decisions`: reviewers' answers, columns `unique_id_l, unique_id_r, keputusan` ('sama'/'beda') and
    optionally `keterangan` (who and when, for the reason text).
    `pair_filter`: given candidate pairs (`unique_id_l`, `unique_id_r`), which may be linked at all
    (the province pass only allows pairs across regencies).
    `only_pairs_where`: `(column, SQL condition on l./r.)` that `pair_filter` also checks, added to every
    blocking rule so that the pairs it would drop are never generated (the province pass: pairs of one
    regency were compared in that regency's pass, and generating them again took 8 GB at NTB 1.0).
    """
    options = options or LinkOptions()
    shipped = model or load_model()
    started = time.perf_counter()
    stats: dict = {"left": len(left), "right": len(right)}
    for name, side in (("left", left), ("right", right)):
        duplicated = side["unique_id"].duplicated()
        if duplicated.any():
            raise ValueError(f"{name} list: ids are not unique, e.g. {side.loc[duplicated, 'unique_id'].iloc[0]!r}")
    left, right = with_address_weights(left, right)
    model = fit_model(left, right, shipped, options=options.fit, threads=options.threads)
    stats["model"] = {"versi": model.version, "perkiraan_pasangan_benar": model.fit.get("perkiraan_pasangan_benar"),
                      "perbandingan_tidak_ada": model.fit.get("perbandingan_tidak_ada"),
                      "kembali_ke_model_dasar": len(model.fit.get("kembali_ke_model_dasar", [])),
                      "detik": model.fit.get("seconds")}

    known_l, known_r = set(left["unique_id"]), set(right["unique_id"])
    forced = _empty_pairs()
    vetoed: set[tuple[str, str]] = set()
    if decisions is not None and not decisions.empty:
        usable = decisions[decisions["unique_id_l"].isin(known_l) & decisions["unique_id_r"].isin(known_r)]
        vetoed = set(zip(usable.loc[usable["keputusan"] == "beda", "unique_id_l"],
                         usable.loc[usable["keputusan"] == "beda", "unique_id_r"], strict=True))
        same = usable[usable["keputusan"] == "sama"].drop_duplicates("unique_id_l").drop_duplicates("unique_id_r")
        if not same.empty:
            note = same["keterangan"] if "keterangan" in same else pd.Series("", index=same.index)
            forced = pd.DataFrame({
                "unique_id_l": same["unique_id_l"], "unique_id_r": same["unique_id_r"],
                "match_probability": 1.0, "match_weight": math.nan, "match_method": "review",
                "match_reason": ("diputuskan SAMA oleh pemeriksa " + note.fillna("").astype(str)).str.strip(),
            })
        stats["review_sama"], stats["review_beda"] = len(forced), len(vetoed)
    used_l, used_r = set(forced["unique_id_l"]), set(forced["unique_id_r"])

    # Pass 1: exact NIK.
    exact = exact_nik_candidates(left, right)
    exact = exact[~exact["unique_id_l"].isin(used_l) & ~exact["unique_id_r"].isin(used_r)]
    if pair_filter is not None and not exact.empty:
        exact = exact[pair_filter(exact).to_numpy()]
    if vetoed:
        exact = exact[[(a, b) not in vetoed for a, b in zip(exact["unique_id_l"], exact["unique_id_r"], strict=True)]]
    scored = _score_pairs(left, right, exact, model, options.threads)
    nik_links, conflicts = _judge_nik_pairs(exact, scored, model)
    stats["nik_candidates"], stats["nik_links"] = len(exact), len(nik_links)
    used_l |= set(nik_links["unique_id_l"])
    used_r |= set(nik_links["unique_id_r"])
    stats["seconds_nik"] = round(time.perf_counter() - started, 2)

    # Pass 2: probabilistic on the rest.
    rest_l = left[~left["unique_id"].isin(used_l)]
    rest_r = right[~right["unique_id"].isin(used_r)]
    stats["probabilistic_left"], stats["probabilistic_right"] = len(rest_l), len(rest_r)
    chosen = _empty_pairs()
    chosen_name_differs = None
    duplicates = pd.DataFrame(columns=["side", "unique_id", "same_as", "via", "match_probability"])
    if len(rest_l) and len(rest_r):
        t0 = time.perf_counter()
        prior = prior_for(model, len(rest_l), len(rest_r), len(nik_links) + len(forced), RESIDUAL_MATCH_SHARE)
        stats["prior"] = prior
        rules, extra = None, ()
        if only_pairs_where is not None:
            column, condition = only_pairs_where
            rules = [f"({rule}) AND ({condition})" for rule in BLOCKING_RULES]
            extra = (column,)
        scorer = _Scorer(rest_l, rest_r, model, options.threads, prior, blocking_rules=rules, extra_columns=extra)
        try:
            stats["comparisons"] = scorer.count_comparisons()
            predicted = scorer.predict(options.review_from)
        finally:
            scorer.close()
        stats["comparisons_above_review"] = len(predicted)
        if pair_filter is not None and not predicted.empty:
            predicted = predicted[pair_filter(predicted).to_numpy()]
        if vetoed and not predicted.empty:
            keep = [(a, b) not in vetoed
                    for a, b in zip(predicted["unique_id_l"], predicted["unique_id_r"], strict=True)]
            predicted = predicted[keep]
        if not predicted.empty:
            best = one_to_one(predicted)
            duplicates = _possible_duplicates(predicted, best, options.threshold)
            levels = _levels(best, model)
            if "nama" in levels and max(household_share(left), household_share(right)) >= HOUSEHOLD_SHARE:
                chosen_name_differs = levels["nama"].isin(_NO_AUTO_LINK_NAME).to_numpy()
            chosen = pd.DataFrame({
                "unique_id_l": best["unique_id_l"], "unique_id_r": best["unique_id_r"],
                "match_probability": best["match_probability"].astype(float),
                "match_weight": best["match_weight"].astype(float), "match_method": "probabilistic",
                "match_reason": _reason(levels).values,
            })
        stats["seconds_probabilistic"] = round(time.perf_counter() - t0, 2)

    is_link = chosen["match_probability"] >= options.threshold
    if chosen_name_differs is not None:
        is_link &= ~chosen_name_differs
    links = pd.concat([forced, nik_links, chosen[is_link]], ignore_index=True)[list(PAIR_COLUMNS)]
    review = chosen[~is_link].assign(match_method="review_queue")[list(PAIR_COLUMNS)].reset_index(drop=True)
    stats["probabilistic_links"], stats["review_queue"] = int(is_link.sum()), len(review)
    stats["links"], stats["seconds"] = len(links), round(time.perf_counter() - started, 2)
    log.info("linked %d of %d/%d records (%s)", len(links), len(left), len(right), stats)
    return LinkResult(links=links, review=review, nik_conflicts=conflicts, possible_duplicates=duplicates,
                      stats=stats, model=model)


def _possible_duplicates(predicted: pd.DataFrame, best: pd.DataFrame, threshold: float) -> pd.DataFrame:
    strong = predicted[predicted["match_probability"] >= threshold]
    linked = best[best["match_probability"] >= threshold]
    partner_of_r = dict(zip(linked["unique_id_r"], linked["unique_id_l"], strict=True))
    partner_of_l = dict(zip(linked["unique_id_l"], linked["unique_id_r"], strict=True))
    out = []
    left_free = strong[~strong["unique_id_l"].isin(partner_of_l) & strong["unique_id_r"].isin(partner_of_r)]
    out.append(pd.DataFrame({"side": "l", "unique_id": left_free["unique_id_l"],
                             "same_as": left_free["unique_id_r"].map(partner_of_r), "via": left_free["unique_id_r"],
                             "match_probability": left_free["match_probability"]}))
    right_free = strong[~strong["unique_id_r"].isin(partner_of_r) & strong["unique_id_l"].isin(partner_of_l)]
    out.append(pd.DataFrame({"side": "r", "unique_id": right_free["unique_id_r"],
                             "same_as": right_free["unique_id_l"].map(partner_of_l), "via": right_free["unique_id_l"],
                             "match_probability": right_free["match_probability"]}))
    found = pd.concat(out, ignore_index=True)
    return found.sort_values("match_probability", ascending=False).drop_duplicates(["side", "unique_id"])


def _judge_nik_pairs(exact: pd.DataFrame, scored: pd.DataFrame, model: LinkModel) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Exact-NIK pairs become links unless name and birth date both disagree; disagreements are conflicts."""
    conflict_cols = ["unique_id_l", "unique_id_r", "nik", "jenis_konflik", "keterangan"]
    if exact.empty or scored.empty:
        return _empty_pairs(), pd.DataFrame(columns=conflict_cols)
    scored = exact.merge(scored, on=["unique_id_l", "unique_id_r"], how="left")
    levels = _levels(scored, model)
    name_differs = levels["nama"].isin(_NAME_DIFFERS)
    date_differs = levels["tanggal_lahir"].isin(_DATE_DIFFERS)
    both = name_differs & date_differs
    links = pd.DataFrame({
        "unique_id_l": scored["unique_id_l"], "unique_id_r": scored["unique_id_r"],
        "match_probability": scored["match_probability"].astype(float),
        "match_weight": scored["match_weight"].astype(float), "match_method": "nik",
        "match_reason": _reason(levels, "NIK sama dan unik di kedua daftar; ").values,
    })[~both.values]
    kinds = pd.Series(None, index=scored.index, dtype="object")
    kinds[name_differs & ~date_differs] = "nik_sama_nama_beda"
    kinds[date_differs & ~name_differs] = "nik_sama_tanggal_lahir_beda"
    kinds[both] = "nik_sama_identitas_beda"
    flagged = kinds.notna()
    explain = {
        "nik_sama_nama_beda": "NIK sama di kedua daftar tetapi namanya berbeda; dipadankan lewat NIK",
        "nik_sama_tanggal_lahir_beda": "NIK sama di kedua daftar tetapi tanggal lahirnya berbeda; dipadankan lewat NIK",
        "nik_sama_identitas_beda": "NIK sama tetapi nama dan tanggal lahir berbeda: kemungkinan NIK salah tulis, "
                                   "tidak dipadankan lewat NIK",
    }
    conflicts = pd.DataFrame({
        "unique_id_l": scored.loc[flagged, "unique_id_l"], "unique_id_r": scored.loc[flagged, "unique_id_r"],
        "nik": scored.loc[flagged, "nik"], "jenis_konflik": kinds[flagged],
        "keterangan": kinds[flagged].map(explain) + " (" + _reason(levels[flagged]) + ")",
    })
    return links.reset_index(drop=True), conflicts.reset_index(drop=True)
