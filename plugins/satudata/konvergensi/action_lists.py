"""Action lists for regencies: `outbox/<kode_kab>/sasaran_belum_terintervensi_<periode>.xlsx`.

The desil-1 families of one regency that receive no core programme, by kecamatan and desa, with what
they are eligible for and what to do first (register in DTKS when a programme requires it), plus the
regency's recipients found in no registry. Only the regency's own rows are read, and the file lands in
its own outbox folder, written whole or not at all.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from satudata.config import Settings
from satudata.fileio import write_atomically
from satudata.konvergensi.dtsen_lists import write_dtsen_lists
from satudata.konvergensi.rules import Rules, load_rules
from satudata.konvergensi.workbooks import per_distinct, restricted_workbook
from satudata.warehouse.engine import make_engine, read_frame

log = logging.getLogger(__name__)

SHEET_SASARAN = "Sasaran"
SHEET_DESA = "Ringkasan per Desa"
SHEET_TIDAK_DITEMUKAN = "Penerima Tidak Ditemukan"

PRIORITY_LABELS = {
    "lansia_tunggal": "Lansia tunggal",
    "disabilitas": "Ada anggota disabilitas",
    "kepala_keluarga_perempuan": "Kepala keluarga perempuan",
    "pekerja_migran": "Ada pekerja migran",
}
STATUS_LABELS = {"tidak_ditemukan": "Tidak ditemukan di DTKS maupun P3KE",
                 "perlu_review": "Mungkin cocok, perlu diperiksa"}

_TARGETS_SQL = """
SELECT k.kode_desa, substr(k.kode_desa, 1, 6) AS kode_kec, wd.nama AS nama_desa, wk.nama AS nama_kecamatan,
       f.id_keluarga_p3ke, COALESCE(f.no_kk_p3ke, f.no_kk_dtks) AS no_kk, f.nik_kepala_keluarga,
       f.nama_kepala_keluarga, k.jumlah_anggota, k.desil, k.di_dtks, k.lansia_tunggal, k.disabilitas,
       k.kepala_keluarga_perempuan, k.pekerja_migran, k.program_diterima, k.program_layak_belum_diterima
FROM core.konvergensi_keluarga k
JOIN core.keluarga_terpadu f ON f.periode = k.periode AND f.kode_kab = k.kode_kab AND f.id_keluarga = k.id_keluarga
LEFT JOIN core.wilayah wd ON wd.kode = k.kode_desa
LEFT JOIN core.wilayah wk ON wk.kode = substr(k.kode_desa, 1, 6)
WHERE k.periode = :p AND k.kode_kab = :k AND k.desil <= :desil AND k.jumlah_program_inti = 0
ORDER BY k.kode_desa, f.nama_kepala_keluarga, f.id_keluarga_p3ke, k.id_keluarga
"""
_DESA_SQL = """
SELECT kode_kec, kode_desa, nama_wilayah, keluarga_desil1, desil1_terintervensi, desil1_tanpa_program_inti,
       persen_cakupan_desil1, desil1_tidak_di_dtks
FROM core.indikator_konvergensi_desa WHERE periode = :p AND kode_kab = :k AND keluarga_desil1 > 0
ORDER BY desil1_tanpa_program_inti DESC, kode_desa
"""
_NOT_FOUND_SQL = """
SELECT r.kode_program, s.file_name, r.baris, r.nik, r.nama, r.kode_desa, r.status_padanan, r.match_reason,
       CASE WHEN r.status_padanan = 'perlu_review' THEN i.nama END AS kandidat_nama,
       CASE WHEN r.status_padanan = 'perlu_review' THEN i.nik END AS kandidat_nik
