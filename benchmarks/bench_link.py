"""Harmonisation benchmarks: link quality on a generated province, and linkage speed on one big regency.

    python -m benchmarks.bench_link quality --scale 0.05     # generate, ingest, harmonise, score vs truth
    python -m benchmarks.bench_link speed --scale 0.7        # one regency's DTKS vs P3KE (~300 k a side)

Quality runs the real path (intake into DuckDB, then `harmonise`, the steps the DAG runs) and scores
person and family links against the generator's truth (`benchmarks.link_quality`). Speed reads the
largest regency's two files with the intake reader (no validation, no warehouse) and times
`prepare_people` and `link_people` in a fresh process, reporting its peak memory and the candidate
pairs the blocking rules generate. Figures are printed; nothing is asserted.

Both modes then run, on the same rows, the baselines a user would otherwise write
(`benchmarks.baselines`: an exact-NIK `pd.merge`, and Splink set up as its documentation suggests)
and print a table beside our figures: links, precision/recall/F1 against the same truth (quality),
wall time, peak memory, and the ratio our time / their time. `--no-baselines` skips them.
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
from dataclasses import dataclass, field
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
    from satudata.harmonise.run import period_summary
    from satudata.intake.run import IntakeOptions, ingest_once
    from satudata.pipeline import harmonise
    from satudata.warehouse.bootstrap import init_warehouse
    from satudata_dev.generate import generate_province

    from benchmarks.link_quality import evaluate_url

    settings = Settings(data_dir=workdir / "data", warehouse_url=f"duckdb:///{workdir / 'data' / 'warehouse.duckdb'}")
    settings.ensure_folders()
    t0 = time.perf_counter()
    from satudata_dev.generate.params import DEFAULT_DEFECT_RATES

    rates = {d: min(DEFAULT_DEFECT_RATES[d] * defect_multiplier, 0.5) for d in PERSON_DEFECTS}
    generated = generate_province(settings.data_dir, scale=scale, period=periode, defect_rates=rates)
    t1 = time.perf_counter()
    init_warehouse(settings.warehouse_url)
    ingest_once(settings, options=IntakeOptions(stable_seconds=0))
    t2 = time.perf_counter()
    result = harmonise(periode, settings)
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


# ------------------------------------------------------------------------------------------- baselines


def _staged_canonical(frame):
    """The staged person rows behind one side of `Sources` (`load_sources` keeps them, `<column>_asli`
    where a feature took the name): what `prepare_people` received."""
    import pandas as pd
    from satudata.linkage.records import OPTIONAL_COLUMNS, PERSON_COLUMNS

    out = {}
    for column in (*PERSON_COLUMNS, *OPTIONAL_COLUMNS, "nik_valid", "nik_angka_excel"):
        if column != "id" and f"{column}_asli" in frame:
            out[column] = frame[f"{column}_asli"]
        elif column in frame:
            out[column] = frame[column]
    return pd.DataFrame(out)


def _ours_on_regency(src, model):
    """Our linker on one regency's staged rows, as `link_regency` runs it: prepare both lists, link."""
    from satudata.linkage.link import link_people
    from satudata.linkage.records import prepare_people

    left = prepare_people(_staged_canonical(src.dtks), id_prefix="dtks:")
    right = prepare_people(_staged_canonical(src.p3ke), id_prefix="p3ke:")
    return link_people(left, right, model=model)


def _fmt_row(cells: list, widths: list[int]) -> str:
    return "  ".join(f"{c:<{w}}" if i == 0 else f"{c:>{w}}" for i, (c, w) in enumerate(zip(cells, widths, strict=True)))


def _table(header: list[str], rows: list[list]) -> str:
    text = [[str(c) for c in row] for row in [header, *rows]]
    widths = [max(len(r[i]) for r in text) for i in range(len(header))]
    lines = [_fmt_row(text[0], widths), "-" * (sum(widths) + 2 * (len(widths) - 1))]
    return "\n".join([*lines, *(_fmt_row(r, widths) for r in text[1:])])


def _ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}" if theirs > 0 else "-"


