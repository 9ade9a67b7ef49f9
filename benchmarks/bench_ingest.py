"""Intake throughput end to end: a generated province through `ingest_once` (archive, read, GX, stage, report).

    python -m benchmarks.bench_ingest [--scale 0.01] [--warehouse duckdb|postgresql] [--workers N]

Prints, per jenis: files, rows in, wall time, rows per second; the peak memory of the process; and the fixed
cost per file: a least-squares line through each file's processing time (between consecutive `processed_at`
of the ledger) against its rows, the first file (which loads GX and sets its project up) left out; only
with `--workers 1`, since files of two regencies processed side by side overlap in time. `--workers` sets
SATUDATA_WORKERS (default: the machine's, up to two).
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
    from satudata.intake.run import IntakeOptions, ingest_once, list_submissions
    from satudata.warehouse.bootstrap import init_warehouse
    from satudata_dev.generate import generate_province

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
        fixed, per_row = per_file_cost(settings)
        peak_mb = max(resource.getrusage(who).ru_maxrss / 1024
                      for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
        result = {
            "scale": scale, "warehouse": warehouse, "generate_s": generated, "ingest_s": elapsed,
            "rows": total_rows, "rows_per_s": total_rows / elapsed if elapsed else 0.0, "peak_mb": peak_mb,
            "per_jenis": dict(per_jenis), "fixed_s_per_file": fixed, "us_per_row": per_row,
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


def per_file_cost(settings) -> tuple[float | None, float | None]:
    """(seconds per file beyond its rows, microseconds per row): least squares over the files processed one
    after another, each timed from the previous one's `processed_at` to its own."""
    import numpy as np
    import pandas as pd
    from satudata.warehouse.engine import make_engine, read_frame

    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            done = read_frame(conn, "SELECT rows_total, processed_at FROM meta.submission "
                                    "WHERE processed_at IS NOT NULL ORDER BY processed_at")
    finally:
        engine.dispose()
    seconds = pd.to_datetime(done["processed_at"]).diff().dt.total_seconds().to_numpy()[1:]
    rows = done["rows_total"].fillna(0).astype(float).to_numpy()[1:]
    if len(rows) < 3:
        return None, None
    fixed, slope = np.linalg.lstsq(np.vstack([np.ones_like(rows), rows]).T, seconds, rcond=None)[0]
    return float(fixed), float(slope * 1e6)


