"""Report of one published period for the Satu Data forum's coordination meeting: HTML and PDF.

    write_report(settings, "2026-11", out_dir)
    -> {"html": ".../laporan_2026-11.html", "pdf": ".../laporan_2026-11.pdf", "grafik": 7, ...}

One content model, two renderings, both in Bahasa Indonesia and both working offline:
- `laporan_<periode>.html`: one self-contained file from `include/report/laporan.html.j2` (Jinja2,
  autoescaped; CSS and the embedding script beside it; Vega, Vega-Lite and Vega-Embed inlined, no CDN, fonts
  or links to fetch). Each chart is first the static SVG drawn by Vega in Python
  (`charts.to_svg`), so it shows with scripts off and in print; in a browser Vega-Embed redraws it
  interactive, with tooltips giving the exact figure.
- `laporan_<periode>.pdf`: typeset by Typst (the `typst` package, no browser) from
  `include/report/laporan.typ`, with the same static SVG charts and tables.

Only published figures are read: the current ('terbit') publication of the period in `mart`, its record
in `meta.publikasi`, submission counts from `meta.submission` and region names from `core.wilayah`,
never personal data. A suppressed cell (empty in `mart`, named in `sel_disensor`) is shown as
"disensor", never as 0. Chart specifications live in `charts.py`, the content model and the reading of the
published data in `report_model.py`, the budget chapters in `report_anggaran.py`, the DTSEN chapters in
`report_dtsen.py`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, partial
from pathlib import Path

import jinja2
import pandas as pd

from satudata.config import PROJECT_ROOT, Settings
from satudata.fileio import write_atomically
from satudata.normalise.periode import is_periode, nama_periode
from satudata.publish.charts import (
    DISENSOR,
    FORMAT_LOCALE,
    WARNA,
    Value,
    bar_chart,
    format_nilai,
    grouped_bar_chart,
    is_number,
    stacked_bar_chart,
    vega_bundle,
)
from satudata.publish.report_anggaran import bagian_anggaran, bagian_jangkauan_anggaran
from satudata.publish.report_dtsen import bagian_perpindahan_dtsen, bagian_transisi
from satudata.publish.report_model import (
    Bagian,
    Data,
    Tabel,
    format_waktu,
    nama_pendek,
    nilai,
    read_data,
    sum_parts,
    sum_text,
)
from satudata.publish.report_model import records as _records
from satudata.publish.report_model import sort_key as _sort_key

log = logging.getLogger(__name__)

TEMPLATE = PROJECT_ROOT / "include" / "report" / "laporan.typ"
STATUS_GRADUASI = (("membaik", "Membaik (desil naik)", WARNA["hijau"]), ("tetap", "Tetap", WARNA["langit"]),
                   ("memburuk", "Memburuk (desil turun)", WARNA["merah"]),
                   ("keluar", "Keluar dari P3KE", WARNA["ungu"]), ("baru", "Baru masuk P3KE", WARNA["oranye"]))
STATUS_KIRIMAN = (("accepted", "diterima"), ("partial", "diterima sebagian"), ("rejected", "ditolak"),
                  ("duplicate", "duplikat"))
CARA_PERSETUJUAN = {"hitl": "persetujuan di Airflow", "konfigurasi": "konfigurasi", "cli": "baris perintah"}
NO_PROVINCE = "Publikasi ini tidak memuat baris provinsi."

__all__ = ["DISENSOR", "Bagian", "Data", "Tabel", "format_nilai", "headline", "html_table", "nilai",
           "read_data", "render_html", "render_pdf", "write_report"]


# --------------------------------------------------------------------------------------------- sections


def _qty(value: Value, unit: str = "keluarga") -> str:
    return "disensor" if value is DISENSOR else f"{format_nilai(value)} {unit}"


def headline(data: Data) -> list[dict]:
    """The headline cards of each province row: the same figures in the HTML and the PDF."""
    out = []
    for row in _records(data.tables["konvergensi_provinsi"]):
        v = partial(nilai, row)
        cards = [
            ("keluarga_desil1", "Keluarga desil 1", format_nilai(v("keluarga_desil1")),
             f"keluarga sasaran ({data.desil_dari()})" if data.desil_dari() else "keluarga sasaran"),
            ("persen_cakupan_desil1", "Menerima ≥ 1 program inti", format_nilai(v("persen_cakupan_desil1"), 1, "%"),
             f"keluarga desil 1 yang menerima: {_qty(v('desil1_terintervensi'))}"),
            ("persen_eksklusi_desil1", "Kesalahan eksklusi", format_nilai(v("persen_eksklusi_desil1"), 1, "%"),
             f"keluarga desil 1 tanpa program inti: {_qty(v('desil1_tanpa_program_inti'))}"),
            ("persen_inklusi", "Kesalahan inklusi", format_nilai(v("persen_inklusi"), 1, "%"),
             (f"penerima tidak layak: {_qty(v('keluarga_penerima_di_atas_desil'))}; "
             f"semua penerima: {_qty(v('keluarga_penerima'))}")),
            ("keluarga_tumpang_tindih_pelanggaran", "Tumpang tindih (pelanggaran)",
             format_nilai(v("keluarga_tumpang_tindih_pelanggaran")),
             f"keluarga; perlu diaudit: {_qty(v('keluarga_tumpang_tindih_audit'))}"),
            ("penerima_tidak_ditemukan", "Penerima tidak ditemukan", format_nilai(v("penerima_tidak_ditemukan")),
             "orang di daftar penerima, tidak ditemukan di DTKS, P3KE maupun DTSEN yang dikirim"),
        ]
        out.append({"wilayah": data.nama(row.get("kode_provinsi"), row.get("nama_wilayah")),
                    "kartu": [{"kunci": key, "label": label, "nilai": value, "sub": sub}
                              for key, label, value, sub in cards]})
    return out


def _kabupaten_rows(data: Data) -> list[dict]:
    rows = _records(data.tables["konvergensi_kabupaten"])
    for row in rows:
        row["_nama"] = data.nama(row.get("kode_kab"), row.get("nama_wilayah"))
    return rows


def _province_value(data: Data, column: str) -> float | None:
    rows = _records(data.tables["konvergensi_provinsi"])
    if len(rows) != 1:
        return None
    value = nilai(rows[0], column)
    return float(value) if is_number(value) else None


def bagian_cakupan_kabupaten(data: Data) -> Bagian:
    rows = sorted(_kabupaten_rows(data), key=lambda r: (_sort_key(nilai(r, "persen_cakupan_desil1"), True),
                                                        r["_nama"]))
    title = "Cakupan keluarga desil 1 per kabupaten/kota"
    province = _province_value(data, "persen_cakupan_desil1")
    bagian = Bagian("cakupan-kabupaten", f"1. {title}",
                    f"Persentase keluarga desil 1{f' ({data.desil_dari()})' if data.desil_dari() else ''} yang "
                    "sudah menerima paling sedikit satu program inti, diurutkan dari yang tertinggi. Garis "
                    "putus-putus: angka provinsi.")
    if rows:
        bagian.grafik = bar_chart(
            [nama_pendek(r["_nama"]) for r in rows], [nilai(r, "persen_cakupan_desil1") for r in rows],
            title=title, axis_label="Cakupan keluarga desil 1 (%)", unit="%", decimals=1, horizontal=False,
            max_value=100, reference=("Provinsi", province) if province is not None else None,
            desc="Batang: persentase keluarga desil 1 yang menerima paling sedikit satu program inti.")
    else:
        bagian.pengganti = "Tidak ada baris kabupaten/kota pada publikasi ini."
    bagian.tabel = Tabel(
        "Data grafik 1: cakupan keluarga desil 1 per kabupaten/kota",
        ["Kabupaten/kota", "Keluarga desil 1", "Menerima ≥ 1 program inti", "Tanpa program inti", "Cakupan (%)"],
        [[r["_nama"], format_nilai(nilai(r, "keluarga_desil1")), format_nilai(nilai(r, "desil1_terintervensi")),
          format_nilai(nilai(r, "desil1_tanpa_program_inti")), format_nilai(nilai(r, "persen_cakupan_desil1"), 1)]
         for r in rows])
    return bagian


def bagian_cakupan_kecamatan(data: Data, jumlah: int = 15) -> Bagian:
    rows = _records(data.tables["konvergensi_kecamatan"])
    known = [r for r in rows if r.get("kode_kec") and is_number(nilai(r, "persen_cakupan_desil1"))]
    unranked = sum(1 for r in rows if r.get("kode_kec")) - len(known)
    known.sort(key=lambda r: (float(nilai(r, "persen_cakupan_desil1")), -_num0(nilai(r, "keluarga_desil1")),
                              str(r.get("kode_kec"))))
    lowest = known[:jumlah]
    title = (f"{len(lowest)} kecamatan dengan cakupan desil 1 terendah di provinsi" if lowest
             else "kecamatan dengan cakupan desil 1 terendah di provinsi")
    note = (f"Hanya {len(lowest)} kecamatan terendah dari {len(known)} kecamatan yang angka cakupannya terbit "
            f"yang ditampilkan, diurutkan dari yang terendah." if lowest else "")
    if unranked:
        note += (f" {unranked} kecamatan tidak diurutkan karena cakupannya disensor atau tidak ada keluarga "
                 "desil 1 di sana.")
    bagian = Bagian("cakupan-kecamatan", f"2. Cakupan per kecamatan: {title}", note)

    def label(r: dict) -> str:
        kab = nama_pendek(data.nama(r.get("kode_kab")))
        return f"{r.get('nama_wilayah') or r.get('kode_kec')} ({kab})"

    if lowest:
        bagian.grafik = bar_chart(
            [label(r) for r in lowest], [nilai(r, "persen_cakupan_desil1") for r in lowest], title=title,
            axis_label="Cakupan keluarga desil 1 (%)", unit="%", decimals=1, max_value=100,
            colour=WARNA["oranye"], desc=note)
    else:
        bagian.pengganti = "Tidak ada kecamatan dengan angka cakupan yang terbit."
    bagian.tabel = Tabel(
        "Data grafik 2: kecamatan dengan cakupan desil 1 terendah",
        ["Kecamatan", "Kabupaten/kota", "Keluarga desil 1", "Menerima ≥ 1 program inti", "Cakupan (%)"],
        [[str(r.get("nama_wilayah") or r.get("kode_kec")), data.nama(r.get("kode_kab")),
          format_nilai(nilai(r, "keluarga_desil1")), format_nilai(nilai(r, "desil1_terintervensi")),
          format_nilai(nilai(r, "persen_cakupan_desil1"), 1)] for r in lowest], first_numeric=2)
    return bagian


def _num0(value: Value) -> float:
    return float(value) if is_number(value) else 0.0


def bagian_kesalahan(data: Data) -> Bagian:
    rows = sorted(_kabupaten_rows(data), key=lambda r: r["_nama"])
    title = "Kesalahan eksklusi dan inklusi per kabupaten/kota"
    bagian = Bagian("kesalahan", f"3. {title}",
                    "Eksklusi: persentase keluarga desil 1 yang belum menerima satu pun program inti. Inklusi: "
                    "persentase keluarga penerima yang menerima program yang tidak layak baginya (desil di atas "
                    "batas program, di luar wilayah program, atau tanpa "
                    + (data.desil_dari() if len(set(data.sumber_desil.values())) == 1 else "desil sasaran") + ").")
    if rows:
        bagian.grafik = grouped_bar_chart(
            [nama_pendek(r["_nama"]) for r in rows],
            [("Eksklusi: % keluarga desil 1 tanpa program inti", [nilai(r, "persen_eksklusi_desil1") for r in rows]),
             ("Inklusi: % keluarga penerima yang tidak layak", [nilai(r, "persen_inklusi") for r in rows])],
            title=title, axis_label="Persen (%)", unit="%", decimals=1, max_value=100,
            colours=(WARNA["merah"], WARNA["biru"]), desc=bagian.keterangan)
    else:
        bagian.pengganti = "Tidak ada baris kabupaten/kota pada publikasi ini."
    bagian.tabel = Tabel(
        "Data grafik 3: kesalahan eksklusi dan inklusi",
        ["Kabupaten/kota", "Desil 1 tanpa program inti", "Eksklusi (%)", "Keluarga penerima",
         "Penerima tidak layak", "Inklusi (%)"],
        [[r["_nama"], format_nilai(nilai(r, "desil1_tanpa_program_inti")),
          format_nilai(nilai(r, "persen_eksklusi_desil1"), 1), format_nilai(nilai(r, "keluarga_penerima")),
          format_nilai(nilai(r, "keluarga_penerima_di_atas_desil")), format_nilai(nilai(r, "persen_inklusi"), 1)]
         for r in rows])
    return bagian


def _program_names(data: Data) -> dict[str, str]:
    frame = data.tables["cakupan_program"]
    if frame.empty:
        return {}
    return {str(k): str(v) for k, v in frame[["kode_program", "nama_program"]].drop_duplicates().itertuples(index=False)}


def bagian_tumpang_tindih(data: Data) -> Bagian:
    rows = _records(data.tables["tumpang_tindih"])
    names = _program_names(data)
    rules: dict[str, str] = {}  # rule -> short label (programme codes), for the chart's legend
    full: dict[str, str] = {}  # rule -> programme names, for the table
    for r in sorted(rows, key=lambda r: (r["tingkat_aturan"] != "pelanggaran", str(r["kode_aturan"]))):
        a, b = (str(r[c]) for c in ("program_a", "program_b"))
        rules.setdefault(str(r["kode_aturan"]), f"{a} + {b} ({r['tingkat_aturan']})")
        full.setdefault(str(r["kode_aturan"]), f"{names.get(a, a)} ({a}) + {names.get(b, b)} ({b}), "
                                               f"{r['tingkat_aturan']}")
    regencies = sorted({str(r["kode_wilayah"]) for r in rows if r["tingkat"] == "kabupaten"},
                       key=lambda k: data.nama(k))
    cell = {(str(r["kode_wilayah"]), str(r["kode_aturan"])): nilai(r, "jumlah_keluarga") for r in rows}
    title = "Keluarga penerima program tumpang tindih per aturan dan kabupaten/kota"
    bagian = Bagian("tumpang-tindih", f"4. {title}",
                    "Jumlah keluarga yang menerima kedua program dari satu pasangan dalam aturan tumpang tindih "
                    "periode ini. 'Pelanggaran': kombinasi yang dilarang; 'audit': boleh, tetapi perlu diperiksa.")
    if rules and regencies:
        bagian.grafik = grouped_bar_chart(
            [nama_pendek(data.nama(k)) for k in regencies],
            [(label, [cell.get((k, code)) for k in regencies]) for code, label in rules.items()],
            title=title, axis_label="Keluarga", desc=bagian.keterangan)
    else:
        bagian.pengganti = "Aturan periode ini tidak memuat pasangan program tumpang tindih."
    provinces = sorted({str(r["kode_wilayah"]) for r in rows if r["tingkat"] == "provinsi"})
    table_rows = [[data.nama(k), *(format_nilai(cell.get((k, code))) for code in rules)] for k in regencies]
    table_rows += [[f"Provinsi {data.nama(k)}", *(format_nilai(cell.get((k, code))) for code in rules)]
                   for k in provinces]
    bagian.tabel = Tabel("Data grafik 4: keluarga penerima program tumpang tindih (keluarga)",
                              ["Wilayah", *(full[code] for code in rules)], table_rows)
    return bagian


def bagian_kantong(data: Data, jumlah: int = 10) -> Bagian:
    rows = sorted(_records(data.tables["kantong_kemiskinan"]), key=lambda r: int(r["peringkat_provinsi"]))[:jumlah]
    title = f"{len(rows)} desa dengan keluarga desil 1 tanpa program inti terbanyak"
    bagian = Bagian("kantong-kemiskinan", f"5. Kantong kemiskinan: {title}",
                    "Desa diurutkan menurut jumlah keluarga desil 1 yang belum menerima program inti, lalu "
                    "persentasenya (peringkat provinsi). Kolom 'Kantong' menandai desa yang memenuhi kriteria "
                    "kantong kemiskinan pada aturan periode ini.")

    def label(r: dict) -> str:
        return f"{r.get('nama_desa') or r.get('kode_desa')}, {r.get('nama_kecamatan') or r.get('kode_kec')}"

    if rows:
        bagian.grafik = bar_chart(
            [label(r) for r in rows], [nilai(r, "desil1_tanpa_program_inti") for r in rows], title=title,
            axis_label="Keluarga desil 1 tanpa program inti", colour=WARNA["merah"], desc=bagian.keterangan)
    else:
        bagian.pengganti = "Tidak ada desa dengan keluarga desil 1 pada publikasi ini."
    bagian.tabel = Tabel(
        "Data grafik 5: desa kantong kemiskinan teratas",
        ["Peringkat", "Desa", "Kecamatan", "Kabupaten/kota", "Keluarga desil 1", "Tanpa program inti",
         "Tanpa program inti (%)", "Kantong"],
        [[str(int(r["peringkat_provinsi"])), str(r.get("nama_desa") or r.get("kode_desa")),
          str(r.get("nama_kecamatan") or ""), data.nama(r.get("kode_kab")),
          format_nilai(nilai(r, "keluarga_desil1")), format_nilai(nilai(r, "desil1_tanpa_program_inti")),
          format_nilai(nilai(r, "persen_tanpa_program_inti"), 1), "ya" if r.get("kantong") else "tidak"]
         for r in rows], first_numeric=4)
    return bagian


def bagian_graduasi(data: Data) -> Bagian:
    rows = [r for r in _records(data.tables["graduasi"]) if r["tingkat"] == "kabupaten"]
    previous = sorted({str(r["periode_sebelumnya"]) for r in _records(data.tables["graduasi"])})
    title = "Perpindahan desil keluarga P3KE (graduasi) per kabupaten/kota"
    explanation = ("Keluarga P3KE periode ini dibandingkan dengan periode "
                   f"{', '.join(nama_periode(p) for p in previous) or 'sebelumnya'}: desil membaik, tetap, memburuk, "
                   "keluar dari P3KE (graduasi, pindah atau meninggal; data tidak membedakannya) atau baru masuk. "
                   "Hanya kabupaten/kota yang punya data P3KE di kedua periode yang dibandingkan.")
    bagian = Bagian("graduasi", f"6. {title}", explanation)
    if not rows:
        bagian.keterangan = "Perpindahan desil keluarga P3KE dibandingkan dengan periode sebelumnya."
        bagian.pengganti = ("Belum ada periode sebelumnya yang dapat dibandingkan (atau belum ada kabupaten/kota "
                            "dengan data P3KE di kedua periode), sehingga graduasi belum dapat ditampilkan untuk "
                            f"{nama_periode(data.periode)}.")
        return bagian
    regencies = sorted({str(r["kode_wilayah"]) for r in rows}, key=lambda k: data.nama(k))
    parts: dict[tuple[str, str], list[Value]] = {}
    for r in rows:
        parts.setdefault((str(r["kode_wilayah"]), str(r["status"])), []).append(nilai(r, "jumlah_keluarga"))
    series = [(label, [sum_parts(parts.get((k, status), [])) for k in regencies])
              for status, label, _ in STATUS_GRADUASI]
    bagian.grafik = stacked_bar_chart(
        [nama_pendek(data.nama(k)) for k in regencies], series, title=title, axis_label="Keluarga",
        colours=[c for _, _, c in STATUS_GRADUASI], desc=explanation)
    table_rows = []
    for k in regencies:
        cells = [sum_text(parts.get((k, status), [])) for status, _, _ in STATUS_GRADUASI]
        everything = [v for status, _, _ in STATUS_GRADUASI for v in parts.get((k, status), [])]
        table_rows.append([data.nama(k), *cells, sum_text(everything)])
    bagian.tabel = Tabel("Data grafik 6: keluarga menurut status graduasi (keluarga)",
                              ["Kabupaten/kota", *(label for _, label, _ in STATUS_GRADUASI), "Jumlah"], table_rows,
                              note="≥: sebagian angka penyusunnya disensor, jadi angka itu batas bawah. "
                                   "*: di grafik, bagian yang disensor tidak digambar."
                              if any("≥" in c or c == "disensor" for row in table_rows for c in row) else "")
    return bagian


def bagian_kualitas(data: Data) -> Bagian:
    frame = data.kiriman
    codes = {str(k) for k in frame["kode_kab"]} if not frame.empty else set()
    codes |= {str(k) for k in data.tables["konvergensi_kabupaten"].get("kode_kab", pd.Series(dtype=object))}
    regencies = sorted(codes, key=lambda k: data.nama(k))
    stats: dict[str, dict] = {k: {"berkas": {}, "baris": 0, "diterima": 0, "ditolak": 0, "peringatan": 0}
                              for k in regencies}
    for r in _records(frame):
        s = stats[str(r["kode_kab"])]
        s["berkas"][str(r["status"])] = s["berkas"].get(str(r["status"]), 0) + int(r["berkas"] or 0)
        if r["status"] != "duplicate":  # a duplicate repeats rows already counted
            s["baris"] += int(r["baris"] or 0)
            s["diterima"] += int(r["baris_diterima"] or 0)
            s["ditolak"] += int(r["baris_ditolak"] or 0)
            s["peringatan"] += int(r["baris_peringatan"] or 0)
    title = "Kualitas data kiriman per kabupaten/kota"
    explanation = ("Baris yang diterima dan ditolak dari semua berkas yang dikirim kabupaten/kota untuk periode ini "
                   "(DTKS, P3KE, DTSEN dan daftar penerima program; berkas duplikat tidak dihitung), serta jumlah berkas "
                   "yang ditolak seluruhnya.")
    bagian = Bagian("kualitas-data", f"9. {title}", explanation)
    known = {code for code, _ in STATUS_KIRIMAN}

    def refused(k: str) -> str:
        n = stats[k]["berkas"].get("rejected", 0)
        return f"{n} berkas ditolak" if n else ""

    if any(sum(s["berkas"].values()) for s in stats.values()):
        bagian.grafik = stacked_bar_chart(
            [nama_pendek(data.nama(k)) for k in regencies],
            [("Baris diterima", [float(stats[k]["diterima"]) for k in regencies]),
             ("Baris ditolak", [float(stats[k]["ditolak"]) for k in regencies])],
            title=title, axis_label="Baris data", colours=(WARNA["hijau"], WARNA["merah"]),
            annotations=[refused(k) for k in regencies], desc=explanation)
    else:
        bagian.pengganti = f"Belum ada berkas kiriman untuk {nama_periode(data.periode)}."
    rows = []
    for k in regencies:
        s = stats[k]
        others = sum(n for status, n in s["berkas"].items() if status not in known)
        share = 100 * s["diterima"] / s["baris"] if s["baris"] else None
        rows.append([data.nama(k), *(format_nilai(s["berkas"].get(code, 0)) for code, _ in STATUS_KIRIMAN),
                     format_nilai(others), format_nilai(s["baris"]), format_nilai(s["diterima"]),
                     format_nilai(s["ditolak"]), format_nilai(s["peringatan"]), format_nilai(share, 1)])
    with_others = any(row[len(STATUS_KIRIMAN) + 1] != "0" for row in rows)
    if not with_others:
        rows = [[*row[:len(STATUS_KIRIMAN) + 1], *row[len(STATUS_KIRIMAN) + 2:]] for row in rows]
    file_headers = [label for _, label in STATUS_KIRIMAN] + (["lain (diproses)"] if with_others else [])
    bagian.tabel = Tabel(
        "Data grafik 9: berkas menurut status dan baris data per kabupaten/kota",
        ["Kabupaten/kota", *file_headers, "jumlah", "diterima", "ditolak", "dengan peringatan", "diterima (%)"],
        rows, groups=[("", 1), ("Berkas", len(file_headers)), ("Baris data", 5)],
        note="Baris dengan peringatan tetap diterima; mohon diperbaiki pada kiriman berikutnya. Berkas lain: "
             "belum selesai diproses.")
    return bagian


# --------------------------------------------------------------------------------------------- page

def _script_json(value) -> str:
    """JSON safe inside <script>: no '<', '>' or '&' that could close the element or open a comment."""
    return (json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026"))


@dataclass
class Laporan:
    """Everything the page shows, computed once for both renderings."""

    data: Data
    judul: str
    wilayah: str
    publikasi: list[tuple[str, str]]
    legenda: list[tuple[str, str]]  # (term, what it means) under the title
    angka_utama: list[dict]
    bagian: list[Bagian]
    sumber: str

    @property
    def grafik(self) -> int:
        return sum(1 for s in self.bagian if s.grafik is not None)


def compose(data: Data, *, dibuat: datetime | None = None) -> Laporan:
    p = data.publikasi
    minimum = p.get("ambang_sel_kecil")
    way = CARA_PERSETUJUAN.get(str(p.get("cara_persetujuan")), str(p.get("cara_persetujuan") or ""))
    provinces = [data.nama(r.get("kode_provinsi"), r.get("nama_wilayah"))
                 for r in _records(data.tables["konvergensi_provinsi"])]
    threshold = "" if minimum is None else f" (kurang dari {int(minimum)})"
    approval = str(p.get("disetujui_oleh") or "–") + (f" ({way})" if way else "")
    return Laporan(
        data=data,
        judul="Laporan Konvergensi Intervensi Penanggulangan Kemiskinan Ekstrem",
        wilayah=", ".join(provinces) or "Satu Data Kemiskinan",
        publikasi=[("Publikasi", f"nomor {p.get('publikasi_id')}, terbit {format_waktu(p.get('dibuat_pada'))}"),
                   ("Disetujui oleh", approval), ("Berkas aturan", str(p.get("aturan") or "–")),
                   ("Ambang sel kecil", f"{format_nilai(minimum)} keluarga/orang"),
                   ("Sidik jari data", str(p.get("sidik_jari") or "")[:12])],
        legenda=[("disensor", (f"angka tidak diterbitkan untuk melindungi kerahasiaan: jumlahnya kecil{threshold}, "
                              "atau dapat dipakai untuk menghitung ulang angka kecil lain. Angka yang disensor bukan "
                              "nol.")),
                 ("–", "tidak ada nilai (misalnya persentase dari nol keluarga).")],
        angka_utama=headline(data),
        bagian=[bagian_cakupan_kabupaten(data), bagian_cakupan_kecamatan(data), bagian_kesalahan(data),
                bagian_tumpang_tindih(data), bagian_kantong(data), bagian_graduasi(data), bagian_transisi(data),
                bagian_perpindahan_dtsen(data), bagian_kualitas(data), bagian_anggaran(data),
                bagian_jangkauan_anggaran(data)],
        sumber=("Sumber: gudang data Satu Data Kemiskinan (tabel mart yang sudah diterbitkan, meta.publikasi, "
                "meta.submission, core.wilayah); hanya angka agregat, tanpa data pribadi. Definisi indikator: "
                "dokumen konvergensi dan kamus data publikasi. Laporan dibuat otomatis "
                f"{format_waktu(dibuat or datetime.now(UTC))}."),
    )


@cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE.parent), autoescape=True,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def html_table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[str]], *, first_numeric: int = 1,
               note: str = "", groups: Sequence[tuple[str, int]] = ()) -> str:
    """One data table as the report draws it (`include/report/bagian.html.j2`)."""
    macros = _templates().get_template("bagian.html.j2").module
    return str(macros.tabel(Tabel(caption, headers, rows, first_numeric, note, groups)))


def render_html(laporan: Laporan) -> str:
    """The whole page from `include/report/laporan.html.j2`: static charts, their interactive redraw, scripts
    inlined."""
    specs = {f"grafik-{s.kode}": s.grafik for s in laporan.bagian if s.grafik is not None}
    return _templates().get_template("laporan.html.j2").render(
        l=laporan, periode=laporan.data.periode, nama_periode=nama_periode(laporan.data.periode),
        legenda=laporan.legenda, tanpa_provinsi=NO_PROVINCE, css=(TEMPLATE.parent / "laporan.css").read_text("utf-8"),
        spesifikasi=_script_json(specs) if specs else "", format_angka=json.dumps(FORMAT_LOCALE, ensure_ascii=False),
        vega=vega_bundle() if specs else "", grafik_js=(TEMPLATE.parent / "grafik.js").read_text("utf-8"))


def render_pdf(laporan: Laporan) -> bytes:
    """The PDF typeset by Typst from `include/report/laporan.typ` (the data goes in as JSON, never as markup)."""
    import typst

    periode = laporan.data.periode
    document = {
        "judul_dokumen": f"Laporan konvergensi {nama_periode(periode)} – {laporan.wilayah}",
        "judul": laporan.judul,
        "subjudul": f"{laporan.wilayah} · Periode {nama_periode(periode)} ({periode}) · "
                    "Bahan rapat koordinasi Forum Satu Data",
        "publikasi": [list(item) for item in laporan.publikasi],
        "legenda_sensor": " ".join(f"{term} = {meaning}" for term, meaning in laporan.legenda),
        "angka_utama": laporan.angka_utama,
        "tanpa_provinsi": NO_PROVINCE,
        "bagian": [s.typst() for s in laporan.bagian],
        "sumber": laporan.sumber,
        "kaki_halaman": f"Satu Data Kemiskinan · {laporan.wilayah} · {nama_periode(periode)}",
    }
    return typst.compile(str(TEMPLATE), root=str(TEMPLATE.parent),
                         sys_inputs={"data": json.dumps(document, ensure_ascii=False)})


# --------------------------------------------------------------------------------------------- entry point


def write_report(settings: Settings, periode: str, out_dir: Path) -> dict:
    """Write `laporan_<periode>.html` and `laporan_<periode>.pdf` for the period's current publication."""
    if not is_periode(periode):
        raise ValueError(f"periode must be YYYY-MM, not {periode!r}")
    out_dir = Path(out_dir)
    started = time.monotonic()
    laporan = compose(read_data(settings, periode))
    html_path = write_atomically(out_dir / f"laporan_{periode}.html", render_html(laporan).encode("utf-8"))
    pdf_path = write_atomically(out_dir / f"laporan_{periode}.pdf", render_pdf(laporan))
    log.info("report of %s (publication %s): %s and %s, %d charts, %.1f s", periode,
             laporan.data.publikasi["publikasi_id"], html_path, pdf_path.name, laporan.grafik,
             time.monotonic() - started)
    return {"periode": periode, "publikasi_id": int(laporan.data.publikasi["publikasi_id"]), "html": str(html_path),
            "pdf": str(pdf_path), "grafik": laporan.grafik}