def quality_baselines(workdir: Path, figures: dict, periode: str = "2026-11") -> str:
    """`baselines_side_by_side` on the quality benchmark's warehouse, as a printed table."""
    from satudata.config import Settings

    settings = Settings(data_dir=workdir / "data", warehouse_url=f"duckdb:///{workdir / 'data' / 'warehouse.duckdb'}")
    return baselines_side_by_side(settings, figures, periode)["text"]


_METHODS = ("ours", "merge", "splink", "splink_all")


@dataclass
class _Runs:
    """Each method's links and costs, summed over the regencies (peak memory: the largest regency's)."""

    pairs: dict[str, list] = field(default_factory=lambda: {m: [] for m in _METHODS})
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(_METHODS, 0.0))
    peak_mb: dict[str, float] = field(default_factory=lambda: dict.fromkeys(_METHODS, 0.0))
    splink_train: float = 0.0
    splink_predict: float = 0.0
    rows_d: int = 0
    rows_p: int = 0

    def add(self, method: str, timed, links) -> None:
        self.pairs[method].append(links)
        self.seconds[method] += timed.seconds
        self.peak_mb[method] = max(self.peak_mb[method], timed.peak_rss_added_mb or 0.0)


def _regency_methods(runs: _Runs, src, model, rerun_ours: bool) -> None:
    """Ours (unless not rerun), the exact NIK merge and Splink on one regency's staged rows, each timed."""
    import pandas as pd

    from benchmarks.baselines import exact_nik_merge, person_rows, run_timed, splink_documented

    runs.rows_d, runs.rows_p = runs.rows_d + len(src.dtks), runs.rows_p + len(src.p3ke)
    if rerun_ours:
        timed = run_timed(lambda src=src: _ours_on_regency(src, model))
        links = timed.value.links
        runs.add("ours", timed, pd.DataFrame({
            "id_dtks": links["unique_id_l"].str.split(":", n=1).str[1],
            "id_individu_p3ke": links["unique_id_r"].str.split(":", n=1).str[1]}))
    dtks, p3ke = person_rows(src.dtks), person_rows(src.p3ke)
    timed = run_timed(lambda d=dtks, p=p3ke: exact_nik_merge(d, p))
    runs.add("merge", timed, timed.value)
    timed = run_timed(lambda d=dtks, p=p3ke: splink_documented(d, p))
    runs.pairs["splink_all"].append(timed.value.all_above_threshold)
    runs.add("splink", timed, timed.value.links)
    runs.splink_train += timed.value.stats.get("seconds_train", 0.0)
    runs.splink_predict += timed.value.stats.get("seconds_predict", 0.0)


def _pair_set(frame) -> set:
    return set(zip(frame["id_dtks"].astype(str), frame["id_individu_p3ke"].astype(str), strict=True))


