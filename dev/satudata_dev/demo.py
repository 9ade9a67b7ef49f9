"""`make demo`: a synthetic province through the real DAGs, on an embedded Airflow and DuckDB.

Run as `python -m satudata_dev.demo [--scale S] [--seed N] [--period YYYY-MM]`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

from satudata.config import PROJECT_ROOT, Settings
from satudata.quiet import quiet_third_party

DAG_ORDER = ("satudata_intake", "satudata_harmonise", "satudata_konvergensi", "satudata_publish")
# Three of NTB's ten regencies keep the demo near a minute and a half on two cores (all ten: about four
# minutes, most of it the fixed cost of each file and regency): a kabupaten whose DTKS comes as CSV, a small
# one, and a kota whose RTLH list is an empty file (a refusal to see). `--kabupaten semua` runs all ten.
DEMO_REGENCIES = {"52": ("5202", "5208", "5272")}


def _say(message: str = "") -> None:
    print(message, flush=True)


def _print_intake(settings: Settings) -> None:
    from collections import defaultdict

    from satudata.intake.run import list_submissions
    from satudata.reference.wilayah import Wilayah

    wilayah = Wilayah.load()
    per_regency: dict[str, list[dict]] = defaultdict(list)
    for item in list_submissions(settings):
        per_regency[item["kode_kab"]].append(item)
    _say(f"   {'kab':<5} {'nama':<28} {'files':>5} {'accepted':>8} {'partial':>7} {'rejected':>8} "
         f"{'rows in':>9} {'staged':>9} {'refused':>8}")
    for kab in sorted(per_regency):
        items = per_regency[kab]
        count = {s: sum(1 for i in items if i["status"] == s) for s in ("accepted", "partial", "rejected")}
        _say(f"   {kab:<5} {(wilayah.name(kab) or '?')[:28]:<28} {len(items):>5} {count['accepted']:>8} "
             f"{count['partial']:>7} {count['rejected']:>8} {sum(i['rows_total'] for i in items):>9} "
             f"{sum(i['rows_accepted'] for i in items):>9} {sum(i['rows_rejected'] for i in items):>8}")
    rejected = [i for kab in per_regency for i in per_regency[kab] if i["status"] == "rejected"]
    for item in rejected:
        _say(f"   refused: {item['file']} ({item['reason']}) -> outbox/{item['report']}")


def _print_harmonisation(settings: Settings, period: str) -> None:
    from satudata.harmonise.run import period_summary

    summary = period_summary(settings, period)
    if not summary["kabupaten"]:
        _say("   nothing harmonised")
        return
    _say(f"   people: {summary.get('individu', 0):>8}  in both registries {summary.get('individu_di_keduanya', 0):>8}"
         f"  DTKS only {summary.get('individu_hanya_dtks', 0):>8}  P3KE only {summary.get('individu_hanya_p3ke', 0):>8}")
    _say(f"   families: {summary.get('keluarga', 0):>6}  in both registries {summary.get('keluarga_di_keduanya', 0):>8}"
         f"  DTKS only {summary.get('keluarga_hanya_dtks', 0):>8}  P3KE only {summary.get('keluarga_hanya_p3ke', 0):>8}")
    _say(f"   DTSEN people {summary.get('dtsen_individu', 0):>8}  linked to DTKS/P3KE "
         f"{summary.get('dtsen_terpadan', 0):>8}  DTSEN only {summary.get('dtsen_individu_baru', 0):>8}")
    _say(f"   DTSEN families {summary.get('keluarga_di_dtsen', 0):>6}  DTKS/P3KE families missing from DTSEN "
         f"{summary.get('keluarga_tidak_di_dtsen', 0):>6}")
    _say("   person links (method/scope):")
    for key, count in sorted(summary["padanan"].items()):
        _say(f"     {key:<28} {count:>8}")
    _say(f"   pairs waiting for review:     {summary.get('antrian_review', 0):>8}"
         "   (outbox/<kode_kab>/review_padanan_<periode>.xlsx)")
    _say("   conflicts (core.konflik_padanan):")
    for kind, count in summary["konflik"].items():
        _say(f"     {kind:<28} {count:>8}")


def _share(part, whole) -> str:
    return f"{100 * part / whole:5.1f} %" if whole else "    - "


def _print_konvergensi(settings: Settings, period: str) -> None:
    from satudata.konvergensi.run import period_headline

    summary = period_headline(settings, period)
    if not summary["provinsi"]:
        _say("   nothing computed")
        return
    desil_of = " / ".join(s.upper() for s in summary.get("sumber_desil") or ["p3ke"])
    for prov, h in summary["provinsi"].items():
        d1 = h["keluarga_desil1"]
        _say(f"   {h['nama_wilayah']} ({prov}), period {period}")
        _say(f"   {'desil-1 families (' + desil_of + ')':<44}{d1:>8}")
        _say(f"   ... with at least one core programme        {h['desil1_terintervensi']:>8}  "
             f"{_share(h['desil1_terintervensi'], d1)}  (cakupan minimal satu program)")
        _say(f"   ... with none (exclusion error)             {h['desil1_tanpa_program_inti']:>8}  "
             f"{_share(h['desil1_tanpa_program_inti'], d1)}")
        _say(f"   ... not registered in DTKS                  {h['desil1_tidak_di_dtks']:>8}  "
             f"{_share(h['desil1_tidak_di_dtks'], d1)}")
        _say(f"   recipient families                          {h['keluarga_penerima']:>8}")
        _say(f"   ... above a programme's desil (inclusion)   {h['keluarga_penerima_di_atas_desil']:>8}  "
             f"{_share(h['keluarga_penerima_di_atas_desil'], h['keluarga_penerima'])}")
        _say(f"   recipients found in no registry             {h['penerima_tidak_ditemukan']:>8}")
        for o in h["tumpang_tindih"]:
            _say(f"   overlap {o['kode_aturan']:<22} ({o['tingkat_aturan']:<11}) {o['jumlah_keluarga']:>8} families")
        for group in ("lansia_tunggal", "disabilitas", "kepala_keluarga_perempuan", "pekerja_migran"):
            _say(f"   priority {group:<26} {h[group]:>8}  covered {_share(h[group + '_terintervensi'], h[group])}")
        _say("   coverage per programme (eligible units, recipients, coverage, exclusion, inclusion, not found):")
        for p in h["program"]:
            cover = "-" if p["persen_cakupan"] is None else f"{p['persen_cakupan']:.1f} %"
            _say(f"     {p['kode_program']:<14} {p['sasaran_layak']:>8} {p['penerima']:>8} {cover:>8} "
                 f"{p['kesalahan_eksklusi']:>8} {p['kesalahan_inklusi']:>8} {p['penerima_tidak_ditemukan']:>6}")
        _say(f"   poverty pockets: {h['jumlah_kantong']} desa; desa with the most uncovered desil-1 families:")
        for p in h["desa_teratas"]:
            _say(f"     {p['kode_desa']} {str(p['nama_desa'])[:24]:<24} kec. {str(p['nama_kecamatan'])[:18]:<18} "
                 f"{p['desil1_tanpa_program_inti']:>4} of {p['keluarga_desil1']:>4} desil-1 families uncovered"
                 f"{'  (kantong)' if p['kantong'] else ''}")
        _print_transisi(h["transisi_dtsen"])
        _print_budgets(h)
    _say("   action lists: outbox/<kode_kab>/sasaran_belum_terintervensi_<periode>.xlsx")
    _say("   DTSEN follow-up (reactivation, SIKS-NG proposals): outbox/<kode_kab>/tindak_lanjut_dtsen_<periode>.xlsx")


def _rupiah(value) -> str:
    return "-" if value is None else f"Rp {value / 1e9:,.2f} M"  # miliar


def _print_budgets(h: dict) -> None:
    """The regencies' APBD, then the province's own beside it (never added to it)."""
    _print_budget(h["anggaran"], h["jangkauan_anggaran"])
    _print_budget(h.get("anggaran_provinsi"), h.get("jangkauan_anggaran_provinsi"), own=True)


def _print_budget(summary: dict | None, reach: list[dict] | None, *, own: bool = False) -> None:
    """The poverty budget of a province's regencies, or (own) the province's own APBD
    (core.indikator_anggaran_ringkasan / _jangkauan, by pemilik_anggaran)."""
    whose = "the province's own APBD" if own else "APBD of the regencies"
    if not summary or not summary.get("data_anggaran"):
        _say(f"   poverty budget, {whose}: no recap sent")
        return
    _say(f"   poverty budget ({whose}, {summary['jumlah_sub_kegiatan']} sub-activities): pagu "
         f"{_rupiah(summary['pagu'])}, spent {_rupiah(summary['realisasi'])} ({summary['persen_realisasi']} %)")
    for kind in ("intervensi_langsung", "pemberdayaan", "infrastruktur", "penunjang", "tidak_terklasifikasi"):
        _say(f"     {kind:<22} {_rupiah(summary['pagu_' + kind]):>16}  {_share(summary['pagu_' + kind] or 0, summary['pagu'])}")
    _say(f"   ... located in a desa {_rupiah(summary['rupiah_berlokasi'])}, of it in poverty pockets "
         f"{_rupiah(summary['rupiah_di_kantong'])}")
    for r in reach or []:
        per = r["rupiah_per_keluarga_desil1"]
        _say(f"   {r['kode_program']:<14} {_rupiah(r['realisasi'] if r['dasar_rupiah'] == 'realisasi' else r['pagu']):>16} "
             f"({r['dasar_rupiah']}) reached {r['keluarga_terjangkau']:>6} families, "
             f"{r['keluarga_desil1_terjangkau']:>6} in desil 1; "
             + ("-" if per is None else f"Rp {per:,.0f}") + " per desil-1 family")


def _print_transisi(rows: list[dict]) -> None:
    """The P3KE -> DTSEN transition of a province (core.indikator_transisi_dtsen)."""
    if not rows:
        _say("   DTSEN transition: no regency sent a DTSEN extract")
        return
    by = {}
    for r in rows:
        by.setdefault(r["indikator"], []).append(r)
    d1 = by.get("p3ke_desil1_menurut_dtsen", [])
    total = sum(r["jumlah"] for r in d1)
    _say(f"   DTSEN transition: P3KE desil-1 families by their DTSEN desil now ({total} families)")
    for r in sorted(d1, key=lambda r: (r["kategori"] == "tidak_di_dtsen", len(r["kategori"]), r["kategori"])):
        _say(f"     {r['kategori']:<24} {r['jumlah']:>8}  {_share(r['jumlah'], total)}")
    for r in by.get("tidak_di_dtsen", []):
        _say(f"   in DTKS/P3KE, missing from DTSEN: {r['kategori']:<15} {r['jumlah']:>8} families")
    moves = by.get("perpindahan_desil", [])
    if moves:
        _say("   DTSEN desil movement since the previous quarter: "
             + ", ".join(f"{r['kategori']} {r['jumlah']}" for r in moves))
    for r in by.get("program_dtsen", []):
        _say(f"   {r['kode_program']:<8} {r['kategori']:<24} {r['jumlah']:>8} {r['satuan']}")


def _print_publication(settings: Settings, period: str) -> dict:
    from satudata.publish.exports import latest_dir
    from satudata.warehouse.engine import make_engine, read_frame

    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            rows = read_frame(conn, "SELECT * FROM meta.publikasi WHERE periode = :p AND status = 'terbit'",
                              {"p": period})
    finally:
        engine.dispose()
    if rows.empty:
        _say("   nothing published")
        return {}
    record = rows.iloc[0]
    summary = json.loads(record["ringkasan"])
    folder = latest_dir(settings, period)
    _say(f"   publication {record['publikasi_id']} of {period}, approved by {record['disetujui_oleh']} "
         f"({record['cara_persetujuan']}), rules {record['aturan']}")
    _say(f"   cells suppressed (counts below {record['ambang_sel_kecil']} and what would reveal them): "
         f"{summary['sel_disensor_primer']} primary, {summary['sel_disensor_sekunder']} secondary")
    for table, count in summary["sel_disensor"].items():
        _say(f"     {table:<24} {summary['baris'][table]:>6} rows {count:>7} cells suppressed")
    return {"folder": folder}


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
                **{
                    f"{table} (aktif)": conn.execute(sa.text(f"SELECT count(*) FROM {table} WHERE aktif")).scalar_one()
                    for table in ("staging.dtks", "staging.p3ke_keluarga", "staging.p3ke_anggota",
                                  "staging.intervensi")
                },
                **{
                    table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
                    for table in ("core.padanan_individu", "core.individu_terpadu", "core.keluarga_terpadu",
                                  "core.konflik_padanan", "core.antrian_review", "core.penerima_program",
                                  "core.indikator_konvergensi_desa", "mart.konvergensi_desa", "mart.cakupan_program",
                                  "mart.kantong_kemiskinan", "meta.publikasi", "meta.kamus_data")
                },
            }
    finally:
        engine.dispose()


def _generate(settings: Settings, args: argparse.Namespace) -> None:
    """Step 1: the synthetic province into the data folder, and the operators' Excel templates."""
    from satudata_dev.generate import generate_province

    started = time.perf_counter()
    summary = generate_province(
        settings.data_dir, province=args.province, scale=args.scale, seed=args.seed, period=args.period,
        regencies=_regencies(args),
    ).to_dict()
    _say(f"\n1. Generated a synthetic province in {time.perf_counter() - started:.1f} s:")
    _say(json.dumps(summary.get("totals", summary), indent=2, ensure_ascii=False, default=str))

    from satudata.intake.templates import write_template

    for jenis in ("dtks", "p3ke", "intervensi"):
        write_template(jenis, settings.folder("templates") / f"template_{jenis}.xlsx")
    _say(f"   Excel templates for operators in {settings.folder('templates')}")


