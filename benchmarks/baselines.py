"""What a user would otherwise write to link DTKS with P3KE people: the baselines our linker is measured against.

Both take the person rows of one regency as the registries wrote them (columns `id`, `nik`, `nama`,
`tanggal_lahir`, `jenis_kelamin`; see `person_rows` for the staged rows our linker also receives) and
return pairs `id_dtks, id_individu_p3ke`:

- `exact_nik_merge`: `pd.merge` on the 16-digit NIK with spaces stripped. Every pair the merge
  yields is kept (a NIK written on two rows of one list links both), as a plain merge does.
- `splink_documented`: Splink 5 set up the way its documentation sets up person linkage (the "febrl4"
  link-only and "historical people" examples): `NameComparison` on the name as written,
  `DateOfBirthComparison` on the birth date, `DamerauLevenshteinAtThresholds(nik, [1, 2])` for the ID
  (the febrl4 example's treatment of `soc_sec_id`), `ExactMatch` on sex; prediction blocks on NIK, on
  birth date, and on name + birth year; the prior from deterministic rules (recall 0.8, as in febrl4),
  u by random sampling (`max_pairs=1e6`, what the febrl4 example runs: the docs suggest 1e7 or more,
  which here made training ~6x slower for the same links), m by EM on `block_on("nik")` and
  `block_on("tanggal_lahir")`; predict at match probability 0.9, then one-to-one by highest
  probability (best pairs first; `one_to_one=False` keeps every pair above the threshold).
  Nothing project-specific: no Indonesian name normalisation, no placeholder-date or Excel-damage
  handling, no KK or desa.

`run_timed` measures wall time and the peak resident memory the call adds (sampled from /proc).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

PAIR_COLUMNS = ["id_dtks", "id_individu_p3ke"]
SPLINK_THRESHOLD = 0.9
SPLINK_U_MAX_PAIRS = 1e6
SPLINK_SEED = 2026  # reproducible u sampling (the examples leave it unset)


def person_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The baseline input from one side of `satudata.harmonise.run.Sources` (staged rows, as written).

    `load_sources` keeps the staged value of a column our features overwrite as `<column>_asli`.
    """
    def raw(column: str) -> pd.Series:
        return frame[f"{column}_asli"] if f"{column}_asli" in frame else frame[column]

    return pd.DataFrame({"id": frame["id"].astype(str), "nik": raw("nik"), "nama": frame["nama"],
                         "tanggal_lahir": raw("tanggal_lahir"), "jenis_kelamin": raw("jenis_kelamin")})


def _empty_pairs() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in PAIR_COLUMNS})


def _plain_nik(values: pd.Series) -> pd.Series:
    nik = values.astype("string").str.replace(r"\s+", "", regex=True)
    return nik.where(nik.str.fullmatch(r"[0-9]{16}").fillna(False).astype(bool))


def exact_nik_merge(dtks: pd.DataFrame, p3ke: pd.DataFrame) -> pd.DataFrame:
    """Every (DTKS, P3KE) pair sharing a 16-digit NIK (spaces stripped)."""
    left = pd.DataFrame({"id_dtks": dtks["id"].astype(str), "nik": _plain_nik(dtks["nik"])}).dropna(subset=["nik"])
    right = pd.DataFrame({"id_individu_p3ke": p3ke["id"].astype(str),
                          "nik": _plain_nik(p3ke["nik"])}).dropna(subset=["nik"])
    return left.merge(right, on="nik")[PAIR_COLUMNS].reset_index(drop=True)


def _iso_dates(values: pd.Series) -> pd.Series:
    """Birth dates as ISO text (what `DateOfBirthComparison(input_is_string=True)` reads)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        dates = values
    elif values.dropna().map(lambda v: hasattr(v, "year")).all():  # dates, as staged
        dates = pd.to_datetime(values, errors="coerce")
    else:  # text as read from a file, day first in Indonesian registries: what a pandas user writes
        text = values.astype("string")
        compact = text.str.fullmatch(r"(19|20)[0-9]{6}").fillna(False).astype(bool)  # YYYYMMDD (FEBRL)
        dates = pd.to_datetime(text.where(~compact), errors="coerce", dayfirst=True).fillna(
            pd.to_datetime(text.where(compact), errors="coerce", format="%Y%m%d"))
    return dates.dt.strftime("%Y-%m-%d").astype(object).where(dates.notna(), None)


def _splink_input(frame: pd.DataFrame) -> pd.DataFrame:
    def text(column: str) -> pd.Series:
        values = frame[column].astype("string").str.strip()
        return values.where(values.str.len() > 0).astype(object).where(values.notna(), None)

    frame = frame.reindex(columns=sorted({*frame.columns, "nik", "nama", "tanggal_lahir", "jenis_kelamin", "alamat"}))
    return pd.DataFrame({"id": frame["id"].astype(str).values, "nik": _plain_nik(frame["nik"]).astype(object).values,
                         "nama": text("nama").values, "tanggal_lahir": _iso_dates(frame["tanggal_lahir"]).values,
                         "jenis_kelamin": text("jenis_kelamin").values, "alamat": text("alamat").str.upper().values})


def splink_settings(present: set[str] | None = None):
    """The documented person-linkage settings, on the columns the lists carry (`present`; all by default)."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    present = {"nik", "nama", "tanggal_lahir", "jenis_kelamin"} if present is None else present
    comparisons = [c for name, c in (
        ("nama", cl.NameComparison("nama").configure(term_frequency_adjustments=True)),
        ("tanggal_lahir", cl.DateOfBirthComparison("tanggal_lahir", input_is_string=True)),
        ("nik", cl.DamerauLevenshteinAtThresholds("nik", [1, 2])),
        ("jenis_kelamin", cl.ExactMatch("jenis_kelamin")),
        ("alamat", cl.JaroWinklerAtThresholds("alamat", [0.9, 0.7])),  # a free-text address, as the docs compare one
    ) if name in present]
    rules = [r for name, r in (("nik", block_on("nik")), ("tanggal_lahir", block_on("tanggal_lahir")),
                               ("nama", block_on("nama", "substr(tanggal_lahir, 1, 4)"))) if name in present]
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=rules,
        retain_intermediate_calculation_columns=False,
    )


