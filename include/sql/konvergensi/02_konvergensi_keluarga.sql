-- core.konvergensi_keluarga: one row per harmonised family of the period with its priority groups,
-- what it receives, what it is eligible for but does not receive, and the overlap rules it breaks.
--   lansia_tunggal: at most :lansia_anggota_maks members, every one born on or before :lansia_lahir_maks
--   disabilitas / pekerja_migran: a member whose value meta.nilai_kategori classifies so
--   kepala_keluarga_perempuan: the head's sex is :kepala_perempuan
-- A family "receives" a programme when the family (family programmes) or any member (individu
-- programmes) is on its list. `desil` is the regime's (as in 01_sasaran_program.sql), beside both
-- registries' own. Parameters: :periode, :lansia_anggota_maks, :lansia_lahir_maks,
-- :kepala_perempuan.
INSERT INTO core.konvergensi_keluarga (periode, kode_kab, id_keluarga, kode_desa, desil, di_dtks, di_p3ke,
    jumlah_anggota, lansia_tunggal, disabilitas, kepala_keluarga_perempuan, pekerja_migran, program_diterima,
    jumlah_program_inti, program_di_atas_desil, program_layak_belum_diterima, tumpang_tindih_pelanggaran,
    tumpang_tindih_audit, di_dtsen, desil_p3ke, desil_dtsen, sumber_desil)
WITH sumber AS (SELECT kode_kab, sumber_desil FROM meta.sumber_desil WHERE periode = :periode),
program AS (
    SELECT kode_program, program_inti FROM meta.program_periode WHERE periode = :periode
),
anggota AS (
    SELECT i.kode_kab, i.id_keluarga,
           COUNT(*) AS n,
           COUNT(i.tanggal_lahir) AS n_lahir,
           MAX(i.tanggal_lahir) AS lahir_termuda,
           MAX(CASE WHEN d.kategori IS NOT NULL THEN 1 ELSE 0 END) AS disabilitas,
           MAX(CASE WHEN m.kategori IS NOT NULL THEN 1 ELSE 0 END) AS pekerja_migran
    FROM core.individu_terpadu i
    LEFT JOIN meta.nilai_kategori d
      ON d.periode = :periode AND d.kolom = 'disabilitas' AND d.nilai = lower(trim(i.disabilitas))
    LEFT JOIN meta.nilai_kategori m
      ON m.periode = :periode AND m.kolom = 'pekerjaan' AND m.nilai = lower(trim(i.pekerjaan))
    WHERE i.periode = :periode AND i.id_keluarga IS NOT NULL
    GROUP BY i.kode_kab, i.id_keluarga
),
per_program AS (  -- family x programme: received by anyone, eligible for anyone
    SELECT s.kode_kab, s.id_keluarga, s.kode_program,
           MAX(CASE WHEN s.menerima THEN 1 ELSE 0 END) AS menerima,
           MAX(CASE WHEN s.layak THEN 1 ELSE 0 END) AS layak,
           MAX(CASE WHEN s.menerima AND NOT s.layak THEN 1 ELSE 0 END) AS di_atas_desil
    FROM core.sasaran_program s
    WHERE s.periode = :periode AND s.id_keluarga IS NOT NULL
    GROUP BY s.kode_kab, s.id_keluarga, s.kode_program
),
program_keluarga AS (
    SELECT pp.kode_kab, pp.id_keluarga,
           string_agg(CASE WHEN pp.menerima = 1 THEN pp.kode_program END, ';' ORDER BY pp.kode_program) AS diterima,
           SUM(CASE WHEN pp.menerima = 1 AND p.program_inti THEN 1 ELSE 0 END) AS inti,
           string_agg(CASE WHEN pp.di_atas_desil = 1 THEN pp.kode_program END, ';' ORDER BY pp.kode_program)
               AS di_atas_desil,
           string_agg(CASE WHEN pp.layak = 1 AND pp.menerima = 0 THEN pp.kode_program END, ';'
                      ORDER BY pp.kode_program) AS belum
    FROM per_program pp JOIN program p ON p.kode_program = pp.kode_program
    GROUP BY pp.kode_kab, pp.id_keluarga
),
tumpang AS (
    SELECT a.kode_kab, a.id_keluarga,
           string_agg(CASE WHEN r.tingkat = 'pelanggaran' THEN r.kode_aturan END, ';' ORDER BY r.kode_aturan)
               AS pelanggaran,
           string_agg(CASE WHEN r.tingkat = 'audit' THEN r.kode_aturan END, ';' ORDER BY r.kode_aturan) AS audit
    FROM meta.aturan_tumpang_tindih r
    JOIN per_program a ON a.kode_program = r.program_a AND a.menerima = 1
    JOIN per_program b ON b.kode_kab = a.kode_kab AND b.id_keluarga = a.id_keluarga
                      AND b.kode_program = r.program_b AND b.menerima = 1
    WHERE r.periode = :periode
    GROUP BY a.kode_kab, a.id_keluarga
)
SELECT :periode, f.kode_kab, f.id_keluarga, f.kode_desa,
       CASE WHEN s.sumber_desil = 'dtsen' THEN f.desil_dtsen ELSE f.desil END, f.di_dtks, f.di_p3ke, f.jumlah_anggota,
       COALESCE(a.n <= :lansia_anggota_maks AND a.n_lahir = a.n AND a.lahir_termuda <= :lansia_lahir_maks, FALSE),
       COALESCE(a.disabilitas = 1, FALSE),
       COALESCE(upper(f.jenis_kelamin_kepala_keluarga) = :kepala_perempuan, FALSE),
       COALESCE(a.pekerja_migran = 1, FALSE),
       pk.diterima, COALESCE(pk.inti, 0), pk.di_atas_desil, pk.belum, t.pelanggaran, t.audit,
       f.di_dtsen, f.desil, f.desil_dtsen, s.sumber_desil
FROM core.keluarga_terpadu f
JOIN sumber s ON s.kode_kab = f.kode_kab
LEFT JOIN anggota a ON a.kode_kab = f.kode_kab AND a.id_keluarga = f.id_keluarga
LEFT JOIN program_keluarga pk ON pk.kode_kab = f.kode_kab AND pk.id_keluarga = f.id_keluarga
LEFT JOIN tumpang t ON t.kode_kab = f.kode_kab AND t.id_keluarga = f.id_keluarga
WHERE f.periode = :periode
