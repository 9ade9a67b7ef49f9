"""Synthetic province generator: the regencies' DTKS, P3KE and recipient-list files, with their truth.

    from satudata_dev.generate import generate_province
    summary = generate_province("data", province="52", scale=0.01, seed=2026, period="2026-11")
    print(summary.to_dict())

Writes `inbox/<kode_kab>/{dtks,p3ke,intervensi}/...` and `truth/<period>/...` under `out_dir`; see
docs/generator.md for the proportions, file layout, defects and truth format. The output is a
deterministic function of (province, scale, seed, period, defect_rates): same arguments, same bytes.
"""

from __future__ import annotations

import csv
import logging
import re
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd
from satudata.config import reference_dir
from satudata.reference.wilayah import Wilayah, load_population

from satudata_dev.generate import params as P
from satudata_dev.generate import truth as T
from satudata_dev.generate.context import Programme, RegencyContext
from satudata_dev.generate.defects import effective_rates
from satudata_dev.generate.params import DEFAULT_DEFECT_RATES, GENERATOR_VERSION
from satudata_dev.generate.regency import RegencyJob, RegencyResult, run_regency

__all__ = ["DEFAULT_DEFECT_RATES", "GenerationSummary", "generate_province", "parse_period"]

log = logging.getLogger(__name__)

_OTHER_PROVINCE_SAMPLE = 300  # kecamatan of other provinces that NIK prefixes of newcomers come from


@dataclass
class GenerationSummary:
    """What `generate_province` wrote.

    Attributes:
        out_dir: the data folder written to.
        province, period, seed, scale: the arguments (period as YYYY-MM).
        counts: rows per regency and jenis: {"5201": {"dtks": .., "p3ke": .., "p3ke_keluarga": ..,
            "intervensi": .., "intervensi_PKH": .., "people": .., "families": ..}}.
        totals: the same summed over the province, plus files and defects.
        files: paths of the inbox files written, relative to out_dir.
        truth_dir: the truth folder, relative to out_dir.
        elapsed_seconds: wall time of the whole generation.
    """

    out_dir: str
    province: str
    period: str
    seed: int
    scale: float
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    truth_dir: str = ""
    elapsed_seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def parse_period(period: str | None) -> tuple[int, int]:
    """'2026-11' -> (2026, 11); None -> the current month."""
    if period is None:
        today = date.today()
        return today.year, today.month
    match = re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", period)
    if not match:
        raise ValueError(f"period must be YYYY-MM, got {period!r}")
    return int(match.group(1)), int(match.group(2))


def _short_name(nama: str) -> str:
    for prefix in ("Kabupaten ", "Kota ", "KAB. ", "KOTA ", "Kab. "):
        if nama.startswith(prefix):
            return nama[len(prefix):]
    return nama