def _side_by_side_text(runs: _Runs, scores: dict, pipeline_q, pipeline_secs: float, truth, n_kabs: int,
                       rerun_ours: bool, same: bool) -> str:
    seconds, peak_mb, splink_train = runs.seconds, runs.peak_mb, runs.splink_train

    def row(label: str, q, secs: str, mem: str, ratio: str) -> list:
        return [label, f"{q.predicted:,}", f"{q.correct:,}", f"{q.precision:.5f}", f"{q.recall:.5f}", f"{q.f1:.5f}",
                secs, mem, ratio]

    header = ["method (person links DTKS-P3KE)", "links", "correct", "precision", "recall", "F1", "seconds",
              "peak MB", "ours/theirs"]
    rows = [
        row("ours: pipeline, regency + province pass", pipeline_q, f"{pipeline_secs:.1f}", "-", "-"),
        row("ours: per regency (prepare + link)" if rerun_ours else "ours: pipeline, regency links only",
            scores["ours"], f"{seconds['ours']:.1f}", f"{peak_mb['ours']:.0f}" if rerun_ours else "-", "1.00"),
        row("exact NIK merge (pandas)", scores["merge"], f"{seconds['merge']:.2f}", f"{peak_mb['merge']:.0f}",
            _ratio(seconds["ours"], seconds["merge"])),
        row("Splink as documented, one-to-one", scores["splink"], f"{seconds['splink']:.1f}",
            f"{peak_mb['splink']:.0f}", _ratio(seconds["ours"], seconds["splink"])),
        row("  same run, training not counted", scores["splink"], f"{seconds['splink'] - splink_train:.1f}", "",
            _ratio(seconds["ours"], seconds["splink"] - splink_train)),
        row("  same run, all pairs >= 0.9 (not one-to-one)", scores["splink_all"], "", "", ""),
    ]
    lines = [
        (f"Baselines on the same staged rows: {n_kabs} regencies, {runs.rows_d:,} DTKS and {runs.rows_p:,} P3KE "
         f"person rows; {len(truth.staged_true):,} true pairs staged, {len(truth.across_regencies):,} of them across "
         "regencies (only the province pass can find those)."),
        _table(header, rows),
        (f"Splink as documented: {splink_train:.1f} s training (prior, u, m; per regency), {runs.splink_predict:.1f} s "
         "predicting. Peak MB: resident memory added during the call, largest regency. Seconds exclude reading "
         f"the staged rows; ours/theirs = {seconds['ours']:.1f} s / their seconds."),
    ]
    if rerun_ours:
        lines.append(f"Per-regency re-run reproduces the pipeline's regency links: {'yes' if same else 'NO'}.")
    return "\n".join(lines)


