"""The whole pipeline at one or more scales, stage by stage, as the DAGs run it.

Each scale runs in a process of its own (so peak memory is that scale's): generate a province, then the
functions the DAG tasks call, in DAG order - intake, harmonisation (per-regency linkage, province pass,
build), convergence (recipients per regency, indicators, action lists), publication (suppress and switch,
exports, report). For every stage: rows in, wall time, rows per second, peak RSS, and for linkage the
candidate comparisons. With several scales a growth table says how time and memory grow and which stage
dominates.

Side by side, at every scale and after the pipeline's stages (not counted in them): the baselines a
user would otherwise pick, on the same data - the province's xlsx files read with pandas + openpyxl,
and the staged people linked per regency with an exact NIK merge (pandas) and with Splink set up as its
documentation suggests (`benchmarks/baselines.py`), each scored against the generator's truth like our
links. Ratios are our time / their time. At the last scale the targets of a province on one machine
are checked (whole pipeline <= 10 min, linkage <= 4 min, ingest <= 4 min, peak RSS of the process and its
workers <= 4 GiB, linkage F1 at least the best baseline's and faster than Splink). Regencies are linked and
built on every core (`warehouse.workers`), as `pipeline.harmonise()` and the DAG's mapped tasks run them.

    python -m benchmarks.bench_pipeline --scales 0.01 0.1 1.0 [--province 52] [--warehouse duckdb|postgresql]
                                        [--no-baselines]
"""

from __future__ import annotations

import argparse
import importlib
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from satudata_dev.celery_local import create_database, drop_database

from benchmarks.bench_celery import ADMIN_URL
from benchmarks.bench_konvergensi import _count, _quiet
from benchmarks.stages import Stage, measure

PERIODE = "2026-11"


# issue 29: a province of NTB's size on two cores
TARGETS = {"pipeline_s": 10 * 60, "linkage_s": 4 * 60, "ingest_s": 4 * 60, "peak_gib": 4.0}


# Imported before the first stage (in this order), so that no stage's time or memory includes an import.
_STAGE_MODULES = (
    "satudata.config", "satudata.harmonise.build", "satudata.harmonise.regency", "satudata.harmonise.run",
    "satudata.intake.run", "satudata.konvergensi.action_lists", "satudata.konvergensi.indicators",
    "satudata.konvergensi.recipients", "satudata.publish.exports", "satudata.publish.publication",
    "satudata.publish.report", "satudata.warehouse.bootstrap", "satudata.warehouse.engine",
    "satudata.warehouse.workers", "satudata_dev.generate",
)


def run_scale(scale: float, province: str, warehouse: str, baselines: bool = True) -> dict:
    """One scale in this process; returns the stages as dicts."""
    _quiet()
    os.environ.setdefault("SATUDATA_PUBLISH_APPROVER", "benchmark")
    for module in _STAGE_MODULES:
        importlib.import_module(module)
    from satudata.config import Settings
    from satudata.warehouse.bootstrap import init_warehouse

    workdir = Path(tempfile.mkdtemp(prefix=f"bench-pipeline-{scale}-"))
    url = f"duckdb:///{workdir / 'warehouse.duckdb'}" if warehouse == "duckdb" else create_database(ADMIN_URL, "satudata_bench")
    settings = Settings(data_dir=workdir / "data", warehouse_url=url)
    settings.ensure_folders()
    init_warehouse(url)
    stages: list[Stage] = []
    _generate_and_ingest(settings, province, scale, stages)
    kabs, comparisons = _harmonise_stages(settings, stages)
    _konvergensi_stages(settings, kabs, stages)
    _publish_stages(settings, stages)
    result = {"scale": scale, "province": province, "warehouse": warehouse, "regencies": len(kabs),
              "comparisons": comparisons, "stages": [s.__dict__ for s in stages]}
    # Our links against the generator's truth at every scale, baselines or not: speed is never bought with quality.
    from benchmarks.link_quality import evaluate_url

    scores = evaluate_url(settings.warehouse_url, settings.data_dir / "truth" / PERIODE, PERIODE)
    result["quality"] = {k: scores[k] for k in ("people", "families") if k in scores}
    if baselines:
        result["side_by_side"] = side_by_side(settings, stages)
    if not os.environ.get("SATUDATA_BENCH_KEEP"):
        shutil.rmtree(workdir, ignore_errors=True)
        if warehouse == "postgresql":
            drop_database(ADMIN_URL, url)
    return result


