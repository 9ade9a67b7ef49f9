"""The convergence indicators of a period: the rules applied, then the SQL of `include/sql/konvergensi/`.

Each indicator is defined once, in SQL, and runs unchanged on DuckDB and PostgreSQL. The exact figures,
small cells included, go to the restricted `core.indikator_<table>`; publication (`satudata.publish`)
puts them in `mart` with small cells suppressed. Everything a period owns (`meta` rules, `core` facts
and indicators) is replaced in one transaction, so a reader sees the previous state or the new one, and
a re-run for the same period gives identical tables.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from dataclasses import asdict
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache

import pandas as pd
import sqlalchemy as sa

from satudata.config import Settings, sql_dir
from satudata.konvergensi.anggaran import PEMILIK, UNCLASSIFIED, budget_lines, load_budget_rules
from satudata.konvergensi.rules import Rules, load_rules
from satudata.schema import INDICATOR_TABLES
from satudata.warehouse.engine import make_engine, read_frame, refresh_statistics, replace_rows

log = logging.getLogger(__name__)

LEVELS = {  # indicator table -> region columns of that level
    "konvergensi_desa": ("kode_provinsi", "kode_kab", "kode_kec", "kode_desa"),
    "konvergensi_kecamatan": ("kode_provinsi", "kode_kab", "kode_kec"),
    "konvergensi_kabupaten": ("kode_provinsi", "kode_kab"),
    "konvergensi_provinsi": ("kode_provinsi",),
}
CORE_TABLES = ("sasaran_program", "konvergensi_keluarga")
META_TABLES = ("aturan_konvergensi", "program_periode", "program_kabupaten", "aturan_tumpang_tindih",
               "nilai_kategori", "sumber_desil")
# What the SQL of include/sql/konvergensi/ reads, filled by the tasks just before it.
STATISTICS_TABLES = ("core.individu_terpadu", "core.keluarga_terpadu", "core.penerima_program", "staging.dtsen_keluarga",
                     "meta.program_periode", "meta.program_kabupaten", "meta.aturan_tumpang_tindih",
                     "meta.nilai_kategori")


@cache
def sql_text(name: str) -> str:
    """An SQL file of `include/sql/konvergensi/` without its comment lines.

    Comments stay in the files for readers; they are dropped here because SQLAlchemy would read a
    `:word` in a comment as a bind parameter.
    """
    text = (sql_dir() / "konvergensi" / name).read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))


def level_sql(table: str) -> str:
    keys = LEVELS[table]
    return (sql_text("03_konvergensi_wilayah.sql")
            .replace("{table}", table)
            .replace("{h_keys}", ", ".join(f"h.{k}" for k in keys))
            .replace("{keys}", ", ".join(keys))
            .replace("{name_key}", keys[-1]))


def previous_period(conn, periode: str) -> str | None:
    return conn.execute(sa.text("SELECT MAX(periode) FROM core.keluarga_terpadu WHERE periode < :p"),
                        {"p": periode}).scalar_one_or_none()


def _rule_frames(rules: Rules, periode: str) -> dict[str, pd.DataFrame]:
    programmes = pd.DataFrame([asdict(p) for p in rules.programmes])
    programmes.insert(0, "periode", periode)
    programmes["desil_maks"] = programmes["desil_maks"].astype("Int64")
    overlaps = pd.DataFrame({
        "periode": periode, "kode_aturan": [o.kode for o in rules.overlaps],
        "program_a": [o.program_a for o in rules.overlaps], "program_b": [o.program_b for o in rules.overlaps],
        "tingkat": [o.tingkat for o in rules.overlaps], "dasar_hukum": "; ".join(rules.dasar_hukum),
        "keterangan": [o.keterangan for o in rules.overlaps],
    })
    applied = pd.DataFrame([{"periode": periode, "berlaku_mulai": rules.berlaku_mulai, "berkas": rules.berkas,
                             "sha256": rules.sha256, "isi": rules.as_json(), "dimuat_pada": datetime.now(UTC)}])
    regency = pd.DataFrame([{"periode": periode, **asdict(r)} for r in rules.penyesuaian_kabupaten],
                           columns=["periode", "kode_kab", "kode_program", "desil_maks", "sumber"])
    return {"aturan_konvergensi": applied, "program_periode": programmes, "program_kabupaten": regency,
            "aturan_tumpang_tindih": overlaps}


def _categories(conn, rules: Rules, periode: str) -> pd.DataFrame:
    """The rules' reading of every distinct disability and occupation value in the period's data."""
    rows = []
    for column, kategori, test in (("disabilitas", "disabilitas", rules.is_disability),
                                   ("pekerjaan", "pekerja_migran", rules.is_migrant_work)):
        values = conn.execute(sa.text(
            f"SELECT DISTINCT lower(trim({column})) FROM core.individu_terpadu "
            f"WHERE periode = :p AND {column} IS NOT NULL"), {"p": periode}).scalars().all()
        rows += [{"periode": periode, "kolom": column, "nilai": v, "kategori": kategori} for v in values if test(v)]
    return pd.DataFrame(rows, columns=["periode", "kolom", "nilai", "kategori"])


def build_indicators(settings: Settings, periode: str, *, run_id: str | None = None) -> dict:
    """Apply the period's rules and rebuild its `core` facts and indicators in one transaction."""
    started = time.perf_counter()
    rules = load_rules(periode)
    engine = make_engine(settings.warehouse_url)
    params = {
        "periode": periode, "sumber_desil": rules.sumber_desil, "desil_sasaran": rules.desil_sasaran, "prioritas_desil_maks": rules.prioritas_desil_maks,
        "lansia_anggota_maks": rules.lansia_jumlah_anggota_maks,
        "lansia_lahir_maks": rules.lansia_born_on_or_before(periode),
        "kepala_perempuan": rules.kepala_perempuan_jenis_kelamin,
        "teratas": rules.kantong_teratas_per_kabupaten, "minimal": rules.kantong_minimal_keluarga,
    }
    timings: dict[str, float] = {}

    def run(name: str, sql: str, values: dict) -> None:
        t = time.perf_counter()
        used = {k: v for k, v in values.items() if re.search(rf":{k}\b", sql)}
        conn.execute(sa.text(sql), used)
        timings[name] = round(time.perf_counter() - t, 2)

    try:
        with engine.begin() as conn:
            before = previous_period(conn, periode)
            scope = "periode = :p"
            for table, frame in _rule_frames(rules, periode).items():
                replace_rows(conn, f"meta.{table}", frame, scope, {"p": periode})
            replace_rows(conn, "meta.nilai_kategori", _categories(conn, rules, periode), scope, {"p": periode})
            for table in (*CORE_TABLES, *(f"indikator_{t}" for t in INDICATOR_TABLES)):
                name = table if "." in table else f"core.{table}"
                conn.execute(sa.text(f"DELETE FROM {name} WHERE periode = :p"), {"p": periode})
            # The mapped tasks have just loaded the period: plan on statistics that know it.
            refresh_statistics(conn, STATISTICS_TABLES)
            conn.execute(sa.text("DELETE FROM meta.sumber_desil WHERE periode = :p"), {"p": periode})
            run("sumber_desil", sql_text("00_sumber_desil.sql"), params)
            run("sasaran_program", sql_text("01_sasaran_program.sql"), params)
            run("konvergensi_keluarga", sql_text("02_konvergensi_keluarga.sql"), params)
            for table in LEVELS:
                run(table, level_sql(table), params)
            run("cakupan_program", sql_text("04_cakupan_program.sql"), params)
            run("tumpang_tindih", sql_text("05_tumpang_tindih.sql"), params)
            run("kantong_kemiskinan", sql_text("06_kantong_kemiskinan.sql"), params)
            if before:
                run("graduasi", sql_text("07_graduasi.sql"), {**params, "periode_sebelumnya": before})
            run("transisi_dtsen", sql_text("08_transisi_dtsen.sql"), params)
            if rules.sumber_desil == "dtsen":
                for code in rules.pantau_transisi:
                    run(f"transisi_{code}", sql_text("09_transisi_program.sql"), {**params, "kode_program": code})
            run("transisi_provinsi", sql_text("10_transisi_provinsi.sql"), params)
            budget = build_budget(conn, periode)
            run("anggaran", sql_text("11_anggaran.sql"), params)
            run("anggaran_jangkauan", sql_text("12_anggaran_jangkauan.sql"), params)
            run("anggaran_ringkasan", sql_text("13_anggaran_ringkasan.sql"), params)
            summary = headline(conn, periode)
            summary.update({"aturan": rules.berkas, "periode_sebelumnya": before, "detik_per_langkah": timings,
                            "anggaran": budget})
            meta = pd.DataFrame([{"periode": periode, "kode_kab": "", "langkah": "indikator", "run_id": run_id,
                                  "dihitung_pada": datetime.now(UTC),
                                  "ringkasan": json.dumps(summary, ensure_ascii=False, default=str)}])
            replace_rows(conn, "meta.konvergensi", meta, "periode = :p AND kode_kab = '' AND langkah = 'indikator'",
                         {"p": periode})
    finally:
        engine.dispose()
    summary["seconds"] = round(time.perf_counter() - started, 2)
    log.info("convergence indicators %s built under %s: %s", periode, rules.berkas, summary)
    return summary