FROM core.penerima_program r
LEFT JOIN meta.submission s ON s.submission_id = r.submission_id
LEFT JOIN core.individu_terpadu i ON i.periode = r.periode AND i.kode_kab = r.kode_kab AND i.id_individu = r.id_individu
WHERE r.periode = :p AND r.kode_kab = :k AND r.status_padanan <> 'ditemukan'
ORDER BY r.kode_program, s.file_name, r.baris
"""


def action_list_path(settings: Settings, kode_kab: str, periode: str) -> Path:
    return settings.folder("outbox") / kode_kab / f"sasaran_belum_terintervensi_{periode}.xlsx"


def _codes_to_names(codes: object, names: dict[str, str]) -> str:
    if not isinstance(codes, str) or not codes:
        return ""
    return "; ".join(names.get(c, c) for c in codes.split(";"))


def _advice(eligible_codes: object, di_dtks: object, needs_dtks: set[str]) -> str:
    eligible = set(str(eligible_codes or "").split(";")) - {""}
    blocked = sorted(eligible & needs_dtks)
    if not di_dtks and blocked:
        return f"Daftarkan ke DTKS terlebih dahulu agar dapat diusulkan untuk {', '.join(blocked)}."
    if eligible:
        return f"Usulkan sebagai penerima {', '.join(sorted(eligible))}."
    return "Tidak ada program inti yang sesuai aturan periode ini; pertimbangkan program daerah."




def _priority(flags: pd.DataFrame) -> np.ndarray:
    """The labels of each family's priority groups, joined: one text per combination of the flags."""
    code = np.zeros(len(flags), dtype=np.int64)
    for bit, key in enumerate(PRIORITY_LABELS):
        code |= flags[key].to_numpy(dtype=bool).astype(np.int64) << bit
    texts = np.array(["; ".join(label for bit, label in enumerate(PRIORITY_LABELS.values()) if combo >> bit & 1)
                      for combo in range(1 << len(PRIORITY_LABELS))], dtype=object)
    return texts[code]


def action_list_frames(conn, rules: Rules, kode_kab: str, periode: str) -> dict[str, pd.DataFrame]:
    """The three tables of the workbook, with Indonesian column names, from the warehouse."""
    params = {"p": periode, "k": kode_kab, "desil": rules.desil_sasaran}
    names = {p.kode_program: p.nama_program for p in rules.programmes}
    t = read_frame(conn, _TARGETS_SQL, params)
    needs_dtks = {p.kode_program for p in rules.programmes if p.wajib_dtks}
    empty = pd.Series(dtype=object)
    targets = pd.DataFrame({
        "No": range(1, len(t) + 1),
        "Kode Kecamatan": t["kode_kec"], "Kecamatan": t["nama_kecamatan"],
        "Kode Desa": t["kode_desa"], "Desa/Kelurahan": t["nama_desa"],
        "ID Keluarga P3KE": t["id_keluarga_p3ke"], "No KK": t["no_kk"],
        "NIK Kepala Keluarga": t["nik_kepala_keluarga"], "Nama Kepala Keluarga": t["nama_kepala_keluarga"],
        "Jumlah Anggota": t["jumlah_anggota"], "Desil": t["desil"],
        "Terdaftar di DTKS": t["di_dtks"].map({True: "Ya", False: "Tidak"}),
        "Kelompok Prioritas": _priority(t[list(PRIORITY_LABELS)].astype(bool)) if not t.empty else empty,
        "Program yang Sudah Diterima": per_distinct(t[["program_diterima"]], lambda c: _codes_to_names(c, names))
        if not t.empty else empty,
        "Layak Menerima": per_distinct(t[["program_layak_belum_diterima"]], lambda c: _codes_to_names(c, names))
        if not t.empty else empty,
        "Saran Tindak Lanjut": per_distinct(t[["program_layak_belum_diterima", "di_dtks"]],
                                            lambda c, d: _advice(c, d, needs_dtks)) if not t.empty else empty,
        "Tindak Lanjut (diisi operator)": "",
    })
    d = read_frame(conn, _DESA_SQL, params)
    desa = pd.DataFrame({
        "Kode Kecamatan": d["kode_kec"], "Kode Desa": d["kode_desa"], "Desa/Kelurahan": d["nama_wilayah"],
        "Keluarga Desil 1": d["keluarga_desil1"], "Sudah Menerima Program Inti": d["desil1_terintervensi"],
        "Belum Menerima Program Inti": d["desil1_tanpa_program_inti"],
        "Cakupan (%)": d["persen_cakupan_desil1"], "Desil 1 Belum Terdaftar DTKS": d["desil1_tidak_di_dtks"],
    })
    n = read_frame(conn, _NOT_FOUND_SQL, params)
    not_found = pd.DataFrame({
        "Program": n["kode_program"], "Berkas": n["file_name"], "Baris": n["baris"], "NIK": n["nik"],
        "Nama": n["nama"], "Kode Desa": n["kode_desa"], "Status": n["status_padanan"].map(STATUS_LABELS),
        "Keterangan": n["match_reason"].fillna(""),
        "Kemungkinan Sama Dengan (Nama)": n["kandidat_nama"], "Kemungkinan Sama Dengan (NIK)": n["kandidat_nik"],
    })
    return {SHEET_SASARAN: targets, SHEET_DESA: desa, SHEET_TIDAK_DITEMUKAN: not_found}