def _generate_and_ingest(settings, province: str, scale: float, stages: list[Stage]) -> None:
    from satudata.intake.run import IntakeOptions, ingest_once

    url = settings.warehouse_url
    with measure(stages, "generate", PERIODE) as st:
        # In a process of its own: the generator is the world, not the pipeline, and the memory it frees stays
        # with the process that freed it (0.6 GB of this one at NTB full scale, counted in every later stage).
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            totals = pool.submit(_generate, settings.data_dir, province, scale).result().get("totals", {})
        st.rows_in = int(totals.get("dtks", 0) + totals.get("p3ke", 0) + totals.get("p3ke_keluarga", 0)
                         + totals.get("intervensi", 0))
        st.what = f"rows written, {totals.get('files', 0)} files"
    with measure(stages, "ingest", PERIODE) as st:
        ingest_once(settings, options=IntakeOptions(stable_seconds=0))
        st.rows_in = _count(url, "SELECT COALESCE(SUM(rows_total), 0) FROM meta.submission WHERE periode = :p", PERIODE)
        st.what = "file rows (archive, read, GX, stage, report)"


def _generate(data_dir, province: str, scale: float) -> dict:
    from satudata_dev.generate import generate_province

    return generate_province(data_dir, province=province, scale=scale, seed=2026, period=PERIODE).to_dict()


def _harmonise_stages(settings, stages: list[Stage]) -> tuple[list[str], int]:
    """Linkage per regency, the province pass and the build; returns the regencies and the comparisons."""
    from satudata.harmonise.build import BUILD_ROW_BYTES, compute_build, write_build
    from satudata.harmonise.regency import LINK_ROW_BYTES, compute_link, write_link
    from satudata.harmonise.run import link_province, regencies_and_sizes
    from satudata.warehouse.workers import each_regency, worker_count

    kabs, sizes = regencies_and_sizes(settings, PERIODE)
    people = sum(sizes.values())
    with measure(stages, "harmonise: link per regency", PERIODE) as st:
        # regencies side by side on every core, within the memory bound, as `harmonise()` runs them
        linked = each_regency(compute_link, kabs, write_link, settings, PERIODE, sizes=sizes, row_bytes=LINK_ROW_BYTES)
        comparisons = sum(int(s.get("comparisons", 0) or 0) for s in linked.values())
        st.rows_in, st.what = people, f"DTKS + P3KE people ({worker_count()} worker processes)"
    with measure(stages, "harmonise: province pass", PERIODE) as st:
        link_province(settings, PERIODE)
        st.rows_in, st.what = people, "DTKS + P3KE people (the unlinked are compared)"
    with measure(stages, "harmonise: build", PERIODE) as st:
        each_regency(compute_build, kabs, write_build, settings, PERIODE, sizes=sizes, row_bytes=BUILD_ROW_BYTES)
        st.rows_in, st.what = people, f"people -> individu/keluarga_terpadu ({worker_count()} worker processes)"
    return kabs, comparisons


def _konvergensi_stages(settings, kabs: list[str], stages: list[Stage]) -> None:
    from satudata.konvergensi.action_lists import write_action_list
    from satudata.konvergensi.indicators import build_indicators
    from satudata.konvergensi.recipients import RECIPIENT_ROW_BYTES, compute_recipients, write_recipients
    from satudata.konvergensi.run import regencies_and_sizes
    from satudata.warehouse.workers import each_regency, worker_count

    url = settings.warehouse_url
    recipients = _count(url, "SELECT count(*) FROM staging.intervensi WHERE aktif AND periode = :p", PERIODE)
    _, sizes = regencies_and_sizes(settings, PERIODE)
    with measure(stages, "konvergensi: recipients", PERIODE) as st:
        # regencies side by side on every core, within the memory bound, as `konvergensi()` runs them
        each_regency(compute_recipients, kabs, write_recipients, settings, PERIODE, sizes=sizes,
                     row_bytes=RECIPIENT_ROW_BYTES)
        st.rows_in, st.what = recipients, f"recipient-list rows ({worker_count()} worker processes)"
    families = _count(url, "SELECT count(*) FROM core.keluarga_terpadu WHERE periode = :p", PERIODE)
    with measure(stages, "konvergensi: indicators", PERIODE) as st:
        build_indicators(settings, PERIODE)
        st.rows_in, st.what = families, "harmonised families"
    with measure(stages, "konvergensi: action lists", PERIODE) as st:
        for kab in kabs:
            write_action_list(settings, kab, PERIODE)
        st.rows_in, st.what = families, "harmonised families"