BUDGET_STAGING = """
SELECT submission_id, kode_kab, baris, lembar, tahun_anggaran, kode_skpd, nama_skpd, kode_program_apbd, kode_giat,
       kode_sub_giat, nama_sub_giat, nama_dana, pagu, bulan, realisasi_anggaran, realisasi_fisik, kelompok_teks,
       strategi_teks, kode_program, kode_desa
FROM staging.anggaran WHERE periode = :p AND aktif ORDER BY kode_kab, submission_id, lembar, baris
"""


def build_budget(conn, periode: str) -> dict:
    """The period's budget lines, classified under its rule file (`konvergensi.anggaran`), in `core`."""
    rows = read_frame(conn, BUDGET_STAGING, {"p": periode})
    scope = "periode = :p"
    if rows.empty:  # no regency sent a budget: everything else is published, and says so
        for table in ("meta.aturan_anggaran", "core.anggaran_sub_kegiatan", "core.anggaran_lokasi"):
            conn.execute(sa.text(f"DELETE FROM {table} WHERE {scope}"), {"p": periode})
        return {"aturan": None, "kabupaten": [], "provinsi": [], "sub_kegiatan": 0, "tidak_terklasifikasi": 0}
    budget_rules = load_budget_rules(periode)  # budget rows without a rule file for them: a loud error
    lines, lokasi = budget_lines(rows, budget_rules, periode)
    applied = pd.DataFrame([{"periode": periode, "berlaku_mulai": budget_rules.berlaku_mulai,
                             "berkas": budget_rules.berkas, "sha256": budget_rules.sha256,
                             "isi": budget_rules.as_json(), "dimuat_pada": datetime.now(UTC)}])
    replace_rows(conn, "meta.aturan_anggaran", applied, scope, {"p": periode})
    replace_rows(conn, "core.anggaran_sub_kegiatan", lines, scope, {"p": periode})
    replace_rows(conn, "core.anggaran_lokasi", lokasi, scope, {"p": periode})
    owners = lines.groupby("pemilik_anggaran")["kode_kab"].unique()
    return {"aturan": budget_rules.berkas,
            **{pemilik: sorted(owners.get(pemilik, [])) for pemilik in PEMILIK},  # kabupaten: [...], provinsi: [...]
            "sub_kegiatan": len(lines), "tidak_terklasifikasi": int((lines["jenis_belanja"] == UNCLASSIFIED).sum())}


