"""Convergence against the generator's truth: two periods generated, ingested, harmonised and converged.

    python -m benchmarks.bench_konvergensi [--scale 0.02] [--province 52] [--periods 2026-10 2026-11]

Runs the real path month by month (generate, `ingest_once`, `harmonise`, `konvergensi`) for two
consecutive periods into a temporary data folder and times every stage (wall time, rows in, peak RSS of
the stage). Then computes the province's convergence indicators of the second period from the truth
(`truth/<periode>/families.parquet`, `people.parquet`) with the definitions of the SQL in
`include/sql/konvergensi/` and the rules in `include/rules/` + `include/reference/program.csv` (read here
on their own, not through the pipeline's loader), and compares them with what the pipeline wrote:
`core.indikator_konvergensi_provinsi`, `core.indikator_cakupan_program`, `core.indikator_tumpang_tindih` and `core.indikator_graduasi` (provinsi).

The truth is about true families and people; the pipeline sees registries. Recipients in no registry
(kategori `tidak_terdaftar`) cannot be matched to a family: the pipeline counts them apart, as
`penerima_tidak_ditemukan`. Recipient-based figures are therefore compared with the truth over
registered families; the truth including unregistered recipients is shown beside them.
Figures are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import re
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
import yaml

from benchmarks.stages import Stage, measure

GRADUATION = ("membaik", "tetap", "memburuk", "keluar", "baru")
PRIORITY = ("lansia_tunggal", "disabilitas", "kepala_keluarga_perempuan", "pekerja_migran")


def _quiet() -> None:
    logging.basicConfig(level=logging.WARNING)
    for name in ("splink", "great_expectations", "alembic", "satudata"):
        logging.getLogger(name).setLevel(logging.WARNING)


# ---------------------------------------------------------------------------------------------- counts


def _count(url: str, sql: str, periode: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(sql), {"p": periode}).scalar_one())
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Programme:
    kode: str
    unit: str  # keluarga | individu
    desil_maks: int | None
    inti: bool
    kode_wilayah: str | None


@dataclass(frozen=True)
class Overlap:
    kode: str
    program_a: str
    program_b: str
    tingkat: str  # pelanggaran | audit


@dataclass(frozen=True)
class TruthRules:
    berkas: str
    desil_sasaran: int
    prioritas_desil_maks: int
    programmes: dict[str, Programme]
    overlaps: tuple[Overlap, ...]
    sumber_desil: str = "p3ke"  # p3ke | dtsen: whose desil eligibility and targets use


def load_truth_rules(periode: str, province: str) -> TruthRules:
    """The period's rule file (newest `berlaku_mulai` not after it) over program.csv, read independently.

    Only the programmes that run in the province (empty `kode_wilayah`, or one that covers it or lies in it).
    """
    from satudata.config import reference_dir
    from satudata.konvergensi.rules import rules_dir

    files = []
    for path in rules_dir().glob("konvergensi_*.y*ml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if str(data["berlaku_mulai"]) <= periode:
            files.append((str(data["berlaku_mulai"]), path.name, data))
    _, berkas, data = max(files)
    overrides = {str(k).upper(): v for k, v in (data.get("kelayakan") or {}).items()}
    programmes = {}
    ref = reference_dir()
    for path in [ref / "program.csv", *sorted(ref.glob("program_lokal_*.csv"))]:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                kode = row["kode_program"].strip().upper()
                wilayah = (row.get("kode_wilayah") or "").strip() or None
                if wilayah and not (wilayah.startswith(province) or province.startswith(wilayah)):
                    continue
                o = overrides.get(kode, {})
                desil = o["desil_maks"] if "desil_maks" in o else (int(row["desil_maks"]) if row["desil_maks"]
                                                                    else None)
                inti = bool(o["program_inti"]) if "program_inti" in o else row["program_inti"].strip() == "ya"
                programmes[kode] = Programme(kode, row["unit"].strip(), desil, inti, wilayah)
    overlaps = tuple(Overlap(o["kode"], *sorted(str(p).upper() for p in o["program"]), o["tingkat"])
                     for o in data.get("tumpang_tindih") or [])
    return TruthRules(berkas, int(data["desil_sasaran"]), int(data["kelompok_prioritas"]["desil_maks"]),
                      programmes, overlaps, str(data.get("sumber_desil") or "p3ke"))


# ---------------------------------------------------------------------------------------------- truth


def _programme_sets(values: pd.Series) -> pd.Series:
    return values.fillna("").map(lambda text: frozenset(p for p in text.split(";") if p))


def _receives(sets: pd.Series, codes: set[str] | str) -> pd.Series:
    wanted = {codes} if isinstance(codes, str) else codes
    return sets.map(lambda s: bool(s & wanted)).astype(bool)


def _eligible(p: Programme, desil: pd.Series, kode_desa: pd.Series, registered: pd.Series) -> pd.Series:
    ok = registered.copy() if p.desil_maks is None else desil.le(p.desil_maks)
    if p.kode_wilayah:
        ok &= kode_desa.astype(str).str.startswith(p.kode_wilayah)
    return ok


def true_indicators(truth_dir: Path, rules: TruthRules, previous_dir: Path | None = None) -> dict:
    """The province's indicators of a period from the generator's truth, as the SQL defines them.

    Recipient figures are pairs: (over registered families or people, what the pipeline can match; over
    all of them, including recipients in no registry). With `previous_dir`, also the graduation counts.
    """
    fam = pd.read_parquet(truth_dir / "families.parquet")
    ppl = pd.read_parquet(truth_dir / "people.parquet")
    # Under the DTSEN rules the targeting base is DTSEN (every family it holds) and its national desil.
    dtsen = rules.sumber_desil == "dtsen" and "in_dtsen" in fam and bool(fam["in_dtsen"].any())
    fam["terdaftar"] = fam["in_dtks"] | fam["in_p3ke"] | (fam["in_dtsen"] if dtsen else False)
    fam["terima"] = _programme_sets(fam["programmes"])
    # NaN outside the regime's registry: every comparison below is then False
    desil = fam["desil_dtsen"].where(fam["in_dtsen"]) if dtsen else fam["desil"].where(fam["in_p3ke"])

    def both(series: pd.Series) -> tuple[int, int]:
        """(registered families, all families) where the series is true."""
        return int((series & fam["terdaftar"]).sum()), int(series.sum())

    out: dict[str, int | tuple[int, int]] = {}
    core = {k for k, p in rules.programmes.items() if p.inti}
    sasaran = desil.le(rules.desil_sasaran)
    covered = _receives(fam["terima"], core)
    out["keluarga_terdata"] = int(fam["terdaftar"].sum())
    out["keluarga_p3ke"] = int(fam["in_p3ke"].sum())
    out["keluarga_desil1"] = int(sasaran.sum())
    out["desil1_terintervensi"] = int((sasaran & covered).sum())
    out["desil1_tanpa_program_inti"] = int((sasaran & ~covered).sum())
    out["desil1_tidak_di_dtks"] = int((sasaran & ~fam["in_dtks"]).sum())
    recipient = fam["terima"].map(bool).astype(bool)
    above = pd.Series(False, index=fam.index)
    for p in rules.programmes.values():
        above |= _receives(fam["terima"], p.kode) & ~_eligible(p, desil, fam["kode_desa"], fam["terdaftar"])
    out["keluarga_penerima"] = both(recipient)
    out["keluarga_penerima_di_atas_desil"] = both(above)
    named = ppl["programmes"].fillna("").ne("")
    # In no registry the pipeline reads: with DTSEN, most of those outside DTKS/P3KE are in DTSEN.
    outside = ppl["tidak_terdaftar"] & (~ppl["in_dtsen"] if dtsen else True)
    out["penerima_tidak_terdaftar"] = int((named & outside).sum())

    # Priority groups: a flag of any true member makes the family's (lansia_tunggal: its only member).
    flags = ppl.groupby("family_id")[list(PRIORITY)].any()
    prior = desil.le(rules.prioritas_desil_maks)
    for group in PRIORITY:
        has = fam["family_id"].map(flags[group]).fillna(False).astype(bool) & prior
        out[group] = int(has.sum())
        out[f"{group}_terintervensi"] = int((has & covered).sum())

    for o in rules.overlaps:
        out[f"tumpang_tindih.{o.kode}"] = both(_receives(fam["terima"], o.program_a)
                                               & _receives(fam["terima"], o.program_b))
    out.update(_true_coverage(rules, fam, ppl, desil, dtsen))
    if previous_dir is not None:
        out.update(true_graduation(previous_dir, truth_dir))
    if "in_dtsen" in fam and fam["in_dtsen"].any():
        out.update(_true_transition(fam))
    return out


def _true_coverage(rules: TruthRules, fam: pd.DataFrame, ppl: pd.DataFrame, desil: pd.Series,
                   dtsen: bool) -> dict[str, int | tuple[int, int]]:
    """Per programme, in its unit: families, or (individu programmes) people found in a registry."""
    out: dict[str, int | tuple[int, int]] = {}
    ppl["terdaftar"] = ppl["in_dtks"] | ppl["in_p3ke"] | (ppl["in_dtsen"] if dtsen else False)
    ppl["terima"] = _programme_sets(ppl["programmes"])
    ppl_desil = ppl["family_id"].map(desil.set_axis(fam["family_id"])) if dtsen else ppl["desil"]
    for p in rules.programmes.values():
        if p.unit == "individu":
            registered, receives = ppl["terdaftar"], _receives(ppl["terima"], p.kode)
            ok = _eligible(p, ppl_desil, ppl["kode_desa"], registered) & registered
        else:
            registered, receives = fam["terdaftar"], _receives(fam["terima"], p.kode)
            ok = _eligible(p, desil, fam["kode_desa"], registered)
        got = receives & registered
        outside = receives & ~registered
        out[f"cakupan.{p.kode}.sasaran_layak"] = int(ok.sum())
        out[f"cakupan.{p.kode}.penerima"] = (int(got.sum()), int(receives.sum()))
        out[f"cakupan.{p.kode}.penerima_layak"] = int((ok & got).sum())
        out[f"cakupan.{p.kode}.kesalahan_eksklusi"] = int((ok & ~got).sum())
        out[f"cakupan.{p.kode}.kesalahan_inklusi"] = (int((got & ~ok).sum()), int((receives & ~ok).sum()))
        out[f"cakupan.{p.kode}.penerima_tidak_ditemukan"] = int(outside.sum())
    return out


def _true_transition(fam: pd.DataFrame) -> dict[str, int]:
    """The transition: P3KE desil-1 families by their DTSEN desil now; DTKS/P3KE families DTSEN lacks."""
    out: dict[str, int] = {}
    d1 = fam[fam["in_p3ke"] & fam["desil"].eq(1)]
    kategori = ("desil_" + d1["desil_dtsen"].astype(int).astype(str)).where(d1["in_dtsen"], "tidak_di_dtsen")
    for key, n in kategori.value_counts().items():
        out[f"transisi.p3ke_desil1.{key}"] = int(n)
    out["transisi.tidak_di_dtsen"] = int(((fam["in_dtks"] | fam["in_p3ke"]) & ~fam["in_dtsen"]).sum())
    return out


def true_graduation(previous_dir: Path, truth_dir: Path) -> dict[str, int]:
    """P3KE families followed by their true family id: desil up (membaik), same, down, gone, new."""
    cols = ["family_id", "desil", "in_p3ke"]
    before = pd.read_parquet(previous_dir / "families.parquet", columns=cols)
    now = pd.read_parquet(truth_dir / "families.parquet", columns=cols)
    before = before[before["in_p3ke"]].set_index("family_id")["desil"]
    now = now[now["in_p3ke"]].set_index("family_id")["desil"]
    common = before.index.intersection(now.index)
    change = now[common] - before[common]
    return {"graduasi.membaik": int((change > 0).sum()), "graduasi.tetap": int((change == 0).sum()),
            "graduasi.memburuk": int((change < 0).sum()),
            "graduasi.keluar": len(before.index.difference(now.index)),
            "graduasi.baru": len(now.index.difference(before.index))}


# ---------------------------------------------------------------------------------------------- pipeline


def pipeline_indicators(url: str, periode: str, province: str) -> dict:
    """The same figures as the pipeline wrote them (provinsi level of the mart tables)."""
    import sqlalchemy as sa
    from satudata.warehouse.engine import read_frame

    engine = sa.create_engine(url)
    params = {"p": periode, "v": province}
    try:
        with engine.connect() as conn:
            head = read_frame(conn, "SELECT * FROM core.indikator_konvergensi_provinsi WHERE periode = :p "
                                    "AND kode_provinsi = :v", params)
            cover = read_frame(conn, "SELECT * FROM core.indikator_cakupan_program WHERE periode = :p "
                                     "AND tingkat = 'provinsi' AND kode_wilayah = :v", params)
            overlaps = read_frame(conn, "SELECT kode_aturan, jumlah_keluarga FROM core.indikator_tumpang_tindih "
                                        "WHERE periode = :p AND tingkat = 'provinsi' AND kode_wilayah = :v", params)
            grad = read_frame(conn, "SELECT status, SUM(jumlah_keluarga) AS n FROM core.indikator_graduasi WHERE periode = :p "
                                    "AND tingkat = 'provinsi' AND kode_wilayah = :v GROUP BY status", params)
            transisi = read_frame(conn, "SELECT indikator, kategori, SUM(jumlah) AS n FROM core.indikator_transisi_dtsen "
                                        "WHERE periode = :p AND tingkat = 'provinsi' AND kode_wilayah = :v "
                                        "AND indikator IN ('p3ke_desil1_menurut_dtsen', 'tidak_di_dtsen') "
                                        "GROUP BY indikator, kategori", params)
    finally:
        engine.dispose()
    out: dict[str, int | float | None] = {}
    if not head.empty:
        for key, value in head.iloc[0].items():
            if key not in ("periode", "kode_provinsi", "nama_wilayah"):
                out[str(key)] = None if pd.isna(value) else float(value) if "persen" in str(key) else int(value)
    for row in cover.to_dict("records"):
        for key in ("sasaran_layak", "penerima", "penerima_layak", "kesalahan_eksklusi", "kesalahan_inklusi",
                    "penerima_tidak_ditemukan", "persen_cakupan", "persen_inklusi"):
            value = row[key]
            out[f"cakupan.{row['kode_program']}.{key}"] = (None if pd.isna(value) else float(value)
                                                           if "persen" in key else int(value))
    for row in overlaps.to_dict("records"):
        out[f"tumpang_tindih.{row['kode_aturan']}"] = int(row["jumlah_keluarga"])
    for row in transisi.to_dict("records"):
        if row["indikator"] == "tidak_di_dtsen":
            out["transisi.tidak_di_dtsen"] = int(out.get("transisi.tidak_di_dtsen", 0)) + int(row["n"])
        else:
            out[f"transisi.p3ke_desil1.{row['kategori']}"] = int(row["n"])
    counts = dict(zip(grad["status"], grad["n"], strict=True))
    if counts:
        out.update({f"graduasi.{s}": int(counts.get(s, 0)) for s in GRADUATION})
    return out


# ---------------------------------------------------------------------------------------------- comparison


@dataclass
class Row:
    section: str
    indicator: str
    truth: float | None
    pipeline: float | None
    truth_semua: float | None = None  # including recipients in no registry, where that differs
    percent: bool = False

    @property
    def rel_diff(self) -> float | None:
        if self.truth is None or self.pipeline is None:
            return None
        if self.truth == 0:
            return 0.0 if self.pipeline == 0 else None
        return (self.pipeline - self.truth) / self.truth


def _pct(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def compare(truth: dict, pipe: dict, rules: TruthRules) -> list[Row]:
    rows: list[Row] = []

    def add(section: str, key: str, label: str | None = None) -> None:
        value = truth.get(key)
        registered, everyone = value if isinstance(value, tuple) else (value, None)
        rows.append(Row(section, label or key, registered, pipe.get(key),
                        everyone if everyone != registered else None))

    def add_pct(section: str, label: str, truth_value: float | None, key: str) -> None:
        rows.append(Row(section, label, truth_value, pipe.get(key), percent=True))

    def reg(key: str) -> float:
        value = truth[key]
        return value[0] if isinstance(value, tuple) else value

    s = "families"
    for key in ("keluarga_terdata", "keluarga_p3ke", "keluarga_desil1", "desil1_terintervensi",
                "desil1_tanpa_program_inti", "desil1_tidak_di_dtks"):
        add(s, key)
    add_pct(s, "persen_cakupan_desil1", _pct(reg("desil1_terintervensi"), reg("keluarga_desil1")),
            "persen_cakupan_desil1")
    add_pct(s, "persen_eksklusi_desil1", _pct(reg("desil1_tanpa_program_inti"), reg("keluarga_desil1")),
            "persen_eksklusi_desil1")
    add(s, "keluarga_penerima")
    add(s, "keluarga_penerima_di_atas_desil")
    add_pct(s, "persen_inklusi", _pct(reg("keluarga_penerima_di_atas_desil"), reg("keluarga_penerima")),
            "persen_inklusi")
    rows.append(Row(s, "penerima_tidak_ditemukan (truth: unregistered people)",
                    truth["penerima_tidak_terdaftar"], pipe.get("penerima_tidak_ditemukan")))
    s = f"priority groups ({rules.sumber_desil.upper()} desil <= {rules.prioritas_desil_maks})"
    for group in PRIORITY:
        add(s, group)
        add(s, f"{group}_terintervensi")
    s = "overlaps (families receiving both)"
    for o in rules.overlaps:
        add(s, f"tumpang_tindih.{o.kode}", f"{o.kode} ({o.tingkat})")
    for p in rules.programmes.values():
        s = (f"programme {p.kode} ({'people' if p.unit == 'individu' else 'families'}, desil <= "
             f"{p.desil_maks or '-'}{', core' if p.inti else ''})")
        for key in ("sasaran_layak", "penerima", "penerima_layak", "kesalahan_eksklusi", "kesalahan_inklusi",
                    "penerima_tidak_ditemukan"):
            add(s, f"cakupan.{p.kode}.{key}", key)
        layak = f"cakupan.{p.kode}.penerima_layak"
        add_pct(s, "persen_cakupan", _pct(reg(layak), reg(f"cakupan.{p.kode}.sasaran_layak")),
                f"cakupan.{p.kode}.persen_cakupan")
        add_pct(s, "persen_inklusi", _pct(reg(f"cakupan.{p.kode}.kesalahan_inklusi"),
                                          reg(f"cakupan.{p.kode}.penerima")), f"cakupan.{p.kode}.persen_inklusi")
    transition = sorted((k for k in set(truth) | set(pipe) if k.startswith("transisi.p3ke_desil1.")),
                        key=lambda k: (k.endswith("tidak_di_dtsen"), len(k), k))
    if transition:
        s = "DTSEN transition (P3KE desil-1 families by DTSEN desil now; DTKS/P3KE families missing from DTSEN)"
        for key in transition:
            rows.append(Row(s, key.removeprefix("transisi.p3ke_desil1."), truth.get(key, 0), pipe.get(key, 0)))
        add(s, "transisi.tidak_di_dtsen", "tidak_di_dtsen")
    if any(k.startswith("graduasi.") for k in truth):
        s = "graduation of P3KE families (previous period -> this one)"
        for status in GRADUATION:
            add(s, f"graduasi.{status}", status)
    return rows


# ---------------------------------------------------------------------------------------------- run


def run(scale: float = 0.02, province: str = "52", periods: tuple[str, str] = ("2026-10", "2026-11"),
        seed: int = 2026, workdir: Path | None = None) -> dict:
    """Generate, ingest, harmonise and converge two periods; return stage figures and the comparison."""
    from satudata.config import Settings
    from satudata.intake.run import IntakeOptions, ingest_once, list_submissions
    from satudata.pipeline import harmonise, konvergensi
    from satudata.warehouse.bootstrap import init_warehouse
    from satudata_dev.generate import generate_province

    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="satudata-bench-konvergensi-") as tmp:
            return run(scale, province, periods, seed, Path(tmp))
    settings = Settings(data_dir=workdir / "data", warehouse_url=f"duckdb:///{workdir / 'data' / 'warehouse.duckdb'}")
    settings.ensure_folders()
    url = settings.warehouse_url
    init_warehouse(url)
    stages: list[Stage] = []
    sizes: dict[str, dict] = {}
    staged_rows = 0
    for periode in periods:
        with measure(stages, "generate", periode) as st:
            summary = generate_province(settings.data_dir, province=province, scale=scale, seed=seed, period=periode)
            t = summary.totals
            st.rows_in = sum(t.get(k, 0) for k in ("dtks", "p3ke_keluarga", "p3ke", "dtsen_keluarga", "dtsen",
                                                    "intervensi"))
            st.what = "rows written"
        with measure(stages, "ingest", periode) as st:
            ingest_once(settings, options=IntakeOptions(stable_seconds=0))
            total = sum(s["rows_total"] for s in list_submissions(settings))
            st.rows_in, st.what, staged_rows = total - staged_rows, "file rows", total
        staged = {table: _count(url, f"SELECT count(*) FROM staging.{table} WHERE aktif AND periode = :p", periode)
                  for table in ("dtks", "p3ke_keluarga", "p3ke_anggota", "dtsen_anggota", "intervensi")}
        with measure(stages, "harmonise", periode) as st:
            harmonise(periode, settings)
            st.rows_in = staged["dtks"] + staged["p3ke_anggota"] + staged["dtsen_anggota"]
            st.what = "staged DTKS + P3KE + DTSEN people"
        with measure(stages, "konvergensi", periode) as st:
            konvergensi(periode, settings)
            st.rows_in, st.what = staged["intervensi"], "staged recipient rows"
        sizes[periode] = {
            "generated": {k: t.get(k, 0) for k in ("dtks", "p3ke_keluarga", "p3ke", "dtsen", "intervensi", "people",
                                                   "families")},
            "staged": staged,
            "harmonised_families": _count(url, "SELECT count(*) FROM core.keluarga_terpadu WHERE periode = :p",
                                          periode),
            "harmonised_people": _count(url, "SELECT count(*) FROM core.individu_terpadu WHERE periode = :p",
                                        periode),
        }
    previous, current = periods
    rules = load_truth_rules(current, province)
    truth_root = settings.data_dir / "truth"
    truth = true_indicators(truth_root / current, rules, truth_root / previous)
    pipe = pipeline_indicators(url, current, province)
    rows = compare(truth, pipe, rules)
    unregistered = truth["keluarga_penerima"]
    return {
        "scale": scale, "province": province, "periods": list(periods), "seed": seed, "rules": rules.berkas,
        "sizes": sizes, "stages": [asdict(s) for s in stages],
        "unregistered_recipient_families": unregistered[1] - unregistered[0],
        "unregistered_recipient_people": truth["penerima_tidak_terdaftar"],
        "p3ke_families_true": truth["keluarga_p3ke"],
        "rows": [{**asdict(r), "rel_diff": r.rel_diff} for r in rows],
    }


# ---------------------------------------------------------------------------------------------- report


def _num(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} %" if percent else f"{value:,.0f}"


def report(figures: dict) -> str:
    previous, current = figures["periods"]
    lines = [(f"convergence vs the generator's truth: province {figures['province']} at scale "
              f"{figures['scale']}, periods {previous} and {current} (rules {figures['rules']}), DuckDB warehouse"),
             "", "data sizes per period"]
    lines.append(f"  {'period':<8} {'DTKS rows':>10} {'P3KE fam':>9} {'P3KE mem':>9} {'DTSEN mem':>10} {'list rows':>10} "
                 f"{'true ppl':>9} {'true fam':>9} {'staged':>9} {'harm. ppl':>10} {'harm. fam':>10}")
    for periode, s in figures["sizes"].items():
        g = s["generated"]
        lines.append(f"  {periode:<8} {g['dtks']:>10,} {g['p3ke_keluarga']:>9,} {g['p3ke']:>9,} {g.get('dtsen', 0):>10,} "
                     f"{g['intervensi']:>10,} {g['people']:>9,} {g['families']:>9,} {sum(s['staged'].values()):>9,} "
                     f"{s['harmonised_people']:>10,} {s['harmonised_families']:>10,}")
    lines += ["", "stage timings, one process (peak RSS: the stage's own high-water mark, from its start RSS up)",
              f"  {'stage':<12} {'period':<8} {'seconds':>8} {'rows in':>9}  {'':<26} {'start RSS':>9} {'peak RSS':>9}"]
    for st in figures["stages"]:
        rate = f"{st['rows_in'] / st['seconds']:,.0f} rows/s" if st["seconds"] else ""
        lines.append(f"  {st['name']:<12} {st['periode']:<8} {st['seconds']:>8.1f} {st['rows_in']:>9,}  "
                     f"{st['what']:<26} {st['start_rss_mb']:>6,.0f} MB {st['peak_rss_mb']:>6,.0f} MB  {rate}")
    total = sum(st["seconds"] for st in figures["stages"])
    lines.append(f"  {'total':<12} {'':<8} {total:>8.1f}")
    lines += ["", f"indicators of {current}, province level: truth vs pipeline, rel. diff = (pipeline - truth) / truth",
              f"  {'indicator':<52} {'truth':>9} {'pipeline':>9} {'rel. diff':>9}   truth incl. tidak_terdaftar"]
    section = None
    for r in figures["rows"]:
        if r["section"] != section:
            section = r["section"]
            lines.append(f"  [{section}]")
        diff = "-" if r["rel_diff"] is None else f"{100 * r['rel_diff']:+.1f} %"
        extra = "" if r["truth_semua"] is None else _num(r["truth_semua"])
        lines.append(f"  {r['indicator'][:52]:<52} {_num(r['truth'], r['percent']):>9} "
                     f"{_num(r['pipeline'], r['percent']):>9} {diff:>9}   {extra}")
    p3ke_staged = figures["sizes"][current]["staged"]["p3ke_keluarga"]
    notes = f"""
