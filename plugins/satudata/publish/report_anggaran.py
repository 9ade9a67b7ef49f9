"""The report's budget chapters: the poverty budget by kind of spending (10) and what its programmes reached (11).

Each APBD is shown once, in its own row and bar: the regencies' and, beside them, the province's own
(`pemilik_anggaran = 'provinsi'`, filed in `inbox/<kode_prov>/anggaran/`). The province rows that sum the
regencies are not repeated. Rupiah are written the Indonesian way (Rp1,2 M; Rp350 jt).
"""

from __future__ import annotations

from satudata.normalise.periode import nama_periode
from satudata.publish.charts import Value, bar_chart, format_angka, format_nilai, is_number, stacked_bar_chart
from satudata.publish.report_model import Bagian, Data, Tabel, nama_pendek, nilai, records

__all__ = ["JENIS_BELANJA_LABEL", "bagian_anggaran", "bagian_jangkauan_anggaran", "format_rupiah"]


JENIS_BELANJA_LABEL = (  # code, label, colour: the kinds of spending (include/rules/anggaran_*.yaml)
    ("intervensi_langsung", "Intervensi langsung", "#1f6f43"),
    ("pemberdayaan", "Pemberdayaan", "#5aa469"),
    ("infrastruktur", "Infrastruktur", "#4a7ab5"),
    ("penunjang", "Penunjang", "#d1495b"),
    ("tidak_terklasifikasi", "Belum terklasifikasi", "#9e9e9e"),
)


def format_rupiah(value: Value) -> str:
    """Rupiah in Indonesian notation: Rp1,2 M / Rp350 jt for charts and tables; '–' when there is none."""
    if not is_number(value):
        return format_nilai(value)
    amount = float(value)
    for size, word in ((1e12, "T"), (1e9, "M"), (1e6, "jt")):
        if abs(amount) >= size:
            return f"Rp{format_angka(amount / size, 1)} {word}"
    return f"Rp{format_angka(amount)}"


def _apbd(data: Data, table: str) -> tuple[list[dict], list[dict]]:
    """A budget table's provinces' own rows (pemilik_anggaran = provinsi) and its regency rows, each by name.

    The province rows that sum the regencies are left out: the chapters show each APBD once.
    """
    rows = records(data.tables[table])

    def by_name(selected) -> list[dict]:
        return sorted(selected, key=lambda r: (data.nama(r["kode_wilayah"]), str(r.get("kode_program") or "")))

    return (by_name(r for r in rows if r.get("pemilik_anggaran") == "provinsi"),
            by_name(r for r in rows if r["tingkat"] == "kabupaten"))


def _apbd_label(data: Data, row: dict, *, short: bool = False) -> str:
    """Whose APBD: "Kabupaten Dompu" / "Kab. Dompu", or "Provinsi X (APBD provinsi)" / "APBD Prov. X"."""
    name = data.nama(row["kode_wilayah"])
    if row.get("pemilik_anggaran") == "provinsi":
        return f"APBD Prov. {name}" if short else f"Provinsi {name} (APBD provinsi)"
    return nama_pendek(name) if short else name


