-- core.indikator_transisi_dtsen (regency rows): the move from P3KE to DTSEN, for every regency with a DTSEN
-- extract. Families, unless satuan says orang.
--   p3ke_desil1_menurut_dtsen: P3KE desil-1 families by their DTSEN national desil now (kategori desil_<n>,
--       or tidak_di_dtsen)
--   tidak_di_dtsen: families of DTKS or P3KE that DTSEN does not hold (dtks_dan_p3ke | hanya_p3ke | hanya_dtks)
--   perpindahan_desil: DTSEN families between the regency's newest extract not after :periode and the one
--       before it, followed by their DTSEN family id: naik (desil rose: better off), turun, tetap, masuk
--       (new in DTSEN), keluar (no longer in it). This is graduation in the DTSEN regime.
-- Parameters: :periode.
INSERT INTO core.indikator_transisi_dtsen (periode, tingkat, kode_wilayah, nama_wilayah, indikator, kategori,
    kode_program, desil_asal, desil_dtsen, satuan, periode_dtsen, periode_dtsen_sebelumnya, jumlah)
WITH kab_dtsen AS (
    SELECT kode_kab FROM core.keluarga_terpadu WHERE periode = :periode GROUP BY kode_kab
    HAVING MAX(CASE WHEN di_dtsen THEN 1 ELSE 0 END) = 1
),
ekstrak AS (  -- the regency's DTSEN extracts, newest first
    SELECT kode_kab, periode AS periode_dtsen,
           ROW_NUMBER() OVER (PARTITION BY kode_kab ORDER BY periode DESC) AS urutan
    FROM (SELECT DISTINCT kode_kab, periode FROM staging.dtsen_keluarga WHERE aktif AND periode <= :periode) e
),
sekarang AS (
    SELECT k.kode_kab, k.id_keluarga_dtsen, MIN(k.desil_nasional) AS desil
    FROM staging.dtsen_keluarga k JOIN ekstrak e ON e.kode_kab = k.kode_kab AND e.periode_dtsen = k.periode
    WHERE k.aktif AND e.urutan = 1 AND k.id_keluarga_dtsen IS NOT NULL
    GROUP BY k.kode_kab, k.id_keluarga_dtsen
),
sebelum AS (
    SELECT k.kode_kab, k.id_keluarga_dtsen, MIN(k.desil_nasional) AS desil
    FROM staging.dtsen_keluarga k JOIN ekstrak e ON e.kode_kab = k.kode_kab AND e.periode_dtsen = k.periode
    WHERE k.aktif AND e.urutan = 2 AND k.id_keluarga_dtsen IS NOT NULL
    GROUP BY k.kode_kab, k.id_keluarga_dtsen
),
gerak AS (
    SELECT COALESCE(n.kode_kab, b.kode_kab) AS kode_kab, b.desil AS desil_b, n.desil AS desil_n,
           CASE WHEN b.id_keluarga_dtsen IS NULL THEN 'masuk' WHEN n.id_keluarga_dtsen IS NULL THEN 'keluar'
                WHEN n.desil > b.desil THEN 'naik' WHEN n.desil < b.desil THEN 'turun' ELSE 'tetap' END AS kategori
    FROM sekarang n FULL OUTER JOIN sebelum b ON b.kode_kab = n.kode_kab AND b.id_keluarga_dtsen = n.id_keluarga_dtsen
    WHERE COALESCE(n.kode_kab, b.kode_kab) IN (SELECT kode_kab FROM ekstrak WHERE urutan = 2)
),
baris AS (
    SELECT f.kode_kab, 'p3ke_desil1_menurut_dtsen' AS indikator,
           CASE WHEN f.desil_dtsen IS NULL THEN 'tidak_di_dtsen' ELSE 'desil_' || CAST(f.desil_dtsen AS VARCHAR) END
               AS kategori,
           CAST(1 AS SMALLINT) AS desil_asal, f.desil_dtsen, COUNT(*) AS jumlah
    FROM core.keluarga_terpadu f JOIN kab_dtsen d ON d.kode_kab = f.kode_kab
    WHERE f.periode = :periode AND f.di_p3ke AND f.desil = 1
    GROUP BY f.kode_kab, f.desil_dtsen
    UNION ALL
    SELECT f.kode_kab, 'tidak_di_dtsen',
           CASE WHEN f.di_dtks AND f.di_p3ke THEN 'dtks_dan_p3ke' WHEN f.di_p3ke THEN 'hanya_p3ke' ELSE 'hanya_dtks' END,
           f.desil, CAST(NULL AS SMALLINT), COUNT(*)
    FROM core.keluarga_terpadu f JOIN kab_dtsen d ON d.kode_kab = f.kode_kab
    WHERE f.periode = :periode AND NOT f.di_dtsen AND (f.di_dtks OR f.di_p3ke)
    GROUP BY f.kode_kab, CASE WHEN f.di_dtks AND f.di_p3ke THEN 'dtks_dan_p3ke' WHEN f.di_p3ke THEN 'hanya_p3ke'
                              ELSE 'hanya_dtks' END, f.desil
    UNION ALL
    SELECT kode_kab, 'perpindahan_desil', kategori, desil_b, desil_n, COUNT(*)
    FROM gerak GROUP BY kode_kab, kategori, desil_b, desil_n
)
SELECT CAST(:periode AS VARCHAR), 'kabupaten', b.kode_kab, w.nama, b.indikator, b.kategori, CAST(NULL AS VARCHAR), b.desil_asal,
       b.desil_dtsen, 'keluarga', e1.periode_dtsen, e2.periode_dtsen, b.jumlah
FROM baris b
LEFT JOIN core.wilayah w ON w.kode = b.kode_kab
LEFT JOIN ekstrak e1 ON e1.kode_kab = b.kode_kab AND e1.urutan = 1
LEFT JOIN ekstrak e2 ON e2.kode_kab = b.kode_kab AND e2.urutan = 2 AND b.indikator = 'perpindahan_desil'
