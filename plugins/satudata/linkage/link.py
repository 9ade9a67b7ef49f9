"""Link two person lists, one-to-one, and say why for every link.

Order of trust:

1. **Review decisions** (`SAMA` / `BEDA` from the regency's reviewers) override everything below.
2. **Exact NIK**: a well-formed NIK that occurs once in each list links on its own, unless the rest of the
   record contradicts it (name *and* birth date different): then it is a conflict, not a link. A NIK
   shared by two people of one list, or one the caller distrusts (Excel-rounded), never links alone.
3. **Probabilistic** (Fellegi-Sunter, Splink on DuckDB) for everyone left, with the shipped model fitted to
   the two lists in hand (`linkage.fitting`: the comparisons the lists can feed, u, m and the prior from
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

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from satudata.linkage.blocking import affordable_rules
from satudata.linkage.fitting import FitOptions, fit_model, prior_for
from satudata.linkage.lookup import isin
from satudata.linkage.model import BLOCKING_RULES, COMPARISONS, LinkModel, load_model
from satudata.linkage.records import ADDRESS_COLUMNS, LINK_COLUMNS, with_address_weights
from satudata.linkage.session import connect, make_linker, register_lists

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


REGENCY_COMPARISONS_PER_RECORD = 40.0


@dataclass(frozen=True)
class LinkOptions:
    threshold: float = DEFAULT_THRESHOLD
    review_from: float = DEFAULT_REVIEW_FROM
    threads: int = 2
    fit: FitOptions = field(default_factory=FitOptions)
    # A budget of candidate pairs per record of the two lists for the probabilistic pass: blocking rules
    # beyond it are skipped and said (`linkage.blocking`); None runs every rule. Lists of a few thousand never
    # reach it; at NTB's full scale (Lombok Timur, 548 k x 426 k) `substr(nik, 1, 8)` (kecamatan and birth
    # day) alone made 57 pairs per record, half of all, and no link the other rules miss: 89 -> 45 s, the
    # same 335,949 links.
    comparisons_per_record: float | None = REGENCY_COMPARISONS_PER_RECORD

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
                 *, blocking_rules: list[str] | None = None, extra_columns: tuple[str, ...] = (),
                 comparisons_per_record: float | None = None):
        from splink import DuckDBAPI

        columns = [*LINK_COLUMNS, *ADDRESS_COLUMNS, *extra_columns]
        settings = model.splink_settings(prior)
        rules = blocking_rules if blocking_rules is not None else [
            r["blocking_rule"] for r in settings["blocking_rules_to_generate_predictions"]]
        self.con = connect(threads)
        db_api = DuckDBAPI(self.con)
        tables = register_lists(self.con, db_api, {"kiri": left[columns], "kanan": right[columns]})
        rules, self.skipped_rules = affordable_rules(tables, rules, len(left) + len(right), comparisons_per_record)
        settings["blocking_rules_to_generate_predictions"] = [{"blocking_rule": r} for r in rules]
        self.linker = make_linker(tables, settings, logging.WARNING)

    def count_comparisons(self) -> int:
        """Candidate pairs the blocking rules generate (computed once; predict reuses them)."""
        blocked = self.linker.inference.compute_blocked_pairs_for_predict()
        return int(self.con.sql(f"SELECT count(*) FROM {blocked.physical_name}").fetchall()[0][0])

    def predict(self, threshold: float | None) -> pd.DataFrame:
        """Ids, probability, weight and the level of each comparison (`gamma_*`) of the pairs at or above
        `threshold`; the matching columns Splink keeps beside them (address word lists among them) stay in
        DuckDB."""
        predicted = self.linker.inference.predict(threshold_match_probability=threshold)
        columns = [c[0] for c in self.con.sql(f"DESCRIBE {predicted.physical_name}").fetchall()]
        wanted = [c for c in columns if c in _PREDICT_COLUMNS or c.startswith("gamma_")]
        select = ", ".join(f'"{c}"' for c in wanted)
        return _oriented(self.con.sql(f"SELECT {select} FROM {predicted.physical_name}").df())

    def close(self) -> None:
        self.con.close()


_PREDICT_COLUMNS = {"match_weight", "match_probability", "source_dataset_l", "unique_id_l", "source_dataset_r",
                    "unique_id_r"}


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


# Exact-NIK pairs are scored this many at a time: each pair is scored on its own, and a linker's memory grows with
# the pairs it holds (Lombok Timur's ~600 k DTSEN pairs at once: +0.8 GB over the build's frames).
SCORE_CHUNK_PAIRS = 150_000


def _score_pairs(left: pd.DataFrame, right: pd.DataFrame, pairs: pd.DataFrame, model: LinkModel,
                 threads: int) -> pd.DataFrame:
    """Model probability and levels of given pairs (the exact-NIK ones), with a blocking rule that
    yields exactly them: each side carries the pair's number."""
    if pairs.empty:
        return pd.DataFrame()
    left, right = left.set_index("unique_id"), right.set_index("unique_id")
    scored = []
    for start in range(0, len(pairs), SCORE_CHUNK_PAIRS):
        chunk = pairs.iloc[start:start + SCORE_CHUNK_PAIRS]
        number = np.arange(len(chunk), dtype=np.int64)
        l_side = left.loc[chunk["unique_id_l"]].reset_index()
        r_side = right.loc[chunk["unique_id_r"]].reset_index()
        l_side["pasangan"], r_side["pasangan"] = number, number
        scorer = _Scorer(l_side, r_side, model, threads, 0.5, blocking_rules=['l."pasangan" = r."pasangan"'],
                         extra_columns=("pasangan",))
        try:
            scored.append(scorer.predict(None))
        finally:
            scorer.close()
        del l_side, r_side
    return pd.concat(scored, ignore_index=True) if len(scored) > 1 else scored[0]


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
        # Gamma counts levels from the least specific (0) up; -1 (or missing) is the null level: no label.
        table = np.array([None, *reversed(labels[name])], dtype=object)  # index gamma + 1
        g = pd.to_numeric(gamma, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        index = np.where(np.isnan(g) | (g < 0), 0, np.nan_to_num(g, nan=-1.0) + 1).astype(np.int64)
        out[name] = table[np.clip(index, 0, len(table) - 1)]
    return out


_DESCRIPTIONS = {"nik": "NIK", "nama": "nama", "tanggal_lahir": "tanggal lahir", "jenis_kelamin": "jenis kelamin",
                 "wilayah": "desa", "no_kk": "KK", "tempat_lahir": "tempat lahir", "alamat": "alamat",
                 "rt_rw": "RT/RW", "nomor_rumah": "nomor rumah", "kode_pos": "kode pos", "nama_ibu": "nama ibu kandung"}


def _reason(levels: pd.DataFrame, prefix: str = "") -> pd.Series:
    """The labels each pair reached, joined ("nama sama; tanggal lahir sama; ..."), missing values named where
    they matter. Pairs reach few distinct combinations of levels: each is written once and joined back."""
    if levels.empty or not len(levels.columns):
        return pd.Series(prefix, index=levels.index, dtype=object)
    key = np.zeros(len(levels), dtype=np.int64)
    for column in levels.columns:
        codes, values = pd.factorize(levels[column], use_na_sentinel=True)
        key = key * (len(values) + 1) + (codes + 1)  # mixed radix: at most ~11 levels a comparison
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    texts = []
    for row in first:
        parts = []
        for column in levels.columns:
            value = levels[column].iat[row]
            if not isinstance(value, str) and column in _SAY_WHEN_EMPTY:
                value = f"{_DESCRIPTIONS.get(column, column)} kosong"
            if isinstance(value, str):
                parts.append(value)
        texts.append(prefix + "; ".join(parts))
    return pd.Series(np.array(texts, dtype=object)[inverse.reshape(-1)], index=levels.index, dtype=object)


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
        remaining = remaining[~isin(remaining[left], mutual[left]) & ~isin(remaining[right], mutual[right])]
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
    shared = np.zeros(len(side), dtype=bool)
    if "no_kk" in side:
        kk = side["no_kk"]
        shared |= (kk.notna() & kk.duplicated(keep=False)).to_numpy()
    if "alamat_kata" in side:
        words = _joined_words(side["alamat_kata"])  # the list as one text: comparable, hashable
        parts = [words, *(_as_text(side[c]).fill_null("") for c in ("rt_rw", "nomor_rumah") if c in side)]
        address = pd.Series(pc.binary_join_element_wise(*parts, "|"), dtype=pd.ArrowDtype(pa.string()))
        shared |= words.is_valid().to_numpy(zero_copy_only=False) & address.duplicated(keep=False).to_numpy()
    return float(shared.mean())


def _joined_words(words: pd.Series) -> pa.Array:
    """A column of word lists as one text per record (null where there is no list), in Arrow."""
    array = pa.array(words.array) if isinstance(words.dtype, pd.ArrowDtype) else pa.array(
        [None if v is None or (isinstance(v, float) and math.isnan(v)) else list(v) for v in words],
        type=pa.list_(pa.string()))
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return pc.binary_join(array, "\x1f")  # a separator no address word contains


def _as_text(values: pd.Series) -> pa.Array:
    return pa.array(values.astype("string").to_numpy(dtype=object, na_value=None), type=pa.string())


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
    # What the linker reads, nothing more: the callers' frames carry their raw columns too (41 of DTKS), and
    # every selection below (the NIK pairs' sides, the rest for the probabilistic pass) would copy them.
    wanted = {*LINK_COLUMNS, *(only_pairs_where[:1] if only_pairs_where else ())}
    left, right = (side[[c for c in side.columns if c in wanted]] for side in (left, right))
    left, right = with_address_weights(left, right)
    model = fit_model(left, right, shipped, options=options.fit, threads=options.threads)
    stats["model"] = {"versi": model.version, "perkiraan_pasangan_benar": model.fit.get("perkiraan_pasangan_benar"),
                      "perbandingan_tidak_ada": model.fit.get("perbandingan_tidak_ada"),
                      "kembali_ke_model_dasar": len(model.fit.get("kembali_ke_model_dasar", [])),
                      "detik": model.fit.get("seconds")}
    forced, vetoed = _review_decisions(decisions, left, right, stats)

    # Pass 1: exact NIK.
    exact = exact_nik_candidates(left, right)
    exact = exact[~isin(exact["unique_id_l"], forced["unique_id_l"]) & ~isin(exact["unique_id_r"], forced["unique_id_r"])]
    if pair_filter is not None and not exact.empty:
        exact = exact[pair_filter(exact).to_numpy()]
    exact = exact[_not_vetoed(exact, vetoed)]
    scored = _score_pairs(left, right, exact, model, options.threads)
    nik_links, conflicts = _judge_nik_pairs(exact, scored, model)
    stats["nik_candidates"], stats["nik_links"] = len(exact), len(nik_links)
    stats["seconds_nik"] = round(time.perf_counter() - started, 2)

    # Pass 2: probabilistic on the rest.
    rest_l = left[~isin(left["unique_id"], forced["unique_id_l"]) & ~isin(left["unique_id"], nik_links["unique_id_l"])]
    rest_r = right[~isin(right["unique_id"], forced["unique_id_r"]) & ~isin(right["unique_id"], nik_links["unique_id_r"])]
    stats["probabilistic_left"], stats["probabilistic_right"] = len(rest_l), len(rest_r)
    chosen = _empty_pairs()
    duplicates = pd.DataFrame(columns=["side", "unique_id", "same_as", "via", "match_probability"])
    is_link = pd.Series(False, index=chosen.index)
    if len(rest_l) and len(rest_r):
        t0 = time.perf_counter()
        prior = prior_for(model, len(rest_l), len(rest_r), len(nik_links) + len(forced), RESIDUAL_MATCH_SHARE)
        stats["prior"] = prior
        predicted = _probabilistic_candidates(rest_l, rest_r, model, prior, options, only_pairs_where, stats)
        if pair_filter is not None and not predicted.empty:
            predicted = predicted[pair_filter(predicted).to_numpy()]
        predicted = predicted[_not_vetoed(predicted, vetoed)]
        if not predicted.empty:
            chosen, is_link, duplicates = _choose(predicted, model, options.threshold, (left, right))
        stats["seconds_probabilistic"] = round(time.perf_counter() - t0, 2)

    links = pd.concat([forced, nik_links, chosen[is_link]], ignore_index=True)[list(PAIR_COLUMNS)]
    review = chosen[~is_link].assign(match_method="review_queue")[list(PAIR_COLUMNS)].reset_index(drop=True)
    stats["probabilistic_links"], stats["review_queue"] = int(is_link.sum()), len(review)
    stats["links"], stats["seconds"] = len(links), round(time.perf_counter() - started, 2)
    log.info("linked %d of %d/%d records (%s)", len(links), len(left), len(right), stats)
    return LinkResult(links=links, review=review, nik_conflicts=conflicts, possible_duplicates=duplicates,
                      stats=stats, model=model)


def _review_decisions(decisions: pd.DataFrame | None, left: pd.DataFrame, right: pd.DataFrame,
                      stats: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reviewers' SAMA answers as links (`forced`) and their BEDA answers as pairs never to link (`vetoed`)."""
    forced = _empty_pairs()
    vetoed = pd.DataFrame(columns=["unique_id_l", "unique_id_r"])
    if decisions is None or decisions.empty:
        return forced, vetoed
    usable = decisions[isin(decisions["unique_id_l"], left["unique_id"]) & isin(decisions["unique_id_r"], right["unique_id"])]
    vetoed = usable.loc[usable["keputusan"] == "beda", ["unique_id_l", "unique_id_r"]].drop_duplicates()
    same = usable[usable["keputusan"] == "sama"].drop_duplicates("unique_id_l").drop_duplicates("unique_id_r")
    if not same.empty:
        note = same["keterangan"] if "keterangan" in same else pd.Series("", index=same.index)
        forced = pd.DataFrame({
            "unique_id_l": same["unique_id_l"], "unique_id_r": same["unique_id_r"],
            "match_probability": 1.0, "match_weight": math.nan, "match_method": "review",
            "match_reason": ("diputuskan SAMA oleh pemeriksa " + note.fillna("").astype(str)).str.strip(),
        })
    stats["review_sama"], stats["review_beda"] = len(forced), len(vetoed)
    return forced, vetoed


def _not_vetoed(pairs: pd.DataFrame, vetoed: pd.DataFrame) -> np.ndarray:
    """Which of `pairs` no reviewer answered BEDA for."""
    if vetoed.empty or pairs.empty:
        return np.ones(len(pairs), dtype=bool)
    columns = ["unique_id_l", "unique_id_r"]
    return ~pd.MultiIndex.from_frame(pairs[columns]).isin(pd.MultiIndex.from_frame(vetoed[columns]))


def _probabilistic_candidates(rest_l: pd.DataFrame, rest_r: pd.DataFrame, model: LinkModel, prior: float,
                              options: LinkOptions, only_pairs_where: tuple[str, str] | None,
                              stats: dict) -> pd.DataFrame:
    """The blocked pairs of what is left, scored, at or above the review bound."""
    rules, extra = None, ()
    if only_pairs_where is not None:
        column, condition = only_pairs_where
        rules = [f"({rule}) AND ({condition})" for rule in BLOCKING_RULES]
        extra = (column,)
    scorer = _Scorer(rest_l, rest_r, model, options.threads, prior, blocking_rules=rules, extra_columns=extra,
                     comparisons_per_record=options.comparisons_per_record)
    try:
        if scorer.skipped_rules:
            stats["aturan_blok_dilewati"] = scorer.skipped_rules
        stats["comparisons"] = scorer.count_comparisons()
        predicted = scorer.predict(options.review_from)
    finally:
        scorer.close()
    stats["comparisons_above_review"] = len(predicted)
    return predicted


def _choose(predicted: pd.DataFrame, model: LinkModel, threshold: float,
            lists: tuple[pd.DataFrame, pd.DataFrame]) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """One-to-one pairs with their reasons, which of them link, and the possible duplicates they reveal."""
    best = one_to_one(predicted)
    duplicates = _possible_duplicates(predicted, best, threshold)
    levels = _levels(best, model)
    chosen = pd.DataFrame({
        "unique_id_l": best["unique_id_l"], "unique_id_r": best["unique_id_r"],
        "match_probability": best["match_probability"].astype(float),
        "match_weight": best["match_weight"].astype(float), "match_method": "probabilistic",
        "match_reason": _reason(levels).values,
    })
    is_link = chosen["match_probability"] >= threshold
    if "nama" in levels and max(household_share(side) for side in lists) >= HOUSEHOLD_SHARE:
        is_link &= ~levels["nama"].isin(_NO_AUTO_LINK_NAME).to_numpy()
    return chosen, is_link, duplicates


def _possible_duplicates(predicted: pd.DataFrame, best: pd.DataFrame, threshold: float) -> pd.DataFrame:
    strong = predicted[predicted["match_probability"] >= threshold]
    linked = best[best["match_probability"] >= threshold]
    partner_of_r = pd.Series(linked["unique_id_l"].to_numpy(), index=linked["unique_id_r"].to_numpy())
    partner_of_l = pd.Series(linked["unique_id_r"].to_numpy(), index=linked["unique_id_l"].to_numpy())
    out = []
    left_free = strong[~isin(strong["unique_id_l"], partner_of_l.index) & isin(strong["unique_id_r"], partner_of_r.index)]
    out.append(pd.DataFrame({"side": "l", "unique_id": left_free["unique_id_l"],
                             "same_as": left_free["unique_id_r"].map(partner_of_r), "via": left_free["unique_id_r"],
                             "match_probability": left_free["match_probability"]}))
    right_free = strong[~isin(strong["unique_id_r"], partner_of_r.index) & isin(strong["unique_id_l"], partner_of_l.index)]
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
