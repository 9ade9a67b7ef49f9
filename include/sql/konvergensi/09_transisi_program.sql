-- core.indikator_transisi_dtsen (regency rows), programmes the rule file follows through the transition
-- (`pantau_transisi`, PBI-JK since its deactivations of May 2025), under the DTSEN regime only:
--   penerima_di_atas_batas: units on the programme's list ranked above its desil_maks (or not in DTSEN)
--   layak_belum_menerima: units at or under desil_maks not on the list
-- Units are people for an individu programme (satuan orang), families otherwise, from core.sasaran_program.
-- Parameters: :periode, :kode_program.
INSERT INTO core.indikator_transisi_dtsen (periode, tingkat, kode_wilayah, nama_wilayah, indikator, kategori,
    kode_program, desil_asal, desil_dtsen, satuan, periode_dtsen, periode_dtsen_sebelumnya, jumlah)
SELECT CAST(:periode AS VARCHAR), 'kabupaten', s.kode_kab, w.nama, 'program_dtsen',
       CASE WHEN s.menerima THEN 'penerima_di_atas_batas' ELSE 'layak_belum_menerima' END, s.kode_program,
       CAST(NULL AS SMALLINT), k.desil_dtsen, CASE WHEN s.unit = 'individu' THEN 'orang' ELSE 'keluarga' END,
       CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), COUNT(*)
FROM core.sasaran_program s
JOIN core.konvergensi_keluarga k ON k.periode = s.periode AND k.kode_kab = s.kode_kab
     AND k.id_keluarga = s.id_keluarga AND k.sumber_desil = 'dtsen'
LEFT JOIN core.wilayah w ON w.kode = s.kode_kab
WHERE s.periode = :periode AND s.kode_program = :kode_program AND s.menerima <> s.layak
GROUP BY s.kode_kab, w.nama, CASE WHEN s.menerima THEN 'penerima_di_atas_batas' ELSE 'layak_belum_menerima' END,
         s.kode_program, k.desil_dtsen, CASE WHEN s.unit = 'individu' THEN 'orang' ELSE 'keluarga' END
