-- core.sasaran_program: for every programme of the period, each unit (family, or person for individu
-- programmes) that is eligible, receiving, or both. This is the one definition of eligibility:
--   eligible = ranked at desil <= the programme's desil_maks (any registered family when desil_maks is
--              empty), and living in the programme's region (kode_wilayah prefix; empty = everywhere).
--   The desil is the regime's, per regency (meta.sumber_desil, 00_sumber_desil.sql): P3KE's, or DTSEN's
--   national desil from 2025. A regency's own limit (meta.program_kabupaten,
--   the rule file's penyesuaian_kabupaten) replaces the programme's desil_maks there.
--   receiving = on the programme's list of the period and found in a registry (status 'ditemukan').
-- A receiving unit that is not eligible is an inclusion error; an eligible unit not receiving, an
-- exclusion error. Parameters: :periode.
INSERT INTO core.sasaran_program (periode, kode_kab, kode_program, unit, id_keluarga, id_individu, layak, menerima)
WITH program AS (
    SELECT kode_program, unit, desil_maks, kode_wilayah FROM meta.program_periode WHERE periode = :periode
),
sumber AS (SELECT kode_kab, sumber_desil FROM meta.sumber_desil WHERE periode = :periode),
keluarga AS (
    SELECT f.kode_kab, f.id_keluarga, COALESCE(f.kode_desa, f.kode_kab) AS wilayah,
           CASE WHEN s.sumber_desil = 'dtsen' THEN f.desil_dtsen ELSE f.desil END AS desil, f.di_dtks, f.di_p3ke
    FROM core.keluarga_terpadu f JOIN sumber s ON s.kode_kab = f.kode_kab
    WHERE f.periode = :periode
),
individu AS (
    SELECT i.kode_kab, i.id_individu, i.id_keluarga, COALESCE(k.wilayah, i.kode_desa, i.kode_kab) AS wilayah, k.desil
    FROM core.individu_terpadu i
    LEFT JOIN keluarga k ON k.kode_kab = i.kode_kab AND k.id_keluarga = i.id_keluarga
    WHERE i.periode = :periode
),
terima_keluarga AS (
    SELECT DISTINCT r.kode_kab_terdaftar AS kode_kab, r.id_keluarga, r.kode_program
    FROM core.penerima_program r JOIN program p ON p.kode_program = r.kode_program AND p.unit = 'keluarga'
    WHERE r.periode = :periode AND r.status_padanan = 'ditemukan' AND r.id_keluarga IS NOT NULL
),
terima_individu AS (
    SELECT DISTINCT r.kode_kab_terdaftar AS kode_kab, r.id_individu, r.kode_program
    FROM core.penerima_program r JOIN program p ON p.kode_program = r.kode_program AND p.unit = 'individu'
    WHERE r.periode = :periode AND r.status_padanan = 'ditemukan' AND r.id_individu IS NOT NULL
),
batas AS (  -- each regency's limit per programme
    SELECT s.kode_kab, p.kode_program, p.unit, p.kode_wilayah, COALESCE(pk.desil_maks, p.desil_maks) AS desil_maks
    FROM sumber s CROSS JOIN program p
    LEFT JOIN meta.program_kabupaten pk
      ON pk.periode = :periode AND pk.kode_kab = s.kode_kab AND pk.kode_program = p.kode_program
),
layak_keluarga AS (
    SELECT k.kode_kab, k.id_keluarga, p.kode_program
    FROM keluarga k JOIN batas p
      ON p.kode_kab = k.kode_kab AND p.unit = 'keluarga'
     AND (p.kode_wilayah IS NULL OR k.wilayah LIKE p.kode_wilayah || '%')
     AND (p.desil_maks IS NULL OR k.desil <= p.desil_maks)
),
layak_individu AS (
    SELECT i.kode_kab, i.id_individu, p.kode_program
    FROM individu i JOIN batas p
      ON p.kode_kab = i.kode_kab AND p.unit = 'individu'
     AND (p.kode_wilayah IS NULL OR i.wilayah LIKE p.kode_wilayah || '%')
     AND (p.desil_maks IS NULL OR i.desil <= p.desil_maks)
)
SELECT :periode, COALESCE(l.kode_kab, t.kode_kab), COALESCE(l.kode_program, t.kode_program), 'keluarga',
       COALESCE(l.id_keluarga, t.id_keluarga), CAST(NULL AS VARCHAR),
       l.id_keluarga IS NOT NULL, t.id_keluarga IS NOT NULL
FROM layak_keluarga l
FULL OUTER JOIN terima_keluarga t
  ON t.kode_kab = l.kode_kab AND t.id_keluarga = l.id_keluarga AND t.kode_program = l.kode_program
UNION ALL
SELECT :periode, u.kode_kab, u.kode_program, 'individu', i.id_keluarga, u.id_individu, u.layak, u.menerima
FROM (
    SELECT COALESCE(l.kode_kab, t.kode_kab) AS kode_kab, COALESCE(l.id_individu, t.id_individu) AS id_individu,
           COALESCE(l.kode_program, t.kode_program) AS kode_program,
           l.id_individu IS NOT NULL AS layak, t.id_individu IS NOT NULL AS menerima
    FROM layak_individu l
    FULL OUTER JOIN terima_individu t
      ON t.kode_kab = l.kode_kab AND t.id_individu = l.id_individu AND t.kode_program = l.kode_program
) u
LEFT JOIN individu i ON i.kode_kab = u.kode_kab AND i.id_individu = u.id_individu