def _programmes(province: str) -> list[tuple[Programme, str]]:
    """National programmes plus the local ones whose kode_wilayah covers the province (or a regency of it)."""
    out = []
    with (reference_dir() / "program.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            area = (row.get("kode_wilayah") or "").replace(".", "").strip()
            if area and not (area.startswith(province) or province.startswith(area)):
                continue
            top = row.get("desil_maks") or ""
            out.append((Programme(row["kode_program"], row["unit"].strip().lower(), row["nama_program"],
                                  int(top) if top.strip() else None), area))
    return out


def _contexts(province: str, scale: float, seed: int) -> list[RegencyContext]:
    wilayah = Wilayah.load()
    if wilayah.get(province) is None or len(province) != 2:
        raise ValueError(f"unknown province code {province!r}")
    regencies = wilayah.children(province)
    if not regencies:
        raise ValueError(f"province {province} has no regencies in the current list")
    population = load_population()
    known = [population[k]["total"] for k in regencies if k in population]
    fallback = int(np.mean(known)) if known else 250_000
    desa_all = wilayah.descendants(province, "desa")
    kec_all = wilayah.descendants(province, "kecamatan")
    desa_by_kab: dict[str, list[str]] = {k: [] for k in regencies}
    for d in desa_all:
        desa_by_kab.setdefault(d[:4], []).append(d)
    old_kec = sorted(r.kode for r in wilayah.regions()
                     if r.level == "kecamatan" and r.kode.startswith(province) and not r.is_current)
    elsewhere = sorted(r.kode for r in wilayah.regions()
                       if r.level == "kecamatan" and r.is_current and not r.kode.startswith(province))
    rng = np.random.default_rng([seed, int(province), 0])
    sample = sorted(rng.choice(elsewhere, min(_OTHER_PROVINCE_SAMPLE, len(elsewhere)), replace=False).tolist())
    places = {k: wilayah.name(k) or "" for k in (*kec_all, *old_kec, *sample)}
    places.update({k: _short_name(wilayah.name(k) or "") for k in {c[:4] for c in places} | set(regencies)})
    programmes = _programmes(province)
    contexts = []
    for slot, kab in enumerate(regencies):
        if not desa_by_kab.get(kab):
            log.warning("regency %s has no desa in the current list: skipped", kab)
            continue
        contexts.append(RegencyContext(
            seed=seed, scale=scale, province=province, kode_kab=kab, nama_kab=wilayah.name(kab) or kab,
            slot=slot, n_slots=len(regencies),
            population=int(population.get(kab, {}).get("total") or fallback), kota=int(kab[2:4]) >= 71,
            desa=tuple(desa_by_kab[kab]),
            other_kec_province=tuple(k for k in kec_all if not k.startswith(kab)),
            other_desa_province=tuple(d for d in desa_all if not d.startswith(kab)),
            old_kec=tuple(old_kec), other_province_kec=tuple(sample), place_names=places,
            programmes=tuple(p for p, area in programmes if not area or kab.startswith(area)),
        ))
    return contexts


def _forced_styles(contexts: list[RegencyContext], rates: dict[str, float]) -> dict[str, dict]:
    """Every province of 3+ regencies shows both DTKS formats: the 2nd regency CSV, the 3rd xlsx."""
    force: dict[str, dict] = {c.kode_kab: {} for c in contexts}
    if len(contexts) >= 3:
        csv_style = {"format": "csv"}
        if rates["csv_dialect_variant"] > 0:
            csv_style["dialect"] = "cp1252"
        force[contexts[1].kode_kab] = {"dtks": csv_style}
        force[contexts[2].kode_kab] = {"dtks": {"format": "xlsx"}}
    return force


def _only(contexts: list[RegencyContext], regencies: Sequence[str] | None, province: str) -> list[RegencyContext]:
    """The contexts of `regencies` (all when None); a code that is no regency of the province is refused."""
    if regencies is None:
        return contexts
    unknown = sorted(set(regencies) - {c.kode_kab for c in contexts})
    if unknown:
        raise ValueError(f"not regencies of province {province}: {', '.join(unknown)}")
    return [c for c in contexts if c.kode_kab in set(regencies)]


_OWN_FILE = re.compile(r"^(dtks|p3ke|dtsen|anggaran|[A-Z0-9_]+)_(\d{4})_(\d{4}-\d{2})(_\d+)?\.(xlsx|csv)$")


def _remove_previous(out_dir: Path, contexts: list[RegencyContext], period: str) -> None:
    """Files this generator wrote earlier for the same regencies and period (another scale may have
    chosen another format, and a stale CSV beside a new xlsx would be read twice)."""
    for ctx in contexts:
        for jenis in ("dtks", "p3ke", "dtsen", "intervensi", "anggaran"):
            folder = out_dir / "inbox" / ctx.kode_kab / jenis
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                m = _OWN_FILE.match(path.name)
                if m and m.group(2) == ctx.kode_kab and m.group(3) == period and path.is_file():
                    path.unlink()


def _run(jobs: list[RegencyJob], workers: int) -> Iterator[RegencyResult]:
    """Regency results in regency order, one at a time (the truth is written as they come)."""
    if workers > 1 and len(jobs) > 1:
        # spawn, not fork: safe inside threaded hosts (Airflow); contexts carry everything a worker needs.
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=get_context("spawn")) as pool:
            yield from pool.map(run_regency, jobs)
    else:
        for job in jobs:
            yield run_regency(job)


@dataclass
class _Collected:
    """What the regencies returned besides the truth rows (those go straight to the truth files)."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    infos: list[dict] = field(default_factory=list)  # manifest entries of the files, in regency order
    budgets: list[dict] = field(default_factory=list)
    budget_truth: list[pd.DataFrame] = field(default_factory=list)


def _collect(results: Iterator[RegencyResult], writer: T.TruthWriter) -> _Collected:
    """Write each regency's truth rows as its result comes, and keep its counts and manifest entries."""
    collected = _Collected()
    for r in results:
        log.info("regency %s: %d DTKS, %d P3KE, %d recipient rows in %.1f s", r.kode_kab, r.counts["dtks"],
                 r.counts["p3ke"], r.counts["intervensi"], r.seconds)
        writer.add_rows("individu", r.individu)
        writer.add_rows("keluarga", r.keluarga)
        writer.add_rows("defects", r.defects)
        writer.add_typed("people", r.people)
        writer.add_typed("families", r.families)
        collected.counts[r.kode_kab] = r.counts
        collected.infos.extend(r.files)
        collected.budgets.append(r.budget)
        collected.budget_truth.append(r.budget_truth)
    return collected


