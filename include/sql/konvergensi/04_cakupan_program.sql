-- core.indikator_cakupan_program: per regency and province, each programme's eligible units, recipients, coverage,
-- exclusion error (eligible, not receiving) and inclusion error (receiving, not eligible), in the
-- programme's unit (families, or people for individu programmes), from core.sasaran_program.
-- Every programme that runs in a regency has a row, also when nobody there receives it.
-- Recipients found in no registry are counted once per person (kunci_penerima) and programme. Parameters: :periode.
INSERT INTO core.indikator_cakupan_program (periode, tingkat, kode_wilayah, nama_wilayah, kode_program, nama_program, unit,
    desil_maks, program_inti, sasaran_layak, penerima, penerima_layak, kesalahan_eksklusi, kesalahan_inklusi,
    penerima_tidak_ditemukan, persen_cakupan, persen_inklusi)
WITH program AS (
    SELECT * FROM meta.program_periode WHERE periode = :periode
),
kabupaten AS (
    SELECT DISTINCT kode_kab FROM core.keluarga_terpadu WHERE periode = :periode
),
baris AS (  -- every programme that runs in each regency
    SELECT k.kode_kab, p.kode_program
    FROM kabupaten k JOIN program p
      ON p.kode_wilayah IS NULL OR k.kode_kab LIKE p.kode_wilayah || '%' OR p.kode_wilayah LIKE k.kode_kab || '%'
),
sasaran AS (
    SELECT kode_kab, kode_program,
           SUM(CASE WHEN layak THEN 1 ELSE 0 END) AS sasaran_layak,
           SUM(CASE WHEN menerima THEN 1 ELSE 0 END) AS penerima,
           SUM(CASE WHEN layak AND menerima THEN 1 ELSE 0 END) AS penerima_layak,
           SUM(CASE WHEN layak AND NOT menerima THEN 1 ELSE 0 END) AS kesalahan_eksklusi,
           SUM(CASE WHEN menerima AND NOT layak THEN 1 ELSE 0 END) AS kesalahan_inklusi
    FROM core.sasaran_program WHERE periode = :periode
    GROUP BY kode_kab, kode_program
),
tidak AS (
    SELECT kode_kab, kode_program,
           COUNT(DISTINCT kunci_penerima) AS n
    FROM core.penerima_program WHERE periode = :periode AND status_padanan = 'tidak_ditemukan'
    GROUP BY kode_kab, kode_program
),
per_kab AS (
    SELECT k.kode_kab, k.kode_program,
           COALESCE(s.sasaran_layak, 0) AS sasaran_layak, COALESCE(s.penerima, 0) AS penerima,
           COALESCE(s.penerima_layak, 0) AS penerima_layak, COALESCE(s.kesalahan_eksklusi, 0) AS kesalahan_eksklusi,
           COALESCE(s.kesalahan_inklusi, 0) AS kesalahan_inklusi, COALESCE(t.n, 0) AS tidak_ditemukan
    FROM (SELECT kode_kab, kode_program FROM baris
          UNION SELECT kode_kab, kode_program FROM sasaran
          UNION SELECT kode_kab, kode_program FROM tidak) k
    LEFT JOIN sasaran s ON s.kode_kab = k.kode_kab AND s.kode_program = k.kode_program
    LEFT JOIN tidak t ON t.kode_kab = k.kode_kab AND t.kode_program = k.kode_program
),
per_wilayah AS (
    SELECT 'kabupaten' AS tingkat, kode_kab AS kode_wilayah, kode_program, sasaran_layak, penerima, penerima_layak,
           kesalahan_eksklusi, kesalahan_inklusi, tidak_ditemukan
    FROM per_kab
    UNION ALL
    SELECT 'provinsi', substr(kode_kab, 1, 2), kode_program, SUM(sasaran_layak), SUM(penerima), SUM(penerima_layak),
           SUM(kesalahan_eksklusi), SUM(kesalahan_inklusi), SUM(tidak_ditemukan)
    FROM per_kab GROUP BY substr(kode_kab, 1, 2), kode_program
)
SELECT :periode, r.tingkat, r.kode_wilayah, w.nama, r.kode_program, p.nama_program, p.unit, p.desil_maks,
       p.program_inti, r.sasaran_layak, r.penerima, r.penerima_layak, r.kesalahan_eksklusi, r.kesalahan_inklusi,
       r.tidak_ditemukan,
       ROUND(100.0 * r.penerima_layak / NULLIF(r.sasaran_layak, 0), 1),
       ROUND(100.0 * r.kesalahan_inklusi / NULLIF(r.penerima, 0), 1)
FROM per_wilayah r
JOIN program p ON p.kode_program = r.kode_program
LEFT JOIN core.wilayah w ON w.kode = r.kode_wilayah
