"""The model learns from the lists in hand: every run fits the shipped model to the data it links.

    fitted = fit_model(left, right, shipped)      # a LinkModel with this run's parameters and a report
    fitted.report["fallbacks"]                     # what was kept from the shipped model, and why

What is fitted, on the two prepared lists being linked:

1. **Which comparisons count.** A comparison whose column is empty (or nearly) on either side is dropped: a
   list without NIK, KK, village code or address neither gains nor loses weight for it, and EM does not
   spend iterations on it.
2. **u** (how often non-matches agree at each level) from random pairs of the two lists (Splink's random
   sampling, a fixed seed so a re-run gives the same model).
3. **m** (how often matches agree) by expectation maximisation (Splink) on pairs blocked on the name, on the
   birth date and, where the lists carry one, the rarest address word. Each session leaves the comparisons
   of its own rule out (they are fixed by it), so every comparison is estimated by at least one session.
4. **The prior**: the number of true pairs the lists hold, from each session: (share of matches among its
   pairs) x (its pairs) / (the share of matches that agree on its rule), averaged; the probability that two
   random records match is that number over all pairs.

Guard rails (each fallback is logged and kept in the report):

- lists smaller than `FitOptions.min_records` on either side: the shipped parameters, not fitted;
- a session whose pairs hold fewer than `min_expected_matches` expected matches, whose EM did not converge,
  whose share of matches is degenerate (0 or 1), or which finds more matches than the smaller list has
  records (EM then learned another class, such as "same household"): its estimates are not used;
- after fitting, a comparison whose best level does not favour a match, or whose "differs" level does not
  favour a non-match: the shipped m of that comparison;
- a prior outside (0, 0.5] or implying more true pairs than 1.2 x the smaller list: the residual-share prior.

**Small lists borrow strength from the province.** The shipped model is fitted on a whole province
(`satudata link-model train`); a run's m is the shipped m and the fitted m mixed in proportion to their
evidence: `m = (E * m_fit + K * m_shipped) / (E + K)`, with E the expected matches the sessions saw and K =
`FitOptions.prior_matches` (the weight of the province model, in matches). A regency whose pairs hold
thousands of matches gets its own model; one with a few dozen stays close to the province's.
"""

from __future__ import annotations

import copy
import logging
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from satudata.fileio import write_atomically
from satudata.linkage.model import (
    BLOCKING_RULES,
    M_FLOORS,
    LinkModel,
    apply_floors,
    base_settings,
    with_defaults,
    with_parameters,
)
from satudata.linkage.records import with_address_weights
from satudata.linkage.session import connect, make_linker, register_lists

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FitOptions:
    min_records: int = 200  # below this on either side: no fitting (too few pairs to learn from)
    min_present_share: float = 0.01  # a column filled on fewer records of a side counts as absent
    u_max_pairs: float = 2e5
    em_max_pairs: float = 1e5
    min_expected_matches: float = 25.0
    prior_matches: float = 150.0  # K: how many matches' worth of evidence the shipped model weighs
    max_iterations: int = 25
    seed: int = 2026
    fit: bool = True  # False: shipped parameters on the comparisons present (no u, m or prior estimated)


# Blocking rules of the EM sessions, best first; a session runs when the columns of its rule are present.
TRAINING_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ('l."nama_fonetik" = r."nama_fonetik"', ("nama_fonetik",)),
    ('l."tanggal_lahir" = r."tanggal_lahir"', ("tanggal_lahir",)),
    ('l."alamat_kunci" = r."alamat_kunci"', ("alamat_kunci",)),
)
# The levels a training rule's pairs agree on (to turn its share of matches into the prior).
_RULE_LEVELS = {
    'l."nama_fonetik" = r."nama_fonetik"': ("nama", ("nama sama", "nama sama (ejaan lain)")),
    'l."tanggal_lahir" = r."tanggal_lahir"': ("tanggal_lahir", ("tanggal lahir sama",
                                                                "tanggal lahir sama (tanggal pengganti)")),
    'l."alamat_kunci" = r."alamat_kunci"': None,  # the rarest word agreeing is no level of its own
}
_COLUMN = re.compile(r'"([a-z_]+)_[lr]"')


def comparison_columns(comparison: dict) -> set[str]:
    """The input columns a comparison's null level requires: what must be filled for it to count (a column
    named only in a parenthesised condition of the null level, such as the village code, is not required)."""
    null = next((lv for lv in comparison["comparison_levels"] if lv.get("is_null_level")), None)
    sql = null["sql_condition"] if null else " ".join(lv["sql_condition"] for lv in comparison["comparison_levels"])
    return set(_COLUMN.findall(sql.split("(", 1)[0]))


