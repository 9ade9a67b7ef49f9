"""Compare a benchmark run with the record kept in the repository: every stage slower by more than 25 %, and
every stage whose peak memory grew by more than 25 % (and 100 MB).

    python -m benchmarks.compare [NEW.json] [--record benchmarks/record/quick.json] [--threshold 25]
                                 [--min-seconds 1.0]

NEW defaults to the last quick run (`benchmarks/record/last-quick.json`, written by
`make bench BENCH_ARGS=--quick`), the record to `benchmarks/record/quick.json`. A stage is matched by
benchmark, scale and name, so only the same stage at the same scale is compared. A stage under
`--min-seconds` in both runs is shown but not judged: at that size the timer's and the machine's noise
are larger than 25 %. Exit status: 0 when nothing is slower or larger, 1 when a stage is, 2 when the files
cannot be compared (no stage in common, unreadable file).

Wall time on a shared two-core machine moves with the load: both files carry the load average at the
start and end of their run; a run under a much higher load than the record's is worth repeating before
a stage is blamed. It moves with the machine too: both files carry the CPU and the time of a fixed workload
(`benchmarks.gauge`); where the gauges differ, every ratio is also shown divided by theirs, and the stages
slower beyond the machine's difference are named apart. A stage is still judged on its raw ratio (stages
differ in how a slower machine slows them): on another machine, repeat both commits there before blaming one.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

RECORD_DIR = Path(__file__).resolve().parent / "record"
FORMAT = "satudata-bench-record/1"
MIN_MORE_MB = 100  # a larger peak counts only beyond this too: a small stage's peak moves by tens of MB


def load(path: Path) -> dict:
    data = json.loads(Path(path).read_text())
    if data.get("format") != FORMAT:
        raise ValueError(f"{path}: not a benchmark record of format {FORMAT!r}")
    return data


def key(stage: dict) -> tuple:
    return stage["benchmark"], stage.get("scale"), stage["stage"]


def gauge_ratio(record: dict, new: dict) -> float | None:
    """How much longer the new run's machine took over the fixed workload than the record's (None: a file
    without a gauge)."""
    before, now = (d.get("run", {}).get("machine", {}).get("gauge_seconds") for d in (record, new))
    return now / before if before and now else None


def _larger(before: float | None, now: float | None, threshold: float) -> bool:
    return bool(before and now) and now > before * (1 + threshold / 100) and now - before > MIN_MORE_MB


def compare(record: dict, new: dict, *, threshold: float = 25.0, min_seconds: float = 1.0) -> dict:
    """The stages of both runs side by side; `slower` names those over the threshold, `larger` those whose
    peak memory grew over it, `beyond_machine` the slower ones still over it once divided by the gauges'
    ratio (only where both runs have a gauge)."""
    old = {key(s): s for s in record["stages"]}
    machine = gauge_ratio(record, new)
    rows, slower, unjudged, larger, beyond = [], [], [], [], []
    for stage in new["stages"]:
        before = old.get(key(stage))
        if before is None:
            continue
        ratio = stage["seconds"] / before["seconds"] if before["seconds"] else None
        judged = max(stage["seconds"], before["seconds"]) >= min_seconds
        over = judged and ratio is not None and ratio > 1 + threshold / 100
        row = {"key": key(stage), "before": before["seconds"], "now": stage["seconds"], "ratio": ratio,
               "adjusted": ratio / machine if ratio is not None and machine else None,
               "judged": judged, "slower": over, "rows_before": before.get("rows"), "rows_now": stage.get("rows"),
               "rss_before": before.get("peak_rss_mb"), "rss_now": stage.get("peak_rss_mb")}
        row["larger"] = _larger(row["rss_before"], row["rss_now"], threshold)
        rows.append(row)
        (slower if over else unjudged if not judged else []).append(row)
        if row["larger"]:
            larger.append(row)
        if over and row["adjusted"] is not None and row["adjusted"] > 1 + threshold / 100:
            beyond.append(row)
    new_keys = {key(s) for s in new["stages"]}
    return {"rows": rows, "slower": slower, "unjudged": unjudged, "larger": larger, "beyond_machine": beyond,
            "machine": machine, "only_record": [k for k in old if k not in new_keys],
            "only_new": [key(s) for s in new["stages"] if key(s) not in old]}


def _name(k: tuple) -> str:
    benchmark, scale, stage = k
    return f"{benchmark} @ {scale}: {stage}" if scale is not None else f"{benchmark}: {stage}"


def _run_line(label: str, data: dict) -> str:
    run = data.get("run", {})
    load = run.get("load", {})
    commit = (run.get("commit") or "?")[:10] + (" (uncommitted changes)" if run.get("dirty") else "")
    return (f"{label:<7} {run.get('started', '?')}  commit {commit}  load {load.get('start', '?')} -> "
            f"{load.get('end', '?')}  {run.get('machine', {}).get('summary', '')}")


def _machine_lines(result: dict, record: dict, new: dict) -> list[str]:
    cpus = [d.get("run", {}).get("machine", {}).get("cpu") for d in (record, new)]
    lines = []
    if all(cpus) and cpus[0] != cpus[1]:
        lines.append(f"the record was made on another CPU ({cpus[0]}; now {cpus[1]}): every ratio mixes the "
                     "machine with the change")
    if result["machine"] is not None:
        lines.append(f"machine gauge (benchmarks.gauge): this machine took x{result['machine']:.2f} the record's time "
                     "over the same fixed work; '÷gauge' is each ratio divided by that")
    return lines


def _row_line(row: dict) -> str:
    ratio = f"{row['ratio']:.2f}" if row["ratio"] is not None else "-"
    adjusted = f"{row['adjusted']:.2f}" if row["adjusted"] is not None else "-"
    marks = [m for m, on in (("SLOWER", row["slower"]), ("MORE MEMORY", row["larger"]),
                             ("(too short to judge)", not row["judged"])) if on]
    rows = "" if row["rows_now"] is None else f"{row['rows_before']:,} -> {row['rows_now']:,}"
    rss = "" if row["rss_now"] is None else f", {row['rss_before']} -> {row['rss_now']}"
    return (f"  {_name(row['key']):<52} {row['before']:>9.1f} {row['now']:>9.1f} {ratio:>8} {adjusted:>7}  "
            f"{rows}{rss}" + "".join(f"  {m}" for m in marks))


def report(result: dict, record: dict, new: dict, *, threshold: float) -> str:
    lines = [_run_line("record", record), _run_line("new", new), *_machine_lines(result, record, new), "",
             (f"  {'stage':<52} {'record s':>9} {'new s':>9} {'new/rec':>8} {'÷gauge':>7}  "
              "rows (record -> new), peak RSS MB")]
    lines += [_row_line(row) for row in result["rows"]]
    for label, keys in (("only in the record (not run now)", result["only_record"]),
                        ("new (not in the record)", result["only_new"])):
        if keys:
            lines += ["", f"{label}: " + "; ".join(_name(k) for k in keys)]
    lines.append("")
    if result["slower"]:
        lines.append(f"{len(result['slower'])} stage(s) slower than the record by more than {threshold:.0f} %: "
                     + "; ".join(f"{_name(r['key'])} ({r['before']:.1f} s -> {r['now']:.1f} s, x{r['ratio']:.2f})"
                                 for r in result["slower"]))
        if result["machine"] is not None:
            beyond = result["beyond_machine"]
            lines.append(f"  of them slower beyond the machine's difference (÷gauge over {1 + threshold / 100:.2f}): "
                         + ("; ".join(f"{_name(r['key'])} (x{r['adjusted']:.2f})" for r in beyond) or "none"))
    else:
        lines.append(f"no stage slower than the record by more than {threshold:.0f} % "
                     f"({len(result['rows']) - len(result['unjudged'])} judged, {len(result['unjudged'])} too short)")
    if result["larger"]:
        lines.append(f"{len(result['larger'])} stage(s) with a peak memory over the record's by more than "
                     f"{threshold:.0f} % and {MIN_MORE_MB} MB: "
                     + "; ".join(f"{_name(r['key'])} ({r['rss_before']} MB -> {r['rss_now']} MB)"
                                 for r in result["larger"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compare", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("new", nargs="?", type=Path, default=RECORD_DIR / "last-quick.json")
    parser.add_argument("--record", type=Path, default=RECORD_DIR / "quick.json")
    parser.add_argument("--threshold", type=float, default=25.0, help="percent slower that counts (default 25)")
    parser.add_argument("--min-seconds", type=float, default=1.0,
                        help="stages shorter than this in both runs are not judged (default 1.0)")
    args = parser.parse_args(argv)
    try:
        record, new = load(args.record), load(args.new)
    except (OSError, ValueError) as exc:
        print(f"cannot compare: {exc}", file=sys.stderr)
        return 2
    result = compare(record, new, threshold=args.threshold, min_seconds=args.min_seconds)
    print(report(result, record, new, threshold=args.threshold))
    if not result["rows"]:
        print("no stage at the same scale in both files", file=sys.stderr)
        return 2
    return 1 if result["slower"] or result["larger"] else 0


if __name__ == "__main__":
    sys.exit(main())
