-- core.indikator_anggaran: the poverty budget by OPD, strategy and kind of spending, from
-- core.anggaran_sub_kegiatan. Whose APBD a row is, is in pemilik_anggaran:
--   tingkat kabupaten, pemilik kabupaten: a regency's own APBD, per OPD;
--   tingkat provinsi,  pemilik kabupaten: the SUM of the province's regencies' APBD (no OPD: theirs differ);
--   tingkat provinsi,  pemilik provinsi:  the province's own APBD, per OPD (lines staged with a 2-digit kode_kab).
-- realisasi is empty where no line of the group reported any. Parameters: :periode.
INSERT INTO core.indikator_anggaran (periode, tingkat, pemilik_anggaran, kode_wilayah, nama_wilayah, kode_skpd,
    nama_skpd, strategi, jenis_belanja, jumlah_sub_kegiatan, pagu, realisasi, persen_realisasi)
WITH per_wilayah AS (
    -- each owner's own APBD: a regency's at tingkat kabupaten, the province's at tingkat provinsi
    SELECT pemilik_anggaran AS tingkat, pemilik_anggaran, kode_kab AS kode_wilayah, COALESCE(kode_skpd, '') AS kode_skpd,
           MIN(nama_skpd) AS nama_skpd, strategi, jenis_belanja, COUNT(*) AS n, SUM(pagu) AS pagu,
           SUM(realisasi) AS realisasi
    FROM core.anggaran_sub_kegiatan WHERE periode = :periode
    GROUP BY pemilik_anggaran, kode_kab, COALESCE(kode_skpd, ''), strategi, jenis_belanja
    UNION ALL
    SELECT 'provinsi', 'kabupaten', substr(kode_kab, 1, 2), NULL, NULL, strategi, jenis_belanja, COUNT(*), SUM(pagu),
           SUM(realisasi)
    FROM core.anggaran_sub_kegiatan WHERE periode = :periode AND pemilik_anggaran = 'kabupaten'
    GROUP BY substr(kode_kab, 1, 2), strategi, jenis_belanja
)
SELECT :periode, r.tingkat, r.pemilik_anggaran, r.kode_wilayah, w.nama, NULLIF(r.kode_skpd, ''), r.nama_skpd,
       r.strategi, r.jenis_belanja, r.n, r.pagu, r.realisasi,
       ROUND(CAST(100.0 * r.realisasi / NULLIF(r.pagu, 0) AS NUMERIC), 1)
FROM per_wilayah r
LEFT JOIN core.wilayah w ON w.kode = r.kode_wilayah