def _filled(frame: pd.DataFrame, column: str) -> int:
    if column not in frame:
        return 0
    return int(frame[column].notna().sum())


def present_comparisons(left: pd.DataFrame, right: pd.DataFrame, settings: dict,
                        min_share: float = 0.01) -> tuple[list[dict], list[str]]:
    """The comparisons with data on both sides, and the names of those without."""
    kept, absent = [], []
    for comparison in settings["comparisons"]:
        ok = True
        for column in comparison_columns(comparison):
            for side in (left, right):
                filled = _filled(side, column)
                if filled == 0 or filled < min_share * len(side):
                    ok = False
        (kept if ok else absent).append(comparison if ok else comparison["output_column_name"])
    return kept, absent


def _m_values(comparison: dict) -> list[float | None]:
    return [lv.get("m_probability") for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]


def _levels(comparison: dict) -> list[dict]:
    return [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]


def _sane(comparison: dict) -> bool:
    """The most specific level favours a match and the last ("differs") favours a non-match."""
    levels = _levels(comparison)
    if len(levels) < 2:
        return True
    first, last = levels[0], levels[-1]
    try:
        return first["m_probability"] > first["u_probability"] and last["m_probability"] < last["u_probability"]
    except (KeyError, TypeError):
        return False


@dataclass
class _Session:
    rule: str
    pairs: int
    share: float  # the share of matches among the session's pairs (EM's lambda)
    iterations: int
    converged: bool
    estimates: dict[str, list[float | None]]  # comparison -> m per non-null level (None: not observed)
    used: bool = True
    reason: str = ""
    seconds: float = 0.0
    held_at_floor: list[str] = field(default_factory=list)  # levels no match reached: m held at its floor
    too_few: bool = False  # left out for too few pairs or matches: routine for a small regency's lists

    @property
    def expected_matches(self) -> float:
        return self.share * self.pairs

    def as_dict(self) -> dict:
        return {"aturan": self.rule, "pasangan": self.pairs, "porsi_cocok": round(self.share, 6),
                "perkiraan_cocok": round(self.expected_matches, 1), "iterasi": self.iterations,
                "konvergen": self.converged, "dipakai": self.used, "alasan": self.reason, "detik": self.seconds,
                "perbandingan": sorted(self.estimates), "m_di_batas_bawah": self.held_at_floor}


def fit_model(left: pd.DataFrame, right: pd.DataFrame, shipped: LinkModel, *, options: FitOptions | None = None,
              threads: int = 2) -> LinkModel:
    """The shipped model fitted to `left` and `right` (prepared, with the linker's derived columns); see the
    module docstring. The result's `fit` holds the report: comparisons used and absent, u pairs, the EM
    sessions, the expected matches, the prior, the fallbacks and the seconds it took."""
    options = options or FitOptions()
    started = time.perf_counter()
    base = copy.deepcopy(shipped.settings)
    present, absent = present_comparisons(left, right, base, options.min_present_share)
    base["comparisons"] = present
    report: dict = {"model_dasar": shipped.version, "perbandingan": [c["output_column_name"] for c in present],
                    "perbandingan_tidak_ada": absent, "dipasang": False, "kembali_ke_model_dasar": [],
                    "baris_kiri": len(left), "baris_kanan": len(right)}
    fallbacks: list[str] = report["kembali_ke_model_dasar"]
    if absent:
        log.info("comparisons without data on both sides, left out: %s", absent)
    small = min(len(left), len(right))
    if not options.fit or small < options.min_records:
        if options.fit:
            fallbacks.append(f"daftar terlalu kecil untuk dipelajari ({small} < {options.min_records} baris): "
                             "parameter model dasar")
            log.info("lists too small to fit (%d < %d rows): shipped parameters", small, options.min_records)
        report["seconds"] = round(time.perf_counter() - started, 2)
        return replace(shipped, settings=base, fit=report)

    with_u, sessions = _estimate(left, right, base, options, threads, report)
    report["sesi_em"] = [s.as_dict() for s in sessions]
    for s in sessions:
        if not s.used:
            fallbacks.append(f"sesi EM '{s.rule}' tidak dipakai: {s.reason}")
            # too little to learn from is what small lists are (the shipped m stays, as the report says);
            # anything else is worth an engineer's look
            log.log(logging.INFO if s.too_few else logging.WARNING, "EM session %s not used: %s", s.rule, s.reason)

    fitted = _merge(with_u, shipped.settings, [s for s in sessions if s.used], options, fallbacks)
    expected = _expected_pairs(fitted, [s for s in sessions if s.used])
    if expected is None or not 0 < expected <= 1.2 * small:
        fallbacks.append("jumlah pasangan benar dari data tidak masuk akal "
                         f"({'tidak ada' if expected is None else round(expected)}): prior porsi sisa")
        log.warning("expected true pairs from the data out of bounds (%s): residual-share prior", expected)
        expected = None
    report.update({"dipasang": True, "perkiraan_pasangan_benar": None if expected is None else round(expected, 1),
                   "seconds": round(time.perf_counter() - started, 2)})
    log.info("model fitted on %d x %d records in %.1f s: %d comparisons (%s absent), expected true pairs %s, "
             "fallbacks %s", len(left), len(right), report["seconds"], len(present), absent or "none",
             report["perkiraan_pasangan_benar"], fallbacks or "none")
    return replace(shipped, version=f"{shipped.version}+data", settings=fitted, fit=report)