def _summed(counts: dict[str, dict[str, int]]) -> dict[str, int]:
    """Per-regency counts summed over the province (keys in first-seen order)."""
    totals: dict[str, int] = {}
    for c in counts.values():
        for k, v in c.items():
            totals[k] = totals.get(k, 0) + v
    return totals


def generate_province(
    out_dir: str | Path,
    province: str = "52",
    scale: float = 0.01,
    seed: int = 2026,
    period: str | None = None,
    defect_rates: dict[str, float] | None = None,
    *,
    workers: int = 1,
    xlsx_engine: str = "fast",
    regencies: Sequence[str] | None = None,
) -> GenerationSummary:
    """Generate one province's regency submissions for a period, with the truth.

    Args:
        out_dir: data folder; files go to `inbox/<kode_kab>/<jenis>/` and the truth to `truth/<period>/`.
        province: 2-digit Kemendagri province code (52 = Nusa Tenggara Barat).
        scale: 1.0 = real registry sizes (DTKS ~38 % of a kabupaten's population in person rows).
        seed: base seed; the population is a deterministic function of (province, scale, seed).
        period: YYYY-MM; None = the current month. Drifts the population a little (desil changes,
            families leaving and entering P3KE) and dates the distributions.
        defect_rates: overrides of `DEFAULT_DEFECT_RATES` (0 disables a defect; all 0 gives clean files).
        workers: processes for regencies (1 = in this process; results are identical either way).
        xlsx_engine: "fast" (default) or "xlsxwriter" (reference engine, much slower).
        regencies: only these regencies' files and truth (None: every regency of the province); each one's
            files are the same bytes as in the whole province's run.

    Returns:
        A GenerationSummary (counts per regency and jenis, files written, elapsed seconds).
    """
    started = time.perf_counter()
    province = str(province).strip().replace(".", "")
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    year, month = parse_period(period)
    period_text = f"{year:04d}-{month:02d}"
    rates = effective_rates(defect_rates)
    out = Path(out_dir)
    contexts = _contexts(province, float(scale), int(seed))
    force = _forced_styles(contexts, rates)
    contexts = _only(contexts, regencies, province)
    _remove_previous(out, contexts, period_text)
    jobs = [RegencyJob(ctx, str(out), (year, month), rates, force[ctx.kode_kab], xlsx_engine) for ctx in contexts]
    truth_dir = out / "truth" / period_text
    writer = T.TruthWriter(truth_dir)
    try:
        collected = _collect(_run(jobs, workers), writer)
    finally:
        writer.close()
    pd.concat(collected.budget_truth, ignore_index=True).to_csv(truth_dir / "anggaran.csv", index=False)

    counts = collected.counts
    totals = _summed(counts)
    infos = sorted(collected.infos, key=lambda f: f["path"])
    files = [f["path"] for f in infos]
    totals["files"] = len(files)
    totals["defects"] = writer.rows.get("defects", 0)
    T.write_manifest(truth_dir / "manifest.json", {
        "generator_version": GENERATOR_VERSION,
        "province": province, "scale": float(scale), "seed": int(seed), "period": period_text,
        "epoch": f"{P.EPOCH[0]:04d}-{P.EPOCH[1]:02d}",
        "defect_rates": rates,
        "defect_counts": dict(sorted(writer.defect_counts.items())),
        "counts": counts, "totals": totals,
        "programmes": {c.kode_kab: [p.kode for p in c.programmes] for c in contexts},
        "row_numbers": "excel_row = 1-based physical row as shown by Excel (CSV: line number); "
                       "title lines and the header count, first data row = header_row + 1",
        "truth_files": ["individu.csv", "keluarga.csv", "defects.csv", "people.parquet", "families.parquet",
                        "anggaran.csv"],
        "files": infos,
        # budget workbooks: no person in them, their truth is each line's kind of spending (anggaran.csv)
        "anggaran": collected.budgets,
    })
    elapsed = time.perf_counter() - started
    return GenerationSummary(
        out_dir=str(out), province=province, period=period_text, seed=int(seed), scale=float(scale),
        counts=counts, totals=totals, files=files, truth_dir=truth_dir.relative_to(out).as_posix(),
        elapsed_seconds=round(elapsed, 3),
    )
