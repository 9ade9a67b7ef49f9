"""The report's DTSEN chapters: P3KE desil-1 families by their DTSEN desil now, and DTSEN's own movement between
quarters (published `mart.transisi_dtsen` only)."""

from __future__ import annotations

from satudata.normalise.periode import nama_periode
from satudata.publish.charts import WARNA, Value, stacked_bar_chart
from satudata.publish.report_model import (
    Bagian,
    Data,
    Tabel,
    nama_pendek,
    nilai,
    records,
    sum_parts,
    sum_text,
)

# P3KE desil-1 families by their DTSEN national desil now (grouped), and DTSEN movement between quarters.
KELOMPOK_DTSEN = (("1", "Desil 1 DTSEN", WARNA["merah"]), ("2-4", "Desil 2-4", WARNA["oranye"]),
                  ("5", "Desil 5", WARNA["langit"]), ("6-10", "Desil 6-10", WARNA["hijau"]),
                  ("tidak_di_dtsen", "Tidak ada di DTSEN", WARNA["ungu"]))
STATUS_DTSEN = (("naik", "Naik (lebih sejahtera)", WARNA["hijau"]), ("tetap", "Tetap", WARNA["langit"]),
                ("turun", "Turun", WARNA["merah"]), ("masuk", "Baru masuk DTSEN", WARNA["oranye"]),
                ("keluar", "Keluar dari DTSEN", WARNA["ungu"]))

def _kelompok_dtsen(kategori: str) -> str:
    if kategori == "tidak_di_dtsen":
        return kategori
    desil = int(kategori.removeprefix("desil_"))
    return "1" if desil == 1 else "2-4" if desil <= 4 else "5" if desil == 5 else "6-10"


def bagian_transisi(data: Data) -> Bagian:
    rows = [r for r in records(data.tables["transisi_dtsen"]) if r["tingkat"] == "kabupaten"]
    title = "Peralihan ke DTSEN: keluarga desil 1 P3KE menurut desil DTSEN"
    explanation = ("Sejak Inpres 4/2025 program bantuan sosial memakai desil nasional DTSEN (1-10, dimutakhirkan tiap "
                   "triwulan). Grafik: keluarga desil 1 P3KE menurut desilnya di DTSEN sekarang. Tabel: juga keluarga "
                   "DTKS atau P3KE yang tidak ada di DTSEN, dan untuk program yang dipantau (PBI-JK, batas desil 5) "
                   "penerima dengan desil di atas batas serta orang yang layak tetapi belum menerima.")
    bagian = Bagian("transisi-dtsen", f"7. {title}", explanation)
    if not rows:
        bagian.pengganti = ("Belum ada kabupaten/kota yang mengirim ekstrak DTSEN untuk "
                            f"{nama_periode(data.periode)}, sehingga peralihan ke DTSEN belum dapat ditampilkan.")
        return bagian
    regencies = sorted({str(r["kode_wilayah"]) for r in rows}, key=lambda k: data.nama(k))
    parts: dict[tuple[str, str, str], list[Value]] = {}
    for r in rows:
        if r["indikator"] == "p3ke_desil1_menurut_dtsen":
            key = (str(r["kode_wilayah"]), "kelompok", _kelompok_dtsen(str(r["kategori"])))
        elif r["indikator"] == "tidak_di_dtsen":
            key = (str(r["kode_wilayah"]), "tidak_di_dtsen", "semua")
        elif r["indikator"] == "program_dtsen":
            key = (str(r["kode_wilayah"]), f"program:{r['kode_program']}", str(r["kategori"]))
        else:
            continue
        parts.setdefault(key, []).append(nilai(r, "jumlah"))
    series = [(label, [sum_parts(parts.get((k, "kelompok", code), [])) for k in regencies])
              for code, label, _ in KELOMPOK_DTSEN]
    bagian.grafik = stacked_bar_chart(
        [nama_pendek(data.nama(k)) for k in regencies], series, title=title, axis_label="Keluarga desil 1 P3KE",
        colours=[c for _, _, c in KELOMPOK_DTSEN], desc=explanation)
    programmes = sorted({key[1] for key in parts if key[1].startswith("program:")})
    headers = ["Kabupaten/kota", *(label for _, label, _ in KELOMPOK_DTSEN), "DTKS/P3KE tidak di DTSEN (keluarga)"]
    for p in programmes:
        code = p.split(":", 1)[1]
        headers += [f"{code}: penerima di atas batas (orang)", f"{code}: layak belum menerima (orang)"]
    table_rows = []
    for k in regencies:
        cells = [sum_text(parts.get((k, "kelompok", code), [])) for code, _, _ in KELOMPOK_DTSEN]
        cells.append(sum_text(parts.get((k, "tidak_di_dtsen", "semua"), [])))
        for p in programmes:
            cells += [sum_text(parts.get((k, p, "penerima_di_atas_batas"), [])),
                      sum_text(parts.get((k, p, "layak_belum_menerima"), []))]
        table_rows.append([data.nama(k), *cells])
    bagian.tabel = Tabel("Data grafik 7: peralihan ke DTSEN", headers, table_rows,
                         note="≥: sebagian angka penyusunnya disensor, jadi angka itu batas bawah."
                         if any("≥" in c or c == "disensor" for row in table_rows for c in row) else "")
    return bagian


