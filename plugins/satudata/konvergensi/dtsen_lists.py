"""DTSEN follow-up lists for a regency's Dinsos: `outbox/<kode_kab>/tindak_lanjut_dtsen_<periode>.xlsx`.

Two lists, restricted like `sasaran_belum_terintervensi` (NIK and names: the regency's own outbox only):

- **Reaktivasi** — people of a programme the rule file follows through the transition (`pantau_transisi`:
  PBI-JK) who are not on its list while their family ranks within its DTSEN desil limit (1-5 for PBI-JK):
  cut at the May 2025 deactivation (`terputus`: on the list of the previous period) or never listed.
- **Usulan SIKS-NG** — families poor by P3KE or receiving a core programme that DTSEN does not hold, or
  ranks above that limit: candidates to propose (usul) for re-ranking through SIKS-NG, with the evidence.

Written only when the regency's convergence ran on DTSEN desil (`core.konvergensi_keluarga.sumber_desil`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from satudata.config import Settings
from satudata.fileio import write_atomically
from satudata.konvergensi.rules import Rules
from satudata.konvergensi.workbooks import per_distinct, restricted_workbook
from satudata.warehouse.engine import read_frame

SHEET_REAKTIVASI = "Reaktivasi"
SHEET_USULAN = "Usulan SIKS-NG"

_REAKTIVASI_SQL = """
SELECT i.kode_desa, wd.nama AS nama_desa, s.kode_program, i.nik, i.nama, i.tanggal_lahir, i.hubungan_keluarga,
       f.nama_kepala_keluarga, COALESCE(f.no_kk_dtsen, f.no_kk_p3ke, f.no_kk_dtks) AS no_kk, f.desil_dtsen,
       f.desil AS desil_p3ke, f.di_dtks, i.id_individu_dtsen,
       CASE WHEN EXISTS (SELECT 1 FROM core.sasaran_program b WHERE b.periode = :sebelum AND b.kode_kab = s.kode_kab
                         AND b.kode_program = s.kode_program AND b.id_individu = s.id_individu AND b.menerima)
            THEN 'terputus' ELSE 'belum_terdaftar' END AS status
FROM core.sasaran_program s
JOIN core.konvergensi_keluarga k ON k.periode = s.periode AND k.kode_kab = s.kode_kab AND k.id_keluarga = s.id_keluarga
     AND k.sumber_desil = 'dtsen'
JOIN core.individu_terpadu i ON i.periode = s.periode AND i.kode_kab = s.kode_kab AND i.id_individu = s.id_individu
JOIN core.keluarga_terpadu f ON f.periode = s.periode AND f.kode_kab = s.kode_kab AND f.id_keluarga = s.id_keluarga
LEFT JOIN core.wilayah wd ON wd.kode = i.kode_desa
WHERE s.periode = :p AND s.kode_kab = :k AND s.kode_program = :program AND s.layak AND NOT s.menerima
  AND s.unit = 'individu'
ORDER BY status DESC, i.kode_desa, f.nama_kepala_keluarga, i.nama, s.id_individu
"""
_USULAN_SQL = """
SELECT f.kode_desa, wd.nama AS nama_desa, f.nama_kepala_keluarga, f.nik_kepala_keluarga,
       COALESCE(f.no_kk_p3ke, f.no_kk_dtks, f.no_kk_dtsen) AS no_kk, f.jumlah_anggota, f.desil AS desil_p3ke,
       f.di_p3ke, f.di_dtks, f.di_dtsen, f.desil_dtsen, k.program_diterima, k.jumlah_program_inti
FROM core.keluarga_terpadu f
JOIN core.konvergensi_keluarga k ON k.periode = f.periode AND k.kode_kab = f.kode_kab AND k.id_keluarga = f.id_keluarga
     AND k.sumber_desil = 'dtsen'
LEFT JOIN core.wilayah wd ON wd.kode = f.kode_desa
WHERE f.periode = :p AND f.kode_kab = :k AND (f.di_p3ke OR k.jumlah_program_inti > 0)
  AND (NOT f.di_dtsen OR f.desil_dtsen > :batas)