def write_big_dtks_csv(path: Path, rows: int, seed: int = 1) -> None:
    """A DTKS extract of `rows` valid person rows for Kabupaten Dompu, written fast (vectorised)."""
    import numpy as np
    import pandas as pd
    from satudata.reference.wilayah import Wilayah

    rng = np.random.default_rng(seed)
    desa = np.array(Wilayah.load().descendants("5205", "desa"))
    i = np.arange(rows)
    female = rng.random(rows) < 0.5
    born = pd.to_datetime("1940-01-01") + pd.to_timedelta(rng.integers(0, 30_000, rows), unit="D")
    day = born.day.to_numpy() + np.where(female, 40, 0)
    kec = pd.Series(desa[i // 4 % len(desa)]).str[:6].to_numpy()
    nik = (pd.Series(kec) + pd.Series(day).map("{:02d}".format) + pd.Series(born.strftime("%m%y"))
           + pd.Series(i % 9999 + 1).map("{:04d}".format))
    frame = pd.DataFrame({
        "IDDTKS": pd.Series(i).map("D{:09d}".format),
        "KODE DESA": desa[i // 4 % len(desa)],
        "ALAMAT": "Dusun Baru RT 001",
        "NO KK": pd.Series(kec) + "0101" + pd.Series(i // 4 % 99 + 10).astype(str) + pd.Series(
            i // 4 % 9999 + 1).map("{:04d}".format),
        "NIK": nik,
        "NAMA": np.where(female, "Baiq Nurul Aini", "Lalu Muhammad Saleh"),
        "JNS_KEL": np.where(female, "P", "L"),
        "TGL_LHR": born.strftime("%d-%m-%Y"),
        "HUB_KEL": np.where(i % 4 == 0, "Kepala Keluarga", "Anak"),
    })
    # A NIK repeats every 9999 rows in the same kecamatan: make the serial unique per block instead.
    frame = frame.drop_duplicates("NIK")
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)


def run_big_csv(rows: int) -> dict:
    """One large DTKS CSV through intake: throughput and peak memory of a streamed file."""
    os.environ["SATUDATA_STABLE_SECONDS"] = "0"
    from satudata.config import Settings
    from satudata.intake.run import IntakeOptions, ingest_once, list_submissions
    from satudata.warehouse.bootstrap import init_warehouse

    root = Path(tempfile.mkdtemp(prefix="bench-big-"))
    try:
        settings = Settings(data_dir=root / "data", warehouse_url=f"duckdb:///{root / 'warehouse.duckdb'}")
        path = settings.data_dir / "inbox" / "5205" / "dtks" / "dtks_5205_2026-11.csv"
        write_big_dtks_csv(path, rows)
        size_mb = path.stat().st_size / 2**20
        init_warehouse(settings.warehouse_url)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        ingest_once(settings, options=IntakeOptions(stable_seconds=0))
        elapsed = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        item = list_submissions(settings)[0]
        return {"rows": item["rows_total"], "staged": item["rows_accepted"], "status": item["status"],
                "size_mb": size_mb, "seconds": elapsed, "rows_per_s": item["rows_total"] / elapsed,
                "peak_mb": peak, "peak_before_mb": before}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--warehouse", choices=["duckdb", "postgresql"], default="duckdb")
    parser.add_argument("--big-csv", type=int, default=0, help="instead: one DTKS CSV of this many rows")
    parser.add_argument("--workers", type=int, default=None, help="SATUDATA_WORKERS for the run")
    args = parser.parse_args()
    if args.workers is not None:
        os.environ["SATUDATA_WORKERS"] = str(args.workers)
    import logging

    logging.basicConfig(level=logging.WARNING)
    if args.big_csv:
        r = run_big_csv(args.big_csv)
        print(f"one DTKS CSV of {r['rows']:,} rows ({r['size_mb']:.0f} MB) through intake into duckdb: "
              f"{r['status']}, {r['staged']:,} staged")
        print(f"  {r['seconds']:.1f} s = {r['rows_per_s']:,.0f} rows/s; peak RSS {r['peak_mb']:.0f} MB "
              f"({r['peak_before_mb']:.0f} MB before the file was read)")
        return
    result = run(args.scale, args.warehouse)
    print(f"intake of a generated NTB province at scale {result['scale']} into {result['warehouse']}")
    print(f"  generator: {result['generate_s']:.1f} s")
    print(f"  ingest:    {result['ingest_s']:.1f} s for {result['rows']:,} rows "
          f"= {result['rows_per_s']:,.0f} rows/s (archive, read, GX, stage, report), "
          f"peak RSS {result['peak_mb']:.0f} MB (the largest process)")
    from satudata.warehouse.workers import worker_count

    if worker_count() > 1:
        print(f"  per file:  not measured on {worker_count()} worker processes (--workers 1 measures it)")
    elif result["fixed_s_per_file"] is not None:
        files = sum(b["files"] for b in result["per_jenis"].values())
        print(f"  per file:  {result['fixed_s_per_file']:.2f} s fixed + {result['us_per_row']:.0f} us per row "
              f"(least squares over {files - 1} files; the first, which sets GX up, left out)")
    for jenis, bucket in sorted(result["per_jenis"].items()):
        print(f"  {jenis:<11} {bucket['files']:>4} files {bucket['rows']:>10,} rows {bucket['accepted']:>10,} staged")


if __name__ == "__main__":
    main()