def baselines_side_by_side(settings, figures: dict, periode: str = "2026-11", *, rerun_ours: bool = True) -> dict:
    """Our linker and the baselines on the same staged rows of every regency, scored against the same truth.

    Per regency, each method gets the staged DTKS and P3KE person rows `link_regency` gets
    (`prepared_sources`, cached by the harmonise run): ours prepares and links them again here, timed
    the same way as the baselines (skipped with `rerun_ours=False`: the pipeline's own link time is then
    compared, which also counts reading and writing the warehouse); the pipeline row is the warehouse's
    figure (with the province pass, which links across regencies). Returns the table as `text` and the
    figures per method.
    """
    import pandas as pd
    import sqlalchemy as sa
    from satudata.harmonise.run import prepared_sources, regencies
    from satudata.linkage.model import load_model
    from satudata.warehouse.engine import read_frame

    from benchmarks.link_quality import Quality, person_truth

    model = load_model()
    engine = sa.create_engine(settings.warehouse_url)
    runs = _Runs()
    try:
        with engine.connect() as conn:
            truth = person_truth(conn, settings.data_dir / "truth" / periode, periode)
            kabs = regencies(conn, periode)
            pipeline_regency = read_frame(conn, "SELECT id_dtks, id_individu_p3ke FROM core.padanan_individu "
                                                "WHERE periode = :p AND lingkup = 'kabupaten'", {"p": periode})
            for kab in kabs:
                _regency_methods(runs, prepared_sources(settings, conn, kab, periode), model, rerun_ours)
    finally:
        engine.dispose()

    if not rerun_ours:  # the pipeline's own regency links and link time stand for ours
        runs.pairs["ours"] = [pipeline_regency]
        runs.seconds["ours"] = figures["seconds"]["link_regencies"]
    found = {m: pd.concat(runs.pairs[m], ignore_index=True) for m in _METHODS}
    scores = {m: truth.score(found[m]) for m in _METHODS}
    same = _pair_set(found["ours"]) == _pair_set(pipeline_regency)
    people = figures["people"]
    pipeline_q = Quality(predicted=people["predicted"], true=people["true"], correct=people["correct"],
                         true_not_staged=people["true_not_staged"])
    pipeline_secs = figures["seconds"]["link_regencies"] + figures["seconds"]["link_province"]
    return {
        "text": _side_by_side_text(runs, scores, pipeline_q, pipeline_secs, truth, len(kabs), rerun_ours, same),
        "pipeline": {**pipeline_q.to_dict(), "seconds": round(pipeline_secs, 1)},
        **{m: {**scores[m].to_dict(), "seconds": round(runs.seconds[m], 2), "peak_added_mb": runs.peak_mb[m]}
           for m in _METHODS},
        "splink_seconds_train": round(runs.splink_train, 1), "splink_seconds_predict": round(runs.splink_predict, 1),
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
    family = [c for c in ("id_keluarga_p3ke", "kode_desa", "no_kk", "alamat") if c in p3ke["keluarga"]]
    members = p3ke["anggota"].merge(p3ke["keluarga"][family].drop_duplicates("id_keluarga_p3ke"),
                                    on="id_keluarga_p3ke", how="left", suffixes=("_anggota", ""))
    left = dtks.rename(columns={"id_dtks": "id"}).drop_duplicates("id")
    right = members.rename(columns={"id_individu_p3ke": "id"}).drop_duplicates("id")
    return left.reset_index(drop=True), right.reset_index(drop=True)


OURS_SPEED_LINKS = "bench_ours_links.csv"
SPEED_PERIODE = "2026-11"


def speed_child(data_dir: Path, kab: str) -> dict:
    """Runs in its own process: read (not timed), prepare and link (timed)."""
    from satudata.linkage.link import link_people
    from satudata.linkage.model import load_model
    from satudata.linkage.records import prepare_people

    left, right = _canonical_lists(data_dir, kab)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    model = load_model()
    t0 = time.perf_counter()
    lp = prepare_people(left, id_prefix="dtks:")
    rp = prepare_people(right, id_prefix="p3ke:")
    t1 = time.perf_counter()
    result = link_people(lp, rp, model=model)
    t2 = time.perf_counter()
    # For the baselines' table (scored there against the generator's truth); not timed.
    result.links[["unique_id_l", "unique_id_r"]].to_csv(data_dir / OURS_SPEED_LINKS, index=False)
    return {"kode_kab": kab, "left_rows": len(left), "right_rows": len(right),
            "seconds_prepare": round(t1 - t0, 1), "seconds_link": round(t2 - t1, 1),
            "seconds_total": round(t2 - t0, 1), "rss_gib_after_reading": round(rss_before, 2),
            **{k: v for k, v in result.stats.items() if k not in ("left", "right")}}


def speed_baseline_child(data_dir: Path, kab: str) -> dict:
    """Runs in its own process: the same two lists as `speed_child` (read, not timed), then the baselines;
    scores them and our links (written by `speed_child`) against the generator's truth."""
    import pandas as pd

    from benchmarks.baselines import exact_nik_merge, run_timed, splink_documented
    from benchmarks.link_quality import person_truth_of_rows

    left, right = _canonical_lists(data_dir, kab)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    merge = run_timed(lambda: exact_nik_merge(left, right))
    splink = run_timed(lambda: splink_documented(left, right))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    truth = person_truth_of_rows(data_dir / "truth" / SPEED_PERIODE, left["id"].astype(str), right["id"].astype(str))
    ours = pd.read_csv(data_dir / OURS_SPEED_LINKS, dtype=str)
    ours = pd.DataFrame({"id_dtks": ours["unique_id_l"].str.split(":", n=1).str[1],
                         "id_individu_p3ke": ours["unique_id_r"].str.split(":", n=1).str[1]})
    quality = {"ours": truth.score(ours), "merge": truth.score(merge.value), "splink": truth.score(splink.value.links),
               "splink_all": truth.score(splink.value.all_above_threshold)}
    return {"left_rows": len(left), "right_rows": len(right), "rss_gib_after_reading": round(rss_before, 2),
            "merge_seconds": round(merge.seconds, 2), "merge_links": len(merge.value),
            "splink_seconds": round(splink.seconds, 1), "splink_links": len(splink.value.links),
            "splink": splink.value.stats, "peak_rss_gib": round(peak, 2),
            "merge_peak_added_mb": merge.peak_rss_added_mb, "splink_peak_added_mb": splink.peak_rss_added_mb,
            "true_pairs": len(truth.staged_true), "true_pairs_other_regency": len(truth.across_regencies),
            "quality": {k: q.to_dict() for k, q in quality.items()}}


def speed_baselines(workdir: Path, kab: str, figures: dict) -> str:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.bench_link", "_speed-baseline", str(workdir / "data"),
                           kab], cwd=ROOT, capture_output=True, text=True, check=True)
    base = json.loads(proc.stdout.strip().splitlines()[-1])
    ours = figures["seconds_total"]
    sp = base["splink"]
    untrained = base["splink_seconds"] - sp.get("seconds_train", 0.0)
    quality = base["quality"]

    def row(label: str, method: str, secs: str, rss: str, ratio: str) -> list:
        q = quality[method]
        return [label, f"{q['predicted']:,}", f"{q['correct']:,}", f"{q['precision']:.5f}", f"{q['recall']:.5f}",
                f"{q['f1']:.5f}", secs, rss, ratio]

    header = ["method (one regency, same rows)", "links", "correct", "precision", "recall", "F1", "seconds",
              "peak RSS GiB", "ours/theirs"]
    rows = [
        row("ours (prepare + link)", "ours", f"{ours:.1f}", f"{figures['peak_rss_gib']:.2f}", "1.00"),
        row("exact NIK merge (pandas)", "merge", f"{base['merge_seconds']:.2f}", "",
            _ratio(ours, base["merge_seconds"])),
        row("Splink as documented, one-to-one", "splink", f"{base['splink_seconds']:.1f}",
            f"{base['peak_rss_gib']:.2f}", _ratio(ours, base["splink_seconds"])),
        row("  same run, training not counted", "splink", f"{untrained:.1f}", "", _ratio(ours, untrained)),
        row("  same run, all pairs >= 0.9 (not one-to-one)", "splink_all", "", "", ""),
    ]
    return "\n".join([
        (f"Baselines on regency {kab}: {base['left_rows']:,} DTKS x {base['right_rows']:,} P3KE rows "
         f"(read by the intake reader, not timed, not validated); {base['true_pairs']:,} true pairs among them "
         f"(+{base['true_pairs_other_regency']:,} with the partner in another regency)."),
        _table(header, rows),
        (f"Splink as documented: {sp.get('seconds_prepare', 0)} s input, {sp.get('seconds_train', 0)} s training "
         f"(prior, u, m), {sp.get('seconds_predict', 0)} s predicting, {sp.get('pairs_above_threshold', 0):,} "
         f"pairs >= 0.9. Peak RSS: each process's own, reading included ({figures['rss_gib_after_reading']:.2f} "
         f"GiB after reading for ours; the baselines share one process, {base['rss_gib_after_reading']:.2f} GiB "
         f"after reading; during the call resident memory rose by at most {base['merge_peak_added_mb']} MB for "
         f"the merge, {base['splink_peak_added_mb']} MB for Splink)."),
    ])


