"""`make bench`: run the benchmarks, keep their figures, and compare them with the record in the repository.

Each benchmark prints its own table; this runner captures them with the machine and the date. The
whole pipeline at three scales dominates (about an hour on 2 cores). Benchmarks that go deeper into one
stage run on their own, e.g. `python -m benchmarks.bench_ingest --scale 0.01 --warehouse postgresql`,
`python -m benchmarks.bench_link quality --scale 0.05` (family links, by method),
`python -m benchmarks.bench_link speed --scale 0.7` (the largest regency alone),
`python -m benchmarks.bench_celery` (the mapped tasks on 1 and 2 Celery worker processes).

    make bench BENCH_ARGS=--quick            # the pipeline at 1 % and 10 %, the others at their small sizes
    make bench BENCH_ARGS="--quick --keep"   # ... and make this run the record (commit it with the change)

Every run writes its figures as JSON, per stage (benchmark, scale, stage, rows, seconds, peak RSS) with
the date, commit, machine and load, to `benchmarks/record/last-quick.json` (or `last-full.json`), and
compares them with the record kept in the repository, `benchmarks/record/quick.json` (`full.json`):
every stage slower by more than 25 % at the same scale is named, and the exit status is then 1
(`python -m benchmarks.compare` does the same for any two files). `--keep` copies the run over the record.
Only the full run rewrites docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import gauge
from benchmarks.compare import FORMAT, RECORD_DIR

ROOT = Path(__file__).resolve().parents[1]
PIPELINE = "benchmarks.bench_pipeline"
BENCHMARKS = [
    ("Reading regency files (CSV and xlsx; calamine vs openpyxl)", ["-m", "benchmarks.bench_read"]),
    (("Linkage beyond our generator: FEBRL1-4 (FEBRL4 held out) and the generator's lists (defect profiles biasa "
      "and berat) at ~160k x 122k rows, ours against Splink as documented"),
     ["-m", "benchmarks.bench_quality", "--scale", "0.075"]),
    ("Konvergensi vs kebenaran generator (NTB at 1 %, two periods: generate, ingest, harmonise, konvergensi)",
     ["-m", "benchmarks.bench_konvergensi", "--scale", "0.01"]),
    (("The whole pipeline at NTB 1 %, 10 % and 100 %, stage by stage, with the baselines side by side "
      "(growth and targets)"),
     ["-m", PIPELINE, "--scales", "0.01", "0.1", "1.0"]),
]


def machine() -> dict:
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor())
    summary = f"{os.cpu_count()} cores, {mem_gib:.0f} GiB, Python {platform.python_version()}, {platform.platform()}"
    return {"cores": os.cpu_count(), "memory_gib": round(mem_gib, 1), "cpu": cpu,
            "python": platform.python_version(), "platform": platform.platform(), "summary": summary}


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def plan(quick: bool) -> list[tuple[str, list[str]]]:
    """The benchmarks of this run: the quick one leaves out the pipeline at 100 % and links at 1 %."""
    chosen = []
    for title, args in BENCHMARKS:
        if quick and "1.0" in args:
            title, args = title.replace(" and 100 %", ""), [a for a in args if a != "1.0"]
        if quick and "benchmarks.bench_quality" in args:
            title, args = title.replace("~160k x 122k rows", "1 %"), ["-m", "benchmarks.bench_quality"]
        chosen.append((title, args))
    return chosen


def run_one(args: list[str]) -> dict:
    """One benchmark in a process of its own, its lines shown as they come; wall and CPU time, peak RSS."""
    started = time.perf_counter()
    # stderr is kept for a failure only
    with tempfile.TemporaryFile(mode="w+") as errors:
        proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=errors, text=True)
        out = []
        for line in proc.stdout:
            print(line, end="", flush=True)
            out.append(line)
        proc.stdout.close()
        # wait4 gives this child's own resource use (its CPU time and peak RSS, children included)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            errors.seek(0)
            print(errors.read()[-3000:], file=sys.stderr)
    return {"returncode": proc.returncode, "text": "".join(out).strip(),
            "seconds": round(time.perf_counter() - started, 1),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1), "peak_rss_mb": round(usage.ru_maxrss / 1024)}


def _scale(args: list[str]) -> float | None:
    return float(args[args.index("--scale") + 1]) if "--scale" in args else None


def stages_of(args: list[str], result: dict, pipeline_json: Path | None) -> list[dict]:
    """The record's entries for one benchmark: the whole run, and the pipeline's stages per scale."""
    name = args[1].removeprefix("benchmarks.")
    entries = []
    if pipeline_json is None:
        entries.append({"benchmark": name, "scale": _scale(args), "stage": "whole run", "rows": None,
                        "seconds": result["seconds"], "cpu_seconds": result["cpu_seconds"],
                        "peak_rss_mb": result["peak_rss_mb"]})
    elif pipeline_json.exists():
        for scale in json.loads(pipeline_json.read_text()):
            for s in scale["stages"]:
                entries.append({"benchmark": "pipeline", "scale": scale["scale"], "stage": s["name"],
                                "rows": s["rows_in"], "seconds": s["seconds"], "peak_rss_mb": s["peak_rss_mb"]})
    return entries


def record_and_compare(record: dict, kind: str, keep: bool) -> int:
    """Write the run to last-<kind>.json, compare it with <kind>.json; `keep` makes it the record."""
    from benchmarks import compare

    RECORD_DIR.mkdir(exist_ok=True)
    last, kept = RECORD_DIR / f"last-{kind}.json", RECORD_DIR / f"{kind}.json"
    last.write_text(json.dumps(record, indent=1) + "\n")
    print(f"figures written to {last.relative_to(ROOT)}")
    code = 0
    if kept.exists():
        print(f"\n== compared with the record {kept.relative_to(ROOT)}", flush=True)
        code = compare.main([str(last), "--record", str(kept)])
    else:
        print(f"no record {kept.relative_to(ROOT)} yet to compare with")
    if keep:
        shutil.copyfile(last, kept)
        print(f"this run is now the record: {kept.relative_to(ROOT)} (commit it with the change)")
        return 0
    return 1 if code == 1 else 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    quick, keep = "--quick" in argv, "--keep" in argv
    started, load_start = dt.datetime.now(dt.UTC), _load()
    info = machine()
    info["gauge_seconds"] = gauge.measure()  # before the benchmarks, on a quiet machine (benchmarks.gauge)
    sections = [f"# Benchmarks\n\nMeasured by `make bench` on {dt.date.today():%Y-%m-%d}: {info['summary']}.\n"]
    failed, entries = 0, []
    with tempfile.TemporaryDirectory(prefix="satudata-bench-") as tmp:
        for title, args in plan(quick):
            print(f"== {title}", flush=True)
            pipeline_json = Path(tmp) / "pipeline.json" if args[1] == PIPELINE else None
            if pipeline_json is not None:
                args = [*args, "--json", str(pipeline_json)]
            result = run_one(args)
            failed += result["returncode"] != 0
            entries += stages_of(args, result, pipeline_json) if result["returncode"] == 0 else []
            body = result["text"] or f"(failed: exit {result['returncode']})"
            sections.append(f"## {title}\n\n```\n{body}\n```\n")
    if not quick:
        target = ROOT / "docs" / "benchmarks.md"
        target.write_text("\n".join(sections))
        print(f"figures written to {target}")
    commit = _git("rev-parse", "HEAD")
    record = {"format": FORMAT,
              "run": {"command": "make bench" + (" BENCH_ARGS=--quick" if quick else ""),
                      "started": started.isoformat(timespec="seconds"),
                      "seconds": round((dt.datetime.now(dt.UTC) - started).total_seconds()),
                      "commit": commit, "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
                      "machine": info, "load": {"start": load_start, "end": _load()}, "failed": failed},
              "stages": entries}
    code = record_and_compare(record, "quick" if quick else "full", keep and not failed)
    return 1 if failed else code


if __name__ == "__main__":
    sys.exit(main())