notes:
- The truth counts true families and people. {figures['unregistered_recipient_families']:,} recipient families
  ({figures['unregistered_recipient_people']:,} people named on lists) are in no registry (kategori tidak_terdaftar):
  the pipeline cannot match them and reports them as penerima_tidak_ditemukan instead. Recipient figures
  in the truth column are over registered families/people; the last column adds the unregistered ones.
- Priority groups in the truth use every true member of the family (flags of people.parquet); the
  pipeline sees the members present in DTKS/P3KE.
- Rows refused at intake (injected defects) are missing from every pipeline figure: {p3ke_staged:,} of
  {figures['p3ke_families_true']:,} true P3KE families of {current} were staged.
- penerima_tidak_ditemukan counts distinct (NIK, name, desa) as written on the lists: one person written
  differently on two lists (UPPER vs Title case, a name variant, a missing NIK) counts twice.
- Graduation in the truth follows the true family id; the pipeline follows the P3KE family id, else the KK."""
    lines += notes.splitlines()
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.02)
    parser.add_argument("--province", default="52")
    parser.add_argument("--periods", nargs=2, default=["2026-10", "2026-11"], metavar="YYYY-MM",
                        help="two consecutive periods, older first")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of the table")
    args = parser.parse_args(argv)
    if not all(re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", p) for p in args.periods) or args.periods[0] >= args.periods[1]:
        parser.error("--periods needs two YYYY-MM periods, older first")
    _quiet()
    os.environ.setdefault("SATUDATA_TASK_RETRIES", "0")
    os.environ["SATUDATA_STABLE_SECONDS"] = "0"
    figures = run(args.scale, args.province, tuple(args.periods), args.seed)
    print(json.dumps(figures, indent=2, ensure_ascii=False, default=str) if args.json else report(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
