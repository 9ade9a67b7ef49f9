-- core.indikator_anggaran_ringkasan: pagu and realisation, pagu by kind of spending and the share that is
-- penunjang, lines over their pagu, and where the money lands against where desil-1 families live. Rows:
--   tingkat kabupaten, pemilik kabupaten: every regency of the period, budget file or not (data_anggaran);
--   tingkat provinsi,  pemilik kabupaten: the sum of the province's regencies;
--   tingkat provinsi,  pemilik provinsi:  the province's own APBD (lines with a 2-digit kode_kab), one row per
--                                         province of the period, own budget file or not (data_anggaran).
-- A line's money is in the desa its rows name (core.anggaran_lokasi); a line funding a programme without a desa
-- follows the families it reached, desa by desa (a province's line: on the lists of all its regencies); other
-- lines are not located. Poverty pockets: core.indikator_kantong_kemiskinan.kantong (for a province's lines, the
-- pockets of all its regencies). A province's own row counts its desil-1 families as the sum row does.
-- Built after 06_kantong_kemiskinan.sql and 12_anggaran_jangkauan.sql. Parameters: :periode.
INSERT INTO core.indikator_anggaran_ringkasan (periode, tingkat, pemilik_anggaran, kode_wilayah, nama_wilayah,
    data_anggaran, sumber_desil, dasar_rupiah, jumlah_sub_kegiatan, pagu, realisasi, persen_realisasi,
    pagu_intervensi_langsung, pagu_pemberdayaan, pagu_infrastruktur, pagu_penunjang, pagu_tidak_terklasifikasi,
    persen_penunjang, sub_kegiatan_realisasi_melebihi_pagu, rupiah_berlokasi, rupiah_di_kantong,
    persen_rupiah_di_kantong, keluarga_desil1, keluarga_desil1_di_kantong, persen_desil1_di_kantong)
WITH kabupaten AS (
    SELECT kode_kab, keluarga_desil1 FROM core.indikator_konvergensi_kabupaten WHERE periode = :periode
    UNION
    SELECT DISTINCT kode_kab, CAST(NULL AS BIGINT) FROM core.anggaran_sub_kegiatan WHERE periode = :periode
      AND pemilik_anggaran = 'kabupaten'
      AND kode_kab NOT IN (SELECT kode_kab FROM core.indikator_konvergensi_kabupaten WHERE periode = :periode)
),
provinsi AS (  -- the provinces of the period: of its regencies, and any that sent its own APBD
    SELECT DISTINCT substr(kode_kab, 1, 2) AS kode_prov FROM kabupaten
    UNION
    SELECT DISTINCT kode_kab FROM core.anggaran_sub_kegiatan WHERE periode = :periode AND pemilik_anggaran = 'provinsi'
),
dasar AS (  -- per owner: a regency, or the province for its own APBD
    SELECT kode_kab, CASE WHEN COUNT(realisasi) > 0 THEN 'realisasi' ELSE 'pagu' END AS dasar_rupiah
    FROM core.anggaran_sub_kegiatan WHERE periode = :periode GROUP BY kode_kab
),
baris AS (
    SELECT a.*, CASE WHEN d.dasar_rupiah = 'realisasi' THEN COALESCE(a.realisasi, 0) ELSE a.pagu END AS rupiah
    FROM core.anggaran_sub_kegiatan a JOIN dasar d ON d.kode_kab = a.kode_kab WHERE a.periode = :periode
),
desa_penerima AS (  -- families each programme reached, desa by desa (the family's desa), per budget owner
    SELECT p.kode_kab AS pemilik, p.kode_program, k.kode_desa, COUNT(DISTINCT p.id_keluarga) AS keluarga
    FROM core.penerima_program p
    JOIN core.konvergensi_keluarga k ON k.periode = :periode AND k.id_keluarga = p.id_keluarga
    WHERE p.periode = :periode AND p.status_padanan = 'ditemukan' AND k.kode_desa IS NOT NULL
    GROUP BY p.kode_kab, p.kode_program, k.kode_desa
    UNION ALL
    -- a province's own programme lines: the lists of all its regencies
    SELECT substr(p.kode_kab, 1, 2), p.kode_program, k.kode_desa, COUNT(DISTINCT p.id_keluarga)
    FROM core.penerima_program p
    JOIN core.konvergensi_keluarga k ON k.periode = :periode AND k.id_keluarga = p.id_keluarga
    WHERE p.periode = :periode AND p.status_padanan = 'ditemukan' AND k.kode_desa IS NOT NULL
      AND EXISTS (SELECT 1 FROM baris b WHERE b.pemilik_anggaran = 'provinsi'
                    AND b.kode_kab = substr(p.kode_kab, 1, 2) AND b.kode_program = p.kode_program)
    GROUP BY substr(p.kode_kab, 1, 2), p.kode_program, k.kode_desa
),
total_penerima AS (
    SELECT pemilik, kode_program, SUM(keluarga) AS keluarga FROM desa_penerima GROUP BY pemilik, kode_program
),
lokasi AS (
    SELECT l.kode_kab, l.id_sub_kegiatan, l.kode_desa, l.porsi FROM core.anggaran_lokasi l WHERE l.periode = :periode
    UNION ALL
    SELECT b.kode_kab, b.id_sub_kegiatan, r.kode_desa, 1.0 * r.keluarga / t.keluarga
    FROM baris b
    JOIN desa_penerima r ON r.pemilik = b.kode_kab AND r.kode_program = b.kode_program
    JOIN total_penerima t ON t.pemilik = r.pemilik AND t.kode_program = r.kode_program
    WHERE b.kode_program IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM core.anggaran_lokasi l WHERE l.periode = :periode AND l.kode_kab = b.kode_kab
          AND l.id_sub_kegiatan = b.id_sub_kegiatan)
),
kantong AS (
    SELECT kode_kab, kode_desa, keluarga_desil1 FROM core.indikator_kantong_kemiskinan
    WHERE periode = :periode AND kantong
),
rupiah_desa AS (
    -- a line's rupiah in one desa (its share: porsi) is rounded to the sen before it is summed, so the sums are
    -- exact NUMERIC sums and do not depend on the order of the rows; a line split over several desa may thus
    -- differ from its own total by a few sen
    SELECT b.kode_kab, SUM(CAST(b.rupiah * l.porsi AS NUMERIC(24, 2))) AS berlokasi,
           SUM(CASE WHEN k.kode_desa IS NOT NULL THEN CAST(b.rupiah * l.porsi AS NUMERIC(24, 2)) ELSE 0 END)
               AS di_kantong
    FROM lokasi l
    JOIN baris b ON b.kode_kab = l.kode_kab AND b.id_sub_kegiatan = l.id_sub_kegiatan
    -- a regency's money counts in its own pockets, a province's in the pockets of any of its regencies
    LEFT JOIN kantong k ON k.kode_desa = l.kode_desa AND (k.kode_kab = l.kode_kab OR substr(k.kode_kab, 1, 2) = l.kode_kab)
    GROUP BY b.kode_kab
),
uang AS (
    SELECT kode_kab, COUNT(*) AS n, SUM(pagu) AS pagu, SUM(realisasi) AS realisasi,
           SUM(CASE WHEN jenis_belanja = 'intervensi_langsung' THEN pagu ELSE 0 END) AS langsung,
           SUM(CASE WHEN jenis_belanja = 'pemberdayaan' THEN pagu ELSE 0 END) AS pemberdayaan,
           SUM(CASE WHEN jenis_belanja = 'infrastruktur' THEN pagu ELSE 0 END) AS infrastruktur,
           SUM(CASE WHEN jenis_belanja = 'penunjang' THEN pagu ELSE 0 END) AS penunjang,
           SUM(CASE WHEN jenis_belanja = 'tidak_terklasifikasi' THEN pagu ELSE 0 END) AS lain,
           SUM(CASE WHEN realisasi_melebihi_pagu THEN 1 ELSE 0 END) AS melebihi
    FROM baris GROUP BY kode_kab
),
per_kab AS (
    SELECT k.kode_kab, u.kode_kab IS NOT NULL AS data_anggaran, s.sumber_desil, d.dasar_rupiah, u.n, u.pagu,
           u.realisasi, u.langsung, u.pemberdayaan, u.infrastruktur, u.penunjang, u.lain, u.melebihi,
           CASE WHEN u.kode_kab IS NULL THEN NULL ELSE COALESCE(r.berlokasi, 0) END AS berlokasi,
           CASE WHEN u.kode_kab IS NULL THEN NULL ELSE COALESCE(r.di_kantong, 0) END AS di_kantong,
           k.keluarga_desil1,
           (SELECT COALESCE(SUM(x.keluarga_desil1), 0) FROM kantong x WHERE x.kode_kab = k.kode_kab) AS desil1_kantong
    FROM kabupaten k
    LEFT JOIN uang u ON u.kode_kab = k.kode_kab
    LEFT JOIN dasar d ON d.kode_kab = k.kode_kab
    LEFT JOIN rupiah_desa r ON r.kode_kab = k.kode_kab
    LEFT JOIN meta.sumber_desil s ON s.periode = :periode AND s.kode_kab = k.kode_kab
),
jumlah_kabupaten AS (  -- a province's regencies summed
    SELECT substr(kode_kab, 1, 2) AS kode_prov, MAX(CASE WHEN data_anggaran THEN 1 ELSE 0 END) = 1 AS data_anggaran,
           CASE WHEN MIN(sumber_desil) = MAX(sumber_desil) THEN MIN(sumber_desil) ELSE 'campuran' END AS sumber_desil,
           CASE WHEN MIN(dasar_rupiah) = MAX(dasar_rupiah) THEN MIN(dasar_rupiah) ELSE 'campuran' END AS dasar_rupiah,
           SUM(n) AS n, SUM(pagu) AS pagu, SUM(realisasi) AS realisasi, SUM(langsung) AS langsung,
           SUM(pemberdayaan) AS pemberdayaan, SUM(infrastruktur) AS infrastruktur, SUM(penunjang) AS penunjang,
           SUM(lain) AS lain, SUM(melebihi) AS melebihi, SUM(berlokasi) AS berlokasi, SUM(di_kantong) AS di_kantong,
           SUM(keluarga_desil1) AS keluarga_desil1, SUM(desil1_kantong) AS desil1_kantong
    FROM per_kab GROUP BY substr(kode_kab, 1, 2)
),
per_wilayah AS (
    SELECT 'kabupaten' AS tingkat, 'kabupaten' AS pemilik_anggaran, kode_kab AS kode_wilayah, data_anggaran,
           sumber_desil, dasar_rupiah, n, pagu, realisasi, langsung, pemberdayaan, infrastruktur, penunjang, lain,
           melebihi, berlokasi, di_kantong, keluarga_desil1, desil1_kantong
    FROM per_kab
    UNION ALL
    SELECT 'provinsi', 'kabupaten', kode_prov, data_anggaran, sumber_desil, dasar_rupiah, n, pagu, realisasi, langsung,
           pemberdayaan, infrastruktur, penunjang, lain, melebihi, berlokasi, di_kantong, keluarga_desil1,
           desil1_kantong
    FROM jumlah_kabupaten
    UNION ALL
    SELECT 'provinsi', 'provinsi', p.kode_prov, u.kode_kab IS NOT NULL, j.sumber_desil, d.dasar_rupiah, u.n, u.pagu,
           u.realisasi, u.langsung, u.pemberdayaan, u.infrastruktur, u.penunjang, u.lain, u.melebihi,
           CASE WHEN u.kode_kab IS NULL THEN NULL ELSE COALESCE(r.berlokasi, 0) END,
           CASE WHEN u.kode_kab IS NULL THEN NULL ELSE COALESCE(r.di_kantong, 0) END,
           j.keluarga_desil1, j.desil1_kantong
    FROM provinsi p
    LEFT JOIN uang u ON u.kode_kab = p.kode_prov
    LEFT JOIN dasar d ON d.kode_kab = p.kode_prov
    LEFT JOIN rupiah_desa r ON r.kode_kab = p.kode_prov
    LEFT JOIN jumlah_kabupaten j ON j.kode_prov = p.kode_prov
)
SELECT :periode, r.tingkat, r.pemilik_anggaran, r.kode_wilayah, w.nama, r.data_anggaran, r.sumber_desil,
       r.dasar_rupiah, r.n, r.pagu, r.realisasi, ROUND(CAST(100.0 * r.realisasi / NULLIF(r.pagu, 0) AS NUMERIC), 1),
       r.langsung, r.pemberdayaan, r.infrastruktur, r.penunjang, r.lain,
       ROUND(CAST(100.0 * r.penunjang / NULLIF(r.pagu, 0) AS NUMERIC), 1), r.melebihi, r.berlokasi, r.di_kantong,
       ROUND(CAST(100.0 * r.di_kantong / NULLIF(r.berlokasi, 0) AS NUMERIC), 1), r.keluarga_desil1, r.desil1_kantong,
       ROUND(CAST(100.0 * r.desil1_kantong / NULLIF(r.keluarga_desil1, 0) AS NUMERIC), 1)
FROM per_wilayah r
LEFT JOIN core.wilayah w ON w.kode = r.kode_wilayah
