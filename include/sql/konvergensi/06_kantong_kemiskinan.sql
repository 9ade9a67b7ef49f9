-- core.indikator_kantong_kemiskinan: desa ranked by their desil-1 families with no core programme, then by that
-- share, within the province and within the regency (ties by desa code, so the order is stable).
-- A desa is a poverty pocket when it is among the regency's top :teratas and has at least :minimal such
-- families. Built from core.indikator_konvergensi_desa of the same period. Parameters: :periode, :teratas, :minimal.
INSERT INTO core.indikator_kantong_kemiskinan (periode, kode_provinsi, kode_kab, kode_kec, kode_desa, nama_desa,
    nama_kecamatan, keluarga_desil1, desil1_tanpa_program_inti, persen_tanpa_program_inti, peringkat_provinsi,
    peringkat_kabupaten, kantong)
WITH desa AS (
    SELECT d.*,
           ROW_NUMBER() OVER (PARTITION BY d.kode_provinsi
                              ORDER BY d.desil1_tanpa_program_inti DESC, d.persen_eksklusi_desil1 DESC,
                                       d.kode_desa) AS peringkat_provinsi,
           ROW_NUMBER() OVER (PARTITION BY d.kode_kab
                              ORDER BY d.desil1_tanpa_program_inti DESC, d.persen_eksklusi_desil1 DESC,
                                       d.kode_desa) AS peringkat_kabupaten
    FROM core.indikator_konvergensi_desa d
    WHERE d.periode = :periode AND d.kode_desa IS NOT NULL AND d.keluarga_desil1 > 0
)
SELECT :periode, d.kode_provinsi, d.kode_kab, d.kode_kec, d.kode_desa, d.nama_wilayah, k.nama, d.keluarga_desil1,
       d.desil1_tanpa_program_inti, d.persen_eksklusi_desil1, d.peringkat_provinsi, d.peringkat_kabupaten,
       d.peringkat_kabupaten <= :teratas AND d.desil1_tanpa_program_inti >= :minimal
FROM desa d
LEFT JOIN core.wilayah k ON k.kode = d.kode_kec
