"""A regency's poverty-budget recap (jenis `anggaran`): tagged APBD sub-activities and their monthly realisation.

Written as `inbox/<kab>/anggaran/anggaran_<kab>_<period>.xlsx` with two sheets ("Sub Kegiatan", "Realisasi"),
headers either as public SIPD sync tools name them (`kode_sub_giat` ...) or as an office's own recap
("Kode Sub Kegiatan", "Pagu (Rp)"), and its truth (`truth/<period>/anggaran_<kab>.csv`): each line's kind
of spending and strategy as a budget analyst would label it, pagu and realisation to the period's month.

Lines: a catalogue of sub-activities poverty budgets commonly tag (support activities included, which some
regencies' budgets are dominated by), amounts drawn per regency; a line funding a programme with recipient
lists (RTLH, BLT Dana Desa, a local programme) says so in its `Program Sasaran` column half of the time and
otherwise only in its name; infrastructure lines name the desa they are built in.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from satudata_dev.generate.xlsx import EMPTY, NUM, STR, Column, Sheet, write_xlsx

# (OPD code, OPD name, sub-activity code, name, kind, strategy, programme it funds, SIPD strategy label)
CATALOGUE = (
    ("1.06.0.00.0.00.01.0000", "Dinas Sosial", "1.06.04.2.01.0002", "Pemberian Permakanan bagi Lansia Terlantar",
     "intervensi_langsung", "mengurangi_beban", None, "Mengurangi beban pengeluaran masyarakat"),
    ("1.06.0.00.0.00.01.0000", "Dinas Sosial", "1.06.04.2.01.0005", "Pemberian Bantuan Sosial bagi Keluarga Miskin",
     "intervensi_langsung", "mengurangi_beban", None, None),
    ("1.06.0.00.0.00.01.0000", "Dinas Sosial", "1.06.06.2.01.0001", "Pengelolaan Data Fakir Miskin Cakupan Daerah",
     "penunjang", "mengurangi_beban", None, None),
    ("1.06.0.00.0.00.01.0000", "Dinas Sosial", "1.06.01.2.06.0001", "Penyediaan Jasa Surat Menyurat",
     "penunjang", "tidak_terklasifikasi", None, None),
    ("1.04.0.00.0.00.01.0000", "Dinas Perumahan dan Kawasan Permukiman", "1.04.02.2.01.0009",
     "Rehabilitasi Rumah Tidak Layak Huni bagi Keluarga Miskin", "intervensi_langsung", "mengurangi_beban", "RTLH",
     None),
    ("1.03.0.00.0.00.01.0000", "Dinas Pekerjaan Umum dan Penataan Ruang", "1.03.03.2.01.0015",
     "Pembangunan SPAM Jaringan Perpipaan di Kawasan Perdesaan", "infrastruktur", "mengurangi_kantong", None,
     "Menurunkan jumlah kantong kemiskinan"),
    ("2.07.0.00.0.00.01.0000", "Dinas Koperasi dan Usaha Mikro", "2.17.03.2.01.0004",
     "Pelatihan Kewirausahaan bagi Usaha Mikro Keluarga Miskin", "pemberdayaan", "meningkatkan_pendapatan", None,
     None),
    ("5.01.0.00.0.00.01.0000", "Badan Perencanaan Pembangunan Daerah", "5.01.02.2.01.0003",
     "Koordinasi Pelaksanaan Penanggulangan Kemiskinan Daerah", "penunjang", "tidak_terklasifikasi", None, None),
    ("5.01.0.00.0.00.01.0000", "Badan Perencanaan Pembangunan Daerah", "5.01.02.2.01.0004",
     "Monitoring dan Evaluasi Program Penanggulangan Kemiskinan", "penunjang", "tidak_terklasifikasi", None, None),
    ("2.13.0.00.0.00.01.0000", "Dinas Pemberdayaan Masyarakat dan Desa", "2.13.05.2.01.0002",
     "Fasilitasi Penyaluran Bantuan Langsung Tunai Dana Desa", "penunjang", "mengurangi_beban", "BLT_DD", None),
    ("1.06.0.00.0.00.01.0000", "Dinas Sosial", "1.06.04.2.01.0007", "Penyaluran Bantuan JPS Gemilang",
     "intervensi_langsung", "mengurangi_beban", "JPS_GEMILANG", None),
)
SIPD_HEADERS = {"tahun_anggaran": "tahun_anggaran", "kode_skpd": "kode_skpd", "nama_skpd": "nama_skpd",
                "kode_sub_giat": "kode_sub_giat", "nama_sub_giat": "nama_sub_giat", "nama_dana": "nama_dana",
                "pagu": "pagu", "strategi_teks": "strategi_teks", "kode_program": "program_sasaran",
                "kode_desa": "kode_desa", "bulan": "bulan", "realisasi_anggaran": "realisasi_anggaran",
                "realisasi_fisik": "realisasi_fisik"}
OFFICE_HEADERS = {"tahun_anggaran": "Tahun Anggaran", "kode_skpd": "Kode SKPD", "nama_skpd": "Nama OPD",
                  "kode_sub_giat": "Kode Sub Kegiatan", "nama_sub_giat": "Nama Sub Kegiatan",
                  "nama_dana": "Sumber Dana", "pagu": "Pagu (Rp)", "strategi_teks": "Strategi",
                  "kode_program": "Program Sasaran", "kode_desa": "Kode Desa", "bulan": "Bulan",
                  "realisasi_anggaran": "Realisasi (Rp)", "realisasi_fisik": "Realisasi Fisik (%)"}
SUB_COLUMNS = ("tahun_anggaran", "kode_skpd", "nama_skpd", "kode_sub_giat", "nama_sub_giat", "nama_dana", "pagu",
               "strategi_teks", "kode_program", "kode_desa")
REAL_COLUMNS = ("kode_skpd", "kode_sub_giat", "bulan", "realisasi_anggaran", "realisasi_fisik")


def write_budget(out: Path, kab: str, period: tuple[int, int], programmes: set[str], desa: np.ndarray,
                 rng: np.random.Generator, scale: float) -> tuple[str, int, pd.DataFrame]:
    """Write the regency's budget workbook; return its path (relative to out), its row count and its truth."""
    year, month = period
    # the programme lines only where the regency runs the programme (its lists exist)
    lines = [c for c in CATALOGUE if c[6] is None or c[6] in programmes]
    heavy_support = rng.random() < 0.3  # "didominasi oleh belanja penunjang" (Lampung Tengah)
    style = "sipd" if rng.random() < 0.5 else "kantor"
    headers = SIPD_HEADERS if style == "sipd" else OFFICE_HEADERS
    sub_rows, real_rows, truth = [], [], []
    for skpd, opd, code, name, kind, strategy, programme, label in lines:
        base = {"penunjang": 0.4e9 if heavy_support else 0.08e9, "infrastruktur": 1.2e9,
                "pemberdayaan": 0.5e9, "intervensi_langsung": 1.0e9}[kind]
        pagu = float(np.round(base * max(scale, 0.01) ** 0.5 * rng.uniform(0.5, 1.5), -5))
        share = rng.uniform(0.4, 0.95) * month / 12
        spent = np.round(pagu * share * np.diff(np.r_[0.0, np.sort(rng.random(month - 1)), 1.0]), -3)
        desa_code = str(rng.choice(desa)) if kind == "infrastruktur" and len(desa) else ""
        sub_rows.append({"tahun_anggaran": str(year), "kode_skpd": skpd, "nama_skpd": opd, "kode_sub_giat": code,
                         "nama_sub_giat": name, "nama_dana": str(rng.choice(["DAU", "DAK", "PAD", "DBH"])),
                         "pagu": f"{pagu:.0f}", "strategi_teks": label or "",
                         "kode_program": programme if programme and rng.random() < 0.5 else "",
                         "kode_desa": desa_code})
        for m in range(1, month + 1):
            real_rows.append({"kode_skpd": skpd, "kode_sub_giat": code, "bulan": str(m),
                              "realisasi_anggaran": f"{spent[m - 1]:.0f}",
                              "realisasi_fisik": f"{100 * min(1.0, m / 12 + 0.05):.0f}"})
        truth.append({"kode_kab": kab, "kode_skpd": skpd, "kode_sub_giat": code, "jenis_belanja": kind,
                      "strategi": strategy, "kode_program": programme or "", "kode_desa": desa_code, "pagu": pagu,
                      "realisasi": float(spent.sum()), "judul_kolom": style})
    rel = f"inbox/{kab}/anggaran/anggaran_{kab}_{year:04d}-{month:02d}.xlsx"
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    numeric = ("pagu", "realisasi_anggaran", "tahun_anggaran", "bulan", "realisasi_fisik")
    sheets = []
    for sheet_name, columns, rows in (("Sub Kegiatan", SUB_COLUMNS, sub_rows), ("Realisasi", REAL_COLUMNS, real_rows)):
        cells = []
        for column in columns:  # amounts as Excel numbers, codes as text
            text = np.array([row[column] for row in rows], dtype=object)
            kind = np.where(text == "", EMPTY, NUM if column in numeric else STR).astype(np.int8)
            cells.append(Column(text, kind))
        sheets.append(Sheet(sheet_name, [headers[c] for c in columns], cells))
    write_xlsx(path, sheets)  # fixed zip timestamps: the same seed gives the same bytes
    return rel, len(sub_rows) + len(real_rows), pd.DataFrame(truth)