def headline(conn, periode: str, top: int = 5) -> dict:
    """The figures a coordination meeting asks for first, per province of the period."""
    provinces = read_frame(conn, "SELECT * FROM core.indikator_konvergensi_provinsi WHERE periode = :p ORDER BY kode_provinsi",
                           {"p": periode})
    sources = conn.execute(sa.text("SELECT DISTINCT sumber_desil FROM meta.sumber_desil WHERE periode = :p "
                                   "ORDER BY 1"), {"p": periode}).scalars().all()
    out: dict = {"periode": periode, "sumber_desil": list(sources), "provinsi": {}}
    for row in provinces.to_dict("records"):
        prov = row["kode_provinsi"]
        # The top of the ranking, pockets or not: at small scale no desa may reach the pocket minimum.
        pockets = read_frame(conn, "SELECT kode_desa, nama_desa, nama_kecamatan, kode_kab, keluarga_desil1, "
                                   "desil1_tanpa_program_inti, persen_tanpa_program_inti, kantong "
                                   "FROM core.indikator_kantong_kemiskinan WHERE periode = :p AND kode_provinsi = :v "
                                   "AND desil1_tanpa_program_inti > 0 ORDER BY peringkat_provinsi LIMIT :n",
                             {"p": periode, "v": prov, "n": top})
        overlaps = read_frame(conn, "SELECT kode_aturan, tingkat_aturan, jumlah_keluarga FROM core.indikator_tumpang_tindih "
                                    "WHERE periode = :p AND tingkat = 'provinsi' AND kode_wilayah = :v "
                                    "ORDER BY kode_aturan", {"p": periode, "v": prov})
        programmes = read_frame(conn, "SELECT kode_program, sasaran_layak, penerima, persen_cakupan, "
                                      "kesalahan_eksklusi, kesalahan_inklusi, penerima_tidak_ditemukan "
                                      "FROM core.indikator_cakupan_program WHERE periode = :p AND tingkat = 'provinsi' "
                                      "AND kode_wilayah = :v ORDER BY kode_program", {"p": periode, "v": prov})
        transisi = read_frame(conn, "SELECT indikator, kategori, kode_program, satuan, SUM(jumlah) AS jumlah "
                                    "FROM core.indikator_transisi_dtsen WHERE periode = :p AND tingkat = 'provinsi' "
                                    "AND kode_wilayah = :v GROUP BY indikator, kategori, kode_program, satuan "
                                    "ORDER BY indikator, kategori, kode_program", {"p": periode, "v": prov})
        # whose APBD: the regencies' summed ('kabupaten') and the province's own ('provinsi')
        budget = read_frame(conn, "SELECT * FROM core.indikator_anggaran_ringkasan WHERE periode = :p "
                                  "AND tingkat = 'provinsi' AND kode_wilayah = :v", {"p": periode, "v": prov})
        reach = read_frame(conn, "SELECT pemilik_anggaran, kode_program, dasar_rupiah, pagu, realisasi, "
                                 "keluarga_terjangkau, keluarga_desil1_terjangkau, persen_desil1, "
                                 "rupiah_per_keluarga_desil1 FROM core.indikator_anggaran_jangkauan WHERE periode = :p "
                                 "AND tingkat = 'provinsi' AND kode_wilayah = :v ORDER BY kode_program",
                           {"p": periode, "v": prov})
        budgets = {p: budget[budget["pemilik_anggaran"] == p].to_dict("records") for p in PEMILIK}
        reaches = {p: reach[reach["pemilik_anggaran"] == p].drop(columns="pemilik_anggaran").to_dict("records")
                   for p in PEMILIK}
        out["provinsi"][prov] = {
            **{k: (None if pd.isna(v) else v) for k, v in row.items() if k not in ("periode", "kode_provinsi")},
            "anggaran": budgets["kabupaten"][0] if budgets["kabupaten"] else None,
            "jangkauan_anggaran": reaches["kabupaten"],
            "anggaran_provinsi": budgets["provinsi"][0] if budgets["provinsi"] else None,
            "jangkauan_anggaran_provinsi": reaches["provinsi"],
            "transisi_dtsen": transisi.to_dict("records"),
            "tumpang_tindih": overlaps.to_dict("records"),
            "program": programmes.to_dict("records"),
            "desa_teratas": pockets.to_dict("records"),
            "jumlah_kantong": conn.execute(sa.text(
                "SELECT count(*) FROM core.indikator_kantong_kemiskinan WHERE periode = :p AND kode_provinsi = :v AND kantong"),
                {"p": periode, "v": prov}).scalar_one(),
        }
    return _plain(out)


def _plain(value):
    """JSON-ready: numpy/pandas scalars to Python, NaN to None."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, Decimal):  # a summary to print: the tables keep the exact amount
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