def _estimate(left: pd.DataFrame, right: pd.DataFrame, base: dict, options: FitOptions, threads: int,
              report: dict) -> tuple[dict, list[_Session]]:
    """u from random pairs, then one EM session per training rule whose columns both lists carry, in one
    in-memory DuckDB: (the settings with u, the sessions). The u pairs and seconds go into `report`."""
    from splink import DuckDBAPI

    columns = [c for c in left.columns if c in right.columns]
    training = copy.deepcopy(base)
    training["blocking_rules_to_generate_predictions"] = [{"blocking_rule": r} for r in BLOCKING_RULES]
    training["max_iterations"] = options.max_iterations
    training["retain_matching_columns"] = False
    con = connect(threads)
    try:
        db_api = DuckDBAPI(con)
        tables = register_lists(con, db_api, {"kiri": left[columns], "kanan": right[columns]})
        linker = make_linker(tables, training, logging.ERROR)
        u_pairs = int(min(options.u_max_pairs, len(left) * len(right)))
        u_started = time.perf_counter()
        # One chunk: Splink's probing in ten chunks doubles the time for the same pairs.
        linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=options.seed, num_chunks=1)
        with_u = linker.misc.save_model_to_json()
        report["pasangan_acak_u"] = u_pairs
        report["detik_u"] = round(time.perf_counter() - u_started, 2)
        sessions = [_em_session(con, linker, tables, left, right, rule, needed[0], options)
                    for rule, needed in TRAINING_RULES
                    if all(_filled(left, c) and _filled(right, c) for c in needed)]
    finally:
        con.close()
    return with_u, sessions


def _em_session(con, linker, tables: list, left: pd.DataFrame, right: pd.DataFrame, rule: str, column: str,
                options: FitOptions) -> _Session:
    """One EM session on the pairs agreeing on `column` (`rule`), judged: its estimates or why not used."""
    session_started = time.perf_counter()
    pairs = _pairs_agreeing(con, left, right, column)
    if pairs < 50:
        return _Session(rule, pairs, 0.0, 0, False, {}, False, "kurang dari 50 pasangan", too_few=True)
    session, held, failure = _expectation_maximisation(linker, tables, rule, pairs, options)
    if session is None:
        return _Session(rule, pairs, 0.0, 0, False, {}, False, f"EM gagal: {failure}"[:300])
    trained = session.core_model_settings
    history = session._core_model_settings_history
    iterations = max(len(history) - 1, 0)
    estimates = {}
    for comparison in trained.comparisons:
        values = []
        for level in comparison._comparison_levels_excluding_null:
            m = level._m_probability
            values.append(m if isinstance(m, float) else None)
        estimates[comparison.output_column_name] = values
    # The share of matches holds for all the rule's pairs, sampled or not.
    result = _Session(rule, pairs, float(trained.probability_two_random_records_match), iterations,
                      iterations < options.max_iterations, estimates,
                      seconds=round(time.perf_counter() - session_started, 2), held_at_floor=held)
    _judge(result, options, bound=1.2 * min(len(left), len(right)))
    return result


