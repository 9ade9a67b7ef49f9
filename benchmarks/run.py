"""`make bench`: run the benchmarks and keep their figures in docs/benchmarks.md.

Each benchmark prints its own table; this runner captures them with the machine and the date.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = [
    ("Reading regency files (CSV and xlsx; calamine vs openpyxl)", ["-m", "benchmarks.bench_read"]),
    ("Intake end to end (generated NTB at 1 %, DuckDB)", ["-m", "benchmarks.bench_ingest", "--scale", "0.01"]),
    ("Intake end to end (generated NTB at 1 %, PostgreSQL)",
     ["-m", "benchmarks.bench_ingest", "--scale", "0.01", "--warehouse", "postgresql"]),
    ("Harmonisation quality against the generator's truth (NTB at 5 %: generate, ingest, harmonise)",
     ["-m", "benchmarks.bench_link", "quality", "--scale", "0.05"]),
    ("Linkage speed, one regency ~300 k a side (Lombok Timur at 70 %)",
     ["-m", "benchmarks.bench_link", "speed", "--scale", "0.7"]),
    ("Konvergensi vs kebenaran generator (NTB at 1 %, two periods: generate, ingest, harmonise, konvergensi)",
     ["-m", "benchmarks.bench_konvergensi", "--scale", "0.01"]),
]


def machine() -> str:
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {mem_gib:.0f} GiB, Python {platform.python_version()}, {platform.platform()}"


def main() -> int:
    sections = [f"# Benchmarks\n\nMeasured by `make bench` on {dt.date.today():%Y-%m-%d}: {machine()}.\n"]
    failed = 0
    for title, args in BENCHMARKS:
        print(f"== {title}", flush=True)
        proc = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, check=False)
        print(proc.stdout, flush=True)
        if proc.returncode != 0:
            failed += 1
            print(proc.stderr[-3000:], file=sys.stderr)
        body = proc.stdout.strip() or f"(failed: exit {proc.returncode})"
        sections.append(f"## {title}\n\n```\n{body}\n```\n")
    out = ROOT / "docs" / "benchmarks.md"
    out.write_text("\n".join(sections))
    print(f"figures written to {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