ORDER BY f.kode_desa, f.nama_kepala_keluarga, f.id_keluarga
"""


def dtsen_list_path(settings: Settings, kode_kab: str, periode: str) -> Path:
    return settings.folder("outbox") / kode_kab / f"tindak_lanjut_dtsen_{periode}.xlsx"


def limit(rules: Rules, kode_kab: str | None = None) -> int:
    """The DTSEN desil above which a follow-up is proposed: the followed programmes' limit (PBI-JK: 5), the
    regency's own where it set one."""
    own = {r.kode_program: r.desil_maks for r in rules.penyesuaian_kabupaten if r.kode_kab == kode_kab}
    limits = [own.get(p.kode_program, p.desil_maks) for p in rules.programmes
              if p.kode_program in rules.pantau_transisi and own.get(p.kode_program, p.desil_maks)]
    return max(limits, default=rules.desil_sasaran)


def dtsen_frames(conn, rules: Rules, kode_kab: str, periode: str, sebelum: str | None) -> dict[str, pd.DataFrame]:
    batas = limit(rules, kode_kab)
    parts = [read_frame(conn, _REAKTIVASI_SQL, {"p": periode, "k": kode_kab, "program": code,
                                                "sebelum": sebelum or ""}) for code in rules.pantau_transisi]
    r = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["status"])
    reaktivasi = pd.DataFrame({
        "Kode Desa": r.get("kode_desa"), "Desa/Kelurahan": r.get("nama_desa"), "Program": r.get("kode_program"),
        "Status": r["status"].map({"terputus": "Terputus (menerima pada periode sebelumnya)",
                                   "belum_terdaftar": "Belum terdaftar"}),
        "NIK": r.get("nik"), "Nama": r.get("nama"), "Tanggal Lahir": pd.to_datetime(r.get("tanggal_lahir"), errors="coerce").dt.strftime("%d-%m-%Y")
        if "tanggal_lahir" in r else None,
        "Hubungan Keluarga": r.get("hubungan_keluarga"), "Kepala Keluarga": r.get("nama_kepala_keluarga"),
        "Nomor KK": r.get("no_kk"), "Desil DTSEN": r.get("desil_dtsen"), "Desil P3KE": r.get("desil_p3ke"),
        "ID Individu DTSEN": r.get("id_individu_dtsen"), "Tindak Lanjut (diisi operator)": "",
    })
    u = read_frame(conn, _USULAN_SQL, {"p": periode, "k": kode_kab, "batas": batas})
    columns = ["di_p3ke", "desil_p3ke", "program_diterima", "di_dtks", "di_dtsen", "desil_dtsen"]
    evidence = per_distinct(u[columns], lambda *row: _evidence(*row, batas)) if not u.empty else []
    usulan = pd.DataFrame({
        "Kode Desa": u["kode_desa"], "Desa/Kelurahan": u["nama_desa"], "Kepala Keluarga": u["nama_kepala_keluarga"],
        "NIK Kepala Keluarga": u["nik_kepala_keluarga"], "Nomor KK": u["no_kk"], "Jumlah Anggota": u["jumlah_anggota"],
        "Desil P3KE": u["desil_p3ke"], "Desil DTSEN": u["desil_dtsen"],
        "Usulan": per_distinct(u[["di_dtsen"]], lambda d: "Usulkan masuk DTSEN" if not d else
                               "Usulkan pemeringkatan ulang") if not u.empty else [],
        "Bukti": evidence, "Tindak Lanjut (diisi operator)": "",
    })
    return {SHEET_REAKTIVASI: reaktivasi, SHEET_USULAN: usulan}


def _evidence(di_p3ke, desil_p3ke, program_diterima, di_dtks, di_dtsen, desil_dtsen, batas: int) -> str:
    """Why a family is proposed (`Bukti`)."""
    why = []
    if di_p3ke:
        why.append(f"P3KE desil {int(desil_p3ke)}" if pd.notna(desil_p3ke) else "terdaftar di P3KE")
    if program_diterima:
        why.append("menerima " + str(program_diterima).replace(";", ", "))
    if di_dtks:
        why.append("terdaftar di DTKS")
    why.append("tidak ada di DTSEN" if not di_dtsen else f"DTSEN desil {int(desil_dtsen)} (> {batas})")
    return "; ".join(why)