def bagian_anggaran(data: Data) -> Bagian:
    provinces, regencies = _apbd(data, "anggaran_ringkasan")
    # the province's own APBD first, beside (never inside) its regencies' budgets
    with_budget = [r for r in (*provinces, *regencies) if r.get("data_anggaran")]
    title = "Anggaran kemiskinan: ke mana uangnya dan berapa yang penunjang"
    explanation = ("Sub kegiatan APBD bertanda kemiskinan ekstrem (SIPD) yang dikirim kabupaten/kota dan provinsi, "
                   "digolongkan menurut jenis belanja: intervensi langsung (uang, barang atau layanan yang diterima "
                   "keluarga), pemberdayaan, infrastruktur, dan penunjang (koordinasi, rapat, dokumen, monitoring, "
                   "sosialisasi, perjalanan dinas, honorarium). APBD provinsi sendiri tampil sebagai batang dan baris "
                   "tersendiri; ia tidak termasuk anggaran kabupaten/kota. Grafik: pagu per jenis belanja (juta "
                   "rupiah). Tabel: realisasi, porsi penunjang, dan porsi rupiah yang dibelanjakan di kantong "
                   "kemiskinan dibandingkan porsi keluarga desil 1 yang tinggal di sana.")
    bagian = Bagian("anggaran", f"10. {title}", explanation)
    missing = ([data.nama(r["kode_wilayah"]) for r in regencies if not r.get("data_anggaran")],
               [data.nama(r["kode_wilayah"]) for r in provinces if not r.get("data_anggaran")])
    if not with_budget:
        bagian.pengganti = (f"Belum ada kabupaten/kota maupun provinsi yang mengirim rekap anggaran kemiskinan untuk "
                            f"{nama_periode(data.periode)}.")
        return bagian
    labels = [_apbd_label(data, r, short=True) for r in with_budget]
    column = {"tidak_terklasifikasi": "pagu_tidak_terklasifikasi"}
    # amounts are exact Decimals in mart; the chart draws millions as floats
    series = [(label, [float(r.get(column.get(code, f"pagu_{code}")) or 0) / 1e6 for r in with_budget])
              for code, label, _ in JENIS_BELANJA_LABEL]
    bagian.grafik = stacked_bar_chart(labels, series, title=title, axis_label="Pagu (juta rupiah)", decimals=1,
                                      colours=[c for _, _, c in JENIS_BELANJA_LABEL], desc=explanation,
                                      category_title="APBD")
    headers = ["APBD", "Pagu", "Realisasi", "Realisasi (%)", "Penunjang (%)", "Rupiah di kantong (%)",
               "Keluarga desil 1 di kantong (%)", "Sub kegiatan realisasi > pagu"]
    table_rows = [[_apbd_label(data, r), format_rupiah(r.get("pagu")), format_rupiah(r.get("realisasi")),
                   format_nilai(nilai(r, "persen_realisasi"), 1), format_nilai(nilai(r, "persen_penunjang"), 1),
                   format_nilai(nilai(r, "persen_rupiah_di_kantong"), 1),
                   format_nilai(nilai(r, "persen_desil1_di_kantong"), 1),
                   format_nilai(r.get("sub_kegiatan_realisasi_melebihi_pagu"))] for r in with_budget]
    notes = [f"{who} tanpa rekap anggaran periode ini: " + ", ".join(names) + "."
             for who, names in (("Kabupaten/kota", missing[0]), ("APBD provinsi", missing[1])) if names]
    bagian.tabel = Tabel("Data grafik 10: anggaran kemiskinan per kabupaten/kota dan APBD provinsi", headers,
                         table_rows, note=" ".join(notes))
    return bagian


def bagian_jangkauan_anggaran(data: Data) -> Bagian:
    provinces, regencies = _apbd(data, "anggaran_jangkauan")
    rows = [*provinces, *regencies]
    title = "Apa yang dijangkau anggaran program bantuan: rupiah per keluarga desil 1"
    explanation = ("Untuk sub kegiatan yang membiayai program dengan daftar penerima (RTLH, BLT Dana Desa, program "
                   "daerah): keluarga penerima yang ditemukan di registri, porsi yang berada di desil 1, dan rupiah "
                   "(realisasi, atau pagu bila belum ada realisasi) per keluarga desil 1 yang terjangkau. APBD "
                   "provinsi dihitung terhadap penerima program itu di semua kabupaten/kota provinsi. Rupiah per "
                   "keluarga yang tinggi berarti uangnya banyak mengalir ke keluarga di luar desil 1 atau ke penunjang.")
    bagian = Bagian("jangkauan-anggaran", f"11. {title}", explanation)
    if not rows:
        bagian.pengganti = "Belum ada sub kegiatan anggaran yang terhubung dengan daftar penerima program."
        return bagian
    labels = [f"{_apbd_label(data, r, short=True)} – {r['kode_program']}" for r in rows]
    values = [nilai(r, "rupiah_per_keluarga_desil1") for r in rows]
    bagian.grafik = bar_chart(labels, [v / 1e6 if is_number(v) else v for v in values], title=title,
                              axis_label="Juta rupiah per keluarga desil 1", decimals=2, desc=explanation,
                              category_title="APBD – program")
    headers = ["APBD", "Program", "Pagu", "Realisasi", "Keluarga terjangkau", "Keluarga desil 1",
               "Desil 1 (%)", "Rupiah per keluarga desil 1"]
    table_rows = [[_apbd_label(data, r), str(r["kode_program"]), format_rupiah(r.get("pagu")),
                   format_rupiah(r.get("realisasi")), format_nilai(nilai(r, "keluarga_terjangkau")),
                   format_nilai(nilai(r, "keluarga_desil1_terjangkau")), format_nilai(nilai(r, "persen_desil1"), 1),
                   format_rupiah(nilai(r, "rupiah_per_keluarga_desil1"))] for r in rows]
    bagian.tabel = Tabel("Data grafik 11: jangkauan anggaran program bantuan", headers, table_rows, first_numeric=2)
    return bagian
