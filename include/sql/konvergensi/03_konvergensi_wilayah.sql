-- core.indikator_konvergensi_{level}: the convergence indicators of one region level, all defined here once and
-- rendered for desa, kecamatan, kabupaten and provinsi ({keys} = that level's region columns).
--   sasaran (the "desil1" columns) = families with the regime's desil <= :desil_sasaran (1 under the rules;
--   P3KE's desil, or DTSEN's from 2025: core.konvergensi_keluarga.sumber_desil)
--   terintervensi = receiving at least one core programme (cakupan minimal satu program inti)
--   tanpa_program_inti = the exclusion error; keluarga_penerima_di_atas_desil = the inclusion error
--   priority groups count families with desil <= :prioritas_desil_maks
-- Recipients not found (or awaiting review) are counted once per person (kunci_penerima: the trusted
-- NIK, else the cleaned name, birth date and desa), in the desa the list names. Parameters: :periode, :desil_sasaran, :prioritas_desil_maks.
INSERT INTO core.indikator_{table} (periode, {keys}, nama_wilayah, keluarga_terdata, keluarga_p3ke, keluarga_desil1,
    desil1_terintervensi, desil1_tanpa_program_inti, desil1_tidak_di_dtks, keluarga_penerima,
    keluarga_penerima_di_atas_desil, penerima_tidak_ditemukan, penerima_perlu_review,
    keluarga_tumpang_tindih_pelanggaran, keluarga_tumpang_tindih_audit, lansia_tunggal,
    lansia_tunggal_terintervensi, disabilitas, disabilitas_terintervensi, kepala_keluarga_perempuan,
    kepala_keluarga_perempuan_terintervensi, pekerja_migran, pekerja_migran_terintervensi,
    persen_cakupan_desil1, persen_eksklusi_desil1, persen_inklusi)
WITH fakta AS (
    SELECT substr(kode_kab, 1, 2) AS kode_provinsi, kode_kab, substr(kode_desa, 1, 6) AS kode_kec, kode_desa,
           1 AS keluarga,
           CASE WHEN di_p3ke THEN 1 ELSE 0 END AS p3ke,
           CASE WHEN desil <= :desil_sasaran THEN 1 ELSE 0 END AS sasaran,
           CASE WHEN jumlah_program_inti > 0 THEN 1 ELSE 0 END AS terintervensi,
           CASE WHEN di_dtks THEN 1 ELSE 0 END AS dtks,
           CASE WHEN program_diterima IS NOT NULL THEN 1 ELSE 0 END AS penerima,
           CASE WHEN program_di_atas_desil IS NOT NULL THEN 1 ELSE 0 END AS di_atas_desil,
           CASE WHEN tumpang_tindih_pelanggaran IS NOT NULL THEN 1 ELSE 0 END AS pelanggaran,
           CASE WHEN tumpang_tindih_audit IS NOT NULL THEN 1 ELSE 0 END AS audit,
           CASE WHEN desil <= :prioritas_desil_maks THEN 1 ELSE 0 END AS prioritas,
           CASE WHEN lansia_tunggal THEN 1 ELSE 0 END AS lansia,
           CASE WHEN disabilitas THEN 1 ELSE 0 END AS difabel,
           CASE WHEN kepala_keluarga_perempuan THEN 1 ELSE 0 END AS perempuan,
           CASE WHEN pekerja_migran THEN 1 ELSE 0 END AS migran,
           CAST(NULL AS VARCHAR) AS status_penerima, CAST(NULL AS VARCHAR) AS orang
    FROM core.konvergensi_keluarga WHERE periode = :periode
    UNION ALL
    SELECT substr(kode_kab, 1, 2), kode_kab,
           CASE WHEN kode_desa LIKE kode_kab || '%' THEN substr(kode_desa, 1, 6) END,
           CASE WHEN kode_desa LIKE kode_kab || '%' THEN kode_desa END,
           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           status_padanan, kunci_penerima
    FROM core.penerima_program WHERE periode = :periode AND status_padanan <> 'ditemukan'
),
hitung AS (
    SELECT {keys},
           SUM(keluarga) AS keluarga_terdata,
           SUM(p3ke) AS keluarga_p3ke,
           SUM(sasaran) AS keluarga_desil1,
           SUM(sasaran * terintervensi) AS desil1_terintervensi,
           SUM(sasaran * (1 - terintervensi)) AS desil1_tanpa_program_inti,
           SUM(sasaran * (1 - dtks)) AS desil1_tidak_di_dtks,
           SUM(penerima) AS keluarga_penerima,
           SUM(di_atas_desil) AS keluarga_penerima_di_atas_desil,
           COUNT(DISTINCT CASE WHEN status_penerima = 'tidak_ditemukan' THEN orang END) AS penerima_tidak_ditemukan,
           COUNT(DISTINCT CASE WHEN status_penerima = 'perlu_review' THEN orang END) AS penerima_perlu_review,
           SUM(pelanggaran) AS keluarga_tumpang_tindih_pelanggaran,
           SUM(audit) AS keluarga_tumpang_tindih_audit,
           SUM(prioritas * lansia) AS lansia_tunggal,
           SUM(prioritas * lansia * terintervensi) AS lansia_tunggal_terintervensi,
           SUM(prioritas * difabel) AS disabilitas,
           SUM(prioritas * difabel * terintervensi) AS disabilitas_terintervensi,
           SUM(prioritas * perempuan) AS kepala_keluarga_perempuan,
           SUM(prioritas * perempuan * terintervensi) AS kepala_keluarga_perempuan_terintervensi,
           SUM(prioritas * migran) AS pekerja_migran,
           SUM(prioritas * migran * terintervensi) AS pekerja_migran_terintervensi
    FROM fakta
    GROUP BY {keys}
)
SELECT :periode, {h_keys}, w.nama, h.keluarga_terdata, h.keluarga_p3ke, h.keluarga_desil1, h.desil1_terintervensi,
       h.desil1_tanpa_program_inti, h.desil1_tidak_di_dtks, h.keluarga_penerima, h.keluarga_penerima_di_atas_desil,
       h.penerima_tidak_ditemukan, h.penerima_perlu_review, h.keluarga_tumpang_tindih_pelanggaran,
       h.keluarga_tumpang_tindih_audit, h.lansia_tunggal, h.lansia_tunggal_terintervensi, h.disabilitas,
       h.disabilitas_terintervensi, h.kepala_keluarga_perempuan, h.kepala_keluarga_perempuan_terintervensi,
       h.pekerja_migran, h.pekerja_migran_terintervensi,
       ROUND(100.0 * h.desil1_terintervensi / NULLIF(h.keluarga_desil1, 0), 1),
       ROUND(100.0 * h.desil1_tanpa_program_inti / NULLIF(h.keluarga_desil1, 0), 1),
       ROUND(100.0 * h.keluarga_penerima_di_atas_desil / NULLIF(h.keluarga_penerima, 0), 1)
FROM hitung h
LEFT JOIN core.wilayah w ON w.kode = h.{name_key}