def greedy_one_to_one(pairs: pd.DataFrame, left: str, right: str, score: str) -> pd.DataFrame:
    """Best pairs first; a pair is kept when neither of its records was kept before (ties on the ids)."""
    ordered = pairs.sort_values([score, left, right], ascending=[False, True, True], kind="mergesort")
    used_l: set = set()
    used_r: set = set()
    keep = []
    for a, b in zip(ordered[left], ordered[right], strict=True):
        ok = a not in used_l and b not in used_r
        keep.append(ok)
        if ok:
            used_l.add(a)
            used_r.add(b)
    return ordered[keep].reset_index(drop=True)


@dataclass
class SplinkBaseline:
    links: pd.DataFrame  # PAIR_COLUMNS (+ match_probability): one-to-one, or every pair above the threshold
    all_above_threshold: pd.DataFrame  # every predicted pair at or above the threshold
    stats: dict = field(default_factory=dict)


def splink_documented(dtks: pd.DataFrame, p3ke: pd.DataFrame, *, threshold: float = SPLINK_THRESHOLD,
                      one_to_one: bool = True, threads: int = 2, u_max_pairs: float = SPLINK_U_MAX_PAIRS,
                      seed: int | None = SPLINK_SEED, log_level: int = logging.ERROR) -> SplinkBaseline:
    """Train (prior, u, m) and predict with the documented person-linkage setup; see the module docstring.

    `log_level` is Splink's (it sets it): at WARNING it names every level EM never observed and the
    small `max_pairs`, per regency.
    """
    import duckdb
    from splink import DuckDBAPI, Linker, block_on

    t0 = time.perf_counter()
    left, right = _splink_input(dtks), _splink_input(p3ke)
    stats: dict = {"left": len(left), "right": len(right)}
    if left.empty or right.empty:
        return SplinkBaseline(_empty_pairs(), _empty_pairs(), stats)
    present = {c for c in ("nik", "nama", "tanggal_lahir", "jenis_kelamin", "alamat")
               if left[c].notna().any() and right[c].notna().any()}
    con = duckdb.connect(":memory:", config={"threads": threads})
    try:
        db_api = DuckDBAPI(con)
        tables = [db_api.register(left, table_name="dtks"), db_api.register(right, table_name="p3ke")]
        linker = Linker(tables, splink_settings(present), log_level=log_level)
        t1 = time.perf_counter()
        deterministic = [r for name, r in (("nik", block_on("nik")),) if name in present]
        linker.training.estimate_probability_two_random_records_match(
            [*deterministic, block_on("nama", "tanggal_lahir")], recall=0.8)
        linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed)
        # EM on the documented rules the lists can feed (NIK, birth date); the name when one of them is missing.
        em_rules = [r for name, r in (("nik", block_on("nik")), ("tanggal_lahir", block_on("tanggal_lahir")))
                    if name in present]
        if len(em_rules) < 2:
            em_rules.append(block_on("nama"))
        for rule in em_rules:
            linker.training.estimate_parameters_using_expectation_maximisation(rule,
                                                                              estimate_without_term_frequencies=True)
        t2 = time.perf_counter()
        predicted = linker.inference.predict(threshold_match_probability=threshold).as_pandas_dataframe()
    finally:
        con.close()
    t3 = time.perf_counter()
    # Splink orders each pair by source dataset name: put the DTKS record on the left.
    flip = (predicted["source_dataset_l"] == "p3ke").to_numpy()
    id_l, id_r = predicted["id_l"].astype(str), predicted["id_r"].astype(str)
    pairs = pd.DataFrame({"id_dtks": id_l.where(~flip, id_r).values, "id_individu_p3ke": id_r.where(~flip, id_l).values,
                          "match_probability": predicted["match_probability"].astype(float).values})
    best = greedy_one_to_one(pairs, "id_dtks", "id_individu_p3ke", "match_probability") if one_to_one else pairs
    t4 = time.perf_counter()
    stats.update({"seconds_prepare": round(t1 - t0, 2), "seconds_train": round(t2 - t1, 2),
                  "seconds_predict": round(t3 - t2, 2), "seconds_one_to_one": round(t4 - t3, 2),
                  "pairs_above_threshold": len(pairs), "links": len(best)})
    return SplinkBaseline(best.reset_index(drop=True), pairs, stats)


# ------------------------------------------------------------------------------------------- timing


def _rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@dataclass
class Timed:
    value: object
    seconds: float
    peak_rss_added_mb: float | None  # peak resident memory above the level at the start of the call


def run_timed(fn: Callable[[], object], interval: float = 0.02) -> Timed:
    """Call `fn`, timing it and sampling the process's resident memory every `interval` seconds."""
    try:
        start_rss = _rss_bytes()
    except OSError:  # not Linux: no memory figure
        t0 = time.perf_counter()
        value = fn()
        return Timed(value, time.perf_counter() - t0, None)
    peak = [start_rss]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(interval):
            peak[0] = max(peak[0], _rss_bytes())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    try:
        value = fn()
    finally:
        seconds = time.perf_counter() - t0
        done.set()
        sampler.join()
    peak[0] = max(peak[0], _rss_bytes())
    return Timed(value, seconds, round((peak[0] - start_rss) / 2**20, 1))