def _expectation_maximisation(linker, tables: list, rule: str, pairs: int, options: FitOptions):
    """One EM session (Splink): (the session, the levels whose m was held at their floor, None) or (None, [],
    why it failed).

    A level no true match of the session's pairs reaches (same birth date and wholly different names, in
    data without name errors) sees its m shrink every iteration until it is no float any more (below
    1e-300), and Splink refuses the session. Such levels are what `model.M_FLOORS` is for: an error the data
    never show stays possible. So the session runs again from the parameters the linker has reached, with
    the m of that level, and of every level the same iteration took below its floor, held at the floor
    (Splink's `fix_m_probability`)."""
    held: dict[tuple[str, str], float] = {}
    runner = linker
    while True:
        try:
            session = runner.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True,
                max_pairs=options.em_max_pairs if pairs > options.em_max_pairs else None)
            return session, [f"{name}: {label}" for name, label in held], None
        except (ValueError, ArithmeticError, RuntimeError) as exc:  # Splink refuses degenerate estimates
            settings = linker.misc.save_model_to_json()
            below = _below_floor(exc, settings)
            if not below or below.keys() <= held.keys():
                return None, [], exc
            held.update(below)
            log.info("EM session %s: no match reaches %s; their m is held at its floor", rule,
                     ", ".join(f"{name} '{label}'" for name, label in below))
            for comparison in settings["comparisons"]:
                for lv in comparison["comparison_levels"]:
                    floor = held.get((comparison["output_column_name"], lv.get("label_for_charts")))
                    if floor is not None:
                        lv["m_probability"], lv["fix_m_probability"] = floor, True
            runner = make_linker(tables, settings, logging.ERROR)