def write_dtsen_lists(settings: Settings, conn, rules: Rules, kode_kab: str, periode: str,
                      nama_kab: str | None) -> dict | None:
    """Write the regency's DTSEN follow-up lists (atomically); None when its convergence did not use DTSEN."""
    uses = conn.execute(sa.text("SELECT count(*) FROM core.konvergensi_keluarga WHERE periode = :p AND kode_kab = :k "
                                "AND sumber_desil = 'dtsen'"), {"p": periode, "k": kode_kab}).scalar_one()
    path = dtsen_list_path(settings, kode_kab, periode)
    if not uses:
        path.unlink(missing_ok=True)  # a re-run after the DTSEN extract was withdrawn
        return None
    sebelum = conn.execute(sa.text("SELECT max(periode) FROM core.sasaran_program WHERE periode < :p AND kode_kab = :k"),
                           {"p": periode, "k": kode_kab}).scalar_one_or_none()
    frames = dtsen_frames(conn, rules, kode_kab, periode, sebelum)
    write_atomically(path, _workbook(frames, rules, kode_kab, nama_kab, periode))
    return {"berkas_dtsen": str(path.relative_to(settings.data_dir)),
            "reaktivasi": len(frames[SHEET_REAKTIVASI]), "usulan_siks_ng": len(frames[SHEET_USULAN])}


def _workbook(frames: dict[str, pd.DataFrame], rules: Rules, kode_kab: str, nama_kab: str | None,
              periode: str) -> bytes:
    wilayah = f"{nama_kab} ({kode_kab})" if nama_kab else kode_kab
    programmes = ", ".join(rules.pantau_transisi) or "-"
    batas = limit(rules, kode_kab)
    sheets = [
        (SHEET_REAKTIVASI, frames[SHEET_REAKTIVASI],
         f"Calon reaktivasi {programmes}: desil DTSEN 1-{batas} tetapi tidak menerima — {wilayah}, periode {periode}",
         "Tidak ada calon reaktivasi pada periode ini."),
        (SHEET_USULAN, frames[SHEET_USULAN],
         (f"Calon usulan SIKS-NG: keluarga miskin menurut P3KE atau program, tetapi tidak ada di DTSEN atau desil "
          f"di atas {batas} — {wilayah}, periode {periode}"),
         "Tidak ada calon usulan pada periode ini."),
    ]
    guide: list[tuple[str, str | None]] = [
        ((f"Berkas ini dibuat otomatis oleh pipeline Satu Data Kemiskinan untuk {wilayah}, periode {periode}, "
          "dengan desil DTSEN (Inpres 4/2025)."), None),
        ((f"Lembar '{SHEET_REAKTIVASI}': orang dalam keluarga dengan desil nasional DTSEN 1-{batas} yang tidak ada "
          f"di daftar penerima {programmes}. 'Terputus' = masih menerima pada periode sebelumnya; periksa lalu "
          "ajukan reaktivasi melalui Dinas Sosial."), None),
        ((f"Lembar '{SHEET_USULAN}': keluarga yang miskin menurut P3KE atau menerima program inti, tetapi tidak "
          f"ada di DTSEN atau berperingkat di atas desil {batas}. Verifikasi lapangan melalui musyawarah "
          "desa/kelurahan, lalu usulkan melalui SIKS-NG (Permensos 3/2025); warga juga dapat mengusulkan atau "
          "menyanggah melalui aplikasi Cek Bansos. Kolom 'Bukti' menyebut dasar usulan."), None),
        ("Berkas ini berisi data pribadi (NIK, nama). Jangan dibagikan di luar petugas yang berwenang.", "note"),
    ]
    return restricted_workbook(f"Tindak lanjut DTSEN {kode_kab} {periode}", rules, periode, sheets, guide)
