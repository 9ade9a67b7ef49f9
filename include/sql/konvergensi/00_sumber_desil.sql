-- meta.sumber_desil: whose desil each regency's convergence of the period uses, the one home of that choice.
-- The rule file names the regime (:sumber_desil: p3ke, or dtsen from 2025); a regency that has sent no DTSEN
-- extract keeps P3KE's desil, so its figures are not emptied by a file it has yet to send.
-- Parameters: :periode, :sumber_desil.
INSERT INTO meta.sumber_desil (periode, kode_kab, sumber_desil)
SELECT CAST(:periode AS VARCHAR), kode_kab,
       CASE WHEN :sumber_desil = 'dtsen' AND MAX(CASE WHEN di_dtsen THEN 1 ELSE 0 END) = 1
            THEN 'dtsen' ELSE 'p3ke' END
FROM core.keluarga_terpadu WHERE periode = :periode
GROUP BY kode_kab
