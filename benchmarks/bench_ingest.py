"""Intake throughput end to end: a generated province through `ingest_once` (archive, read, GX, stage, report).

    python -m benchmarks.bench_ingest [--scale 0.01] [--warehouse duckdb|postgresql]

Prints, per jenis: files, rows in, wall time, rows per second; and the peak memory of the process.
No assertions: figures to read and to keep in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path


def run(scale: float, warehouse: str, seed: int = 7, keep: bool = False) -> dict:
    os.environ["SATUDATA_STABLE_SECONDS"] = "0"
    from satudata.config import Settings
    from satudata.generate import generate_province
    from satudata.intake.process import IntakeOptions, ingest_once, list_submissions
    from satudata.warehouse.bootstrap import init_warehouse

    root = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        url = f"duckdb:///{root / 'warehouse.duckdb'}"
        admin = None
        if warehouse == "postgresql":
            import sqlalchemy as sa

            admin = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                                     isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text("DROP DATABASE IF EXISTS satudata_bench"))
                conn.execute(sa.text("CREATE DATABASE satudata_bench"))
            url = "postgresql+psycopg://postgres@127.0.0.1:5432/satudata_bench"
        settings = Settings(data_dir=root / "data", warehouse_url=url)
        started = time.perf_counter()
        generate_province(settings.data_dir, province="52", scale=scale, seed=seed, period="2026-11")
        generated = time.perf_counter() - started
        init_warehouse(url)
        started = time.perf_counter()
        ingest_once(settings, options=IntakeOptions(stable_seconds=0))
        elapsed = time.perf_counter() - started
        per_jenis: dict[str, dict] = defaultdict(lambda: {"files": 0, "rows": 0, "accepted": 0})
        for item in list_submissions(settings):
            bucket = per_jenis[item["jenis"]]
            bucket["files"] += 1
            bucket["rows"] += item["rows_total"]
            bucket["accepted"] += item["rows_accepted"]
        total_rows = sum(b["rows"] for b in per_jenis.values())
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        result = {
            "scale": scale, "warehouse": warehouse, "generate_s": generated, "ingest_s": elapsed,
            "rows": total_rows, "rows_per_s": total_rows / elapsed if elapsed else 0.0, "peak_mb": peak_mb,
            "per_jenis": dict(per_jenis),
        }
        if admin is not None:
            import sqlalchemy as sa

            with admin.connect() as conn:
                conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                     "WHERE datname = 'satudata_bench'"))
                conn.execute(sa.text("DROP DATABASE IF EXISTS satudata_bench"))
            admin.dispose()
        return result
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--warehouse", choices=["duckdb", "postgresql"], default="duckdb")
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    result = run(args.scale, args.warehouse)
    print(f"intake of a generated NTB province at scale {result['scale']} into {result['warehouse']}")
    print(f"  generator: {result['generate_s']:.1f} s")
    print(f"  ingest:    {result['ingest_s']:.1f} s for {result['rows']:,} rows "
          f"= {result['rows_per_s']:,.0f} rows/s (archive, read, GX, stage, report), peak RSS {result['peak_mb']:.0f} MB")
    for jenis, bucket in sorted(result["per_jenis"].items()):
        print(f"  {jenis:<11} {bucket['files']:>4} files {bucket['rows']:>10,} rows {bucket['accepted']:>10,} staged")


if __name__ == "__main__":
    main()