def write_action_list(settings: Settings, kode_kab: str, periode: str) -> dict:
    """Write the regency's action list for the period (atomically) and return what it holds; under DTSEN
    desil also its follow-up lists (`dtsen_lists`)."""

    rules = load_rules(periode)
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            frames = action_list_frames(conn, rules, kode_kab, periode)
            nama_kab = conn.execute(sa.text("SELECT nama FROM core.wilayah WHERE kode = :k"),
                                    {"k": kode_kab}).scalar_one_or_none()
            dtsen = write_dtsen_lists(settings, conn, rules, kode_kab, periode, nama_kab)
    finally:
        engine.dispose()
    path = action_list_path(settings, kode_kab, periode)
    write_atomically(path, _workbook(frames, rules, kode_kab, nama_kab, periode))
    summary = {"kode_kab": kode_kab, "periode": periode, "berkas": str(path.relative_to(settings.data_dir)),
               "keluarga_sasaran": len(frames[SHEET_SASARAN]),
               "penerima_tidak_ditemukan": len(frames[SHEET_TIDAK_DITEMUKAN]), **(dtsen or {})}
    _record(settings, kode_kab, periode, summary)
    log.info("action list %s: %d desil-1 families without a core programme, %d recipients not found",
             path, summary["keluarga_sasaran"], summary["penerima_tidak_ditemukan"])
    return summary


def _record(settings: Settings, kode_kab: str, periode: str, summary: dict) -> None:
    from satudata.konvergensi.recipients import write_summary

    engine = make_engine(settings.warehouse_url)
    try:
        write_summary(engine, periode, kode_kab, None, summary, step="daftar_sasaran")
    finally:
        engine.dispose()


def _workbook(frames: dict[str, pd.DataFrame], rules: Rules, kode_kab: str, nama_kab: str | None,
              periode: str) -> bytes:
    wilayah = f"{nama_kab} ({kode_kab})" if nama_kab else kode_kab
    sheets = [
        (SHEET_SASARAN, frames[SHEET_SASARAN],
         f"Keluarga desil {rules.desil_sasaran} yang belum menerima program inti — {wilayah}, periode {periode}",
         "Tidak ada keluarga sasaran yang belum menerima program inti pada periode ini."),
        (SHEET_DESA, frames[SHEET_DESA], f"Ringkasan per desa/kelurahan — {wilayah}, periode {periode}",
         "Belum ada keluarga desil 1 pada periode ini."),
        (SHEET_TIDAK_DITEMUKAN, frames[SHEET_TIDAK_DITEMUKAN],
         f"Penerima program yang tidak ditemukan di DTKS/P3KE — {wilayah}, periode {periode}",
         "Semua penerima program ditemukan di DTKS atau P3KE."),
    ]
    guide: list[tuple[str, str | None]] = [
        (f"Berkas ini dibuat otomatis oleh pipeline Satu Data Kemiskinan untuk {wilayah}, periode {periode}.", None),
        ((f"Lembar '{SHEET_SASARAN}': keluarga desil {rules.desil_sasaran} ({rules.sumber_desil.upper()}) yang "
          "belum menerima satu pun program inti, diurutkan per kecamatan dan desa."), None),
        (("Kolom 'Layak Menerima' menyebut program yang sesuai desil keluarga menurut aturan periode ini; "
          "'Saran Tindak Lanjut' menyebut langkah pertama (misalnya mendaftarkan keluarga ke DTKS)."), None),
        (f"Lembar '{SHEET_DESA}': jumlah keluarga desil 1 dan yang belum menerima program inti per desa.", None),
        ((f"Lembar '{SHEET_TIDAK_DITEMUKAN}': baris daftar penerima yang orangnya tidak ditemukan di DTKS "
          "maupun P3KE kabupaten/kota ini (atau perlu diperiksa). Periksa NIK dan nama pada berkas asal."), None),
        (("Kolom 'Tindak Lanjut (diisi operator)' boleh diisi untuk catatan kerja; berkas ini tidak dibaca "
          "kembali oleh pipeline."), None),
        ("Berkas ini berisi data pribadi (NIK, nama). Jangan dibagikan di luar petugas yang berwenang.", "note"),
    ]
    return restricted_workbook(f"Sasaran belum terintervensi {kode_kab} {periode}", rules, periode, sheets, guide)