def bagian_perpindahan_dtsen(data: Data) -> Bagian:
    rows = [r for r in records(data.tables["transisi_dtsen"])
            if r["tingkat"] == "kabupaten" and r["indikator"] == "perpindahan_desil"]
    title = "Perpindahan desil DTSEN antar-triwulan (graduasi rezim DTSEN)"
    explanation = ("Keluarga DTSEN pada ekstrak terbaru dibandingkan dengan ekstrak triwulan sebelumnya, lewat ID "
                   "keluarga DTSEN: desil naik (lebih sejahtera), tetap, turun, baru masuk atau keluar dari DTSEN.")
    bagian = Bagian("perpindahan-dtsen", f"8. {title}", explanation)
    if not rows:
        bagian.pengganti = ("Belum ada kabupaten/kota dengan dua ekstrak DTSEN, sehingga perpindahan desil DTSEN "
                            f"belum dapat ditampilkan untuk {nama_periode(data.periode)}.")
        return bagian
    regencies = sorted({str(r["kode_wilayah"]) for r in rows}, key=lambda k: data.nama(k))
    parts: dict[tuple[str, str], list[Value]] = {}
    for r in rows:
        parts.setdefault((str(r["kode_wilayah"]), str(r["kategori"])), []).append(nilai(r, "jumlah"))
    series = [(label, [sum_parts(parts.get((k, code), [])) for k in regencies]) for code, label, _ in STATUS_DTSEN]
    bagian.grafik = stacked_bar_chart(
        [nama_pendek(data.nama(k)) for k in regencies], series, title=title, axis_label="Keluarga",
        colours=[c for _, _, c in STATUS_DTSEN], desc=explanation)
    periods = {str(r["kode_wilayah"]): f"{r.get('periode_dtsen_sebelumnya') or '?'} → {r.get('periode_dtsen') or '?'}"
               for r in rows}
    table_rows = [[data.nama(k), periods[k], *(sum_text(parts.get((k, code), [])) for code, _, _ in STATUS_DTSEN)]
                  for k in regencies]
    bagian.tabel = Tabel("Data grafik 8: keluarga DTSEN menurut perpindahan desil (keluarga)",
                         ["Kabupaten/kota", "Ekstrak", *(label for _, label, _ in STATUS_DTSEN)], table_rows,
                         note="≥: sebagian angka penyusunnya disensor, jadi angka itu batas bawah."
                         if any("≥" in c or c == "disensor" for row in table_rows for c in row) else "")
    return bagian
