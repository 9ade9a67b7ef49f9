"""Harmonisation benchmarks: link quality on a generated province, and linkage speed on one big regency.

    python -m benchmarks.bench_link quality --scale 0.05     # generate, ingest, harmonise, score vs truth
    python -m benchmarks.bench_link speed --scale 0.7        # one regency's DTKS vs P3KE (~300 k a side)

Quality runs the real path (intake into DuckDB, then `harmonise`, the steps the DAG runs) and scores
person and family links against the generator's truth (`benchmarks.link_quality`). Speed reads the
largest regency's two files with the intake reader (no validation, no warehouse) and times
`prepare_people` and `link_people` in a fresh process, reporting its peak memory and the candidate
pairs the blocking rules generate. Figures are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _quiet() -> None:
    logging.basicConfig(level=logging.WARNING)
    for name in ("splink", "great_expectations", "alembic", "satudata"):
        logging.getLogger(name).setLevel(logging.WARNING)


PERSON_DEFECTS = ("nik_excel_number", "nik_transposed", "nik_typo", "nik_missing", "date_day_month_swapped",
                  "placeholder_birth_date", "name_title", "name_variant")


def quality(scale: float, workdir: Path, periode: str = "2026-11", defect_multiplier: float = 1.0) -> dict:
    from satudata.config import Settings
    from satudata.generate import generate_province
    from satudata.harmonise.run import harmonise, period_summary
    from satudata.intake.process import IntakeOptions, ingest_once
    from satudata.warehouse.bootstrap import init_warehouse

    from benchmarks.link_quality import evaluate_url

    settings = Settings(data_dir=workdir / "data", warehouse_url=f"duckdb:///{workdir / 'data' / 'warehouse.duckdb'}")
    settings.ensure_folders()
    t0 = time.perf_counter()
    from satudata.generate.params import DEFAULT_DEFECT_RATES

    rates = {d: min(DEFAULT_DEFECT_RATES[d] * defect_multiplier, 0.5) for d in PERSON_DEFECTS}
    generated = generate_province(settings.data_dir, scale=scale, period=periode, defect_rates=rates)
    t1 = time.perf_counter()
    init_warehouse(settings.warehouse_url)
    ingest_once(settings, options=IntakeOptions(stable_seconds=0))
    t2 = time.perf_counter()
    result = harmonise(settings, periode)
    t3 = time.perf_counter()
    scores = evaluate_url(settings.warehouse_url, settings.data_dir / "truth" / periode, periode)
    summary = period_summary(settings, periode)
    link_seconds = sum(r["seconds_total"] for r in result["link"].values())
    build_seconds = sum(r["seconds"] for r in result["build"].values())
    return {
        "scale": scale, "person_defect_rates": rates, "true_people": generated.to_dict().get("totals", {}),
        "seconds": {"generate": round(t1 - t0, 1), "ingest": round(t2 - t1, 1), "harmonise": round(t3 - t2, 1),
                    "link_regencies": round(link_seconds, 1),
                    "link_province": result["province"]["seconds_total"], "build": round(build_seconds, 1)},
        "people": scores["people"], "families": scores["families"], "by_method": scores["by_method"],
        "links": summary["padanan"], "conflicts": summary["konflik"], "review_queue": summary.get("antrian_review"),
    }


def _canonical_lists(data_dir: Path, kab: str):
    """The regency's DTKS and P3KE files as canonical person frames (intake's reader, no validation)."""
    import pandas as pd
    from satudata.intake.read import read_submission

    def read_all(path: Path, jenis: str) -> dict[str, pd.DataFrame]:
        _, chunks = read_submission(path, jenis)
        parts: dict[str, list[pd.DataFrame]] = {}
        for chunk in chunks:
            parts.setdefault(chunk.sheet, []).append(chunk.frame)
        return {sheet: pd.concat(frames) for sheet, frames in parts.items()}

    inbox = data_dir / "inbox" / kab
    dtks = read_all(next((inbox / "dtks").iterdir()), "dtks")["utama"]
    p3ke = read_all(next((inbox / "p3ke").iterdir()), "p3ke")
    members = p3ke["anggota"].merge(p3ke["keluarga"][["id_keluarga_p3ke", "kode_desa", "no_kk"]].drop_duplicates(
        "id_keluarga_p3ke"), on="id_keluarga_p3ke", how="left", suffixes=("_anggota", ""))
    left = dtks.rename(columns={"id_dtks": "id"}).drop_duplicates("id")
    right = members.rename(columns={"id_individu_p3ke": "id"}).drop_duplicates("id")
    return left.reset_index(drop=True), right.reset_index(drop=True)


def speed_child(data_dir: Path, kab: str) -> dict:
    """Runs in its own process: read (not timed), prepare and link (timed)."""
    from satudata.harmonise.link import link_people
    from satudata.harmonise.model import load_model
    from satudata.harmonise.records import prepare_people

    left, right = _canonical_lists(data_dir, kab)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    model = load_model()
    t0 = time.perf_counter()
    lp = prepare_people(left, id_prefix="dtks:")
    rp = prepare_people(right, id_prefix="p3ke:")
    t1 = time.perf_counter()
    result = link_people(lp, rp, model=model)
    t2 = time.perf_counter()
    return {"kode_kab": kab, "left_rows": len(left), "right_rows": len(right),
            "seconds_prepare": round(t1 - t0, 1), "seconds_link": round(t2 - t1, 1),
            "seconds_total": round(t2 - t0, 1), "rss_gib_after_reading": round(rss_before, 2),
            **{k: v for k, v in result.stats.items() if k not in ("left", "right")}}


def speed(scale: float, workdir: Path, kab: str, periode: str = "2026-11") -> dict:
    from satudata.generate import generate_province

    data_dir = workdir / "data"
    t0 = time.perf_counter()
    generate_province(data_dir, scale=scale, period=periode)
    generated = round(time.perf_counter() - t0, 1)
    proc = subprocess.run([sys.executable, "-m", "benchmarks.bench_link", "_speed-child", str(data_dir), kab],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"scale": scale, "seconds_generate": generated, **figures, "peak_rss_gib": round(child_peak, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    q = sub.add_parser("quality")
    q.add_argument("--scale", type=float, default=0.05)
    q.add_argument("--defect-multiplier", type=float, default=1.0,
                   help="multiply the generator's person-level defect rates (NIK, dates, names): a stress test")
    s = sub.add_parser("speed")
    s.add_argument("--scale", type=float, default=0.7)
    s.add_argument("--kab", default="5203", help="regency to link (default Lombok Timur, the largest of NTB)")
    child = sub.add_parser("_speed-child")
    child.add_argument("data_dir", type=Path)
    child.add_argument("kab")
    args = parser.parse_args(argv)
    _quiet()
    os.environ.setdefault("SATUDATA_TASK_RETRIES", "0")
    if args.mode == "_speed-child":
        print(json.dumps(speed_child(args.data_dir, args.kab)))
        return 0
    with tempfile.TemporaryDirectory(prefix="satudata-bench-link-") as tmp:
        if args.mode == "quality":
            figures = quality(args.scale, Path(tmp), defect_multiplier=args.defect_multiplier)
        else:
            figures = speed(args.scale, Path(tmp), args.kab)
    print(json.dumps(figures, indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