def _below_floor(exc: BaseException, settings: dict) -> dict[tuple[str, str], float]:
    """When Splink refused an m as below its minimum: the levels (comparison, label) whose m that maximisation
    step took below their floor, with the floor (read from the step's frame: `m_u_records_lookup` holds each
    level's new m by comparison and gamma). Empty for any other failure."""
    import traceback

    if "below the minimum" not in str(exc):
        return {}
    lookup = next((frame.f_locals["m_u_records_lookup"] for frame, _ in traceback.walk_tb(exc.__traceback__)
                   if isinstance(frame.f_locals.get("m_u_records_lookup"), dict)), None)
    if lookup is None:
        return {}
    below = {}
    for comparison in settings["comparisons"]:
        name = comparison["output_column_name"]
        labels = [lv["label_for_charts"] for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for gamma, record in (lookup.get(name) or {}).items():
            if not isinstance(gamma, int) or not 0 <= gamma < len(labels):
                continue
            label, m = labels[len(labels) - 1 - gamma], record.get("m_probability")
            floor = max(M_FLOORS.get(label, 0.0), 1e-6)  # as `model.apply_floors` would
            if isinstance(m, float) and m < floor and (label in M_FLOORS or m < 1e-300):
                below[(name, label)] = floor
    return below


def _pairs_agreeing(con, left: pd.DataFrame, right: pd.DataFrame, column: str) -> int:
    """How many pairs agree on `column` (what a training rule `l.c = r.c` blocks): a product of value counts."""
    counts = [side[column].value_counts(dropna=True) for side in (left, right)]
    joined = counts[0].to_frame("l").join(counts[1].to_frame("r"), how="inner")
    return int((joined["l"].astype("int64") * joined["r"].astype("int64")).sum())


def _judge(session: _Session, options: FitOptions, bound: float) -> None:
    """`bound`: the most true pairs a one-to-one linkage of these lists can hold (scaled to the sample)."""
    if not session.converged:
        session.used, session.reason = False, f"EM tidak konvergen dalam {options.max_iterations} iterasi"
    elif not 1e-6 < session.share < 1 - 1e-6:
        session.used, session.reason = False, f"porsi cocok tidak wajar ({session.share:.6f})"
    elif session.expected_matches < options.min_expected_matches:
        session.used, session.too_few = False, True
        session.reason = (f"terlalu sedikit pasangan cocok untuk dipelajari "
                          f"({session.expected_matches:.0f} < {options.min_expected_matches:.0f})")
    elif session.expected_matches > bound:
        # More "matches" than the smaller list has people: EM found another class (same household, same
        # street) than the same person.
        session.used, session.reason = False, (f"EM menemukan kelompok lain, bukan orang yang sama "
                                               f"({session.expected_matches:.0f} pasangan cocok > {bound:.0f})")


def _merge(with_u: dict, shipped: dict, sessions: list[_Session], options: FitOptions,
           fallbacks: list[str]) -> dict:
    """u from sampling, m from the sessions mixed with the shipped m, guards, floors."""
    settings = copy.deepcopy(with_u)
    shipped_by_name = {c["output_column_name"]: c for c in shipped["comparisons"]}
    for comparison in settings["comparisons"]:
        name = comparison["output_column_name"]
        levels = _levels(comparison)
        old_levels = _levels(shipped_by_name.get(name, comparison))
        old_m = [lv.get("m_probability") for lv in old_levels]
        old_u = [lv.get("u_probability") for lv in old_levels]
        estimates = [(s.expected_matches, s.estimates[name]) for s in sessions if name in s.estimates]
        evidence = sum(e for e, _ in estimates)
        for i, level in enumerate(levels):
            if level.get("u_probability") is None and i < len(old_u):  # never seen among random pairs
                level["u_probability"] = old_u[i]
            seen = [(e, values[i]) for e, values in estimates if i < len(values) and values[i] is not None]
            weight = sum(e for e, _ in seen)
            fit = sum(e * m for e, m in seen) / weight if weight else None
            prior_m = old_m[i] if i < len(old_m) else None
            if fit is None:
                level["m_probability"] = prior_m
            elif prior_m is None:
                level["m_probability"] = fit
            else:
                level["m_probability"] = (weight * fit + options.prior_matches * prior_m) / (
                    weight + options.prior_matches)
        total = sum(lv["m_probability"] or 0.0 for lv in levels)
        if total > 0:
            for level in levels:
                level["m_probability"] = (level["m_probability"] or 0.0) / total
        comparison["_bukti_cocok"] = evidence
    settings = apply_floors(settings)
    for comparison in settings["comparisons"]:
        comparison.pop("_bukti_cocok", None)
        if not _sane(comparison):
            name = comparison["output_column_name"]
            shipped_levels = _levels(shipped_by_name.get(name, comparison))
            for level, old in zip(_levels(comparison), shipped_levels, strict=False):
                level["m_probability"] = old.get("m_probability")
            fallbacks.append(f"perbandingan '{name}': hasil pemasangan tidak masuk akal, pakai m model dasar")
            log.warning("comparison %s: fitted m implausible, shipped m used", name)
    return apply_floors(settings)


def _expected_pairs(settings: dict, sessions: list[_Session]) -> float | None:
    """True pairs the lists hold: per session, its expected matches over the share of matches agreeing on its
    rule; averaged over the sessions that say."""
    by_name = {c["output_column_name"]: c for c in settings["comparisons"]}
    counts = []
    for session in sessions:
        levels = _RULE_LEVELS.get(session.rule)
        if not levels or levels[0] not in by_name:
            continue
        name, labels = levels
        agree = sum(lv["m_probability"] for lv in _levels(by_name[name]) if lv["label_for_charts"] in labels)
        if agree > 0:
            counts.append(session.expected_matches / agree)
    return sum(counts) / len(counts) if counts else None


def prior_for(model: LinkModel, n_left: int, n_right: int, already_linked: int, residual_share: float) -> float:
    """The probability that two records of the lists still to link match: the true pairs the fitted model
    expects, less those already linked, over all pairs; the residual share when the model has no estimate."""
    expected = (model.fit or {}).get("perkiraan_pasangan_benar")
    if n_left == 0 or n_right == 0:
        return 1e-9
    if expected is not None:
        remaining = max(expected - already_linked, 1.0)
        return max(min(remaining / (n_left * n_right), 0.5), 1e-12)
    return residual_prior(n_left, n_right, residual_share)


def train_model(left: pd.DataFrame, right: pd.DataFrame, *, version: str, trained_on: dict,
                start: LinkModel | None = None, u_max_pairs: float = 5e6, seed: int = 2026,
                out_path: Path | None = None) -> LinkModel:
    """Fit the model to two prepared lists on purpose (`satudata link-model train`) and optionally save it:
    the file every run starts from. The same fitting as every run, with the start model given no weight
    (`prior_matches=0`) and more random pairs for u."""
    from datetime import UTC, datetime

    left, right = with_address_weights(left, right)
    start = start or LinkModel("awal", "", {}, base_settings())
    options = FitOptions(prior_matches=0.0, u_max_pairs=u_max_pairs, em_max_pairs=2e6, seed=seed, min_records=1)
    fitted = fit_model(left, right, start, options=options)
    settings = apply_floors(with_defaults(with_parameters(base_settings(), fitted.settings)))  # every comparison
    model = LinkModel(version=version, trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
                      trained_on={**trained_on, "rows_left": len(left), "rows_right": len(right),
                                  "fit": fitted.fit}, settings=settings)
    if out_path is not None:
        write_atomically(out_path, model.to_json().encode("utf-8"))
        log.info("model %s written to %s", version, out_path)
    return model


def residual_prior(n_left: int, n_right: int, share: float) -> float:
    """Fallback prior: `share` of the smaller list has a partner in the other."""
    if n_left == 0 or n_right == 0:
        return 1e-9
    return max(min(share * min(n_left, n_right) / (n_left * n_right), 0.5), 1e-12)


__all__ = ["TRAINING_RULES", "FitOptions", "comparison_columns", "fit_model", "present_comparisons", "prior_for",
           "residual_prior", "train_model"]

