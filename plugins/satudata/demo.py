"""`make demo`: a synthetic province through the real DAGs, on an embedded Airflow and DuckDB.

Run as `python -m satudata.demo [--scale S] [--seed N] [--period YYYY-MM]`.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from satudata.config import PROJECT_ROOT, Settings

DAG_ORDER = ("satudata_ingest", "satudata_harmonise", "satudata_konvergensi", "satudata_publish")


def _say(message: str = "") -> None:
    print(message, flush=True)


def _warehouse_summary(url: str) -> dict[str, int]:
    import sqlalchemy as sa

    from satudata.warehouse.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                "core.wilayah": conn.execute(sa.text("SELECT count(*) FROM core.wilayah")).scalar_one(),
                "core.program": conn.execute(sa.text("SELECT count(*) FROM core.program")).scalar_one(),
                "core.penduduk_kabupaten": conn.execute(
                    sa.text("SELECT count(*) FROM core.penduduk_kabupaten")
                ).scalar_one(),
            }
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="satudata-demo", description=__doc__)
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--period", default="2026-11")
    parser.add_argument("--province", default="52")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    settings = Settings.from_env()
    settings.ensure_folders()
    airflow_home = Path(PROJECT_ROOT / ".airflow")

    from satudata import airflow_local

    airflow_local.configure(airflow_home)

    _say(f"== Satu Data Kemiskinan demo: province {args.province}, scale {args.scale}, period {args.period}")
    _say(f"   data folder: {settings.data_dir}")
    _say(f"   warehouse:   {settings.warehouse_url}")

    from satudata.generate import generate_province

    started = time.perf_counter()
    summary = generate_province(
        settings.data_dir, province=args.province, scale=args.scale, seed=args.seed, period=args.period
    ).to_dict()
    _say(f"\n1. Generated a synthetic province in {time.perf_counter() - started:.1f} s:")
    _say(json.dumps(summary.get("totals", summary), indent=2, ensure_ascii=False, default=str))

    _say("\n2. Airflow metadata DB (SQLite) and pools ...")
    airflow_local.prepare_metadata_db()
    dags = airflow_local.load_dags()

    _say("\n3. Running the DAGs through Airflow (dag.test):")
    states = {}
    for dag_id in DAG_ORDER:
        started = time.perf_counter()
        states[dag_id] = airflow_local.run_dag(dags[dag_id])
        _say(f"   {dag_id:<24} {states[dag_id]:<10} {time.perf_counter() - started:6.1f} s")

    _say("\n4. Warehouse:")
    for table, rows in _warehouse_summary(settings.warehouse_url).items():
        _say(f"   {table:<28} {rows:>8} rows")

    _say("\nWhere to look:")
    _say(f"   inbox (regency files):  {settings.folder('inbox')}")
    _say(f"   truth of the generator: {settings.data_dir / 'truth' / args.period}")
    _say(f"   warehouse (DuckDB):     {settings.warehouse_url.removeprefix('duckdb:///')}")
    _say(f"   Airflow home:           {airflow_home}  (UI: `make airflow-ui`)")
    failed = [d for d, s in states.items() if "success" not in s]
    if failed:
        _say(f"\nFAILED: {failed}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