def _publish_stages(settings, stages: list[Stage]) -> None:
    from satudata.publish.exports import publication_dir, write_exports
    from satudata.publish.publication import publish_period
    from satudata.publish.report import write_report

    indicator_rows = _count(settings.warehouse_url,
                            "SELECT count(*) FROM core.indikator_konvergensi_desa WHERE periode = :p", PERIODE)
    with measure(stages, "publish: suppress + switch", PERIODE) as st:
        published = publish_period(settings, PERIODE, disetujui_oleh="benchmark", cara_persetujuan="konfigurasi")
        st.rows_in, st.what = indicator_rows, "desa indicator rows (+ other tables)"
    with measure(stages, "publish: exports + report", PERIODE) as st:
        write_exports(settings, PERIODE)
        write_report(settings, PERIODE, publication_dir(settings, PERIODE, published["publikasi_id"]))
        st.rows_in, st.what = indicator_rows, "desa indicator rows (+ other tables)"


def side_by_side(settings, stages) -> dict:
    """The baselines on this scale's files and staged people, scored like our links (not pipeline time)."""
    from benchmarks.bench_link import baselines_side_by_side
    from benchmarks.bench_read import read_side_by_side
    from benchmarks.link_quality import evaluate_url

    seconds = {s.name: s.seconds for s in stages}
    scores = evaluate_url(settings.warehouse_url, settings.data_dir / "truth" / PERIODE, PERIODE)
    figures = {"people": scores["people"],
               "seconds": {"link_regencies": seconds["harmonise: link per regency"],
                           "link_province": seconds["harmonise: province pass"]}}
    linking = baselines_side_by_side(settings, figures, PERIODE, rerun_ours=False)
    return {"reading": read_side_by_side(settings.data_dir / "archive"), "linking": linking}


def report(result: dict) -> str:
    lines = [(f"scale {result['scale']} (province {result['province']}, {result['regencies']} regencies, "
             f"{result['warehouse']})"),
             f"  {'stage':<28} {'rows in':>10} {'seconds':>9} {'rows/s':>10} {'peak RSS':>9}  rows are"]
    pipeline = 0.0
    for s in result["stages"]:
        rate = f"{s['rows_in'] / s['seconds']:,.0f}" if s["seconds"] else "-"
        extra = f"; {result['comparisons']:,} candidate comparisons" if s["name"] == "harmonise: link per regency" \
            else ""
        lines.append(f"  {s['name']:<28} {s['rows_in']:>10,} {s['seconds']:>9.1f} {rate:>10} "
                     f"{s['peak_rss_mb']:>6.0f} MB  {s['what']}{extra}")
        if s["name"] != "generate":
            pipeline += s["seconds"]
    link = sum(s["seconds"] for s in result["stages"] if s["name"].startswith("harmonise: link")
               or s["name"] == "harmonise: province pass")
    peak = max(s["peak_rss_mb"] for s in result["stages"])
    lines.append(f"  pipeline (all but generate): {pipeline:.1f} s = {pipeline / 60:.1f} min; linkage "
                 f"{link:.1f} s; peak RSS {peak / 1024:.2f} GiB")
    for what, q in (result.get("quality") or {}).items():
        if isinstance(q, dict) and "f1" in q:
            lines.append(f"  linkage quality, {what}: " + " / ".join(
                f"{k} {q[k]:.5f}" for k in ("precision", "recall", "f1") if k in q) + " (against the generator's truth)")
    sbs = result.get("side_by_side")
    if sbs:
        r = sbs["reading"]
        lines += ["", (f"  reading the {r['files']} xlsx files ({r['megabytes']:,.0f} MB): ours {r['ours_seconds']:.1f} s "
                       f"({r['ours_rows']:,} data rows), pandas + openpyxl {r['theirs_seconds']:.1f} s "
                       f"({r['theirs_rows']:,} sheet rows); ours/theirs = {r['ratio']}"), ""]
        lines += ["  " + line for line in sbs["linking"]["text"].splitlines()]
    return "\n".join(lines)


