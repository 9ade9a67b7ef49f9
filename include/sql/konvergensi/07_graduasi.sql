-- core.indikator_graduasi: how P3KE families moved between :periode_sebelumnya and :periode, per regency and
-- province: membaik (desil rose), tetap, memburuk (desil fell), keluar (no longer in P3KE: graduated,
-- moved away or died; the data cannot tell which) and baru (new in P3KE).
-- A family is followed by its P3KE family id, else by its KK; an id or KK held by two families on
-- either side follows nobody. Only regencies with P3KE data in both periods are compared, so a missing
-- submission is never read as mass graduation. Parameters: :periode, :periode_sebelumnya.
INSERT INTO core.indikator_graduasi (periode, periode_sebelumnya, tingkat, kode_wilayah, nama_wilayah, status,
    desil_sebelumnya, desil_sekarang, jumlah_keluarga)
WITH kab_keduanya AS (
    SELECT DISTINCT kode_kab FROM core.keluarga_terpadu WHERE periode = :periode AND di_p3ke
    INTERSECT
    SELECT DISTINCT kode_kab FROM core.keluarga_terpadu WHERE periode = :periode_sebelumnya AND di_p3ke
),
sebelum AS (
    SELECT f.kode_kab, f.id_keluarga, f.id_keluarga_p3ke, COALESCE(f.no_kk_p3ke, f.no_kk_dtks) AS kk, f.desil,
           COUNT(*) OVER (PARTITION BY f.id_keluarga_p3ke) AS n_id,
           COUNT(*) OVER (PARTITION BY COALESCE(f.no_kk_p3ke, f.no_kk_dtks)) AS n_kk
    FROM core.keluarga_terpadu f JOIN kab_keduanya k ON k.kode_kab = f.kode_kab
    WHERE f.periode = :periode_sebelumnya AND f.di_p3ke
),
sekarang AS (
    SELECT f.kode_kab, f.id_keluarga, f.id_keluarga_p3ke, COALESCE(f.no_kk_p3ke, f.no_kk_dtks) AS kk, f.desil,
           COUNT(*) OVER (PARTITION BY f.id_keluarga_p3ke) AS n_id,
           COUNT(*) OVER (PARTITION BY COALESCE(f.no_kk_p3ke, f.no_kk_dtks)) AS n_kk
    FROM core.keluarga_terpadu f JOIN kab_keduanya k ON k.kode_kab = f.kode_kab
    WHERE f.periode = :periode AND f.di_p3ke
),
lewat_id AS (
    SELECT b.kode_kab AS kab_b, b.id_keluarga AS kel_b, n.kode_kab AS kab_n, n.id_keluarga AS kel_n,
           b.desil AS desil_b, n.desil AS desil_n
    FROM sebelum b JOIN sekarang n ON n.id_keluarga_p3ke = b.id_keluarga_p3ke
    WHERE b.id_keluarga_p3ke IS NOT NULL AND b.n_id = 1 AND n.n_id = 1
),
lewat_kk AS (
    SELECT b.kode_kab, b.id_keluarga, n.kode_kab, n.id_keluarga, b.desil, n.desil
    FROM sebelum b JOIN sekarang n ON n.kk = b.kk
    WHERE b.kk IS NOT NULL AND b.n_kk = 1 AND n.n_kk = 1
      AND NOT EXISTS (SELECT 1 FROM lewat_id x WHERE x.kab_b = b.kode_kab AND x.kel_b = b.id_keluarga)
      AND NOT EXISTS (SELECT 1 FROM lewat_id x WHERE x.kab_n = n.kode_kab AND x.kel_n = n.id_keluarga)
),
pasangan AS (
    SELECT * FROM lewat_id UNION ALL SELECT * FROM lewat_kk
),
semua AS (
    SELECT kab_n AS kode_kab, desil_b, desil_n,
           CASE WHEN desil_n > desil_b THEN 'membaik' WHEN desil_n = desil_b THEN 'tetap' ELSE 'memburuk' END
               AS status
    FROM pasangan
    UNION ALL
    SELECT b.kode_kab, b.desil, CAST(NULL AS SMALLINT), 'keluar'
    FROM sebelum b
    WHERE NOT EXISTS (SELECT 1 FROM pasangan x WHERE x.kab_b = b.kode_kab AND x.kel_b = b.id_keluarga)
    UNION ALL
    SELECT n.kode_kab, CAST(NULL AS SMALLINT), n.desil, 'baru'
    FROM sekarang n
    WHERE NOT EXISTS (SELECT 1 FROM pasangan x WHERE x.kab_n = n.kode_kab AND x.kel_n = n.id_keluarga)
),
per_wilayah AS (
    SELECT 'kabupaten' AS tingkat, kode_kab AS kode_wilayah, status, desil_b, desil_n, COUNT(*) AS n
    FROM semua GROUP BY kode_kab, status, desil_b, desil_n
    UNION ALL
    SELECT 'provinsi', substr(kode_kab, 1, 2), status, desil_b, desil_n, COUNT(*)
    FROM semua GROUP BY substr(kode_kab, 1, 2), status, desil_b, desil_n
)
SELECT :periode, :periode_sebelumnya, r.tingkat, r.kode_wilayah, w.nama, r.status, r.desil_b, r.desil_n, r.n
FROM per_wilayah r
LEFT JOIN core.wilayah w ON w.kode = r.kode_wilayah
