-- core.indikator_anggaran_jangkauan: for the budget lines that fund a programme of the recipient lists, what the
-- money reached: the families on the programme's lists found in a registry, those of them in desil 1 (the
-- regime's desil, core.konvergensi_keluarga), and rupiah per desil-1 family reached. The rupiah are the
-- realisation when the budget's owner reported any, else the pagu (dasar_rupiah). Whose APBD:
--   tingkat kabupaten, pemilik kabupaten: a regency's lines against the families on that regency's lists;
--   tingkat provinsi,  pemilik kabupaten: the sum of the regency rows of the province;
--   tingkat provinsi,  pemilik provinsi:  the province's own lines (a 2-digit kode_kab) against the families on
--                                         the programme's lists of ALL the province's regencies, each family once.
-- Parameters: :periode.
INSERT INTO core.indikator_anggaran_jangkauan (periode, tingkat, pemilik_anggaran, kode_wilayah, nama_wilayah,
    kode_program, sumber_desil, jumlah_sub_kegiatan, pagu, realisasi, dasar_rupiah, keluarga_terjangkau,
    keluarga_desil1_terjangkau, persen_desil1, rupiah_per_keluarga_desil1)
WITH dasar AS (  -- per owner: a regency, or the province for its own APBD
    SELECT kode_kab, CASE WHEN COUNT(realisasi) > 0 THEN 'realisasi' ELSE 'pagu' END AS dasar_rupiah
    FROM core.anggaran_sub_kegiatan WHERE periode = :periode GROUP BY kode_kab
),
baris AS (
    SELECT a.pemilik_anggaran, a.kode_kab, a.kode_program, COUNT(*) AS n, SUM(a.pagu) AS pagu,
           SUM(a.realisasi) AS realisasi,
           SUM(CASE WHEN d.dasar_rupiah = 'realisasi' THEN COALESCE(a.realisasi, 0) ELSE a.pagu END) AS rupiah
    FROM core.anggaran_sub_kegiatan a JOIN dasar d ON d.kode_kab = a.kode_kab
    WHERE a.periode = :periode AND a.kode_program IS NOT NULL
    GROUP BY a.pemilik_anggaran, a.kode_kab, a.kode_program
),
penerima AS (
    SELECT DISTINCT kode_kab, kode_program, id_keluarga FROM core.penerima_program
    WHERE periode = :periode AND status_padanan = 'ditemukan' AND id_keluarga IS NOT NULL
),
jangkau AS (  -- keyed by the code of the owner: a regency (its lists) or a province (the lists of all its regencies)
    SELECT p.kode_kab AS kode_wilayah, p.kode_program, COUNT(*) AS keluarga,
           SUM(CASE WHEN k.desil = 1 THEN 1 ELSE 0 END) AS desil1
    FROM penerima p
    LEFT JOIN core.konvergensi_keluarga k ON k.periode = :periode AND k.id_keluarga = p.id_keluarga
    GROUP BY p.kode_kab, p.kode_program
    UNION ALL
    -- only for the programmes a province's own lines fund; a family on two regencies' lists counts once
    SELECT substr(p.kode_kab, 1, 2), p.kode_program, COUNT(DISTINCT p.id_keluarga),
           COUNT(DISTINCT CASE WHEN k.desil = 1 THEN p.id_keluarga END)
    FROM penerima p
    LEFT JOIN core.konvergensi_keluarga k ON k.periode = :periode AND k.id_keluarga = p.id_keluarga
    WHERE EXISTS (SELECT 1 FROM baris b WHERE b.pemilik_anggaran = 'provinsi'
                    AND b.kode_kab = substr(p.kode_kab, 1, 2) AND b.kode_program = p.kode_program)
    GROUP BY substr(p.kode_kab, 1, 2), p.kode_program
),
per_pemilik AS (
    SELECT b.pemilik_anggaran, b.kode_kab, b.kode_program, b.n, b.pagu, b.realisasi, b.rupiah, d.dasar_rupiah,
           COALESCE(j.keluarga, 0) AS keluarga, COALESCE(j.desil1, 0) AS desil1
    FROM baris b JOIN dasar d ON d.kode_kab = b.kode_kab
    LEFT JOIN jangkau j ON j.kode_wilayah = b.kode_kab AND j.kode_program = b.kode_program
),
per_wilayah AS (
    SELECT pemilik_anggaran AS tingkat, pemilik_anggaran, kode_kab AS kode_wilayah, kode_program, n, pagu, realisasi,
           rupiah, dasar_rupiah, keluarga, desil1
    FROM per_pemilik
    UNION ALL
    SELECT 'provinsi', 'kabupaten', substr(kode_kab, 1, 2), kode_program, SUM(n), SUM(pagu), SUM(realisasi),
           SUM(rupiah), CASE WHEN MIN(dasar_rupiah) = MAX(dasar_rupiah) THEN MIN(dasar_rupiah) ELSE 'campuran' END,
           SUM(keluarga), SUM(desil1)
    FROM per_pemilik WHERE pemilik_anggaran = 'kabupaten' GROUP BY substr(kode_kab, 1, 2), kode_program
),
sumber AS (  -- a province's rows (both owners) count desil as its regencies do
    SELECT kode_kab AS kode_wilayah, sumber_desil FROM meta.sumber_desil WHERE periode = :periode
    UNION ALL
    SELECT substr(kode_kab, 1, 2), CASE WHEN MIN(sumber_desil) = MAX(sumber_desil) THEN MIN(sumber_desil)
                                        ELSE 'campuran' END
    FROM meta.sumber_desil WHERE periode = :periode GROUP BY substr(kode_kab, 1, 2)
)
SELECT :periode, r.tingkat, r.pemilik_anggaran, r.kode_wilayah, w.nama, r.kode_program, s.sumber_desil, r.n, r.pagu,
       r.realisasi, r.dasar_rupiah, r.keluarga, r.desil1,
       ROUND(CAST(100.0 * r.desil1 / NULLIF(r.keluarga, 0) AS NUMERIC), 1),
       -- rupiah are NUMERIC (exact sums); per family rounded once, to the whole rupiah
       CAST(ROUND(r.rupiah / NULLIF(r.desil1, 0), 0) AS NUMERIC(24, 2))
FROM per_wilayah r
LEFT JOIN sumber s ON s.kode_wilayah = r.kode_wilayah
LEFT JOIN core.wilayah w ON w.kode = r.kode_wilayah
