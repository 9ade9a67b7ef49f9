-- core.indikator_tumpang_tindih: per regency and province, the families receiving each overlapping pair of
-- programmes named by the period's rules (meta.aturan_tumpang_tindih), as a violation or an audit flag.
-- Which family breaks which rule is decided once, in core.konvergensi_keluarga. Parameters: :periode.
INSERT INTO core.indikator_tumpang_tindih (periode, tingkat, kode_wilayah, nama_wilayah, kode_aturan, program_a, program_b,
    tingkat_aturan, jumlah_keluarga)
WITH aturan AS (
    SELECT * FROM meta.aturan_tumpang_tindih WHERE periode = :periode
),
kabupaten AS (
    SELECT DISTINCT kode_kab FROM core.keluarga_terpadu WHERE periode = :periode
),
kena AS (
    SELECT f.kode_kab, a.kode_aturan, COUNT(*) AS n
    FROM core.konvergensi_keluarga f
    JOIN aturan a
      ON ';' || COALESCE(CASE WHEN a.tingkat = 'pelanggaran' THEN f.tumpang_tindih_pelanggaran
                              ELSE f.tumpang_tindih_audit END, '') || ';' LIKE '%;' || a.kode_aturan || ';%'
    WHERE f.periode = :periode
    GROUP BY f.kode_kab, a.kode_aturan
),
per_kab AS (
    SELECT k.kode_kab, a.kode_aturan, COALESCE(n.n, 0) AS n
    FROM kabupaten k CROSS JOIN aturan a
    LEFT JOIN kena n ON n.kode_kab = k.kode_kab AND n.kode_aturan = a.kode_aturan
),
per_wilayah AS (
    SELECT 'kabupaten' AS tingkat, kode_kab AS kode_wilayah, kode_aturan, n FROM per_kab
    UNION ALL
    SELECT 'provinsi', substr(kode_kab, 1, 2), kode_aturan, SUM(n) FROM per_kab
    GROUP BY substr(kode_kab, 1, 2), kode_aturan
)
SELECT :periode, r.tingkat, r.kode_wilayah, w.nama, a.kode_aturan, a.program_a, a.program_b, a.tingkat, r.n
FROM per_wilayah r
JOIN aturan a ON a.kode_aturan = r.kode_aturan
LEFT JOIN core.wilayah w ON w.kode = r.kode_wilayah
