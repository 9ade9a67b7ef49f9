"""Quality of harmonisation against the generator's truth: precision, recall and F1 of person and family links.

Truth (see docs/generator.md): `individu.csv` names the true person behind every DTKS row (`id_dtks`) and
P3KE row (`id_individu_p3ke`); `keluarga.csv` the true family behind every DTKS KK group (`no_kk` as
written on its clean rows) and P3KE family (`id_keluarga_p3ke`). A true pair is two records of the same
person (family). Recall counts only pairs whose two records were staged: rows intake refused cannot be
linked by anyone, and how many there were is reported beside it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from satudata.warehouse.engine import read_frame


@dataclass(frozen=True)
class Quality:
    predicted: int
    true: int
    correct: int
    true_not_staged: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.true if self.true else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict:
        return {**asdict(self), "precision": round(self.precision, 5), "recall": round(self.recall, 5),
                "f1": round(self.f1, 5)}


def _score(predicted: set, true: set, staged_true: set) -> Quality:
    return Quality(predicted=len(predicted), true=len(staged_true), correct=len(predicted & staged_true),
                   true_not_staged=len(true - staged_true))


def true_person_pairs(truth_dir: Path) -> pd.DataFrame:
    individu = pd.read_csv(truth_dir / "individu.csv", dtype=str, usecols=["person_id", "source", "record_id",
                                                                          "kode_kab"])
    d = individu[individu["source"] == "dtks"].drop_duplicates("record_id")
    p = individu[individu["source"] == "p3ke"].drop_duplicates("record_id")
    return d.merge(p, on="person_id", suffixes=("_d", "_p"))[["record_id_d", "record_id_p", "kode_kab_d",
                                                               "kode_kab_p"]]


def true_family_pairs(truth_dir: Path) -> pd.DataFrame:
    keluarga = pd.read_csv(truth_dir / "keluarga.csv", dtype=str, usecols=["family_id", "source", "kode_kab",
                                                                          "family_key"])
    d = keluarga[keluarga["source"] == "dtks"].drop_duplicates(["kode_kab", "family_key"])
    p = keluarga[keluarga["source"] == "p3ke"].drop_duplicates(["kode_kab", "family_key"])
    pairs = d.merge(p, on=["family_id", "kode_kab"], suffixes=("_d", "_p"))
    return pairs[["kode_kab", "family_key_d", "family_key_p"]]


def _family_quality(conn, truth_dir: Path, periode: str) -> Quality:
    """A family link is right when its DTKS members are (mostly) of the true family of its P3KE family.

    Judged through members rather than KK numbers: a DTKS family whose KK was lost (missing or
    Excel-rounded on every row) can still be linked right, and its true KK is unknowable from DTKS.
    """
    individu = pd.read_csv(truth_dir / "individu.csv", dtype=str, usecols=["person_id", "family_id", "source",
                                                                          "record_id"])
    family_of_dtks = individu[individu["source"] == "dtks"].drop_duplicates("record_id").set_index("record_id")
    keluarga = pd.read_csv(truth_dir / "keluarga.csv", dtype=str, usecols=["family_id", "source", "kode_kab",
                                                                          "family_key"])
    p3ke_family = keluarga[keluarga["source"] == "p3ke"].drop_duplicates(["kode_kab", "family_key"])
    p3ke_family = p3ke_family.set_index(["kode_kab", "family_key"])["family_id"]
    linked = read_frame(conn, "SELECT kode_kab, id_keluarga, id_keluarga_p3ke FROM core.keluarga_terpadu "
                              "WHERE periode = :p AND di_dtks AND di_p3ke", {"p": periode})
    members = read_frame(conn, "SELECT kode_kab, id_keluarga, id_dtks FROM core.individu_terpadu "
                               "WHERE periode = :p AND di_dtks", {"p": periode})
    members["family_id"] = members["id_dtks"].map(family_of_dtks["family_id"])
    dtks_truth = (members.dropna(subset=["family_id"]).groupby(["kode_kab", "id_keluarga"])["family_id"]
                  .agg(lambda f: f.mode().iloc[0]))
    linked["dtks_family"] = [dtks_truth.get((k, i)) for k, i in zip(linked["kode_kab"], linked["id_keluarga"],
                                                                    strict=True)]
    linked["p3ke_family"] = [p3ke_family.get((k, str(f))) for k, f in zip(linked["kode_kab"],
                                                                         linked["id_keluarga_p3ke"], strict=True)]
    correct = int((linked["dtks_family"].notna() & (linked["dtks_family"] == linked["p3ke_family"])).sum())
    # True family pairs whose two sides were staged: families with a staged DTKS member and a staged P3KE family.
    staged_dtks = set(read_frame(conn, "SELECT DISTINCT id_dtks FROM staging.dtks WHERE aktif AND periode = :p",
                                 {"p": periode})["id_dtks"].astype(str))
    staged_fp = read_frame(conn, "SELECT DISTINCT kode_kab, id_keluarga_p3ke FROM staging.p3ke_keluarga "
                                 "WHERE aktif AND periode = :p", {"p": periode})
    dtks_families = set(family_of_dtks.loc[family_of_dtks.index.isin(staged_dtks), "family_id"])
    p3ke_staged = {p3ke_family.get((k, str(f))) for k, f in zip(staged_fp["kode_kab"], staged_fp["id_keluarga_p3ke"],
                                                              strict=True)}
    all_dtks = set(family_of_dtks["family_id"])
    all_p3ke = set(p3ke_family.values)
    both_true = all_dtks & all_p3ke
    both_staged = dtks_families & p3ke_staged
    return Quality(predicted=len(linked), true=len(both_staged), correct=correct,
                   true_not_staged=len(both_true - both_staged))


@dataclass(frozen=True)
class PersonTruth:
    """True DTKS-P3KE person pairs (`id_dtks`, `id_individu_p3ke`), all and those whose two rows were staged."""

    true: frozenset
    staged_true: frozenset
    across_regencies: frozenset  # staged true pairs whose two rows were staged by different regencies

    def score(self, pairs) -> Quality:
        """Quality of predicted pairs: an iterable of (id_dtks, id_individu_p3ke), or a frame with those columns."""
        if isinstance(pairs, pd.DataFrame):
            pairs = zip(pairs["id_dtks"].astype(str), pairs["id_individu_p3ke"].astype(str), strict=True)
        return _score(set(pairs), self.true, self.staged_true)


def person_truth(conn, truth_dir: Path, periode: str) -> PersonTruth:
    true_people = true_person_pairs(truth_dir)
    staged_d = set(read_frame(conn, "SELECT DISTINCT id_dtks FROM staging.dtks WHERE aktif AND periode = :p",
                              {"p": periode})["id_dtks"].astype(str))
    staged_p = set(read_frame(conn, "SELECT DISTINCT id_individu_p3ke FROM staging.p3ke_anggota "
                                    "WHERE aktif AND periode = :p", {"p": periode})["id_individu_p3ke"].astype(str))
    true_set = set(zip(true_people["record_id_d"], true_people["record_id_p"], strict=True))
    staged_true = {(d, p) for d, p in true_set if d in staged_d and p in staged_p}
    across = true_people[true_people["kode_kab_d"] != true_people["kode_kab_p"]]
    across_set = set(zip(across["record_id_d"], across["record_id_p"], strict=True)) & staged_true
    return PersonTruth(frozenset(true_set), frozenset(staged_true), frozenset(across_set))


def person_truth_of_rows(truth_dir: Path, dtks_ids, p3ke_ids) -> PersonTruth:
    """Truth for lists read straight from files (no warehouse): true pairs with a record among the rows
    given; "staged" are those with both."""
    true_people = true_person_pairs(truth_dir)
    d_in = true_people["record_id_d"].isin(set(map(str, dtks_ids)))
    p_in = true_people["record_id_p"].isin(set(map(str, p3ke_ids)))

    def pairs(mask) -> frozenset:
        kept = true_people[mask]
        return frozenset(zip(kept["record_id_d"], kept["record_id_p"], strict=True))

    return PersonTruth(pairs(d_in | p_in), pairs(d_in & p_in), pairs(d_in ^ p_in))


def evaluate(conn, truth_dir: Path, periode: str) -> dict:
    """Person and family link quality of the harmonised period in the warehouse."""
    truth = person_truth(conn, truth_dir, periode)
    true_set, staged_true = set(truth.true), set(truth.staged_true)
    links = read_frame(conn, "SELECT id_dtks, id_individu_p3ke, match_method, lingkup, match_probability "
                             "FROM core.padanan_individu WHERE periode = :p", {"p": periode})
    predicted = set(zip(links["id_dtks"].astype(str), links["id_individu_p3ke"].astype(str), strict=True))
    people = _score(predicted, true_set, staged_true)
    by_method = {}
    for method, group in links.groupby("match_method"):
        pairs = set(zip(group["id_dtks"].astype(str), group["id_individu_p3ke"].astype(str), strict=True))
        by_method[method] = {"links": len(pairs), "wrong": len(pairs - staged_true)}

    families = _family_quality(conn, truth_dir, periode)
    missed = staged_true - predicted
    wrong = predicted - staged_true
    return {"people": people.to_dict(), "families": families.to_dict(), "by_method": by_method,
            "examples_missed": sorted(missed)[:10], "examples_wrong": sorted(wrong)[:10]}


def evaluate_url(url: str, truth_dir: Path, periode: str) -> dict:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return evaluate(conn, truth_dir, periode)
    finally:
        engine.dispose()