def _regencies(args: argparse.Namespace) -> tuple[str, ...] | None:
    """The regencies to generate: the ones asked for, the demo's few of its province, or (None) all."""
    if args.kabupaten == "semua":
        return None
    if args.kabupaten:
        return tuple(code.strip() for code in args.kabupaten.split(",") if code.strip())
    return DEMO_REGENCIES.get(args.province)


def _run_dags(airflow_local) -> dict[str, str]:
    """Steps 2 and 3: Airflow's metadata DB, then every DAG in order through dag.test; their final states."""
    _say("\n2. Airflow metadata DB (SQLite) and pools ...")
    airflow_local.prepare_metadata_db()
    quiet_third_party()  # again: importing Airflow put its own warning filters in front of ours
    dags = airflow_local.load_dags()

    _say("\n3. Running the DAGs through Airflow (dag.test):")
    states = {}
    for dag_id in DAG_ORDER:
        started = time.perf_counter()
        states[dag_id] = airflow_local.run_dag(dags[dag_id])
        _say(f"   {dag_id:<24} {states[dag_id]:<10} {time.perf_counter() - started:6.1f} s")
    return states


def _print_where(settings: Settings, period: str, airflow_home: Path, published: dict) -> None:
    _say("\nWhere to look:")
    _say(f"   inbox (regency files):  {settings.folder('inbox')}")
    _say(f"   answers to regencies:   {settings.folder('outbox')}/<kode_kab>/*.laporan.xlsx")
    _say(f"   archive of originals:   {settings.folder('archive')}")
    _say(f"   GX Data Docs:           {settings.data_dir / 'gx/gx/uncommitted/data_docs/local_site/index.html'}")
    _say(f"   ledger:                 .venv/bin/satudata submissions --data-dir {settings.data_dir}")
    _say(f"   truth of the generator: {settings.data_dir / 'truth' / period}")
    _say(f"   warehouse (DuckDB):     {settings.warehouse_url.removeprefix('duckdb:///')}")
    _say(f"   Airflow home:           {airflow_home}  (UI: `make airflow-ui`)")
    if published.get("folder"):
        _say(f"   exports for the forum:  {published['folder']}  (CSV, XLSX, kamus_data, datapackage.json)")
        _say(f"   report for the forum:   {published['folder'] / f'laporan_{period}.html'}  (and .pdf)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="satudata-demo", description=__doc__)
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--period", default="2026-11")
    parser.add_argument("--province", default="52")
    parser.add_argument("--kabupaten", default="",
                        help="regency codes, comma-separated, or 'semua' for the whole province "
                             "(default for 52: 5202,5208,5272)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    quiet_third_party()

    # The generator has just written the files: nothing is still being copied, so no need to wait.
    os.environ.setdefault("SATUDATA_STABLE_SECONDS", "0")
    # In production a walidata approves each publication in Airflow; the demo approves by configuration.
    os.environ.setdefault("SATUDATA_PUBLISH_APPROVER", "Walidata (demo)")
    settings = Settings.from_env()
    settings.ensure_folders()
    airflow_home = Path(PROJECT_ROOT / ".airflow")

    from satudata_dev import airflow_local

    airflow_home = Path(airflow_local.configure(airflow_home)["AIRFLOW_HOME"])  # one set in the environment wins

    regencies = _regencies(args)
    _say(f"== Satu Data Kemiskinan demo: province {args.province}, scale {args.scale}, period {args.period}, "
         f"regencies {', '.join(regencies) if regencies else 'all'}")
    _say(f"   data folder: {settings.data_dir}")
    _say(f"   warehouse:   {settings.warehouse_url}")
    _generate(settings, args)
    states = _run_dags(airflow_local)

    _say("\n4. Intake, per regency (from the ledger meta.submission):")
    _print_intake(settings)

    _say("\n5. Harmonisation DTKS <-> P3KE <-> DTSEN (core.individu_terpadu, core.keluarga_terpadu, core.padanan_dtsen):")
    _print_harmonisation(settings, args.period)

    _say("\n6. Convergence: do the programmes reach the poorest families? (exact figures, core.indikator_*)")
    _print_konvergensi(settings, args.period)

    _say("\n7. Publication (mart, small cells suppressed; exports and report for the forum):")
    published = _print_publication(settings, args.period)

    _say("\n8. Warehouse:")
    for table, rows in _warehouse_summary(settings.warehouse_url).items():
        _say(f"   {table:<28} {rows:>8} rows")

    _print_where(settings, args.period, airflow_home, published)
    failed = [d for d, s in states.items() if "success" not in s]
    if failed:
        _say(f"\nFAILED: {failed}")
        return 1
    return 0


if __name__ == "__main__":
    code = main()
    # Everything is written, committed and closed by now. After dag.test() has run in this process, the
    # interpreter's teardown can still print DuckDB's "nanobind: leaked instance" report for type constants
    # that something in this long process still holds then (no connection of ours; see satudata.quiet):
    # leave without the teardown.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
