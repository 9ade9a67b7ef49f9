-- core.indikator_transisi_dtsen (province rows): the regency rows of the period added up per province.
-- Parameters: :periode.
INSERT INTO core.indikator_transisi_dtsen (periode, tingkat, kode_wilayah, nama_wilayah, indikator, kategori,
    kode_program, desil_asal, desil_dtsen, satuan, periode_dtsen, periode_dtsen_sebelumnya, jumlah)
SELECT CAST(:periode AS VARCHAR), 'provinsi', substr(t.kode_wilayah, 1, 2), w.nama, t.indikator, t.kategori, t.kode_program,
       t.desil_asal, t.desil_dtsen, t.satuan, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), SUM(t.jumlah)
FROM core.indikator_transisi_dtsen t
LEFT JOIN core.wilayah w ON w.kode = substr(t.kode_wilayah, 1, 2)
WHERE t.periode = :periode AND t.tingkat = 'kabupaten'
GROUP BY substr(t.kode_wilayah, 1, 2), w.nama, t.indikator, t.kategori, t.kode_program, t.desil_asal, t.desil_dtsen,
         t.satuan
