"""Linkage quality beyond our own generator: ours (`satudata link`) against Splink as documented, in one run.

    python -m benchmarks.bench_quality                      # FEBRL1-4 and the generator (biasa, berat) at 1 %
    python -m benchmarks.bench_quality --scale 0.075        # the generator's lists at ~160k x 126k rows

For each pair of lists (`benchmarks/link_sets.py`): precision, recall and F1 of the one-to-one pairs against
the truth, blocking recall (true pairs that reach comparison at all: our exact-NIK candidates or blocked
pairs, Splink's blocked pairs) and the number of comparisons, seconds and peak memory, ours and Splink's side
by side. Ours is `linkage.pairs.link_files` (what `satudata link` runs, reading included) with the shipped
model fitted to each pair of lists; Splink as documented is `benchmarks.baselines.splink_documented` on the
same files read the same way. FEBRL4 is held out: reported, never tuned on.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".bench-cache"


def _quiet() -> None:
    from satudata.quiet import quiet_third_party

    quiet_third_party()
    logging.basicConfig(level=logging.ERROR)
    for name in ("splink", "satudata"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _scores(pairs: pd.DataFrame, truth: pd.DataFrame) -> dict:
    predicted = set(zip(pairs["left_id"].astype(str), pairs["right_id"].astype(str), strict=True))
    true = set(zip(truth["left_id"].astype(str), truth["right_id"].astype(str), strict=True))
    correct = len(predicted & true)
    p = correct / len(predicted) if predicted else 1.0
    r = correct / len(true) if true else 1.0
    return {"links": len(predicted), "true": len(true), "correct": correct, "precision": p, "recall": r,
            "f1": 2 * p * r / (p + r) if p + r else 0.0}


def blocking(left: pd.DataFrame, right: pd.DataFrame, id_column: str, rules: list[str],
             truth: pd.DataFrame) -> tuple[float, int]:
    """(Share of the true pairs the blocking rules generate, how many pairs they generate), in DuckDB."""
    import duckdb

    con = duckdb.connect(config={"threads": 2})
    try:
        con.register("kiri", left)
        con.register("kanan", right)
        con.register("benar", truth[["left_id", "right_id"]].astype(str))
        union = " UNION ".join(f'SELECT l."{id_column}" AS l, r."{id_column}" AS r FROM kiri l JOIN kanan r ON {rule}'
                               for rule in rules)
        con.execute(f"CREATE TABLE blok AS {union}")
        compared = con.sql("SELECT count(*) FROM blok").fetchall()[0][0]
        found = con.sql("SELECT count(*) FROM blok JOIN benar ON blok.l = benar.left_id AND blok.r = benar.right_id"
                        ).fetchall()[0][0]
    finally:
        con.close()
    return (found / len(truth) if len(truth) else 1.0), int(compared)


def ours_blocking(result, truth: pd.DataFrame) -> tuple[float, int]:
    """Our blocking on the whole lists (its first rule is the exact NIK of the first pass)."""
    from satudata.linkage.model import BLOCKING_RULES
    from satudata.linkage.records import ADDRESS_COLUMNS, LINK_COLUMNS, prepare_people, with_address_weights

    left = prepare_people(result.left.frame, nik_flagged=result.left.nik_flagged)
    right = prepare_people(result.right.frame, nik_flagged=result.right.nik_flagged)
    left, right = with_address_weights(left, right)
    columns = [c for c in (*LINK_COLUMNS, *ADDRESS_COLUMNS) if c not in ("alamat_kata", "alamat_bobot",
                                                                          "nama_panggilan")]
    return blocking(left[columns], right[columns], "unique_id", BLOCKING_RULES, truth)


def splink_blocking(left: pd.DataFrame, right: pd.DataFrame, truth: pd.DataFrame) -> tuple[float, int]:
    from benchmarks.baselines import _splink_input, splink_settings

    left, right = _splink_input(left), _splink_input(right)
    present = {c for c in ("nik", "nama", "tanggal_lahir", "jenis_kelamin", "alamat")
               if left[c].notna().any() and right[c].notna().any()}
    settings = splink_settings(present).get_settings("duckdb").as_dict()
    rules = [r["blocking_rule"] for r in settings["blocking_rules_to_generate_predictions"]]
    return blocking(left, right, "id", rules, truth)


def run_set(link_set) -> list[dict]:
    from satudata.linkage.files import load_person_list
    from satudata.linkage.pairs import link_files

    from benchmarks.baselines import run_timed, splink_documented

    ours = run_timed(lambda: link_files(link_set.left, link_set.right))
    recall, compared = ours_blocking(ours.value, link_set.truth)
    rows = [{"set": link_set.name, "method": "ours", "seconds": ours.seconds, "peak_mib": ours.peak_rss_added_mb,
             "blocking_recall": recall, "comparisons": compared, **_scores(ours.value.pairs, link_set.truth)}]
    left = load_person_list(link_set.left).frame
    right = load_person_list(link_set.right).frame
    theirs = run_timed(lambda: splink_documented(left, right, one_to_one=True))
    pairs = theirs.value.links.rename(columns={"id_dtks": "left_id", "id_individu_p3ke": "right_id"})
    recall, compared = splink_blocking(left, right, link_set.truth)
    rows.append({"set": link_set.name, "method": "Splink as documented", "seconds": theirs.seconds,
                 "peak_mib": theirs.peak_rss_added_mb, "blocking_recall": recall, "comparisons": compared,
                 **_scores(pairs, link_set.truth)})
    return rows


def table(rows: list[dict], sets: list) -> str:
    held = {s.name for s in sets if s.held_out}
    sizes = {s.name: s.rows for s in sets}
    head = (f"{'set':<24} {'rows':>17} {'method':<22} {'P':>7} {'R':>7} {'F1':>7} {'block R':>8} "
            f"{'comparisons':>12} {'seconds':>8} {'peak MB':>9}")
    lines = [head, "-" * len(head)]
    for row in rows:
        name = row["set"] + (" (held out)" if row["set"] in held else "")
        size = "{:,} x {:,}".format(*sizes[row["set"]])
        block = "-" if row["blocking_recall"] is None else f"{row['blocking_recall']:.4f}"
        comparisons = "-" if row["comparisons"] is None else f"{row['comparisons']:,}"
        lines.append(f"{name:<24} {size:>17} {row['method']:<22} {row['precision']:7.4f} {row['recall']:7.4f} "
                     f"{row['f1']:7.4f} {block:>8} {comparisons:>12} {row['seconds']:8.1f} {(row['peak_mib'] or 0):9.0f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.01, help="the generated province's scale")
    parser.add_argument("--no-febrl", action="store_true")
    parser.add_argument("--no-generator", action="store_true")
    parser.add_argument("--profiles", nargs="+", default=["biasa", "berat"])
    args = parser.parse_args(argv)
    _quiet()
    from benchmarks.link_sets import febrl_sets, generator_sets

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="satudata-bench-quality-") as tmp:
        sets = [] if args.no_febrl else febrl_sets(CACHE)
        if not args.no_generator:
            sets += [generator_sets(Path(tmp), args.scale, profile) for profile in args.profiles]
        rows = []
        for link_set in sets:
            rows += run_set(link_set)
            print(f"  {link_set.name}: done", file=sys.stderr, flush=True)
        print(table(rows, sets))
    print(f"\n(notes: FEBRL1-3 split originals / first duplicates; the generator's lists are DTKS persons vs P3KE "
          f"members of the whole province; run took {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