def speed(scale: float, workdir: Path, kab: str, periode: str = SPEED_PERIODE) -> dict:
    from satudata_dev.generate import generate_province

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
    for mode in (q, s):
        mode.add_argument("--no-baselines", action="store_true", help="skip the exact-NIK and Splink baselines")
    for name in ("_speed-child", "_speed-baseline"):
        child = sub.add_parser(name)
        child.add_argument("data_dir", type=Path)
        child.add_argument("kab")
    args = parser.parse_args(argv)
    _quiet()
    os.environ.setdefault("SATUDATA_TASK_RETRIES", "0")
    if args.mode == "_speed-child":
        print(json.dumps(speed_child(args.data_dir, args.kab)))
        return 0
    if args.mode == "_speed-baseline":
        print(json.dumps(speed_baseline_child(args.data_dir, args.kab)))
        return 0
    baselines = None
    with tempfile.TemporaryDirectory(prefix="satudata-bench-link-") as tmp:
        if args.mode == "quality":
            figures = quality(args.scale, Path(tmp), defect_multiplier=args.defect_multiplier)
            if not args.no_baselines:
                baselines = quality_baselines(Path(tmp), figures)
        else:
            figures = speed(args.scale, Path(tmp), args.kab)
            if not args.no_baselines:
                baselines = speed_baselines(Path(tmp), args.kab, figures)
    print(json.dumps(figures, indent=2, ensure_ascii=False, default=str))
    if baselines:
        print()
        print(baselines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