def targets(result: dict) -> str:
    """The targets of one province on one machine, checked on one scale's figures."""
    stages = [s for s in result["stages"] if s["name"] != "generate"]
    pipeline = sum(s["seconds"] for s in stages)
    link = sum(s["seconds"] for s in stages if s["name"] in ("harmonise: link per regency", "harmonise: province pass"))
    ingest = sum(s["seconds"] for s in stages if s["name"] == "ingest")
    peak = max(s["peak_rss_mb"] for s in result["stages"]) / 1024
    checks = [
        (f"whole pipeline {pipeline / 60:.1f} min <= {TARGETS['pipeline_s'] / 60:.0f} min",
         pipeline <= TARGETS["pipeline_s"]),
        (f"linkage {link / 60:.1f} min <= {TARGETS['linkage_s'] / 60:.0f} min", link <= TARGETS["linkage_s"]),
        (f"ingest {ingest / 60:.1f} min <= {TARGETS['ingest_s'] / 60:.0f} min", ingest <= TARGETS["ingest_s"]),
        (f"peak RSS {peak:.2f} GiB <= {TARGETS['peak_gib']:.0f} GiB", peak <= TARGETS["peak_gib"]),
    ]
    sbs = result.get("side_by_side")
    if sbs:
        lk = sbs["linking"]
        ours_f1 = lk["pipeline"]["f1"]
        best = max(("merge", "splink"), key=lambda m: lk[m]["f1"])
        checks.append((f"linkage F1 {ours_f1:.5f} >= best baseline's ({best} {lk[best]['f1']:.5f})",
                       ours_f1 >= lk[best]["f1"]))
        checks.append((f"linkage {link:.0f} s faster than Splink as documented ({lk['splink']['seconds']:.0f} s)",
                       link < lk["splink"]["seconds"]))
    lines = [f"targets at scale {result['scale']} (2 cores, 24 GiB):"]
    lines += [f"  [{'met' if ok else 'MISSED'}] {text}" for text, ok in checks]
    return "\n".join(lines)


def growth(results: list[dict]) -> str:
    if len(results) < 2:
        return ""
    names = [s["name"] for s in results[0]["stages"]]
    head = "  " + f"{'stage':<28}" + "".join(f"{'s @' + str(r['scale']):>12}" for r in results) + \
        f"{'x time':>9}{'x rows':>9}"
    lines = ["growth (seconds per stage; x = last scale / first scale)", head]
    for i, name in enumerate(names):
        secs = [r["stages"][i]["seconds"] for r in results]
        rows = [r["stages"][i]["rows_in"] for r in results]
        ratio = f"{secs[-1] / secs[0]:.1f}" if secs[0] else "-"
        rratio = f"{rows[-1] / rows[0]:.1f}" if rows[0] else "-"
        lines.append(f"  {name:<28}" + "".join(f"{s:>12.1f}" for s in secs) + f"{ratio:>9}{rratio:>9}")
    peaks = [max(s["peak_rss_mb"] for s in r["stages"]) for r in results]
    lines.append("  peak RSS (MB)               " + "".join(f"{p:>12.0f}" for p in peaks))
    last = results[-1]["stages"][1:]
    top = max(last, key=lambda s: s["seconds"])
    total = sum(s["seconds"] for s in last)
    lines.append(f"  dominant stage at scale {results[-1]['scale']}: {top['name']} "
                 f"({100 * top['seconds'] / total:.0f} % of the pipeline)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=float, nargs="+", default=[0.01])
    parser.add_argument("--province", default="52")
    parser.add_argument("--warehouse", choices=["duckdb", "postgresql"], default="duckdb")
    parser.add_argument("--no-baselines", action="store_true", help="only our pipeline, no side-by-side baselines")
    parser.add_argument("--one", type=float, help=argparse.SUPPRESS)  # internal: run one scale, print JSON
    parser.add_argument("--json", type=Path, metavar="PATH",
                        help="also write every scale's figures (stages, rows, seconds, peak RSS) to PATH as JSON")
    args = parser.parse_args(argv)
    if args.one is not None:
        print(json.dumps(run_scale(args.one, args.province, args.warehouse, not args.no_baselines), default=str))
        return 0
    results = []
    for scale in args.scales:
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "benchmarks.bench_pipeline", "--one", str(scale),
                               "--province", args.province, "--warehouse", args.warehouse,
                               *(["--no-baselines"] if args.no_baselines else [])],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            print(proc.stderr[-4000:], file=sys.stderr)
            return proc.returncode
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        results.append(result)
        print(report(result), flush=True)
        print(f"  (process wall {time.perf_counter() - started:.0f} s)\n", flush=True)
    text = growth(results)
    if text:
        print(text + "\n")
    print(targets(results[-1]))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
