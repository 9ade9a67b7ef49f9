"""How fast this machine runs a fixed workload: the scale between two benchmark runs made on different machines.

The record in `benchmarks/record/` was made on one machine, a new run is often made on another (the machines we
get differ: an Intel Xeon ran the 2026-12-06 record, an AMD EPYC took 1.4-2.8 times as long over the same
code). A stage's ratio then mixes the machine with the change. The gauge is a fixed piece of work of the
kinds the pipeline does (per-row Python, pandas, single-threaded DuckDB SQL), timed at the start of `make bench`:
`benchmarks.compare` divides every stage's ratio by the gauges' ratio beside the raw one. It is a scale, not
a verdict: stages differ in how they suffer from a slower machine (memory, cache, disk), so a stage is still
named on its raw ratio, and a run that differs from the record beyond the gauge is worth repeating both ways
on one machine (`git worktree`) before a stage is blamed.
"""

from __future__ import annotations

import time

ROUNDS = 3


def _python() -> int:
    counts: dict[str, int] = {}
    for i in range(800_000):
        word = f"desa-{i % 997}-{i % 13}"
        counts[word.upper()] = counts.get(word.upper(), 0) + len(word.split("-"))
    return len(counts)


def _pandas() -> int:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"kab": rng.integers(0, 300, 1_000_000).astype(str), "nilai": rng.random(1_000_000)})
    return len(frame.groupby("kab")["nilai"].agg(["sum", "mean", "count"]).merge(
        frame.drop_duplicates("kab"), left_index=True, right_on="kab"))


def _duckdb() -> int:
    import duckdb

    con = duckdb.connect(config={"threads": 1})
    try:
        return con.execute(
            "SELECT count(*) FROM (SELECT i % 1000 AS k, sum(i), string_agg(CAST(i AS VARCHAR), ',') "
            "FROM range(4000000) t(i) GROUP BY k)").fetchone()[0]
    finally:
        con.close()


def measure() -> float:
    """Seconds of the fixed workload, the fastest of a few rounds (the least disturbed by the machine's load)."""
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        _python()
        _pandas()
        _duckdb()
        best = min(best, time.perf_counter() - started)
    return round(best, 3)


if __name__ == "__main__":
    print(f"machine gauge: {measure():.3f} s")
