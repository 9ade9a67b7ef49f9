"""`make bench`: run the benchmarks and keep their figures in docs/benchmarks.md.

Each benchmark prints its own table; this runner captures them with the machine and the date. The
whole pipeline at three scales dominates (about an hour on 2 cores). Benchmarks that go deeper into one
stage run on their own, e.g. `python -m benchmarks.bench_ingest --scale 0.01 --warehouse postgresql`,
`python -m benchmarks.bench_link quality --scale 0.05` (family links, by method),
`python -m benchmarks.bench_link speed --scale 0.7` (the largest regency alone),
`python -m benchmarks.bench_celery` (the mapped tasks on 1 and 2 Celery worker processes).
`make bench BENCH_ARGS=--quick` runs the pipeline at 1 % and 10 % only.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = [
    ("Reading regency files (CSV and xlsx; calamine vs openpyxl)", ["-m", "benchmarks.bench_read"]),
    (("Linkage beyond our generator: FEBRL1-4 (FEBRL4 held out) and the generator's lists (defect profiles biasa "
      "and berat) at ~160k x 122k rows, ours against Splink as documented"),
     ["-m", "benchmarks.bench_quality", "--scale", "0.075"]),
    ("Konvergensi vs kebenaran generator (NTB at 1 %, two periods: generate, ingest, harmonise, konvergensi)",
     ["-m", "benchmarks.bench_konvergensi", "--scale", "0.01"]),
    (("The whole pipeline at NTB 1 %, 10 % and 100 %, stage by stage, with the baselines side by side "
      "(growth and targets)"),
     ["-m", "benchmarks.bench_pipeline", "--scales", "0.01", "0.1", "1.0"]),
]


def machine() -> str:
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {mem_gib:.0f} GiB, Python {platform.python_version()}, {platform.platform()}"


def main(argv: list[str] | None = None) -> int:
    quick = "--quick" in (sys.argv[1:] if argv is None else argv)
    sections = [f"# Benchmarks\n\nMeasured by `make bench` on {dt.date.today():%Y-%m-%d}: {machine()}.\n"]
    failed = 0
    for title, args in BENCHMARKS:
        if quick and "1.0" in args:
            title, args = title.replace(" and 100 %", ""), [a for a in args if a != "1.0"]
        if quick and "benchmarks.bench_quality" in args:
            title, args = title.replace("~160k x 122k rows", "1 %"), ["-m", "benchmarks.bench_quality"]
        print(f"== {title}", flush=True)
        # Lines are shown as they come (the long runs print per scale); stderr is kept for a failure.
        with tempfile.TemporaryFile(mode="w+") as errors:
            proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=errors,
                                    text=True)
            out = []
            for line in proc.stdout:
                print(line, end="", flush=True)
                out.append(line)
            returncode = proc.wait()
            if returncode != 0:
                failed += 1
                errors.seek(0)
                print(errors.read()[-3000:], file=sys.stderr)
        body = "".join(out).strip() or f"(failed: exit {returncode})"
        sections.append(f"## {title}\n\n```\n{body}\n```\n")
    target = ROOT / "docs" / "benchmarks.md"
    target.write_text("\n".join(sections))
    print(f"figures written to {target}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
